"""Receipt-backed feedback (T1): the second ReputationRegistry deployment,
bound to the settler, takes feedback only from a counterparty of a settled
order whose receipt was recorded, once per direction; feedback cites the
order as `feedbackHash` (what an unmodified ERC-8004 client sends). The
filler's agent lives on the destination chain: here it is the agent that
represents it (AgentRegistry.represent)."""

from __future__ import annotations

from pathlib import Path

import boa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import DEST_CHAIN, FILLER, STRANGER
from .helpers import UNFILLED_RECORD, ZERO_ADDRESS

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def reputation_code():
    return boa.load_partial(str(ROOT / "contracts" / "ReputationRegistry.vy"))


@pytest.fixture
def backed(reputation_code, registry, settler):
    return reputation_code.deploy(registry.address, settler.address)


@pytest.fixture
def filler_here(registry, filler_agent):
    """The filler's agent (of DEST_CHAIN) represented on this chain, by some inbox."""
    inbox = boa.env.generate_address("inbox")
    owner, wallet, _, generation, sequence = registry.agentState(filler_agent)
    with boa.env.prank(inbox):
        return registry.represent(DEST_CHAIN, filler_agent, owner, wallet, 0, generation, sequence)


@pytest.fixture
def settled(open_order, fill_and_prove, settle_order, agent_owner, agent_id):
    """An order opened by the agent's owner for its agent, filled by FILLER's agent on DEST_CHAIN, settled."""
    order = open_order(user=agent_owner, agent_id=agent_id)
    fill_and_prove(order)
    settle_order(order)
    return order


def record(backed, order, filler_agent, payout=FILLER.address, filler_chain=DEST_CHAIN, sender=STRANGER.address):
    inputs = [i.abi() for i in order.data.inputs]
    return backed.recordReceipt(
        order.id, str(order.user), order.data.agent_id, filler_agent, filler_chain, payout, inputs, sender=sender
    )


def feedback(backed, agent, order_id, sender, value=90):
    return backed.giveFeedback(agent, value, 0, "settled", "", "", "", order_id, sender=str(sender))


def test_both_sides_review_each_other_once(backed, settled, filler_agent, filler_here, agent_id, agent_owner):
    record(backed, settled, filler_agent)
    r = backed.receiptOf(settled.id)
    assert (r.user, r.openerAgentId, r.fillerAgentId, r.fillerChainId, r.payout, r.amount) == (
        agent_owner,
        agent_id,
        filler_agent,
        DEST_CHAIN,
        FILLER.address,
        1_000,
    )
    feedback(backed, filler_here, settled.id, agent_owner)  # the opener's side on the filler
    feedback(backed, agent_id, settled.id, FILLER.address, value=80)  # the filler's side on the opener
    assert tuple(backed.backingOf(filler_here, agent_owner, 1)) == (
        settled.id,
        str(settled.data.inputs[0].token),
        1_000,
    )
    assert backed.getSummary(filler_here, [agent_owner], "", "") == (1, 90, 0)
    assert backed.getSummary(agent_id, [FILLER.address], "", "") == (1, 80, 0)
    with boa.reverts("reputation: receipt used"):
        feedback(backed, filler_here, settled.id, agent_owner)
    with boa.reverts("reputation: receipt used"):
        feedback(backed, agent_id, settled.id, FILLER.address)


def test_strangers_and_non_counterparties_are_refused(backed, settled, filler_agent, filler_here, agent_id):
    record(backed, settled, filler_agent)
    with boa.reverts("reputation: not a counterparty"):
        feedback(backed, filler_here, settled.id, STRANGER.address)
    with boa.reverts("reputation: not a counterparty"):
        feedback(backed, agent_id, settled.id, STRANGER.address)
    other = boa.env.generate_address("someone")
    with boa.reverts("reputation: agent not in the order"):
        feedback(backed, filler_agent, settled.id, other)  # the filler's id of ANOTHER chain, not its id here


def test_feedback_needs_a_recorded_receipt(backed, settled, filler_here, agent_owner):
    with boa.reverts("reputation: no receipt"):
        feedback(backed, filler_here, settled.id, agent_owner)
    with boa.reverts("reputation: no receipt"):
        feedback(backed, filler_here, b"\x00" * 32, agent_owner)


def test_only_settled_orders_and_their_true_fields_record(
    backed, open_order, prove, refund_order, settled, filler_agent, agent_owner, agent_id
):
    with boa.reverts("reputation: no such settlement"):
        record(backed, settled, filler_agent, payout=STRANGER.address)  # another payout
    with boa.reverts("reputation: no such settlement"):
        record(backed, settled, filler_agent, filler_chain=DEST_CHAIN + 1)  # another chain
    with boa.reverts("reputation: no such settlement"):
        record(backed, settled, filler_agent + 1)  # another agent
    still_open = open_order(user=agent_owner, agent_id=agent_id)
    with boa.reverts("reputation: no such settlement"):
        record(backed, still_open, filler_agent)
    refunded = open_order(user=agent_owner, agent_id=agent_id)
    prove(refunded, UNFILLED_RECORD)
    refund_order(refunded)
    with boa.reverts("reputation: no such settlement"):
        record(backed, refunded, 0, payout=ZERO_ADDRESS)
    record(backed, settled, filler_agent)
    with boa.reverts("reputation: receipt recorded"):
        record(backed, settled, filler_agent)


def test_another_settlers_receipts_do_not_count(reputation_code, registry, settled, filler_agent):
    other_settler = boa.load_partial(str(ROOT / "tests" / "mocks" / "Target.vy")).deploy()
    elsewhere = reputation_code.deploy(registry.address, other_settler.address)
    with boa.reverts():
        record(elsewhere, settled, filler_agent)


def test_the_plain_registry_takes_no_receipts(reputation_code, registry, settled, filler_agent):
    plain = reputation_code.deploy(registry.address, ZERO_ADDRESS)
    with boa.reverts("reputation: not receipt-backed"):
        record(plain, settled, filler_agent)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    attempts=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["owner", "filler", "stranger"])), min_size=1, max_size=12
    )
)
def test_backed_count_never_exceeds_the_settled_orders(
    backed, open_order, fill_and_prove, settle_order, filler_agent, filler_here, agent_owner, agent_id, attempts
):
    """Invariant: whatever the actors try, the backed summary of the filler by the opener's side counts at
    most one feedback per settled order between them (and likewise the other way)."""
    with boa.env.anchor():
        orders = []
        for _ in range(4):
            order = open_order(user=agent_owner, agent_id=agent_id)
            fill_and_prove(order)
            settle_order(order)
            record(backed, order, filler_agent)
            orders.append(order)
        who = {"owner": agent_owner, "filler": FILLER.address, "stranger": STRANGER.address}
        for i, actor in attempts:
            target = filler_here if actor != "filler" else agent_id
            try:
                feedback(backed, target, orders[i].id, who[actor])
            except Exception:  # noqa: BLE001 - refusals are part of the run
                pass
        on_filler = backed.getSummary(filler_here, [agent_owner, FILLER.address, STRANGER.address], "", "")[0]
        on_opener = backed.getSummary(agent_id, [agent_owner, FILLER.address, STRANGER.address], "", "")[0]
        assert on_filler <= len(orders) and on_opener <= len(orders)
        assert backed.getLastIndex(filler_here, STRANGER.address) == 0
