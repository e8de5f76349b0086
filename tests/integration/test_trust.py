"""The SDK's trust clients on two real anvils: receipt-backed feedback on both sides of an order
opened on A and filled on B (the filler's agent represented on A by the committee), the plain
ERC-8004 registry, and validation requests and answers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from eth_account import Account

from charter import LocalSigner
from charter.exceptions import (
    FeedbackAlreadyRevoked,
    InvalidInput,
    NotACounterparty,
    ReceiptMissing,
    ReceiptUsed,
    SelfFeedback,
    UnknownValidationRequest,
    ValidationRequestExists,
    ValidationUnauthorized,
)
from charter.registry.represent import AgentState, CommitteeInbox
from charter.trust import fill_request, parse_fill_request

from .conftest import COMMITTEE, World


@pytest.fixture(scope="module")
def filler_on_a(world: World) -> int:
    """The filler's agent (of B) as A knows it: represented through the committee's oracle."""
    state = AgentState.read(world.b.filler.registry, world.filler_agent)
    inbox = CommitteeInbox(world.a.w3, world.oracle, world.deployer)
    return int(inbox.deliver(state, inbox.proof(state, COMMITTEE[:2])).agent_id or 0)


@pytest.fixture(scope="module")
def stranger(world: World) -> LocalSigner:
    signer = LocalSigner(Account.create())
    world.a.w3.eth.wait_for_transaction_receipt(
        world.deployer.send_transaction(world.a.w3, {"to": signer.address, "value": 10**18}))
    return signer


def test_both_sides_review_each_other_once_backed_by_the_settled_order(world: World, filler_on_a: int) -> None:
    order = world.settled()
    user, filler = world.a.user.backed_reputation, world.a.filler.backed_reputation
    assert user.backed and user.settler == world.a.user.intents.address
    assert user.receipt(order.order_id) is None

    given = user.give_for_order(order.order_id, "92.5")  # records the receipt, then reviews the filler
    assert given.note and "recorded the order's receipt" in given.note
    entry = user.feedback(filler_on_a, world.user.address, given.index)
    assert (entry.score, entry.tag1, entry.revoked) == (Decimal("92.5"), "settled", False)
    assert entry.backing is not None and entry.backing.order_id == order.order_id
    assert (entry.backing.token, entry.backing.amount) == (world.a.token.address, 10**18)
    receipt = user.receipt(order.order_id)
    assert receipt is not None and (receipt.filler_agent_id, receipt.filler_chain_id) == (world.filler_agent, 31_422)

    back = filler.give_for_order(order.order_id, 80)  # the payout reviews the opener's agent
    assert back.note is None and back.agent_id == world.user_agent
    assert filler.feedback(world.user_agent, world.filler.address, back.index).backing.order_id == order.order_id

    # Once per direction, whoever asks and however.
    with pytest.raises(ReceiptUsed, match="one per direction|already backs"):
        user.give_for_order(order.order_id, 100)
    with pytest.raises(ReceiptUsed):
        filler.give(world.user_agent, 100, feedback_hash=order.order_id)
    assert user.record_receipt(order.order_id).sent is False

    summary = user.backed_summary(filler_on_a, min_value=10**18, token=world.a.token.address)
    assert summary.count >= 1 and summary.volume[world.a.token.address.lower()] == summary.count * 10**18
    assert user.backed_summary(filler_on_a, min_value=10**18 + 1).count == 0
    # The ERC-8004 view counts the same entries an unmodified client reads.
    assert user.summary(filler_on_a, tag1="settled").count == summary.count


def test_backed_feedback_is_refused_without_a_settled_counterparty(
    world: World, filler_on_a: int, stranger: LocalSigner,
) -> None:
    order = world.settled()
    backed = world.a.user.backed_reputation.with_signer(stranger)
    with pytest.raises(NotACounterparty, match="not a counterparty"):  # refused before anything is sent
        backed.give_for_order(order.order_id, 100)
    assert backed.receipt(order.order_id) is None
    backed.record_receipt(order.order_id)  # anyone may record it
    with pytest.raises(NotACounterparty, match=stranger.address):  # the contract says the same
        backed.give(filler_on_a, 100, feedback_hash=order.order_id)
    with pytest.raises(SelfFeedback):  # the filler owns the mirror of its agent on A as well
        world.a.filler.backed_reputation.give(filler_on_a, 1, feedback_hash=order.order_id)
    with pytest.raises(NotACounterparty, match="not on the other side"):  # the opener's side reviewing itself
        world.a.user.backed_reputation.with_signer(stranger).give(world.user_agent, 1, feedback_hash=order.order_id)
    other = world.a.user.registry.with_signer(stranger).register("ipfs://charter-test/other.json")
    with pytest.raises(NotACounterparty, match="neither the opener's agent nor the filler's"):
        world.a.user.backed_reputation.give(other, 1, feedback_hash=order.order_id)

    opened = world.order()
    world.a.user.intents.open(opened)
    with pytest.raises(ReceiptMissing, match="not settled"):
        world.a.user.backed_reputation.give_for_order(opened.order_id, 100)
    with pytest.raises(ReceiptMissing, match="recordReceipt"):
        world.a.user.backed_reputation.give(filler_on_a, 100, feedback_hash=opened.order_id)
    with pytest.raises(InvalidInput, match="plain ERC-8004"):
        world.a.user.reputation.give_for_order(order.order_id, 100)
    # B's backed registry is bound to B's settler: A's settled order backs nothing there.
    with pytest.raises(ReceiptMissing):
        world.b.user.backed_reputation.record_receipt(order.order_id)


def test_plain_feedback_revoke_respond_and_read(world: World, stranger: LocalSigner) -> None:
    plain = world.a.user.reputation.with_signer(stranger)
    assert not plain.backed and plain.settler is None
    agent = world.user_agent
    given = plain.give(agent, 87, tag1="starred", endpoint="https://agent.example/mcp")
    assert given.index == plain.last_index(agent, stranger.address)
    assert stranger.address in plain.clients(agent)
    entry = plain.feedback(agent, stranger.address, given.index)
    assert (entry.value, entry.decimals, entry.tag1, entry.backing) == (87, 0, "starred", None)
    assert any(f.index == given.index for f in plain.feedbacks(agent, [stranger.address], tag1="starred"))
    assert plain.summary(agent, [stranger.address], tag1="starred").count == given.index

    world.a.user.reputation.respond(agent, stranger.address, given.index, "ipfs://reply")
    assert plain.response_count(agent, stranger.address, given.index, [world.user.address]) == 1
    plain.revoke(agent, given.index)
    assert plain.feedback(agent, stranger.address, given.index).revoked
    with pytest.raises(FeedbackAlreadyRevoked):
        plain.revoke(agent, given.index)
    with pytest.raises(InvalidInput, match="start at 1"):
        plain.revoke(agent, 0)
    with pytest.raises(SelfFeedback, match="may not review itself"):
        world.a.user.reputation.give(agent, 100)
    with pytest.raises(InvalidInput, match="decimals"):
        plain.give(agent, "1.0000000000000000001")


def test_validation_request_answer_and_read(world: World, stranger: LocalSigner) -> None:
    validation = world.a.user.validation
    validator = world.a.filler.validation
    uri, digest = fill_request(31_411, b"\x42" * 32)
    assert parse_fill_request(uri) == (31_411, b"\x42" * 32)
    asked = validation.request(world.filler.address, world.user_agent, uri + f":{world.a.now}")
    request = bytes.fromhex(asked.request_hash[2:])
    status = validation.status(request)
    assert (status.validator, status.agent_id, status.response) == (world.filler.address, world.user_agent, 0)
    with pytest.raises(ValidationRequestExists):
        validation.request(world.filler.address, world.user_agent, "other", request_hash=request)
    with pytest.raises(ValidationUnauthorized, match="may not ask"):
        validation.with_signer(stranger).request(world.filler.address, world.user_agent, "x")
    with pytest.raises(ValidationUnauthorized, match="not the validator"):
        validation.respond(request, 100)
    with pytest.raises(InvalidInput, match="0 to 100"):
        validator.respond(request, 101)

    validator.respond(request, 100, tag="fill")
    assert validation.status(request).response == 100 and validation.status(request).tag == "fill"
    assert request in validation.agent_requests(world.user_agent)
    assert request in validation.validator_requests(world.filler.address)
    assert any(r["request_hash"] == request for r in validation.requests_to(world.filler.address, 0))
    summary = validation.summary(world.user_agent, [world.filler.address], "fill")
    assert summary.count >= 1 and summary.average <= 100
    with pytest.raises(UnknownValidationRequest):
        validation.status(b"\x77" * 32)


def test_a_receipt_recorded_meanwhile_does_not_stop_the_feedback(
    world: World, filler_on_a: int, stranger: LocalSigner, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The relayer records receipts too: if it records one between the client's look and its own
    recordReceipt, the client's is refused ("receipt recorded") and the feedback still goes out."""
    from charter.trust import Reputation

    order = world.settled()
    world.a.user.backed_reputation.with_signer(stranger).record_receipt(order.order_id)  # the relayer, say
    seen = Reputation.receipt
    looks = iter([None, None, None])  # give_for_order's and record_receipt's looks happen "before" it landed
    monkeypatch.setattr(Reputation, "receipt", lambda self, oid: next(looks, seen(self, oid)))
    given = world.a.user.backed_reputation.give_for_order(order.order_id, 90)
    assert given.note is None and given.agent_id == filler_on_a
