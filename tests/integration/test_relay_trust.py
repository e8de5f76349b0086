"""The relayer's trust work on two real anvils (issue 21): settled orders' receipts recorded once in the
origin's backed registry (restarts, someone else first, a dropped transaction), and the committee answering
validation requests about fills from its attesters' keys (100 for the filler's agent, 0 for a refund or another
agent, nothing while open, ignored when not a fill request, once across restarts and a fresh db)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from eth_account import Account

from charter.intents import FillRecord, Order, OrderStatus
from charter.processes.store import ValidationRow
from charter.processes.validate import TAG
from charter.registry.represent import AgentState, CommitteeInbox, represented_id
from charter.trust import fill_request

from .conftest import CHAIN_A, CHAIN_B, COMMITTEE, World, until


def _recorded(world: World, order: Order, start: int) -> int:
    """ReceiptRecorded events of `order` in A's backed registry since `start`."""
    registry = world.a.user.backed_reputation.contract
    return len(registry.events.ReceiptRecorded().get_logs(from_block=start, argument_filters={"orderId":
                                                                                              order.order_id}))


def _fund(world: World, address: str) -> None:
    for side in (world.a, world.b):
        if side.w3.eth.get_balance(address) == 0:
            side.w3.eth.wait_for_transaction_receipt(
                world.deployer.send_transaction(side.w3, {"to": address, "value": 10**18}))


# ---------------------------------------------------------------- receipts


def test_receipts_are_recorded_once_whatever_happens(world: World, relayer, tmp_path: Path,
                                                     start: tuple[int, int]) -> None:
    """Three orders settled on A: `ours` settled by the relayer and left pending when it stops (recorded after
    the restart), `theirs` settled and recorded by someone else (skipped: no transaction), `dropped` whose
    recordReceipt vanished (a reorg): sent again. Each receipt is recorded exactly once."""
    ours, theirs, dropped = world.order(), world.order(), world.order()
    for order in (ours, theirs, dropped):
        world.a.user.intents.open(order)
    db = tmp_path / "receipts.sqlite"
    first = relayer(db)
    assert first.receipts is not None
    first.receipts.round = lambda chain, report: None  # type: ignore[method-assign]  # stops before recording
    until(lambda: all(first.store.order(o.order_id_hex) for o in (ours, theirs, dropped)), first.step)

    record = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    for order in (ours, theirs, dropped):
        world.b.filler.intents.fill(order, record)
    # someone settles `theirs` at once (before the relayer reads the fill) and records its receipt
    world.a.user.intents.settle([(theirs, record, world.proof(theirs, record.hash))])
    world.a.user.backed_reputation.record_receipt(theirs.order_id, from_block=start[0])

    until(lambda: all(first.store.receipt_state(o.order_id_hex) == "pending" for o in (ours, theirs, dropped)),
          first.step, timeout=40)
    assert all(first.store.order(o.order_id_hex).state == "settled" for o in (ours, theirs, dropped))
    assert world.a.user.backed_reputation.receipt(ours.order_id) is None
    # `dropped`: a recordReceipt was sent and a reorg removed it (its hash is known to no node)
    first.store.update_receipt(dropped.order_id_hex, state="sent", tx_hash="0x" + "ab" * 32)
    first.close()  # stopped between the settlement and the receipts

    second = relayer(db)
    until(lambda: all(second.store.receipt_state(o.order_id_hex) == "recorded" for o in (ours, theirs, dropped)),
          second.step)
    for _ in range(3):
        second.step()
    assert [_recorded(world, o, start[0]) for o in (ours, theirs, dropped)] == [1, 1, 1]
    assert second.store.receipt_tx(theirs.order_id_hex) is None  # seen recorded: nothing sent
    for order in (ours, dropped):
        tx = second.store.receipt_tx(order.order_id_hex)
        assert tx is not None and tx != "0x" + "ab" * 32
        assert world.a.w3.eth.get_transaction(tx)["from"] == Account.from_key(world.relayer_key).address
    receipt = world.a.user.backed_reputation.receipt(ours.order_id)
    assert receipt is not None and (receipt.filler_agent_id, receipt.filler_chain_id) == (world.filler_agent, CHAIN_B)

    # the parties review each other without recording anything
    given = world.a.filler.backed_reputation.give_for_order(ours.order_id, 80)
    assert given.note is None and given.agent_id == world.user_agent
    assert "receipts: 3 recorded" in second.progress()


# ---------------------------------------------------------------- validation requests


@pytest.fixture
def funded(world: World) -> None:
    """COMMITTEE[0] can pay for its answers on both chains."""
    _fund(world, COMMITTEE[0].address)


