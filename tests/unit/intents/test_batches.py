"""One bad item never sinks a batch (I6).

A `settle` or `refund` batch settles or refunds what it can and skips the
rest with `SettleSkipped` / `RefundSkipped(orderId, reason)`; its return
value has bit i set for each item that landed. A payment of escrow that
its receiver refuses (a contract without `receive`, a receiver that burns
its gas, a token that refuses the transfer) is credited to the receiver,
who withdraws it later (`withdraw`, `credits`): nothing is lost and nothing
is blocked. The escrow invariant I1 (with credits) is checked after every
test by the ledger (conftest)."""

from __future__ import annotations

import boa
import pytest

from .conftest import RECIPIENT2, STRANGER
from .helpers import (
    NATIVE,
    SKIP_LOCAL,
    SKIP_NOT_EXPIRED,
    SKIP_NOT_PROVEN,
    SKIP_REFUNDED,
    SKIP_SETTLED,
    SKIP_UNKNOWN,
    STATUS_OPEN,
    STATUS_REFUNDED,
    STATUS_SETTLED,
    UNFILLED_RECORD,
    Input,
    filler_data,
    record_hash,
)


@pytest.fixture
def refuser(deployer, ledger):
    """A contract that refuses ETH (or burns all the gas it gets, `set_burn`)
    and can collect its credits (`withdraw`)."""
    contract = deployer("Refuser").deploy()
    ledger.watch(contract)
    boa.env.set_balance(str(contract.address), 10**18)
    return contract


@pytest.fixture
def filled(open_order, fill_and_prove):
    """n orders opened, filled by FILLER and proven."""

    def _filled(n: int, **kw):
        orders = [open_order(**kw) for _ in range(n)]
        for order in orders:
            fill_and_prove(order)
        return orders

    return _filled


def _skips(events, contract, name):
    return [(e.args["orderId"], e.args["reason"]) for e in events(contract) if e.name == name]


# ---------------------------------------------------------------- settle


def test_a_wrong_proof_does_not_sink_a_settle_batch(
    filled, open_order, fill_order, settle_order, settlement, settler, events, token, filler,
):
    """Seen: a batch of three with one wrong proof reverted as a whole."""
    a, c = filled(2)
    b = open_order()
    fill_order(b)  # filled, but the oracle never learnt it
    before = token.balanceOf(filler)
    assert settle_order(batch=[settlement(a), settlement(b), settlement(c)]) == 0b101
    assert [e.name for e in events(settler)] == ["Settled", "SettleSkipped", "Settled"]
    assert _skips(events, settler, "SettleSkipped") == [(b.id, SKIP_NOT_PROVEN)]
    assert token.balanceOf(filler) == before + 2_000
    assert [settler.orderStatus(o.id) for o in (a, b, c)] == [STATUS_SETTLED, STATUS_OPEN, STATUS_SETTLED]


def test_settle_skip_reasons(
    filled, open_order, make_order, settle_order, refund_order, settlement, settler, events, warp,
):
    good, done, late = filled(3)
    settle_order(done)
    local = open_order(local=True)
    unproven = open_order()
    warp(late.data.refund_after + 1)
    refund_order(late)
    unknown = make_order()
    batch = [settlement(o) for o in (unknown, done, late, local, unproven, good)]
    assert settle_order(batch=batch) == 0b100000
    assert _skips(events, settler, "SettleSkipped") == [
        (unknown.id, SKIP_UNKNOWN),
        (done.id, SKIP_SETTLED),
        (late.id, SKIP_REFUNDED),
        (local.id, SKIP_LOCAL),
        (unproven.id, SKIP_NOT_PROVEN),
    ]


@pytest.mark.parametrize(
    ("case", "reason"),
    [("unknown", "intents: unknown order"), ("unproven", "intents: fill not proven"), ("local", "intents: not filled")],
)
def test_a_single_order_still_says_why(case, reason, make_order, open_order, settle_order):
    order = {"unknown": make_order, "unproven": open_order, "local": lambda: open_order(local=True)}[case]()
    with boa.reverts(reason):
        settle_order(order)


def test_a_batch_of_only_bad_orders_reverts(open_order, make_order, settle_order, settlement):
    with boa.reverts("intents: nothing to settle"):
        settle_order(batch=[settlement(open_order()), settlement(make_order())])


def test_a_payout_refusing_eth_is_credited_and_the_batch_goes_on(
    filled, open_order, fill_order, prove, settle_order, settlement, settler, refuser, events, filler
):
    """Two orders of one batch pay FILLER, one pays a payout that refuses
    ETH: all three settle and the refused value is credited."""
    a, c = filled(2, inputs=[Input(NATIVE, 7)])
    b = open_order(inputs=[Input(NATIVE, 5)])
    fill_order(b, data=filler_data(refuser.address, 0))
    prove(b, record_hash(refuser.address, 0))
    before = boa.env.get_balance(filler)
    batch = [settlement(a), settlement(b, payout=refuser.address, filler_agent=0), settlement(c)]
    assert settle_order(batch=batch) == 0b111
    credited = [e.args for e in events(settler) if e.name == "Credited"]
    assert credited == [{"account": refuser.address, "token": NATIVE, "amount": 5}]
    assert boa.env.get_balance(filler) == before + 14
    assert settler.credits(refuser.address, NATIVE) == 5


