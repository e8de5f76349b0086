"""Intents under a session: an order opened or filled by an account executing
a session is charged against that session like any other outflow, on both
sides (issue 17, part 1; invariant S2).

The attacks seen: account A's owner had approved the settler for MAX of
token T (for the owner's own orders, outside any session), so a session
allowed to call `open` (origin) or `fill` (destination) moved T out of A
through that standing allowance while no call on T was ever made in the
session. The SessionManager measures A's balance of every budgeted (or
guarded) token before and after each execution, so the escrow an `open`
pulls and the outputs a `fill` pays are charged whatever allowance they
used. Each path: far over the cap is refused and moves nothing; within the
cap goes through and is charged (a running total per grant).
"""

from __future__ import annotations

import boa
import pytest
from eth_abi import encode

from ..sessions.helpers import (
    Call,
    Permission,
    TokenBudget,
    approve,
    grant_typed_data,
    message_typed_data,
    pack_grant_signature,
)
from ..sessions.helpers import typed_digest as sessions_typed_digest
from .conftest import ACCOUNT_OWNER, AGENT_OWNER, DEST_CHAIN, OPEN_SELECTOR
from .helpers import (
    STATUS_NONE,
    STATUS_OPEN,
    ZERO32,
    Input,
    fixed_address,
    open_calldata,
    output,
    sel,
    sign_digest,
)

MAX = 2**256 - 1
MASK_128 = 2**128 - 1
ACCOMPLICE = fixed_address("session-caps-accomplice")  # the agent's accomplice
FILL_SELECTOR = sel("fill(bytes32,bytes,bytes)")
FILL_ABI_TYPES = ["bytes32", "bytes", "bytes"]


# ---------------------------------------------------------------- helpers and fixtures


def _owner_approves(account, token, spender, amount=MAX) -> None:
    """The account's owner approves `spender` outside any session (a
    standing allowance, made for the owner's own orders)."""
    account.execute(token.address, 0, approve(spender, amount), sender=ACCOUNT_OWNER.address)


def _fill_calldata(order, filler_data: bytes = b"") -> bytes:
    return FILL_SELECTOR + encode(FILL_ABI_TYPES, [order.id, order.encode(), filler_data])


def _open_call(settler, order) -> Call:
    return Call(str(settler.address), 0, open_calldata(order))


def _grant_hash(manager, grant) -> bytes:
    chain = boa.env.evm.patch.chain_id
    return sessions_typed_digest(grant_typed_data(grant, chain, manager.address))


def _spent(manager, grant, token) -> int:
    """What the grant has been charged of `token` (this period)."""
    return manager.spentOf(_grant_hash(manager, grant), token.address) & MASK_128


def _signature(manager, grant) -> bytes:
    """The first-use pair: the account owner's signature of the grant (through
    the account's CharterMessage wrapper) and the agent owner's consent."""
    chain = boa.env.evm.patch.chain_id
    digest = sessions_typed_digest(grant_typed_data(grant, chain, manager.address))
    wrapped = sessions_typed_digest(message_typed_data(digest, chain, grant.account))
    return pack_grant_signature(sign_digest(ACCOUNT_OWNER, wrapped), sign_digest(AGENT_OWNER, digest))


@pytest.fixture
def execute(world):
    """`SessionManager.execute` (one call) sent by the session key, signed
    for the chain id in force (the destination's inside `destination()`)."""

    def _execute(grant, target, data: bytes, value: int = 0):
        world.manager.execute(
            grant.abi(), _signature(world.manager, grant), str(target), value, data, sender=grant.session_key
        )

    return _execute


@pytest.fixture
def open_grant(make_grant, settler, token):
    """A grant allowing only `settler.open` (no approve: the owner's standing
    allowance is what the settler pulls with), capped at `cap` of `token`."""

    def _grant(cap: int = 1_000, budgets=None):
        return make_grant(
            permissions=(Permission(str(settler.address), OPEN_SELECTOR, 0),),
            token_budgets=tuple(budgets) if budgets is not None else (TokenBudget(str(token.address), cap, 0),),
        )

    return _grant


@pytest.fixture
def fill_grant(make_grant, dest, token):
    """A grant allowing only `dest.fill`, capped at `cap` of `token`."""

    def _grant(cap: int = 100, budgets=None):
        return make_grant(
            permissions=(Permission(str(dest.address), FILL_SELECTOR, 0),),
            token_budgets=tuple(budgets) if budgets is not None else (TokenBudget(str(token.address), cap, 0),),
        )

    return _grant


def _session_order(make_order, account, agent_id, amount, token):
    """An order of the account (its session's agent) escrowing `amount` of `token`."""
    return make_order(user=account.address, agent_id=agent_id, inputs=[Input(str(token.address), amount)])


def _bait(make_order, token, amount):
    """A bait order on the destination (a fresh nonce each time): its
    output pays `amount` of `token` to the accomplice; whoever fills it pays."""
    return make_order(outputs=[output(token.address, amount, ACCOMPLICE, DEST_CHAIN)])


# ---------------------------------------------------------------- origin: open through a standing allowance


