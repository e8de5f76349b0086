"""What a Sybil attack on receipt-backed feedback costs: the attack, run on
titanoboa with the real contracts, and priced.

    make bench        # or: python benchmarks/attack.py [--out PATH] [--n 1000] [--eth-usd 3000]

Writes the measured gas, the prices, the refused attempts, the value behind
the entries and the invariants to ``--out`` (default
``.build/bench/attack.json``; ``make bench UPDATE=1``:
``benchmarks/results/attack.json``), prints them as tables, and exits 1 if
an invariant fails.

The attacker controls every identity involved (self-dealing, both sides
Sybil): a user U who owns the opener agent A on the origin chain, a filler F
who owns the filler agent B on the destination chain (the agent it wants
reviewed; on the origin it is the agent that represents B there), the
recipient R of the outputs, and a sender K of settlements and receipts. Each
backed entry is one order, from U's own wallet to its own wallet:

1. ``open``: U opens an order for agent A, ``--value`` (default 100) of a
   6-decimal dollar token in escrow on the origin;
2. ``fill``: F fills it on the destination (the same amount of another token
   to R), naming B and **U as the payout**;
3. the 2-of-3 AttesterOracle committee attests the fill (off chain:
   signatures, no gas; it attests because the fill happened) and K
   ``settle``s in batches of ``--batch`` (default 10) orders: the escrow goes
   back to U;
4. K ``recordReceipt``s the order in the BackedReputationRegistry;
5. U ``giveFeedback``s B (value 100, tag1 ``settled``, no URI) citing the
   order as ``feedbackHash``.

Then N + 1 entries are attempted with N orders (a used order, an order id
that was never settled, an open order's receipt, a fresh address citing a
settled order: every one refused), and one more order of 1 unit (dust) is
settled and reviewed: accepted, and a reader's ``min_value`` leaves it out.
The same N entries on the plain ERC-8004 registry (the same contract
deployed without a settler) come from N fresh addresses, each funded by a
plain ETH transfer and sending one ``giveFeedback``.

Gas: every figure is a **full transaction** (21,000, calldata, EIP-2929
cold/warm accesses from a fresh access list, the refund cap, EIP-7623's
floor) executed by py-evm's Prague transaction executor on titanoboa's
state (a spoofed sender: no signature), not titanoboa's message-call
metering. With the same state it gives anvil's figures (an ERC-20 transfer
to a holder: 33,787, as ``sessions.erc20_direct`` in gas.json). One-time
costs (registering A and B, B represented on the origin, the two unlimited
approvals) are counted once under ``setup``. As on a live chain, the settler
already escrows the token (someone else's open order, not counted). The
committee's signatures cost no gas; settlement over Hyperlane instead costs
more per order (``intents.end_to_end_hyperlane`` in gas.json). The clock is
fixed, so the order ids, and the figures, repeat from run to run. "Steady"
figures are the mean over every entry after the first, in full batches.

Prices: gas x gas price x ETH price (``--eth-usd``, default 3,000 USD),
at ``--gas-price`` LABEL=GWEI (default: Ethereum L1 at 10 gwei, an L2 at
0.01 gwei: execution gas only, the L2's L1 data fee is not modelled).
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boa
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak, to_canonical_address, to_checksum_address
from rich.console import Console
from rich.table import Table

from charter.intents import FillRecord, Input, Order, Output, attest, fill_attestation
from charter.intents.models import MIN_REFUND_DELAY
from charter.registry.represent import represented_id

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / ".build" / "bench" / "attack.json"

ORIGIN, DESTINATION = 1, 8_453  # titanoboa's chain id; the destination's is patched in for its calls
ZERO = "0x0000000000000000000000000000000000000000"
MAX = 2**256 - 1
DECIMALS = 6  # the input token stands for a 6-decimal dollar stablecoin
UNIT = 10**DECIMALS
COMMITTEE = [Account.from_key(bytes([0x21 * (i + 1)]) * 32) for i in range(3)]
THRESHOLD = 2
TX_GAS = 10_000_000
TIMESTAMP = 1_767_225_600  # 2026-01-01: a fixed clock, so the order ids, and the gas of their calldata, repeat
STATUS_SETTLED = 2
RESIDENT = 5 * UNIT  # the open order of someone else that keeps the settler's balance of the token non-zero
ERROR_SELECTOR = bytes.fromhex("08c379a0")

CHECKPOINTS = (10, 100, 1_000)
DEFAULT_GAS_PRICES = (("Ethereum L1", 10.0), ("L2", 0.01))
DEFAULT_ETH_USD = 3_000.0
DEFAULT_VALUE = 100  # dollars per order
DEFAULT_BATCH = 10

CAVEATS = (
    "Self-dealing between Sybil agents is possible: the attacker here is both the user and the filler, "
    "and every entry is accepted.",
    "What a receipt buys: each entry costs a real settled order (open, fill, attested, settled, receipt "
    "recorded) and carries that order's value (its first input), which anyone can read with backingOf.",
    "The value is not lost: the escrow comes back to the attacker's own payout, the output to its own "
    "recipient. It is capital turned over (N x V through real escrow, and as much delivered on the "
    "destination), tied up only while an order is open; the attacker pays gas, nothing else (the settler "
    "takes no fee).",
    "Value is in the order's token: a reader must count only tokens it prices (an attacker can mint a "
    "worthless token), and weight by value, require a min_value, and count distinct counterparties.",
    "Distinct counterparties are cheap Sybils too (a funded address each; a client's first review of an "
    "agent costs more gas than its next ones, see per_entry_first); they raise the cost only when the reader "
    "also weights each counterparty by its own backed history.",
    "L2 prices are execution gas only; the L1 data fee of an L2 is not modelled.",
)


# ---------------------------------------------------------------- transactions


@dataclass
class Tx:
    name: str
    gas: int
    ok: bool
    reason: str = ""


def _reason(output: bytes) -> str:
    if output[:4] == ERROR_SELECTOR:
        return str(abi_decode(["string"], output[4:])[0])
    return "0x" + output.hex() if output else "(no reason)"


def send_tx(to: Any, data: bytes, sender: str, value: int = 0, chain: int = ORIGIN, name: str = "") -> Tx:
    """One full transaction through py-evm's transaction executor (a fresh access list, intrinsic gas,
    refunds capped, EIP-7623 floor) on titanoboa's state; its gas is what the sender paid / the gas price."""
    vm = boa.env.evm.vm
    state = vm.state
    who = to_canonical_address(str(sender))
    price = state.base_fee
    unsigned = vm.create_unsigned_transaction(
        nonce=state.get_nonce(who), gas_price=price, gas=TX_GAS, to=to_canonical_address(str(to)),
        value=value, data=data,
    )
    before_chain = boa.env.evm.patch.chain_id
    boa.env.evm.patch.chain_id = chain
    try:
        balance = state.get_balance(who)
        state.lock_changes()  # a new transaction: original storage values and access lists start here
        computation = state.apply_transaction(SpoofTransaction(unsigned, from_=who))
        paid = balance - state.get_balance(who) - (0 if computation.is_error else value)
    finally:
        boa.env.evm.patch.chain_id = before_chain
    gas = paid // price
    if computation.is_error:
        return Tx(name, gas, False, _reason(bytes(computation.output)))
    return Tx(name, gas, True)


