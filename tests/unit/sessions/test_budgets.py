"""Token budgets: what leaves the account during a session execution (its
balance of the token before less after), approvals made in the session
(what they still let the spender take afterwards) and pulls of someone
else's tokens all spend from the cap; running totals over a batch; refill
periods counted from validAfter (boundary seconds); `tokenAllowance`.
Standing allowances, Permit2 and guarded tokens: test_outflow.py."""

import boa
import pytest

from .conftest import FRIEND, RECIPIENT, TOKEN_BALANCE
from .helpers import (
    APPROVE,
    INCREASE_ALLOWANCE,
    OP_LE,
    POKE,
    TRANSFER,
    TRANSFER_FROM,
    Call,
    Condition,
    Permission,
    TokenBudget,
    approve,
    increase_allowance,
    poke,
    transfer,
    transfer_from,
)

ALL = [TRANSFER, TRANSFER_FROM, APPROVE, INCREASE_ALLOWANCE]


def _token_grant(
    make_grant, token, cap, period=0, selectors=ALL, extra_budgets=(), **kw
):
    return make_grant(
        permissions=[Permission(str(token.address), s, 0) for s in selectors],
        token_budgets=[TokenBudget(str(token.address), cap, period), *extra_budgets],
        **kw,
    )


def _spend(kind, account, amount):
    return {
        "transfer": lambda: transfer(RECIPIENT, amount),
        "transferFrom": lambda: transfer_from(FRIEND, RECIPIENT, amount),
        "approve": lambda: approve(RECIPIENT, amount),
        "increaseAllowance": lambda: increase_allowance(RECIPIENT, amount),
    }[kind]()


KINDS = ["transfer", "transferFrom", "approve", "increaseAllowance"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_selector_spends_from_the_cap(
    manager, make_grant, execute, grant_hash, refused, token, account, kind, view):
    grant = _token_grant(make_grant, token, 100)
    gh = grant_hash(grant)
    execute(grant, token.address, 0, _spend(kind, account, 60))
    assert view.tokenAllowance(grant.abi(), token.address) == 40
    with refused("sessions: over token budget 0", gh):
        execute(grant, token.address, 0, _spend(kind, account, 41), sig=b"")
    execute(grant, token.address, 0, _spend(kind, account, 40), sig=b"")
    assert view.tokenAllowance(grant.abi(), token.address) == 0
    with refused("sessions: over token budget 0", gh):
        execute(grant, token.address, 0, _spend(kind, account, 1), sig=b"")


def test_effects_of_each_selector(make_grant, execute, token, account):
    grant = _token_grant(make_grant, token, 1_000)
    a = str(account.address)
    execute(grant, token.address, 0, transfer(RECIPIENT, 10))
    execute(grant, token.address, 0, transfer_from(FRIEND, RECIPIENT, 20), sig=b"")
    execute(grant, token.address, 0, approve(RECIPIENT, 30), sig=b"")
    execute(grant, token.address, 0, increase_allowance(RECIPIENT, 40), sig=b"")
    assert token.balanceOf(RECIPIENT) == 30
    assert token.balanceOf(a) == TOKEN_BALANCE - 10
    assert token.balanceOf(FRIEND) == TOKEN_BALANCE - 20
    assert token.allowance(a, RECIPIENT) == 70


@pytest.mark.parametrize("kind", KINDS)
def test_single_call_over_cap(
    make_grant, execute, grant_hash, refused, token, account, kind
):
    grant = _token_grant(make_grant, token, 100)
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, _spend(kind, account, 101))
    # An unlimited approval is over any cap; an unlimited transfer is refused
    # by the token itself (the account does not hold that much).
    moves = kind in ("transfer", "transferFrom")
    with refused(None if moves else "sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, _spend(kind, account, 2**256 - 1))


def test_zero_cap_allows_zero_amounts_only(
    make_grant, execute, grant_hash, refused, token, account
):
    grant = _token_grant(make_grant, token, 0)
    execute(
        grant, token.address, 0, approve(RECIPIENT, 0)
    )  # revoking an approval is free
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 1), sig=b"")