def test_open_over_the_cap_through_a_standing_allowance_refused(
    open_grant, execute_batch, make_order, manager, settler, token, account, agent_id
):
    """The attack: the owner approved the settler for MAX; a session allowed
    `open` with a 1,000 T cap opens an order escrowing 50,000 T. No call on
    T is made in the session, yet the escrow leaves the account: refused."""
    _owner_approves(account, token, settler.address)
    grant = open_grant(cap=1_000)
    order = _session_order(make_order, account, agent_id, 50_000, token)
    before = token.balanceOf(account.address), token.balanceOf(settler.address)
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(grant, [_open_call(settler, order)])
    assert settler.orderStatus(order.id) == STATUS_NONE
    assert (token.balanceOf(account.address), token.balanceOf(settler.address)) == before
    assert token.allowance(account.address, settler.address) == MAX
    # Just over the cap is refused as well.
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(grant, [_open_call(settler, order.but(inputs=(Input(str(token.address), 1_001),)))])


def test_open_within_the_cap_is_charged(
    open_grant, execute_batch, execute, make_order, ledger, manager, settler, token, account, agent_id
):
    """Within the cap the order opens and its escrow is charged; the charges
    are a running total: 600 then 400 fit a 1,000 cap, one more unit does not."""
    _owner_approves(account, token, settler.address)
    grant = open_grant(cap=1_000)
    first = _session_order(make_order, account, agent_id, 600, token)
    before = token.balanceOf(account.address)
    execute_batch(grant, [_open_call(settler, first)])
    ledger.add(first)
    assert settler.orderStatus(first.id) == STATUS_OPEN
    assert _spent(manager, grant, token) == 600
    over = _session_order(make_order, account, agent_id, 401, token)
    with boa.reverts("sessions: over token budget 0"):
        execute(grant, settler.address, open_calldata(over))
    assert settler.orderStatus(over.id) == STATUS_NONE
    rest = _session_order(make_order, account, agent_id, 400, token)
    execute(grant, settler.address, open_calldata(rest))
    ledger.add(rest)
    assert _spent(manager, grant, token) == 1_000
    assert token.balanceOf(account.address) == before - 1_000
    with boa.reverts("sessions: over token budget 0"):
        execute(grant, settler.address, open_calldata(_session_order(make_order, account, agent_id, 1, token)))


def test_approve_and_open_in_one_batch_is_charged_once(
    make_grant, execute_batch, make_order, ledger, manager, settler, token, account, agent_id
):
    """No standing allowance: the session approves the settler and opens.
    The approval used up by the escrow is paid for once, through the
    balance it moved; what it still allows afterwards is charged too."""
    grant = make_grant(cap=2_000)  # token.approve and settler.open, cap 2,000 T
    order = _session_order(make_order, account, agent_id, 1_000, token)
    execute_batch(grant, [
        Call(str(token.address), 0, approve(settler.address, 1_000)),
        Call(str(settler.address), 0, open_calldata(order)),
    ])  # fmt: skip
    ledger.add(order)
    assert _spent(manager, grant, token) == 1_000
    # Approve 1,000, escrow 600: 600 moved + 400 still allowed = 1,000 more.
    second = _session_order(make_order, account, agent_id, 600, token)
    execute_batch(grant, [
        Call(str(token.address), 0, approve(settler.address, 1_000)),
        Call(str(settler.address), 0, open_calldata(second)),
    ])  # fmt: skip
    ledger.add(second)
    assert token.allowance(account.address, settler.address) == 400
    assert _spent(manager, grant, token) == 2_000
    # The 400 left standing was charged already: the cap is used up, even
    # for an order that would only use that allowance.
    third = _session_order(make_order, account, agent_id, 400, token)
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(grant, [_open_call(settler, third)])


def test_guarded_token_escrow_refused(
    open_grant, execute_batch, make_order, ledger, manager, settler, token, token2, account, agent_id
):
    """A guarded token (a budget of cap 0) may not leave the account: an
    order escrowing it through a standing allowance is refused, even one
    unit, while the budgeted token still opens within its cap."""
    token2.mint(account.address, 10**6)
    for t in (token, token2):
        _owner_approves(account, t, settler.address)
    grant = open_grant(budgets=[TokenBudget(str(token.address), 1_000, 0), TokenBudget(str(token2.address), 0, 0)])
    for amount in (1, 50_000):
        order = _session_order(make_order, account, agent_id, amount, token2)
        with boa.reverts("sessions: over token budget 1"):
            execute_batch(grant, [_open_call(settler, order)])
        assert settler.orderStatus(order.id) == STATUS_NONE
    assert token2.balanceOf(account.address) == 10**6
    # Two inputs, the guarded one among them: refused as a whole.
    mixed = make_order(
        user=account.address,
        agent_id=agent_id,
        inputs=[Input(str(token.address), 10), Input(str(token2.address), 1)],
    )
    with boa.reverts("sessions: over token budget 1"):
        execute_batch(grant, [_open_call(settler, mixed)])
    order = _session_order(make_order, account, agent_id, 1_000, token)
    execute_batch(grant, [_open_call(settler, order)])
    ledger.add(order)
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert _spent(manager, grant, token) == 1_000