def call(contract: Any, fn: str, *args: Any, sender: str, chain: int = ORIGIN, value: int = 0) -> Tx:
    data = getattr(contract, fn).prepare_calldata(*args)
    return send_tx(contract.address, data, sender, value, chain, name=fn)


def must(tx: Tx) -> Tx:
    if not tx.ok:
        raise SystemExit(f"attack transaction {tx.name} reverted: {tx.reason}")
    return tx


# ---------------------------------------------------------------- the world


@dataclass
class World:
    registry: Any
    settler: Any
    dest: Any
    oracle: Any
    token: Any
    token2: Any
    backed: Any
    plain: Any
    user: str
    filler: str
    recipient: str
    sender: str
    funder: str
    opener_agent: int = 0
    filler_agent: int = 0
    filler_here: int = 0
    setup: dict[str, int] = field(default_factory=dict)


@functools.cache
def _load(path: str) -> Any:
    """A compiled contract (a deployer: it deploys into whichever environment is current)."""
    return boa.load_partial(str(ROOT / path))


def build_world() -> World:
    """The suite on one titanoboa EVM for two chains (as the unit tests do: the destination settler is a
    second IntentSettler, called with the destination's chain id), an AttesterOracle of a 2-of-3
    committee, the two tokens, the backed and the plain ReputationRegistry; the attacker's agents
    registered, B represented on the origin, unlimited approvals (counted once, in `setup`)."""
    boa.env.evm.patch.timestamp = TIMESTAMP
    registry = _load("contracts/AgentRegistry.vy").deploy()
    activator = _load("contracts/SessionActivator.vy").deploy(registry.address)
    extension = _load("contracts/SessionExtension.vy").deploy(registry.address, activator.address)
    manager = _load("contracts/SessionManager.vy").deploy(registry.address, extension.address)
    view = _load("contracts/IntentView.vy").deploy()
    settlers = _load("contracts/IntentSettler.vy")
    settler = settlers.deploy(registry.address, manager.address, view.address)
    dest = settlers.deploy(registry.address, manager.address, view.address)
    members = sorted((m.address for m in COMMITTEE), key=lambda a: int(a, 16))
    oracle = _load("contracts/AttesterOracle.vy").deploy(members, THRESHOLD, ZERO)
    tokens = _load("tests/mocks/Token.vy")
    token, token2 = tokens.deploy(), tokens.deploy()
    reputation = _load("contracts/ReputationRegistry.vy")
    backed = reputation.deploy(registry.address, settler.address)
    plain = reputation.deploy(registry.address, ZERO)

    names = ("attacker-user", "attacker-filler", "attacker-recipient", "attacker-sender", "funder", "inbox")
    user, filler, recipient, sender, funder, inbox = (str(boa.env.generate_address(n)) for n in names)
    for who in (user, filler, recipient, sender, funder, inbox):
        boa.env.set_balance(who, 10**24)
    w = World(registry, settler, dest, oracle, token, token2, backed, plain, user, filler, recipient, sender, funder)

    w.setup["register_opener_agent"] = must(call(registry, "register", "ipfs://attacker/opener", sender=user)).gas
    w.opener_agent = registry.totalSupply()
    w.setup["register_filler_agent"] = must(
        call(registry, "register", "ipfs://attacker/filler", sender=filler, chain=DESTINATION)
    ).gas
    w.filler_agent = registry.totalSupply()
    # B's state delivered to the origin by an inbox (in a deployment: the committee's oracle or Hyperlane):
    # the agent a reviewer on the origin finds for it.
    owner, wallet, _, generation, sequence = registry.agentState(w.filler_agent)
    represent = (DESTINATION, w.filler_agent, owner, wallet, 0, generation, sequence)
    w.setup["represent_filler_agent"] = must(call(registry, "represent", *represent, sender=inbox)).gas
    w.filler_here = represented_id(to_checksum_address(inbox), DESTINATION, w.filler_agent)
    assert registry.ownerOf(w.filler_here) == to_checksum_address(filler), "B is not represented as expected"

    token.mint(user, 10**30)
    token2.mint(filler, 10**30)
    w.setup["approve_escrow"] = must(call(token, "approve", settler.address, MAX, sender=user)).gas
    w.setup["approve_fill"] = must(call(token2, "approve", dest.address, MAX, sender=filler, chain=DESTINATION)).gas
    # As on a live chain, the settler already escrows the token: someone else's order stays open (not counted).
    someone = str(boa.env.generate_address("someone"))
    token.mint(someone, RESIDENT)
    with boa.env.prank(someone):
        token.approve(settler.address, RESIDENT)
        settler.open(make_order(w, 1, RESIDENT, user=someone, agent=0).on_chain())
    return w


