"""Intents across two real anvil chains: open on A, fill on B, prove with the committee, settle on A."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from charter import OverBudget, equals
from charter.exceptions import (
    AlreadySettled,
    FillDeadlinePassed,
    IntentUnauthorized,
    InvalidInput,
    NotProven,
    OrderNonceUsed,
)
from charter.intents import FillRecord, Input, OrderStatus, Output
from charter.intents.models import UNFILLED_RECORD
from charter.processes.solver import Policy, Route

from .conftest import CHAIN_A, CHAIN_B, CONFIRMATIONS, HyperlaneRoute, World, until


def balance(token, who: str) -> int:
    return int(token.functions.balanceOf(who).call())


@pytest.mark.parametrize("via", ["committee", "hyperlane"])
def test_open_fill_prove_settle(world: World, solver, relayer, hyperlane_route: HyperlaneRoute, via: str) -> None:
    """The same story over either oracle, with one relayer configured for both."""
    oracle = world.oracle if via == "committee" else hyperlane_route.oracle
    order = world.order(oracle=oracle)
    before_filler = balance(world.a.token, world.filler.address)
    before_user = balance(world.b.token, world.user.address)
    world.a.user.intents.open(order)
    policy = Policy(routes=[Route(CHAIN_A, world.a.token.address, CHAIN_B, world.b.token.address)],
                    oracles={CHAIN_A: oracle})
    s, r = solver(policy=policy), relayer(hyperlane=hyperlane_route)

    def step() -> None:
        s.step()
        r.step()

    until(lambda: world.a.user.intents.status(order, world.b.user.intents) == OrderStatus.SETTLED, step)
    # The escrow went to the solver's payout, the outputs to the user's recipient.
    assert balance(world.a.token, world.filler.address) - before_filler == 10**18
    assert balance(world.b.token, world.user.address) - before_user == 99 * 10**16
    until(lambda: r.store.order(order.order_id_hex).state == "settled", r.step)  # written down once confirmed
    assert s.store.seen_state(order.order_id_hex) == "filled"


def test_unfilled_order_is_recorded_and_refunded(world: World, relayer) -> None:
    order = world.order(fill_within=60)
    before = balance(world.a.token, world.user.address)
    world.a.user.intents.open(order)
    r = relayer()
    until(lambda: r.store.order(order.order_id_hex), r.step)
    world.b.warp(120)  # past the fill deadline on the destination
    with pytest.raises(FillDeadlinePassed):
        world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address))
    until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED, r.step)
    assert world.b.user.intents.record_of(order.order_id) == UNFILLED_RECORD
    assert balance(world.a.token, world.user.address) == before
    until(lambda: r.store.order(order.order_id_hex).state == "refunded", r.step)  # written down once confirmed


def test_refund_without_proof_after_refund_after(world: World) -> None:
    order = world.order(fill_within=60)
    world.a.user.intents.open(order)
    with pytest.raises(NotProven):
        world.a.user.intents.refund([(order, b"")])
    world.a.warp(60 + 86_400 + 1)
    tx = world.a.user.intents.refund([(order, b"")])
    assert tx.count == 1
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED


def test_relayer_restart_between_fill_and_settle(world: World, relayer, tmp_path: Path) -> None:
    order = world.order()
    world.a.user.intents.open(order)
    db = tmp_path / "restart.sqlite"
    first = relayer(db)
    until(lambda: first.store.order(order.order_id_hex), first.step)
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent))
    first.close()  # stopped after the fill, before anything was proven
    second = relayer(db)
    until(lambda: second.store.order(order.order_id_hex).state == "settled", second.step)
    start = second.chains[world.a.user.chain_id].config.start_block
    settled = world.a.user.intents.contract.events.Settled().get_logs(
        from_block=start, argument_filters={"orderId": order.order_id})
    assert len(settled) == 1  # settled once, nothing repeated
    second.step()
    assert len(world.a.user.intents.contract.events.Settled().get_logs(
        from_block=start, argument_filters={"orderId": order.order_id})) == 1
    # the settled order's receipt on A, as the SDK computes it from the order and its fill
    fill = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    assert world.a.user.intents.settlement_receipt(order.order_id) == order.receipt(fill)
    other = FillRecord(payout=world.deployer.address, filler_agent_id=world.filler_agent)
    assert order.receipt(other) != order.receipt(fill)


def test_reorg_before_attestation_does_not_settle(world: World, relayer) -> None:
    order = world.order()
    world.a.user.intents.open(order)
    r = relayer()
    until(lambda: r.store.order(order.order_id_hex), r.step)
    snapshot = world.b.w3.provider.make_request("evm_snapshot", [])["result"]
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address))
    r.step()  # the fill is less than CONFIRMATIONS deep: not seen yet
    assert r.store.record(order.order_id_hex) is None
    world.b.w3.provider.make_request("evm_revert", [snapshot])  # the fill vanishes
    world.b.mine(CONFIRMATIONS + 2)
    for _ in range(3):
        r.step()
    assert r.store.record(order.order_id_hex) is None
    assert r.store.order(order.order_id_hex).state == "open"
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN
    assert not any(world.b.user.intents.record_of(order.order_id))


def test_attestation_for_one_order_does_not_settle_another(world: World) -> None:
    first, second = world.order(), world.order()
    for order in (first, second):
        world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    world.b.filler.intents.fill(first, record)
    world.b.filler.intents.fill(second, record)
    with pytest.raises(NotProven):
        world.a.user.intents.settle([(second, record, world.proof(first, record.hash))])
    world.a.user.intents.settle([(first, record, world.proof(first, record.hash))])
    with pytest.raises(AlreadySettled):
        world.a.user.intents.settle([(first, record, world.proof(first, record.hash))])


def test_payout_cannot_be_redirected(world: World) -> None:
    order = world.order()
    world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    world.b.filler.intents.fill(order, record)
    thief = FillRecord(payout=world.deployer.address)
    # A proof of the real record does not cover another payout, and the committee
    # will not sign a record the destination does not hold.
    with pytest.raises(NotProven):
        world.a.user.intents.settle([(order, thief, world.proof(order, record.hash))])
    with pytest.raises(NotProven):  # one member's signature is below the threshold
        world.a.user.intents.settle([(order, thief, world.proof(order, thief.hash)[:65])])


def test_sdk_refuses_the_wrong_chain_before_sending(world: World) -> None:
    order = world.order()
    with pytest.raises(InvalidInput, match="origin"):
        world.b.user.intents.open(order)
    with pytest.raises(InvalidInput, match="destined"):
        world.a.filler.intents.fill(order, FillRecord(payout=world.filler.address))


def test_gasless_order_opens_once(world: World) -> None:
    intents = world.a.user.intents
    order = world.order(open_deadline=world.a.now + 300)
    world.a.send(world.user, world.a.token.functions.approve(intents.address, 10**18))
    signature = intents.sign(order)
    relay = world.a.filler.intents
    tx = relay.open_for(order, signature)
    assert tx.order_id == order.order_id_hex
    with pytest.raises(OrderNonceUsed):
        relay.open_for(order, signature)


def test_stranger_cannot_claim_an_agent(world: World) -> None:
    order = world.order(agent_id=world.user_agent)
    with pytest.raises(IntentUnauthorized):
        world.a.filler.intents.with_signer(world.filler).open(order.model_copy(update={"user": world.filler.address}))


def test_agent_session_opens_within_its_caps(world: World) -> None:
    """An agent, under its principal's session, opens an order for the principal's account;
    over the grant's token cap it is refused."""
    a = world.a
    principal = a.user
    account = principal.accounts.deploy(owner=world.user.address, salt=7)
    a.send(world.deployer, a.token.functions.mint(account, 10**20))
    key = world.filler  # the agent's session key (any key the agent consents to)
    settler = principal.intents.address
    builder = (principal.sessions.builder(account, world.user_agent, key.address)
               .allow(a.token.address, "approve(address spender,uint256 amount)", spender=equals(settler))
               .allow(settler, "0x" + Web3.keccak(text="open((uint32,bytes32,bytes))")[:4].hex())
               .token_budget(a.token.address, 2 * 10**18)
               .valid_for(hours=1))
    signed = principal.sessions.sign(principal.sessions.prepare(builder))
    order = world.order(user=account, amount=10**18)
    calls = principal.intents.open_calls(order)
    assert all(len(c.data) <= 1_024 for c in calls)
    a.filler.sessions.execute_batch(signed, calls, key=key)
    assert principal.intents.origin_status(order.order_id) == OrderStatus.OPEN
    too_big = world.order(user=account, amount=3 * 10**18)
    with pytest.raises(OverBudget):
        a.filler.sessions.execute_batch(signed, principal.intents.open_calls(too_big), key=key)


