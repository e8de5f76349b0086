"""open: inputs go into escrow, `Open` carries the resolved order, and every
malformed order is refused with its reason (and leaves nothing behind)."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from .conftest import DEST_CHAIN, ORIGIN_CHAIN, RECIPIENT
from .helpers import (
    DAY,
    NATIVE,
    OPEN_TOPIC,
    STATUS_NONE,
    STATUS_OPEN,
    ZERO32,
    ZERO_ADDRESS,
    Input,
    Output,
    b32,
    normalize,
    output,
    resolved,
)

CANONICAL_OPEN_TOPIC = bytes.fromhex("3448bbc2203c608599ad448eeb1007cea04b788ac631f9f558e8dd01a3c27b3d")


# ---------------------------------------------------------------- works


def test_open_erc20_input(open_order, make_order, settler, token, events, user, resolver):
    order = make_order()
    before = token.balanceOf(user)
    with boa.env.prank(user):
        assert normalize(resolver.resolve(order.onchain())) == resolved(order)
    open_order(order)
    (ev,) = events(settler)
    assert ev.name == "Open"
    assert ev.args["orderId"] == order.id
    assert normalize(ev.args["resolvedOrder"]) == resolved(order)
    assert token.balanceOf(user) == before - 1_000
    assert token.balanceOf(settler.address) == 1_000
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_open_log_topic_is_canonical(open_order, settler):
    open_order()
    entries = [e for e in settler._computation.get_raw_log_entries() if e[1] == bytes.fromhex(str(settler.address)[2:])]
    (entry,) = entries
    topics = entry[2]
    assert topics[0].to_bytes(32, "big") == OPEN_TOPIC == CANONICAL_OPEN_TOPIC
    assert len(topics) == 2  # orderId is indexed


def test_open_native_input(open_order, make_order, settler, events, user):
    order = make_order(inputs=[Input(NATIVE, 10**17)])
    before = boa.env.get_balance(user)
    open_order(order)
    (ev,) = events(settler)
    assert normalize(ev.args["resolvedOrder"]) == resolved(order)
    assert boa.env.get_balance(user) == before - 10**17
    assert boa.env.get_balance(str(settler.address)) == 10**17
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_open_mixed_inputs(open_order, make_order, settler, token):
    order = make_order(
        inputs=[Input(NATIVE, 5), Input(str(token.address), 700), Input(NATIVE, 7), Input(str(token.address), 300)]
    )
    open_order(order)  # sends 12 wei
    assert boa.env.get_balance(str(settler.address)) == 12
    assert token.balanceOf(settler.address) == 1_000


def test_open_is_the_senders_order(open_order, stranger, token):
    """The user of an on-chain order is msg.sender: the same order data
    opened by another sender is another order, paid by that sender."""
    mine = open_order()
    theirs = mine.but(user=stranger)
    before = token.balanceOf(stranger)
    open_order(theirs)
    assert theirs.id != mine.id
    assert token.balanceOf(stranger) == before - 1_000


def test_refund_after_exactly_the_minimum_delay(open_order, now, settler):
    fill = now() + 100
    order = open_order(fill_deadline=fill, refund_after=fill + DAY)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_limits_four_inputs_four_outputs(open_order, make_order, token, token2, settler):
    order = make_order(
        inputs=[Input(str(token.address), 1 + i) for i in range(4)],
        outputs=[output(token2.address, 10 + i, RECIPIENT, DEST_CHAIN) for i in range(4)],
    )
    open_order(order)
    assert token.balanceOf(settler.address) == 1 + 2 + 3 + 4


def test_resolve_needs_no_balance(make_order, settler, resolver):
    """resolve checks the order's own fields only."""
    poor = boa.env.generate_address("poor")
    order = make_order(user=poor)
    assert normalize(resolver.resolve(order.onchain(), sender=poor)) == resolved(order)


# ---------------------------------------------------------------- refused


@pytest.fixture
def refused_open(open_order, settler):
    """Opening `order` reverts with `reason` and stores nothing."""

    def _refused(order, reason, **kw):
        with boa.reverts(reason):
            open_order(order, **kw)
        assert settler.orderStatus(order.id) == STATUS_NONE
        assert boa.env.get_balance(str(settler.address)) == 0

    return _refused


def test_unknown_order_data_type(make_order, settler, user, resolver):
    order = make_order()
    with boa.reverts("intents: unknown order data type"):
        settler.open(order.onchain(keccak(text="SomethingElse()")), sender=user)
    with boa.reverts("intents: unknown order data type"):
        resolver.resolve(order.onchain(ZERO32), sender=user)