# ---------------------------------------------------------------- the attack


def make_order(w: World, nonce: int, amount: int, user: str | None = None, agent: int | None = None) -> Order:
    """An order of U for agent A (or `user`, `agent`): `amount` of the input token in, the same amount of
    the destination's token out to R, proven by the committee's oracle."""
    fill_deadline = boa.env.timestamp + 3_600
    return Order.model_validate({
        "user": to_checksum_address(user or w.user), "origin_chain_id": ORIGIN,
        "origin_settler": to_checksum_address(str(w.settler.address)),
        "open_deadline": fill_deadline, "fill_deadline": fill_deadline,
        "data": {
            "nonce": nonce, "agent_id": w.opener_agent if agent is None else agent,
            "refund_after": fill_deadline + MIN_REFUND_DELAY,
            "oracle": to_checksum_address(str(w.oracle.address)),
            "destination_chain_id": DESTINATION, "destination_settler": to_checksum_address(str(w.dest.address)),
            "inputs": [Input(token=to_checksum_address(str(w.token.address)), amount=amount)],
            "outputs": [Output(token=to_checksum_address(str(w.token2.address)), amount=amount,
                               recipient=to_checksum_address(w.recipient), chain_id=DESTINATION)],
        },
    })


def _record(w: World) -> FillRecord:
    return FillRecord(payout=to_checksum_address(w.user), filler_agent_id=w.filler_agent)


