"""Relayed execution: the session key signs SessionRequest(grantHash,
nonce, deadline, calls) and anyone sends it; sequential nonces per grant,
inclusive deadline, the signature covers every call."""

import boa
import pytest

from .conftest import AGENT_OWNER, KEY, KEY2, OWNER, RELAYER, STRANGER
from .helpers import (
    MASK_32,
    POKE,
    Call,
    Permission,
    map_slot,
    pack_state,
    poke,
    storage_slot,
    unpack_state,
)


@pytest.fixture
def call(target):
    return Call(str(target.address), 5, poke(1, target.address, 2))


def test_relayed_execute(
    manager, make_grant, request_sig, execute_relayed, grant_hash, target, account, call, view):
    grant = make_grant()
    execute_relayed(grant, [call], request_sig(grant, [call]))
    assert (target.count(), str(target.lastCaller()), target.lastValue()) == (
        1,
        str(account.address),
        5,
    )
    state = view.grantState(grant.abi())
    assert (state.nonce, state.callsUsed, state.nativeSpent) == (1, 1, 5)
    assert (
        unpack_state(manager.stateOf(account.address, grant_hash(grant)))["nonce"] == 1
    )


def test_relayed_batch(manager, make_grant, request_sig, execute_relayed, target, call, view):
    grant = make_grant()
    calls = [call, Call(str(target.address), 0, poke(9)), call]
    execute_relayed(grant, calls, request_sig(grant, calls))
    assert target.count() == 3
    assert view.grantState(grant.abi()).nonce == 1


def test_sequential_nonces(
    manager, make_grant, request_sig, execute_relayed, grant_hash, refused, target, call, view):
    grant = make_grant()
    gh = grant_hash(grant)
    for nonce in range(3):
        execute_relayed(
            grant,
            [call],
            request_sig(grant, [call], nonce=nonce),
            sig=b"" if nonce else None,
        )
    assert view.grantState(grant.abi()).nonce == 3
    with refused("sessions: bad nonce", gh):
        execute_relayed(grant, [call], request_sig(grant, [call], nonce=2), sig=b"")
    with refused("sessions: bad nonce", gh):
        execute_relayed(grant, [call], request_sig(grant, [call], nonce=4), sig=b"")
    assert target.count() == 3


def test_replayed_request(
    make_grant, request_sig, execute_relayed, grant_hash, refused, target, call
):
    grant = make_grant()
    relay = request_sig(grant, [call])
    execute_relayed(grant, [call], relay)
    with refused("sessions: bad nonce", grant_hash(grant)):
        execute_relayed(grant, [call], relay, sig=b"")
    with refused("sessions: bad nonce", grant_hash(grant)):
        execute_relayed(grant, [call], relay, sig=b"", batch=True)
    assert target.count() == 1


def test_direct_use_does_not_consume_the_nonce(
    manager, make_grant, execute, request_sig, execute_relayed, target, call, view):
    grant = make_grant()
    relay = request_sig(grant, [call])
    execute(grant, target.address, 0, poke())
    assert view.grantState(grant.abi()).nonce == 0
    execute_relayed(grant, [call], relay, sig=b"")
    assert target.count() == 2


def test_deadline_inclusive(
    make_grant, request_sig, execute_relayed, grant_hash, refused, target, call, now
):
    grant = make_grant()
    relay = request_sig(grant, [call], deadline=now() + 30)
    boa.env.timestamp = now() + 31
    with refused("sessions: request expired", grant_hash(grant)):
        execute_relayed(grant, [call], relay)
    boa.env.timestamp = relay[1]
    execute_relayed(grant, [call], relay)
    assert target.count() == 1


def test_expired_request_is_checked_before_the_nonce(
    make_grant, request_sig, execute_relayed, grant_hash, refused, call, now
):
    grant = make_grant()
    with refused("sessions: request expired", grant_hash(grant)):
        execute_relayed(
            grant, [call], request_sig(grant, [call], nonce=9, deadline=now() - 1)
        )


@pytest.mark.parametrize("signer", ["other_key", "stranger", "account_owner"])
def test_request_signed_by_wrong_key(
    make_grant, request_sig, execute_relayed, grant_hash, refused, call, signer
):
    grant = make_grant()
    key = {"other_key": KEY2, "stranger": STRANGER, "account_owner": OWNER}[signer]
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], request_sig(grant, [call], signer=key))


