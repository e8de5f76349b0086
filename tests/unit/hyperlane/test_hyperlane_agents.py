"""HyperlaneAgents on three in-process chains (titanoboa): an agent's registry state goes from
its home chain to the others over Hyperlane, and the AgentRegistry there mirrors it.

Each chain is its own `boa.Env` (its own state and chain id), with the CREATE2 deployer at its
usual address, so the suite's contracts have the same address on every chain, as in a real
deployment: the contract accepts only messages sent by its own address, so two chains in one
state could not talk. The Mailboxes are MockRelayMailbox: `dispatch` keeps the message and
`process` delivers it (what Hyperlane's relayer and Mailbox do once the ISM verified it).
With Hyperlane's real Mailbox: a later integration test; here its ABI is checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "contracts" / "HyperlaneAgents.vy"
HYPERLANE_BUILD = ROOT / ".build" / "hyperlane"

CREATE2_DEPLOYER = "0x4e59b44847b379578588920cA78FbF26c0B4956C"
# The runtime code of the deterministic deployment proxy (Arachnid): salt ‖ init code -> CREATE2.
CREATE2_DEPLOYER_CODE = bytes.fromhex(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0"
    "3601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3"
)
SALT = b"\x00" * 32

# chain id, Hyperlane domain (different numbers on purpose: the contract must not mix them up)
CHAIN_A, CHAIN_B, CHAIN_C = 31_401, 31_402, 31_403
DOMAINS = {CHAIN_A: 1_001, CHAIN_B: 1_002, CHAIN_C: 1_003}
FEES = {CHAIN_A: 11, CHAIN_B: 1_000, CHAIN_C: 2_500}  # the fee each chain's Mailbox charges, per destination domain
ACTIVE, PAUSED, RETIRED = 0, 1, 2
ZERO = "0x" + "00" * 20


def fixed(label: str) -> str:
    return to_checksum_address(keccak(text=label)[-20:])


OWNER, NEW_OWNER, CALLER, STRANGER = (fixed(n) for n in ("owner", "new-owner", "caller", "stranger"))
MAILBOXES = {c: fixed(f"mailbox-{c}") for c in DOMAINS}
ISMS = {CHAIN_A: fixed("ism-a"), CHAIN_B: ZERO, CHAIN_C: fixed("ism-c")}
ROUTES = [(c, DOMAINS[c], MAILBOXES[c], ISMS[c]) for c in (CHAIN_A, CHAIN_B, CHAIN_C)]


def word(a: Any) -> bytes:
    return b"\x00" * 12 + bytes.fromhex(str(getattr(a, "address", a))[2:])


def create2(init_code: bytes) -> str:
    return to_checksum_address(keccak(b"\xff" + bytes.fromhex(CREATE2_DEPLOYER[2:]) + SALT + keccak(init_code))[-20:])


def body(home_chain: int, home_id: int, owner: str, wallet: str, status: int, generation: int, sequence: int) -> bytes:
    return abi_encode(
        ["uint256", "uint256", "address", "address", "uint8", "uint256", "uint256"],
        [home_chain, home_id, owner, wallet, status, generation, sequence],
    )


@pytest.fixture(scope="session")
def deployers():
    return {
        "registry": boa.load_partial(str(ROOT / "contracts" / "AgentRegistry.vy")),
        "agents": boa.load_partial(str(SOURCE)),
        "mailbox": boa.load_partial(str(ROOT / "tests" / "mocks" / "MockRelayMailbox.vy")),
        "no_receive": boa.load_partial(str(ROOT / "tests" / "mocks" / "NoReceive.vy")),
    }


def init_code(deployer, *args: Any, types: list[str] | None = None) -> bytes:
    code = bytes(deployer.compiler_data.bytecode)
    return code + (abi_encode(types, list(args)) if types else b"")


AGENTS_ARGS = ["address", "(uint256,uint32,address,address)[]"]


@dataclass
class Chain:
    """One chain: its own EVM state and chain id, the suite at its CREATE2 addresses, a Mailbox."""

    env: Any
    chain_id: int
    registry: Any
    agents: Any
    mailbox: Any

    @property
    def domain(self) -> int:
        return DOMAINS[self.chain_id]

    @contextmanager
    def active(self):
        """Make this chain boa's current env (deployments, `boa.reverts`)."""
        with boa.swap_env(self.env):
            yield

    def prank(self, who: Any):
        return self.env.prank(str(getattr(who, "address", who)))

    def balance(self, who: Any) -> int:
        return self.env.get_balance(str(getattr(who, "address", who)))