def _proof(w: World, order: Order, record: FillRecord) -> bytes:
    signers = sorted(COMMITTEE[:THRESHOLD], key=lambda m: int(m.address, 16))
    oracle = to_checksum_address(str(w.oracle.address))
    return b"".join(attest(m, oracle, fill_attestation(order, record.hash)) for m in signers)


def _receipt_args(w: World, order: Order, record: FillRecord) -> tuple[Any, ...]:
    inputs = [i.as_tuple() for i in order.data.inputs]
    return (order.order_id, w.user, w.opener_agent, w.filler_agent, DESTINATION, record.payout, inputs)


def _feedback_args(w: World, order_id: bytes) -> tuple[Any, ...]:
    return (w.filler_here, 100, 0, "settled", "", "", "", order_id)


@dataclass
class Entry:
    order: Order
    gas: dict[str, int]


def settle_and_review(w: World, orders: Sequence[Order]) -> list[Entry]:
    """Fill `orders` (already open), settle them in one transaction, record each receipt, review B with
    each: the steps of a backed entry after `open`. Each entry carries its share of the settlement."""
    record = _record(w)
    fills = [must(call(w.dest, "fill", o.order_id, o.origin_data, record.filler_data(), sender=w.filler,
                       chain=DESTINATION)).gas for o in orders]
    items = [(o.as_tuple(), record.payout, record.filler_agent_id, _proof(w, o, record)) for o in orders]
    settle = must(call(w.settler, "settle", items, sender=w.sender)).gas
    entries = []
    for order, fill in zip(orders, fills, strict=True):
        receipt = must(call(w.backed, "recordReceipt", *_receipt_args(w, order, record), sender=w.sender)).gas
        feedback = must(call(w.backed, "giveFeedback", *_feedback_args(w, order.order_id), sender=w.user)).gas
        entries.append(Entry(order, {
            "fill": fill, "settle": settle / len(orders), "record_receipt": receipt, "give_feedback": feedback,
        }))
    return entries


def open_order(w: World, nonce: int, amount: int) -> tuple[Order, int]:
    order = make_order(w, nonce, amount)
    return order, must(call(w.settler, "open", order.on_chain(), sender=w.user)).gas


