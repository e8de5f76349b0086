"""Rule-based state machine for the intents layer (Hypothesis on titanoboa).

One EVM holds both chains: an origin IntentSettler and a destination
IntentSettler (two instances on one AgentRegistry / SessionManager), told
apart by the chain id patched around each call (ORIGIN_CHAIN for origin
calls, DEST_CHAIN for destination calls); an AttesterOracle with a 2-of-3
committee of fixed keys (two more fixed keys are non-members); two ERC-20
tokens and native value; two users (user 1 owns agent 1), two fillers
(filler 1 owns agent 2), two payout addresses, two output recipients and a
relayer. Time moves with `boa.env.time_travel`.

Actions (methods registered with `@action`, run by the machine's one rule
`act`, see there why):

- `open_order` / `open_gasless`: open orders (1-2 inputs and outputs of
  either token or native value, random amounts, fill deadlines, refund
  delays, exclusivity, agents; in a quarter of them one defect the settler
  must refuse; some "local" orders whose destination is the origin settler
  itself) on-chain, or gasless through the relayer's `openFor` (signed by
  the user or another key, in the settler's domain or another chain's or
  settler's, relayed at once, kept for later, relayed again once opened,
  relayed late, on the wrong chain or settler, cancelled first with
  `invalidateNonces` at the origin or at the other settler), or open an
  earlier order again; `invalidate_nonces` cancels pending ones (and the
  relayer tries them anyway);
- `fill` / `fill_any`: fill an order (by its exclusive filler or another,
  naming a payout and filler agent, at once or at / just after the
  exclusivity or fill deadline; then maybe a second filler races, the user
  tries to refund it with the fill's proof, or the filler never proves it
  and the user reclaims it after refundAfter), or any order with a wrong
  value, chain, settler, payout or agent;
- `record_unfilled`: before, at and after the fill deadline, filled or
  not; then a late fill, a settle, or a refund with the record's proof
  (alone or in a batch with closed orders);
- `settle`: settle a filled order with bad proofs first (one member, two
  non-members, a member and a non-member, unsorted, duplicated, truncated,
  empty, another order's, bound to another origin settler, origin chain or
  destination, or naming another payout or filler agent), then a correct
  one (2 or 3 members); or batches of correct proofs mixing orders already
  settled or refunded;
- `refund`: refund an Open order with bad proofs (non-members, one member,
  another order's, another origin's), then with what the destination
  recorded (an unfilled proof, the fill's own proof, or nothing) or no
  proof, maybe after waiting until just after the fill deadline, until
  refundAfter (proof still needed) or just after; or batches;
- `close_any`: settle or refund anything else (settled, refunded, local,
  unknown or recorded-unfilled orders) with any proof;
- `open_defective`: orders with the run's next defects (DEFECTS), each of
  which the settler must refuse with its own reason;
- `time_travel`: fixed steps, or to one side of an order's deadline.

`intents_model.py` predicts every call: refused (with the settler's exact
revert reason) or allowed, and then its effects on order statuses,
destination records, used nonces and every balance. The test asserts the
contract agrees, and after every step that the chain (read straight from
storage and balances) equals the model. Independently of the model, from
its own records and the chain:

- I1 the origin settler holds, per token and in native value, exactly the
  inputs of the orders whose on-chain status is Open;
- I2 statuses only move None -> Open -> Settled / Refunded (read after
  every step), a destination record never changes once written, no order
  is filled twice, or settled or refunded twice, or both;
- I3 a gasless signature (and a user's nonce) opens at most once, only at
  or before its openDeadline, only on ORIGIN_CHAIN at the origin settler;
- I4 escrow released by `settle` goes to the payout (and names the filler
  agent) that the order's destination settler recorded, read from the
  destination's storage, and every balance (payouts, fillers, users,
  recipients, both settlers) is exactly the model's after every step; the
  committee is trusted as designed, never more: fewer than THRESHOLD
  members ever attest something the destination did not record (checked
  in `attest`), so every release is backed by a real fill. A fill by
  someone other than the exclusive filler happens only after the
  exclusivity deadline; a refund without proof only after refundAfter;
- I5 an order's originData in any other encoding (`non_canonical`) is
  refused by fill and recordUnfilled: no second id, no second fill;
- I6 a settle or refund batch lands every order it can and skips the
  others with the model's reason (return bitmap and Skipped events).

Every example runs inside `boa.env.anchor()` (entered in `__init__`, left
in `teardown`) on one deployment per test. `test_intents_state_machine`
ends by asserting that each meaningful outcome (settled, refunded with a
proof, by timeout, refused double fill, replayed signature, bad proof, ...)
happened at least COVERAGE times over the run.

Profiles (`profile.py`): by default 200 examples x 30 steps from a fixed
seed; `CHARTER_FUZZ=random` draws new sequences, `CHARTER_FUZZ=long` runs
2,000 examples x 60 steps.

PYTEST_DONT_REWRITE: pytest's assertion rewriting of this module's hot
loops cost about a third of the run; the assertions carry their own
messages and Hypothesis prints the failing sequence.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import boa
from boa.util.abi import Address
from eth_abi import decode, encode
from eth_account import Account
from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from unit.helpers import deploy_session_manager

from .intents_model import (
    DAY,
    NATIVE,
    NON_CANONICAL,
    ORDER_ABI,
    ORDER_DATA_TYPE,
    STATUS_NONE,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    THRESHOLD,
    UNFILLED_RECORD,
    ZERO,
    CharterOrder,
    Gasless,
    Model,
    Order,
    Output,
    Proof,
    Signed,
    addr,
    attestation_digest,
    b32,
    non_canonical,
    record_hash,
)
from .profile import MAX_EXAMPLES, SETTINGS, STEPS, full_length

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
MOCKS = ROOT / "tests" / "mocks"

ORIGIN_CHAIN = 1  # titanoboa's default chain id
DEST_CHAIN = 8_453
COVERAGE = 5  # each counted outcome must happen at least this often per run


# ---------------------------------------------------------------- actors


def fixed_key(label: str):
    return Account.from_key(keccak(text=f"charter-intents-machine-{label}"))


def fixed_address(label: str) -> str:
    return addr("0x" + keccak(text=f"charter-intents-machine-addr-{label}")[-20:].hex())


USER_KEYS = [fixed_key("user-1"), fixed_key("user-2")]
USERS = [addr(k.address) for k in USER_KEYS]
FILLERS = [addr(fixed_key(f"filler-{i}").address) for i in (1, 2)]
MEMBER_KEYS = sorted((fixed_key(f"member-{i}") for i in range(3)), key=lambda k: int(k.address, 16))
STRANGER_KEYS = sorted((fixed_key(f"stranger-{i}") for i in range(2)), key=lambda k: int(k.address, 16))
MEMBERS = [addr(k.address) for k in MEMBER_KEYS]
DEPLOYER = fixed_address("deployer")
START_TIME = 1_800_000_000  # 2027-01-15
P1, P2, R1, R2, RELAYER = (fixed_address(x) for x in ("payout-1", "payout-2", "recipient-1", "recipient-2", "relayer"))
RECIPIENTS = [R1, R2]
USER_AGENT = {USERS[0]: 1, USERS[1]: 0}  # user 1 owns agent 1
FILLER_AGENT = 2  # owned by filler 1
UNKNOWN_AGENT = 99
BALANCE = 10**24
ETH = 10**24
MAX = 2**256 - 1
AMOUNTS = [1, 7, 100, 1_000, 10**6]

_SIGNATURES: dict[tuple[str, bytes], bytes] = {}


def sign(key, digest: bytes) -> bytes:
    """65-byte (r, s, v) signature of a raw digest, cached across examples."""
    cache = (key.address, digest)
    if cache not in _SIGNATURES:
        _SIGNATURES[cache] = bytes(Account.unsafe_sign_hash(digest, key.key).signature)
    return _SIGNATURES[cache]


def revert_reason(output: bytes) -> str:
    if output[:4] == bytes.fromhex("08c379a0"):
        return decode(["string"], output[4:])[0]
    return f"raw revert 0x{output.hex()}"


@cache
def map_slot(base: int, *keys) -> int:
    """Vyper HashMap slot: keccak256(slot ++ key), nested (cached: the
    invariant reads the same slots after every step)."""
    slot = base
    for k in keys:
        key = (
            k
            if isinstance(k, bytes)
            else (bytes(12) + bytes.fromhex(k[2:]) if isinstance(k, str) else k.to_bytes(32, "big"))
        )
        slot = int.from_bytes(keccak(slot.to_bytes(32, "big") + key), "big")
    return slot


# ---------------------------------------------------------------- deployment


# The settler's entry points by their ABI signatures (ERC-7683's for open,
# openFor and fill). The machine encodes calls itself and sends them with
# `boa.env.execute_code` to contracts deployed as raw code: titanoboa does
# not know them, so a refusal costs no `repr` of the contract (which dumps
# its storage; with hundreds of refusals per example that dominated).
ONCHAIN_ABI = "(uint32,bytes32,bytes)"
GASLESS_ABI = "(address,address,uint256,uint256,uint32,uint32,bytes32,bytes)"
ENTRY_POINTS = {
    "open": [ONCHAIN_ABI],
    "openFor": [GASLESS_ABI, "bytes", "bytes"],
    "invalidateNonces": ["uint256", "uint256"],
    "fill": ["bytes32", "bytes", "bytes"],
    "recordUnfilled": ["bytes32", "bytes"],
    "settle": [f"({ORDER_ABI},address,uint256,bytes)[]"],
    "refund": [f"({ORDER_ABI},bytes)[]"],
    # setup and views
    "mint": ["address", "uint256"],
    "approve": ["address", "uint256"],
    "ORDER_DATA_TYPE": [],
    "UNFILLED_RECORD": [],
    "attestationDigest": ["uint256", "address", "uint256", "bytes32", "bytes32", "bytes32"],
}
SELECTORS = {name: keccak(text=f"{name}({','.join(types)})")[:4] for name, types in ENTRY_POINTS.items()}


def calldata(name: str, *args) -> bytes:
    return SELECTORS[name] + encode(ENTRY_POINTS[name], list(args))


def raw_deploy(deployer, types: list[str], *args) -> str:
    """Deploy `deployer`'s contract as raw code (unknown to titanoboa)."""
    address, _ = boa.env.deploy_code(
        sender=DEPLOYER, bytecode=deployer.compiler_data.bytecode + encode(types, list(args))
    )
    return addr(address)


