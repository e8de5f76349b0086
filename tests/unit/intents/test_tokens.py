"""Token behaviours: inputs are measured by balance delta (fee-on-transfer
and rebasing tokens refused), tokens returning nothing work, tokens
returning false or without code are refused, and a token's callback
cannot re-enter the settler."""

from __future__ import annotations

import boa
import pytest

from .conftest import DEST_CHAIN, FILLER, RECIPIENT, USER
from .helpers import (
    SETTLEMENT_ABI,
    STATUS_NONE,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    Input,
    calldata,
    fixed_address,
    output,
)


@pytest.fixture
def mock_token(deployer, settler, dest, ledger):
    """Deploy a mock token, fund USER and FILLER, approve both settlers,
    and track it in the escrow invariant."""

    def _mock(name: str, track: bool = True):
        t = deployer(name).deploy()
        for holder, spender in ((USER.address, settler), (FILLER.address, dest), (FILLER.address, settler)):
            t.mint(holder, 10**24)
            t.approve(spender.address, 2**256 - 1, sender=holder)
        if track:
            ledger.track(t)
        return t

    return _mock


# ---------------------------------------------------------------- inputs measured


def test_fee_on_transfer_input_refused(mock_token, make_order, open_order, settler):
    fee = mock_token("FeeToken")
    order = make_order(inputs=[Input(str(fee.address), 1_000)])
    with boa.reverts("intents: amount not received"):
        open_order(order)
    assert settler.orderStatus(order.id) == STATUS_NONE
    assert fee.balanceOf(settler.address) == 0