def plant_backed(w: World, n: int, value: int, batch: int) -> list[Entry]:
    """The attacker's N backed entries on B: N orders, settled `batch` at a time."""
    entries: list[Entry] = []
    while len(entries) < n:
        size = min(batch, n - len(entries))
        opened = [open_order(w, len(entries) + i + 1, value) for i in range(size)]
        chunk = settle_and_review(w, [o for o, _ in opened])
        for entry, (_, gas) in zip(chunk, opened, strict=True):
            entry.gas = {"open": gas, **entry.gas}
        entries.extend(chunk)
    return entries


def attempt_more(w: World, entries: Sequence[Entry]) -> list[dict[str, Any]]:
    """Entry N + 1 with N settled orders, every way the attacker can try it: each must be refused."""
    sybil = str(boa.env.generate_address("fresh-sybil"))
    boa.env.set_balance(sybil, 10**21)
    first = entries[0].order.order_id
    unsettled, _ = open_order(w, 10**9, 1)  # open, never filled or settled
    never = keccak(text="an order that was never opened")
    attempts = [
        ("the same order again (U on B)", "reputation: receipt used",
         call(w.backed, "giveFeedback", *_feedback_args(w, first), sender=w.user)),
        ("an order id that was never settled", "reputation: no receipt",
         call(w.backed, "giveFeedback", *_feedback_args(w, never), sender=w.user)),
        ("the receipt of an open, unsettled order", "reputation: no such settlement",
         call(w.backed, "recordReceipt", *_receipt_args(w, unsettled, _record(w)), sender=w.sender)),
        ("feedback citing that open order", "reputation: no receipt",
         call(w.backed, "giveFeedback", *_feedback_args(w, unsettled.order_id), sender=w.user)),
        ("a fresh address citing a settled order", "reputation: not a counterparty",
         call(w.backed, "giveFeedback", *_feedback_args(w, first), sender=sybil)),
    ]
    return [{"attempt": what, "expected": expected, "refused": not tx.ok, "reason": tx.reason}
            for what, expected, tx in attempts]


def plant_plain(w: World, n: int) -> list[dict[str, int]]:
    """N entries on the plain registry: N fresh addresses, each funded, each one giveFeedback."""
    out = []
    for i in range(n):
        sybil = str(boa.env.generate_address(f"plain-sybil-{i}"))
        fund = must(send_tx(sybil, b"", w.funder, value=10**16, name="fund")).gas
        digest = keccak(text=f"fake feedback {i}")
        args = (w.filler_here, 100, 0, "settled", "", "", "", digest)
        feedback = must(call(w.plain, "giveFeedback", *args, sender=sybil)).gas
        out.append({"fund": fund, "give_feedback": feedback})
    return out


def reader_view(w: World, n_entries: int, min_value: int) -> dict[str, Any]:
    """What a reader sees of U's entries on B: each entry's backing (order, token, amount), the entries
    at least `min_value` in the stablecoin, and the backed volume."""
    token = to_checksum_address(str(w.token.address))
    backing = [w.backed.backingOf(w.filler_here, w.user, i) for i in range(1, n_entries + 1)]
    counted = [b for b in backing if to_checksum_address(str(b[1])) == token and b[2] >= min_value]
    statuses = {bytes(b[0]): w.settler.orderStatus(bytes(b[0])) for b in backing}
    return {
        "entries": len(backing),
        "distinct_orders": len(statuses),
        "all_orders_settled": all(s == STATUS_SETTLED for s in statuses.values()),
        "counted_at_min_value": len(counted),
        "backed_volume": sum(int(b[2]) for b in backing),
        "backed_volume_at_min_value": sum(int(b[2]) for b in counted),
    }


# ---------------------------------------------------------------- the run


def _sum(rows: Iterable[dict[str, float]]) -> int:
    return round(sum(sum(r.values()) for r in rows))


