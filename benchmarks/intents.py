"""Intent benchmarks: full-transaction gas of ERC-7683 orders on two fresh anvils, and relayer speed.

Used by ``benchmarks/gas.py``. Transactions are sent with plain web3 from
anvil's unlocked accounts; only the pure order encoding comes from
``charter.intents`` (so the figures do not depend on how the SDK sends).

Conditions (documented so numbers stay comparable across runs):
- one ERC-20 input and one ERC-20 output (``tests/mocks/Token.vy``), an
  exact ``approve`` before each open and fill (not counted), the user's
  agent named on the order (verified against the registry: the user owns
  it), the solver's agent named on the fill;
- steady state: the settler already escrows tokens, the output recipient,
  the filler's payout address and the refunded user already hold tokens, the
  gasless user's nonce word is already in use (a nonce in the same word was
  consumed before);
- ``settle`` / ``refund``: one order with a 2-of-3 AttesterOracle proof
  (``refund``: of the destination's unfilled record);
  ``refund_timeout``: after ``refundAfter``, no proof; ``settle_batch10``:
  ten orders of one filler in one ``settle``;
- ``end_to_end`` = ``open`` + ``fill`` + ``settle``;
- settlement over Hyperlane (``*_hyperlane``, ``hyperlane_batch10_*``): see
  ``benchmarks/hyperlane.py``;
- relayer: ``relay.fill_to_settled_s`` is the wall-clock time from a fill's
  receipt to its Settled event with 2 confirmations on chains that mine a
  block per second (plus one per transaction), relayer polling every 0.2 s;
  ``relay.orders_per_minute`` settles 30 filled orders in batches of ten.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account
from hyperlane import bench_hyperlane
from web3 import Web3

from charter import Charter, NodeSigner
from charter._core.artifacts import abi, init_code
from charter._core.deployments import create2_address
from charter.deployments import Manifest, ensure_deployed
from charter.devchain import DEV_KEYS, local_anvils
from charter.intents import FillRecord, Input, Order, Output, attest, deploy_oracle, fill_attestation
from charter.intents.models import MIN_REFUND_DELAY, UNFILLED_RECORD
from charter.intents.typed_data import gasless_order_digest
from charter.processes.relayer import ChainConfig, RelayConfig, Relayer
from charter.registry.represent import represented_id

COMMITTEE = [Account.from_key(bytes([0x21 * (i + 1)]) * 32) for i in range(3)]
ORIGIN, DESTINATION = 31_501, 31_502
AMOUNT = 10**18


class _Side:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        self.accounts = [Web3.to_checksum_address(a) for a in w3.eth.accounts]
        ensure_deployed(w3, NodeSigner(w3, self.accounts[0]), manifest=Manifest(path=None))
        self.settler = w3.eth.contract(address=create2_address("IntentSettler"), abi=abi("IntentSettler"))
        self.registry = w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))
        receipt = w3.eth.wait_for_transaction_receipt(
            w3.eth.send_transaction({"from": self.accounts[0], "data": init_code("DemoToken")})
        )
        self.token = w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))
        for who in self.accounts[:6]:
            self.tx(self.token.functions.mint(who, 10**27), self.accounts[0])

    def tx(self, fn: Any, sender: str, value: int = 0) -> int:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "value": value}))
        if receipt["status"] != 1:
            raise SystemExit(f"benchmark transaction reverted: {receipt['transactionHash'].hex()}")
        return int(receipt["gasUsed"])

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def warp(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])


def _order(a: _Side, b: _Side, oracle: str, user: str, agent: int, nonce: int, recipient: str,
           open_deadline: int | None = None) -> Order:
    fill_deadline = a.now() + 3_600
    return Order.model_validate({
        "user": user, "origin_chain_id": ORIGIN, "origin_settler": a.settler.address,
        "open_deadline": open_deadline if open_deadline is not None else fill_deadline,
        "fill_deadline": fill_deadline,
        "data": {
            "nonce": nonce, "agent_id": agent, "refund_after": fill_deadline + MIN_REFUND_DELAY, "oracle": oracle,
            "destination_chain_id": DESTINATION, "destination_settler": b.settler.address,
            "inputs": [Input(token=a.token.address, amount=AMOUNT)],
            "outputs": [Output(token=b.token.address, amount=AMOUNT, recipient=recipient, chain_id=DESTINATION)],
        },
    })


def _proof(oracle: str, order: Order, record_hash: bytes) -> bytes:
    members = sorted(COMMITTEE[:2], key=lambda m: int(m.address, 16))
    return b"".join(attest(m, oracle, fill_attestation(order, record_hash)) for m in members)


def bench_intents() -> dict[str, Any]:
    out: dict[str, Any] = {}
    with local_anvils(ORIGIN, DESTINATION, block_time=1) as (chain_a, chain_b):
        a, b = _Side(chain_a.w3), _Side(chain_b.w3)
        user, filler, gasless_key = a.accounts[1], a.accounts[2], Account.from_key(DEV_KEYS[4])
        recipient = a.accounts[3]
        oracle = deploy_oracle(a.w3, NodeSigner(a.w3, a.accounts[0]), [m.address for m in COMMITTEE], 2)
        a.tx(a.registry.functions.register("ipfs://bench/user-agent"), user)
        agent = int(a.registry.functions.totalSupply().call())
        b.tx(b.registry.functions.register("ipfs://bench/solver"), filler)
        filler_agent = int(b.registry.functions.totalSupply().call())
        record = FillRecord(payout=filler, filler_agent_id=filler_agent)

        def open_(nonce: int, named: str = oracle) -> tuple[Order, int]:
            order = _order(a, b, named, user, agent, nonce, recipient)
            a.tx(a.token.functions.approve(a.settler.address, AMOUNT), user)
            return order, a.tx(a.settler.functions.open(order.on_chain()), user)

        def fill(order: Order) -> int:
            b.tx(b.token.functions.approve(b.settler.address, AMOUNT), filler)
            return b.tx(b.settler.functions.fill(order.order_id, order.origin_data, record.filler_data()), filler)

        def settle(orders: list[Order]) -> int:
            items = [(o.as_tuple(), record.payout, record.filler_agent_id, _proof(oracle, o, record.hash))
                     for o in orders]
            return a.tx(a.settler.functions.settle(items), a.accounts[5])

        open_(0)  # stays open: the settler always holds escrow of this token
        warm, _ = open_(1)  # a first round trip: every balance and the payout's are non-zero
        fill(warm)
        settle([warm])
        order, out["intents.open"] = open_(2)
        out["intents.fill"] = fill(order)
        out["intents.settle"] = settle([order])
        out["intents.end_to_end"] = out["intents.open"] + out["intents.fill"] + out["intents.settle"]

        # Receipt-backed feedback on the settled order (issue 21): the receipt recorded once, then the
        # opener's side reviews the filler's agent. The filler's agent lives on B: here it is the agent that
        # represents it (the funder acts as the inbox), as a reviewer on A finds it.
        backed = a.w3.eth.contract(address=create2_address("BackedReputationRegistry"),
                                   abi=abi("ReputationRegistry"))
        owner, wallet, _, generation, sequence = b.registry.functions.agentState(filler_agent).call()
        a.tx(a.registry.functions.represent(DESTINATION, filler_agent, owner, wallet, 0, generation, sequence),
             a.accounts[0])
        filler_here = represented_id(a.accounts[0], DESTINATION, filler_agent)
        inputs = [i.as_tuple() for i in order.data.inputs]
        out["trust.record_receipt"] = a.tx(backed.functions.recordReceipt(
            order.order_id, user, agent, filler_agent, DESTINATION, record.payout, inputs), a.accounts[5])
        out["trust.give_feedback_backed"] = a.tx(backed.functions.giveFeedback(
            filler_here, 95, 0, "settled", "", "", "", order.order_id), user)

        # gasless: the user signed; a relayer opens it. Nonce word already in use.
        g = gasless_key.address
        a.tx(a.token.functions.mint(g, 10**24), a.accounts[0])
        a.tx(a.token.functions.approve(a.settler.address, 2**255), g)
        a.tx(a.settler.functions.invalidateNonces(0, 1), g)
        gasless = _order(a, b, oracle, g, 0, 7, recipient, open_deadline=a.now() + 600)
        signature = gasless_key.unsafe_sign_hash(gasless_order_digest(gasless)).signature
        out["intents.open_for"] = a.tx(a.settler.functions.openFor(gasless.gasless(), signature, b""), a.accounts[5])

        batch = [open_(100 + i)[0] for i in range(10)]
        for o in batch:
            fill(o)
        out["intents.settle_batch10"] = settle(batch)
        out["intents.settle_batch10_per_order"] = out["intents.settle_batch10"] // 10

        # refunds: one proven unfilled on the destination, one after refundAfter
        late, _ = open_(200)
        timeout, _ = open_(201)
        b.warp(3_601)
        b.tx(b.settler.functions.recordUnfilled(late.order_id, late.origin_data), a.accounts[5])
        proof = _proof(oracle, late, UNFILLED_RECORD)
        out["intents.refund"] = a.tx(a.settler.functions.refund([(late.as_tuple(), proof)]), a.accounts[5])
        a.warp(3_601 + MIN_REFUND_DELAY)
        out["intents.refund_timeout"] = a.tx(a.settler.functions.refund([(timeout.as_tuple(), b"")]), a.accounts[5])

        out.update(_relayer_speed(a, b, chain_a.url, chain_b.url, oracle, open_, fill))
        out.update(bench_hyperlane(a, b, ORIGIN, DESTINATION, open_, fill, record))
        out["size.AttesterOracle"] = len(a.w3.eth.get_code(oracle))
    return out


def _relayer_speed(a: _Side, b: _Side, url_a: str, url_b: str, oracle: str, open_: Any, fill: Any) -> dict[str, Any]:
    """Seconds from fill to settled, and orders settled per minute in batches of ten."""
    with tempfile.TemporaryDirectory() as tmp:
        start = (a.w3.eth.block_number, b.w3.eth.block_number)
        relayer = Relayer(RelayConfig(
            chains=[ChainConfig(ORIGIN, url_a, confirmations=2, start_block=start[0]),
                    ChainConfig(DESTINATION, url_b, confirmations=2, start_block=start[1])],
            oracles={ORIGIN: oracle}, attester_keys=[m.key.hex() for m in COMMITTEE],
            sender_key=DEV_KEYS[3], db=str(Path(tmp) / "relay.sqlite"), poll_interval=0.2,
        ))
        intents = Charter.connect(a.w3).intents
        try:
            order, _ = open_(300)
            _drain(relayer, lambda: relayer.store.order(order.order_id_hex) is not None)
            fill(order)
            began = time.monotonic()
            _drain(relayer, lambda: intents.origin_status(order.order_id) == 2)
            latency = time.monotonic() - began
            orders = [open_(400 + i)[0] for i in range(30)]
            for o in orders:
                fill(o)
            began = time.monotonic()
            _drain(relayer, lambda: all(intents.origin_status(o.order_id) == 2 for o in orders), timeout=120)
            per_minute = 30 / (time.monotonic() - began) * 60
        finally:
            relayer.close()
    return {"relay.fill_to_settled_s": round(latency, 2), "relay.orders_per_minute": round(per_minute, 1)}


def _drain(relayer: Relayer, done: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("the relayer did not settle in time")
        relayer.step()
        time.sleep(0.2)


# Issue 17 restated three targets of issue 9 that lay below what the transactions must pay
# (docs/intents.md, "Costs": the traces). Each is its traced cost before issue 17 plus what
# issue 17 added, measured, rounded up to the next hundred (calldata varies by a few dozen gas
# with the order's timestamps and ids and the proof's signatures):
# Rounded up to the next 500: the proofs' signatures and the orders' timestamps in calldata move
# refund and end_to_end by up to ~60 gas from run to run (docs/intents.md, "The restated targets").
OPEN_TARGET = 97_000  # 96,450 traced + 398 (canonical orderData check +489, the rest -91)
REFUND_TARGET = 76_500  # 76,407 traced - 79 (skips instead of asserts, PAY_GAS-bounded payment)
# The settlement receipt (issue 21: settle carries the order's receipt in its status word, at most +15,000
# for one order and +8,000 per order in a batch of ten) measured +681 / +689 per order: the targets below
# are the earlier ones plus 1,000 (settle, end to end) and 10,000 (the batch of ten).
RECEIPT = 1_000
SETTLE_TARGET = 78_000 + RECEIPT
END_TO_END_TARGET = 256_000 + RECEIPT  # 255,038 traced + 484 (open +398, fill +169 (originData +754), settle -83)


def intent_checks(r: dict[str, Any]) -> list[tuple[str, int, int]]:
    """The cost targets of issues 9 and 17 (full transaction gas)."""
    return [
        ("intents.open", r["intents.open"], OPEN_TARGET),
        ("intents.open_for", r["intents.open_for"], 115_000),
        ("intents.fill", r["intents.fill"], 82_000),
        ("intents.settle", r["intents.settle"], SETTLE_TARGET),
        ("intents.settle_batch10", r["intents.settle_batch10"], 400_000 + 10 * RECEIPT),
        ("intents.refund", r["intents.refund"], REFUND_TARGET),
        ("intents.end_to_end", r["intents.end_to_end"], END_TO_END_TARGET),
    ]


__all__ = ["bench_intents", "intent_checks"]
