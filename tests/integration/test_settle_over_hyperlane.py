"""Settlement over Hyperlane with its real contracts: open on A naming a HyperlaneOracle,
fill on B, B's HyperlaneReporter dispatches the record, our validators sign B's
checkpoint, A's Mailbox delivers it to the oracle, and A settles with each order's Merkle
path in the message (none for a message of one order)."""

from __future__ import annotations

from typing import Any

import pytest
from hexbytes import HexBytes
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from charter._core.artifacts import abi, init_code
from charter.exceptions import InvalidInput, NotDeployed, NotProven
from charter.hyperlane import LocalHyperlane, Message, deploy_local, message_id_metadata, sign_checkpoint
from charter.hyperlane.settlement import Report
from charter.intents import FillRecord, OrderStatus
from charter.intents.models import UNFILLED_RECORD

from .conftest import CHAIN_A, CHAIN_B, VALIDATORS, World


def deploy(world: World, side, name: str, types: list[str], args: list[Any]):
    from eth_abi import encode

    tx = world.deployer.send_transaction(side.w3, {"data": HexBytes(init_code(name) + encode(types, args))})
    receipt = side.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1, name
    return side.w3.eth.contract(address=receipt["contractAddress"], abi=abi(name))


def deploy_reporter(world: World, mailbox: Any):
    """A HyperlaneReporter on B for `mailbox` and B's settler."""
    return deploy(
        world, world.b, "HyperlaneReporter", ["address", "address"], [mailbox.address, world.b.user.intents.address]
    )


def deploy_oracle(world: World, a: LocalHyperlane, remotes: list[tuple[int, int, str]]):
    """A HyperlaneOracle on A for A's Mailbox and ISM, trusting `remotes` (domain, chain id, reporter)."""
    return deploy(
        world,
        world.a,
        "HyperlaneOracle",
        ["address", "address", "(uint32,uint256,address)[]"],
        [a.mailbox.address, a.ism.address, remotes],
    )


@pytest.fixture
def route(world: World):
    """B's reporter and A's oracle, which trusts that reporter for domain B (the session's)."""
    return (world.b.w3.eth.contract(address=world.route.reporter, abi=abi("HyperlaneReporter")),
            world.a.w3.eth.contract(address=world.route.oracle, abi=abi("HyperlaneOracle")))


def report(world: World, reporter, orders, domain: int = CHAIN_A) -> Any:
    data = [o.origin_data for o in orders]
    fee = int(reporter.functions.quoteReport(domain, data).call())
    receipt = world.b.send(world.deployer, reporter.functions.report(domain, data), fee)
    assert receipt["status"] == 1
    return receipt


def deliver(world: World, hyperlane, receipt, source: LocalHyperlane | None = None) -> tuple[Message, Any]:
    """Sign the checkpoint of the message dispatched in `receipt` by `source` (default: B's
    Hyperlane) with 2 of 3 validators and process it on A."""
    a, b = hyperlane
    source = source or b
    (event,) = source.mailbox.events.Dispatch().process_receipt(receipt, errors=DISCARD)
    message = Message.decode(event.args.message)
    root, index = source.merkle_tree_hook.functions.latestCheckpoint().call()
    hook = source.merkle_tree_hook.address
    sigs = [sign_checkpoint(v, source.domain, hook, bytes(root), index, message.id) for v in VALIDATORS[:2]]
    process = a.mailbox.functions.process(message_id_metadata(hook, bytes(root), index, sigs), message.encode())
    assert world.a.send(world.deployer, process)["status"] == 1
    return message, process


def test_open_fill_report_deliver_settle(world: World, hyperlane, route) -> None:
    reporter, oracle = route
    orders = [world.order(oracle=oracle.address) for _ in range(2)]
    record = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    for order in orders:
        world.a.user.intents.open(order)
        world.b.filler.intents.fill(order, record)
        with pytest.raises(NotProven):  # nothing delivered yet
            world.a.user.intents.settle([(order, record, b"")])
    message, process = deliver(world, hyperlane, report(world, reporter, orders))
    assert (message.origin, message.destination) == (CHAIN_B, CHAIN_A)
    with pytest.raises(ContractLogicError, match="already delivered"):  # a replayed process
        process.call({"from": world.deployer.address})
    with pytest.raises(NotProven):  # in a message of two, each order needs its Merkle path
        world.a.user.intents.settle([(orders[0], record, b"")])
    body = Report.decode(message.body)
    assert body.root == bytes(oracle.events.Delivered().get_logs(from_block=0)[-1].args.root)
    tx = world.a.user.intents.settle([(o, record, body.proof(o.order_id)) for o in orders])
    assert tx.count == 2
    assert all(world.a.user.intents.origin_status(o.order_id) == OrderStatus.SETTLED for o in orders)