def create2_deploy(env, deployer, code: bytes):
    """Deploy `code` through the CREATE2 deployer of `env`; the contract at the address it returns."""
    out = env.raw_call(CREATE2_DEPLOYER, data=SALT + code).output
    address = to_checksum_address(out[-20:])
    assert address == create2(code) and len(env.get_code(address)) > 0
    return deployer.at(address)


def make_chain(deployers, chain_id: int, routes=ROUTES) -> Chain:
    env = boa.Env()
    env.evm.patch.chain_id = chain_id
    with boa.swap_env(env):
        env.set_code(CREATE2_DEPLOYER, CREATE2_DEPLOYER_CODE)
        mailbox = deployers["mailbox"].deploy(DOMAINS[chain_id], override_address=MAILBOXES[chain_id])
        for destination, fee in FEES.items():
            if destination != chain_id:
                mailbox.set_fee(DOMAINS[destination], fee)
        registry = create2_deploy(env, deployers["registry"], init_code(deployers["registry"]))
        code = init_code(deployers["agents"], registry.address, routes, types=AGENTS_ARGS)
        agents = create2_deploy(env, deployers["agents"], code)
        for who in (OWNER, NEW_OWNER, CALLER, STRANGER):
            env.set_balance(who, 10**20)
    return Chain(env, chain_id, registry, agents, mailbox)


@pytest.fixture
def chains(deployers) -> dict[int, Chain]:
    return {c: make_chain(deployers, c) for c in (CHAIN_A, CHAIN_B, CHAIN_C)}


@pytest.fixture
def a(chains) -> Chain:
    return chains[CHAIN_A]


@pytest.fixture
def b(chains) -> Chain:
    return chains[CHAIN_B]


@pytest.fixture
def c(chains) -> Chain:
    return chains[CHAIN_C]


@pytest.fixture
def agent(a) -> int:
    """An agent registered on chain A by OWNER."""
    with a.prank(OWNER):
        return a.registry.register("ipfs://agent")


@pytest.fixture
def report(a) -> Callable[..., list[int]]:
    """`report` on chain A (paying the quote unless `value` is given); the indexes of the messages
    it dispatched in A's Mailbox."""

    def _report(agent_id: int, destinations: list[int], value: int | None = None, by: str = CALLER) -> list[int]:
        first = a.mailbox.count()
        value = a.agents.quoteReport(agent_id, destinations) if value is None else value
        with a.prank(by):
            a.agents.report(agent_id, destinations, value=value)
        return list(range(first, a.mailbox.count()))

    return _report


def deliver(source: Chain, index: int, chains: dict[int, Chain]) -> Chain:
    """Deliver message `index` of `source`'s Mailbox to its destination, as that chain's Mailbox."""
    sender, destination, recipient, message, _value = source.mailbox.messages(index)
    (target,) = [ch for ch in chains.values() if ch.domain == destination]
    target.mailbox.process(source.domain, sender, to_checksum_address(recipient[-20:]), message)
    return target


def mirror(chain: Chain, rid: int) -> tuple:
    return tuple(chain.registry.agentState(rid))


# ---------------------------------------------------------------- one address, per-chain configuration


def test_same_constructor_arguments_give_the_same_address_on_every_chain(chains, deployers) -> None:
    addresses = {str(ch.agents.address) for ch in chains.values()}
    assert len(addresses) == 1
    assert len({str(ch.registry.address) for ch in chains.values()}) == 1
    code = init_code(deployers["agents"], chains[CHAIN_A].registry.address, ROUTES, types=AGENTS_ARGS)
    assert addresses == {create2(code)}
    # the runtime code differs (its own Mailbox, domain and ISM are immutables), the init code does not
    assert len({ch.env.get_code(ch.agents.address) for ch in chains.values()}) == 3


@pytest.mark.parametrize("chain_id", [CHAIN_A, CHAIN_B, CHAIN_C])
def test_each_chain_uses_its_own_route(chains, chain_id: int) -> None:
    ch = chains[chain_id]
    assert ch.agents.MAILBOX() == MAILBOXES[chain_id] == ch.mailbox.address
    assert ch.agents.DOMAIN() == DOMAINS[chain_id]
    assert ch.agents.interchainSecurityModule() == ISMS[chain_id]  # zero on B: the Mailbox's default
    assert ch.agents.REGISTRY() == ch.registry.address
    assert [tuple(r) for r in ch.agents.routes()] == ROUTES


