"""Rule-based state machine for the session layer (Hypothesis on titanoboa).

One AgentRegistry (four agents: three of an agent owner, one registered by
account A), one SessionManager (plus a second one for the cross-manager
checks) and its SessionView, two deployed AgentAccounts A and B of one owner
bound to the manager (and a third, C, bound to the second manager), a Target
and two ERC-20 tokens funded into the accounts, three session keys. Grants
are drawn from templates (permissions on Target.poke with EQ / NE / LE / GE /
ONE_OF conditions, token transfer / approve / increaseAllowance /
transferFrom with capped, refilling budgets, plain ETH sends, native budgets,
call limits, intervals, windows, epochs, and malformed grants), bound to an
agent generation (usually the current one, sometimes a stale or future one)
and to a session key (a plain key, the agent's wallet or its owner), with
the agent's consent (its owner signs the grant hash: ECDSA, or ERC-1271 when
the owner is account A; or its wallet signs; or none, or a wrong signer;
implied when the key is the agent's wallet or the account its owner or
wallet), and issued either off-chain (the owner signs
`account.hashMessage(grantHash)`; the pair abi.encode(signature, consent)
travels with the first use) or on-chain (`account.execute(manager, 0,
issue(grant, consent))`). Random sequences then execute single calls,
batches and relayed requests, move time, revoke, revokeAll, renounce, pause /
resume / retire and transfer agents (a new generation), set (with an
EIP-712 / ERC-1271 proof) and unset agent wallets, read `grantState` and
change the maximum session length.

`sessions_model.py` mirrors the manager (state words, budgets, epochs) and
the world the calls touch (ETH, token balances and allowances,
Target.count). For every attempt the model predicts allow / refuse and the
test asserts the contract agrees; after every step the chain (read straight
from storage, plus `stateOf`) must equal the model.

Invariants (docs/sessions.md):

- S1 nothing executes outside the grant's permissions (target, selector,
  maxValue, argument conditions), alone, in a batch or relayed: predicted
  allow / refuse must match exactly; every executed call is re-checked
  against the grant's permissions; a refused attempt changes nothing
  (Target.count, ETH, token balances and allowances, manager storage and
  `stateOf`).
- S2 budgets: ETH actually leaving the account per grant stays within
  `nativeBudget` and each call's value within its permission's `maxValue`;
  tokens actually moved or approved (balance decreases of any holder plus
  allowance increases given by the account) per grant, token and period
  (index = (now - validAfter) // period) stay within the cap; executed calls
  stay within `maxCalls`; calls of a grant with `minInterval` are single and
  at least that far apart. `tokenAllowance` and `stateOf` agree with the
  model after every execution.
- S3 nothing executes before validAfter or after validUntil (both
  inclusive), after revoke / revokeAll / renounce, while the agent is not
  Active, or after the agent changed hands (its generation is not the
  grant's): checked on every success from the test's own record of those
  events (not from the model). The registry's generationOf /
  activeGeneration / consentSigners agree with that record after every
  registry step, and `grantState` (status 8: agent changed hands) with the
  model.
- S4 grants and requests are bound to chain, manager and account: relayed
  requests are replayed (nonce), grants and requests are tried under
  another chain id, against a second manager, and with the other account's
  address; all must be refused and change nothing, while the same attempt
  re-signed for that domain (positive control, rolled back) does what the
  model predicts.
- S5 a grant acts in an agent's name only with that agent's consent: every
  activation that goes through (first use or `issue`) is checked against
  the test's record of the agent's owner and wallet at that moment and the
  consent presented (who signed which digest).

Speed: the contracts are deployed once per test; every example runs inside
a `boa.env.anchor()` entered in `__init__` and left in `teardown()`, so each
example starts from the fresh deployment. State is compared with raw
storage reads (layouts taken from the compiler), signatures are cached.

Profiles (`profile.py`): by default 200 examples x 30 steps from a fixed
seed; `CHARTER_FUZZ=random` draws new sequences, `CHARTER_FUZZ=long` runs
2,000 examples x 60 steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import boa
from boa.util.abi import Address
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

from unit.helpers import deploy_session_manager

from .profile import MAX_EXAMPLES, SETTINGS, STEPS, full_length
from .sessions_model import (
    ACTIVE,
    APPROVE,
    DEFAULT_MAX_SESSION,
    EMPTY_SELECTOR,
    FAIL,
    GRANT_ABI,
    INCREASE_ALLOWANCE,
    MASK_48,
    MASK_64,
    MAX_SESSION_CEILING,
    NO_SIG,
    OP_EQ,
    OP_GE,
    OP_LE,
    OP_NE,
    OP_ONE_OF,
    POKE,
    REVOKED,
    TRANSFER,
    TRANSFER_FROM,
    UNKNOWN,
    ZERO,
    Agent,
    Attempt,
    Call,
    Condition,
    Config,
    Context,
    Grant,
    GrantSig,
    Permission,
    Sig,
    TokenBudget,
    Word,
    World,
    account_message,
    calldata,
    consent_refusal,
    find_permission,
    grant_status,
    norm,
    period_index,
    predict,
    predict_issue,
    request_digest,
    sel,
    wallet_set_digest,
    word_arg,
)

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
MOCKS = ROOT / "tests" / "mocks"


# ---------------------------------------------------------------- actors

OWNER = Account.from_key(keccak(text="charter-sessions-owner"))
KEYS = [Account.from_key(keccak(text=f"charter-sessions-key-{i}")) for i in range(3)]
# Agent owners (they sign consents), a wallet key for the agents and a
# stranger (wrong consents, wallet proofs and registry calls).
AGENT_OWNER_KEY, AGENT_OWNER2_KEY, WALLET_KEY, STRANGER_KEY = (
    Account.from_key(keccak(text=f"charter-sessions-{x}"))
    for x in ["agent-owner", "agent-owner-2", "agent-wallet", "stranger"]
)
KEY_OF = {
    norm(k.address): k
    for k in [OWNER, *KEYS, AGENT_OWNER_KEY, AGENT_OWNER2_KEY, WALLET_KEY, STRANGER_KEY]
}


def fixed_address(label: str) -> str:
    return "0x" + keccak(text=f"charter-sessions-{label}")[-20:].hex()


R1, R2, FRIEND, RELAYER = (fixed_address(x) for x in ["r1", "r2", "friend", "relayer"])
OWNER_EOA = norm(OWNER.address)
AGENT_OWNER, AGENT_OWNER2, WALLET, STRANGER = (
    norm(k.address) for k in (AGENT_OWNER_KEY, AGENT_OWNER2_KEY, WALLET_KEY, STRANGER_KEY)
)
ACTIVE_AGENT, PAUSED_AGENT, RETIRED_AGENT = 0, 1, 2
AGENTS = [1, 2, 3, 4]  # 1-3 registered by AGENT_OWNER, 4 by account A
ACCOUNT_AGENT = 4
UNKNOWN_AGENT = 99
# Agents that start with a proved wallet (1 and 4 start with their owner as wallet).
INITIAL_WALLETS = {2: WALLET, 3: "B"}
# The agent's consent a grant is made with (see `SessionMachine.consent_sig`).
CONSENTS = ["owner"] * 10 + ["none", "wrong", "key", "wallet", "wallet"]

# ---------------------------------------------------------------- pools

UINTS = [0, 1, 7, 10, 11, 100, 2**255, 2**256 - 1]
AMOUNTS = [0, 1, 10, 49, 50, 51, 100, 200, 1_000, 2**128]
VALUES = [0, 0, 0, 0, 0, 1, 5, 10, 100, 1_000]
MAX_VALUES = [0, 0, 5, 100, 2**256 - 1]
CAPS = [0, 1, 50, 100, 400]
PERIODS = [0, 0, 30, 60, 600]
ADDRESS_SLOTS = ["r1", "r2", "self", "friend", "target"]

# Permission templates: (target name, selector).
PERMS = [
    ("target", POKE),
    ("target", EMPTY_SELECTOR),
    ("t1", TRANSFER),
    ("t1", APPROVE),
    ("t1", INCREASE_ALLOWANCE),
    ("t1", TRANSFER_FROM),
    ("t2", TRANSFER),
    ("t2", APPROVE),
    ("r1", EMPTY_SELECTOR),
    ("target", FAIL),
]
# Grant defects that activation must refuse.
DEFECTS = [
    "self_target", "manager_target", "registry_target", "forbidden_selector",
    "zero_target", "no_permissions", "duplicate_permission", "bad_condition_permission",
    "bad_condition_op", "zero_token", "duplicate_token", "key_is_account",
]  # fmt: skip
# Calls outside any template (nearly always refused by the manager).
STRAY_CALLS = [
    ("target", POKE),
    ("target", EMPTY_SELECTOR),
    ("t1", TRANSFER),
    ("t2", TRANSFER_FROM),
    ("r1", EMPTY_SELECTOR),
    ("self", sel("execute(address,uint256,bytes)")),
    ("manager", sel("revokeAll()")),
    ("registry", sel("pause(uint256)")),
    ("t1", bytes.fromhex("deadbeef")),
    ("r2", EMPTY_SELECTOR),
]
ARG_TYPES = {
    POKE: ["uint", "address", "uint"],
    TRANSFER: ["address", "amount"],
    APPROVE: ["address", "amount"],
    INCREASE_ALLOWANCE: ["address", "amount"],
    TRANSFER_FROM: ["address", "address", "amount"],
}


def grant_spec(good: bool = False):
    """A grant template as small picks; materialised against the current
    time and epoch by the machine."""
    if good:
        return st.fixed_dictionaries(
            {
                "account": st.just("A"),
                # each agent's consent works for A: 1 and 2 by their owner's
                # signature (or held key / wallet), 3 through its wallet B
                # (ERC-1271), 4 because A owns it
                "agent": st.sampled_from([1, 1, 2, 3, ACCOUNT_AGENT]),
                "generation": st.just(0),
                "key": st.sampled_from([0, 1, 2, 3, 4]),
                "after": st.sampled_from([-60, 0]),
                "length": st.sampled_from([3_600, 86_400]),
                "epoch": st.just(0),
                "max_calls": st.sampled_from([0, 0, 6]),
                "min_interval": st.just(0),
                "native": st.sampled_from([150, 2**128 - 1]),
                "perms": st.lists(
                    st.tuples(st.integers(0, 8), st.sampled_from(MAX_VALUES)),
                    min_size=2,
                    max_size=4,
                    unique_by=lambda t: t[0],
                ),
                "conditions": st.lists(
                    st.tuples(
                        st.integers(0, 3), st.integers(0, 2), st.integers(0, 4), st.integers(0, 99)
                    ),
                    max_size=2,
                ),
                "budgets": st.lists(
                    st.tuples(st.sampled_from(["t1", "t2"]), st.sampled_from(CAPS[2:]), st.sampled_from(PERIODS)),
                    max_size=2,
                    unique_by=lambda t: t[0],
                ),
                "defect": st.none(),
                "mode": st.sampled_from(["offchain", "onchain"]),
                "consent": st.sampled_from(["owner", "owner", "wallet"]),
            }
        )
    return st.fixed_dictionaries(
        {
            "account": st.sampled_from(["A"] * 6 + ["B"] * 3 + ["eoa"]),
            "agent": st.sampled_from([1, 1, 1, 2, 2, 3, 3, ACCOUNT_AGENT, ACCOUNT_AGENT, UNKNOWN_AGENT]),
            # offset from the agent's current generation
            "generation": st.sampled_from([0] * 12 + [-1, 1]),
            # 0-2: KEYS, 3: the agent's wallet, 4: the agent's owner
            "key": st.sampled_from([0, 0, 1, 1, 2, 3, 3, 4]),
            "after": st.sampled_from([-600, -60, -1, 0, 0, 0, 5, 120]),
            "length": st.sampled_from(
                [0, 1, 60, 600, 3_600, 86_400, 7 * 86_400, 7 * 86_400 + 1, 30 * 86_400]
            ),
            "epoch": st.sampled_from([0] * 10 + [-1, 1]),
            "max_calls": st.sampled_from([0, 0, 0, 1, 2, 3, 6]),
            "min_interval": st.sampled_from([0, 0, 0, 0, 10, 100]),
            "native": st.sampled_from([0, 10, 150, 2**128 - 1]),
            "perms": st.lists(
                st.tuples(st.integers(0, len(PERMS) - 1), st.sampled_from(MAX_VALUES)),
                min_size=1,
                max_size=4,
                unique_by=lambda t: t[0],
            ),
            # (permission slot, argument index, op (5: ONE_OF with two
            # alternatives), value pick)
            "conditions": st.lists(
                st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 5), st.integers(0, 99)),
                max_size=4,
            ),
            "budgets": st.lists(
                st.tuples(st.sampled_from(["t1", "t1", "t2"]), st.sampled_from(CAPS), st.sampled_from(PERIODS)),
                max_size=2,
                unique_by=lambda t: t[0],
            ),
            "defect": st.sampled_from([None] * 16 + DEFECTS),
            "mode": st.sampled_from(["offchain"] * 3 + ["onchain"] * 2 + ["onchain_other"]),
            "consent": st.sampled_from(CONSENTS),
        }
    )


# (kind, permission pick, value pick, arg picks a b c, shape)
CALL = st.tuples(
    st.integers(0, 19),
    st.integers(0, 7),
    st.integers(0, len(VALUES) - 1),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 19),
)
GRANT_PICK = st.integers(0, 99)

# ---------------------------------------------------------------- signatures

_SIGNATURES: dict[tuple[str, bytes], bytes] = {}


def sign(account, digest: bytes) -> Sig:
    """A signature by `account` of `digest` (cached: examples repeat)."""
    key = (norm(account.address), digest)
    if key not in _SIGNATURES:
        _SIGNATURES[key] = bytes(Account.unsafe_sign_hash(digest, account.key).signature)
    return Sig(key[0], digest, _SIGNATURES[key])


# ---------------------------------------------------------------- deployment


@dataclass
class Deployment:
    registry: object
    manager: object
    manager2: object
    accounts: dict[str, object]  # "A", "B", "C"
    target: object
    t1: object
    t2: object
    chain_id: int
    view: object  # the SessionView of `manager`
    wallet_deadline: int  # of the proofs that set the initial wallets of agents 2 and 3

    def addr(self, name: str) -> str:
        return {
            "registry": norm(self.registry.address),
            "manager": norm(self.manager.address),
            "manager2": norm(self.manager2.address),
            "target": norm(self.target.address),
            "t1": norm(self.t1.address),
            "t2": norm(self.t2.address),
            "A": norm(self.accounts["A"].address),
            "B": norm(self.accounts["B"].address),
            "C": norm(self.accounts["C"].address),
            "eoa": OWNER_EOA,
            "r1": R1,
            "r2": R2,
            "friend": FRIEND,
            "zero": ZERO,
        }[name]


def deploy() -> Deployment:
    registry = boa.load_partial(str(CONTRACTS / "AgentRegistry.vy")).deploy()
    manager = deploy_session_manager(registry.address)
    manager2 = deploy_session_manager(registry.address)
    view = boa.load_partial(str(CONTRACTS / "SessionView.vy")).deploy(manager.address)
    account_deployer = boa.load_partial(str(CONTRACTS / "AgentAccount.vy"))
    accounts = {
        "A": account_deployer.deploy(OWNER.address, manager.address),
        "B": account_deployer.deploy(OWNER.address, manager.address),
        "C": account_deployer.deploy(OWNER.address, manager2.address),
    }
    target = boa.load_partial(str(MOCKS / "Target.vy")).deploy()
    tokens = boa.load_partial(str(MOCKS / "Token.vy"))
    t1, t2 = tokens.deploy(), tokens.deploy()
    with boa.env.prank(AGENT_OWNER):
        for _ in AGENTS[:-1]:
            registry.register()
    with boa.env.prank(OWNER.address):  # account A registers an agent of its own
        accounts["A"].execute(registry.address, 0, sel("register()"))
    assert registry.ownerOf(ACCOUNT_AGENT) == accounts["A"].address
    # Proved wallets: agent 2 a plain key, agent 3 account B (ERC-1271).
    chain_id = boa.env.evm.patch.chain_id
    deadline = boa.env.timestamp + 60
    b = norm(accounts["B"].address)
    for agent, wallet in INITIAL_WALLETS.items():
        address = b if wallet == "B" else wallet
        digest = wallet_set_digest(chain_id, norm(registry.address), agent, address, AGENT_OWNER, deadline)
        if wallet == "B":
            proof = sign(OWNER, account_message(chain_id, b, digest))
        else:
            proof = sign(KEY_OF[wallet], digest)
        with boa.env.prank(AGENT_OWNER):
            registry.setAgentWallet(agent, address, deadline, proof.raw)
    for name, eth, one, two in [("A", 1_000, 500, 500), ("B", 1_000, 500, 300), ("C", 1_000, 500, 0)]:
        account = accounts[name]
        boa.env.set_balance(account.address, eth)
        t1.mint(account.address, one)
        if two:
            t2.mint(account.address, two)
    t1.mint(FRIEND, 300)
    t2.mint(FRIEND, 100)
    with boa.env.prank(FRIEND):
        t1.approve(accounts["A"].address, 200)
        t1.approve(accounts["B"].address, 100)
        t2.approve(accounts["A"].address, 50)
    return Deployment(
        registry, manager, manager2, accounts, target, t1, t2, chain_id, view, deadline
    )


# ---------------------------------------------------------------- storage


def _key(value) -> bytes:
    if isinstance(value, bytes):
        return value.rjust(32, b"\x00")
    return bytes.fromhex(norm(value)[2:]).rjust(32, b"\x00")


def map_slot(base: int, *keys) -> int:
    """Vyper HashMap slot: keccak256(slot ++ key), nested."""
    slot = base
    for k in keys:
        slot = int.from_bytes(keccak(slot.to_bytes(32, "big") + _key(k)), "big")
    return slot


def layout(contract) -> dict[str, int]:
    return {
        name: entry["slot"]
        for name, entry in contract.compiler_data.storage_layout["storage_layout"].items()
    }


# ---------------------------------------------------------------- records


@dataclass
class GrantRecord:
    grant: Grant
    hash: bytes  # on the manager, home chain
    sig: Sig  # the owner's valid off-chain signature
    mode: str
    defect: str | None
    created_epoch: int  # the account's epoch when the grant was made
    consent: Sig  # the agent's consent as made (see `consent_kind`)
    consent_kind: str
    bad_sigs: dict[str, Sig] = field(default_factory=dict)


@dataclass
class AgentRecord:
    """The test's record of an agent in the registry."""

    owner: str
    status: int = ACTIVE_AGENT
    generation: int = 1  # one more on every transfer
    default_wallet: bool = True  # the owner is the wallet until one is proved or the agent moves
    wallet: str = ZERO  # a proved wallet

    @property
    def current_wallet(self) -> str:
        return self.owner if self.default_wallet else self.wallet