def test_guard_alone_refuses_the_escrow(open_grant, execute_batch, make_order, settler, token, account, agent_id):
    _owner_approves(account, token, settler.address)
    grant = open_grant(budgets=[TokenBudget(str(token.address), 0, 0)])
    order = _session_order(make_order, account, agent_id, 1, token)
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(grant, [_open_call(settler, order)])
    assert settler.orderStatus(order.id) == STATUS_NONE


# ---------------------------------------------------------------- destination: fill through a standing allowance


def test_fill_over_the_cap_through_a_standing_allowance_refused(
    fill_grant, execute, execute_batch, make_order, destination, dest, token, account
):
    """The attack on the destination: the owner approved the destination
    settler; a session allowed `fill` with a 100 T cap fills a bait order
    that pays 50,000 T out of the account to the accomplice: refused."""
    _owner_approves(account, token, dest.address)
    bait = _bait(make_order, token, 50_000)
    before = token.balanceOf(account.address)
    with destination():
        grant = fill_grant(cap=100)
        with boa.reverts("sessions: over token budget 0"):
            execute(grant, dest.address, _fill_calldata(bait))
        with boa.reverts("sessions: over token budget 0"):
            execute_batch(grant, [Call(str(dest.address), 0, _fill_calldata(bait))])
        just_over = _bait(make_order, token, 101)
        with boa.reverts("sessions: over token budget 0"):
            execute(grant, dest.address, _fill_calldata(just_over))
        assert dest.fillRecords(bait.id) == ZERO32
        assert dest.fillRecords(just_over.id) == ZERO32
    assert token.balanceOf(account.address) == before
    assert token.balanceOf(ACCOMPLICE) == 0


def test_fill_within_the_cap_is_charged(fill_grant, execute, make_order, destination, manager, dest, token, account):
    """Within the cap the fill goes through and its outputs are charged: 60
    then 40 fit a 100 cap, one more unit does not."""
    _owner_approves(account, token, dest.address)
    before = token.balanceOf(account.address)
    with destination():
        grant = fill_grant(cap=100)
        first = _bait(make_order, token, 60)
        execute(grant, dest.address, _fill_calldata(first))
        assert dest.fillRecords(first.id) != ZERO32
        assert _spent(manager, grant, token) == 60
        over = _bait(make_order, token, 41)
        with boa.reverts("sessions: over token budget 0"):
            execute(grant, dest.address, _fill_calldata(over))
        rest = _bait(make_order, token, 40)
        execute(grant, dest.address, _fill_calldata(rest))
        assert _spent(manager, grant, token) == 100
        with boa.reverts("sessions: over token budget 0"):
            execute(grant, dest.address, _fill_calldata(_bait(make_order, token, 1)))
    assert token.balanceOf(account.address) == before - 100
    assert token.balanceOf(ACCOMPLICE) == 100


def test_fill_paying_a_guarded_token_refused(
    fill_grant, execute, make_order, destination, dest, token, token2, account
):
    token2.mint(account.address, 10**6)
    _owner_approves(account, token2, dest.address)
    with destination():
        grant = fill_grant(budgets=[TokenBudget(str(token.address), 100, 0), TokenBudget(str(token2.address), 0, 0)])
        bait = _bait(make_order, token2, 1)
        with boa.reverts("sessions: over token budget 1"):
            execute(grant, dest.address, _fill_calldata(bait))
        assert dest.fillRecords(bait.id) == ZERO32
    assert token2.balanceOf(account.address) == 10**6


def test_open_and_fill_under_one_grant(
    make_grant,
    execute_batch,
    execute,
    make_order,
    ledger,
    destination,
    manager,
    settler,
    dest,
    token,
    account,
    agent_id,
):
    """One grant allowing both `open` and `fill`, used on the origin and on
    the destination (one manager and account in this EVM; the grant is
    signed per chain, so each chain keeps its own running total): each side
    is capped, whatever the other side did."""
    for spender in (settler.address, dest.address):
        _owner_approves(account, token, spender)
    grant = make_grant(
        permissions=(
            Permission(str(settler.address), OPEN_SELECTOR, 0),
            Permission(str(dest.address), FILL_SELECTOR, 0),
        ),
        token_budgets=(TokenBudget(str(token.address), 500, 0),),
    )
    order = _session_order(make_order, account, agent_id, 500, token)
    execute_batch(grant, [_open_call(settler, order)])
    ledger.add(order)
    assert _spent(manager, grant, token) == 500
    with boa.reverts("sessions: over token budget 0"):
        execute_batch(grant, [_open_call(settler, _session_order(make_order, account, agent_id, 1, token))])
    with destination():
        bait = _bait(make_order, token, 501)
        with boa.reverts("sessions: over token budget 0"):
            execute(grant, dest.address, _fill_calldata(bait))
        fair = _bait(make_order, token, 500)
        execute(grant, dest.address, _fill_calldata(fair))
        assert _spent(manager, grant, token) == 500
