"""Local orders: the destination is the origin settler on the origin chain,
so the fill itself settles (no record, no oracle), and a refund needs only
the fill deadline to have passed."""

from __future__ import annotations

import boa
import pytest

from .conftest import BALANCE, DEST_CHAIN, FILLER, ORIGIN_CHAIN, RECIPIENT
from .helpers import (
    NATIVE,
    STATUS_NONE,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    ZERO32,
    ZERO_ADDRESS,
    Input,
    filler_data,
    output,
    record_hash,
)


@pytest.fixture
def local(open_order):
    """A local order without an oracle (none is needed)."""
    return open_order(local=True, oracle=ZERO_ADDRESS)


def test_fill_settles_at_once(local, fill_order, settler, token, token2, events, filler, filler_agent):
    before_token, before_out = token.balanceOf(filler), token2.balanceOf(RECIPIENT)
    assert fill_order(local) is settler
    filled, settled = events(settler)
    assert filled.name == "Filled"
    assert filled.args["recordHash"] == record_hash(filler, filler_agent)
    assert settled.name == "Settled"
    assert settled.args == {
        "orderId": local.id,
        "openerAgentId": 0,
        "fillerAgentId": filler_agent,
        "payout": filler,
        "inputs": ((str(token.address), 1_000),),
    }
    assert settler.orderStatus(local.id) == STATUS_SETTLED
    assert settler.fillRecords(local.id) == ZERO32  # no record needed
    assert token.balanceOf(filler) == before_token + 1_000
    assert token2.balanceOf(RECIPIENT) == before_out + 990
    assert token.balanceOf(settler.address) == 0


def test_fill_with_native_on_both_sides(open_order, fill_order, settler, filler):
    order = open_order(
        local=True,
        inputs=[Input(NATIVE, 10**17)],
        outputs=[output(NATIVE, 9 * 10**16, RECIPIENT, ORIGIN_CHAIN)],
    )
    before, recipient = boa.env.get_balance(filler), boa.env.get_balance(RECIPIENT)
    fill_order(order, data=filler_data(filler, 0))
    assert boa.env.get_balance(filler) == before + 10**17 - 9 * 10**16
    assert boa.env.get_balance(RECIPIENT) == recipient + 9 * 10**16
    assert boa.env.get_balance(str(settler.address)) == 0


def test_fill_with_empty_filler_data(local, fill_order, token, filler):
    before = token.balanceOf(filler)
    fill_order(local, data=b"")
    assert token.balanceOf(filler) == before + 1_000


def test_fill_pays_the_named_payout(local, fill_order, token, stranger):
    fill_order(local, data=filler_data(stranger, 0))
    assert token.balanceOf(stranger) == BALANCE + 1_000


def test_second_fill_refused(local, fill_order):
    fill_order(local)
    with boa.reverts("intents: not open"):
        fill_order(local)


def test_fill_of_an_order_never_opened(make_order, fill_order, settler):
    order = make_order(local=True)
    with boa.reverts("intents: not open"):
        fill_order(order)
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_fill_after_refund_refused(local, fill_order, refund_order, warp):
    warp(local.fill_deadline + 1)
    refund_order(local)
    with boa.reverts("intents: fill deadline passed"):
        fill_order(local)


def test_refund_after_the_fill_deadline_without_proof(local, refund_order, settler, token, user, warp):
    warp(local.fill_deadline + 1)
    before = token.balanceOf(user)
    refund_order(local)
    assert token.balanceOf(user) == before + 1_000
    assert settler.orderStatus(local.id) == STATUS_REFUNDED


def test_refund_at_the_fill_deadline_refused(local, refund_order, settler, warp):
    for t in (boa.env.timestamp, local.fill_deadline):
        warp(t)
        with boa.reverts("intents: fill deadline not passed"):
            refund_order(local)
    assert settler.orderStatus(local.id) == STATUS_OPEN


def test_refund_after_fill_refused(local, fill_order, refund_order, warp):
    fill_order(local)
    warp(local.fill_deadline + 1)
    with boa.reverts("intents: already settled"):
        refund_order(local)


def test_local_exclusivity(open_order, fill_order, token2, settler, stranger, now, filler):
    order = open_order(local=True, exclusive_filler=filler, exclusivity_deadline=now() + 30)
    token2.mint(stranger, 990)
    token2.approve(settler.address, 990, sender=stranger)
    with boa.reverts("intents: exclusive filler"):
        fill_order(order, sender=stranger, data=b"")
    fill_order(order)


def test_local_order_filled_on_the_wrong_chain(local, settler, on_chain):
    with on_chain(DEST_CHAIN):
        with boa.reverts("intents: wrong destination"):
            settler.fill(local.id, local.encode(), b"", sender=FILLER.address)


def test_settle_of_a_local_order_refused(local, settle_order, settler):
    with boa.reverts("intents: not filled"):
        settle_order(local)
    assert settler.orderStatus(local.id) == STATUS_OPEN


@pytest.mark.parametrize("then", ["open", "filled", "refunded"])
def test_record_unfilled_of_a_local_order_refused(local, fill_order, refund_order, settler, warp, then):
    """A local order has no destination record: its fill settles it and its
    refund needs no proof, so "not filled" is never recorded for it (not
    even for one that its own fill settled)."""
    if then == "filled":
        fill_order(local)
    warp(local.fill_deadline + 1)
    if then == "refunded":
        refund_order(local)
    status = settler.orderStatus(local.id)
    with boa.reverts("intents: local order"):
        settler.recordUnfilled(local.id, local.encode())
    assert settler.fillRecords(local.id) == ZERO32
    assert settler.orderStatus(local.id) == status
