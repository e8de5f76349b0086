"""The opener's agentId is verified: agent 0, or an Active agent whose owner,
operator, approved address or wallet opens, or a Charter account running a
session of that agent (SessionManager.executeBatch: approve + open, within
the grant's caps)."""

from __future__ import annotations

import boa
import pytest

from ..sessions.helpers import Call, Permission, TokenBudget, approve
from .conftest import (
    ACCOUNT_OWNER,
    AGENT_OWNER,
    APPROVED,
    DEST_CHAIN,
    FILLER,
    OPEN_SELECTOR,
    OPERATOR,
    RECIPIENT,
    RECIPIENT2,
    SESSION_KEY,
    STRANGER,
    WALLET,
)
from .helpers import (
    NATIVE,
    STATUS_NONE,
    STATUS_OPEN,
    STATUS_SETTLED,
    Input,
    normalize,
    open_calldata,
    output,
    resolved,
)

# ---------------------------------------------------------------- direct openers


def test_agent_zero_needs_nobody(open_order, settler, stranger):
    order = open_order(user=stranger, agent_id=0)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_owner_opens(open_order, settler, agent_id, agent_owner):
    order = open_order(user=agent_owner, agent_id=agent_id)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_operator_opens(open_order, settler, registry, agent_id, agent_owner):
    registry.setApprovalForAll(OPERATOR.address, True, sender=agent_owner)
    order = open_order(user=OPERATOR.address, agent_id=agent_id)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_revoked_operator_refused(open_order, make_order, registry, agent_id, agent_owner):
    registry.setApprovalForAll(OPERATOR.address, True, sender=agent_owner)
    registry.setApprovalForAll(OPERATOR.address, False, sender=agent_owner)
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=OPERATOR.address, agent_id=agent_id))


def test_approved_address_opens(open_order, settler, registry, agent_id, agent_owner):
    registry.approve(APPROVED.address, agent_id, sender=agent_owner)
    order = open_order(user=APPROVED.address, agent_id=agent_id)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_approved_for_another_agent_refused(open_order, make_order, registry, agent_id, agent2_id, agent_owner):
    registry.approve(APPROVED.address, agent2_id, sender=agent_owner)
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=APPROVED.address, agent_id=agent_id))


def test_agent_wallet_opens(open_order, settler, set_wallet, agent_id):
    set_wallet(WALLET)
    order = open_order(user=WALLET.address, agent_id=agent_id)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_unset_wallet_refused(open_order, make_order, registry, set_wallet, agent_id, agent_owner):
    set_wallet(WALLET)
    registry.unsetAgentWallet(agent_id, sender=agent_owner)
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=WALLET.address, agent_id=agent_id))


def test_stranger_refused(open_order, make_order, settler, agent_id, stranger):
    order = make_order(user=stranger, agent_id=agent_id)
    with boa.reverts("intents: not the agent's"):
        open_order(order)
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_owner_of_another_agent_refused(open_order, make_order, filler_agent, agent_owner):
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=agent_owner, agent_id=filler_agent))


def test_paused_agent_refused(open_order, make_order, registry, agent_id, agent_owner):
    registry.pause(agent_id, sender=agent_owner)
    with boa.reverts("intents: agent not active"):
        open_order(make_order(user=agent_owner, agent_id=agent_id))
    registry.resume(agent_id, sender=agent_owner)
    open_order(make_order(user=agent_owner, agent_id=agent_id))


def test_retired_agent_refused(open_order, make_order, registry, agent_id, agent_owner):
    registry.retire(agent_id, sender=agent_owner)
    with boa.reverts("intents: agent not active"):
        open_order(make_order(user=agent_owner, agent_id=agent_id))


@pytest.mark.parametrize("unknown", [999, 2**256 - 1])
def test_unknown_agent_refused(open_order, make_order, agent_owner, unknown):
    with boa.reverts("intents: agent not active"):
        open_order(make_order(user=agent_owner, agent_id=unknown))


def test_transferred_agent_follows_its_new_owner(open_order, make_order, registry, agent_id, agent_owner, stranger):
    registry.transferFrom(agent_owner, stranger, agent_id, sender=agent_owner)
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=agent_owner, agent_id=agent_id))
    open_order(make_order(user=stranger, agent_id=agent_id))


def test_gasless_order_of_the_agent_owner(open_for, make_order, sign_order, settler, agent_id, agent_owner, now):
    order = make_order(user=agent_owner, agent_id=agent_id, open_deadline=now() + 60)
    open_for(order, signature=sign_order(order, signer=AGENT_OWNER))
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_gasless_order_claiming_someone_elses_agent(open_for, make_order, agent_id, now):
    """The user signed it, but the user is not the agent's."""
    with boa.reverts("intents: not the agent's"):
        open_for(make_order(agent_id=agent_id, open_deadline=now() + 60))


def test_settled_event_names_the_opener_agent(
    open_order, fill_and_prove, settle_order, settler, events, agent_id, agent_owner, filler_agent
):
    order = open_order(user=agent_owner, agent_id=agent_id)
    fill_and_prove(order)
    settle_order(order)
    (ev,) = events(settler)
    assert (ev.name, ev.args["openerAgentId"], ev.args["fillerAgentId"]) == ("Settled", agent_id, filler_agent)


# ---------------------------------------------------------------- sessions


def _batch_calls(settler, token, order, amount=None):
    amount = sum(i.amount for i in order.data.inputs if i.token == str(token.address)) if amount is None else amount
    return [
        Call(str(token.address), 0, approve(settler.address, amount)),
        Call(str(settler.address), order.native_in, open_calldata(order)),
    ]