def test_unfilled_record_refunds_over_hyperlane(world: World, hyperlane, route) -> None:
    reporter, oracle = route
    order = world.order(oracle=oracle.address, fill_within=60)
    world.a.user.intents.open(order)
    world.b.warp(120)
    world.b.user.intents.record_unfilled(order)
    assert world.b.user.intents.record_of(order.order_id) == UNFILLED_RECORD
    deliver(world, hyperlane, report(world, reporter, [order]))
    tx = world.a.user.intents.refund([(order, b"")])
    assert tx.count == 1 and world.a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED


def test_handle_only_from_the_mailbox_and_the_reporter(world: World, hyperlane, route) -> None:
    a, b = hyperlane
    reporter, oracle = route
    order = world.order(oracle=oracle.address)
    world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    world.b.filler.intents.fill(order, record)
    body = Report(world.a.user.intents.address, world.b.user.intents.address, (order.order_id,),
                  (record.hash,)).encode()
    sender = HexBytes(b"\x00" * 12 + HexBytes(reporter.address))
    # not the Mailbox
    with pytest.raises(ContractLogicError, match="hyperlane: not the mailbox"):
        oracle.functions.handle(CHAIN_B, sender, body).call({"from": world.deployer.address})
    # a message to the oracle from someone else than B's reporter: the Mailbox cannot deliver it
    to = HexBytes(b"\x00" * 12 + HexBytes(oracle.address))
    fee = int(b.mailbox.functions.quoteDispatch(CHAIN_A, to, body).call())
    receipt = world.b.send(world.deployer, b.mailbox.functions.dispatch(CHAIN_A, to, body), fee)
    with pytest.raises(ContractLogicError, match="hyperlane: unknown sender"):
        deliver(world, hyperlane, receipt)
    with pytest.raises(NotProven):
        world.a.user.intents.settle([(order, record, b"")])
    # the reporter refuses an order that is not destined for its settler's chain, or has no record
    other = world.order(oracle=oracle.address)
    with pytest.raises(ContractLogicError, match="hyperlane: no record"):
        reporter.functions.report(CHAIN_A, [other.origin_data]).call({"from": world.deployer.address})


def test_a_record_from_a_domain_that_was_not_the_destination_proves_nothing(world: World, hyperlane) -> None:
    """An oracle trusting two domains stores each record under its sender's chain: a report
    sent over a second Mailbox (domain 999, on chain B too) does not settle an order whose
    destination is chain B."""
    a, b = hyperlane
    other = deploy_local(world.b.w3, world.deployer, 999, [v.address for v in VALIDATORS], 2)
    reporter_b, reporter_x = deploy_reporter(world, b.mailbox), deploy_reporter(world, other.mailbox)
    oracle = deploy_oracle(world, a, [(CHAIN_B, CHAIN_B, reporter_b.address), (999, 999, reporter_x.address)])
    order = world.order(oracle=oracle.address)
    world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address)
    world.b.filler.intents.fill(order, record)
    message, _ = deliver(world, hyperlane, report(world, reporter_x, [order]), source=other)
    assert message.origin == 999  # delivered, stored under chain 999
    with pytest.raises(NotProven):
        world.a.user.intents.settle([(order, record, b"")])
    deliver(world, hyperlane, report(world, reporter_b, [order]))  # from the destination's own domain
    assert world.a.user.intents.settle([(order, record, b"")]).count == 1


def test_report_fee_is_quoted_and_the_excess_returned(world: World, hyperlane, route) -> None:
    a, b = hyperlane
    reporter, oracle = route
    world.b.send(world.deployer, b.default_hook.functions.setFee(12_345))  # the test hook charges what it is told
    try:
        order = world.order(oracle=oracle.address)
        world.a.user.intents.open(order)
        world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address))
        data = [order.origin_data]
        fee = int(reporter.functions.quoteReport(CHAIN_A, data).call())
        assert fee == 12_345
        with pytest.raises(ContractLogicError, match="hyperlane: fee too low"):
            reporter.functions.report(CHAIN_A, data).call({"from": world.deployer.address, "value": fee - 1})
        receipt = world.b.send(world.deployer, reporter.functions.report(CHAIN_A, data), fee + 10**15)
        assert receipt["status"] == 1
        assert world.b.w3.eth.get_balance(reporter.address) == 0  # the excess went back
        assert reporter.functions.credit(world.deployer.address).call() == 0
        assert world.b.w3.eth.get_balance(b.default_hook.address) >= fee
    finally:
        world.b.send(world.deployer, b.default_hook.functions.setFee(0))


def _mock(world: World, name: str) -> Any:
    """A test mock (tests/mocks/`name`.vy) compiled here and deployed on B."""
    from pathlib import Path

    import vyper

    source = (Path(__file__).resolve().parents[1] / "mocks" / f"{name}.vy").read_text()
    out = vyper.compile_code(source, output_formats=["bytecode", "abi"])
    tx = world.deployer.send_transaction(world.b.w3, {"data": HexBytes(out["bytecode"])})
    receipt = world.b.w3.eth.wait_for_transaction_receipt(tx)
    return world.b.w3.eth.contract(address=receipt["contractAddress"], abi=out["abi"])


def test_a_payer_that_refuses_eth_is_credited_and_withdraws(world: World, hyperlane, route) -> None:
    reporter, oracle = route
    payer, refuser = _mock(world, "ReportPayer"), _mock(world, "NoReceive")
    order = world.order(oracle=oracle.address)
    world.a.user.intents.open(order)
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address))
    excess = 10**15 + 7  # the test hook charges nothing: all of it is excess
    receipt = world.b.send(world.deployer, payer.functions.report(reporter.address, CHAIN_A, [order.origin_data]),
                           excess)
    assert receipt["status"] == 1  # the refund failed, the report did not
    assert reporter.functions.credit(payer.address).call() == excess
    assert world.b.w3.eth.get_balance(reporter.address) == excess
    deliver(world, hyperlane, receipt)  # the message went out all the same
    assert world.a.user.intents.settle([(order, FillRecord(payout=world.filler.address), b"")]).count == 1
    # the credit is the payer's alone: anyone else has none to withdraw
    with pytest.raises(ContractLogicError, match="hyperlane: no credit"):
        reporter.functions.withdraw(world.deployer.address).call({"from": world.deployer.address})
    # a withdrawal to an address that refuses ETH reverts and keeps the credit
    with pytest.raises(ContractLogicError, match="hyperlane: transfer failed"):
        payer.functions.withdraw(reporter.address, refuser.address).call({"from": world.deployer.address})
    to = world.filler.address
    before = world.b.w3.eth.get_balance(to)
    assert world.b.send(world.deployer, payer.functions.withdraw(reporter.address, to))["status"] == 1
    assert world.b.w3.eth.get_balance(to) - before == excess
    assert reporter.functions.credit(payer.address).call() == 0
    with pytest.raises(ContractLogicError, match="hyperlane: no credit"):
        payer.functions.withdraw(reporter.address, to).call({"from": world.deployer.address})


def test_sdk_deployments_are_deterministic_and_recorded(world: World, hyperlane, tmp_path) -> None:
    """deploy_reporter / deploy_hyperlane_oracle: CREATE2 at the computed address, idempotent,
    the configuration recorded per chain in the manifest; the suite's addresses unchanged."""
    from charter._core.deployments import create2_address
    from charter.deployments import Manifest
    from charter.hyperlane.settlement import (
        HyperlaneOracle,
        Remote,
        deploy_hyperlane_oracle,
        deploy_reporter,
        hyperlane_oracle_address,
        reporter_address,
    )

    a, b = hyperlane
    manifest = Manifest.load(tmp_path / "deployments.json")
    reporter = deploy_reporter(world.b.w3, world.deployer, b.mailbox.address, manifest=manifest)
    assert reporter == reporter_address(b.mailbox.address)
    remotes = [Remote(domain=CHAIN_B, chain_id=CHAIN_B, reporter=reporter)]
    oracle = deploy_hyperlane_oracle(world.a.w3, world.deployer, a.mailbox.address, a.ism.address, remotes,
                                     manifest=manifest)
    assert oracle == hyperlane_oracle_address(a.mailbox.address, a.ism.address, remotes)
    assert deploy_reporter(world.b.w3, world.deployer, b.mailbox.address) == reporter  # idempotent
    saved = Manifest.load(tmp_path / "deployments.json")
    entry = saved.chains[str(CHAIN_B)]["HyperlaneReporter"]
    assert (entry["address"], entry["mailbox"], entry["domain"]) == (reporter, b.mailbox.address, CHAIN_B)
    assert entry["settler"] == create2_address("IntentSettler") == world.b.user.intents.address
    entry = saved.chains[str(CHAIN_A)]["HyperlaneOracle"]
    assert (entry["ism"], entry["domain"]) == (a.ism.address, CHAIN_A)
    assert entry["remotes"] == [{"domain": CHAIN_B, "chain_id": CHAIN_B, "reporter": reporter}]
    assert HyperlaneOracle(world.a.w3, oracle).ism() == a.ism.address
    with pytest.raises(InvalidInput, match="1 to 8 remotes"):
        deploy_hyperlane_oracle(world.a.w3, world.deployer, a.mailbox.address, a.ism.address, [])
    with pytest.raises(NotDeployed, match="is no Mailbox"):
        deploy_reporter(world.b.w3, world.deployer, world.b.token.address)
    with pytest.raises(NotDeployed, match="no Mailbox at"):
        deploy_reporter(world.b.w3, world.deployer, "0x" + "12" * 20)