def test_constructor_refuses_a_bad_table(deployers) -> None:
    env = boa.Env()
    env.evm.patch.chain_id = CHAIN_A
    with boa.swap_env(env):
        registry = deployers["registry"].deploy()
        mailbox = deployers["mailbox"].deploy(DOMAINS[CHAIN_A])
        here = (CHAIN_A, DOMAINS[CHAIN_A], mailbox.address, ZERO)
        there = (CHAIN_B, DOMAINS[CHAIN_B], MAILBOXES[CHAIN_B], ZERO)  # no code on this chain: fine, not local
        assert deployers["agents"].deploy(registry.address, [there, here]).MAILBOX() == mailbox.address
        other = MAILBOXES[CHAIN_B]
        reg = registry.address
        cases = [
            ("hyperlane: no route for this chain", [there], reg),
            ("hyperlane: bad route", [here, (0, 9, other, ZERO)], reg),  # zero chain id
            ("hyperlane: bad route", [here, (CHAIN_B, 9, ZERO, ZERO)], reg),  # zero Mailbox
            ("hyperlane: duplicate route", [here, (CHAIN_A, 9, other, ZERO)], reg),  # chain id
            ("hyperlane: duplicate route", [here, (CHAIN_B, DOMAINS[CHAIN_A], other, ZERO)], reg),  # domain
            ("hyperlane: no code", [(CHAIN_A, DOMAINS[CHAIN_A], fixed("eoa"), ZERO), there], reg),
            ("hyperlane: no code", [here, there], fixed("not-a-registry")),
        ]
        for reason, routes, registry_address in cases:
            with boa.reverts(reason):
                deployers["agents"].deploy(registry_address, routes)


def test_abi_matches_hyperlanes_mailbox_and_recipient(a) -> None:
    """The calls this contract makes and takes are Hyperlane v3's (`.build/hyperlane`, from
    `@hyperlane-xyz/core`: `make setup`)."""
    assert (HYPERLANE_BUILD / "Mailbox.json").exists(), "no .build/hyperlane: `make setup` extracts it"

    def signature(abi: list[dict], name: str, inputs: list[str]) -> dict:
        (entry,) = [e for e in abi if e.get("name") == name and [i["type"] for i in e["inputs"]] == inputs]
        return {"out": [o["type"] for o in entry["outputs"]], "mutability": entry["stateMutability"]}

    mailbox = json.loads((HYPERLANE_BUILD / "Mailbox.json").read_text())["abi"]
    recipient = json.loads((HYPERLANE_BUILD / "TestRecipient.json").read_text())["abi"]
    message = ["uint32", "bytes32", "bytes"]
    assert signature(mailbox, "dispatch", message) == {"out": ["bytes32"], "mutability": "payable"}
    assert signature(mailbox, "quoteDispatch", message) == {"out": ["uint256"], "mutability": "view"}
    ours = a.agents.abi
    for name, inputs in [("handle", ["uint32", "bytes32", "bytes"]), ("interchainSecurityModule", [])]:
        assert signature(ours, name, inputs) == signature(recipient, name, inputs)


# ---------------------------------------------------------------- report -> handle


def test_report_then_deliver_mirrors_the_agent_on_each_chain(chains, a, b, c, agent, report) -> None:
    state = mirror(a, agent)
    assert state == (OWNER, OWNER, ACTIVE, 1, 0)
    indexes = report(agent, [CHAIN_B, CHAIN_C])
    events = [e for e in a.agents.get_logs() if type(e).__name__ == "Reported"]
    assert [(e.agentId, e.destinationChainId, e.sequence) for e in events] == [(agent, CHAIN_B, 0), (agent, CHAIN_C, 0)]
    expected_body = body(CHAIN_A, agent, OWNER, OWNER, ACTIVE, 1, 0)
    for i, destination in zip(indexes, (CHAIN_B, CHAIN_C), strict=True):
        sender, domain, recipient, message, value = a.mailbox.messages(i)
        assert (sender, domain, recipient) == (word(a.agents), DOMAINS[destination], word(a.agents))
        assert message == expected_body and value == FEES[destination]
        # the message id is Hyperlane's: keccak256 of the packed message
        packed = (b"\x03" + i.to_bytes(4, "big") + DOMAINS[CHAIN_A].to_bytes(4, "big") + sender
                  + domain.to_bytes(4, "big") + recipient + message)
        assert events[indexes.index(i)].messageId == keccak(packed)

    rid = a.agents.representedId(CHAIN_A, agent)
    for i in indexes:
        target = deliver(a, i, chains)
        (delivered,) = [e for e in target.mailbox.get_logs() if type(e).__name__ == "Delivered"]
        fields = (delivered.agentId, delivered.homeChainId, delivered.homeAgentId, delivered.sequence)
        assert fields == (rid, CHAIN_A, agent, 0)
    for remote in (b, c):
        # one id on every chain: the inbox has one address and the registry binds it
        assert remote.agents.representedId(CHAIN_A, agent) == rid
        assert remote.registry.representedId(remote.agents.address, CHAIN_A, agent) == rid
        assert mirror(remote, rid) == state
        assert remote.registry.ownerOf(rid) == OWNER and remote.registry.isActive(rid)
        assert tuple(remote.registry.homeOf(rid)) == (CHAIN_A, agent, remote.agents.address)
    assert not a.registry.isActive(rid) and tuple(a.registry.homeOf(rid)) == (0, 0, ZERO)