def simulate(n: int, value_usd: int = DEFAULT_VALUE, batch: int = DEFAULT_BATCH,
             checkpoints: Sequence[int] = CHECKPOINTS) -> dict[str, Any]:
    """Run the attack with N backed entries (and N plain ones) in a fresh titanoboa environment and
    return the measured figures and the invariants' outcomes (no prices)."""
    value = value_usd * UNIT
    marks = sorted({c for c in checkpoints if c <= n} | {n})
    with boa.swap_env(boa.Env()):
        w = build_world()
        balances = (w.token.balanceOf(w.user), w.token2.balanceOf(w.filler) + w.token2.balanceOf(w.recipient))
        entries = plant_backed(w, n, value, batch)
        after_n = {
            "entries": w.backed.getLastIndex(w.filler_here, w.user),
            "summary_count": w.backed.getSummary(w.filler_here, [w.user], "", "")[0],
            "settled_orders": sum(w.settler.orderStatus(e.order.order_id) == STATUS_SETTLED for e in entries),
        }
        refusals = attempt_more(w, entries)
        entries_after_attempts = w.backed.getLastIndex(w.filler_here, w.user)
        # one more order, of 1 unit: an entry of its own, which a reader's min_value leaves out
        dust_order, dust_open = open_order(w, n + 1, 1)
        (dust,) = settle_and_review(w, [dust_order])
        dust.gas = {"open": dust_open, **dust.gas}
        view = reader_view(w, n + 1, value)
        balances_after = (
            w.token.balanceOf(w.user), w.token2.balanceOf(w.filler) + w.token2.balanceOf(w.recipient)
        )
        escrow_left = w.token.balanceOf(w.settler.address)
        plain = plant_plain(w, n)
        plain_count = w.plain.getClientCount(w.filler_here)

    setup = sum(w.setup.values())
    per_entry = [e.gas for e in entries]
    # After the first entry (every balance and the client list already non-zero), in full batches (a last,
    # smaller batch shares its settlement among fewer orders).
    full = len(per_entry) - len(per_entry) % batch
    steady = per_entry[1:full] or per_entry[1:] or per_entry
    steps = list(per_entry[0])
    runs = []
    for mark in marks:
        runs.append({
            "n": mark,
            "backed_gas": setup + _sum(per_entry[:mark]),
            "plain_gas": _sum(plain[:mark]),
        })
    checks = [
        ("N entries on B after N orders", after_n["entries"] == n and after_n["summary_count"] == n),
        ("each entry has its own settled order", after_n["settled_orders"] == n and view["distinct_orders"] == n + 1
         and view["all_orders_settled"]),
        ("every attempt at entry N + 1 without a new order refused, with the expected reason",
         all_refused(refusals)),
        ("no entry added by those attempts", entries_after_attempts == n),
        ("the dust order's entry is accepted", view["entries"] == n + 1),
        ("min_value leaves the dust entry out", view["counted_at_min_value"] == n),
        ("backed volume = N x V (+ the dust unit)", view["backed_volume"] == n * value + 1
         and view["backed_volume_at_min_value"] == n * value),
        ("self-dealing: the attacker's tokens all come back (nothing left in escrow but the open order)",
         balances_after[0] == balances[0] - 1 and balances_after[1] == balances[1] and escrow_left == RESIDENT + 1),
        ("the plain registry took N entries from N fresh addresses, no order behind them", plain_count == n),
        ("the price grows linearly with N (every steady entry within 1% of their mean)",
         _linear([sum(e.values()) for e in steady])),
    ]
    return {
        "n": n,
        "value": value,
        "batch": batch,
        "setup_gas": w.setup,
        "per_entry_gas": {s: round(sum(e[s] for e in steady) / len(steady)) for s in steps},
        "per_entry_first": {s: round(per_entry[0][s]) for s in steps},
        "plain_per_entry_gas": {s: round(sum(p[s] for p in plain) / len(plain)) for s in plain[0]},
        "dust_entry_gas": {s: round(v) for s, v in dust.gas.items()},
        "runs": runs,
        "after_n": after_n,
        "refusals": refusals,
        "reader": view,
        "invariants": [{"check": what, "ok": bool(ok)} for what, ok in checks],
    }