@dataclass
class Ledger:
    """What actually left the accounts, per grant (S2), from chain diffs."""

    native: dict[bytes, int] = field(default_factory=dict)
    calls: dict[bytes, int] = field(default_factory=dict)
    last: dict[bytes, int] = field(default_factory=dict)
    tokens: dict[tuple[bytes, str, int], int] = field(default_factory=dict)


@dataclass
class Stats:
    examples: int = 0
    steps: list[int] = field(default_factory=list)
    ok: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict, key: str) -> None:
        bucket[key] = bucket.get(key, 0) + 1

    def event(self, key: str) -> None:
        self.count(self.events, key)


def reason_key(reason: str) -> str:
    return re.sub(r"\d+", "N", reason.split(":")[0])


# ---------------------------------------------------------------- machine


class SessionMachine(RuleBasedStateMachine):
    def __init__(self, d: Deployment, stats: Stats, base: dict):
        super().__init__()
        self.d = d
        self.stats = stats
        stats.examples += 1
        stats.steps.append(0)
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.evm = boa.env.evm
        self.home_chain = d.chain_id
        a = d.addr
        self.A, self.B, self.C = a("A"), a("B"), a("C")
        self.manager, self.manager2 = a("manager"), a("manager2")
        self.ctx = Context(
            registry=a("registry"),
            target=a("target"),
            tokens=(a("t1"), a("t2")),
            eoas=frozenset({R1, R2}),
            contracts=frozenset(
                {self.A, self.B, self.C, a("target"), a("t1"), a("t2"), self.manager, self.manager2, a("registry")}
            ),
            owner_of={self.A: OWNER_EOA, self.B: OWNER_EOA, self.C: OWNER_EOA},
        )
        self.slots = base["slots"]
        self.fixed_reads = base["fixed_reads"]
        # model
        self.world: World = base["world"].copy()
        self.words: dict[tuple[str, bytes], Word] = {}
        self.spent: dict[tuple[bytes, str], tuple[int, int]] = {}
        self.config: dict[str, Config] = {x: Config() for x in (self.A, self.B, OWNER_EOA)}
        self.agents = {agent: AgentRecord(AGENT_OWNER) for agent in AGENTS}
        self.agents[ACCOUNT_AGENT] = AgentRecord(self.A)
        self.wallet_bound: dict[str, int] = {}  # proved wallet -> agent
        self.wallet_deadline: dict[str, int] = {}  # wallet -> deadline of its last accepted proof
        for agent, wallet in INITIAL_WALLETS.items():
            address = self.B if wallet == "B" else wallet
            self.agents[agent].wallet, self.agents[agent].default_wallet = address, False
            self.wallet_bound[address] = agent
            self.wallet_deadline[address] = d.wallet_deadline
        # the agent's generation when a grant became active (S3: a transfer voids it)
        self.activated_generation: dict[tuple[str, bytes], int] = {}
        # the test's own record (S2, S3)
        self.grants: list[GrantRecord] = []
        self.ledger = Ledger()
        self.dead: dict[tuple[str, bytes], str] = {}  # revoked or renounced
        self.revoke_all_at: dict[str, list[int]] = {x: [] for x in self.config}
        self.relays: list[tuple[str, Attempt]] = []
        self.salt = 0
        self._snap: dict | None = None

    def teardown(self):
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def step(self) -> None:
        self.stats.steps[-1] += 1

    @property
    def now(self) -> int:
        return boa.env.timestamp

    def account_contract(self, account: str):
        return {self.A: self.d.accounts["A"], self.B: self.d.accounts["B"]}[account]

    def agent_view(self, agent_id: int) -> Agent:
        """The registry as the manager reads it (from the test's record)."""
        rec = self.agents.get(agent_id)
        if rec is None:
            return UNKNOWN
        active = rec.generation if rec.status == ACTIVE_AGENT else 0
        return Agent(rec.owner, rec.current_wallet, active)

    def pick(self, g: int) -> GrantRecord:
        return self.grants[g % len(self.grants)]

    def word(self, account: str, grant_hash: bytes) -> Word:
        return self.words.get((account, grant_hash), Word())

    def spent_of(self, grant_hash: bytes) -> dict[str, tuple[int, int]]:
        return {
            token: self.spent[(grant_hash, token)]
            for token in self.ctx.tokens
            if (grant_hash, token) in self.spent
        }

    def address_of(self, slot: str, account: str) -> str:
        return {"r1": R1, "r2": R2, "self": account, "friend": FRIEND, "target": self.ctx.target}[slot]

    def name_to_address(self, name: str, account: str) -> str:
        if name == "self":
            return account
        return self.d.addr(name)

    # ------------------------------------------------------------ snapshots

    def read(self, address: str, slot: int) -> int:
        return self.evm.get_storage(Address(address), slot)

    def tracked_grants(self) -> tuple[set, set]:
        words = set(self.words)
        spent = set(self.spent)
        for rec in self.grants:
            words.add((rec.grant.account, rec.hash))
            for b in rec.grant.budgets:
                if b.token in self.ctx.tokens:
                    spent.add((rec.hash, b.token))
        return words, spent

    def snapshot(self) -> dict:
        """Everything a session call or a manager call can change, read from
        storage."""
        if self._snap is not None:
            return self._snap
        snap = {key: self.read(address, slot) for key, address, slot in self.fixed_reads}
        for _key, address in (("eth", x) for x in (self.A, self.B, self.C, self.ctx.target, R1, R2)):
            snap[("eth", address)] = boa.env.get_balance(address)
        words, spent = self.tracked_grants()
        g, s, acc = self.slots["_grants"], self.slots["_spent"], self.slots["_accounts"]
        for account, grant_hash in words:
            snap[("word", account, grant_hash)] = self.read(self.manager, map_slot(g, account, grant_hash))
        for grant_hash, token in spent:
            snap[("spent", grant_hash, token)] = self.read(self.manager, map_slot(s, grant_hash, token))
        for account in self.config:
            raw = self.read(self.manager, map_slot(acc, account))
            snap[("epoch", account)] = raw & MASK_64
            snap[("maxlen", account)] = (raw >> 64) & MASK_48
        self._snap = snap
        return snap

    def expected(self) -> dict:
        """The same view, from the model."""
        exp = {("count",): self.world.count}
        for key, _, _ in self.fixed_reads:
            if key[0] == "bal":
                exp[key] = self.world.bal.get(key[1:], 0)
            elif key[0] == "allow":
                exp[key] = self.world.allow.get(key[1:], 0)
        for address in (self.A, self.B, self.C, self.ctx.target, R1, R2):
            exp[("eth", address)] = self.world.eth.get(address, 0)
        words, spent = self.tracked_grants()
        for account, grant_hash in words:
            exp[("word", account, grant_hash)] = self.word(account, grant_hash).pack()
        for grant_hash, token in spent:
            period, amount = self.spent.get((grant_hash, token), (0, 0))
            exp[("spent", grant_hash, token)] = period << 128 | amount
        for account, config in self.config.items():
            exp[("epoch", account)] = config.epoch
            exp[("maxlen", account)] = config.max_length
        return exp

    def changed(self) -> None:
        self._snap = None

    # ------------------------------------------------------------ transactions

    def send(self, sender: str, fn, *args) -> bool:
        self.changed()
        with boa.env.prank(sender):
            try:
                fn(*args)
            except boa.BoaError:
                return False
        return True

    def as_owner(self, account: str, fn_name: str, data: bytes, direct_args: tuple) -> bool:
        """The account calls the manager: a deployed account through
        `execute` by its owner, the plain owner address directly."""
        if account == OWNER_EOA:
            return self.send(OWNER_EOA, getattr(self.d.manager, fn_name), *direct_args)
        return self.send(OWNER_EOA, self.account_contract(account).execute, self.manager, 0, data)

    # ------------------------------------------------------------ grants

    def make_grant(self, spec: dict) -> tuple[Grant, str | None]:
        account = {"A": self.A, "B": self.B, "eoa": OWNER_EOA}[spec["account"]]
        now = self.now
        after = max(now + spec["after"], 0)
        config = self.config[account]
        epoch = max(config.epoch + spec["epoch"], 0)
        permissions = []
        for index, max_value in spec["perms"]:
            name, selector = PERMS[index]
            permissions.append(Permission(self.name_to_address(name, account), selector, max_value))
        conditions = []
        for slot, index, op, pick in spec["conditions"]:
            p = slot % max(len(permissions), 1)
            values = self.condition_pool(permissions[p].selector if permissions else b"", index, account)
            value = values[pick % len(values)]
            if op == 5:  # ONE_OF with two alternatives
                conditions.append(Condition(p, index, OP_ONE_OF, value))
                conditions.append(Condition(p, index, OP_ONE_OF, values[(pick + 1) % len(values)]))
            else:
                conditions.append(Condition(p, index, op, value))
        budgets = [TokenBudget(self.d.addr(t), cap, period) for t, cap, period in spec["budgets"]]
        agent = self.agents.get(spec["agent"])
        generation = max((agent.generation if agent else 0) + spec["generation"], 0)
        if spec["key"] < 3:
            key = norm(KEYS[spec["key"]].address)
        else:  # the agent's wallet (3) or owner (4), when there is one and it is not the account
            holder = ZERO if agent is None else agent.current_wallet if spec["key"] == 3 else agent.owner
            key = holder if holder not in (ZERO, account) else norm(KEYS[0].address)
        defect = spec["defect"]
        if defect == "self_target":
            permissions.append(Permission(account, POKE, 0))
        elif defect == "manager_target":
            permissions.append(Permission(self.manager, sel("revokeAll()"), 0))
        elif defect == "registry_target":
            permissions.append(Permission(self.ctx.registry, sel("pause(uint256)"), 0))
        elif defect == "forbidden_selector":
            permissions.append(Permission(self.ctx.target, sel("execute(address,uint256,bytes)"), 0))
        elif defect == "zero_target":
            permissions.append(Permission(ZERO, POKE, 0))
        elif defect == "no_permissions":
            permissions, conditions = [], []
        elif defect == "duplicate_permission":
            permissions.append(Permission(permissions[0].target, permissions[0].selector, 1))
        elif defect == "bad_condition_permission":
            conditions.append(Condition(len(permissions), 0, OP_EQ, 0))
        elif defect == "bad_condition_op":
            conditions.append(Condition(0, 0, OP_ONE_OF + 1, 0))
        elif defect == "zero_token":
            budgets.append(TokenBudget(ZERO, 10, 0))
        elif defect == "duplicate_token":
            budgets.append(TokenBudget(self.ctx.tokens[0], 10, 0))
            budgets.append(TokenBudget(self.ctx.tokens[0], 20, 0))
        elif defect == "key_is_account":
            key = account
        self.salt += 1
        grant = Grant(
            account=account,
            agent_id=spec["agent"],
            agent_generation=generation,
            session_key=key,
            valid_after=after,
            valid_until=after + spec["length"],
            epoch=epoch,
            max_calls=spec["max_calls"],
            min_interval=spec["min_interval"],
            native_budget=spec["native"],
            salt=keccak(self.salt.to_bytes(32, "big")),
            permissions=tuple(permissions[:8]),
            conditions=tuple(conditions[:8]),
            budgets=tuple(budgets[:4]),
        )
        return grant, defect

    def condition_pool(self, selector: bytes, index: int, account: str) -> list[int]:
        types = ARG_TYPES.get(selector, [])
        kind = types[index] if index < len(types) else "uint"
        if kind == "address":
            return [int(self.address_of(s, account), 16) for s in ADDRESS_SLOTS]
        if kind == "amount":
            return AMOUNTS
        return UINTS

    def owner_sig(self, grant: Grant, chain_id: int, manager: str) -> Sig:
        """The account's valid signature of `grant` for that domain."""
        digest = grant.digest(chain_id, manager)
        if grant.account == OWNER_EOA:
            return sign(OWNER, digest)
        return sign(OWNER, account_message(chain_id, grant.account, digest))

    def sign_as(self, signer: str, digest: bytes, chain_id: int) -> Sig:
        """`signer`'s approval of `digest`: a deployed account's owner signs
        the account's wrapper (ERC-1271), a key the digest itself."""
        if signer in self.ctx.owner_of:
            return sign(OWNER, account_message(chain_id, signer, digest))
        if signer in KEY_OF:
            return sign(KEY_OF[signer], digest)
        return NO_SIG

    def consent_sig(self, kind: str, grant: Grant, chain_id: int, manager: str) -> Sig:
        """The agent's consent to `grant` for that domain, made now: its
        owner's (the common case) or wallet's signature of the grant digest,
        none, a stranger's, or the session key's own."""
        agent = self.agents.get(grant.agent_id)
        signer = {
            "owner": agent.owner if agent else AGENT_OWNER,
            "wallet": agent.current_wallet if agent else ZERO,
            "key": grant.session_key,
            "wrong": STRANGER,
            "none": ZERO,
        }[kind]
        if signer == ZERO:
            return NO_SIG
        return self.sign_as(signer, grant.digest(chain_id, manager), chain_id)

    def consent_basis(self, grant: Grant, consent: Sig) -> str | None:
        """S5, from the test's record of the agent (owner, wallet) now and
        who signed what: why the agent consents to this grant, or None."""
        agent = self.agents.get(grant.agent_id)
        if agent is None:
            return None
        owner, wallet = agent.owner, agent.current_wallet
        if wallet != ZERO and grant.session_key == wallet:
            return "key is the agent wallet" + (" (its owner)" if agent.default_wallet else "")
        if grant.account == owner:
            return "account is the agent owner"
        if wallet != ZERO and grant.account == wallet:
            return "account is the agent wallet"
        digest = grant.digest(self.home_chain, self.manager)
        for who, signer in (("owner", owner), ("wallet", wallet)):
            if signer == ZERO:
                continue
            if consent.signer == signer and consent.digest == digest:
                return f"{who} signed"
            if signer in self.ctx.owner_of and consent.signer == self.ctx.owner_of[signer]:
                if consent.digest == account_message(self.home_chain, signer, digest):
                    return f"{who} signed (ERC-1271)"
        return None

    def check_consent(self, grant: Grant, consent: Sig) -> None:
        basis = self.consent_basis(grant, consent)
        assert basis is not None, "S5: a grant was activated without its agent's consent"
        self.stats.event(f"activation consent: {basis}")

    def issue(self, grant: Grant, through: str, consent: Sig) -> bool:
        """`issue(grant, consent)` sent by `through` (via its owner); returns
        success and updates the model."""
        grant_hash = grant.digest(self.home_chain, self.manager)
        reason = predict_issue(
            grant, consent, through, self.word(grant.account, grant_hash),
            self.config[grant.account], self.manager, self.ctx,
            agent=self.agent_view(grant.agent_id), chain_id=self.home_chain,
        )  # fmt: skip
        data = calldata(f"issue({GRANT_ABI},bytes)", [GRANT_ABI, "bytes"], [grant.as_abi(), consent.raw])
        ok = self.as_owner(through, "issue", data, (grant.as_abi(), consent.raw))
        assert ok == (reason is None), ("issue", reason)
        if ok:
            self.check_consent(grant, consent)
            agent = self.agents.get(grant.agent_id)
            if agent is not None:
                self.activated_generation[(grant.account, grant_hash)] = agent.generation
            self.words[(grant.account, grant_hash)] = Word(status=ACTIVE)
            self.stats.count(self.stats.ok, "issue")
        else:
            self.stats.count(self.stats.refused, f"issue: {reason}")
        return ok

    def add_grant(self, spec: dict) -> None:
        grant, defect = self.make_grant(spec)
        grant_hash = grant.digest(self.home_chain, self.manager)
        if len(self.grants) < 2:
            # The Python digest is the contract's (checked on a couple of grants per example).
            assert bytes(self.d.view.hashGrant(grant.as_abi())) == grant_hash
        consent = self.consent_sig(spec["consent"], grant, self.home_chain, self.manager)
        rec = GrantRecord(
            grant, grant_hash, self.owner_sig(grant, self.home_chain, self.manager),
            spec["mode"], defect, self.config[grant.account].epoch, consent, spec["consent"],
        )  # fmt: skip
        self.grants.append(rec)
        self.changed()
        if spec["mode"] == "onchain":
            self.issue(grant, grant.account, consent)
        elif spec["mode"] == "onchain_other":
            self.issue(grant, self.B if grant.account == self.A else self.A, consent)

    def presented_sig(self, rec: GrantRecord, pick: int) -> GrantSig:
        """Mostly the valid pair (account signature, agent consent);
        sometimes the bare account signature (not the pair), the session
        key's, or the owner's over the bare digest (no account wrapper)."""
        if pick < 7:
            return GrantSig(rec.sig, rec.consent)
        if pick == 7:
            return GrantSig(rec.sig, packed=False)
        if pick == 8:
            if "key" not in rec.bad_sigs:
                digest = account_message(self.home_chain, rec.grant.account, rec.hash)
                rec.bad_sigs["key"] = sign(KEYS[0], digest)
            return GrantSig(rec.bad_sigs["key"], rec.consent)
        if "bare" not in rec.bad_sigs:
            rec.bad_sigs["bare"] = sign(OWNER, rec.hash)
        return GrantSig(rec.bad_sigs["bare"], rec.consent)

    # ------------------------------------------------------------ calls

    def make_call(self, grant: Grant, spec: tuple) -> Call:
        kind, pick, value_pick, a, b, c, shape = spec
        account = grant.account
        if kind < 16 and grant.permissions:
            p = pick % len(grant.permissions)
            target, selector = grant.permissions[p].target, grant.permissions[p].selector
        else:
            p = None
            name, selector = (
                STRAY_CALLS[pick % len(STRAY_CALLS)] if kind < 18 else STRAY_CALLS[(pick + kind) % len(STRAY_CALLS)]
            )
            target = self.name_to_address(name, account)
        value = VALUES[value_pick]
        if selector == EMPTY_SELECTOR:
            data = b""
        elif selector == FAIL:
            data = calldata("fail(string)", ["string"], ["no"])
        elif selector in ARG_TYPES:
            words = []
            for index, (kind_, r) in enumerate(zip(ARG_TYPES[selector], (a, b, c), strict=False)):
                words.append(self.argument(grant, p, index, kind_, r, account))
            data = selector + b"".join(w.to_bytes(32, "big") for w in words)
        else:
            data = selector + (a * 7919).to_bytes(32, "big")
        if shape == 16 and len(data) >= 36:
            data = data[:-32]
        elif shape == 17:
            data = data + (UINTS[a % len(UINTS)]).to_bytes(32, "big")
        elif shape == 18:
            data = data[:2] if data else b"\x01\x02"
        elif shape == 19 and data:
            data = data[:4]
        return Call(target, value, data)

    def argument(self, grant: Grant, p: int | None, index: int, kind: str, r: int, account: str) -> int:
        """An argument: from a condition on it (sometimes just off its
        value), else from the pool for its type."""
        if p is not None and r < 60:
            matching = [cond for cond in grant.conditions if cond.permission == p and cond.index == index]
            if matching:
                cond = matching[r % len(matching)]
                # just off the value for numbers (LE / GE edges); addresses exact
                offset = 0 if kind == "address" else [0, 0, 0, -1, 1][r % 5]
                return min(max(cond.value + offset, 0), 2**256 - 1)
        if kind == "address":
            return int(self.address_of(ADDRESS_SLOTS[r % len(ADDRESS_SLOTS)], account), 16)
        if kind == "amount":
            return AMOUNTS[r % len(AMOUNTS)]
        return UINTS[r % len(UINTS)]

    # ------------------------------------------------------------ attempts

    def predict_home(self, attempt: Attempt):
        grant = attempt.grant
        grant_hash = grant.digest(self.home_chain, self.manager)
        config = self.config.get(grant.account, Config())
        return grant_hash, predict(
            attempt,
            now=self.now,
            chain_id=self.home_chain,
            manager=self.manager,
            word=self.word(grant.account, grant_hash),
            spent=self.spent_of(grant_hash),
            config=config,
            agent=self.agent_view(grant.agent_id),
            world=self.world,
            ctx=self.ctx,
        )

    def dispatch(self, manager, method: str, attempt: Attempt) -> bool:
        args = [attempt.grant.as_abi(), attempt.grant_sig.raw]
        if method == "execute":
            call = attempt.calls[0]
            args += [call.target, call.value, call.data]
        else:
            args.append([c.as_abi() for c in attempt.calls])
        if attempt.relay is not None:
            nonce, deadline, signature = attempt.relay
            args.append((nonce, deadline, signature.raw))
        return self.send(attempt.sender, getattr(manager, method), *args)

    def attempt(self, label: str, method: str, attempt: Attempt) -> bool:
        """Send an attempt on the home chain and manager; the contract must
        agree with the model, a refusal must change nothing, a success is
        checked against S1-S3 and the model is updated."""
        grant = attempt.grant
        grant_hash, outcome = self.predict_home(attempt)
        pre = dict(self.snapshot())
        state_before = self.d.manager.stateOf(grant.account, grant_hash)
        word_before = self.word(grant.account, grant_hash)
        now = self.now
        ok = self.dispatch(self.d.manager, method, attempt)
        assert ok == outcome.ok, (
            f"{label}: contract {'allowed' if ok else 'refused'}, model says {outcome.reason}",
            grant, attempt.calls, now,
        )  # fmt: skip
        state_after = self.d.manager.stateOf(grant.account, grant_hash)
        if not ok:
            self.stats.count(self.stats.refused, f"{label}: {reason_key(outcome.reason)}")
            if outcome.reason == "agent changed hands" and word_before.status == ACTIVE:
                if self.activated_generation.get((grant.account, grant_hash)) == grant.agent_generation:
                    # active and good before the agent was transferred
                    used = "used" if self.ledger.calls.get(grant_hash) else "issued"
                    self.stats.event(f"{used} grant voided by a transfer of its agent")
            self.changed()
            assert self.snapshot() == pre, f"{label}: a refused attempt changed state"
            assert state_after == state_before
            self.check_grant_state(grant, grant_hash)
            return False
        self.stats.count(self.stats.ok, label)
        if word_before.status != ACTIVE:
            # activated now (S5)
            self.check_consent(grant, attempt.grant_sig.consent)
            self.activated_generation[(grant.account, grant_hash)] = self.agents[grant.agent_id].generation
        # model update
        self.words[(grant.account, grant_hash)] = outcome.word
        for token, entry in outcome.spent.items():
            self.spent[(grant_hash, token)] = entry
        self.world = outcome.world
        assert state_after == outcome.word.pack()
        post = self.snapshot()
        self.check_success(attempt, grant_hash, pre, post, now)
        # the views the SDK uses agree with the model
        for budget in grant.budgets:
            if budget.token in self.ctx.tokens:
                period, spent = self.spent.get((grant_hash, budget.token), (0, 0))
                current = period_index(grant, budget, now)
                left = budget.cap - (spent if period == current else 0)
                assert self.d.view.tokenAllowance(grant.as_abi(), budget.token) == left
        self.check_grant_state(grant, grant_hash)
        return True

    def check_success(self, attempt: Attempt, grant_hash: bytes, pre: dict, post: dict, now: int) -> None:
        """S1-S3 for an execution that went through, from the test's own
        records and the chain's diffs (not from the model's prediction)."""
        grant = attempt.grant
        account = grant.account
        key = (account, grant_hash)
        # S3: window, revocation, epoch, agent
        assert grant.valid_after <= now <= grant.valid_until, "S3: outside the window"
        assert key not in self.dead, f"S3: executed after {self.dead.get(key)}"
        assert grant.epoch == self.config[account].epoch, "S3: epoch"
        agent = self.agents.get(grant.agent_id)
        assert agent is not None and agent.status == ACTIVE_AGENT, "S3: agent not active"
        assert agent.generation == grant.agent_generation, "S3: executed after its agent changed hands"
        if agent.generation > 1:
            self.stats.event("executed for a transferred agent's new generation")
        created = next((r for r in self.grants if r.hash == grant_hash), None)
        if created is not None and created.created_epoch < grant.epoch:
            # Signed for a future epoch: live only because of a later revokeAll.
            self.stats.event("future-epoch grant enabled by revokeAll")
        if now == grant.valid_after:
            self.stats.event("executed at validAfter")
        if now == grant.valid_until:
            self.stats.event("executed at validUntil")
        # S1: every call is allowed by a permission, its value and arguments
        for call in attempt.calls:
            p = find_permission(grant, call.target, call.data)
            assert p is not None, "S1: call outside the permissions"
            assert call.value <= grant.permissions[p].max_value, "S2: value over maxValue"
            one_of: dict[int, set[int]] = {}
            for cond in grant.conditions:
                if cond.permission == p and cond.op == OP_ONE_OF:
                    one_of.setdefault(cond.index, set()).add(cond.value)
            for cond in grant.conditions:
                if cond.permission != p:
                    continue
                arg = word_arg(call.data, cond.index)
                assert arg is not None, "S1: condition on a missing argument"
                assert {
                    OP_EQ: arg == cond.value,
                    OP_NE: arg != cond.value,
                    OP_LE: arg <= cond.value,
                    OP_GE: arg >= cond.value,
                    OP_ONE_OF: arg in one_of.get(cond.index, ()),
                }[cond.op], "S1: condition violated"
        # S2: calls, interval
        n = len(attempt.calls)
        self.ledger.calls[grant_hash] = self.ledger.calls.get(grant_hash, 0) + n
        if grant.max_calls:
            assert self.ledger.calls[grant_hash] <= grant.max_calls, "S2: over maxCalls"
        if grant.min_interval:
            assert n == 1, "S2: batch under minInterval"
            last = self.ledger.last.get(grant_hash)
            assert last is None or now - last >= grant.min_interval, "S2: too soon"
        self.ledger.last[grant_hash] = now
        # S2: native value actually sent
        eth_out = pre[("eth", account)] - post[("eth", account)]
        assert eth_out == sum(c.value for c in attempt.calls)
        self.ledger.native[grant_hash] = self.ledger.native.get(grant_hash, 0) + eth_out
        assert self.ledger.native[grant_hash] <= grant.native_budget, "S2: over nativeBudget"
        # S2: tokens actually moved or approved, per period
        for budget in grant.budgets:
            token = budget.token
            if token not in self.ctx.tokens:
                continue
            out = 0
            for k, before in pre.items():
                if k[0] == "bal" and k[1] == token:
                    out += max(0, before - post[k])
                elif k[0] == "allow" and k[1] == token and k[2] == account:
                    out += max(0, post[k] - before)
            period = period_index(grant, budget, now)
            entry = (grant_hash, token, period)
            if out and period > 0 and any(
                k[0] == grant_hash and k[1] == token and k[2] < period and v for k, v in self.ledger.tokens.items()
            ):
                self.stats.event("token budget refilled and spent again")
            self.ledger.tokens[entry] = self.ledger.tokens.get(entry, 0) + out
            assert self.ledger.tokens[entry] <= budget.cap, "S2: over token cap in a period"
            if out:
                self.stats.event("token outflow under a cap")

    # ------------------------------------------------------------ rules: grants

    @initialize(spec=grant_spec(good=True))
    def first_grant(self, spec):
        self.step()
        self.add_grant(spec)

    @precondition(lambda self: len(self.grants) < 7)
    @rule(spec=grant_spec())
    def new_grant(self, spec):
        self.step()
        self.add_grant(spec)

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK)
    def reissue(self, g):
        """Issue an existing grant on-chain (again)."""
        self.step()
        rec = self.pick(g)
        self.issue(rec.grant, rec.grant.account, rec.consent)

    # ------------------------------------------------------------ rules: execution

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK, call=CALL, who=st.integers(0, 9), sig=st.integers(0, 9))
    def execute(self, g, call, who, sig):
        self.step()
        rec = self.pick(g)
        sender = rec.grant.session_key if who < 8 else norm(KEYS[who % 3].address) if who == 8 else RELAYER
        attempt = Attempt(rec.grant, self.presented_sig(rec, sig), [self.make_call(rec.grant, call)], sender)
        self.attempt("execute", "execute", attempt)

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK, calls=st.lists(CALL, min_size=1, max_size=4), sig=st.integers(0, 9))
    def execute_batch(self, g, calls, sig):
        self.step()
        rec = self.pick(g)
        attempt = Attempt(
            rec.grant, self.presented_sig(rec, sig),
            [self.make_call(rec.grant, c) for c in calls], rec.grant.session_key,
        )  # fmt: skip
        self.attempt("executeBatch", "executeBatch", attempt)

    def relayed_attempt(
        self, rec: GrantRecord, calls: list[Call], nonce_v: int, deadline_v: int, sig_v: int, gsig: int
    ) -> Attempt:
        grant = rec.grant
        nonce = self.word(grant.account, rec.hash).nonce
        nonce = {8: nonce + 1, 9: max(nonce - 1, 0)}.get(nonce_v, nonce)
        deadline = self.now + [-1, 0, 0, 60, 60, 3_600][deadline_v]
        key = KEY_OF[grant.session_key] if grant.session_key in KEY_OF else KEYS[0]
        signed_calls, signed_deadline, signer = calls, deadline, key
        if sig_v == 7:
            signer = KEYS[(KEYS.index(key) + 1) % 3] if key in KEYS else KEYS[0]
        elif sig_v == 8:
            # the relayer changes the calls after the key signed
            signed_calls = [Call(calls[0].target, calls[0].value + 1, calls[0].data), *calls[1:]]
        elif sig_v == 9:
            signed_deadline = deadline + 1
        digest = request_digest(self.home_chain, self.manager, rec.hash, nonce, signed_deadline, signed_calls)
        signature = NO_SIG if sig_v == 10 else sign(signer, digest)
        return Attempt(grant, self.presented_sig(rec, gsig), calls, RELAYER, (nonce, deadline, signature))

    @precondition(lambda self: self.grants)
    @rule(
        g=GRANT_PICK,
        calls=st.lists(CALL, min_size=1, max_size=3),
        nonce_v=st.integers(0, 9),
        deadline_v=st.integers(0, 5),
        sig_v=st.integers(0, 10),
        gsig=st.integers(0, 9),
        batch=st.booleans(),
        replay=st.booleans(),
    )
    def execute_relayed(self, g, calls, nonce_v, deadline_v, sig_v, gsig, batch, replay):
        self.step()
        rec = self.pick(g)
        attempt = self.relayed_attempt(
            rec, [self.make_call(rec.grant, c) for c in calls], nonce_v, deadline_v, sig_v, gsig
        )
        if len(self.relays) < 3 and sig_v < 7:
            # The contract's digest of a request is the one the key signed.
            nonce, deadline, _ = attempt.relay
            contract = self.d.view.hashRequest(rec.hash, nonce, deadline, [c.as_abi() for c in attempt.calls])
            assert bytes(contract) == attempt.relay[2].digest
        method = "executeBatch" if batch or len(calls) > 1 else "execute"
        ok = self.attempt("relayed " + method, method, attempt)
        self.relays.append((method, attempt))
        if replay:
            again = self.attempt("relayed replay", method, attempt)
            assert not (ok and again), "S4: a relayed request ran twice"
            if ok:
                self.stats.event("relayed request replayed at once and refused")

    @precondition(lambda self: self.relays)
    @rule(i=st.integers(0, 99))
    def replay_relayed(self, i):
        """Send an earlier relayed request again, as it was."""
        self.step()
        method, attempt = self.relays[i % len(self.relays)]
        grant = attempt.grant
        spent_nonce = attempt.relay[0] < self.word(grant.account, grant.digest(self.home_chain, self.manager)).nonce
        ok = self.attempt("relayed replay", method, attempt)
        if spent_nonce:
            assert not ok, "S4: a relayed request with a used nonce ran"
            self.stats.event("old relayed request refused")

    # ------------------------------------------------------------ rules: S4 domains

    @precondition(lambda self: self.grants)
    @rule(
        g=GRANT_PICK,
        call=CALL,
        kind=st.sampled_from(["chain", "manager", "account"]),
        relayed=st.booleans(),
        delta=st.integers(1, 5),
    )
    def other_domain(self, g, call, kind, relayed, delta):
        """Present a grant (and request) signed for this chain, manager and
        account elsewhere: refused, nothing changes. The same attempt signed
        for that domain (rolled back) does what the model predicts."""
        self.step()
        rec = self.pick(g)
        grant = rec.grant
        if grant.account not in (self.A, self.B):
            return
        # Calls to an account or a manager are not modelled as targets. Both
        # are forbidden targets on the home domain; moved to the second
        # manager, a permission for the first one becomes valid.
        unmodelled = set(self.ctx.owner_of) | {self.manager, self.manager2}
        if any(p.target in unmodelled for p in grant.permissions):
            return
        chain, manager, manager_obj = self.home_chain, self.manager, self.d.manager
        config = self.config[grant.account]
        if kind == "chain":
            chain = self.home_chain + delta
            moved = grant
        elif kind == "manager":
            # Account C executes only for the second manager.
            manager, manager_obj, config = self.manager2, self.d.manager2, Config()
            moved = grant.with_account(self.C, epoch=0)
        else:
            moved = grant.with_account(self.B if grant.account == self.A else self.A)
            config = self.config[moved.account]
        calls = [self.make_call(moved, call)]
        moved_hash = moved.digest(chain, manager)
        # the signatures as they were made: for the home chain, manager and
        # the original account (also: the owner's wrapper for the original
        # account over the moved grant's digest)
        agent = self.agent_view(grant.agent_id)
        if kind == "account" and delta % 2:
            home_sig = GrantSig(sign(OWNER, account_message(self.home_chain, grant.account, moved_hash)), rec.consent)
        elif delta >= 4 and consent_refusal(moved, moved_hash, NO_SIG, agent, chain, self.ctx):
            # the account signed for that domain, but the agent's consent is
            # the one for the home grant (and is not implied there)
            home_sig = GrantSig(self.owner_sig(moved, chain, manager), rec.consent)
        else:
            home_sig = GrantSig(rec.sig, rec.consent)
        request = None
        if relayed:
            key = KEY_OF.get(grant.session_key, KEYS[0])
            deadline = self.now + 60
            request = (
                0,
                deadline,
                sign(key, request_digest(self.home_chain, self.manager, rec.hash, 0, deadline, calls)),
            )
        sender = RELAYER if relayed else grant.session_key
        word = Word() if kind != "account" else self.word(moved.account, moved_hash)
        if kind == "account":
            spent = self.spent_of(moved_hash)
        else:
            spent = {}

        def expect(attempt):
            return predict(
                attempt, now=self.now, chain_id=chain, manager=manager, word=word, spent=spent,
                config=config, agent=agent, world=self.world, ctx=self.ctx,
            )  # fmt: skip

        wrong = Attempt(moved, home_sig, calls, sender, request)
        pre = dict(self.snapshot())
        state1 = self.d.manager.stateOf(moved.account, moved_hash)
        state2 = self.d.manager2.stateOf(self.C, moved_hash)
        try:
            self.evm.patch.chain_id = chain
            outcome = expect(wrong)
            ok = self.dispatch(manager_obj, "execute", wrong)
            assert not outcome.ok, ("model: cross-domain attempt would pass", outcome)
            assert not ok, f"S4: a grant signed for another {kind} executed"
            self.stats.count(self.stats.refused, f"S4 {kind}: {reason_key(outcome.reason)}")
            # positive control: the same, signed for this domain
            right_request = None
            if relayed:
                key = KEY_OF.get(grant.session_key, KEYS[0])
                deadline = request[1]
                right_request = (0, deadline, sign(key, request_digest(chain, manager, moved_hash, 0, deadline, calls)))
                if word.nonce != 0:
                    right_request = None
            if not relayed or right_request is not None:
                right_sig = GrantSig(
                    self.owner_sig(moved, chain, manager),
                    self.consent_sig(rec.consent_kind, moved, chain, manager),
                )
                right = Attempt(moved, right_sig, calls, sender, right_request)
                outcome = expect(right)
                with boa.env.anchor():
                    ok = self.dispatch(manager_obj, "execute", right)
                assert ok == outcome.ok, (f"control {kind}: contract {ok}, model {outcome.reason}", moved, calls)
                self.stats.count(
                    self.stats.ok if ok else self.stats.refused,
                    f"control {kind}" + ("" if ok else f": {reason_key(outcome.reason)}"),
                )
        finally:
            self.evm.patch.chain_id = self.home_chain
        self.changed()
        assert self.snapshot() == pre, f"S4 {kind}: refused attempt changed state"
        assert self.d.manager.stateOf(moved.account, moved_hash) == state1 == 0
        assert self.d.manager2.stateOf(self.C, moved_hash) == state2 == 0

    # ------------------------------------------------------------ rules: time

    @rule(seconds=st.sampled_from([1, 2, 5, 10, 29, 30, 31, 60, 100, 600, 3_600, 86_400, 7 * 86_400 + 1]))
    def wait(self, seconds):
        self.step()
        boa.env.time_travel(seconds=seconds)

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK, which=st.sampled_from(["after", "until", "until+1", "period", "period-1", "interval"]))
    def travel_to(self, g, which):
        """Jump to a boundary of a grant: its window, a budget period, its
        minimum interval."""
        self.step()
        rec = self.pick(g)
        grant, now = rec.grant, self.now
        when = None
        if which == "after":
            when = grant.valid_after
        elif which == "until":
            when = grant.valid_until
        elif which == "until+1":
            when = grant.valid_until + 1
        elif which.startswith("period"):
            periods = [b.period for b in grant.budgets if b.period]
            if periods:
                k = (max(now - grant.valid_after, 0) // periods[0]) + 1
                when = grant.valid_after + k * periods[0] - (1 if which == "period-1" else 0)
        elif grant.min_interval:
            last = self.word(grant.account, rec.hash).last
            if last:
                when = last + grant.min_interval
        if when is not None and when > now:
            boa.env.time_travel(seconds=when - now)

    # ------------------------------------------------------------ rules: revocation

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK, by=st.sampled_from(["own", "own", "own", "other", "random", "stranger"]))
    def revoke(self, g, by):
        self.step()
        rec = self.pick(g)
        account, grant_hash = rec.grant.account, rec.hash
        if by == "other":
            account = self.B if account == self.A else self.A
        elif by == "random":
            self.salt += 1
            grant_hash = keccak(b"random" + self.salt.to_bytes(32, "big"))
        data = calldata("revoke(bytes32)", ["bytes32"], [grant_hash])
        if by == "stranger":
            if account == OWNER_EOA:
                return
            ok = self.send(RELAYER, self.account_contract(account).execute, self.manager, 0, data)
            assert not ok, "account: not the owner"
            self.stats.count(self.stats.refused, "revoke: not the owner")
            return
        word = self.word(account, grant_hash)
        ok = self.as_owner(account, "revoke", data, (grant_hash,))
        assert ok == (word.status != REVOKED), ("revoke", word)
        if ok:
            word = word.copy()
            word.status = REVOKED
            self.words[(account, grant_hash)] = word
            self.dead[(account, grant_hash)] = "revoke"
            self.stats.count(self.stats.ok, "revoke")
        else:
            self.stats.count(self.stats.refused, "revoke: already revoked")

    @rule(which=st.sampled_from(["A", "A", "B", "eoa"]))
    def revoke_all(self, which):
        self.step()
        account = {"A": self.A, "B": self.B, "eoa": OWNER_EOA}[which]
        ok = self.as_owner(account, "revokeAll", calldata("revokeAll()", [], []), ())
        assert ok
        self.config[account].epoch += 1
        self.revoke_all_at[account].append(self.now)
        assert self.d.manager.epochOf(account) == self.config[account].epoch
        self.stats.count(self.stats.ok, "revokeAll")

    @precondition(lambda self: self.grants)
    @rule(g=GRANT_PICK, who=st.integers(0, 9))
    def renounce(self, g, who):
        self.step()
        rec = self.pick(g)
        grant = rec.grant
        sender = grant.session_key if who < 7 else norm(KEYS[who % 3].address)
        word = self.word(grant.account, rec.hash)
        expected = sender == grant.session_key and word.status != REVOKED
        ok = self.send(sender, self.d.manager.renounce, grant.as_abi())
        assert ok == expected, ("renounce", sender, word)
        if ok:
            word = word.copy()
            word.status = REVOKED
            self.words[(grant.account, rec.hash)] = word
            self.dead[(grant.account, rec.hash)] = "renounce"
            self.stats.count(self.stats.ok, "renounce")
        else:
            self.stats.count(self.stats.refused, "renounce")

    # ------------------------------------------------------------ rules: agents (registry)

    def as_agent_owner(self, sender: str, signature: str, args: list) -> bool:
        """Call the registry as `sender`: a deployed account through
        `execute` by its owner, anyone else directly."""
        name, types = signature[: signature.index("(")], signature[signature.index("(") + 1 : -1].split(",")
        if sender in (self.A, self.B):
            data = calldata(signature, types, args)
            return self.send(OWNER_EOA, self.account_contract(sender).execute, self.ctx.registry, 0, data)
        return self.send(sender, getattr(self.d.registry, name), *args)

    def release_wallet(self, rec: AgentRecord) -> None:
        """The registry forgets the agent's wallet (proved or the owner
        default); the wallet keeps its consumed-proof deadline."""
        if rec.wallet != ZERO:
            self.wallet_bound.pop(rec.wallet, None)
        rec.wallet, rec.default_wallet = ZERO, False

    def check_registry(self) -> None:
        """The registry's views the manager relies on agree with the test's
        record of every agent."""
        registry = self.d.registry
        for agent_id, rec in self.agents.items():
            assert registry.generationOf(agent_id) == rec.generation
            assert registry.activeGeneration(agent_id) == (rec.generation if rec.status == ACTIVE_AGENT else 0)
            owner, wallet = registry.consentSigners(agent_id)
            assert (norm(owner), norm(wallet)) == (rec.owner, rec.current_wallet), agent_id
            assert registry.isActive(agent_id) is (rec.status == ACTIVE_AGENT)
        assert registry.generationOf(UNKNOWN_AGENT) == registry.activeGeneration(UNKNOWN_AGENT) == 0

    @rule(
        agent=st.sampled_from(AGENTS),
        action=st.sampled_from(
            ["pause", "pause", "resume", "resume", "retire", "transfer", "transfer", "wallet", "wallet", "unset"]
        ),
        to=st.sampled_from(["agent_owner", "agent_owner2", "agent_owner2", "A", "same"]),
        how=st.sampled_from(["transferFrom", "safeTransferFrom"]),
        wallet=st.sampled_from(["key0", "key1", "wallet", "wallet", "B", "agent_owner2"]),
        delay=st.sampled_from([0, 60, 60, 300, 301, -1]),
        proof=st.integers(0, 9),
        stranger=st.integers(0, 9),
        g=st.integers(0, 199),
    )
    def registry_action(self, agent, action, to, how, wallet, delay, proof, stranger, g):
        """The agent's owner (sometimes a stranger) acts in the registry:
        pause / resume / retire, transfer, set or unset the agent wallet.
        One rule, so that these do not crowd out the session calls; half
        the time on the agent of a grant."""
        self.step()
        if g < 100 and self.grants and self.pick(g).grant.agent_id in self.agents:
            agent = self.pick(g).grant.agent_id
        rec = self.agents[agent]
        sender = STRANGER if stranger == 9 else rec.owner
        if action == "transfer":
            dest = {"agent_owner": AGENT_OWNER, "agent_owner2": AGENT_OWNER2, "A": self.A, "same": rec.owner}[to]
            self.transfer_agent(agent, rec, sender, dest, how)
        elif action == "wallet":
            self.set_agent_wallet(agent, rec, sender, wallet, delay, proof)
        elif action == "unset":
            ok = self.as_agent_owner(sender, "unsetAgentWallet(uint256)", [agent])
            assert ok == (sender == rec.owner)
            if ok:
                self.release_wallet(rec)
                self.stats.count(self.stats.ok, "unsetAgentWallet")
        else:
            status = rec.status
            expected = (
                sender == rec.owner
                and status != RETIRED_AGENT
                and (
                    action == "retire"
                    or (action == "pause" and status == ACTIVE_AGENT)
                    or (action == "resume" and status == PAUSED_AGENT)
                )
            )
            ok = self.as_agent_owner(sender, f"{action}(uint256)", [agent])
            assert ok == expected, (action, status, sender)
            if ok:
                rec.status = {"pause": PAUSED_AGENT, "resume": ACTIVE_AGENT, "retire": RETIRED_AGENT}[action]
                self.stats.count(self.stats.ok, action)
        self.check_registry()

    def transfer_agent(self, agent: int, rec: AgentRecord, sender: str, dest: str, how: str) -> None:
        """Hand the agent to `dest` (also to its own owner): a new
        generation, no wallet; its grants stop for good (S3)."""
        ok = self.as_agent_owner(sender, f"{how}(address,address,uint256)", [rec.owner, dest, agent])
        assert ok == (sender == rec.owner), ("transfer", sender, rec)
        if ok:
            to_itself = dest == rec.owner
            self.release_wallet(rec)
            rec.owner = dest
            rec.generation += 1
            self.stats.count(self.stats.ok, "transfer agent" + (" to itself" if to_itself else ""))
        else:
            self.stats.count(self.stats.refused, "transfer agent: not the owner")

    def live_grants(self) -> list[GrantRecord]:
        """Active grants whose agent has not changed hands since activation."""
        return [
            rec
            for rec in self.grants
            if self.word(rec.grant.account, rec.hash).status == ACTIVE
            and rec.grant.agent_id in self.agents
            and self.activated_generation.get((rec.grant.account, rec.hash))
            == self.agents[rec.grant.agent_id].generation
        ]

    @precondition(lambda self: self.live_grants())
    @rule(
        g=GRANT_PICK,
        call=CALL,
        to=st.sampled_from(["agent_owner2", "A", "same", "back"]),
        how=st.sampled_from(["transferFrom", "safeTransferFrom"]),
    )
    def transfer_voids(self, g, call, to, how):
        """S3: the agent of an active grant changes hands (to someone else,
        to its own owner, or away and back): the grant never runs again."""
        self.step()
        live = self.live_grants()
        rec = live[g % len(live)]
        agent_id = rec.grant.agent_id
        agent = self.agents[agent_id]
        original = agent.owner
        away = AGENT_OWNER2 if original != AGENT_OWNER2 else AGENT_OWNER
        dest = {"agent_owner2": AGENT_OWNER2, "A": self.A, "same": original, "back": away}[to]
        self.transfer_agent(agent_id, agent, agent.owner, dest, how)
        if to == "back":
            self.transfer_agent(agent_id, agent, agent.owner, original, how)
        self.check_registry()
        attempt = Attempt(
            rec.grant, GrantSig(rec.sig, rec.consent), [self.make_call(rec.grant, call)], rec.grant.session_key
        )
        ok = self.attempt("execute after a transfer", "execute", attempt)
        assert not ok, "S3: a grant executed after its agent changed hands"

    def set_agent_wallet(
        self, agent: int, rec: AgentRecord, sender: str, wallet: str, delay: int, proof: int
    ) -> None:
        """Point the agent at a wallet that signed AgentWalletSet (EIP-712;
        account B through ERC-1271); a session key may so become the agent's
        wallet (consent implied)."""
        address = {
            "key0": norm(KEYS[0].address),
            "key1": norm(KEYS[1].address),
            "wallet": WALLET,
            "B": self.B,
            "agent_owner2": AGENT_OWNER2,
        }[wallet]
        now = self.now
        deadline = max(now + delay, 0)
        # proof 8: made for another owner; 9: signed by a stranger
        digest = wallet_set_digest(
            self.home_chain, self.ctx.registry, agent, address, STRANGER if proof == 8 else rec.owner, deadline
        )
        signature = self.sign_as(STRANGER if proof == 9 else address, digest, self.home_chain)
        expected = (
            sender == rec.owner
            and now <= deadline <= now + 300
            and rec.status != RETIRED_AGENT
            and self.wallet_bound.get(address, agent) == agent
            and deadline > self.wallet_deadline.get(address, 0)
            and proof < 8
        )
        ok = self.as_agent_owner(
            sender, "setAgentWallet(uint256,address,uint256,bytes)", [agent, address, deadline, signature.raw]
        )
        assert ok == expected, ("setAgentWallet", agent, address, deadline, proof, sender, rec)
        if ok:
            if rec.wallet not in (ZERO, address):
                self.wallet_bound.pop(rec.wallet, None)
            rec.wallet, rec.default_wallet = address, False
            self.wallet_bound[address] = agent
            self.wallet_deadline[address] = deadline
            self.stats.count(self.stats.ok, "setAgentWallet")
        else:
            self.stats.count(self.stats.refused, "setAgentWallet: refused")

    def check_grant_state(self, grant: Grant, grant_hash: bytes) -> None:
        """`SessionView.grantState` reports what the model says."""
        word = self.word(grant.account, grant_hash)
        config = self.config.get(grant.account, Config())
        expected = grant_status(grant, word, config, self.now, self.agent_view(grant.agent_id))
        state = self.d.view.grantState(grant.as_abi())
        assert (state.status, state.callsUsed, state.nativeSpent, state.nonce) == (
            expected,
            word.calls,
            word.native,
            word.nonce,
        ), (state, expected, word)
        self.stats.event(f"grantState status {expected}")

    @rule(
        which=st.sampled_from(["A", "A", "B", "eoa"]),
        length=st.sampled_from(
            [0, 1, 60, 600, 3_600, 86_400, 7 * 86_400, 30 * 86_400, MAX_SESSION_CEILING, MAX_SESSION_CEILING + 1]
        ),
    )
    def set_max_session_length(self, which, length):
        self.step()
        account = {"A": self.A, "B": self.B, "eoa": OWNER_EOA}[which]
        data = calldata("setMaxSessionLength(uint256)", ["uint256"], [length])
        ok = self.as_owner(account, "setMaxSessionLength", data, (length,))
        assert ok == (length <= MAX_SESSION_CEILING)
        if ok:
            self.config[account].max_length = length
        assert self.d.manager.maxSessionLengthOf(account) == (self.config[account].max_length or DEFAULT_MAX_SESSION)

    # ------------------------------------------------------------ invariant

    @invariant()
    def chain_matches_model(self):
        snap = self.snapshot()
        expected = self.expected()
        if snap != expected:
            diff = {
                k: (snap.get(k), expected.get(k)) for k in set(snap) | set(expected) if snap.get(k) != expected.get(k)
            }
            raise AssertionError(f"chain != model (chain, model): {diff}")


