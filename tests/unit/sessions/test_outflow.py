"""Caps bound what leaves the account by any path (invariant S2).

A standing allowance (granted by the owner before or outside the session)
lets an allowed target pull tokens that no call on the token shows; so do
Permit2 allowances. The manager measures the account's balance of every
budgeted (or guarded) token before and after each execution, and charges
approvals made in the session with what they still let the spender take.
Each path: the pull within the cap works, the pull over it is refused and
changes nothing, alone, in a batch and relayed.
"""

import boa
import pytest

from .conftest import FRIEND, OWNER, TOKEN_BALANCE
from .helpers import (
    APPROVE,
    MOCKS,
    TRANSFER,
    TRANSFER_FROM,
    Call,
    Permission,
    TokenBudget,
    approve,
    calldata,
    fixed_address,
    sel,
    transfer,
    transfer_from,
)

ACCOMPLICE = fixed_address("accomplice")  # where a hostile target sends what it pulls
MAX = 2**256 - 1
MAX_160 = 2**160 - 1
PULL = sel("pull(address,address,address,uint256)")
PULL_PERMIT2 = sel("pull_permit2(address,address,address,address,uint160)")
PERMIT2_APPROVE = sel("approve(address,address,uint160,uint48)")


@pytest.fixture
def puller():
    """An allowed target that pulls through allowances (a router, a settler)."""
    return boa.load_partial(str(MOCKS / "Puller.vy")).deploy()


@pytest.fixture
def permit2():
    return boa.load_partial(str(MOCKS / "Permit2.vy")).deploy()


def _owner_call(account, target, data):
    """The owner makes the account call `target` (outside any session)."""
    with boa.env.prank(OWNER.address):
        account.execute(str(target), 0, data)


def _pull(puller, token, account, amount, to=ACCOMPLICE):
    return calldata("pull(address,address,address,uint256)", token.address, account.address, to, amount)


def _pull_permit2(permit2, token, account, amount, to=ACCOMPLICE):
    return calldata(
        "pull_permit2(address,address,address,address,uint160)",
        permit2.address, token.address, account.address, to, amount,
    )


def _permit2_approve(token, spender, amount, expiration=2**48 - 1):
    return calldata("approve(address,address,uint160,uint48)", token.address, spender, amount, expiration)


def _left(view, grant, token):
    return view.tokenAllowance(grant.abi(), token.address)


# ---------------------------------------------------------------- standing ERC-20 allowances


@pytest.fixture
def standing(account, token, puller):
    """The owner approved the puller for everything, before any session."""
    _owner_call(account, token.address, approve(puller.address, MAX))


def test_pull_through_standing_allowance_is_charged(
    standing, make_grant, execute, grant_hash, refused, view, account, token, puller
):
    grant = make_grant(
        permissions=[Permission(str(puller.address), PULL, 0)],
        token_budgets=[TokenBudget(str(token.address), 1_000, 0)],
    )
    gh = grant_hash(grant)
    with refused("sessions: over token budget 0", gh):
        execute(grant, puller.address, 0, _pull(puller, token, account, 5_000))
    execute(grant, puller.address, 0, _pull(puller, token, account, 600))
    assert _left(view, grant, token) == 400
    with refused("sessions: over token budget 0", gh):
        execute(grant, puller.address, 0, _pull(puller, token, account, 401), sig=b"")
    execute(grant, puller.address, 0, _pull(puller, token, account, 400), sig=b"")
    assert token.balanceOf(ACCOMPLICE) == 1_000
    assert token.balanceOf(account.address) == TOKEN_BALANCE - 1_000


def test_pull_in_a_batch_is_a_running_total(
    standing, make_grant, execute_batch, grant_hash, refused, view, account, token, puller
):
    grant = make_grant(
        permissions=[Permission(str(puller.address), PULL, 0)],
        token_budgets=[TokenBudget(str(token.address), 1_000, 0)],
    )
    pull = lambda n: Call(str(puller.address), 0, _pull(puller, token, account, n))  # noqa: E731
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_batch(grant, [pull(600), pull(401)])
    execute_batch(grant, [pull(600), pull(400)])
    assert _left(view, grant, token) == 0