def test_budget_index_in_reason(
    make_grant, execute, grant_hash, refused, token, token2
):
    grant = make_grant(
        permissions=[
            Permission(str(token.address), TRANSFER, 0),
            Permission(str(token2.address), TRANSFER, 0),
        ],
        token_budgets=[
            TokenBudget(str(token.address), 10, 0),
            TokenBudget(str(token2.address), 5, 0),
        ],
    )
    with refused("sessions: over token budget 1", grant_hash(grant)):
        execute(grant, token2.address, 0, transfer(RECIPIENT, 6))
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 11))


def test_budgets_are_per_token(manager, make_grant, execute, token, token2, view):
    grant = make_grant(
        permissions=[
            Permission(str(token.address), TRANSFER, 0),
            Permission(str(token2.address), TRANSFER, 0),
        ],
        token_budgets=[
            TokenBudget(str(token.address), 10, 0),
            TokenBudget(str(token2.address), 5, 0),
        ],
    )
    execute(grant, token.address, 0, transfer(RECIPIENT, 10))
    execute(grant, token2.address, 0, transfer(RECIPIENT, 5), sig=b"")
    assert view.tokenAllowance(grant.abi(), token.address) == 0
    assert view.tokenAllowance(grant.abi(), token2.address) == 0


def test_token_call_too_short(make_grant, execute, grant_hash, refused, token, account):
    """A token call too short for its arguments is refused (by the token),
    and nothing is charged or moved."""
    grant = _token_grant(make_grant, token, 100)
    short = [
        TRANSFER + (0).to_bytes(32, "big"),  # no amount
        TRANSFER + (0).to_bytes(32, "big") + b"\x00" * 31,  # 31 bytes of amount
        TRANSFER_FROM
        + (0).to_bytes(32, "big") * 2,  # transferFrom: amount is the third word
        APPROVE,
    ]
    for data in short:
        with refused(None, grant_hash(grant)):
            execute(grant, token.address, 0, data)
    assert token.balanceOf(account.address) == TOKEN_BALANCE


def test_transfer_from_amount_is_the_third_word(manager, make_grant, execute, token, view):
    grant = _token_grant(make_grant, token, 50)
    # from=FRIEND (a large word as an address), to, amount 50: only 50 counts.
    execute(grant, token.address, 0, transfer_from(FRIEND, RECIPIENT, 50))
    assert view.tokenAllowance(grant.abi(), token.address) == 0


def test_unbudgeted_token_is_not_capped(make_grant, execute, token, token2):
    """Documented: a permission on a token without a budget allows any
    amount (add a budget or a <= condition)."""
    grant = make_grant(
        permissions=[Permission(str(token2.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(token.address), 1, 0)],
    )
    execute(grant, token2.address, 0, transfer(RECIPIENT, TOKEN_BALANCE))
    assert token2.balanceOf(RECIPIENT) == TOKEN_BALANCE


def test_le_condition_caps_without_budget(
    make_grant, execute, grant_hash, refused, token
):
    grant = make_grant(
        permissions=[Permission(str(token.address), TRANSFER, 0)],
        conditions=[Condition(0, 1, OP_LE, 10)],
    )
    execute(grant, token.address, 0, transfer(RECIPIENT, 10))
    with refused("sessions: call 0 argument 1", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 11), sig=b"")


