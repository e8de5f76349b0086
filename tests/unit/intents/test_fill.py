"""fill (destination): outputs delivered to their recipients, once, by the
fill deadline, respecting exclusivity; the record fixes payout and filler
agent (I2, I4)."""

from __future__ import annotations

import boa
import pytest

from .conftest import DEST_CHAIN, FILLER, ORIGIN_CHAIN, RECIPIENT, RECIPIENT2, STRANGER
from .helpers import (
    NATIVE,
    ZERO32,
    ZERO_ADDRESS,
    Input,
    filler_data,
    output,
    record_hash,
)


@pytest.fixture
def opened(open_order):
    """An order opened on the origin (fills do not look at the origin, but
    the scenarios are realistic)."""
    return open_order()


# ---------------------------------------------------------------- works


def test_fill_erc20_output(opened, fill_order, dest, token2, events, filler, filler_agent):
    before_filler, before_recipient = token2.balanceOf(filler), token2.balanceOf(RECIPIENT)
    fill_order(opened)
    (ev,) = events(dest)
    record = record_hash(filler, filler_agent)
    assert ev.name == "Filled"
    assert ev.args == {
        "orderId": opened.id,
        "filler": filler,
        "fillerAgentId": filler_agent,
        "payout": filler,
        "recordHash": record,
    }
    assert dest.fillRecords(opened.id) == record
    assert token2.balanceOf(filler) == before_filler - 990
    assert token2.balanceOf(RECIPIENT) == before_recipient + 990
    assert token2.balanceOf(dest.address) == 0


def test_fill_native_outputs(open_order, fill_order, dest, token2, filler):
    order = open_order(
        outputs=[
            output(NATIVE, 10**17, RECIPIENT, DEST_CHAIN),
            output(token2.address, 5, RECIPIENT2, DEST_CHAIN),
            output(NATIVE, 3, RECIPIENT2, DEST_CHAIN),
        ]
    )
    before = boa.env.get_balance(filler), boa.env.get_balance(RECIPIENT), boa.env.get_balance(RECIPIENT2)
    fill_order(order)  # sends 10**17 + 3
    assert boa.env.get_balance(filler) == before[0] - 10**17 - 3
    assert boa.env.get_balance(RECIPIENT) == before[1] + 10**17
    assert boa.env.get_balance(RECIPIENT2) == before[2] + 3
    assert token2.balanceOf(RECIPIENT2) == 5
    assert boa.env.get_balance(str(dest.address)) == 0


def test_empty_filler_data_pays_the_filler_without_agent(opened, fill_order, dest, events, filler):
    fill_order(opened, data=b"")
    (ev,) = events(dest)
    assert (ev.args["payout"], ev.args["fillerAgentId"]) == (filler, 0)
    assert dest.fillRecords(opened.id) == record_hash(filler, 0)


def test_payout_elsewhere_without_agent(opened, fill_order, dest):
    fill_order(opened, data=filler_data(RECIPIENT2, 0))
    assert dest.fillRecords(opened.id) == record_hash(RECIPIENT2, 0)


def test_anyone_may_fill(opened, fill_order, dest, token2, stranger):
    token2.mint(stranger, 990)
    token2.approve(dest.address, 990, sender=stranger)
    fill_order(opened, sender=stranger, data=b"")
    assert dest.fillRecords(opened.id) == record_hash(stranger, 0)


def test_fill_at_the_deadline(opened, fill_order, dest, warp):
    warp(opened.fill_deadline)
    fill_order(opened)
    assert dest.fillRecords(opened.id) != ZERO32


def test_fill_of_an_order_never_opened(make_order, fill_order, dest):
    """The destination cannot see the origin: an unknown order can be filled
    (the filler's risk; it will never be proven to settle)."""
    order = make_order()
    fill_order(order)
    assert dest.fillRecords(order.id) != ZERO32


# ---------------------------------------------------------------- exclusivity


@pytest.fixture
def exclusive(open_order, now, token2, dest, stranger):
    token2.mint(stranger, 10**6)
    token2.approve(dest.address, 10**6, sender=stranger)
    return open_order(exclusive_filler=FILLER.address, exclusivity_deadline=now() + 100)


def test_exclusive_filler_during_the_window(exclusive, fill_order, dest, warp):
    warp(exclusive.data.exclusivity_deadline)
    fill_order(exclusive)
    assert dest.fillRecords(exclusive.id) != ZERO32


def test_others_refused_during_the_window(exclusive, fill_order, warp, stranger):
    for t in (boa.env.timestamp, exclusive.data.exclusivity_deadline):
        warp(t)
        with boa.reverts("intents: exclusive filler"):
            fill_order(exclusive, sender=stranger, data=b"")


def test_anyone_after_the_window(exclusive, fill_order, dest, warp, stranger):
    warp(exclusive.data.exclusivity_deadline + 1)
    fill_order(exclusive, sender=stranger, data=b"")
    assert dest.fillRecords(exclusive.id) == record_hash(stranger, 0)