@pytest.mark.parametrize("delta", [0, -1])
def test_fill_deadline_not_in_the_future(make_order, refused_open, now, delta):
    order = make_order(fill_deadline=now() + delta)
    refused_open(order, "intents: fill deadline passed")


def test_refund_too_early(make_order, refused_open, now):
    fill = now() + 100
    refused_open(make_order(fill_deadline=fill, refund_after=fill + DAY - 1), "intents: refund too early")
    refused_open(make_order(fill_deadline=fill, refund_after=fill), "intents: refund too early")


def test_refund_after_overflowing_uint32_is_not_possible(make_order, refused_open):
    """refundAfter is a uint32: the check is done in uint256, so a fill
    deadline near the uint32 limit cannot wrap around."""
    fill = 2**32 - 10
    refused_open(make_order(fill_deadline=fill, refund_after=2**32 - 1), "intents: refund too early")


def test_exclusivity_deadline_without_filler(make_order, refused_open, now):
    order = make_order(exclusive_filler=ZERO_ADDRESS, exclusivity_deadline=now() + 10)
    refused_open(order, "intents: no exclusive filler")


def test_empty_inputs(make_order, refused_open):
    refused_open(make_order(inputs=[]), "intents: empty order")


def test_empty_outputs(make_order, refused_open):
    refused_open(make_order(outputs=[]), "intents: empty order")


def test_zero_input_amount(make_order, refused_open, token):
    order = make_order(inputs=[Input(str(token.address), 1_000), Input(str(token.address), 0)])
    refused_open(order, "intents: zero amount")


def test_zero_output_amount(make_order, refused_open, token2):
    refused_open(make_order(outputs=[output(token2.address, 0, RECIPIENT, DEST_CHAIN)]), "intents: zero amount")


def test_output_on_another_chain(make_order, refused_open, token2):
    outputs = [output(token2.address, 1, RECIPIENT, DEST_CHAIN), output(token2.address, 1, RECIPIENT, ORIGIN_CHAIN)]
    refused_open(make_order(outputs=outputs), "intents: output chain")


def test_zero_recipient(make_order, refused_open, token2):
    refused_open(make_order(outputs=[output(token2.address, 1, ZERO_ADDRESS, DEST_CHAIN)]), "intents: zero recipient")


def test_output_token_not_an_address(make_order, refused_open, token2):
    word = b"\x01" + b32(token2.address)[1:]
    refused_open(make_order(outputs=[Output(word, 1, b32(RECIPIENT), DEST_CHAIN)]), "intents: not an address")


def test_output_recipient_not_an_address(make_order, refused_open, token2):
    word = b32(RECIPIENT)[:11] + b"\x01" + b32(RECIPIENT)[12:]
    refused_open(make_order(outputs=[Output(b32(token2.address), 1, word, DEST_CHAIN)]), "intents: not an address")


def test_zero_destination_settler(make_order, refused_open):
    refused_open(make_order(destination_settler=ZERO32), "intents: zero destination")


def test_cross_chain_order_without_oracle(make_order, refused_open):
    refused_open(make_order(oracle=ZERO_ADDRESS), "intents: no oracle")


def test_same_chain_other_settler_needs_an_oracle(make_order, refused_open, dest):
    """Destination on this chain but another settler: not local, needs an oracle."""
    order = make_order(
        oracle=ZERO_ADDRESS,
        destination_chain_id=ORIGIN_CHAIN,
        destination_settler=b32(dest.address),
    )
    refused_open(order, "intents: no oracle")


def test_same_order_and_nonce_twice(open_order, token, user):
    order = open_order()
    before = token.balanceOf(user)
    with boa.reverts("intents: order exists"):
        open_order(order)
    assert token.balanceOf(user) == before


@pytest.mark.parametrize("value", [0, 10**17 - 1, 10**17 + 1])
def test_wrong_value_native(make_order, refused_open, value):
    refused_open(make_order(inputs=[Input(NATIVE, 10**17)]), "intents: wrong value", value=value)


def test_value_with_erc20_order(make_order, refused_open):
    refused_open(make_order(), "intents: wrong value", value=1)


def test_more_than_four_inputs(make_order, open_order, settler, token):
    """orderData that does not decode into a CharterOrder (5 inputs) reverts."""
    order = make_order(inputs=[Input(str(token.address), 1)] * 5)
    with boa.reverts():
        open_order(order)
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_no_allowance(make_order, open_order, token, settler, stranger):
    with boa.env.prank(stranger):
        token.approve(settler.address, 999)
    with boa.reverts("intents: token transfer failed"):
        open_order(make_order(user=stranger))
