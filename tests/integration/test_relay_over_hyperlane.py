"""`charter relay` over Hyperlane: the relayer reports records through B's HyperlaneReporter,
verifies the dispatch against B's Merkle tree hook, signs the checkpoint with its validator
keys and delivers it to A's Mailbox; A settles (or refunds) with no proof."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hexbytes import HexBytes
from web3.logs import DISCARD

from charter.cli import cli
from charter.hyperlane import Message
from charter.hyperlane.local import deploy
from charter.hyperlane.settlement import HyperlaneReporter, Report
from charter.intents import FillRecord, OrderStatus
from charter.processes.hyperlane import HyperlaneConfig

from .conftest import CHAIN_A, CHAIN_B, CONFIRMATIONS, VALIDATORS, HyperlaneRoute, World, until


def fill(world: World, order: Any) -> None:
    world.b.filler.intents.fill(order, FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent))


def processed(world: World, route: HyperlaneRoute, message_id: bytes, start: int) -> int:
    """How many times A's Mailbox delivered `message_id` since block `start`."""
    return len(route.a.mailbox.events.ProcessId().get_logs(
        from_block=start, argument_filters={"messageId": message_id}))


def reports(world: World, route: HyperlaneRoute, order: Any, start: int) -> list[tuple[bytes, Report]]:
    """(message id, report) of each message B's reporter dispatched with `order` since block `start`."""
    reporter = HyperlaneReporter(world.b.w3, route.reporter)
    return [(i, r) for i, r in reporter.dispatched(start) if order.order_id in r.order_ids]


def test_fills_are_reported_in_one_message_and_settle(world: World, relayer, hyperlane_route, start) -> None:
    orders = [world.order(oracle=hyperlane_route.oracle) for _ in range(3)]
    for order in orders:
        world.a.user.intents.open(order)
        fill(world, order)
    world.a.mine(CONFIRMATIONS + 1)  # all three orders and fills are confirmed when the relayer first looks
    world.b.mine(CONFIRMATIONS + 1)
    r = relayer(hyperlane=hyperlane_route)
    until(lambda: all(r.store.order(o.order_id_hex) and r.store.order(o.order_id_hex).state == "settled"
                      for o in orders), r.step)
    (message_id, body), = dict(m for o in orders for m in reports(world, hyperlane_route, o, start[1])).items()
    assert sorted(body.order_ids) == sorted(o.order_id for o in orders)  # one message for the batch
    assert processed(world, hyperlane_route, message_id, start[0]) == 1
    assert r.store.message(message_id).state == "delivered"
    assert r.store.tree(CHAIN_B) is not None and r.store.tree(CHAIN_A) is None  # A reports nothing: not rebuilt


def test_unfilled_order_is_refunded_over_hyperlane(world: World, relayer, hyperlane_route) -> None:
    order = world.order(oracle=hyperlane_route.oracle, fill_within=60)
    world.a.user.intents.open(order)
    r = relayer(hyperlane=hyperlane_route)
    until(lambda: r.store.order(order.order_id_hex), r.step)
    world.b.warp(120)
    until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.REFUNDED, r.step)
    until(lambda: r.store.order(order.order_id_hex).state == "refunded", r.step)  # written down once confirmed


def test_restart_between_dispatch_and_process(world: World, relayer, hyperlane_route, start, tmp_path) -> None:
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    fill(world, order)
    db = tmp_path / "restart.sqlite"
    first = relayer(db, hyperlane=hyperlane_route)
    until(lambda: first.store.order(order.order_id_hex) and first.store.order(order.order_id_hex).state == "reported",
          first.step)
    first.close()  # dispatched on B, not yet delivered on A
    ((message_id, _),) = reports(world, hyperlane_route, order, start[1])
    assert processed(world, hyperlane_route, message_id, start[0]) == 0
    second = relayer(db, hyperlane=hyperlane_route)
    until(lambda: second.store.order(order.order_id_hex).state == "settled", second.step)
    for _ in range(2):
        second.step()
    assert len(reports(world, hyperlane_route, order, start[1])) == 1  # reported once
    assert processed(world, hyperlane_route, message_id, start[0]) == 1  # delivered once