def test_exclusive_filler_cannot_be_impersonated_in_filler_data(exclusive, fill_order, stranger):
    """Exclusivity checks the caller, not a field of fillerData."""
    with boa.reverts("intents: exclusive filler"):
        fill_order(exclusive, sender=stranger, data=filler_data(FILLER.address, 0))


# ---------------------------------------------------------------- refused


def test_order_mismatch(opened, make_order, fill_order):
    other = make_order()
    with boa.reverts("intents: order mismatch"):
        fill_order(opened, order_id=other.id)


def test_wrong_destination_settler(opened, fill_order, settler):
    """Filled on the origin settler's instance (on the destination chain)."""
    with boa.reverts("intents: wrong destination"):
        fill_order(opened, on=settler)


def test_wrong_destination_chain(opened, dest, on_chain):
    with on_chain(ORIGIN_CHAIN):
        with boa.reverts("intents: wrong destination"):
            dest.fill(opened.id, opened.encode(), b"", sender=FILLER.address)
    with on_chain(DEST_CHAIN + 1):
        with boa.reverts("intents: wrong destination"):
            dest.fill(opened.id, opened.encode(), b"", sender=FILLER.address)


def test_fill_deadline_passed(opened, fill_order, dest, warp):
    warp(opened.fill_deadline + 1)
    with boa.reverts("intents: fill deadline passed"):
        fill_order(opened)
    assert dest.fillRecords(opened.id) == ZERO32


def test_second_fill_refused(opened, fill_order, dest, token2, filler, stranger):
    fill_order(opened)
    record = dest.fillRecords(opened.id)
    before = token2.balanceOf(filler)
    for sender, data in ((filler, None), (stranger, b""), (filler, filler_data(STRANGER.address, 0))):
        with boa.reverts("intents: already filled"):
            fill_order(opened, sender=sender, data=data)
    assert dest.fillRecords(opened.id) == record
    assert token2.balanceOf(filler) == before


def test_zero_payout(opened, fill_order):
    with boa.reverts("intents: zero payout"):
        fill_order(opened, data=filler_data(ZERO_ADDRESS, 0))


def test_filler_claiming_an_agent_it_does_not_control(opened, fill_order, agent_id):
    with boa.reverts("intents: not the agent's"):
        fill_order(opened, data=filler_data(FILLER.address, agent_id))


def test_filler_agent_paused(opened, fill_order, registry, filler_agent, filler):
    registry.pause(filler_agent, sender=filler)
    with boa.reverts("intents: agent not active"):
        fill_order(opened)


def test_filler_operator_may_name_the_agent(opened, fill_order, registry, filler_agent, filler, stranger, token2, dest):
    registry.setApprovalForAll(stranger, True, sender=filler)
    token2.mint(stranger, 990)
    token2.approve(dest.address, 990, sender=stranger)
    fill_order(opened, sender=stranger, data=filler_data(stranger, filler_agent))
    assert dest.fillRecords(opened.id) == record_hash(stranger, filler_agent)


def test_malformed_filler_data(opened, fill_order):
    with boa.reverts():
        fill_order(opened, data=b"\x00" * 32)


def test_too_much_value(open_order, fill_order):
    order = open_order(outputs=[output(NATIVE, 10**17, RECIPIENT, DEST_CHAIN)])
    with boa.reverts("intents: wrong value"):
        fill_order(order, value=10**17 + 1)


def test_too_little_value(open_order, fill_order):
    """Native outputs are sent as the loop goes: with nothing else in the
    settler, the send itself fails."""
    order = open_order(outputs=[output(NATIVE, 10**17, RECIPIENT, DEST_CHAIN)])
    with boa.reverts("intents: native transfer failed"):
        fill_order(order, value=10**17 - 1)


def test_too_little_value_cannot_spend_escrow(open_order, make_order, fill_order, dest):
    """The same settler is an origin too: native escrow it holds for other
    orders never pays for a fill sent with too little value."""
    open_order(make_order(origin_settler=dest.address, inputs=[Input(NATIVE, 10**18)]))
    order = open_order(outputs=[output(NATIVE, 10**17, RECIPIENT, DEST_CHAIN)])
    for value in (0, 10**17 - 1):
        with boa.reverts("intents: wrong value"):
            fill_order(order, value=value)
    assert boa.env.get_balance(str(dest.address)) == 10**18


def test_value_with_erc20_outputs(opened, fill_order):
    with boa.reverts("intents: wrong value"):
        fill_order(opened, value=1)


def test_filler_without_allowance(opened, fill_order, token2, dest, filler):
    token2.approve(dest.address, 989, sender=filler)
    with boa.reverts("intents: token transfer failed"):
        fill_order(opened)


def test_native_recipient_that_refuses(open_order, fill_order, deployer):
    rejecting = deployer("NoReceive").deploy()
    order = open_order(outputs=[output(NATIVE, 1, rejecting.address, DEST_CHAIN)])
    with boa.reverts("intents: native transfer failed"):
        fill_order(order)


def test_fill_after_record_unfilled(opened, fill_order, record_unfilled, warp):
    warp(opened.fill_deadline + 1)
    record_unfilled(opened)
    with boa.reverts("intents: fill deadline passed"):
        fill_order(opened)
