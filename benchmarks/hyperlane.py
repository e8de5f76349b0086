"""Settlement over Hyperlane: full-transaction gas with Hyperlane's own contracts.

Used by ``benchmarks/intents.py`` on its two anvils (same token, agents and
steady state as the committee figures). Each chain gets Hyperlane's
Mailbox, MerkleTreeHook (required hook), a no-fee TestPostDispatchHook
(default hook) and a 2-of-3 StorageMessageIdMultisigIsm; B gets a
HyperlaneReporter, A a HyperlaneOracle trusting it. Steady state: B's
Mailbox has dispatched 16 messages first (as on a live Mailbox, the tree's
branch words that the next messages write are already non-zero: on a fresh
tree, message 2^k writes a new word, 22,100 gas more), then one round trip
warms the Mailboxes' nonces and the reporter. The no-fee TestPostDispatchHook
still writes one new word per message (22,100 gas of every dispatch here;
a production default hook, Hyperlane's gas paymaster, charges a fee instead).

- ``intents.report_hyperlane``: ``report`` of one order on B (reads the
  record, dispatches through the Mailbox, inserts into the tree);
- ``intents.fill_hyperlane`` = ``fill`` + ``report`` of that one order;
- ``intents.process_hyperlane``: ``process`` on A with 2-of-3 signatures,
  which calls the oracle's ``handle`` (stores the record);
- ``intents.settle_hyperlane`` = ``process`` + ``settle`` (the oracle keeps
  one Merkle root per message; a message of one order needs no path);
- ``intents.end_to_end_hyperlane`` = ``open`` + ``fill_hyperlane`` + ``settle_hyperlane``;
- ``intents.hyperlane_batch10_*``: ten fills reported in one message, one
  ``process``, one ``settle`` of the ten: ``report``, ``process``,
  ``settle`` (each order with its four-word Merkle path), the settlement
  per order (``(process + settle) / 10``) and
  the whole Hyperlane leg per order (``(report + process + settle) / 10``).
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from web3.logs import DISCARD

from charter import NodeSigner
from charter._core.artifacts import abi
from charter.hyperlane import Message, deploy_local, message_id_metadata, sign_checkpoint
from charter.hyperlane.settlement import Remote, Report, deploy_hyperlane_oracle, deploy_reporter
from charter.intents import FillRecord, Order

WARM_MESSAGES = 16
VALIDATORS = [Account.from_key(bytes([0x41 + i]) * 32) for i in range(3)]


def bench_hyperlane(a: Any, b: Any, origin: int, destination: int, open_: Any, fill: Any,
                    record: FillRecord) -> dict[str, int]:
    """`a`, `b`: the benchmark's sides; `open_(nonce, oracle)` opens an order naming `oracle`
    and returns it with its gas; `fill(order)` fills it on B and returns the gas."""
    deployer_a, deployer_b = NodeSigner(a.w3, a.accounts[0]), NodeSigner(b.w3, b.accounts[0])
    validators = [v.address for v in VALIDATORS]
    hl_a = deploy_local(a.w3, deployer_a, origin, validators, 2)
    hl_b = deploy_local(b.w3, deployer_b, destination, validators, 2)
    reporter = b.w3.eth.contract(address=deploy_reporter(b.w3, deployer_b, hl_b.mailbox.address),
                                 abi=abi("HyperlaneReporter"))
    oracle = deploy_hyperlane_oracle(a.w3, deployer_a, hl_a.mailbox.address, hl_a.ism.address,
                                     [Remote(destination, destination, reporter.address)])
    sender_a, sender_b = a.accounts[5], b.accounts[5]

    def report(orders: list[Order]) -> tuple[int, Any]:
        data = [o.origin_data for o in orders]
        fee = int(reporter.functions.quoteReport(origin, data).call())
        tx = reporter.functions.report(origin, data).transact({"from": sender_b, "value": fee})
        receipt = b.w3.eth.wait_for_transaction_receipt(tx)
        if receipt["status"] != 1:
            raise SystemExit("benchmark report reverted")
        return int(receipt["gasUsed"]), receipt

    def process(receipt: Any) -> tuple[int, Report]:
        (event,) = hl_b.mailbox.events.Dispatch().process_receipt(receipt, errors=DISCARD)
        message = Message.decode(event.args.message)
        root, index = hl_b.merkle_tree_hook.functions.latestCheckpoint().call()
        hook = hl_b.merkle_tree_hook.address
        signatures = [sign_checkpoint(v, destination, hook, bytes(root), index, message.id) for v in VALIDATORS[:2]]
        metadata = message_id_metadata(hook, bytes(root), index, signatures)
        gas = int(a.tx(hl_a.mailbox.functions.process(metadata, message.encode()), sender_a))
        return gas, Report.decode(message.body)

    def settle(orders: list[Order], report: Report) -> int:
        items = [(o.as_tuple(), record.payout, record.filler_agent_id, report.proof(o.order_id)) for o in orders]
        return int(a.tx(a.settler.functions.settle(items), sender_a))

    out: dict[str, int] = {}
    stranger = b"\x00" * 12 + b"\x22" * 20
    for _ in range(WARM_MESSAGES):  # a live Mailbox's tree: every branch word a report can touch is set
        b.tx(hl_b.mailbox.functions.dispatch(origin, stranger, b"\x01" * 256), b.accounts[0])
    warm, _ = open_(500, oracle)  # a first round trip warms the Mailboxes, the tree and the oracle
    fill(warm)
    settle([warm], process(report([warm])[1])[1])

    order, opened = open_(501, oracle)
    filled = fill(order)
    out["intents.report_hyperlane"], receipt = report([order])
    out["intents.fill_hyperlane"] = filled + out["intents.report_hyperlane"]
    out["intents.process_hyperlane"], body = process(receipt)
    out["intents.settle_hyperlane"] = out["intents.process_hyperlane"] + settle([order], body)
    out["intents.end_to_end_hyperlane"] = opened + out["intents.fill_hyperlane"] + out["intents.settle_hyperlane"]

    batch = [open_(600 + i, oracle)[0] for i in range(10)]
    for o in batch:
        fill(o)
    out["intents.hyperlane_batch10_report"], receipt = report(batch)
    out["intents.hyperlane_batch10_process"], body = process(receipt)
    out["intents.hyperlane_batch10_settle"] = settle(batch, body)
    settlement = out["intents.hyperlane_batch10_process"] + out["intents.hyperlane_batch10_settle"]
    out["intents.hyperlane_batch10_settle_per_order"] = settlement // 10
    out["intents.hyperlane_batch10_per_order"] = (settlement + out["intents.hyperlane_batch10_report"]) // 10
    return out


def hyperlane_checks(r: dict[str, Any]) -> list[tuple[str, int, int]]:
    """The cost targets of issue 10 (full transaction gas)."""
    return [
        ("intents.fill_hyperlane", r["intents.fill_hyperlane"], 200_000),
        ("intents.settle_hyperlane", r["intents.settle_hyperlane"], 220_000),
        ("intents.hyperlane_batch10_settle_per_order", r["intents.hyperlane_batch10_settle_per_order"], 60_000),
    ]


__all__ = ["bench_hyperlane", "hyperlane_checks"]