def transact(to: str, data: bytes, sender: str, value: int = 0):
    return boa.env.execute_code(to_address=to, sender=sender, value=value, data=data)


def view(to: str, name: str, *args, returns: str):
    computation = transact(to, calldata(name, *args), RELAYER)
    assert not computation.is_error, name
    return decode([returns], bytes(computation.output))[0]


@dataclass
class Deployment:
    registry: object
    manager: object
    origin: str  # the origin settler
    dest: str  # the destination settler
    oracle: str
    tokens: list[str]
    slots: dict[str, int]  # storage slots of the settler's maps and of Token.balanceOf

    @property
    def holders(self) -> list[str]:
        return [*USERS, *FILLERS, P1, P2, R1, R2, RELAYER, self.origin, self.dest]


def deploy() -> Deployment:
    """The deployment every example starts from. Its addresses and clock
    are fixed (a fresh deployer, START_TIME), so order ids, and so the
    sequences the default profile replays, do not depend on the wall clock
    or on the tests that ran before (titanoboa's anchor around each test
    undoes the clock)."""
    assert boa.env.evm.patch.chain_id == ORIGIN_CHAIN
    boa.env.timestamp = START_TIME
    with boa.env.prank(DEPLOYER):
        registry = boa.load_partial(str(CONTRACTS / "AgentRegistry.vy")).deploy()
        manager = deploy_session_manager(registry.address)
    view_code = raw_deploy(boa.load_partial(str(CONTRACTS / "IntentView.vy")), [])
    settlers = boa.load_partial(str(CONTRACTS / "IntentSettler.vy"))
    origin, dest = (
        raw_deploy(settlers, ["address", "address", "address"], addr(registry), addr(manager), view_code)
        for _ in range(2)
    )
    oracle = raw_deploy(
        boa.load_partial(str(CONTRACTS / "AttesterOracle.vy")), ["address[]", "uint256", "address"], MEMBERS, 2, ZERO
    )
    token_deployer = boa.load_partial(str(MOCKS / "Token.vy"))
    tokens = [raw_deploy(token_deployer, []), raw_deploy(token_deployer, [])]
    assert registry.register("ipfs://user-1", sender=USERS[0]) == USER_AGENT[USERS[0]]
    assert registry.register("ipfs://filler-1", sender=FILLERS[0]) == FILLER_AGENT
    for who in [*USERS, *FILLERS, RELAYER]:
        boa.env.set_balance(who, ETH)
        for token in tokens:
            assert not transact(token, calldata("mint", who, BALANCE), who).is_error
            for settler in (origin, dest):  # fillers fill local orders on the origin
                assert not transact(token, calldata("approve", settler, MAX), who).is_error
    layout = settlers.compiler_data.storage_layout["storage_layout"]
    slots = {name: layout[name]["slot"] for name in ("_orders", "fillRecords", "nonceBitmap")}
    slots["balanceOf"] = token_deployer.compiler_data.storage_layout["storage_layout"]["balanceOf"]["slot"]
    # The model's hashing agrees with the contracts' own views (a mismatch
    # would make every proof and signature fail, so fail fast instead).
    assert view(origin, "ORDER_DATA_TYPE", returns="bytes32") == ORDER_DATA_TYPE
    assert view(origin, "UNFILLED_RECORD", returns="bytes32") == UNFILLED_RECORD
    args = (ORIGIN_CHAIN, origin, DEST_CHAIN, dest, b"\x01" * 32, record_hash(P1, 0))
    digest = view(oracle, "attestationDigest", *args[:3], b32(dest), *args[4:], returns="bytes32")
    assert digest == attestation_digest(oracle, *args)
    return Deployment(registry, manager, origin, dest, oracle, tokens, slots)


# ---------------------------------------------------------------- records


@dataclass
class OrderRec:
    order: Order  # as the settler stores it (its id is the orderId)
    kind: str  # "onchain" | "gasless"
    defect: str | None
    value: int = 0  # msg.value of an on-chain open
    gasless: Gasless | None = None
    signed: Signed | None = None
    signature: bytes = b""
    order_type: bytes = ORDER_DATA_TYPE  # orderDataType as submitted
    opened: bool = False

    @property
    def local(self) -> bool:
        return self.order.data.destination_chain_id == ORIGIN_CHAIN


@dataclass
class Stats:
    examples: int = 0
    steps: list[int] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)  # "rule: ok" / "rule: reason"
    events: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict, key: str) -> None:
        bucket[key] = bucket.get(key, 0) + 1

    def event(self, key: str) -> None:
        self.count(self.events, key)


# ---------------------------------------------------------------- strategies

TOKEN_PICKS = st.integers(0, 2)  # t1, t2, native
ONE_OR_TWO = st.sampled_from([1, 1, 1, 2])  # inputs / outputs of an order (more are slower to run)
DEFECTS = [
    "fill_past",  # fill deadline already passed
    "fill_now",  # fill deadline == now (must be later)
    "refund_early",  # refundAfter one second short of fill + a day
    "excl_no_filler",  # exclusivity deadline without an exclusive filler
    "agent_other",  # an agent the user does not control
    "agent_unknown",
    "zero_input",
    "zero_output",
    "output_chain",  # an output on another chain than the destination
    "no_oracle",  # a remote order without an oracle
    "bad_type",  # an unknown orderDataType
    "value_more",  # on-chain: msg.value above the native inputs
    "value_less",
    "native_gasless",  # gasless: a native input (openFor takes no value)
    "open_late",  # gasless: openDeadline after the fill deadline
    "nonce_mismatch",  # gasless: orderData.nonce differs from the signed nonce
]
ONCHAIN_ONLY = {"value_more", "value_less"}
GASLESS_ONLY = {"native_gasless", "open_late", "nonce_mismatch"}
ORDER_SPEC = st.fixed_dictionaries(
    {
        "user": st.integers(0, 1),
        "own_agent": st.sampled_from([False, False, False, True]),
        "fill_in": st.sampled_from([60, 600, 3_600, 3_600, 7_200, 7_200, 14_400]),
        "refund_extra": st.sampled_from([0, 0, 0, 600]),
        "excl": st.sampled_from(
            ["none"] * 4 + ["f1_short", "f1_short", "f1_fill", "f1_long", "f1_past", "f2_short", "f1_zero"]
        ),
        "local": st.sampled_from([False] * 7 + [True, True]),
        "inputs": ONE_OR_TWO.flatmap(
            lambda n: st.lists(st.tuples(TOKEN_PICKS, st.sampled_from(AMOUNTS)), min_size=n, max_size=n)
        ),
        "outputs": ONE_OR_TWO.flatmap(
            lambda n: st.lists(
                st.tuples(TOKEN_PICKS, st.sampled_from(AMOUNTS), st.integers(0, 1)), min_size=n, max_size=n
            )
        ),
        "defective": st.sampled_from([False] * 9 + [True]),  # then the run's next DEFECTS entry
        "open_in": st.sampled_from([0, 30, 300, 300, "fill"]),  # gasless: openDeadline - now
        "nonce_word": st.sampled_from([0, 0, 0, 1]),  # gasless: bitmap word of the nonce
    }
)
PICK = st.integers(0, 2**16)
SETTLE_PROOFS = ["good"] * 8 + [
    "all3",
    "one",
    "strangers",
    "mixed",
    "unsorted",
    "dup",
    "truncated",
    "empty",
    "other_order",
    "other_origin",
    "other_chain",
    "other_dest",
    "other_payout",
    "other_agent",
]
REFUND_PROOFS = ["truth", "none", "strangers", "truth", "one", "other_order", "truth", "other_origin", "none"]
FORGED_SETTLE = [k for k in dict.fromkeys(SETTLE_PROOFS) if k not in ("good", "all3")]
FORGED_REFUND = ["strangers", "one", "other_order", "other_origin"]


# ---------------------------------------------------------------- machine

# name -> (weight, needs(machine), action(s) instead when it does not, arguments strategy)
ACTIONS: dict[str, tuple] = {}


def has_orders(machine) -> bool:
    return bool(machine.orders)


def action(weight: int, needs=lambda machine: True, instead: str | tuple[str, ...] = "open_order", **arguments):
    """Register a machine method as an action of `act` (the one rule)."""

    def register(method):
        ACTIONS[method.__name__] = (weight, needs, instead, st.fixed_dictionaries(arguments))
        return method

    return register