def test_every_chain_is_home_to_its_own_agents(chains, a, b, c, agent, report) -> None:
    """Agent 1 of A and agent 1 of C are two agents: the home chain is part of the represented id."""
    with c.prank(NEW_OWNER):
        local = c.registry.register("ipfs://agent-of-c")
    assert local == agent == 1
    quote = c.agents.quoteReport(local, [CHAIN_A, CHAIN_B])
    first = c.mailbox.count()
    with c.prank(CALLER):
        c.agents.report(local, [CHAIN_A, CHAIN_B], value=quote)
    for i in range(first, c.mailbox.count()):
        deliver(c, i, chains)
    deliver(a, report(agent, [CHAIN_B])[0], chains)
    of_a, of_c = b.agents.representedId(CHAIN_A, agent), b.agents.representedId(CHAIN_C, local)
    assert of_a != of_c
    assert b.registry.ownerOf(of_a) == OWNER and b.registry.ownerOf(of_c) == NEW_OWNER
    assert a.registry.ownerOf(of_c) == NEW_OWNER
    assert tuple(a.registry.homeOf(of_c)) == (CHAIN_C, local, a.agents.address)


def test_changes_at_home_follow_once_reported(chains, a, b, agent, report) -> None:
    rid = a.agents.representedId(CHAIN_A, agent)
    deliver(a, report(agent, [CHAIN_B])[0], chains)
    with a.prank(OWNER):
        a.registry.pause(agent)
    assert b.registry.isActive(rid)  # not reported yet: the mirror keeps the last state it got
    deliver(a, report(agent, [CHAIN_B])[0], chains)
    assert b.registry.statusOf(rid) == PAUSED and not b.registry.isActive(rid)
    with a.prank(OWNER):
        a.registry.resume(agent)
        a.registry.transferFrom(OWNER, NEW_OWNER, agent)
    deliver(a, report(agent, [CHAIN_B], by=STRANGER)[0], chains)  # anyone may report
    assert mirror(b, rid) == mirror(a, agent) == (NEW_OWNER, ZERO, ACTIVE, 2, 3)  # a transfer clears the wallet
    assert b.registry.generationOf(rid) == 2 and b.registry.activeGeneration(rid) == 2
    with a.prank(NEW_OWNER):
        a.registry.retire(agent)
    deliver(a, report(agent, [CHAIN_B])[0], chains)
    assert b.registry.statusOf(rid) == RETIRED


def test_replay_and_out_of_order_delivery_change_nothing(chains, a, b, agent, report) -> None:
    rid = a.agents.representedId(CHAIN_A, agent)
    (first,) = report(agent, [CHAIN_B])  # sequence 0, Active
    with a.prank(OWNER):
        a.registry.pause(agent)
    (paused,) = report(agent, [CHAIN_B])  # sequence 1, Paused
    with a.prank(OWNER):
        a.registry.resume(agent)
    (resumed,) = report(agent, [CHAIN_B])  # sequence 2, Active
    deliver(a, paused, chains)
    assert mirror(b, rid) == (OWNER, OWNER, PAUSED, 1, 1)
    deliver(a, first, chains)  # older: ignored, no revert
    assert mirror(b, rid) == (OWNER, OWNER, PAUSED, 1, 1)
    deliver(a, resumed, chains)
    assert mirror(b, rid) == (OWNER, OWNER, ACTIVE, 1, 2)
    for old in (paused, first, resumed):  # replays and stale states: no change
        deliver(a, old, chains)
        assert mirror(b, rid) == (OWNER, OWNER, ACTIVE, 1, 2)