def test_session_opens_for_its_agent(
    make_grant, execute_batch, make_order, ledger, settler, token, account, manager, agent_id, events
):
    order = make_order(user=account.address, agent_id=agent_id)
    before = token.balanceOf(account.address)
    execute_batch(make_grant(), _batch_calls(settler, token, order))
    ledger.add(order)
    (ev,) = events(manager, settler)
    assert ev.name == "Open" and normalize(ev.args["resolvedOrder"]) == resolved(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert token.balanceOf(account.address) == before - 1_000
    assert token.allowance(account.address, settler.address) == 0
    assert manager.actingAgentOf(account.address) == 0  # only while the batch runs


def test_session_order_settles_with_its_agent(
    make_grant, execute_batch, make_order, ledger, settler, token, account, agent_id, fill_and_prove, settle_order
):
    order = make_order(user=account.address, agent_id=agent_id)
    execute_batch(make_grant(), _batch_calls(settler, token, order))
    ledger.add(order)
    fill_and_prove(order)
    before = token.balanceOf(FILLER.address)
    settle_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert token.balanceOf(FILLER.address) == before + 1_000


def test_session_of_another_agent_refused(
    make_grant, execute_batch, make_order, settler, token, account, agent_id, agent2_id
):
    order = make_order(user=account.address, agent_id=agent_id)
    with boa.reverts("intents: not the agent's"):
        execute_batch(make_grant(agent=agent2_id), _batch_calls(settler, token, order))
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_session_with_agent_zero(make_grant, execute_batch, make_order, ledger, settler, token, account):
    order = make_order(user=account.address, agent_id=0)
    execute_batch(make_grant(), _batch_calls(settler, token, order))
    ledger.add(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN


def test_account_outside_a_session_is_not_the_agent(make_order, settler, token, account, agent_id):
    """The account's owner executing directly: no session is running, so the
    account may not claim the agent."""
    order = make_order(user=account.address, agent_id=agent_id)
    account.execute(token.address, 0, approve(settler.address, 1_000), sender=ACCOUNT_OWNER.address)
    with boa.reverts("intents: not the agent's"):
        account.execute(settler.address, 0, open_calldata(order), sender=ACCOUNT_OWNER.address)


def test_session_over_token_cap_refused(make_grant, execute_batch, make_order, settler, token, account, agent_id):
    """The approve the open needs counts against the grant's cap."""
    order = make_order(user=account.address, agent_id=agent_id)
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(make_grant(cap=999), _batch_calls(settler, token, order))
    assert settler.orderStatus(order.id) == STATUS_NONE


def test_session_cannot_open_without_the_open_permission(
    make_grant, execute_batch, make_order, settler, token, account, agent_id
):
    order = make_order(user=account.address, agent_id=agent_id)
    grant = make_grant(permissions=[Permission(str(token.address), approve(settler.address, 0)[:4], 0)])
    with boa.reverts("sessions: call 1 not allowed"):
        execute_batch(grant, _batch_calls(settler, token, order))


def test_session_paused_agent_refused(
    make_grant, execute_batch, make_order, settler, token, account, agent_id, registry, agent_owner
):
    order = make_order(user=account.address, agent_id=agent_id)
    registry.pause(agent_id, sender=agent_owner)
    with boa.reverts("sessions: agent not active"):
        execute_batch(make_grant(), _batch_calls(settler, token, order))


def test_realistic_two_output_order_fits_a_batch_call(
    make_grant, execute_batch, make_order, ledger, settler, token, token2, account, agent_id, now, filler
):
    """One ERC-20 and one native input; an ERC-20 and a native output to two
    recipients; an agent, an oracle and an exclusive filler: the open
    calldata fits one batch call (at most 1,024 bytes), and runs."""
    order = make_order(
        user=account.address,
        agent_id=agent_id,
        exclusive_filler=filler,
        exclusivity_deadline=now() + 120,
        inputs=[Input(str(token.address), 5_000), Input(NATIVE, 10**15)],
        outputs=[
            output(token2.address, 4_990, RECIPIENT, DEST_CHAIN),
            output(NATIVE, 10**15, RECIPIENT2, DEST_CHAIN),
        ],
    )
    data = open_calldata(order)
    assert len(data) <= 1_024
    # selector, offset, (fillDeadline, orderDataType, offset), length, then
    # abi.encode(CharterOrder): offset, 10 head words, inputs, outputs.
    assert len(data) == 4 + 32 + 3 * 32 + 32 + (32 + 10 * 32 + (32 + 2 * 64) + (32 + 2 * 128)) == 964
    grant = make_grant(
        permissions=[
            Permission(str(token.address), approve(settler.address, 0)[:4], 0),
            Permission(str(settler.address), OPEN_SELECTOR, 10**15),
        ],
        token_budgets=[TokenBudget(str(token.address), 5_000, 0)],
        native_budget=10**15,
    )
    execute_batch(grant, _batch_calls(settler, token, order))
    ledger.add(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert boa.env.get_balance(str(settler.address)) == 10**15


def test_session_key_itself_is_not_the_agent(open_order, make_order, agent_id):
    """The session key opening directly (not through the account) is a
    stranger to the agent."""
    boa.env.set_balance(SESSION_KEY.address, 10**18)
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=SESSION_KEY.address, agent_id=agent_id, inputs=[Input(NATIVE, 1)]))


def test_stranger_key_is_not_a_session(open_order, make_order, agent_id):
    with boa.reverts("intents: not the agent's"):
        open_order(make_order(user=STRANGER.address, agent_id=agent_id))