def test_what_moves_nothing_out_is_not_charged(
    manager, make_grant, execute, target, token, account, view):
    """Outcomes, not calldata: a transfer from the account to itself and a
    call to another target move none of the budgeted token out."""
    grant = make_grant(
        permissions=[Permission(str(target.address), POKE, 0), Permission(str(token.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(token.address), 5, 0)],
    )
    execute(grant, target.address, 0, poke(10**6, RECIPIENT, 10**6))
    execute(grant, token.address, 0, transfer(account.address, 1_000), sig=b"")
    assert view.tokenAllowance(grant.abi(), token.address) == 5
    assert token.balanceOf(account.address) == TOKEN_BALANCE


# ---------------------------------------------------------------- batches: running totals


def test_batch_token_running_total(
    manager, make_grant, execute_batch, grant_hash, refused, token, view):
    grant = _token_grant(make_grant, token, 100)
    t = str(token.address)
    gh = grant_hash(grant)
    with refused("sessions: over token budget 0", gh):
        execute_batch(
            grant,
            [Call(t, 0, transfer(RECIPIENT, 60)), Call(t, 0, transfer(RECIPIENT, 41))],
        )
    with refused("sessions: over token budget 0", gh):
        execute_batch(
            grant,
            [
                Call(t, 0, approve(RECIPIENT, 50)),
                Call(t, 0, increase_allowance(RECIPIENT, 30)),
                Call(t, 0, transfer(RECIPIENT, 21)),
            ],
        )
    execute_batch(
        grant, [Call(t, 0, transfer(RECIPIENT, 60)), Call(t, 0, approve(RECIPIENT, 40))]
    )
    assert view.tokenAllowance(grant.abi(), token.address) == 0
    assert token.balanceOf(RECIPIENT) == 60


def test_batch_running_total_includes_earlier_spend(
    make_grant, execute, execute_batch, grant_hash, refused, token
):
    grant = _token_grant(make_grant, token, 100)
    t = str(token.address)
    execute(grant, token.address, 0, transfer(RECIPIENT, 50))
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_batch(grant, [Call(t, 0, transfer(RECIPIENT, 25))] * 3, sig=b"")
    execute_batch(grant, [Call(t, 0, transfer(RECIPIENT, 25))] * 2, sig=b"")
    assert token.balanceOf(RECIPIENT) == 100


def test_batch_two_tokens(
    manager, make_grant, execute_batch, grant_hash, refused, token, token2, view):
    grant = make_grant(
        permissions=[
            Permission(str(token.address), TRANSFER, 0),
            Permission(str(token2.address), TRANSFER, 0),
        ],
        token_budgets=[
            TokenBudget(str(token.address), 10, 0),
            TokenBudget(str(token2.address), 10, 0),
        ],
    )
    a, b = str(token.address), str(token2.address)
    with refused("sessions: over token budget 1", grant_hash(grant)):
        execute_batch(
            grant,
            [
                Call(a, 0, transfer(RECIPIENT, 10)),
                Call(b, 0, transfer(RECIPIENT, 6)),
                Call(b, 0, transfer(RECIPIENT, 5)),
            ],
        )
    execute_batch(
        grant,
        [
            Call(a, 0, transfer(RECIPIENT, 10)),
            Call(b, 0, transfer(RECIPIENT, 6)),
            Call(b, 0, transfer(RECIPIENT, 4)),
        ],
    )
    assert (
        view.tokenAllowance(grant.abi(), a),
        view.tokenAllowance(grant.abi(), b),
    ) == (0, 0)


def test_batch_native_running_total(
    manager, make_grant, execute, execute_batch, grant_hash, refused, target, view):
    grant = make_grant(
        native_budget=100, permissions=[Permission(str(target.address), POKE, 40)]
    )
    t = str(target.address)
    with refused("sessions: over native budget", grant_hash(grant)):
        execute_batch(grant, [Call(t, 40, poke())] * 3)
    execute(grant, target.address, 30, poke())
    with refused("sessions: over native budget", grant_hash(grant)):
        execute_batch(grant, [Call(t, 40, poke()), Call(t, 31, poke())], sig=b"")
    execute_batch(grant, [Call(t, 40, poke()), Call(t, 30, poke())], sig=b"")
    assert view.grantState(grant.abi()).nativeLeft == 0


# ---------------------------------------------------------------- refill periods


def test_refill_boundaries(
    manager, make_grant, execute, grant_hash, refused, token, now, view):
    start = now()
    grant = _token_grant(
        make_grant, token, 100, period=100, valid_after=start, valid_until=start + 1_000
    )
    gh = grant_hash(grant)
    execute(grant, token.address, 0, transfer(RECIPIENT, 100))
    boa.env.timestamp = start + 99  # last second of period 0
    assert view.tokenAllowance(grant.abi(), token.address) == 0
    with refused("sessions: over token budget 0", gh):
        execute(grant, token.address, 0, transfer(RECIPIENT, 1), sig=b"")
    boa.env.timestamp = start + 100  # first second of period 1
    assert view.tokenAllowance(grant.abi(), token.address) == 100
    execute(grant, token.address, 0, transfer(RECIPIENT, 70), sig=b"")
    assert view.tokenAllowance(grant.abi(), token.address) == 30
    boa.env.timestamp = start + 199
    with refused("sessions: over token budget 0", gh):
        execute(grant, token.address, 0, transfer(RECIPIENT, 31), sig=b"")
    execute(grant, token.address, 0, transfer(RECIPIENT, 30), sig=b"")
    boa.env.timestamp = start + 550  # period 5: unused periods do not accumulate
    assert view.tokenAllowance(grant.abi(), token.address) == 100
    with refused("sessions: over token budget 0", gh):
        execute(grant, token.address, 0, transfer(RECIPIENT, 101), sig=b"")
    execute(grant, token.address, 0, transfer(RECIPIENT, 100), sig=b"")
    assert token.balanceOf(RECIPIENT) == 300


def test_periods_count_from_valid_after_not_first_use(
    manager, make_grant, execute, grant_hash, refused, token, now
):
    start = now() - 50  # the grant started 50 s ago: period 0 ends in 50 s
    grant = _token_grant(
        make_grant, token, 10, period=100, valid_after=start, valid_until=start + 1_000
    )
    execute(grant, token.address, 0, transfer(RECIPIENT, 10))
    boa.env.timestamp = start + 99
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 1), sig=b"")
    boa.env.timestamp = start + 100
    execute(grant, token.address, 0, transfer(RECIPIENT, 10), sig=b"")