def test_a_mirror_cannot_be_reported_onwards(chains, a, b, c, agent, report) -> None:
    """Only the home chain speaks for an agent: a mirror is not a local agent, and neither is an
    unknown id."""
    rid = a.agents.representedId(CHAIN_A, agent)
    deliver(a, report(agent, [CHAIN_B])[0], chains)
    with b.active(), b.prank(CALLER), boa.reverts("hyperlane: not a local agent"):
        b.agents.report(rid, [CHAIN_C], value=10**6)
    with b.active(), boa.reverts("hyperlane: not a local agent"):
        b.agents.quoteReport(rid, [CHAIN_C])
    with a.active(), a.prank(CALLER), boa.reverts("hyperlane: not a local agent"):
        a.agents.report(agent + 1, [CHAIN_B], value=10**6)


# ---------------------------------------------------------------- report: destinations and fees


@pytest.mark.parametrize(
    ("destinations", "reason"),
    [
        ([999], "hyperlane: unknown chain"),
        ([CHAIN_B, 999], "hyperlane: unknown chain"),
        ([CHAIN_A], "hyperlane: unknown chain"),  # this chain is no destination
        ([CHAIN_B, CHAIN_B], "hyperlane: duplicate chain"),
        ([], "hyperlane: no chains"),
    ],
)
def test_report_refuses_bad_destinations(a, agent, destinations, reason) -> None:
    with a.active(), a.prank(CALLER), boa.reverts(reason):
        a.agents.report(agent, destinations, value=10**6)
    with a.active(), boa.reverts(reason):
        a.agents.quoteReport(agent, destinations)
    assert a.mailbox.count() == 0


def test_fees_are_quoted_per_destination_paid_exactly_and_the_excess_refunded(a, agent, report) -> None:
    quote = a.agents.quoteReport(agent, [CHAIN_B, CHAIN_C])
    assert quote == FEES[CHAIN_B] + FEES[CHAIN_C] and a.agents.quoteReport(agent, [CHAIN_C]) == FEES[CHAIN_C]
    before = a.balance(CALLER)
    report(agent, [CHAIN_B, CHAIN_C], value=quote + 12_345)
    assert a.balance(CALLER) == before - quote
    assert a.balance(a.mailbox) == quote and a.balance(a.agents) == 0


def test_report_refuses_an_underpaid_fee(a, agent) -> None:
    quote = a.agents.quoteReport(agent, [CHAIN_B, CHAIN_C])
    for value in (0, FEES[CHAIN_B], quote - 1):  # the second destination is unpaid in each
        with a.active(), a.prank(CALLER), boa.reverts("hyperlane: fee too low"):
            a.agents.report(agent, [CHAIN_B, CHAIN_C], value=value)
    assert a.mailbox.count() == 0


def test_a_caller_that_refuses_the_refund_pays_the_exact_quote(a, agent, deployers, report) -> None:
    with a.active():
        payer = deployers["no_receive"].deploy()  # no __default__: refuses plain ETH
    a.env.set_balance(str(payer.address), 10**18)
    quote = a.agents.quoteReport(agent, [CHAIN_B])
    with a.active(), a.prank(payer), boa.reverts("hyperlane: refund failed"):
        a.agents.report(agent, [CHAIN_B], value=quote + 1)
    assert report(agent, [CHAIN_B], by=str(payer.address)) == [0]
    assert a.balance(payer) == 10**18 - quote


# ---------------------------------------------------------------- handle: refusals


@pytest.fixture
def handle(b) -> Callable[..., None]:
    """`handle` on chain B, called by B's Mailbox (or `by`), from A's domain and this contract's
    address unless told otherwise."""

    def _handle(message: bytes, origin: int = DOMAINS[CHAIN_A], sender: Any = None, by: Any = None) -> None:
        sender = word(b.agents) if sender is None else sender
        if by is None:
            b.mailbox.process(origin, sender, b.agents.address, message)
        else:
            with b.prank(by):
                b.agents.handle(origin, sender, message)

    return _handle


GOOD = body(CHAIN_A, 1, OWNER, ZERO, ACTIVE, 1, 0)


def test_handle_accepts_a_good_message(b, handle) -> None:
    handle(GOOD)
    rid = b.agents.representedId(CHAIN_A, 1)
    assert mirror(b, rid) == (OWNER, ZERO, ACTIVE, 1, 0)