def test_rebasing_input_refused(mock_token, make_order, open_order):
    """With a non-unit index the rounding makes the delta differ from the
    amount: refused."""
    rebasing = mock_token("RebaseToken", track=False)
    rebasing.rebase(3 * 10**18 // 2)
    with boa.reverts("intents: amount not received"):
        open_order(make_order(inputs=[Input(str(rebasing.address), 1_000)]))


def test_rebasing_token_at_unit_index_works(mock_token, make_order, open_order, settler):
    rebasing = mock_token("RebaseToken", track=False)
    order = open_order(make_order(inputs=[Input(str(rebasing.address), 1_000)]))
    assert settler.orderStatus(order.id) == STATUS_OPEN
    assert rebasing.balanceOf(settler.address) == 1_000


# ---------------------------------------------------------------- return values


def test_token_returning_false_refused_as_input(mock_token, make_order, open_order):
    false = mock_token("FalseToken")
    with boa.reverts("intents: token transfer failed"):
        open_order(make_order(inputs=[Input(str(false.address), 1_000)]))


def test_token_returning_false_refused_as_output(mock_token, open_order, fill_order):
    false = mock_token("FalseToken")
    order = open_order(outputs=[output(false.address, 5, RECIPIENT, DEST_CHAIN)])
    with boa.reverts("intents: token transfer failed"):
        fill_order(order)


def test_token_returning_false_on_release(mock_token, make_order, open_order, fill_and_prove, settle_order, settler):
    """A token that refuses to pay the escrow out does not block the order:
    it is settled and the payout is credited; it withdraws once the token
    pays again."""
    false = mock_token("FalseToken")
    false.set_failing(False)
    order = open_order(make_order(inputs=[Input(str(false.address), 1_000)]))
    fill_and_prove(order)
    false.set_failing(True)
    settle_order(order)
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert settler.credits(FILLER.address, false.address) == 1_000
    with boa.reverts("intents: token transfer failed"):
        settler.withdraw(false.address, FILLER.address, sender=FILLER.address)
    false.set_failing(False)
    before = false.balanceOf(FILLER.address)
    assert settler.withdraw(false.address, FILLER.address, sender=FILLER.address) == 1_000
    assert false.balanceOf(FILLER.address) == before + 1_000
    assert settler.credits(FILLER.address, false.address) == 0


def test_token_returning_nothing_works(mock_token, make_order, open_order, fill_and_prove, settle_order, settler):
    usdt = mock_token("NoReturnToken")
    order = open_order(
        make_order(
            inputs=[Input(str(usdt.address), 1_000)],
            outputs=[output(usdt.address, 990, RECIPIENT, DEST_CHAIN)],
        )
    )
    assert usdt.balanceOf(settler.address) == 1_000
    fill_and_prove(order)
    assert usdt.balanceOf(RECIPIENT) == 990
    before = usdt.balanceOf(FILLER.address)
    settle_order(order)
    assert usdt.balanceOf(FILLER.address) == before + 1_000
    assert settler.orderStatus(order.id) == STATUS_SETTLED


def test_token_returning_nothing_refunds(mock_token, make_order, open_order, refund_order, warp, settler):
    usdt = mock_token("NoReturnToken")
    order = open_order(make_order(inputs=[Input(str(usdt.address), 1_000)]))
    warp(order.data.refund_after + 1)
    refund_order(order)
    assert usdt.balanceOf(USER.address) == 10**24
    assert settler.orderStatus(order.id) == STATUS_REFUNDED


def test_token_returning_nothing_without_allowance(mock_token, make_order, open_order, settler):
    usdt = mock_token("NoReturnToken")
    usdt.approve(settler.address, 0, sender=USER.address)
    with boa.reverts("intents: token transfer failed"):
        open_order(make_order(inputs=[Input(str(usdt.address), 1_000)]))


# ---------------------------------------------------------------- no code


def test_codeless_input_token_refused(make_order, open_order):
    with boa.reverts("intents: token has no code"):
        open_order(make_order(inputs=[Input(fixed_address("no-code-token"), 1_000)]))


def test_codeless_output_token_refused(open_order, fill_order):
    order = open_order(outputs=[output(fixed_address("no-code-token"), 5, RECIPIENT, DEST_CHAIN)])
    with boa.reverts("intents: token has no code"):
        fill_order(order)


# ---------------------------------------------------------------- re-entrancy


def test_token_callback_cannot_settle_twice(
    deployer, ledger, make_order, open_order, fill_and_prove, settlement, settle_order, settler
):
    """An input token that calls settle() again while being released: the
    inner call fails (non-reentrant) and the escrow is paid once."""
    hook = deployer("HookToken").deploy()
    ledger.track(hook)
    hook.mint(USER.address, 10**6)
    hook.approve(settler.address, 10**6, sender=USER.address)
    order = open_order(make_order(inputs=[Input(str(hook.address), 1_000)]))
    fill_and_prove(order)
    payload = calldata(f"settle({SETTLEMENT_ABI}[])", [f"{SETTLEMENT_ABI}[]"], [[settlement(order)]])
    hook.arm(settler.address, payload)
    settle_order(order)
    assert hook.attempts() == 1 and not hook.last_ok()
    assert hook.balanceOf(FILLER.address) == 1_000
    assert settler.orderStatus(order.id) == STATUS_SETTLED


def test_settler_is_locked_during_token_calls(deployer, open_order, fill_order, dest):
    """An output token calling back into the settler during a fill fails
    (non-reentrant), while the same callback outside a settler call works
    (positive control)."""
    hook = deployer("HookToken").deploy()
    hook.mint(FILLER.address, 10**6)
    hook.approve(dest.address, 10**6, sender=FILLER.address)
    invalidate = calldata("invalidateNonces(uint256,uint256)", ["uint256", "uint256"], [7, 1])
    hook.arm(dest.address, invalidate)
    hook.transfer(RECIPIENT, 0, sender=FILLER.address)
    assert hook.last_ok() and dest.nonceBitmap(hook.address, 7) == 1

    hook.arm(dest.address, calldata("invalidateNonces(uint256,uint256)", ["uint256", "uint256"], [8, 1]))
    order = open_order(outputs=[output(hook.address, 5, RECIPIENT, DEST_CHAIN)])
    fill_order(order)
    assert hook.attempts() == 2 and not hook.last_ok()
    assert dest.nonceBitmap(hook.address, 8) == 0
    assert hook.balanceOf(RECIPIENT) == 5