def test_period_of_one_second(
    manager, make_grant, execute, grant_hash, refused, token, now
):
    grant = _token_grant(make_grant, token, 5, period=1)
    execute(grant, token.address, 0, transfer(RECIPIENT, 5))
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 1), sig=b"")
    boa.env.time_travel(seconds=1)
    execute(grant, token.address, 0, transfer(RECIPIENT, 5), sig=b"")


def test_lifetime_budget_never_refills(
    manager, make_grant, execute, grant_hash, refused, token, now, view):
    grant = _token_grant(
        make_grant, token, 10, period=0, valid_until=now() + 7 * 86_400
    )
    execute(grant, token.address, 0, transfer(RECIPIENT, 10))
    boa.env.time_travel(seconds=7 * 86_400)
    assert view.tokenAllowance(grant.abi(), token.address) == 0
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, transfer(RECIPIENT, 1), sig=b"")


def test_batch_in_new_period_starts_from_zero(
    make_grant, execute, execute_batch, token, now
):
    start = now()
    grant = _token_grant(make_grant, token, 100, period=60, valid_after=start)
    t = str(token.address)
    execute(grant, token.address, 0, transfer(RECIPIENT, 90))
    boa.env.timestamp = start + 60
    execute_batch(grant, [Call(t, 0, transfer(RECIPIENT, 50))] * 2, sig=b"")
    assert token.balanceOf(RECIPIENT) == 190


# ---------------------------------------------------------------- tokenAllowance


def test_token_allowance_view(manager, make_grant, execute, token, token2, target, now, view):
    start = now() + 10
    grant = _token_grant(
        make_grant, token, 100, period=50, valid_after=start, valid_until=start + 500
    )
    assert (
        view.tokenAllowance(grant.abi(), token.address) == 100
    )  # before validAfter: the cap
    assert view.tokenAllowance(grant.abi(), token2.address) == 0  # no budget
    assert view.tokenAllowance(grant.abi(), target.address) == 0
    boa.env.timestamp = start
    assert view.tokenAllowance(grant.abi(), token.address) == 100  # unused
    execute(grant, token.address, 0, transfer(RECIPIENT, 35))
    assert view.tokenAllowance(grant.abi(), token.address) == 65
    boa.env.timestamp = start + 49
    assert view.tokenAllowance(grant.abi(), token.address) == 65
    boa.env.timestamp = start + 50
    assert view.tokenAllowance(grant.abi(), token.address) == 100


def test_token_allowance_of_unused_grant_with_spent_word_elsewhere(
    manager, make_grant, execute, token, view):
    """Spending is per grant: another grant's spend does not show."""
    a = _token_grant(make_grant, token, 100)
    b = _token_grant(make_grant, token, 100, salt=b"\x01" * 32)
    execute(a, token.address, 0, transfer(RECIPIENT, 100))
    assert view.tokenAllowance(a.abi(), token.address) == 0
    assert view.tokenAllowance(b.abi(), token.address) == 100