def test_reorg_on_the_destination_before_the_checkpoint_is_signed(world: World, relayer, hyperlane_route,
                                                                  start) -> None:
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    r = relayer(hyperlane=hyperlane_route)
    until(lambda: r.store.order(order.order_id_hex), r.step)
    fill(world, order)
    world.b.mine(CONFIRMATIONS + 1)  # the fill is confirmed
    snapshot = world.b.w3.provider.make_request("evm_snapshot", [])["result"]
    r.step()  # reports the fill: a dispatch at the head, not confirmed yet
    assert r.store.order(order.order_id_hex).state == "reported"
    ((old, _),) = reports(world, hyperlane_route, order, start[1])
    world.b.w3.provider.make_request("evm_revert", [snapshot])  # the dispatch vanishes, the fill stays
    # someone else's message takes the Mailbox's nonce: a new report is a different message
    stranger = HexBytes(b"\x00" * 12 + HexBytes(hyperlane_route.oracle))
    world.b.send(world.deployer, hyperlane_route.b.mailbox.functions.dispatch(CHAIN_A, stranger, b"other"))
    until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.SETTLED, r.step)
    assert r.store.message(old) is None  # never verified, never signed
    assert not hyperlane_route.a.mailbox.functions.delivered(old).call()
    ((current, _),) = reports(world, hyperlane_route, order, start[1])
    assert current != old
    assert r.store.message(current).state == "delivered"


def test_a_message_that_is_not_in_the_hook_is_refused(world: World, relayer, hyperlane_route, start) -> None:
    """Pointed at a Merkle tree hook the Mailbox does not use, the relayer cannot find the
    reporter's messages among its leaves: it refuses them and signs nothing."""
    other = deploy(world.b.w3, world.deployer, "MerkleTreeHook", hyperlane_route.b.mailbox.address)
    configs = hyperlane_route.configs()
    configs[CHAIN_B] = HyperlaneConfig(mailbox=hyperlane_route.b.mailbox.address, reporter=hyperlane_route.reporter,
                                       merkle_tree_hook=other.address)
    chains = world.chains((world.a.w3.eth.block_number, world.b.w3.eth.block_number))
    for chain in chains:
        chain.hyperlane = configs[chain.chain_id]
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    fill(world, order)
    r = relayer(hyperlane=hyperlane_route, chains=chains)
    until(lambda: r.store.messages("refused"), r.step)
    (refused,) = r.store.messages("refused")
    assert "not a leaf" in (refused.last_error or "")
    assert not hyperlane_route.a.mailbox.functions.delivered(refused.message_id).call()
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN


def test_a_tree_that_differs_from_the_hook_stops_signing(world: World, relayer, hyperlane_route, tmp_path) -> None:
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    db = tmp_path / "tampered.sqlite"
    r = relayer(db, hyperlane=hyperlane_route)
    until(lambda: r.store.order(order.order_id_hex) and r.store.tree(CHAIN_B), r.step)
    with sqlite3.connect(db) as raw:  # the rebuilt tree no longer matches the chain's
        assert raw.execute("UPDATE trees SET count = count + 1 WHERE chain_id = ?", (CHAIN_B,)).rowcount == 1
    fill(world, order)
    errors: list[str] = []
    until(lambda: any("nothing is signed" in e for e in errors), lambda: errors.extend(r.step().errors))
    assert not r.store.messages("verified") and not r.store.messages("delivered")
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN


@pytest.mark.parametrize("keys", ["strangers", "below_threshold"])
def test_without_enough_validator_keys_nothing_is_delivered(world: World, relayer, hyperlane_route, keys) -> None:
    validator_keys = [bytes([0x77]) * 32, bytes([0x78]) * 32] if keys == "strangers" else [VALIDATORS[0].key]
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    fill(world, order)
    r = relayer(hyperlane=hyperlane_route, validator_keys=[HexBytes(k).to_0x_hex() for k in validator_keys])
    until(lambda: any(m.last_error for m in r.store.messages("verified")), r.step)
    (message,) = r.store.messages("verified")
    assert "configure more validator keys" in (message.last_error or "")
    assert not hyperlane_route.a.mailbox.functions.delivered(message.message_id).call()
    assert world.a.user.intents.origin_status(order.order_id) == OrderStatus.OPEN