def test_handle_only_from_the_mailbox(b, handle) -> None:
    for caller in (STRANGER, OWNER, b.agents.address, MAILBOXES[CHAIN_A]):  # A's Mailbox is not B's
        with b.active(), boa.reverts("hyperlane: not the mailbox"):
            handle(GOOD, by=caller)


@pytest.mark.parametrize("sender", ["stranger", "registry", "high bits"])
def test_handle_only_from_itself(b, handle, sender: str) -> None:
    word_ = {
        "stranger": word(STRANGER),
        "registry": word(b.registry),
        "high bits": b"\x01" + word(b.agents)[1:],  # not an address: not this contract either
    }[sender]
    with b.active(), boa.reverts("hyperlane: unknown sender"):
        handle(GOOD, sender=word_)


@pytest.mark.parametrize("origin", [999, DOMAINS[CHAIN_B], 0])
def test_handle_refuses_an_unknown_or_its_own_domain(b, handle, origin: int) -> None:
    with b.active(), boa.reverts("hyperlane: unknown domain"):
        handle(body(CHAIN_B if origin == DOMAINS[CHAIN_B] else CHAIN_A, 1, OWNER, ZERO, ACTIVE, 1, 0), origin=origin)


def test_handle_refuses_a_body_claiming_another_home_chain(b, handle) -> None:
    """A message from C cannot speak for an agent of A (nor one from A for this chain's agents)."""
    cases = [(CHAIN_C, CHAIN_A), (CHAIN_A, CHAIN_C), (CHAIN_A, CHAIN_B), (CHAIN_A, 0)]  # (from, home claimed)
    for origin, home in ((DOMAINS[sent_from], claimed) for sent_from, claimed in cases):
        with b.active(), boa.reverts("hyperlane: wrong origin"):
            handle(body(home, 1, OWNER, ZERO, ACTIVE, 1, 0), origin=origin)


@pytest.mark.parametrize(
    "message",
    [
        b"",
        GOOD[:-1],
        GOOD + b"\x00",
        GOOD + b"\x00" * 32,  # an extra word
        GOOD[:64] + b"\x01" + GOOD[65:],  # owner with high bits set: not an address
        GOOD[:96] + b"\x01" + GOOD[97:],  # wallet likewise
        GOOD[:128] + (256).to_bytes(32, "big") + GOOD[160:],  # status beyond uint8
    ],
    ids=["empty", "short", "one more byte", "one more word", "owner", "wallet", "status"],
)
def test_handle_refuses_a_malformed_body(b, handle, message: bytes) -> None:
    with b.active(), boa.reverts("hyperlane: bad body"):
        handle(message)


def test_handle_passes_on_the_registrys_refusal(b, handle) -> None:
    """A well-formed body the registry refuses (here a zero owner) reverts with its reason: the
    Mailbox keeps the message undelivered."""
    with b.active(), boa.reverts("registry: zero owner"):
        handle(body(CHAIN_A, 1, ZERO, ZERO, ACTIVE, 1, 0))


# ---------------------------------------------------------------- gas


def test_gas(a, b, agent) -> None:
    """Call gas (no 21,000 base, no calldata) of this contract alone: `report` to one and to two
    chains with a Mailbox that stores nothing (Hyperlane's `dispatch` adds ~157,000 per
    destination: /work/shared/INTENTS.md), `handle` of a first state and of a newer one
    (Hyperlane's `process` and its ISM come on top). Printed with -s."""
    a.mailbox.set_light(True)
    gas = {}
    for destinations in ([CHAIN_B], [CHAIN_B, CHAIN_C]):
        quote = a.agents.quoteReport(agent, destinations)
        with a.prank(CALLER):
            a.agents.report(agent, destinations, value=quote)
        gas[f"report to {len(destinations)}"] = a.agents._computation.get_gas_used()
    assert a.mailbox.count() == 0
    for name, sequence in (("handle, first state", 0), ("handle, newer state", 1)):
        with b.prank(b.mailbox):
            b.agents.handle(DOMAINS[CHAIN_A], word(b.agents), body(CHAIN_A, agent, OWNER, OWNER, ACTIVE, 1, sequence))
        gas[name] = b.agents._computation.get_gas_used()
    print("\n" + "; ".join(f"{k}: {v:,}" for k, v in gas.items()))
    assert gas["handle, newer state"] < gas["handle, first state"] < 100_000
    assert gas["report to 1"] < gas["report to 2"] < 60_000