def test_attesters_refuse_a_record_the_destination_does_not_hold(world: World, relayer) -> None:
    order = world.order()
    world.a.user.intents.open(order)
    r = relayer()
    head = world.b.w3.eth.block_number
    fake = FillRecord(payout=world.deployer.address).hash
    assert all(att.sign(world.oracle, order, fake, world.b.user.intents, head) is None for att in r.attesters)


def test_fill_on_a_chain_that_is_not_the_destination_is_refused_on_chain(world: World) -> None:
    """Past the SDK's own check: the origin settler refuses to act as this order's destination."""
    order = world.order()
    settler = world.a.filler.intents
    data = settler.contract.encode_abi("fill", [order.order_id, order.origin_data, b""])
    with pytest.raises(ContractLogicError, match="intents: wrong destination"):
        world.a.w3.eth.call({"from": world.filler.address, "to": settler.address, "data": data})
    tampered = settler.contract.encode_abi("fill", [b"\x01" * 32, order.origin_data, b""])
    with pytest.raises(ContractLogicError, match="intents: order mismatch"):
        world.b.w3.eth.call({"from": world.filler.address, "to": settler.address, "data": tampered})


@pytest.mark.parametrize("amount", [1, 10**6])
def test_native_and_small_orders(world: World, amount: int) -> None:
    order = world.order(amount=amount, out=amount)
    world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    world.b.filler.intents.fill(order, record)
    tx = world.a.user.intents.settle([(order, record, world.proof(order, record.hash))])
    assert tx.count == 1