# ---------------------------------------------------------------- test


def base_state(d: Deployment) -> dict:
    """Storage slots and the world as deployed, read once."""
    token_slots = layout(d.t1)
    manager_slots = layout(d.manager)
    a = d.addr
    holders = [a("A"), a("B"), a("C"), FRIEND, R1, R2, a("target")]
    owners = [a("A"), a("B"), a("C"), FRIEND]
    fixed = [(("count",), a("target"), layout(d.target)["count"])]
    for token in (a("t1"), a("t2")):
        for h in holders:
            fixed.append((("bal", token, h), token, map_slot(token_slots["balanceOf"], h)))
        for o in owners:
            for s in holders:
                fixed.append((("allow", token, o, s), token, map_slot(token_slots["allowance"], o, s)))
    evm = boa.env.evm
    world = World(eth={}, bal={}, allow={}, count=0)
    for key, address, slot in fixed:
        value = evm.get_storage(Address(address), slot)
        if key[0] == "bal" and value:
            world.bal[key[1:]] = value
        elif key[0] == "allow" and value:
            world.allow[key[1:]] = value
        elif key[0] == "count":
            world.count = value
    for address in (a("A"), a("B"), a("C"), a("target"), R1, R2):
        world.eth[address] = boa.env.get_balance(address)
    # the raw reads are what the contracts' own views say
    assert world.bal[(a("t1"), a("A"))] == d.t1.balanceOf(a("A")) == 500
    assert world.allow[(a("t1"), FRIEND, a("A"))] == d.t1.allowance(FRIEND, a("A")) == 200
    return {"slots": manager_slots, "fixed_reads": fixed, "world": world}