def test_relayed_pull_is_charged(
    standing, make_grant, execute_relayed, request_sig, grant_hash, refused, view, account, token, puller
):
    grant = make_grant(
        permissions=[Permission(str(puller.address), PULL, 0)],
        token_budgets=[TokenBudget(str(token.address), 100, 0)],
    )
    over = [Call(str(puller.address), 0, _pull(puller, token, account, 101))]
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_relayed(grant, over, request_sig(grant, over))
    within = [Call(str(puller.address), 0, _pull(puller, token, account, 100))]
    execute_relayed(grant, within, request_sig(grant, within))
    assert _left(view, grant, token) == 0


def test_pull_of_an_unbudgeted_token_is_not_capped(
    make_grant, execute, account, token, token2, puller
):
    """Documented: only budgeted and guarded tokens are measured; the SDK
    refuses to sign such a grant while the standing allowance exists."""
    _owner_call(account, token2.address, approve(puller.address, MAX))
    grant = make_grant(
        permissions=[Permission(str(puller.address), PULL, 0)],
        token_budgets=[TokenBudget(str(token.address), 1, 0)],
    )
    execute(grant, puller.address, 0, _pull(puller, token2, account, 5_000))
    assert token2.balanceOf(ACCOMPLICE) == 5_000


# ---------------------------------------------------------------- approvals made in the session


def _approve_and_pull_grant(make_grant, token, puller, cap):
    return make_grant(
        permissions=[Permission(str(token.address), APPROVE, 0), Permission(str(puller.address), PULL, 0)],
        token_budgets=[TokenBudget(str(token.address), cap, 0)],
    )


def test_approve_then_pull_in_one_batch_is_charged_once(
    make_grant, execute_batch, view, account, token, puller
):
    """approve(router, X) then the router pulls X: charged X (the balance it
    moved), not 2X: the approval is used up by the end of the execution."""
    grant = _approve_and_pull_grant(make_grant, token, puller, 600)
    execute_batch(grant, [
        Call(str(token.address), 0, approve(puller.address, 500)),
        Call(str(puller.address), 0, _pull(puller, token, account, 500)),
    ])
    assert _left(view, grant, token) == 100
    assert token.allowance(account.address, puller.address) == 0


def test_approval_left_standing_is_charged(
    make_grant, execute, execute_batch, grant_hash, refused, view, account, token, puller
):
    """What an approval still lets the spender take after the execution is
    future outflow: charged when made, partly used or not at all."""
    grant = _approve_and_pull_grant(make_grant, token, puller, 600)
    execute_batch(grant, [
        Call(str(token.address), 0, approve(puller.address, 300)),
        Call(str(puller.address), 0, _pull(puller, token, account, 100)),
    ])
    assert _left(view, grant, token) == 300  # 100 moved + 200 still approved
    execute(grant, token.address, 0, approve(ACCOMPLICE, 300), sig=b"")
    assert _left(view, grant, token) == 0
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, token.address, 0, approve(ACCOMPLICE, 1), sig=b"")


def test_unlimited_approval_then_pull_is_refused(
    make_grant, execute_batch, grant_hash, refused, account, token, puller
):
    grant = _approve_and_pull_grant(make_grant, token, puller, 10**6)
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_batch(grant, [
            Call(str(token.address), 0, approve(puller.address, MAX)),
            Call(str(puller.address), 0, _pull(puller, token, account, 1)),
        ])


def test_pull_of_someone_elses_tokens_is_charged(
    make_grant, execute_batch, grant_hash, refused, view, account, token
):
    """transferFrom(friend -> account) then transfer out: the balance does not
    move, but the session spent the friend's allowance: charged."""
    grant = make_grant(
        permissions=[Permission(str(token.address), TRANSFER_FROM, 0), Permission(str(token.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(token.address), 400, 0)],
    )
    execute_batch(grant, [
        Call(str(token.address), 0, transfer_from(FRIEND, account.address, 300)),
        Call(str(token.address), 0, transfer(ACCOMPLICE, 300)),
    ])
    assert _left(view, grant, token) == 100
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_batch(grant, [Call(str(token.address), 0, transfer_from(FRIEND, account.address, 101))], sig=b"")


# ---------------------------------------------------------------- Permit2


def test_pull_through_standing_permit2_allowance_is_charged(
    make_grant, execute, grant_hash, refused, view, account, token, puller, permit2
):
    _owner_call(account, token.address, approve(permit2.address, MAX))
    _owner_call(account, permit2.address, _permit2_approve(token, puller.address, MAX_160))
    grant = make_grant(
        permissions=[Permission(str(puller.address), PULL_PERMIT2, 0)],
        token_budgets=[TokenBudget(str(token.address), 1_000, 0)],
    )
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, puller.address, 0, _pull_permit2(permit2, token, account, 5_000))
    execute(grant, puller.address, 0, _pull_permit2(permit2, token, account, 1_000))
    assert _left(view, grant, token) == 0
    assert token.balanceOf(ACCOMPLICE) == 1_000


def test_permit2_approval_in_the_session_is_charged(
    make_grant, execute, execute_batch, grant_hash, refused, view, account, token, puller, permit2
):
    """Permit2's approve over a budgeted token is an approval like any other:
    charged with what it still allows after the execution."""
    _owner_call(account, token.address, approve(permit2.address, MAX))
    grant = make_grant(
        permissions=[
            Permission(str(permit2.address), PERMIT2_APPROVE, 0),
            Permission(str(puller.address), PULL_PERMIT2, 0),
        ],
        token_budgets=[TokenBudget(str(token.address), 600, 0)],
    )
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(grant, permit2.address, 0, _permit2_approve(token, ACCOMPLICE, 601))
    execute_batch(grant, [
        Call(str(permit2.address), 0, _permit2_approve(token, puller.address, 400)),
        Call(str(puller.address), 0, _pull_permit2(permit2, token, account, 400)),
    ])
    assert _left(view, grant, token) == 200
    execute(grant, permit2.address, 0, _permit2_approve(token, ACCOMPLICE, 200), sig=b"")
    assert _left(view, grant, token) == 0


# ---------------------------------------------------------------- guarded tokens


def test_guarded_token_never_leaves(
    make_grant, execute, execute_batch, grant_hash, refused, view, account, token, token2, puller
):
    """A guard (a budget with cap 0) refuses every outflow of the token, by
    any path, and every approval that would leave an allowance."""
    for t in (token, token2):
        _owner_call(account, t.address, approve(puller.address, MAX))
    grant = make_grant(
        permissions=[
            Permission(str(puller.address), PULL, 0),
            Permission(str(token2.address), TRANSFER, 0),
            Permission(str(token2.address), APPROVE, 0),
        ],
        token_budgets=[TokenBudget(str(token.address), 1_000, 0), TokenBudget(str(token2.address), 0, 0)],
    )
    gh = grant_hash(grant)
    with refused("sessions: over token budget 1", gh):
        execute(grant, puller.address, 0, _pull(puller, token2, account, 1))
    with refused("sessions: over token budget 1", gh):
        execute(grant, token2.address, 0, transfer(ACCOMPLICE, 1))
    with refused("sessions: over token budget 1", gh):
        execute(grant, token2.address, 0, approve(ACCOMPLICE, 1))
    # Revoking an approval leaves nothing to take: allowed.
    execute(grant, token2.address, 0, approve(ACCOMPLICE, 0))
    # The budgeted token still moves within its cap.
    execute(grant, puller.address, 0, _pull(puller, token, account, 1_000), sig=b"")
    assert token2.balanceOf(account.address) == TOKEN_BALANCE


def test_budget_on_a_contract_without_balance_is_refused_at_use(
    make_grant, execute, grant_hash, refused, target
):
    """A budget whose token cannot answer balanceOf stops every execution
    (nothing moves unmeasured)."""
    grant = make_grant(
        permissions=[Permission(str(target.address), sel("poke(uint256,address,uint256)"), 0)],
        token_budgets=[TokenBudget(str(target.address), 1, 0)],
    )
    with refused(None, grant_hash(grant)):
        execute(grant, target.address, 0, calldata("poke(uint256,address,uint256)", 1, ACCOMPLICE, 2))