def test_the_committee_answers_fill_requests_it_can_vouch_for(
    world: World, relayer, tmp_path: Path, start: tuple[int, int], funded: None, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="charter.relay")
    member = COMMITTEE[0].address
    outsider = Account.create()  # an attester key of the relayer's without gas: warned about, answers once funded
    filled, mirrored, refunded = world.order(), world.order(), world.order(fill_within=60)
    for order in (filled, mirrored, refunded):
        world.a.user.intents.open(order)
    # the filler's agent (of B) as A knows it: represented through the orders' committee oracle
    state = AgentState.read(world.b.filler.registry, world.filler_agent)
    inbox = CommitteeInbox(world.a.w3, world.oracle, world.deployer)
    inbox.deliver(state, inbox.proof(state, COMMITTEE[:2]))
    mirror = represented_id(world.oracle, CHAIN_B, world.filler_agent)

    def ask(side, agent: int, validator: str, order: Order) -> bytes:
        uri, _ = fill_request(CHAIN_A, order.order_id)
        return bytes.fromhex(side.validation.request(validator, agent, uri).request_hash[2:])

    by_filler = ask(world.b.filler, world.filler_agent, member, filled)       # 100, asked while open
    by_other = ask(world.a.user, world.user_agent, member, filled)            # 0: another agent
    by_mirror = ask(world.a.filler, mirror, member, mirrored)                 # 100: its representation on A
    to_outsider = ask(world.b.filler, world.filler_agent, outsider.address, mirrored)  # 100 once funded
    of_refund = ask(world.b.filler, world.filler_agent, member, refunded)     # 0: refunded
    validation = world.b.filler.validation
    uri, _ = fill_request(CHAIN_A, b"\x03" * 32)
    not_ours = bytes.fromhex(validation.request(world.deployer.address, world.filler_agent, uri).request_hash[2:])
    uri, _ = fill_request(CHAIN_A, b"\x01" * 32)
    wrong_hash = bytes.fromhex(validation.request(member, world.filler_agent, uri,
                                                  request_hash=b"\x5a" * 32).request_hash[2:])
    not_fill = bytes.fromhex(validation.request(member, world.filler_agent, f"ipfs://work/{world.b.now}")
                             .request_hash[2:])
    uri, _ = fill_request(999, b"\x02" * 32)
    elsewhere = bytes.fromhex(validation.request(member, world.filler_agent, uri).request_hash[2:])  # made last

    db = tmp_path / "validate.sqlite"
    keys = [*(m.key.hex() for m in COMMITTEE), outsider.key.hex()]
    r = relayer(db, attester_keys=keys, record_receipts=False)
    assert r.receipts is None and r.validations is not None

    def row(chain: int, request: bytes) -> ValidationRow:
        found = r.store.validation(chain, request)
        assert found is not None
        return found

    def looked_at() -> bool:
        seen = [r.store.validation(CHAIN_B, h) for h in (by_filler, elsewhere)]
        seen += [r.store.validation(CHAIN_A, h) for h in (by_other, by_mirror)]
        return all(seen) and seen[0] is not None and seen[0].attempts >= 2

    # read at the confirmation depth, looked at while open: nothing answered
    until(looked_at, r.step)
    assert row(CHAIN_B, by_filler).state == "waiting" and validation.status(by_filler).tag == ""
    assert row(CHAIN_B, wrong_hash).state == "ignored" and "keccak256" in row(CHAIN_B, wrong_hash).reason
    assert row(CHAIN_B, not_fill).state == "ignored" and "not a fill request" in row(CHAIN_B, not_fill).reason
    assert row(CHAIN_B, elsewhere).state == "ignored" and "999" in row(CHAIN_B, elsewhere).reason
    assert r.store.validation(CHAIN_B, not_ours) is None  # another validator's
    assert f"attester {outsider.address} has no ETH" in caplog.text

    record = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    for order in (filled, mirrored):
        world.b.filler.intents.fill(order, record)
    world.b.warp(120)  # `refunded`'s fill deadline passes on B: recorded unfilled, refunded with proof
    answered = [(CHAIN_B, by_filler), (CHAIN_A, by_other), (CHAIN_A, by_mirror), (CHAIN_B, of_refund)]
    until(lambda: all(row(c, h).state == "answered" for c, h in answered), r.step, timeout=45)
    assert world.a.user.intents.origin_status(refunded.order_id) == OrderStatus.REFUNDED
    scores = {h: (world.a if c == CHAIN_A else world.b).user.validation.status(h) for c, h in answered}
    assert {h: (s.response, s.tag) for h, s in scores.items()} == {
        by_filler: (100, TAG), by_other: (0, TAG), by_mirror: (100, TAG), of_refund: (0, TAG)}
    responses = {log["args"]["requestHash"]: log["args"]["responseURI"] for side in (world.a, world.b)
                 for log in side.user.validation.contract.events.ValidationResponse().get_logs(
                     from_block=start[0] if side is world.a else start[1])}
    assert responses[by_filler].startswith(f"charter:settled:{CHAIN_A}:0x{filled.order_id.hex()}:0x")
    assert responses[of_refund].startswith(f"charter:refunded:{CHAIN_A}:0x{refunded.order_id.hex()}:0x")
    assert row(CHAIN_B, to_outsider).state == "waiting"  # its key has no gas: not a crash, not answered

    _fund(world, outsider.address)
    until(lambda: row(CHAIN_B, to_outsider).state == "answered", r.step)
    assert validation.status(to_outsider).response == 100

    # once: the same db after a restart, and a fresh db (the registry shows the answers)
    r.close()
    every = [*answered, (CHAIN_B, to_outsider)]

    def answers_again(path: Path) -> None:
        again = relayer(path, attester_keys=keys)
        until(lambda: [getattr(again.store.validation(c, h), "state", None) for c, h in every]
              == ["answered"] * len(every), again.step)
        again.step()
        again.close()

    answers_again(db)
    answers_again(tmp_path / "fresh.sqlite")
    counts: dict[tuple[int, bytes], int] = {}  # a request hash is unique per registry (chain)
    for chain, side, block in ((CHAIN_A, world.a, start[0]), (CHAIN_B, world.b, start[1])):
        for log in side.user.validation.contract.events.ValidationResponse().get_logs(from_block=block):
            key = (chain, bytes(log["args"]["requestHash"]))
            counts[key] = counts.get(key, 0) + 1
    assert all(counts[key] == 1 for key in every)
    assert not {(CHAIN_B, h) for h in (wrong_hash, not_fill, elsewhere, not_ours)} & set(counts)
