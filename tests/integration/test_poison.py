"""One bad order never holds back the others (I6), with the real relayer on two anvils.

- A settle batch of ten in which one order's proof is wrong (one attester
  signs another record for it): the nine others settle in the same round,
  the bad one is skipped on chain (SettleSkipped, NOT_PROVEN) and the
  relayer retries it after a backoff, alone.
- A refund batch of ten in which one order's user is a contract that
  refuses ETH: all ten are refunded in the same round and the contract is
  credited its refund, which it withdraws elsewhere.
- A batch of which no order can land is refused as a whole: the relayer
  sends each order alone in the same round, and each gets its own reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hexbytes import HexBytes

from charter.intents import NATIVE, FillRecord, Input, Order, OrderStatus, SkipReason, attest, fill_attestation
from charter.processes.relayer import Relayer

from .conftest import CONFIRMATIONS, World


def _mock(world: World, name: str) -> Any:
    """A test mock (tests/mocks/`name`.vy) compiled here and deployed on A."""
    import vyper

    source = (Path(__file__).resolve().parents[1] / "mocks" / f"{name}.vy").read_text()
    out = vyper.compile_code(source, output_formats=["bytecode", "abi"])
    tx = world.deployer.send_transaction(world.a.w3, {"data": HexBytes(out["bytecode"])})
    receipt = world.a.w3.eth.wait_for_transaction_receipt(tx)
    return world.a.w3.eth.contract(address=receipt["contractAddress"], abi=out["abi"])


def _confirm(world: World) -> None:
    """Bury what was sent under the relayer's confirmation depth on both chains."""
    world.a.mine(CONFIRMATIONS + 1)
    world.b.mine(CONFIRMATIONS + 1)


def _open_and_fill(world: World, n: int) -> list[Order]:
    orders = [world.order() for _ in range(n)]
    for order in orders:
        world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    for order in orders:
        world.b.filler.intents.fill(order, record)
    _confirm(world)
    return orders


def _faulty(relayer: Relayer, bad: set[bytes]) -> None:
    """The relayer's first attester signs, for the orders in `bad`, the attestation of another
    record: their proofs are wrong on chain (a member's signature over the wrong digest)."""
    attester = relayer.attesters[0]
    honest = attester.sign

    def sign(oracle: str, order: Order, record_hash: bytes, destination: Any, block: int) -> bytes | None:
        if order.order_id in bad:
            return attest(attester.account, oracle, fill_attestation(order, b"\x42" * 32))
        return honest(oracle, order, record_hash, destination, block)

    attester.sign = sign  # type: ignore[method-assign]


def test_one_wrong_proof_among_ten_leaves_nine_settled_in_one_round(world: World, relayer) -> None:
    orders = _open_and_fill(world, 10)
    poison = orders[4]
    r = relayer()
    _faulty(r, {poison.order_id})
    report = r.step()  # one round: scan, prove, settle
    good = [o for o in orders if o is not poison]
    assert report.settled == 9
    intents = world.a.user.intents
    assert all(intents.origin_status(o.order_id) == OrderStatus.SETTLED for o in good)
    assert intents.origin_status(poison.order_id) == OrderStatus.OPEN
    rows = {o.order_id: r.store.order(o.order_id_hex) for o in orders}
    (tx_hash,) = {rows[o.order_id].tx_hash for o in orders}  # all ten went in one transaction
    outcome = intents.outcome(tx_hash)
    assert set(outcome.landed) == {o.order_id for o in good}
    assert outcome.skipped == {poison.order_id: SkipReason.NOT_PROVEN}
    bad = rows[poison.order_id]
    assert bad.state == "proven" and bad.attempts == 1 and "NOT_PROVEN" in (bad.last_error or "")
    assert any("NOT_PROVEN" in e for e in report.errors)
    # written down as settled once the origin shows it at the confirmation depth, not before
    assert {rows[o.order_id].state for o in good} == {"settling"}
    _confirm(world)
    r.step()
    assert {r.store.order(o.order_id_hex).state for o in good} == {"settled"}


def test_a_user_refusing_eth_is_credited_and_the_nine_others_refunded_in_one_round(world: World, relayer) -> None:
    refuser = _mock(world, "Refuser")
    intents = world.a.user.intents
    orders = [world.order() for _ in range(9)]
    for order in orders:
        intents.open(order)
    native = world.order(user=refuser.address, agent_id=0, inputs=[Input(token=NATIVE, amount=10**15)])
    world.a.send(world.deployer, refuser.functions.open(intents.address, native.on_chain()), value=10**15)
    assert intents.origin_status(native.order_id) == OrderStatus.OPEN
    orders.insert(3, native)
    r = relayer()
    for side in (world.a, world.b):  # both clocks, so that the two chains stay in step for the next tests
        side.warp(600 + 86_400 + 1)  # past refundAfter: refunds need no proof
    _confirm(world)
    report = r.step()
    assert report.refunded == 10
    assert all(intents.origin_status(o.order_id) == OrderStatus.REFUNDED for o in orders)
    _confirm(world)
    r.step()
    assert {r.store.order(o.order_id_hex).state for o in orders} == {"refunded"}
    assert intents.credits(refuser.address) == 10**15
    outcome = intents.outcome(r.store.order(native.order_id_hex).tx_hash or "")
    assert [(c.account, c.token, c.amount) for c in outcome.credits] == [(refuser.address, NATIVE, 10**15)]
    # the credit is the refuser's, withdrawn where it says
    to = world.filler.address
    before = world.a.w3.eth.get_balance(to)
    world.a.send(world.deployer, refuser.functions.withdraw(intents.address, NATIVE, to))
    assert world.a.w3.eth.get_balance(to) - before == 10**15
    assert intents.credits(refuser.address) == 0


def test_a_batch_refused_as_a_whole_is_sent_order_by_order(world: World, relayer) -> None:
    orders = _open_and_fill(world, 2)
    r = relayer()
    _faulty(r, {o.order_id for o in orders})
    report = r.step()
    assert report.settled == 0
    for order in orders:
        row = r.store.order(order.order_id_hex)
        assert row.state == "proven" and row.attempts == 1  # one attempt each, alone
        assert "NotProven" in (row.last_error or "") and order.order_id_hex[:10] in (row.last_error or "")
        assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN
