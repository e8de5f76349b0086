"""refund (origin) and recordUnfilled (destination): the escrow goes back to
the user on the oracle's proof that the destination recorded the order as
unfilled after its fill deadline, or without proof once refundAfter has
passed; never twice, never after a settlement (I2)."""

from __future__ import annotations

import boa
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from .conftest import DEST_CHAIN, ORIGIN_CHAIN
from .helpers import (
    NATIVE,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    UNFILLED_RECORD,
    ZERO32,
    ZERO_ADDRESS,
    Input,
    fixed_address,
)


def test_unfilled_record_constant(settler):
    expected = keccak(abi_encode(["uint256", "address", "uint256"], [2, ZERO_ADDRESS, 0]))
    assert settler.UNFILLED_RECORD() == expected == UNFILLED_RECORD


# ---------------------------------------------------------------- recordUnfilled


def test_record_unfilled(open_order, record_unfilled, dest, warp, events):
    order = open_order()
    warp(order.fill_deadline + 1)
    record_unfilled(order)
    (ev,) = events(dest)
    assert ev.name == "RecordedUnfilled" and ev.args == {"orderId": order.id}
    assert dest.fillRecords(order.id) == UNFILLED_RECORD


def test_record_unfilled_at_the_deadline_refused(open_order, record_unfilled, dest, warp):
    order = open_order()
    for t in (boa.env.timestamp, order.fill_deadline):
        warp(t)
        with boa.reverts("intents: fill deadline not passed"):
            record_unfilled(order)
    assert dest.fillRecords(order.id) == ZERO32


def test_record_unfilled_of_a_filled_order_refused(open_order, fill_order, record_unfilled, dest, warp):
    order = open_order()
    fill_order(order)
    record = dest.fillRecords(order.id)
    warp(order.fill_deadline + 1)
    with boa.reverts("intents: already filled"):
        record_unfilled(order)
    assert dest.fillRecords(order.id) == record


def test_record_unfilled_twice_refused(open_order, record_unfilled, warp):
    order = open_order()
    warp(order.fill_deadline + 1)
    record_unfilled(order)
    with boa.reverts("intents: already filled"):
        record_unfilled(order)


def test_record_unfilled_checks_the_order(open_order, make_order, dest, settler, warp, on_chain):
    order = open_order()
    warp(order.fill_deadline + 1)
    with on_chain(DEST_CHAIN):
        with boa.reverts("intents: order mismatch"):
            dest.recordUnfilled(make_order().id, order.encode())
        with boa.reverts("intents: wrong destination"):
            settler.recordUnfilled(order.id, order.encode())
    with on_chain(ORIGIN_CHAIN):
        with boa.reverts("intents: wrong destination"):
            dest.recordUnfilled(order.id, order.encode())


# ---------------------------------------------------------------- refund with proof


@pytest.fixture
def unfilled(open_order, record_unfilled, prove, warp):
    """An order nobody filled: after its fill deadline the destination
    recorded it unfilled and the oracle learnt the record."""
    order = open_order()
    warp(order.fill_deadline + 1)
    record_unfilled(order)
    prove(order, UNFILLED_RECORD)
    return order


def test_refund_with_unfilled_proof(unfilled, refund_order, settler, token, events, user):
    before = token.balanceOf(user)
    assert refund_order(unfilled) == 1
    (ev,) = events(settler)
    assert ev.name == "Refunded"
    assert ev.args == {
        "orderId": unfilled.id,
        "user": user,
        "openerAgentId": 0,
        "inputs": ((str(token.address), 1_000),),
    }
    assert token.balanceOf(user) == before + 1_000
    assert settler.orderStatus(unfilled.id) == STATUS_REFUNDED


def test_refund_goes_to_the_user_whoever_calls(unfilled, refund_order, token, user, stranger):
    before, theirs = token.balanceOf(user), token.balanceOf(stranger)
    refund_order(unfilled, sender=stranger)
    assert token.balanceOf(user) == before + 1_000
    assert token.balanceOf(stranger) == theirs


def test_refund_native_inputs(open_order, record_unfilled, prove, refund_order, warp, user, settler):
    order = open_order(inputs=[Input(NATIVE, 10**17)])
    warp(order.fill_deadline + 1)
    record_unfilled(order)
    prove(order, UNFILLED_RECORD)
    before = boa.env.get_balance(user)
    refund_order(order)
    assert boa.env.get_balance(user) == before + 10**17
    assert boa.env.get_balance(str(settler.address)) == 0