class IntentsMachine(RuleBasedStateMachine):
    def __init__(self, d: Deployment, stats: Stats, base: dict):
        super().__init__()
        self.d = d
        self.stats = stats
        stats.examples += 1
        stats.steps.append(0)
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self.evm = boa.env.evm
        self.origin, self.dest, self.oracle = d.origin, d.dest, d.oracle
        self.tokens = d.tokens
        self.model = Model(
            origin_chain=ORIGIN_CHAIN,
            dest_chain=DEST_CHAIN,
            origin=self.origin,
            dest=self.dest,
            oracle=self.oracle,
            members=frozenset(MEMBERS),
            agents={1: USERS[0], FILLER_AGENT: FILLERS[0]},
            contracts=frozenset({self.origin, self.dest, self.oracle, *self.tokens}),
            bal=dict(base["bal"]),
        )
        self.slots = base["slots"]
        self.orders: list[OrderRec] = []
        self.by_id: dict[bytes, OrderRec] = {}
        self.nonce = 0  # on-chain orders: a fresh orderData.nonce each
        self.gasless_nonce = {u: 0 for u in USERS}
        # the test's own records (I2, I3), not the model's
        self.seen_status: dict[bytes, int] = {}
        self.seen_record: dict[tuple[str, bytes], int] = {}
        self.filled: set[bytes] = set()
        self.settled: set[bytes] = set()
        self.refunded: set[bytes] = set()
        self.opened_signatures: set[bytes] = set()
        self.opened_nonces: set[tuple[str, int]] = set()
        self.invalidated: set[tuple[str, int]] = set()  # (user, nonce) on the origin settler
        self.queues: dict[int, list[str]] = {}  # see `rotation`
        self.calls = 0  # transactions sent in this example
        self.checked_at = -1  # `calls` when the chain was last compared with the model

    def teardown(self):
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def step(self) -> None:
        self.stats.steps[-1] += 1

    @property
    def now(self) -> int:
        return boa.env.timestamp

    @contextmanager
    def on(self, chain: int):
        self.evm.patch.chain_id = chain
        try:
            yield
        finally:
            self.evm.patch.chain_id = ORIGIN_CHAIN

    def read(self, where: str, slot: int) -> int:
        return self.evm.get_storage(Address(where), slot)

    def call(
        self, label: str, expected: str | None, chain: int, to: str, name: str, *args, sender: str, value: int = 0
    ) -> None:
        """Call `to`.`name`(*args) on `chain`; the contract must allow it
        exactly when the model does, and refuse it with the reason the
        model gives."""
        with self.on(chain):
            computation = transact(to, calldata(name, *args), sender, value)
        got = revert_reason(bytes(computation.output)) if computation.is_error else None
        assert got == expected, f"{label}: contract {got or 'allowed'}, model {expected or 'allowed'}"
        self.stats.count(self.stats.calls, f"{label}: {got or 'ok'}")
        self.calls += 1
        return computation

    def check_batch(self, computation, event: str, recs: list[OrderRec], skips: list[int]) -> None:
        """I6: a settle / refund that went through returns bit i for each
        item that landed and logs `event` (orderId, reason) for each one it
        skipped, with the model's reason."""
        landed = sum(1 << i for i, skip in enumerate(skips) if not skip)
        assert int.from_bytes(bytes(computation.output), "big") == landed
        topic = int.from_bytes(keccak(text=f"{event}(bytes32,uint8)"), "big")
        origin = bytes.fromhex(self.origin[2:])
        logged = [
            (topics[1].to_bytes(32, "big"), int.from_bytes(data, "big"))
            for _, emitter, topics, data in sorted(computation.get_raw_log_entries())
            if emitter == origin and topics[0] == topic
        ]
        assert logged == [(r.order.id, skip) for r, skip in zip(recs, skips, strict=True) if skip]
        for skip in {s for s in skips if s}:
            self.stats.event(f"{event} reason {skip}")

    def pick(self, pick: int, candidates: list[OrderRec]) -> OrderRec:
        """A candidate, else an order that opened, else any order."""
        pool = candidates or [r for r in self.orders if r.opened] or self.orders
        return pool[pick % len(pool)]

    def wait_until(self, timestamp: int) -> None:
        """Travel forward to `timestamp` (never back)."""
        if timestamp > self.now:
            boa.env.time_travel(seconds=timestamp - self.now)

    def rotation(self, kinds: list[str], seed: bytes, n: int = 1, usable=lambda kind: True) -> list[str]:
        """The next `n` usable entries of `kinds` for this run: a run goes
        round `kinds` (an entry not usable now keeps its turn), from a place
        given by `seed` at its first use. Over the runs every entry is then
        used about as often, which drawing each one would not give
        (Hypothesis draws some indices far more often than others)."""
        if id(kinds) not in self.queues:
            at = int.from_bytes(keccak(seed)[:4], "big")
            self.queues[id(kinds)] = [kinds[(at + i) % len(kinds)] for i in range(len(kinds))]
        queue = self.queues[id(kinds)]
        chosen = [kind for kind in queue if usable(kind)][:n]
        for kind in chosen:
            queue.remove(kind)
            queue.append(kind)
        return chosen

    def forged(self, kinds: list[str], start: int, n: int, rec: OrderRec) -> list[str]:
        """The next `n` bad proofs to try on `rec`; a proof for another order
        waits its turn until another order has a destination record."""
        others = any(r.order.id != rec.order.id and self.dest_record(r) is not None for r in self.orders)
        return self.rotation(kinds, rec.order.id + bytes([start]), n, lambda k: k != "other_order" or others)

    def with_defect(self, spec: dict, gasless: bool) -> dict:
        """`spec` with its defect: the run's next one if it is `defective`."""
        defect = None
        if spec["defective"]:
            only = ONCHAIN_ONLY if gasless else GASLESS_ONLY
            defect = self.rotation(DEFECTS, repr(sorted(spec.items())).encode(), 1, lambda d: d not in only)[0]
        return {**spec, "defect": defect}

    def could_open(self, rec: OrderRec) -> bool:
        g = rec.gasless
        return (
            self.now <= g.order.open_deadline
            and g.nonce == g.order.data.nonce
            and rec.signed == Signed(g.order.user, g.digest(ORIGIN_CHAIN, self.origin))
        )

    def status(self, rec: OrderRec) -> int:
        return self.model.status.get(rec.order.id, STATUS_NONE)

    def dest_record(self, rec: OrderRec) -> bytes | None:
        record = self.model.record(rec.order.data.destination_settler, rec.order.id)
        return None if record == b"\x00" * 32 else record

    def add(self, rec: OrderRec) -> OrderRec:
        self.orders.append(rec)
        self.by_id.setdefault(rec.order.id, rec)
        return rec

    # ------------------------------------------------------------ orders

    def make_data(self, spec: dict, user: str, gasless: bool) -> tuple[int, int, CharterOrder, bytes]:
        """(fillDeadline, openDeadline, orderData, orderDataType) of a spec."""
        now, defect = self.now, spec["defect"]
        fill = now + spec["fill_in"]
        if defect == "fill_past":
            fill = now - 1
        elif defect == "fill_now":
            fill = now
        # Some orders are local (the origin settler is their destination):
        # the drawn ones and, so that every run has some, every fourth.
        local = (spec["local"] or len(self.orders) % 4 == 1) and defect != "no_oracle"
        dest_chain = ORIGIN_CHAIN if local else DEST_CHAIN
        refund_after = fill + DAY + spec["refund_extra"] - (1 if defect == "refund_early" else 0)
        excl, excl_deadline = {
            "none": (ZERO, 0),
            "f1_short": (FILLERS[0], now + 30),
            "f1_fill": (FILLERS[0], fill),
            "f1_long": (FILLERS[0], fill + 100),
            "f1_past": (FILLERS[0], now - 1),
            "f2_short": (FILLERS[1], now + 30),
            "f1_zero": (FILLERS[0], 0),
        }[spec["excl"]]
        if defect == "excl_no_filler":
            excl, excl_deadline = ZERO, now + 30
        agent = USER_AGENT[user] if spec["own_agent"] else 0
        if defect == "agent_other":
            agent = FILLER_AGENT if user == USERS[0] else USER_AGENT[USERS[0]]
        elif defect == "agent_unknown":
            agent = UNKNOWN_AGENT
        token_of = [*self.tokens, NATIVE]
        inputs = []
        for token, amount in spec["inputs"]:
            if gasless and token == 2 and defect != "native_gasless":
                token = 0
            inputs.append((token_of[token], amount))
        if gasless and defect == "native_gasless" and all(t != NATIVE for t, _ in inputs):
            inputs[0] = (NATIVE, inputs[0][1])
        if defect == "zero_input":
            inputs[0] = (inputs[0][0], 0)
        outputs = [Output(token_of[t], amount, RECIPIENTS[r], dest_chain) for t, amount, r in spec["outputs"]]
        if defect == "zero_output":
            outputs[-1] = Output(outputs[-1].token, 0, outputs[-1].recipient, dest_chain)
        elif defect == "output_chain":
            outputs[0] = Output(outputs[0].token, outputs[0].amount, outputs[0].recipient, dest_chain + 1)
        oracle = ZERO if defect == "no_oracle" else self.oracle
        if gasless:
            user_nonce = self.gasless_nonce[user]
            self.gasless_nonce[user] += 1
            nonce = spec["nonce_word"] * 256 + user_nonce
        else:
            self.nonce += 1
            nonce = self.nonce
        data = CharterOrder(
            nonce=nonce,
            agent_id=agent,
            refund_after=max(refund_after, 0),
            oracle=oracle,
            exclusive_filler=excl,
            exclusivity_deadline=max(excl_deadline, 0),
            destination_chain_id=dest_chain,
            destination_settler=self.origin if local else self.dest,
            inputs=tuple(inputs),
            outputs=tuple(outputs),
        )
        open_in = spec["open_in"]
        open_deadline = fill if open_in == "fill" else min(now + open_in, fill)
        if defect == "open_late":
            open_deadline = fill + 1
        order_type = keccak(b"not charter") if defect == "bad_type" else ORDER_DATA_TYPE
        return max(fill, 0), max(open_deadline, 0), data, order_type

    def open_onchain(self, rec: OrderRec, label: str) -> None:
        o = rec.order
        reason, _ = self.model.attempt(
            self.model.open, o.user, o.fill_deadline, rec.order_type, o.data, rec.value, self.now
        )
        self.call(
            label, reason, ORIGIN_CHAIN, self.origin, "open", o.onchain(rec.order_type), sender=o.user, value=rec.value
        )
        if reason is None:
            assert not rec.opened
            rec.opened = True
        elif reason == "intents: order exists":
            self.stats.event("refused: same order opened twice")

    def submit(self, rec: OrderRec, where: str, label: str) -> None:
        """Relay a signed gasless order to `where`: the origin settler on
        its chain, the origin settler on the wrong chain, or the other
        settler."""
        settler, chain = {
            "origin": (self.origin, ORIGIN_CHAIN),
            "wrong_chain": (self.origin, DEST_CHAIN),
            "wrong_settler": (self.dest, ORIGIN_CHAIN),
        }[where]
        g, user = rec.gasless, rec.order.user
        now = self.now
        reason, _ = self.model.attempt(self.model.open_for, g, rec.signed, settler, chain, now)
        self.call(label, reason, chain, settler, "openFor", g.abi(), rec.signature, b"", sender=RELAYER)
        key = (user, g.nonce)
        if reason is None:
            # I3: once, in time, on its chain and settler.
            assert rec.signature not in self.opened_signatures and key not in self.opened_nonces
            assert now <= g.order.open_deadline and chain == ORIGIN_CHAIN and settler == self.origin
            assert settler == g.order.origin_settler and chain == g.order.origin_chain_id
            self.opened_signatures.add(rec.signature)
            self.opened_nonces.add(key)
            rec.opened = True
            self.stats.event("gasless order opened")
            return
        events = {
            "intents: open deadline passed": "refused: gasless after its openDeadline",
            "intents: wrong chain": "refused: gasless on the wrong chain",
            "intents: wrong settler": "refused: gasless at the wrong settler",
            "intents: bad signature": "refused: bad gasless signature",
        }
        if reason in events:
            self.stats.event(events[reason])
        elif reason == "intents: nonce used":
            if rec.signature in self.opened_signatures:
                self.stats.event("refused: replayed gasless signature")
            elif key in self.opened_nonces:
                self.stats.event("refused: gasless nonce used by another order")
            else:
                assert key in self.invalidated
                self.stats.event("refused: gasless nonce invalidated")

    # ------------------------------------------------------------ rules: open

    @action(
        1,
        spec=ORDER_SPEC,
        again=st.sampled_from([False] * 5 + [True]),
        twice=st.sampled_from([False] * 4 + [True]),
        pick=PICK,
    )
    def open_order(self, spec, again, twice, pick, defect=None):
        """Open an order on-chain (`twice`: and at once again, the same
        order), or (`again`) one opened before."""
        earlier = [r for r in self.orders if r.kind == "onchain" and r.opened]
        if again and earlier:
            self.open_onchain(self.pick(pick, earlier), "open again")
            return
        spec = self.with_defect(spec, gasless=False) if defect is None else {**spec, "defect": defect}
        user = USERS[spec["user"]]
        fill, _, data, order_type = self.make_data(spec, user, gasless=False)
        order = Order(user, ORIGIN_CHAIN, self.origin, fill, fill, data)
        native = order.native_in()
        value = native
        if spec["defect"] == "value_more":
            value = native + 1
        elif spec["defect"] == "value_less":
            value = native - 1 if native else 1
        rec = self.add(OrderRec(order, "onchain", spec["defect"], value=value, order_type=order_type))
        self.open_onchain(rec, "open")
        if twice and rec.opened:
            self.open_onchain(rec, "open again")

    @action(1, spec=ORDER_SPEC, n=st.sampled_from([1, 1, 2, len(DEFECTS)]))
    def open_defective(self, spec, n):
        """Open `n` orders that each have the run's next defect (see
        `rotation`; `len(DEFECTS)`: every defect in turn), on-chain or
        gasless as the defect allows; the settler must refuse each with the
        defect's reason."""
        for _ in range(n):
            defect = self.rotation(DEFECTS, repr(sorted(spec.items())).encode())[0]
            if defect in GASLESS_ONLY or (defect not in ONCHAIN_ONLY and self.nonce % 2):
                self.open_gasless({**spec, "defective": False}, "good", "origin", "new", 0, False, None, defect)
            else:
                self.open_order({**spec, "defective": False}, False, False, 0, defect)

    @action(
        1,
        spec=ORDER_SPEC,
        signature=st.sampled_from(["good"] * 8 + ["wrong_signer", "chain_domain", "settler_domain", "nonce_mismatch"]),
        where=st.sampled_from(["origin"] * 6 + ["later", "later", "later", "wrong_chain", "wrong_settler"]),
        again=st.sampled_from(["new"] * 4 + ["opened", "pending", "pending"]),
        pick=PICK,
        replay=st.sampled_from([False, False, True]),
        cancel=st.sampled_from([None, None, None, "origin", "origin", "other_settler"]),
    )
    def open_gasless(self, spec, signature, where, again, pick, replay, cancel, defect=None):
        """Sign a gasless order, then relay it (and maybe replay it) or keep
        it for later; or relay an earlier signature again (`opened`: a
        replay; `pending`: relayed late). An order kept for later may
        be cancelled by its user at once (`cancel`: with invalidateNonces
        at the origin settler, or by mistake at the other one) before the
        relayer sends it anyway."""
        signed = [r for r in self.orders if r.kind == "gasless" and r.opened == (again == "opened")]
        if again != "new" and signed:
            self.submit(self.pick(pick, signed), "origin" if where == "later" else where, "openFor again")
            return
        spec = self.with_defect(spec, gasless=True) if defect is None else {**spec, "defect": defect}
        if spec["defect"] == "nonce_mismatch":
            signature = "nonce_mismatch"
        user_index = spec["user"]
        user = USERS[user_index]
        fill, open_deadline, data, order_type = self.make_data(spec, user, gasless=True)
        order = Order(user, ORIGIN_CHAIN, self.origin, open_deadline, fill, data)
        g = Gasless(order, data.nonce + (1 if signature == "nonce_mismatch" else 0), order_type)
        key = USER_KEYS[1 - user_index] if signature == "wrong_signer" else USER_KEYS[user_index]
        chain, settler = {
            "chain_domain": (DEST_CHAIN, self.origin),
            "settler_domain": (ORIGIN_CHAIN, self.dest),
        }.get(signature, (ORIGIN_CHAIN, self.origin))
        digest = g.digest(chain, settler)
        rec = self.add(
            OrderRec(
                order,
                "gasless",
                spec["defect"],
                gasless=g,
                signed=Signed(addr(key.address), digest),
                signature=sign(key, digest),
                order_type=order_type,
            )
        )
        if where != "later":
            self.submit(rec, where, "openFor")
            if replay and rec.opened:  # the relayer (or anyone who saw it) sends it again
                self.submit(rec, "origin", "openFor replay")
        elif cancel is not None:
            settler = self.origin if cancel == "origin" else self.dest
            self.invalidate(user, settler, g.nonce >> 8, 1 << (g.nonce & 255))
            self.relay_cancelled(rec, settler)

    @action(
        1,
        needs=lambda self: any(r.kind == "gasless" and not r.opened for r in self.orders),
        instead="open_gasless",
        user=st.integers(0, 1),
        pick=PICK,
        how=st.sampled_from(["pending", "pending", "pending", "opened", "random", "other_settler"]),
        relay=st.sampled_from([False, True, True]),
    )
    def invalidate_nonces(self, user, pick, how, relay):
        """A user cancels a pending gasless order (or one that opened, or
        random nonces; or at the other settler, which cancels nothing
        here); then, maybe, the relayer tries the pending one anyway."""
        who = USERS[user]
        settler = self.origin
        gasless = [r for r in self.orders if r.kind == "gasless"]
        target = None
        if how in ("pending", "other_settler"):
            # preferably one the relayer could still open (well signed, in time)
            pending = [r for r in gasless if not r.opened]
            target = self.pick(pick, [r for r in pending if self.could_open(r)] or pending)
            who, nonce = target.order.user, target.gasless.nonce
        elif how == "opened" and any(r.opened for r in gasless):
            target = self.pick(pick, [r for r in gasless if r.opened])
            who, nonce = target.order.user, target.gasless.nonce
        else:
            nonce = pick % 512
        if how == "other_settler":
            settler = self.dest
        word, mask = nonce >> 8, 1 << (nonce & 255)
        if how == "random":
            mask |= 1 << (pick % 7)  # and another bit of the same word
        self.invalidate(who, settler, word, mask)
        if relay and target is not None and not target.opened:
            self.relay_cancelled(target, settler)

    def invalidate(self, who: str, settler: str, word: int, mask: int) -> None:
        self.model.invalidate(who, settler, word, mask)
        self.call("invalidateNonces", None, ORIGIN_CHAIN, settler, "invalidateNonces", word, mask, sender=who)
        if settler == self.origin:
            for bit in range(256):
                if mask >> bit & 1:
                    self.invalidated.add((who, word * 256 + bit))

    def relay_cancelled(self, rec: OrderRec, settler: str) -> None:
        """The relayer sends a gasless order its user cancelled at `settler`."""
        self.submit(rec, "origin", "openFor after invalidateNonces")
        if rec.opened:
            assert settler != self.origin
            self.stats.event("gasless opened after invalidateNonces at the other settler")

    # ------------------------------------------------------------ rules: destination

    def fillable(self) -> list[OrderRec]:
        now = self.now
        return [
            r
            for r in self.orders
            if self.status(r) == STATUS_OPEN
            and now <= r.order.fill_deadline
            and (r.local or self.dest_record(r) is None)
        ]

    @action(
        4,
        needs=lambda self: self.fillable(),
        instead=("open_order", "open_gasless", "time_travel", "time_travel", "time_travel", "time_travel"),
        pick=PICK,
        who=st.sampled_from(["exclusive", "exclusive", "other"]),
        data=st.sampled_from(["sender", "p1", "agent"]),
        wait=st.sampled_from(["no"] * 3 + ["exclusivity", "exclusivity_end", "exclusivity_end", "fill", "fill_end"]),
        then=st.sampled_from(["nothing", "nothing", "nothing", "race", "abandon", "reclaim"]),
    )
    def fill(self, pick, who, data, wait, then):
        """A filler fills an order that can be filled, now or after waiting
        until the end of its exclusivity (`exclusivity`: at the inclusive
        deadline, `exclusivity_end`: a second later) or until its fill
        deadline (`fill`: at it, `fill_end`: a second too late). Then a
        second filler may fill it too (`race`), the user may try to refund
        it with the committee's proof of what the destination recorded, the
        fill (`reclaim`), or the filler never proves its fill and the user
        refunds the order without proof after its refundAfter (`abandon`)."""
        focus = "fillable"
        if who == "other" or wait.startswith("exclusivity"):
            focus = "exclusive"  # an order with an exclusive filler and deadline, if there is one
        rec = self.do_fill(pick, focus, who, data, "exact", "right", wait)
        if then == "race":
            self.do_fill(pick, "fillable", "f2" if who == "exclusive" else "f1", "sender", "exact", "right", "no", rec)
        elif then == "reclaim":
            self.try_refund(rec, "truth", pick)
        elif then == "abandon" and self.status(rec) == STATUS_OPEN:
            self.wait_until(rec.order.data.refund_after + 1)
            self.try_refund(rec, "none", pick)

    @action(
        1,
        needs=has_orders,
        pick=PICK,
        focus=st.sampled_from(["fillable", "fillable", "filled", "unfilled", "unfilled", "any"]),
        who=st.sampled_from(["exclusive", "other", "f1", "f2"]),
        data=st.sampled_from(["sender", "p1", "agent", "zero_payout"]),
        value=st.sampled_from(["exact"] * 3 + ["more", "less"]),
        where=st.sampled_from(["right"] * 3 + ["wrong_chain", "wrong_settler"]),
    )
    def fill_any(self, pick, focus, who, data, value, where):
        """Any order, any filler, any payout, maybe the wrong value, chain
        or settler."""
        self.do_fill(pick, focus, who, data, value, where, "no")

    def do_fill(self, pick, focus, who, data, value, where, wait, rec=None) -> OrderRec:
        """Fill `rec` (or an order picked from `focus`) as told; returns the order."""
        if rec is not None:
            candidates = [rec]
        elif focus == "fillable":
            candidates = self.fillable()
        elif focus == "exclusive":
            fillable = self.fillable()
            candidates = [r for r in fillable if r.order.data.exclusivity_deadline] or fillable
        elif focus == "filled":
            candidates = [r for r in self.orders if r.order.id in self.filled]
        elif focus == "unfilled":
            candidates = [r for r in self.orders if self.dest_record(r) == UNFILLED_RECORD]
        else:
            candidates = []
        rec = self.pick(pick, candidates)
        o = rec.order
        if wait != "no":
            deadline = o.data.exclusivity_deadline if wait.startswith("exclusivity") else o.fill_deadline
            self.wait_until(deadline + wait.endswith("_end"))
        exclusive = o.data.exclusive_filler
        sender = {
            "exclusive": exclusive if exclusive != ZERO else FILLERS[0],
            "other": FILLERS[0] if exclusive == FILLERS[1] else FILLERS[1],
            "f1": FILLERS[0],
            "f2": FILLERS[1],
        }[who]
        filler_data = {"sender": None, "p1": (P1, 0), "agent": (P2, FILLER_AGENT), "zero_payout": (ZERO, 0)}[data]
        native = o.native_out()
        amount = {"exact": native, "more": native + 1, "less": native - 1 if native else 1}[value]
        settler, chain = o.data.destination_settler, o.data.destination_chain_id
        other = {self.origin: self.dest, self.dest: self.origin}
        if where == "wrong_chain":
            chain = ORIGIN_CHAIN if chain == DEST_CHAIN else DEST_CHAIN
        elif where == "wrong_settler":
            settler = other[settler]
        now = self.now
        was_filled = o.id in self.filled
        was_unfilled = self.model.record(settler, o.id) == UNFILLED_RECORD
        reason, result = self.model.attempt(self.model.fill, sender, o, filler_data, amount, settler, chain, now)
        encoded = b"" if filler_data is None else encode(["address", "uint256"], list(filler_data))
        self.call("fill", reason, chain, settler, "fill", o.id, o.encoded, encoded, sender=sender, value=amount)
        if reason is None:
            local, payout, agent = result
            # I2: filled once; I4: only the exclusive filler while exclusive.
            assert not was_filled
            self.filled.add(o.id)
            if exclusive != ZERO and sender != exclusive:
                assert now > o.data.exclusivity_deadline
                if o.data.exclusivity_deadline:
                    self.stats.event("filled by another filler after the exclusivity deadline")
            if local:
                assert o.id not in self.settled and o.id not in self.refunded
                self.settled.add(o.id)
                self.stats.event("settled by a local fill")
            else:
                assert self.read(settler, map_slot(self.slots["fillRecords"], o.id)) == int.from_bytes(
                    record_hash(payout, agent), "big"
                )
            if now == o.fill_deadline:
                self.stats.event("filled at the fill deadline")
            return rec
        if was_filled and reason in ("intents: already filled", "intents: not open"):
            self.stats.event("refused: second fill")
        elif was_unfilled:  # its fill deadline passed, so that is the reason given
            self.stats.event("refused: fill of an order recorded unfilled")
        elif reason == "intents: exclusive filler":
            self.stats.event("refused: fill by another filler during exclusivity")
        elif reason == "intents: fill deadline passed":
            self.stats.event("refused: fill after the fill deadline")
        return rec

    @action(
        3,
        needs=lambda self: any(self.status(r) == STATUS_OPEN and self.dest_record(r) is None for r in self.orders),
        instead="fill",
        pick=PICK,
        focus=st.sampled_from(["expired"] * 3 + ["unfilled"] * 4 + ["any"]),
        where=st.sampled_from(["right"] * 8 + ["wrong_chain"]),
        wait=st.sampled_from(["no", "no", "deadline", "after"]),
        then=st.sampled_from(["refund", "fill", "settle", "batch", "settle", "nothing"]),
    )
    def record_unfilled(self, pick, focus, where, wait, then):
        """Record an order as not filled: one whose fill deadline passed
        (`expired`), or one still unfilled (`unfilled`) after waiting until
        its fill deadline (`deadline`: too early) or just after (`after`).
        Once recorded, a late filler may try to fill it (`fill`), a relayer
        may try to settle it with the committee's proof of the record
        (`settle`), or the user refunds it on the origin with that proof,
        alone (`refund`) or in a batch with closed orders (`batch`)."""
        candidates = []
        if focus == "expired":
            candidates = [
                r
                for r in self.orders
                if r.opened and self.now > r.order.fill_deadline and not r.local and self.dest_record(r) is None
            ]
        elif focus == "unfilled":
            candidates = [r for r in self.orders if self.status(r) == STATUS_OPEN and self.dest_record(r) is None]
        rec = self.pick(pick, candidates)
        o = rec.order
        if wait != "no":
            self.wait_until(o.fill_deadline + (wait == "after"))
        now = self.now
        settler, chain = o.data.destination_settler, o.data.destination_chain_id
        if where == "wrong_chain":
            chain = ORIGIN_CHAIN if chain == DEST_CHAIN else DEST_CHAIN
        reason, _ = self.model.attempt(self.model.record_unfilled, o, settler, chain, now)
        self.call("recordUnfilled", reason, chain, settler, "recordUnfilled", o.id, o.encoded, sender=RELAYER)
        if reason is None:
            # a local order is refused once opened (one never opened cannot open any more)
            assert not rec.local or self.status(rec) == STATUS_NONE
            self.stats.event("recorded unfilled" + (" (local order never opened)" if rec.local else ""))
            if then == "fill":
                self.do_fill(pick, "", "f1", "sender", "exact", "right", "no", rec)
            elif then == "settle":  # with the committee's (true) proof of the unfilled record
                self.try_settle(rec, "good", pick)
            elif then == "refund":
                self.try_refund(rec, "truth", pick)
            elif then == "batch":  # refunded in one batch with orders already closed (skipped)
                recs = self.batch(rec, [(pick, "closed"), (pick + 1, "closed")], self.refund_candidates)
                self.do_refund("refund batch", recs, [self.refund_proof(r, "truth", pick) for r in recs])
        elif reason == "intents: fill deadline not passed":
            self.stats.event("refused: recordUnfilled before the fill deadline")
        elif reason == "intents: local order":
            # a local order has no record: its fill settles it (writing
            # none), its refund needs no proof
            self.stats.event("refused: recordUnfilled of a local order")

    # ------------------------------------------------------------ proofs

    def attest(
        self, keys, order_id: bytes, record: bytes, o: Order, origin_chain=ORIGIN_CHAIN, origin=None, dest=None
    ) -> tuple[bytes, Proof]:
        """`keys` sign the attestation that the destination (the order's,
        or `dest`) recorded `record` for `order_id`, for `origin` (the
        origin settler) on `origin_chain`, in the oracle's domain on that
        chain."""
        origin = self.origin if origin is None else origin
        dest = o.data.destination_settler if dest is None else dest
        digest = attestation_digest(
            self.oracle, origin_chain, origin, o.data.destination_chain_id, dest, order_id, record
        )
        in_scope = origin_chain == ORIGIN_CHAIN and origin == self.origin and dest == o.data.destination_settler
        if in_scope and self.model.record(dest, order_id) != record:
            # The trust assumption: fewer than THRESHOLD members ever attest
            # what the destination did not record (one member may lie).
            liars = {addr(k.address) for k in keys} & set(MEMBERS)
            assert len(liars) < THRESHOLD, "the test made the committee lie"
        signed = tuple((addr(k.address), digest) for k in keys)
        return b"".join(sign(k, digest) for k in keys), Proof(signed)

    def two_members(self, pick: int) -> list:
        i, j = sorted(((pick % 3), (pick % 3 + 1 + (pick // 3) % 2) % 3))
        return [MEMBER_KEYS[i], MEMBER_KEYS[j]]

    def settle_claim(self, rec: OrderRec, kind: str, pick: int) -> tuple[str, int, bytes, Proof]:
        """(payout, fillerAgentId, proof bytes, proof as modelled) of a
        settlement of `rec` with a proof of `kind`."""
        o = rec.order
        record = self.dest_record(rec)
        payout, agent = self.model.fills.get(o.id, (FILLERS[0], 0))
        members = self.two_members(pick)
        if kind in ("good", "all3", "unsorted", "dup", "truncated", "other_payout", "other_agent"):
            if record is None:
                proof, model = b"", Proof()  # nothing recorded: an honest committee signs nothing
            else:
                keys = {
                    "all3": MEMBER_KEYS,
                    "unsorted": members[::-1],
                    "dup": [members[0], members[0]],
                }.get(kind, members)
                proof, model = self.attest(keys, o.id, record, o)
                if kind == "truncated":
                    proof, model = proof[:-1], Proof(model.signed, malformed=True)
            if kind == "other_payout":
                payout = {P1: P2, P2: P1}.get(payout, P1)
            elif kind == "other_agent":
                agent = 0 if agent else FILLER_AGENT
            return payout, agent, proof, model
        claim = record_hash(payout, agent)
        if kind == "strangers":
            return payout, agent, *self.attest(STRANGER_KEYS, o.id, claim, o)
        if kind == "one":  # a single member, lying if nothing was recorded
            return payout, agent, *self.attest(members[:1], o.id, claim, o)
        if kind == "mixed":  # a member (lying if nothing was recorded) and a non-member
            keys = sorted([MEMBER_KEYS[pick % 3], STRANGER_KEYS[pick % 2]], key=lambda k: int(k.address, 16))
            return payout, agent, *self.attest(keys, o.id, claim, o)
        if kind == "empty":
            return payout, agent, b"", Proof()
        if kind == "other_order":
            others = [r for r in self.orders if r.order.id != o.id and self.dest_record(r) is not None]
            if not others:
                return payout, agent, b"", Proof()
            other = self.pick(pick, others)
            other_record = self.dest_record(other)
            if other.order.id in self.model.fills:
                payout, agent = self.model.fills[other.order.id]
            return payout, agent, *self.attest(members, other.order.id, other_record, other.order)
        # bound to another origin settler, origin chain or destination
        truth = record if record is not None else claim
        if kind == "other_origin":
            return payout, agent, *self.attest(members, o.id, truth, o, origin=self.dest)
        if kind == "other_chain":
            return payout, agent, *self.attest(members, o.id, truth, o, origin_chain=DEST_CHAIN)
        assert kind == "other_dest"
        dest = self.origin if o.data.destination_settler == self.dest else self.dest
        return payout, agent, *self.attest(members, o.id, truth, o, dest=dest)

    def refund_proof(self, rec: OrderRec, kind: str, pick: int) -> tuple[bytes, Proof]:
        o = rec.order
        record = self.dest_record(rec)
        members = self.two_members(pick)
        if kind == "none":
            return b"", Proof()
        if kind == "truth":  # what the destination recorded: unfilled, a fill, or nothing
            return (b"", Proof()) if record is None else self.attest(members, o.id, record, o)
        if kind == "one":  # a single member, lying unless the order was recorded unfilled
            return self.attest(members[:1], o.id, UNFILLED_RECORD, o)
        if kind == "strangers":
            return self.attest(STRANGER_KEYS, o.id, UNFILLED_RECORD, o)
        if kind == "other_order":  # another order's unfilled proof, else its fill's
            others = [r for r in self.orders if r.order.id != o.id and self.dest_record(r) == UNFILLED_RECORD]
            others = others or [r for r in self.orders if r.order.id != o.id and self.dest_record(r) is not None]
            if not others:
                return b"", Proof()
            other = self.pick(pick, others)
            return self.attest(members, other.order.id, self.dest_record(other), other.order)
        assert kind == "other_origin"
        return self.attest(members, o.id, UNFILLED_RECORD if record is None else record, o, origin=self.dest)

    # ------------------------------------------------------------ rules: settle

    def settle_candidates(self, focus: str) -> list[OrderRec]:
        if focus == "ready":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and r.order.id in self.model.fills]
        if focus == "closed":
            return [r for r in self.orders if self.status(r) in (STATUS_SETTLED, STATUS_REFUNDED)]
        if focus == "settled":
            return [r for r in self.orders if self.status(r) == STATUS_SETTLED]
        if focus == "refunded":
            return [r for r in self.orders if self.status(r) == STATUS_REFUNDED]
        if focus == "local":
            return [r for r in self.orders if r.local and r.opened]
        if focus == "unfilled":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and self.dest_record(r) == UNFILLED_RECORD]
        return []

    def do_settle(self, label: str, recs: list[OrderRec], claims: list[tuple]) -> str | None:
        items = [(r.order, payout, agent, model) for r, (payout, agent, _, model) in zip(recs, claims, strict=True)]
        closed = [r.order.id for r in recs if self.status(r) in (STATUS_SETTLED, STATUS_REFUNDED)]
        reason, result = self.model.attempt(self.model.settle, items, ORIGIN_CHAIN)
        args = [
            (r.order.abi(), payout, agent, proof) for r, (payout, agent, proof, _) in zip(recs, claims, strict=True)
        ]
        computation = self.call(label, reason, ORIGIN_CHAIN, self.origin, "settle", args, sender=RELAYER)
        if reason is None:
            done, skips = result
            self.check_batch(computation, "SettleSkipped", recs, skips)
            fill_records = self.slots["fillRecords"]
            for order_id in done:
                # I2: settled once, never refunded; I4: to the recorded payout.
                assert order_id not in self.settled and order_id not in self.refunded
                self.settled.add(order_id)
                payout, agent = next(c[:2] for r, c in zip(recs, claims, strict=True) if r.order.id == order_id)
                o = self.by_id[order_id].order
                recorded = self.read(o.data.destination_settler, map_slot(fill_records, order_id))
                assert recorded == int.from_bytes(record_hash(payout, agent), "big")
                self.stats.event("settled with a committee proof")
            if closed and len(recs) > 1:
                self.stats.event("batch settle skipped closed orders")
        return reason

    def batch(self, first: OrderRec, picks: list[tuple[int, str]], candidates) -> list[OrderRec]:
        """`first` and one order per pick from its pool (picks whose pool is
        empty are dropped)."""
        recs = [first]
        for pick, focus in picks:
            pool = candidates(focus)
            if pool:
                recs.append(pool[pick % len(pool)])
        return recs

    def try_settle(self, rec: OrderRec, kind: str, pick: int) -> None:
        was_open = self.status(rec) == STATUS_OPEN
        reason = self.do_settle("settle", [rec], [self.settle_claim(rec, kind, pick)])
        if reason == "intents: fill not proven" and was_open and rec.order.id in self.model.fills:
            if kind in FORGED_SETTLE:
                self.stats.event(f"refused: settle of a fill with a bad proof ({kind})")
        elif reason == "intents: already settled":
            self.stats.event("refused: settle of a settled order")
        elif reason == "intents: already refunded":
            self.stats.event("refused: settle of a refunded order")
        elif reason == "intents: fill not proven" and was_open and self.dest_record(rec) == UNFILLED_RECORD:
            self.stats.event("refused: settle of an order recorded unfilled")

    @action(
        4,
        needs=lambda self: self.settle_candidates("ready"),
        instead="fill",
        pick=PICK,
        forged=st.integers(0, len(FORGED_SETTLE) - 1),
        tries=st.sampled_from([1, 1, 2, 2, len(FORGED_SETTLE)]),  # the last: every kind in turn
        proof=st.sampled_from(["good", "good", "all3", "none"]),
        batch=st.sampled_from([False, False, True]),
        more=st.lists(
            st.tuples(PICK, st.sampled_from(["ready", "unfilled", "closed", "local", "closed", "unfilled", "local"])),
            min_size=1,
            max_size=3,
        ),
    )
    def settle(self, pick, forged, tries, proof, batch, more):
        """A relayer settles a filled order: first with `tries` bad proofs
        (the run's next ones in FORGED_SETTLE, see `rotation`), then with a correct
        proof (2 or 3 members), or not; or settles a batch with correct
        proofs, which may hold orders already settled or refunded, local
        orders or orders recorded unfilled (skipped, I6)."""
        rec = self.pick(pick, self.settle_candidates("ready"))
        if batch:
            recs = self.batch(rec, more, self.settle_candidates)
            claims = [self.settle_claim(r, "good", pick + i) for i, r in enumerate(recs)]
            self.do_settle("settle batch" if len(recs) > 1 else "settle", recs, claims)
            return
        kinds = self.forged(FORGED_SETTLE, forged, tries, rec)
        for kind in kinds + ([] if proof == "none" else [proof]):
            if self.status(rec) != STATUS_OPEN:
                break  # settled (`close_any` tries settled orders)
            self.try_settle(rec, kind, pick)

    @action(
        2,
        needs=has_orders,
        pick=PICK,
        settle=st.booleans(),
        focus=st.sampled_from(["settled", "refunded", "refunded", "local", "unfilled", "any"]),
        settle_kind=st.sampled_from(SETTLE_PROOFS),
        refund_kind=st.sampled_from(REFUND_PROOFS),
    )
    def close_any(self, pick, settle, focus, settle_kind, refund_kind):
        """Settle or refund any order (settled, refunded, local, unknown,
        recorded unfilled) with any proof."""
        rec = self.pick(pick, self.settle_candidates(focus))
        if settle:
            self.try_settle(rec, settle_kind, pick)
        else:
            self.try_refund(rec, refund_kind, pick)

    # ------------------------------------------------------------ rules: refund

    def refund_candidates(self, focus: str) -> list[OrderRec]:
        now = self.now
        if focus == "unfilled":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and self.dest_record(r) == UNFILLED_RECORD]
        if focus == "timed_out":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and now > r.order.data.refund_after]
        if focus == "open":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN]
        if focus == "filled":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and r.order.id in self.model.fills]
        if focus == "late_fill":
            return [
                r
                for r in self.orders
                if self.status(r) == STATUS_OPEN and r.order.id in self.model.fills and now > r.order.data.refund_after
            ]
        if focus == "local":
            return [r for r in self.orders if self.status(r) == STATUS_OPEN and r.local]
        if focus == "closed":
            return [r for r in self.orders if self.status(r) in (STATUS_SETTLED, STATUS_REFUNDED)]
        if focus == "refundable":  # with the proof the destination holds, or none
            return [
                r
                for r in self.orders
                if self.status(r) == STATUS_OPEN
                and (
                    now > r.order.data.refund_after
                    or (r.local and now > r.order.fill_deadline)
                    or self.dest_record(r) == UNFILLED_RECORD
                )
            ]
        return []

    def do_refund(self, label: str, recs: list[OrderRec], proofs: list[tuple[bytes, Proof]]) -> str | None:
        now = self.now
        closed = [r for r in recs if self.status(r) in (STATUS_SETTLED, STATUS_REFUNDED)]
        items = [(r.order, model) for r, (_, model) in zip(recs, proofs, strict=True)]
        reason, result = self.model.attempt(self.model.refund, items, ORIGIN_CHAIN, now)
        args = [(r.order.abi(), proof) for r, (proof, _) in zip(recs, proofs, strict=True)]
        computation = self.call(label, reason, ORIGIN_CHAIN, self.origin, "refund", args, sender=RELAYER)
        if reason is None:
            done, skips = result
            self.check_batch(computation, "RefundSkipped", recs, skips)
            fill_records = self.slots["fillRecords"]
            for order_id, how in done:
                assert order_id not in self.settled and order_id not in self.refunded
                self.refunded.add(order_id)
                o = self.by_id[order_id].order
                if how == "timeout":
                    assert now > o.data.refund_after
                    filled = order_id in self.filled
                    self.stats.event("refunded by timeout" + (" after a fill" if filled else ""))
                elif how == "local":
                    assert now > o.fill_deadline and o.data.destination_settler == self.origin
                    self.stats.event("refunded a local order after its fill deadline")
                else:
                    recorded = self.read(o.data.destination_settler, map_slot(fill_records, order_id))
                    assert recorded == int.from_bytes(UNFILLED_RECORD, "big")
                    self.stats.event("refunded with an unfilled proof")
            if closed and len(recs) > 1:
                self.stats.event("batch refund skipped closed orders")
        return reason

    def try_refund(self, rec: OrderRec, kind: str, pick: int) -> None:
        open_, early = self.status(rec) == STATUS_OPEN, self.now <= rec.order.data.refund_after
        record = self.dest_record(rec)
        proof = self.refund_proof(rec, kind, pick)
        reason = self.do_refund("refund", [rec], [proof])
        if reason != "intents: unfilled not proven" or not (open_ and early):
            if reason == "intents: fill deadline not passed":
                self.stats.event("refused: local refund before the fill deadline")
            elif reason == "intents: already refunded":
                self.stats.event("refused: refund of a refunded order")
            elif reason == "intents: already settled":
                self.stats.event("refused: refund of a settled order")
        elif kind == "truth" and record not in (None, UNFILLED_RECORD):
            self.stats.event("refused: refund with the fill's proof")
        elif not proof[0]:
            self.stats.event("refused: refund without proof before refundAfter")
        else:
            self.stats.event(f"refused: refund with a bad proof ({kind})")

    @action(
        3,
        needs=lambda self: any(self.status(r) == STATUS_OPEN for r in self.orders),
        instead=("open_order", "time_travel", "time_travel"),
        pick=PICK,
        focus=st.sampled_from(["unfilled"] * 3 + ["filled"] * 2 + ["local"] * 2 + ["timed_out", "late_fill", "open"]),
        forged=st.integers(0, len(FORGED_REFUND) - 1),
        tries=st.sampled_from([0, 0, 1, 2, len(FORGED_REFUND)]),  # the last: every kind in turn
        proof=st.sampled_from(["truth", "truth", "truth", "none"]),
        wait=st.sampled_from(["no"] * 4 + ["fill", "refund_at", "refund_after"]),
        batch=st.sampled_from([False, False, True]),
        more=st.lists(
            st.tuples(
                PICK, st.sampled_from(["refundable", "open", "closed", "filled", "closed", "local", "open", "filled"])
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def refund(self, pick, focus, forged, tries, proof, wait, batch, more):
        """Refund an Open order: first with `tries` bad proofs (the run's next
        ones in FORGED_REFUND, see `rotation`), then with what the destination
        recorded (`truth`: an unfilled proof, the fill's proof, or nothing)
        or with none; or a batch with `truth` proofs, which may hold orders
        it cannot refund (closed, filled, local before their fill deadline,
        unproven: skipped, I6). The user may first
        wait until just after the order's fill deadline (`fill`), until its
        refundAfter (`refund_at`: proofs still needed) or just after
        (`refund_after`)."""
        rec = self.pick(pick, self.refund_candidates(focus) or self.refund_candidates("open"))
        if wait != "no":
            o = rec.order
            self.wait_until(
                {
                    "fill": o.fill_deadline + 1,
                    "refund_at": o.data.refund_after,
                    "refund_after": o.data.refund_after + 1,
                }[wait]
            )
        if batch:
            rec = self.pick(pick, self.refund_candidates("refundable") or [rec])
            recs = self.batch(rec, more, self.refund_candidates)
            proofs = [self.refund_proof(r, "truth", pick + i) for i, r in enumerate(recs)]
            self.do_refund("refund batch" if len(recs) > 1 else "refund", recs, proofs)
            return
        kinds = self.forged(FORGED_REFUND, forged, tries, rec)
        for kind in [*kinds, proof]:
            if self.status(rec) != STATUS_OPEN:
                break  # refunded (after refundAfter any proof will do; `close_any` tries refunded orders)
            self.try_refund(rec, kind, pick)

    # ------------------------------------------------------------ rules: time

    @action(
        5,
        how=st.sampled_from([1, 12, 12, 60, 60, 600, 600, 3_600, DAY + 1, 2 * DAY] + ["edge"] * 4),
        pick=PICK,
        which=st.sampled_from(["open", "fill", "fill", "exclusivity", "exclusivity", "refund"]),
        delta=st.sampled_from([-1, 0, 0, 1]),
    )
    def time_travel(self, how, pick, which, delta):
        seconds = how
        if how == "edge":
            seconds = 1
            if self.orders:
                o = self.pick(pick, [r for r in self.orders if r.opened]).order
                edge = {
                    "open": o.open_deadline,
                    "fill": o.fill_deadline,
                    "exclusivity": o.data.exclusivity_deadline,
                    "refund": o.data.refund_after,
                }[which]
                if edge + delta > self.now:
                    seconds = edge + delta - self.now
        boa.env.time_travel(seconds=seconds)

    # ------------------------------------------------------------ rules: one order, one id

    @action(
        1,
        needs=has_orders,
        pick=PICK,
        kind=st.sampled_from(NON_CANONICAL),
        entry=st.sampled_from(["fill", "recordUnfilled"]),
    )
    def non_canonical(self, pick, kind, entry):
        """Anyone sends an order's originData in another encoding to its
        destination (`fill` or `recordUnfilled`, under the id those bytes
        hash to, so the id check passes): always refused, nothing changes
        (I5). Seen before: a second fill of a filled order, or an unfilled
        record for a real id that was filled under padded bytes."""
        rec = self.pick(pick, self.orders)
        o = rec.order
        bad = non_canonical(o.encoded, kind)
        settler, chain = o.data.destination_settler, o.data.destination_chain_id
        args = (keccak(bad), bad, b"") if entry == "fill" else (keccak(bad), bad)
        reason = "intents: non-canonical order"
        self.call(f"non-canonical {entry}", reason, chain, settler, entry, *args, sender=FILLERS[1])
        self.stats.event(f"refused: non-canonical {entry}")

    # ------------------------------------------------------------ the one rule

    # One rule that runs one action per step: Hypothesis's swarm testing
    # turns whole rules off for a run (about half of them on average), which
    # would leave most runs without fills, settlements or refunds; the
    # actions' weights (and their arguments) are plain data instead.
    # Hypothesis draws the first entry of a list far more often than the
    # others: `settle` comes first (it falls back on `fill`, which falls
    # back on opening an order or moving time: the lifecycle's progress).
    @rule(
        name=st.sampled_from(
            [
                name
                for name, (weight, *_) in sorted(ACTIONS.items(), key=lambda a: a[0] != "settle")
                for _ in range(weight)
            ]
        ),
        data=st.data(),
    )
    def act(self, name, data):
        self.step()
        chosen = name
        _, needs, instead, arguments = ACTIONS[name]
        while not needs(self):  # what it needs is missing: do what it falls back on
            name = instead if isinstance(instead, str) else data.draw(st.sampled_from(instead), label="instead")
            _, needs, instead, arguments = ACTIONS[name]
        self.stats.count(self.stats.actions, name if name == chosen else f"{name} (instead of {chosen})")
        getattr(self, name)(**data.draw(arguments, label=name))

    # ------------------------------------------------------------ invariants

    @invariant()
    def chain_matches_model(self):
        if self.checked_at == self.calls:
            return  # no transaction since the last check (time travel alone changes no state)
        self.checked_at = self.calls
        m, slots = self.model, self.slots
        status_slot, record_slot, nonce_slot = slots["_orders"], slots["fillRecords"], slots["nonceBitmap"]
        escrow = {token: 0 for token in (*self.tokens, NATIVE)}
        allowed = {(0, 0), (0, 1), (1, 1), (1, 2), (1, 3), (2, 2), (3, 3)}
        for order_id, rec in self.by_id.items():
            word = self.read(self.origin, map_slot(status_slot, order_id))
            status = word & 0xFF  # a settled order's receipt sits above the status byte
            assert status == m.status.get(order_id, STATUS_NONE), (rec, status)
            assert (word >> 8 != 0) == (status == STATUS_SETTLED), (rec, hex(word))
            # I2: None -> Open -> Settled | Refunded, and no other move.
            assert (self.seen_status.get(order_id, 0), status) in allowed, (self.seen_status.get(order_id), status)
            self.seen_status[order_id] = status
            # (the destination settler opens nothing: every open there is
            # checked refused; local orders' records live on the origin)
            for settler in (self.origin, self.dest) if rec.local else (self.dest,):
                record = self.read(settler, map_slot(record_slot, order_id))
                assert record == int.from_bytes(m.record(settler, order_id), "big")
                seen = self.seen_record.get((settler, order_id), 0)
                assert seen in (0, record), "a destination record changed"
                self.seen_record[(settler, order_id)] = record
            if status == STATUS_OPEN:
                for token, amount in rec.order.data.inputs:
                    escrow[token] += amount
        for token in self.tokens:
            balance_slot = slots["balanceOf"]
            for holder in self.d.holders:
                assert self.read(token, map_slot(balance_slot, holder)) == m.bal.get((token, holder), 0), (
                    token,
                    holder,
                )
        for holder in self.d.holders:
            assert boa.env.get_balance(holder) == m.bal.get((NATIVE, holder), 0), holder
        # I1: the origin settler holds exactly the inputs of its Open orders
        # (plain tokens, no donations), read from the chain.
        for token in (*self.tokens, NATIVE):
            assert m.bal.get((token, self.origin), 0) == escrow[token], token
        assert all(m.bal.get((t, self.dest), 0) == 0 for t in (*self.tokens, NATIVE))
        for settler in (self.origin, self.dest):
            for user in USERS:
                for word in (0, 1):
                    assert self.read(settler, map_slot(nonce_slot, user, word)) == m.word(settler, user, word)


# ---------------------------------------------------------------- the test


def base_state(d: Deployment) -> dict:
    """Every balance the machine tracks, as deployed (the model starts there)."""
    bal = {}
    for holder in d.holders:
        for token in d.tokens:
            bal[(token, holder)] = boa.env.evm.get_storage(Address(token), map_slot(d.slots["balanceOf"], holder))
        bal[(NATIVE, holder)] = boa.env.get_balance(holder)
    assert bal[(d.tokens[0], USERS[0])] == BALANCE  # the raw reads are right
    return {"slots": d.slots, "bal": bal}


def test_intents_state_machine():
    d = deploy()
    base = base_state(d)
    stats = Stats()
    # `stateful_step_count` is a maximum; `full_length` discards shorter runs
    # (Hypothesis draws others), so every run that counts has STEPS steps.
    machine = full_length(IntentsMachine)
    run_state_machine_as_test(lambda: machine(d, stats, base), settings=SETTINGS)

    total = sum(stats.calls.values())
    allowed = sum(n for k, n in stats.calls.items() if k.endswith(": ok"))
    print(f"\nintents machine: {stats.examples} examples, {total} calls, {allowed} allowed")
    for key in sorted(stats.actions):
        print(f"  [action] {key}: {stats.actions[key]}")
    for key in sorted(stats.calls):
        print(f"  {key}: {stats.calls[key]}")
    for key in sorted(stats.events):
        print(f"  [event] {key}: {stats.events[key]}")

    full = [n for n in stats.steps if n >= STEPS]
    assert len(full) >= MAX_EXAMPLES, (len(full), stats.examples)

    # The machine did real work: every meaningful outcome happened at least
    # COVERAGE times (Hypothesis mutates earlier examples, so outcomes come
    # in clumps: the rarer kinds below are summed, and each must happen).
    expected = [
        "gasless order opened",
        "settled with a committee proof",
        "settled by a local fill",
        "batch settle skipped closed orders",
        "refunded with an unfilled proof",
        "refunded by timeout",
        "refunded by timeout after a fill",
        "refunded a local order after its fill deadline",
        "batch refund skipped closed orders",
        "recorded unfilled",
        "filled at the fill deadline",
        "filled by another filler after the exclusivity deadline",
        "refused: same order opened twice",
        "refused: second fill",
        "refused: fill of an order recorded unfilled",
        "refused: fill by another filler during exclusivity",
        "refused: fill after the fill deadline",
        "refused: recordUnfilled before the fill deadline",
        "refused: recordUnfilled of a local order",
        "refused: replayed gasless signature",
        "refused: gasless nonce invalidated",
        "refused: gasless after its openDeadline",
        "refused: gasless on the wrong chain",
        "refused: gasless at the wrong settler",
        "refused: bad gasless signature",
        "refused: settle of a settled order",
        "refused: settle of a refunded order",
        "refused: refund of a settled order",
        "refused: refund of a refunded order",
        "refused: settle of an order recorded unfilled",
        "refused: refund with the fill's proof",
        "refused: refund without proof before refundAfter",
        "refused: local refund before the fill deadline",
        "refused: non-canonical fill",
        "refused: non-canonical recordUnfilled",
    ]
    coverage = {key: stats.events.get(key, 0) for key in expected}
    forged_settle = {k: stats.events.get(f"refused: settle of a fill with a bad proof ({k})", 0) for k in FORGED_SETTLE}
    forged_refund = {k: stats.events.get(f"refused: refund with a bad proof ({k})", 0) for k in FORGED_REFUND}
    coverage["refused: settle of a fill with a bad proof (all kinds)"] = sum(forged_settle.values())
    coverage["refused: refund with a bad proof (all kinds)"] = sum(forged_refund.values())
    assert all(n >= COVERAGE for n in coverage.values()), {k: n for k, n in coverage.items() if n < COVERAGE}
    # Every kind of forgery was refused, by settle or by refund (the oracle
    # checks both alike; a proof for another order needs another order with
    # a destination record, which refunds meet far less often).
    forged = {k: forged_settle.get(k, 0) + forged_refund.get(k, 0) for k in FORGED_SETTLE}
    assert all(forged.values()), forged
    # I6: batches that landed skipped orders they could not take (local, not
    # proven, a local order before its deadline), not only closed ones (rare:
    # a batch, with such an order, that still lands something).
    unprovable = (
        "SettleSkipped reason 4", "SettleSkipped reason 5", "RefundSkipped reason 5", "RefundSkipped reason 6"
    )
    assert sum(stats.events.get(k, 0) for k in unprovable) >= 1
    # Every open-time refusal the settler has was hit too (each defect is
    # in about one run in ten).
    reasons = [
        "fill deadline passed",
        "refund too early",
        "no exclusive filler",
        "not the agent's",
        "agent not active",
        "zero amount",
        "output chain",
        "no oracle",
        "unknown order data type",
        "wrong value",
        "open after fill deadline",
        "nonce mismatch",
    ]
    hits = {
        r: sum(n for k, n in stats.calls.items() if k.startswith("open") and k.endswith(f"intents: {r}"))
        for r in reasons
    }
    assert sum(hits.values()) >= COVERAGE and all(hits.values()), hits