def test_a_payout_burning_its_gas_is_credited(
    filled, open_order, fill_order, prove, settle_order, settlement, settler, refuser,
):
    """A receiver that spins on its `receive` gets PAY_GAS, not the batch's
    gas: the batch completes and the receiver is credited."""
    refuser.set_burn(True)
    (a,) = filled(1)
    b = open_order(inputs=[Input(NATIVE, 5)])
    fill_order(b, data=filler_data(refuser.address, 0))
    prove(b, record_hash(refuser.address, 0))
    assert settler.PAY_GAS() == 100_000
    settle_order(batch=[settlement(b, payout=refuser.address, filler_agent=0), settlement(a)])
    assert settler.credits(refuser.address, NATIVE) == 5
    assert settler._computation.get_gas_used() < 350_000


def test_a_caller_cannot_starve_a_payment_into_a_credit(filled, settlement, settler):
    """With too little gas left to give the receiver all of PAY_GAS the
    call reverts (nothing settles) instead of crediting a payment that
    could have succeeded."""
    (order,) = filled(1)
    with boa.reverts("intents: out of gas"):
        settler.settle([settlement(order)], sender=STRANGER.address, gas=100_000)
    assert settler.orderStatus(order.id) == STATUS_OPEN


# ---------------------------------------------------------------- refund


def test_a_user_refusing_eth_does_not_sink_a_refund_batch(
    open_order, make_order, refund_order, settler, refuser, warp, events, token, user, ledger
):
    """Seen: a refund batch including an order whose user is a contract
    refusing ETH reverted as a whole. Now every order is refunded and the
    contract's refund is credited; it withdraws it to another address."""
    a, c = open_order(), open_order()
    b = make_order(user=refuser.address, inputs=[Input(NATIVE, 10**17)])
    refuser.open(settler.address, b.onchain(), value=10**17, sender=STRANGER.address)  # its user is the refuser
    ledger.add(b)
    warp(a.data.refund_after + 1)
    before = token.balanceOf(user)
    assert refund_order(batch=[(o.abi(), b"") for o in (a, b, c)]) == 0b111
    assert [e.args for e in events(settler) if e.name == "Credited"] == [
        {"account": refuser.address, "token": NATIVE, "amount": 10**17}
    ]
    assert token.balanceOf(user) == before + 2_000
    assert [settler.orderStatus(o.id) for o in (a, b, c)] == [STATUS_REFUNDED] * 3
    assert settler.credits(refuser.address, NATIVE) == 10**17
    # The credit is the refuser's alone, withdrawn once, wherever it says.
    with boa.reverts("intents: no credit"):
        settler.withdraw(NATIVE, STRANGER.address, sender=STRANGER.address)
    with boa.reverts("intents: native transfer failed"):
        refuser.withdraw(settler.address, NATIVE, refuser.address)  # it still refuses ETH: nothing changes
    assert settler.credits(refuser.address, NATIVE) == 10**17
    assert refuser.withdraw(settler.address, NATIVE, RECIPIENT2) == 10**17
    (withdrawn,) = events(refuser, settler)
    assert withdrawn.name == "Withdrawn"
    assert withdrawn.args == {"account": refuser.address, "token": NATIVE, "to": RECIPIENT2, "amount": 10**17}
    assert boa.env.get_balance(RECIPIENT2) == 10**17
    assert settler.credits(refuser.address, NATIVE) == 0
    with boa.reverts("intents: no credit"):
        refuser.withdraw(settler.address, NATIVE, RECIPIENT2)


def test_refund_skip_reasons(
    open_order, make_order, fill_and_prove, record_unfilled, prove, settle_order, refund_order, settler, events, warp,
):
    settled = open_order()
    fill_and_prove(settled)
    settle_order(settled)
    done, unproven, good = open_order(), open_order(), open_order()
    local = open_order(local=True, fill_deadline=boa.env.timestamp + 7_200)
    warp(good.fill_deadline + 1)
    record_unfilled(good)
    prove(good, UNFILLED_RECORD)
    record_unfilled(done)
    prove(done, UNFILLED_RECORD)
    refund_order(done)
    unknown = make_order()
    batch = [(o.abi(), b"") for o in (unknown, settled, done, unproven, local, good)]
    assert refund_order(batch=batch) == 0b100000
    assert _skips(events, settler, "RefundSkipped") == [
        (unknown.id, SKIP_UNKNOWN),
        (settled.id, SKIP_SETTLED),
        (done.id, SKIP_REFUNDED),
        (unproven.id, SKIP_NOT_PROVEN),
        (local.id, SKIP_NOT_EXPIRED),
    ]
    with boa.reverts("intents: nothing to refund"):
        refund_order(batch=batch[:5])


# ---------------------------------------------------------------- credits and withdraw


def test_withdraw_without_credit(settler, stranger):
    with boa.reverts("intents: no credit"):
        settler.withdraw(NATIVE, stranger, sender=stranger)
    assert settler.credits(stranger, NATIVE) == 0


def test_a_local_fill_paying_a_refusing_payout_credits_it(open_order, fill_order, settler, refuser, ledger):
    """A local order settles in its fill: a payout that refuses the escrow
    is credited, the fill goes through."""
    order = open_order(local=True, inputs=[Input(NATIVE, 9)])
    fill_order(order, data=filler_data(refuser.address, 0))
    assert settler.orderStatus(order.id) == STATUS_SETTLED
    assert settler.credits(refuser.address, NATIVE) == 9
