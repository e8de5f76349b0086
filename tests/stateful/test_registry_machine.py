"""Rule-based state machine for AgentRegistry (Hypothesis on titanoboa).

A small Python model mirrors the registry: owners, balances, approvals,
operators, status, URIs, metadata, proved wallets, the owner-default wallet
flag, the wallet reverse index and each wallet's last consumed proof
deadline. Random sequences of calls by random callers (authorised or not)
run against both; for every call the model predicts success or the exact
revert reason, and after every step the invariants compare the contract
with the model.

Invariant R1 (docs: DESIGN.md): only an agent's owner or approved operator
changes it; the wallet reverse lookup is unique; a transfer clears the agent
wallet. Plus the status rules: Active <-> Paused, Retired is final, and
`isActive` is true exactly for Active agents.

Speed: the registry is deployed once per test; every example runs inside a
`boa.env.anchor()` entered in `__init__` and left in `teardown()`, so each
example starts from the fresh deployment.

Profiles (`profile.py`): by default 200 examples x 30 steps from a fixed
seed; `CHARTER_FUZZ=random` draws new sequences, `CHARTER_FUZZ=long` runs
2,000 examples x 60 steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import boa
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .profile import MAX_EXAMPLES, SETTINGS, STEPS, full_length

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_SOURCE = ROOT / "contracts" / "AgentRegistry.vy"


ZERO = "0x0000000000000000000000000000000000000000"
ACTIVE, PAUSED, RETIRED = 0, 1, 2
MAX_AGENTS = 6
MAX_DEADLINE_DELAY = 300
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
WALLET_KEY = "agentWallet"

# Wallet keys (a small pool so wallets collide across agents). The wallets
# are also actors: they may own agents and prove themselves.
WALLETS = [Account.from_key(keccak(text=f"charter-fuzz-wallet-{i}")) for i in range(3)]
PLAIN_ACTORS = [
    "0x" + keccak(text=f"charter-fuzz-actor-{i}")[-20:].hex() for i in range(3)
]
ACTORS = [*(a.lower() for a in PLAIN_ACTORS), *(w.address.lower() for w in WALLETS)]
NOBODY = "0x" + "ee" * 20  # never an owner: a proof naming it is always wrong

URIS = ["", "a", "u" * 31, "v" * 32, "w" * 33, "x" * 64, "y" * 65, "z" * 200]
KEYS = ["k", "name", "endpoint", "", WALLET_KEY]
VALUES = [b"", b"\x01", b"v" * 32, b"w" * 100]
CORRUPTIONS = [
    "none", "none", "none", "none",
    "wrong_signer", "other_agent", "other_owner", "other_deadline", "high_s", "short", "v_minus_27",
]  # fmt: skip
# Mostly valid deadlines (now .. now+300), some just outside.
DEADLINE_OFFSETS = [-1, 0, 1, 30, 60, 60, 120, 120, 200, 299, 300, 301]


def norm(address) -> str:
    return str(address).lower()


def domain_separator(chain_id: int, verifying_contract: str) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(
                    text="EIP712Domain(string name,string version,uint256 chainId,"
                    "address verifyingContract)"
                ),
                keccak(text="ERC8004IdentityRegistry"),
                keccak(text="1"),
                chain_id,
                verifying_contract,
            ],
        )
    )


TYPEHASH = keccak(
    text="AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
)


def sign_proof(
    key, domain: bytes, agent_id: int, wallet: str, owner: str, deadline: int
) -> bytes:
    struct = keccak(
        encode(
            ["bytes32", "uint256", "address", "address", "uint256"],
            [TYPEHASH, agent_id, wallet, owner, deadline],
        )
    )
    signed = Account.unsafe_sign_hash(keccak(b"\x19\x01" + domain + struct), key)
    return bytes(signed.signature)


@dataclass
class Proof:
    agent_id: int
    wallet: str
    owner: str  # the owner the proof names
    deadline: int
    signature: bytes


@dataclass
class Stats:
    examples: int = 0
    delegated: int = 0  # authorisation checks passed by an operator / approved address
    steps: list[int] = field(default_factory=list)
    ok: dict[str, int] = field(default_factory=dict)
    reverted: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, reason: str | None) -> None:
        bucket = self.ok if reason is None else self.reverted
        key = name if reason is None else f"{name}: {reason}"
        bucket[key] = bucket.get(key, 0) + 1


class RegistryMachine(RuleBasedStateMachine):
    def __init__(self, registry, stats: Stats):
        super().__init__()
        self.registry = registry
        self.stats = stats
        self.stats.examples += 1
        self.stats.steps.append(0)
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.domain = domain_separator(
            boa.env.evm.patch.chain_id, str(registry.address)
        )
        # model
        self.next_id = 1
        self.owner: dict[int, str] = {}
        self.status: dict[int, int] = {}
        self.wallet: dict[int, str] = {}  # proved wallets
        self.owner_default: dict[int, bool] = {}
        self.approved: dict[int, str] = {}
        self.operators: set[tuple[str, str]] = set()
        self.uri: dict[int, str] = {}
        self.meta: dict[tuple[int, str], bytes] = {}
        self.index: dict[str, int] = {}  # wallet -> agent
        self.used: dict[str, int] = {}  # wallet -> last consumed deadline
        self.proofs: list[Proof] = []

    def teardown(self):
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ model helpers

    @property
    def agents(self) -> list[int]:
        return list(range(1, self.next_id))

    def pick_agent(self, pick: int) -> int:
        """Mostly an existing agent; sometimes the next, unknown id."""
        if pick >= 18 or not self.agents:
            return self.next_id
        return self.agents[pick % len(self.agents)]

    def pick_caller(self, pick: int, agent_id: int, owner_odds: int = 3) -> str:
        """For picks (0..9) below `owner_odds`, the agent's owner; for the
        next two, one of its delegates (an operator of the owner or the
        agent's approved address) if it has any; otherwise any actor (which
        may also be the owner or a delegate)."""
        if agent_id in self.owner:
            owner = self.owner[agent_id]
            if pick < owner_odds:
                return owner
            if pick < owner_odds + 2:
                delegates = sorted(op for (o, op) in self.operators if o == owner)
                if agent_id in self.approved:
                    delegates.append(self.approved[agent_id])
                if delegates:
                    return delegates[pick % len(delegates)]
        return ACTORS[pick % len(ACTORS)]

    def authorized(self, caller: str, agent_id: int) -> bool:
        owner = self.owner[agent_id]
        delegated = (owner, caller) in self.operators or self.approved.get(
            agent_id
        ) == caller
        if delegated and caller != owner:
            # The contract checks authorisation at the same point, so this
            # call exercises an operator's or an approved address's rights.
            self.stats.delegated += 1
        return caller == owner or delegated

    def agent_wallet(self, agent_id: int) -> str:
        if agent_id in self.wallet:
            return self.wallet[agent_id]
        if self.owner_default[agent_id]:
            return self.owner[agent_id]
        return ZERO

    def clear_wallet(self, agent_id: int) -> None:
        wallet = self.wallet.pop(agent_id, None)
        if wallet is not None:
            del self.index[wallet]
        self.owner_default[agent_id] = False

    def step(self) -> None:
        """Count one executed rule (Hypothesis counts an initialize rule as a step)."""
        self.stats.steps[-1] += 1

    def run(self, name: str, reason: str | None, caller: str, fn, *args):
        self.stats.count(name, reason)
        with boa.env.prank(caller):
            if reason is None:
                return fn(*args)
            with boa.reverts(reason):
                fn(*args)
        return None

    # ------------------------------------------------------------ rules

    @initialize(
        callers=st.lists(st.integers(0, len(ACTORS) - 1), min_size=2, max_size=4)
    )
    def seed_agents(self, callers):
        self.step()
        for i in callers:
            self._register(ACTORS[i], "", None)

    @precondition(lambda self: self.next_id <= MAX_AGENTS)
    @rule(
        caller=st.integers(0, len(ACTORS) - 1),
        uri=st.sampled_from(URIS),
        entry=st.none() | st.tuples(st.sampled_from(KEYS), st.sampled_from(VALUES)),
    )
    def register(self, caller, uri, entry):
        self.step()
        self._register(ACTORS[caller], uri, entry)

    def _register(self, caller, uri, entry):
        reason = None
        if entry is not None and entry[0] == "":
            reason = "registry: empty key"
        elif entry is not None and entry[0] == WALLET_KEY:
            reason = "registry: reserved key"
        args = (uri, [entry]) if entry is not None else (uri,)
        agent_id = self.run("register", reason, caller, self.registry.register, *args)
        if reason is None:
            assert agent_id == self.next_id
            self.next_id += 1
            self.owner[agent_id] = caller
            self.status[agent_id] = ACTIVE
            self.owner_default[agent_id] = True
            self.uri[agent_id] = uri
            if entry is not None:
                self.meta[(agent_id, entry[0])] = entry[1]

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        from_pick=st.integers(0, 9),
        to=st.integers(0, len(ACTORS)),
        method=st.sampled_from(
            ["transferFrom", "safeTransferFrom", "safeTransferFrom+data"]
        ),
    )
    def transfer(self, pick, caller_pick, from_pick, to, method):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id)
        sender = self.pick_caller(from_pick if from_pick < 7 else 0, agent_id)
        receiver = ACTORS[to] if to < len(ACTORS) else ZERO
        if agent_id not in self.owner:
            reason = "registry: unknown agent"
        elif sender != self.owner[agent_id]:
            reason = "erc721: transfer from incorrect owner"
        elif not self.authorized(caller, agent_id):
            reason = "erc721: caller is not token owner or approved"
        elif receiver == ZERO:
            reason = "erc721: transfer to zero address"
        else:
            reason = None
        fn = (
            self.registry.safeTransferFrom
            if method.startswith("safe")
            else self.registry.transferFrom
        )
        extra = (b"data",) if method.endswith("+data") else ()
        self.run("transfer", reason, caller, fn, sender, receiver, agent_id, *extra)
        if reason is None:
            self.clear_wallet(agent_id)
            self.approved.pop(agent_id, None)
            self.owner[agent_id] = receiver
        self._check_approval(agent_id)
        self._check_wallet_views(agent_id)

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        approved_pick=st.integers(0, len(ACTORS)),
    )
    def approve(self, pick, caller_pick, approved_pick):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id)
        approved = ACTORS[approved_pick] if approved_pick < len(ACTORS) else ZERO
        if agent_id not in self.owner:
            reason = "erc721: invalid token ID"
        elif approved == self.owner[agent_id]:
            reason = "erc721: approval to owner"
        elif (
            caller != self.owner[agent_id]
            and (self.owner[agent_id], caller) not in self.operators
        ):
            reason = "erc721: not owner or operator"
        else:
            reason = None
        self.run("approve", reason, caller, self.registry.approve, approved, agent_id)
        if reason is None:
            if approved == ZERO:
                self.approved.pop(agent_id, None)
            else:
                self.approved[agent_id] = approved
        self._check_approval(agent_id)

    @rule(
        caller=st.integers(0, len(ACTORS) - 1),
        operator=st.integers(0, len(ACTORS) - 1),
        flag=st.sampled_from([True, True, True, False]),
    )
    def set_approval_for_all(self, caller, operator, flag):
        self.step()
        caller, operator = ACTORS[caller], ACTORS[operator]
        reason = "erc721: approve to caller" if caller == operator else None
        self.run(
            "setApprovalForAll",
            reason,
            caller,
            self.registry.setApprovalForAll,
            operator,
            flag,
        )
        if reason is None:
            if flag:
                self.operators.add((caller, operator))
            else:
                self.operators.discard((caller, operator))

    def _gate(self, agent_id: int, caller: str) -> str | None:
        if agent_id not in self.owner:
            return "registry: unknown agent"
        if not self.authorized(caller, agent_id):
            return "registry: not authorized"
        return None

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        uri=st.sampled_from(URIS),
    )
    def set_agent_uri(self, pick, caller_pick, uri):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id)
        reason = self._gate(agent_id, caller)
        self.run(
            "setAgentURI", reason, caller, self.registry.setAgentURI, agent_id, uri
        )
        if reason is None:
            self.uri[agent_id] = uri
        if agent_id in self.uri:
            assert self.registry.tokenURI(agent_id) == self.uri[agent_id]

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        key=st.sampled_from(KEYS),
        value=st.sampled_from(VALUES),
    )
    def set_metadata(self, pick, caller_pick, key, value):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id)
        reason = self._gate(agent_id, caller)
        if reason is None and key == "":
            reason = "registry: empty key"
        elif reason is None and key == WALLET_KEY:
            reason = "registry: reserved key"
        self.run(
            "setMetadata",
            reason,
            caller,
            self.registry.setMetadata,
            agent_id,
            key,
            value,
        )
        if reason is None:
            self.meta[(agent_id, key)] = value
        if key and key != WALLET_KEY:
            assert self.registry.getMetadata(agent_id, key) == self.meta.get(
                (agent_id, key), b""
            )

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        action=st.sampled_from(["pause", "resume", "retire"]),
    )
    def change_status(self, pick, caller_pick, action):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id, owner_odds=5)
        reason = self._gate(agent_id, caller)
        if reason is None:
            status = self.status[agent_id]
            if status == RETIRED:
                reason = "registry: agent retired"
            elif action == "pause" and status != ACTIVE:
                reason = "registry: not active"
            elif action == "resume" and status != PAUSED:
                reason = "registry: not paused"
        self.run(action, reason, caller, getattr(self.registry, action), agent_id)
        if reason is None:
            self.status[agent_id] = {
                "pause": PAUSED,
                "resume": ACTIVE,
                "retire": RETIRED,
            }[action]

    def _expect_wallet_call(
        self, agent_id, caller, wallet, deadline, valid_signature
    ) -> str | None:
        now = boa.env.timestamp
        if wallet == ZERO:
            return "registry: zero wallet"
        if now > deadline:
            return "registry: proof expired"
        if deadline > now + MAX_DEADLINE_DELAY:
            return "registry: deadline too far"
        reason = self._gate(agent_id, caller)
        if reason is not None:
            return reason
        if self.status[agent_id] == RETIRED:
            return "registry: agent retired"
        if self.index.get(wallet, agent_id) != agent_id:
            return "registry: wallet taken"
        if deadline <= self.used.get(wallet, 0):
            return "registry: proof used"
        if not valid_signature(self.owner[agent_id]):
            return "registry: bad wallet proof"
        return None

    def _check_wallet_views(self, agent_id: int) -> None:
        """The agentWallet metadata mirrors getAgentWallet (checked where
        wallets change, to keep the per-step invariant cheap)."""
        if agent_id in self.owner:
            wallet = self.agent_wallet(agent_id)
            expected = b"" if wallet == ZERO else bytes.fromhex(wallet[2:])
            assert self.registry.getMetadata(agent_id, WALLET_KEY) == expected

    def _check_approval(self, agent_id: int) -> None:
        if agent_id in self.owner:
            approved = norm(self.registry.getApproved(agent_id))
            assert approved == self.approved.get(agent_id, ZERO)

    def _apply_wallet(self, agent_id, wallet, deadline):
        previous = self.wallet.get(agent_id)
        if previous is not None and previous != wallet:
            del self.index[previous]
        self.wallet[agent_id] = wallet
        self.index[wallet] = agent_id
        self.used[wallet] = deadline
        self.owner_default[agent_id] = False

    @rule(
        pick=st.integers(0, 19),
        caller_pick=st.integers(0, 9),
        wallet_pick=st.integers(0, 9),
        offset=st.sampled_from(DEADLINE_OFFSETS),
        corruption=st.sampled_from(CORRUPTIONS),
    )
    def set_agent_wallet(self, pick, caller_pick, wallet_pick, offset, corruption):
        """A fresh proof, well formed or corrupted, submitted by anyone."""
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id, owner_odds=5)
        deadline = max(boa.env.timestamp + offset, 0)
        if wallet_pick == 9:
            wallet, key, named_owner = ZERO, WALLETS[0].key, NOBODY
        else:
            wallet_pick %= len(WALLETS)
            account = WALLETS[wallet_pick]
            wallet, key = account.address.lower(), account.key
            named_owner = self.owner.get(agent_id, NOBODY)
        signed_agent, signed_deadline = agent_id, deadline
        if corruption == "wrong_signer":
            key = WALLETS[(wallet_pick + 1) % len(WALLETS)].key
        elif corruption == "other_agent":
            signed_agent = agent_id + 1_000
        elif corruption == "other_owner":
            named_owner = NOBODY
        elif corruption == "other_deadline":
            signed_deadline = deadline + 1
        signature = sign_proof(
            key, self.domain, signed_agent, wallet, named_owner, signed_deadline
        )
        if corruption == "high_s":
            r, s, v = (
                signature[:32],
                int.from_bytes(signature[32:64], "big"),
                signature[64],
            )
            signature = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])
        elif corruption == "short":
            signature = signature[:64]
        elif corruption == "v_minus_27":
            signature = signature[:64] + bytes([signature[64] - 27])
        well_formed = corruption == "none" and wallet != ZERO
        if well_formed:
            self.proofs.append(
                Proof(agent_id, wallet, named_owner, deadline, signature)
            )
        reason = self._expect_wallet_call(
            agent_id,
            caller,
            wallet,
            deadline,
            lambda owner: well_formed and owner == named_owner,
        )
        self.run(
            "setAgentWallet", reason, caller, self.registry.setAgentWallet,
            agent_id, wallet, deadline, signature,
        )  # fmt: skip
        if reason is None:
            self._apply_wallet(agent_id, wallet, deadline)
        self._check_wallet_views(agent_id)

    @rule(
        pick=st.integers(0, 17),
        wallet_pick=st.integers(0, len(WALLETS) - 1),
        delay=st.integers(0, MAX_DEADLINE_DELAY),
    )
    def owner_proves_wallet(self, pick, wallet_pick, delay):
        """The owner submits a fresh, valid proof (drives wallet collisions,
        moves and consumed deadlines)."""
        self.step()
        agent_id = self.pick_agent(pick)
        owner = self.owner[agent_id]
        account = WALLETS[wallet_pick]
        wallet = account.address.lower()
        deadline = boa.env.timestamp + delay
        signature = sign_proof(
            account.key, self.domain, agent_id, wallet, owner, deadline
        )
        self.proofs.append(Proof(agent_id, wallet, owner, deadline, signature))
        reason = self._expect_wallet_call(
            agent_id, owner, wallet, deadline, lambda _: True
        )
        self.run(
            "setAgentWallet", reason, owner, self.registry.setAgentWallet,
            agent_id, wallet, deadline, signature,
        )  # fmt: skip
        if reason is None:
            self._apply_wallet(agent_id, wallet, deadline)
        self._check_wallet_views(agent_id)

    @precondition(lambda self: self.proofs)
    @rule(which=st.integers(0, 50), caller_pick=st.integers(0, 9))
    def replay_proof(self, which, caller_pick):
        """Submit an earlier well-formed proof again (used or not)."""
        self.step()
        proof = self.proofs[which % len(self.proofs)]
        caller = self.pick_caller(caller_pick, proof.agent_id, owner_odds=6)
        reason = self._expect_wallet_call(
            proof.agent_id, caller, proof.wallet, proof.deadline,
            lambda owner: owner == proof.owner,
        )  # fmt: skip
        self.run(
            "replay", reason, caller, self.registry.setAgentWallet,
            proof.agent_id, proof.wallet, proof.deadline, proof.signature,
        )  # fmt: skip
        if reason is None:
            self._apply_wallet(proof.agent_id, proof.wallet, proof.deadline)
        self._check_wallet_views(proof.agent_id)

    @rule(pick=st.integers(0, 19), caller_pick=st.integers(0, 9))
    def unset_agent_wallet(self, pick, caller_pick):
        self.step()
        agent_id = self.pick_agent(pick)
        caller = self.pick_caller(caller_pick, agent_id)
        reason = self._gate(agent_id, caller)
        self.run(
            "unsetAgentWallet", reason, caller, self.registry.unsetAgentWallet, agent_id
        )
        if reason is None:
            self.clear_wallet(agent_id)
        self._check_wallet_views(agent_id)

    @rule(seconds=st.sampled_from([1, 12, 30, 60, 120, 301]))
    def time_travel(self, seconds):
        self.step()
        boa.env.time_travel(seconds=seconds)

    # ------------------------------------------------------------ invariants

    @invariant()
    def registry_matches_model(self):
        registry = self.registry
        assert registry.totalSupply() == self.next_id - 1
        wallets = {}
        for agent_id in self.agents:
            assert norm(registry.ownerOf(agent_id)) == self.owner[agent_id]
            wallet = norm(registry.getAgentWallet(agent_id))
            assert wallet == self.agent_wallet(agent_id), agent_id
            wallets[agent_id] = wallet
            status = registry.statusOf(agent_id)
            assert status == self.status[agent_id]
            assert registry.isActive(agent_id) is (status == ACTIVE)
        assert registry.isActive(self.next_id) is False

        for actor in ACTORS:
            assert registry.balanceOf(actor) == sum(
                o == actor for o in self.owner.values()
            )

        # Reverse lookup, both ways, from the contract's own answers.
        for account in WALLETS:
            wallet = account.address.lower()
            agent_id = registry.agentOfWallet(wallet)
            assert agent_id == self.index.get(wallet, 0)
            if agent_id != 0:
                assert wallets[agent_id] == wallet
        for agent_id, wallet in self.wallet.items():
            assert self.index[wallet] == agent_id
        # A proved wallet backs one agent only.
        assert len(set(self.wallet.values())) == len(self.wallet)


def test_registry_state_machine():
    registry = boa.load_partial(str(REGISTRY_SOURCE)).deploy()
    stats = Stats()
    # Hypothesis treats `stateful_step_count` as a maximum and, while mutating
    # earlier examples, also ends runs early; `full_length` discards the runs
    # shorter than STEPS (Hypothesis draws others), so every run that counts
    # is exactly STEPS steps long. The assertion below notices if that ever
    # stops working.
    machine = full_length(RegistryMachine)
    run_state_machine_as_test(lambda: machine(registry, stats), settings=SETTINGS)

    total_ok = sum(stats.ok.values())
    total = total_ok + sum(stats.reverted.values())
    print(
        f"\nregistry machine: {stats.examples} examples, {total} calls, "
        f"{total_ok} succeeded; {stats.delegated} authorisation checks passed "
        "by an operator or approved address"
    )
    for key in sorted({*stats.ok, *stats.reverted}):
        print(f"  {key}: {stats.ok.get(key, stats.reverted.get(key))}")

    # The run was as long as promised ...
    full = [n for n in stats.steps if n >= STEPS]
    assert len(full) >= MAX_EXAMPLES, (len(full), stats.examples)
    # ... and did real work: every kind of change succeeded, and every kind
    # of refusal happened (summed over rules; each is common in a run).
    for name in [
        "register",
        "transfer",
        "approve",
        "setAgentWallet",
        "unsetAgentWallet",
        "retire",
    ]:
        assert stats.ok.get(name, 0) > 0, name

    assert stats.delegated > 0

    def refusals(reason: str) -> int:
        return sum(
            n for key, n in stats.reverted.items() if key.endswith(f": {reason}")
        )

    for reason in [
        "registry: not authorized",
        "erc721: caller is not token owner or approved",
        "registry: agent retired",
        "registry: wallet taken",
        "registry: proof used",
        "registry: bad wallet proof",
        "registry: proof expired",
    ]:
        assert refusals(reason) > 0, reason