def test_sessions_state_machine():
    d = deploy()
    base = base_state(d)
    stats = Stats()
    # `stateful_step_count` is a maximum; `full_length` discards shorter runs
    # (Hypothesis draws others), so every run that counts has STEPS steps.
    machine = full_length(SessionMachine)
    run_state_machine_as_test(lambda: machine(d, stats, base), settings=SETTINGS)

    total_ok = sum(stats.ok.values())
    total = total_ok + sum(stats.refused.values())
    print(f"\nsessions machine: {stats.examples} examples, {total} calls, {total_ok} succeeded")
    for key in sorted({*stats.ok, *stats.refused}):
        print(f"  {key}: {stats.ok.get(key, stats.refused.get(key))}")
    for key in sorted(stats.events):
        print(f"  [event] {key}: {stats.events[key]}")

    full = [n for n in stats.steps if n >= STEPS]
    assert len(full) >= MAX_EXAMPLES, (len(full), stats.examples)

    # S3 / S5 were exercised, not just possible: activations refused for want
    # of consent, uses refused because the agent changed hands (also of grants
    # that were active before), and activations that went through, both with
    # a consent signature and with an implied consent.
    def refused_with(reason: str) -> int:
        return sum(v for k, v in stats.refused.items() if k.endswith(f": {reason}"))

    def events(prefix: str) -> int:
        return sum(v for k, v in stats.events.items() if k.startswith(prefix))

    coverage = {
        "refused: no agent consent": (refused_with("no agent consent"), 5),
        "refused: agent changed hands": (refused_with("agent changed hands"), 5),
        "active grant voided by a transfer": (events("used grant voided") + events("issued grant voided"), 5),
        "activated with a consent signature": (events("activation consent: owner signed"), 5),
        "activated with an implied consent": (
            events("activation consent: key is") + events("activation consent: account is"),
            5,
        ),
    }
    assert all(n >= least for n, least in coverage.values()), coverage