def test_refund_without_any_proof_refused(open_order, refund_order, warp, settler):
    order = open_order()
    for t in (boa.env.timestamp, order.fill_deadline + 1, order.data.refund_after):
        warp(t)
        with boa.reverts("intents: unfilled not proven"):
            refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_fill_proof_does_not_refund(open_order, fill_and_prove, refund_order, warp):
    order = open_order()
    fill_and_prove(order)
    warp(order.fill_deadline + 1)
    with boa.reverts("intents: unfilled not proven"):
        refund_order(order)


def test_unfilled_proof_for_another_origin_settler(open_order, record_unfilled, prove, refund_order, warp, dest):
    order = open_order()
    warp(order.fill_deadline + 1)
    record_unfilled(order)
    prove(order, UNFILLED_RECORD, origin=dest.address)
    with boa.reverts("intents: unfilled not proven"):
        refund_order(order)


def test_unfilled_proof_of_another_order(open_order, record_unfilled, prove, refund_order, warp):
    proven, other = open_order(), open_order()
    warp(proven.fill_deadline + 1)
    record_unfilled(proven)
    prove(proven, UNFILLED_RECORD)
    with boa.reverts("intents: unfilled not proven"):
        refund_order(other)


def test_codeless_oracle_does_not_brick_refunds(open_order, refund_order, warp, settler):
    order = open_order(oracle=fixed_address("no-code-oracle"))
    warp(order.fill_deadline + 1)
    with boa.reverts("intents: unfilled not proven"):
        refund_order(order)
    warp(order.data.refund_after + 1)
    refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_REFUNDED


# ---------------------------------------------------------------- refund after refundAfter


def test_refund_without_proof_after_refund_after(open_order, refund_order, warp, settler, token, user):
    order = open_order()
    warp(order.data.refund_after + 1)
    before = token.balanceOf(user)
    refund_order(order)
    assert token.balanceOf(user) == before + 1_000
    assert settler.orderStatus(order.id) == STATUS_REFUNDED


def test_late_refund_of_a_filled_but_unsettled_order(open_order, fill_and_prove, refund_order, settle_order, warp):
    """The documented timeout: a filler who did not settle within the day
    after the fill deadline loses the race to a refund."""
    order = open_order()
    fill_and_prove(order)
    warp(order.data.refund_after + 1)
    refund_order(order)
    with boa.reverts("intents: already refunded"):
        settle_order(order)


# ---------------------------------------------------------------- once


def test_double_refund(unfilled, refund_order, token, user):
    refund_order(unfilled)
    before = token.balanceOf(user)
    with boa.reverts("intents: already refunded"):
        refund_order(unfilled)
    assert token.balanceOf(user) == before


def test_refund_after_settle(open_order, fill_and_prove, settle_order, refund_order, warp, settler):
    order = open_order()
    fill_and_prove(order)
    settle_order(order)
    warp(order.data.refund_after + 1)
    with boa.reverts("intents: already settled"):
        refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED


def test_refund_unknown_order(make_order, refund_order):
    with boa.reverts("intents: unknown order"):
        refund_order(make_order())


def test_refund_batch_skips_what_is_done(open_order, refund_order, warp, token, user):
    a, b, c = open_order(), open_order(), open_order()
    warp(a.data.refund_after + 1)
    refund_order(a)
    before = token.balanceOf(user)
    assert refund_order(batch=[(o.abi(), b"") for o in (a, b, c, b)]) == 0b0110  # bit i: refunds[i] refunded
    assert token.balanceOf(user) == before + 2_000
    with boa.reverts("intents: nothing to refund"):
        refund_order(batch=[(o.abi(), b"") for o in (a, b, c)])
    with boa.reverts("intents: nothing to refund"):
        refund_order(batch=[])


def test_refund_to_a_user_refusing_native_is_credited(open_order, deployer, refund_order, warp, settler, ledger):
    """A contract user without a receive function that escrowed native value
    is refunded into a credit it withdraws later (test_batches.py)."""
    rejecting = deployer("NoReceive").deploy()
    ledger.watch(rejecting)
    boa.env.set_balance(rejecting.address, 10)
    order = open_order(user=rejecting.address, inputs=[Input(NATIVE, 10)])
    warp(order.data.refund_after + 1)
    refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_REFUNDED
    assert settler.credits(rejecting.address, NATIVE) == 10