def all_refused(refusals: Sequence[dict[str, Any]]) -> bool:
    return bool(refusals) and all(r["refused"] and r["reason"] == r["expected"] for r in refusals)


def _linear(costs: Sequence[float]) -> bool:
    mean = sum(costs) / len(costs)
    return all(abs(c - mean) <= 0.01 * mean for c in costs)


# ---------------------------------------------------------------- prices


def price(result: dict[str, Any], gas_prices: Sequence[tuple[str, float]], eth_usd: float) -> list[dict[str, Any]]:
    rows = []
    for run in result["runs"]:
        for label, gwei in gas_prices:
            backed_eth = run["backed_gas"] * gwei * 1e-9
            plain_eth = run["plain_gas"] * gwei * 1e-9
            rows.append({
                "n": run["n"], "gas_price": label, "gwei": gwei,
                "backed_eth": backed_eth, "backed_usd": backed_eth * eth_usd,
                "plain_eth": plain_eth, "plain_usd": plain_eth * eth_usd,
                "turnover_usd": run["n"] * result["value"] / UNIT,
            })
    return rows


def value_table(result: dict[str, Any], volumes_usd: Sequence[int] = (10_000, 1_000_000)) -> list[dict[str, Any]]:
    """The value an attacker must show: N entries at min_value V turn over N x V; a backed volume X
    turns over X, whatever the number of entries."""
    v = result["value"] / UNIT
    rows: list[dict[str, Any]] = [
        {"reader": f"counts entries >= {v:,.0f} USD", "n": run["n"], "turnover_usd": run["n"] * v}
        for run in result["runs"]
    ]
    rows += [{"reader": f"backed volume >= {x:,} USD", "n": None, "turnover_usd": float(x)} for x in volumes_usd]
    return rows


def _usd(x: float) -> str:
    return f"${x:,.2f}" if x >= 0.01 else f"${x:,.4f}"


