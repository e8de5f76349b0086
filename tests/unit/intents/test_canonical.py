"""One order, one id (I5): every entry point that takes order bytes refuses
any encoding of an order other than its canonical one, so no other bytes
(and so no other id) stand for the same order on any chain.

The two attacks seen with a decoder that tolerated a zero word appended to
originData come first; then one negative test per entry point (fill,
recordUnfilled, the HyperlaneReporter, open, openFor, resolve, resolveFor)
over every non-canonical form an ABI decoder may accept or trip on
(helpers.NON_CANONICAL)."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from .conftest import FILLER, RECIPIENT, RELAYER, STRANGER, USER
from .helpers import (
    CONTRACTS,
    MOCKS,
    NON_CANONICAL,
    NON_CANONICAL_DATA,
    ORDER_DATA_TYPE,
    STATUS_NONE,
    STATUS_OPEN,
    ZERO32,
    filler_data,
    non_canonical_data,
    non_canonical_order,
    record_hash,
)

NON_CANONICAL_ORDER = "intents: non-canonical order"
# Forms the contract's ABI decoder itself refuses (dirty high bits): any revert will do.
DIRTY = ("dirty-address", "dirty-uint32")


def _refused(kind: str, reason: str = NON_CANONICAL_ORDER):
    return boa.reverts() if kind in DIRTY else boa.reverts(reason)


@pytest.fixture
def stranger_filler(token2, dest):
    """STRANGER holds outputs and approved the destination settler: a second filler."""
    token2.mint(STRANGER.address, 10**6)
    token2.approve(dest.address, 10**6, sender=STRANGER.address)
    return STRANGER.address


# ---------------------------------------------------------------- the two attacks


def test_a_filled_order_cannot_be_filled_again_with_padded_bytes(
    open_order, fill_order, dest, token2, destination, stranger_filler
):
    """Seen: a second filler filled an already filled order again with the
    canonical bytes plus a zero word (another id): the recipient was paid
    twice and that filler could never be paid."""
    order = open_order()
    fill_order(order)
    padded = order.encode() + ZERO32
    before = token2.balanceOf(RECIPIENT), token2.balanceOf(stranger_filler)
    with destination(), boa.reverts(NON_CANONICAL_ORDER):
        dest.fill(keccak(padded), padded, b"", sender=stranger_filler)
    assert (token2.balanceOf(RECIPIENT), token2.balanceOf(stranger_filler)) == before
    assert dest.fillRecords(keccak(padded)) == ZERO32


def test_a_padded_fill_cannot_leave_the_real_id_unfilled(
    open_order, fill_order, record_unfilled, refund_order, settler, dest, token2, destination, warp, filler_agent
):
    """Seen: the only fill used padded bytes, so the real id had no record;
    after the deadline anyone recorded it as unfilled and the user was
    refunded while keeping the outputs. Now the padded fill is refused, the
    filler fills the real id, and the real id can no longer be recorded
    unfilled nor refunded on a proof of non-fill."""
    order = open_order()
    padded = order.encode() + ZERO32
    with destination(), boa.reverts(NON_CANONICAL_ORDER):
        dest.fill(keccak(padded), padded, filler_data(FILLER.address, 0), sender=FILLER.address)
    assert token2.balanceOf(RECIPIENT) == 0
    fill_order(order)
    warp(order.fill_deadline + 1)
    with boa.reverts("intents: already filled"):
        record_unfilled(order)
    with destination(), boa.reverts(NON_CANONICAL_ORDER):
        dest.recordUnfilled(keccak(padded), padded, sender=STRANGER.address)
    assert dest.fillRecords(order.id) == record_hash(FILLER.address, filler_agent)
    with boa.reverts("intents: unfilled not proven"):
        refund_order(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN


# ---------------------------------------------------------------- destination entry points


@pytest.mark.parametrize("kind", NON_CANONICAL)
def test_fill_refuses_non_canonical_bytes(kind, open_order, dest, token2, destination, stranger_filler):
    order = open_order()
    bad = non_canonical_order(order, kind)
    with destination(), _refused(kind):
        dest.fill(keccak(bad), bad, b"", sender=stranger_filler)
    assert dest.fillRecords(keccak(bad)) == ZERO32
    assert token2.balanceOf(RECIPIENT) == 0


@pytest.mark.parametrize("kind", NON_CANONICAL)
def test_record_unfilled_refuses_non_canonical_bytes(kind, open_order, dest, destination, warp):
    order = open_order()
    bad = non_canonical_order(order, kind)
    warp(order.fill_deadline + 1)
    with destination(), _refused(kind):
        dest.recordUnfilled(keccak(bad), bad, sender=STRANGER.address)
    assert dest.fillRecords(keccak(bad)) == ZERO32


def test_canonical_bytes_still_fill(open_order, fill_order, dest):
    """Positive control for the tests above."""
    order = open_order()
    fill_order(order)
    assert dest.fillRecords(order.id) != ZERO32


# ---------------------------------------------------------------- the reporter


@pytest.fixture
def reporter(dest, world):
    mailbox = boa.load_partial(str(MOCKS / "MockMailbox.vy")).deploy()
    deployed = boa.load_partial(str(CONTRACTS / "HyperlaneReporter.vy")).deploy(mailbox.address, dest.address)
    return deployed, mailbox


@pytest.mark.parametrize("kind", NON_CANONICAL)
def test_reporter_refuses_non_canonical_bytes(kind, reporter, open_order, fill_order, destination):
    """The reporter reports a record only for the canonical bytes the
    settler recorded; any other encoding of a filled order is refused."""
    contract, mailbox = reporter
    order = open_order()
    fill_order(order)
    bad = non_canonical_order(order, kind)
    with destination():
        with _refused(kind, "hyperlane: not canonical"):
            contract.quoteReport(1, [bad])
        with _refused(kind, "hyperlane: not canonical"):
            contract.report(1, [bad], sender=RELAYER)
        with _refused(kind, "hyperlane: not canonical"):
            contract.report(1, [order.encode(), bad], sender=RELAYER)
        assert mailbox.dispatched() == 0
        contract.report(1, [order.encode()], sender=RELAYER)  # positive control
    assert mailbox.dispatched() == 1


# ---------------------------------------------------------------- origin entry points


@pytest.mark.parametrize("kind", NON_CANONICAL_DATA)
def test_open_refuses_non_canonical_order_data(kind, make_order, settler, token):
    order = make_order()
    bad = (order.fill_deadline, ORDER_DATA_TYPE, non_canonical_data(order.data, kind))
    with _refused(kind):
        settler.open(bad, sender=USER.address)
    assert settler.orderStatus(order.id) == STATUS_NONE
    assert token.balanceOf(settler.address) == 0


@pytest.mark.parametrize("kind", NON_CANONICAL_DATA)
def test_open_for_refuses_non_canonical_order_data(kind, make_order, sign_order, settler, now):
    """The user's signature covers the decoded order; the bytes carrying it
    must still be its canonical encoding."""
    order = make_order(open_deadline=now() + 600)
    signature = sign_order(order)
    gasless = order.gasless()
    bad = (*gasless[:7], non_canonical_data(order.data, kind))
    with _refused(kind):
        settler.openFor(bad, signature, b"", sender=RELAYER)
    assert settler.orderStatus(order.id) == STATUS_NONE
    settler.openFor(gasless, signature, b"", sender=RELAYER)  # positive control: the nonce is still free
    assert settler.orderStatus(order.id) == STATUS_OPEN


@pytest.mark.parametrize("kind", NON_CANONICAL_DATA)
def test_resolve_refuses_non_canonical_order_data(kind, make_order, resolver):
    order = make_order()
    with _refused(kind):
        bad = (order.fill_deadline, ORDER_DATA_TYPE, non_canonical_data(order.data, kind))
        resolver.resolve(bad, sender=USER.address)


@pytest.mark.parametrize("kind", NON_CANONICAL_DATA)
def test_resolve_for_refuses_non_canonical_order_data(kind, make_order, resolver, now):
    order = make_order(open_deadline=now() + 600)
    bad = (*order.gasless()[:7], non_canonical_data(order.data, kind))
    with _refused(kind):
        resolver.resolveFor(bad, b"")
