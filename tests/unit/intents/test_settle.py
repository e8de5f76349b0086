"""settle (origin): the escrow goes to the payout the fill recorded, only on
the order's own oracle's proof, once (I2, I4); batches skip what is done.
What a batch does with orders it cannot settle (I6): test_batches.py."""

from __future__ import annotations

import boa
import pytest

from ..sessions.helpers import answering_code
from .conftest import FILLER, RECIPIENT2, STRANGER
from .helpers import (
    NATIVE,
    SKIP_NOT_PROVEN,
    SKIP_UNKNOWN,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    UNFILLED_RECORD,
    Input,
    filler_data,
    fixed_address,
    record_hash,
)


@pytest.fixture
def filled(open_order, fill_and_prove):
    """An order opened, filled by FILLER (payout FILLER, its agent) and proven."""
    order = open_order()
    fill_and_prove(order)
    return order


# ---------------------------------------------------------------- works


def test_settle_pays_the_recorded_payout(filled, settle_order, settler, token, events, filler, filler_agent):
    before = token.balanceOf(filler)
    assert settle_order(filled) == 1
    (ev,) = events(settler)
    assert ev.name == "Settled"
    assert ev.args == {
        "orderId": filled.id,
        "openerAgentId": 0,
        "fillerAgentId": filler_agent,
        "payout": filler,
        "inputs": ((str(token.address), 1_000),),
    }
    assert token.balanceOf(filler) == before + 1_000
    assert token.balanceOf(settler.address) == 0
    assert settler.orderStatus(filled.id) == STATUS_SETTLED


def test_settle_to_a_payout_elsewhere(open_order, fill_order, prove, settle_order, token):
    order = open_order()
    fill_order(order, data=filler_data(RECIPIENT2, 0))
    prove(order, record_hash(RECIPIENT2, 0))
    settle_order(order, payout=RECIPIENT2, filler_agent=0)
    assert token.balanceOf(RECIPIENT2) == 1_000


def test_settle_native_inputs(open_order, fill_and_prove, settle_order, settler, filler):
    order = open_order(inputs=[Input(NATIVE, 10**17), Input(NATIVE, 1)])
    fill_and_prove(order)
    before = boa.env.get_balance(filler)
    settle_order(order)
    assert boa.env.get_balance(filler) == before + 10**17 + 1
    assert boa.env.get_balance(str(settler.address)) == 0


def test_anyone_may_settle(filled, settle_order, token, filler, stranger):
    before = token.balanceOf(filler)
    settle_order(filled, sender=stranger)
    assert token.balanceOf(filler) == before + 1_000


def test_settle_on_the_fill_deadline_and_after(filled, settle_order, settler, warp):
    """A proven fill settles whenever, until someone refunds after refundAfter."""
    warp(filled.data.refund_after)
    settle_order(filled)
    assert settler.orderStatus(filled.id) == STATUS_SETTLED


# ---------------------------------------------------------------- refused


def test_payout_cannot_be_redirected(filled, settle_order, settler, filler_agent, stranger):
    for payout, agent in ((stranger, filler_agent), (FILLER.address, 0), (FILLER.address, filler_agent + 1)):
        with boa.reverts("intents: fill not proven"):
            settle_order(filled, payout=payout, filler_agent=agent)
    assert settler.orderStatus(filled.id) == STATUS_OPEN


def test_unproven_fill(open_order, fill_order, settle_order):
    order = open_order()
    fill_order(order)
    with boa.reverts("intents: fill not proven"):
        settle_order(order)


def test_proof_of_another_order(open_order, fill_and_prove, fill_order, settle_order):
    proven = open_order()
    other = open_order()
    fill_and_prove(proven)
    fill_order(other)
    with boa.reverts("intents: fill not proven"):
        settle_order(other)


def test_unfilled_record_does_not_settle(open_order, prove, settle_order):
    order = open_order()
    prove(order, UNFILLED_RECORD)
    with boa.reverts("intents: fill not proven"):
        settle_order(order, payout="0x0000000000000000000000000000000000000000", filler_agent=0)


def test_proof_for_another_origin_settler(open_order, fill_order, prove, settle_order, dest):
    """The oracle answers its caller: a proof made for another origin
    settler does not count here."""
    order = open_order()
    fill_order(order)
    prove(order, origin=dest.address)
    with boa.reverts("intents: fill not proven"):
        settle_order(order)


def test_order_changed_after_proof(filled, settle_order, settlement, token):
    """The settlement's order is hashed: another order (more inputs) is
    unknown, whatever the proof."""
    bigger = filled.but(inputs=[Input(str(token.address), 2_000)])
    with boa.reverts("intents: unknown order"):
        settle_order(batch=[settlement(bigger)])


def test_unknown_order(make_order, settle_order):
    with boa.reverts("intents: unknown order"):
        settle_order(make_order())


def test_double_settle(filled, settle_order, token, filler):
    settle_order(filled)
    before = token.balanceOf(filler)
    with boa.reverts("intents: already settled"):
        settle_order(filled)
    assert token.balanceOf(filler) == before


def test_settle_after_refund(filled, settle_order, refund_order, warp, settler):
    warp(filled.data.refund_after + 1)
    refund_order(filled)
    with boa.reverts("intents: already refunded"):
        settle_order(filled)
    assert settler.orderStatus(filled.id) == STATUS_REFUNDED


def test_empty_batch(settle_order):
    with boa.reverts("intents: nothing to settle"):
        settle_order(batch=[])