def test_native_input_and_output(world: World) -> None:
    from charter.intents import NATIVE

    order = world.order(inputs=[Input(token=NATIVE, amount=10**15)],
                        outputs=[Output(token=NATIVE, amount=10**15, recipient=world.user.address, chain_id=CHAIN_B)])
    world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    before = world.a.w3.eth.get_balance(world.filler.address)
    world.b.filler.intents.fill(order, record)
    world.a.user.intents.settle([(order, record, world.proof(order, record.hash))], sender=world.user)
    assert world.a.w3.eth.get_balance(world.filler.address) - before == 10**15


def test_sdk_refuses_to_record_a_local_order_unfilled(world: World) -> None:
    """A local order has no destination record (its refund needs no proof): the SDK says
    so before sending, and the settler refuses it too."""
    a = world.a
    order = world.order(
        destination_chain_id=a.user.chain_id, oracle=None, fill_within=60,
        outputs=[Output(token=a.token.address, amount=10**18, recipient=world.user.address, chain_id=a.user.chain_id)],
    )
    a.user.intents.open(order)
    a.warp(120)
    with pytest.raises(InvalidInput, match="local"):
        a.user.intents.record_unfilled(order)
    with pytest.raises(ContractLogicError, match="intents: local order"):
        a.user.intents.contract.functions.recordUnfilled(order.order_id, order.origin_data).call()
    tx = a.user.intents.refund([(order, b"")])
    assert tx.count == 1 and a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED
