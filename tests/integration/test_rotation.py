"""A committee hands its oracle over to a new committee on a real chain: orders
that named the old oracle are proven by the new members (the relayer follows
the hand-over by itself), and the old members' proofs stop counting."""

from __future__ import annotations

import pytest
from eth_account import Account

from charter.exceptions import InvalidInput, NotDeployed, NotProven, OracleRefused
from charter.intents import AttesterOracle, FillRecord, OrderStatus, attest, deploy_oracle, fill_attestation

from .conftest import CHAIN_A, COMMITTEE, World, until

OLD = COMMITTEE[:2]  # 2-of-2: another oracle than the session's 2-of-3
NEW = [Account.from_key(bytes([0x21 * (i + 1)]) * 32) for i in range(3)]


def ascending(members):
    return sorted(members, key=lambda m: int(m.address, 16))


def proof(oracle: str, members, order, record_hash: bytes) -> bytes:
    return b"".join(attest(m, oracle, fill_attestation(order, record_hash)) for m in ascending(members))


def rotation_signatures(old: AttesterOracle, successor: str, members) -> dict[str, bytes]:
    typed = old.rotation_typed_data(successor)
    return {m.address: bytes(Account.sign_typed_data(m.key, full_message=typed).signature) for m in members}


def test_relayer_settles_through_a_rotated_oracle(world: World, relayer) -> None:
    old_address = deploy_oracle(world.a.w3, world.deployer, [m.address for m in OLD], 2)
    old = AttesterOracle(world.a.w3, old_address, world.deployer)
    assert old.current() is old and old.successor() is None and old.epoch() == 1
    new_address = deploy_oracle(world.a.w3, world.deployer, [m.address for m in NEW], 2, predecessor=old_address)
    new = AttesterOracle(world.a.w3, new_address)
    assert new.predecessor() == old_address and new.epoch() == 2

    # Two orders name the old oracle; one is filled before the hand-over.
    before, after = world.order(oracle=old_address), world.order(oracle=old_address)
    for order in (before, after):
        world.a.user.intents.open(order)
    record = FillRecord(payout=world.filler.address, filler_agent_id=world.filler_agent)
    world.b.filler.intents.fill(before, record)
    old_proof = proof(old_address, OLD, before, record.hash)
    assert old.is_proven(before, record.hash, old_proof)

    # Only the old committee can hand over, and only once.
    with pytest.raises(OracleRefused, match="not signed by enough members"):
        old.rotate(new_address, rotation_signatures(old, new_address, NEW[:2]))
    old.rotate(new_address, rotation_signatures(old, new_address, OLD))
    assert old.successor() == new_address and old.current().address == new_address
    with pytest.raises(OracleRefused, match="already handed over"):
        old.rotate(new_address, rotation_signatures(old, new_address, OLD))

    # The old members' proof no longer settles; the new members' does, asked through the old oracle.
    assert not old.is_proven(before, record.hash, old_proof)
    with pytest.raises(NotProven):
        world.a.user.intents.settle([(before, record, old_proof)])
    # signed in the new oracle's domain: the old one's would be another message
    assert not old.is_proven(before, record.hash, proof(old_address, NEW[:2], before, record.hash))
    assert old.is_proven(before, record.hash, proof(new_address, NEW[:2], before, record.hash))

    # A relayer configured with the old oracle and the new keys settles both.
    world.b.filler.intents.fill(after, record)
    r = relayer(oracles={CHAIN_A: old_address}, attester_keys=[m.key.hex() for m in NEW])
    until(
        lambda: all(world.a.user.intents.origin_status(o.order_id) == OrderStatus.SETTLED for o in (before, after)),
        r.step,
    )


def test_sdk_refuses_a_hand_over_to_an_oracle_that_does_not_succeed_it(world: World) -> None:
    old_address = deploy_oracle(world.a.w3, world.deployer, [OLD[0].address], 1)
    old = AttesterOracle(world.a.w3, old_address, world.deployer)
    stranger = deploy_oracle(world.a.w3, world.deployer, [m.address for m in NEW], 2)  # no predecessor
    with pytest.raises(InvalidInput, match="does not succeed"):
        old.rotate(stranger, rotation_signatures(old, stranger, OLD[:1]))
    missing = "0x" + "ab" * 20
    with pytest.raises(NotDeployed):
        old.rotate(missing, rotation_signatures(old, missing, OLD[:1]))
    assert old.successor() is None