def report(result: dict[str, Any], prices: list[dict[str, Any]], values: list[dict[str, Any]],
           eth_usd: float, console: Console) -> None:
    per = result["per_entry_gas"]
    plain = result["plain_per_entry_gas"]
    steps = Table(title=f"Gas of one backed entry (full transactions, titanoboa; settled {result['batch']} per batch)")
    steps.add_column("step")
    steps.add_column("steady", justify="right")
    steps.add_column("first order", justify="right")
    names = {"open": "open (U)", "fill": "fill (F, destination)",
             "settle": "settle share (2-of-3 attestation verified)",
             "record_receipt": "recordReceipt", "give_feedback": "giveFeedback (backed)"}
    for step, gas in per.items():
        steps.add_row(names.get(step, step), f"{gas:,}", f"{result['per_entry_first'][step]:,}")
    steps.add_row("[b]backed entry[/b]", f"[b]{sum(per.values()):,}[/b]",
                  f"{sum(result['per_entry_first'].values()):,}")
    steps.add_row("plain entry: fund a fresh address + giveFeedback",
                  f"{plain['fund']:,} + {plain['give_feedback']:,} = {sum(plain.values()):,}", "")
    steps.add_row("setup, once (2 agents, B represented, 2 approvals)", f"{sum(result['setup_gas'].values()):,}", "")
    console.print(steps)

    table = Table(title=f"Price of N fake entries on one agent (ETH at {eth_usd:,.0f} USD)")
    for col in ("N", "gas price", "backed: gas", "backed: cost", "plain: gas", "plain: cost", "ratio",
                "escrow turned over"):
        table.add_column(col, justify="right")
    runs = {r["n"]: r for r in result["runs"]}
    for p in prices:
        run = runs[p["n"]]
        table.add_row(
            f"{p['n']:,}", f"{p['gas_price']} ({p['gwei']:g} gwei)", f"{run['backed_gas']:,}",
            f"{p['backed_eth']:.6g} ETH = {_usd(p['backed_usd'])}", f"{run['plain_gas']:,}",
            f"{p['plain_eth']:.6g} ETH = {_usd(p['plain_usd'])}",
            f"{run['backed_gas'] / run['plain_gas']:.1f}x", f"{p['turnover_usd']:,.0f} USD",
        )
    console.print(table)

    refusals = Table(title=f"Entry N + 1 with N = {result['n']:,} settled orders")
    refusals.add_column("attempt")
    refusals.add_column("outcome")
    for r in result["refusals"]:
        refusals.add_row(r["attempt"], f"refused: {r['reason']}" if r["refused"] else "[red]ACCEPTED[/red]")
    console.print(refusals)

    reader = result["reader"]
    v = result["value"] / UNIT
    console.print(
        f"Reader: {reader['entries']:,} entries by U on B ({result['n']:,} of {v:,.0f} USD + 1 dust order of "
        f"1 unit), {reader['distinct_orders']:,} distinct settled orders; backed volume "
        f"{reader['backed_volume'] / UNIT:,.6f} USD; with min_value {v:,.0f} USD: "
        f"{reader['counted_at_min_value']:,} entries, {reader['backed_volume_at_min_value'] / UNIT:,.0f} USD."
    )
    value = Table(title="Value the attacker must move through escrow (self-dealing gets it back, minus gas)")
    value.add_column("reader's rule")
    value.add_column("N", justify="right")
    value.add_column("turned over", justify="right")
    for row in values:
        value.add_row(row["reader"], "-" if row["n"] is None else f"{row['n']:,}", f"{row['turnover_usd']:,.0f} USD")
    console.print(value)

    checks = Table(title="Invariants")
    checks.add_column("check")
    checks.add_column("")
    for c in result["invariants"]:
        checks.add_row(c["check"], "ok" if c["ok"] else "[red]FAILED[/red]")
    console.print(checks)
    console.print("Caveats:")
    for c in CAVEATS:
        console.print(f"- {c}")


def _gas_price(text: str) -> tuple[str, float]:
    label, _, gwei = text.rpartition("=")
    if not label:
        raise argparse.ArgumentTypeError("LABEL=GWEI, e.g. 'Ethereum L1=10'")
    return label, float(gwei)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Price a Sybil attack on receipt-backed feedback")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--n", type=int, default=max(CHECKPOINTS), help="backed entries to plant (priced at "
                        "10, 100, 1,000 and N)")
    parser.add_argument("--value", type=int, default=DEFAULT_VALUE, help="USD per order (6-decimal stablecoin)")
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="orders per settle transaction")
    parser.add_argument("--eth-usd", type=float, default=DEFAULT_ETH_USD, help="ETH price in USD")
    parser.add_argument("--gas-price", type=_gas_price, action="append", metavar="LABEL=GWEI",
                        help="a gas price to price at (repeatable; default: 'Ethereum L1=10', 'L2=0.01')")
    args = parser.parse_args(argv)
    gas_prices = args.gas_price or list(DEFAULT_GAS_PRICES)
    started = time.monotonic()
    result = simulate(args.n, args.value, args.batch)
    prices = price(result, gas_prices, args.eth_usd)
    values = value_table(result)
    body = {
        "conditions": {
            "gas": "full transactions executed by py-evm's Prague transaction executor on titanoboa's state",
            "n": args.n, "value_usd": args.value, "batch": args.batch, "eth_usd": args.eth_usd,
            "gas_prices_gwei": dict(gas_prices),
        },
        **result,
        "prices": prices,
        "value_needed": values,
        "caveats": list(CAVEATS),
    }
    console = Console(width=160)
    report(result, prices, values, args.eth_usd, console)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    console.print(f"wrote {args.out} ({time.monotonic() - started:.0f} s)")
    failed = [c["check"] for c in result["invariants"] if not c["ok"]]
    if failed:
        console.print(f"[red]invariants failed: {'; '.join(failed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