def test_signature_covers_every_call(
    make_grant, request_sig, execute_relayed, grant_hash, refused, target, token, call
):
    grant = make_grant()
    calls = [call, Call(str(target.address), 0, poke(7))]
    relay = request_sig(grant, calls)
    gh = grant_hash(grant)
    tampered = [
        [calls[1], calls[0]],  # order
        calls[:1],  # dropped call
        calls + [calls[1]],  # added call
        [Call(call.target, call.value + 1, call.data), calls[1]],  # value
        [Call(call.target, call.value, poke(2, target.address, 2)), calls[1]],  # data
        [Call(str(token.address), call.value, call.data), calls[1]],  # target
    ]
    for changed in tampered:
        with refused("sessions: bad request signature", gh):
            execute_relayed(grant, changed, relay, batch=True)
    execute_relayed(grant, calls, relay)
    assert target.count() == 2


def test_request_bound_to_its_deadline_and_grant(
    make_grant, request_sig, execute_relayed, grant_hash, refused, call, now
):
    grant = make_grant()
    other = make_grant(salt=b"\x07" * 32)
    nonce, deadline, signature = request_sig(grant, [call])
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], (nonce, deadline + 1, signature))
    with refused("sessions: bad request signature", grant_hash(other)):
        execute_relayed(other, [call], (nonce, deadline, signature))


def test_single_request_also_runs_as_batch_of_one(
    manager, make_grant, request_sig, execute_relayed, target, call, view):
    """execute hashes its call as a one-element array: the same signed
    request may be sent through executeBatch with that one call (same
    effect, same nonce)."""
    grant = make_grant()
    execute_relayed(grant, [call], request_sig(grant, [call]), batch=True)
    assert target.count() == 1
    assert view.grantState(grant.abi()).nonce == 1


def test_anyone_may_relay(make_grant, request_sig, execute_relayed, target, call):
    grant = make_grant()
    for nonce, sender in enumerate(
        [RELAYER, STRANGER.address, KEY.address, grant.account]
    ):
        execute_relayed(
            grant, [call], request_sig(grant, [call], nonce=nonce), sender=sender
        )
    assert target.count() == 4


def test_empty_relay_signature_means_direct(
    make_grant, execute_relayed, grant_hash, refused, call, now
):
    """A relay argument with an empty signature is the direct path: the
    sender must then be the session key."""
    grant = make_grant()
    with refused("sessions: not the session key", grant_hash(grant)):
        execute_relayed(grant, [call], (0, now() + 60, b""))
    execute_relayed(grant, [call], (0, now() + 60, b""), sender=KEY.address)


def test_relayed_request_still_checks_the_grant(
    registry,
    make_grant,
    request_sig,
    execute_relayed,
    grant_hash,
    refused,
    target,
    agent_id,
):
    grant = make_grant(permissions=[Permission(str(target.address), POKE, 1)])
    gh = grant_hash(grant)
    too_much = Call(str(target.address), 2, poke())
    with refused("sessions: call 0 value too high", gh):
        execute_relayed(grant, [too_much], request_sig(grant, [too_much]))
    fine = Call(str(target.address), 1, poke())
    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    with refused("sessions: agent not active", gh):
        execute_relayed(grant, [fine], request_sig(grant, [fine]))


def test_refused_relayed_request_keeps_its_nonce(
    manager, make_grant, request_sig, execute_relayed, target, call, view):
    grant = make_grant(native_budget=4)  # call sends 5
    relay = request_sig(grant, [call])
    with boa.reverts("sessions: over native budget"):
        execute_relayed(grant, [call], relay)
    ok = Call(call.target, 4, call.data)
    execute_relayed(grant, [ok], request_sig(grant, [ok], nonce=0))
    assert view.grantState(grant.abi()).nonce == 1


def test_nonces_used_up(
    world,
    manager,
    make_grant,
    activate,
    request_sig,
    execute_relayed,
    grant_hash,
    refused,
    call,
    account, view):
    """White-box: the 32-bit nonce field at its last value (set in storage)
    refuses a correctly signed request for that nonce."""
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    slot = map_slot(storage_slot(manager, "_grants"), str(account.address), gh)
    assert boa.env.get_storage(str(manager.address), slot) == manager.stateOf(
        account.address, gh
    )
    word = manager.stateOf(account.address, gh)
    boa.env.set_storage(str(manager.address), slot, word | pack_state(nonce=MASK_32))
    assert view.grantState(grant.abi()).nonce == MASK_32
    with refused("sessions: nonces used up", gh):
        execute_relayed(
            grant, [call], request_sig(grant, [call], nonce=MASK_32), sig=b""
        )
    boa.env.set_storage(
        str(manager.address), slot, word | pack_state(nonce=MASK_32 - 1)
    )
    execute_relayed(
        grant, [call], request_sig(grant, [call], nonce=MASK_32 - 1), sig=b""
    )
    assert view.grantState(grant.abi()).nonce == MASK_32