# ---------------------------------------------------------------- batches


def test_batch_skips_what_is_settled(open_order, fill_and_prove, settle_order, settlement, token, filler):
    orders = [open_order() for _ in range(3)]
    for order in orders:
        fill_and_prove(order)
    settle_order(orders[0])
    before = token.balanceOf(filler)
    assert settle_order(batch=[settlement(o) for o in orders]) == 0b110  # bit i: settlements[i] settled
    assert token.balanceOf(filler) == before + 2_000
    with boa.reverts("intents: nothing to settle"):
        settle_order(batch=[settlement(o) for o in orders])


def test_batch_skips_refunded(open_order, fill_and_prove, settle_order, refund_order, settlement, warp):
    late = open_order()
    fill_and_prove(late)
    warp(late.data.refund_after + 1)
    refund_order(late)
    fresh = open_order()
    fill_and_prove(fresh)
    assert settle_order(batch=[settlement(late), settlement(fresh)]) == 0b10
    with boa.reverts("intents: nothing to settle"):
        settle_order(batch=[settlement(late), settlement(fresh)])


def test_batch_with_the_same_order_twice(filled, settle_order, settlement, token, filler):
    before = token.balanceOf(filler)
    assert settle_order(batch=[settlement(filled), settlement(filled)]) == 0b01
    assert token.balanceOf(filler) == before + 1_000


def test_batch_skips_an_unproven_order(filled, open_order, settle_order, settlement, settler, events):
    unproven = open_order()
    assert settle_order(batch=[settlement(filled), settlement(unproven)]) == 0b01
    logged = events(settler)
    assert [e.name for e in logged] == ["Settled", "SettleSkipped"]
    assert logged[1].args == {"orderId": unproven.id, "reason": SKIP_NOT_PROVEN}
    assert settler.orderStatus(filled.id) == STATUS_SETTLED
    assert settler.orderStatus(unproven.id) == STATUS_OPEN


def test_batch_skips_an_unknown_order(filled, make_order, settle_order, settlement, settler, events):
    unknown = make_order()
    assert settle_order(batch=[settlement(unknown), settlement(filled)]) == 0b10
    assert events(settler)[0].args == {"orderId": unknown.id, "reason": SKIP_UNKNOWN}


def test_batch_of_ten(open_order, fill_and_prove, settle_order, settlement, token, filler):
    orders = [open_order() for _ in range(10)]
    for order in orders:
        fill_and_prove(order)
    before = token.balanceOf(filler)
    assert settle_order(batch=[settlement(o) for o in orders]) == 2**10 - 1
    assert token.balanceOf(filler) == before + 10_000


# ---------------------------------------------------------------- oracles that prove nothing


def test_codeless_oracle(open_order, fill_order, settle_order):
    order = open_order(oracle=fixed_address("no-code-oracle"))
    fill_order(order)
    with boa.reverts("intents: fill not proven"):
        settle_order(order)


@pytest.mark.parametrize("mode", [0, 1, 2])  # reverts, answers 2, writes storage
def test_misbehaving_oracle(open_order, fill_order, settle_order, deployer, mode):
    bad = deployer("BadOracle").deploy()
    bad.set_mode(mode)
    order = open_order(oracle=bad.address)
    fill_order(order)
    with boa.reverts("intents: fill not proven"):
        settle_order(order)


@pytest.mark.parametrize("answer", [b"", b"\x01", (1).to_bytes(32, "big")[:31]])
def test_oracle_answering_short(open_order, fill_order, settle_order, answer):
    """Empty or short return data is not a True."""
    short = fixed_address(f"short-oracle-{answer.hex()}")
    boa.env.set_code(short, answering_code(answer))
    order = open_order(oracle=short)
    fill_order(order)
    with boa.reverts("intents: fill not proven"):
        settle_order(order)


def test_oracle_answering_a_full_true_word(open_order, fill_order, settle_order, settler):
    """Positive control for the raw-code oracles: 32 bytes of 1 is proof."""
    yes = fixed_address("raw-yes-oracle")
    boa.env.set_code(yes, answering_code((1).to_bytes(32, "big")))
    order = open_order(oracle=yes)
    fill_order(order)
    settle_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED


def test_local_order_is_not_settled_by_settle(open_order, settle_order):
    order = open_order(local=True)
    with boa.reverts("intents: not filled"):
        settle_order(order)


def test_payout_refusing_native_is_credited(
    open_order, fill_order, prove, settle_order, deployer, settler, events, ledger,
):
    """A payout that refuses ETH is credited what it refused: the order is
    settled, the value stays in the settler for the payout to withdraw."""
    rejecting = deployer("NoReceive").deploy()
    ledger.watch(rejecting)
    order = open_order(inputs=[Input(NATIVE, 5)])
    fill_order(order, data=filler_data(rejecting.address, 0))
    prove(order, record_hash(rejecting.address, 0))
    settle_order(order, payout=rejecting.address, filler_agent=0)
    logged = events(settler)
    assert [e.name for e in logged] == ["Credited", "Settled"]
    assert logged[0].args == {"account": rejecting.address, "token": NATIVE, "amount": 5}
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert settler.credits(rejecting.address, NATIVE) == 5


def test_stranger_cannot_settle_to_itself(filled, settle_order, stranger):
    with boa.reverts("intents: fill not proven"):
        settle_order(filled, payout=stranger, filler_agent=0, sender=STRANGER.address)