def test_cli_relay_over_hyperlane(world: World, hyperlane_route, start, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for i, validator in enumerate(VALIDATORS):
        monkeypatch.setenv(f"TEST_VALIDATOR_{i}", validator.key.hex())
    monkeypatch.setenv("TEST_RELAYER_KEY", world.relayer_key)
    a, b = hyperlane_route.a, hyperlane_route.b
    toml = tmp_path / "relay.toml"
    toml.write_text(
        f'db = "{tmp_path / "relay.sqlite"}"\nsender_key_env = "TEST_RELAYER_KEY"\npoll_interval = 0.2\n'
        'validator_keys_env = ["TEST_VALIDATOR_0", "TEST_VALIDATOR_1", "TEST_VALIDATOR_2"]\n'
        f'\n[[chains]]\nchain_id = {CHAIN_A}\nrpc = "{world.a.chain.url}"\nstart_block = {start[0]}\n'
        f'oracle = "{world.oracle}"\n'  # a committee oracle as well: --oracle hyperlane leaves it out
        f'[chains.hyperlane]\nmailbox = "{a.mailbox.address}"\noracle = "{hyperlane_route.oracle}"\n'
        f'\n[[chains]]\nchain_id = {CHAIN_B}\nrpc = "{world.b.chain.url}"\nstart_block = {start[1]}\n'
        f'[chains.hyperlane]\nmailbox = "{b.mailbox.address}"\nreporter = "{hyperlane_route.reporter}"\n'
    )
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    fill(world, order)
    runner = CliRunner()
    rounds: list[dict[str, Any]] = []

    def relay() -> None:
        result = runner.invoke(cli, ["relay", "--config", str(toml), "--oracle", "hyperlane", "--once", "--json",
                                     "--quiet"])
        assert result.exit_code == 0, result.output
        rounds.extend(json.loads(line)["round"] for line in result.output.splitlines() if '"round"' in line)

    until(lambda: world.a.user.intents.origin_status(order.order_id) == OrderStatus.SETTLED, relay)
    assert sum(r["reported"] for r in rounds) == 1 and sum(r["delivered"] for r in rounds) == 1
    # without attester keys the committee part of the file cannot be relayed
    result = runner.invoke(cli, ["relay", "--config", str(toml), "--oracle", "committee", "--once"])
    assert result.exit_code == 1 and "attester_keys_env" in result.output and "Traceback" not in result.output


def test_dispatch_event_round_trips(world: World, hyperlane_route, start) -> None:
    """The relayer decodes what the reporter dispatched: origin B, destination A, sender the reporter."""
    order = world.order(oracle=hyperlane_route.oracle)
    world.a.user.intents.open(order)
    fill(world, order)
    reporter = HyperlaneReporter(world.b.w3, hyperlane_route.reporter)
    tx = reporter.report(CHAIN_A, [order], world.deployer)
    receipt = world.b.w3.eth.get_transaction_receipt(tx.tx_hash)
    (dispatch,) = hyperlane_route.b.mailbox.events.Dispatch().process_receipt(receipt, errors=DISCARD)
    message = Message.decode(dispatch.args.message)
    assert (message.origin, message.destination) == (CHAIN_B, CHAIN_A)
    assert message.sender[12:] == HexBytes(hyperlane_route.reporter)
    assert message.id.hex() == (tx.note or "")[2:]
    body = Report.decode(message.body)  # packed: the settlers, then (id, record)
    assert (body.origin_settler, body.destination_settler) == (world.a.user.intents.address,
                                                               world.b.user.intents.address)
    assert body.order_ids == (order.order_id,) and body.records == (world.b.user.intents.record_of(order.order_id),)
    assert body.encode() == message.body and len(message.body) == 40 + 64
