"""Views: grantState (every status code and field), stateOf (the documented
state word), epochOf, maxSessionLengthOf, REGISTRY; the constructor."""

import boa
import pytest

from .conftest import AGENT_OWNER, KEY, OWNER, RECIPIENT
from .helpers import (
    ACTIVE,
    AGENT_INACTIVE,
    DEFAULT_MAX_SESSION,
    EXHAUSTED,
    EXPIRED,
    MASK_32,
    NOT_YET_VALID,
    PENDING,
    REVOKED,
    REVOKED_ALL,
    STORED_ACTIVE,
    TRANSFER,
    ZERO_ADDRESS,
    Call,
    Permission,
    TokenBudget,
    fixed_address,
    map_slot,
    pack_state,
    poke,
    storage_slot,
    transfer,
    unpack_state,
)


def test_registry_view(manager, registry):
    assert str(manager.REGISTRY()) == str(registry.address)


def test_zero_registry_refused(world):
    with boa.reverts("sessions: zero registry"):
        world.manager_deployer.deploy(ZERO_ADDRESS, world.manager.EXTENSION())
    with boa.reverts("sessions: zero registry"):
        activator = world.extension_deployer.at(world.manager.EXTENSION()).ACTIVATOR()
        world.extension_deployer.deploy(ZERO_ADDRESS, activator)


def test_extension_without_activator_refused(world, registry):
    with boa.reverts("sessions: no activator"):
        world.extension_deployer.deploy(registry.address, ZERO_ADDRESS)


def test_manager_without_extension_refused(world, registry):
    with boa.reverts("sessions: no extension"):
        world.manager_deployer.deploy(registry.address, ZERO_ADDRESS)
    with boa.reverts("sessions: no extension"):
        world.manager_deployer.deploy(registry.address, OWNER.address)


def test_extension_refuses_direct_calls(manager, make_grant):
    """The extension's code runs only as the manager's: called at its own
    address it refuses, whatever the caller."""
    grant = make_grant()
    with boa.reverts("sessions: call the manager"):
        manager.extension.renounce(grant.abi(), sender=grant.session_key)
    with boa.reverts("sessions: call the manager"):
        manager.extension.setMaxSessionLength(3_600, sender=OWNER.address)
    with boa.reverts("sessions: call the manager"):
        manager.extension.executeBatch(grant.abi(), b"", [], sender=grant.session_key)


def test_grant_state_of_fresh_grant(manager, make_grant, now, view):
    grant = make_grant(max_calls=5, native_budget=77)
    state = view.grantState(grant.abi())
    assert state.status == PENDING
    assert (state.callsUsed, state.callsLeft, state.nativeSpent, state.nativeLeft) == (
        0,
        5,
        0,
        77,
    )
    assert (state.lastCall, state.validAfter, state.validUntil, state.nonce) == (
        0,
        grant.valid_after,
        grant.valid_until,
        0,
    )


def test_grant_state_fields_after_use(
    manager, make_grant, execute, request_sig, execute_relayed, target, now, view):
    grant = make_grant(max_calls=5, native_budget=100)
    execute(grant, target.address, 30, poke())
    boa.env.time_travel(seconds=17)
    call = Call(str(target.address), 20, poke())
    execute_relayed(grant, [call, call], request_sig(grant, [call, call]), sig=b"")
    state = view.grantState(grant.abi())
    assert state.status == ACTIVE
    assert (state.callsUsed, state.callsLeft) == (3, 2)
    assert (state.nativeSpent, state.nativeLeft) == (70, 30)
    assert (state.lastCall, state.nonce) == (now(), 1)


def test_unlimited_calls_left(manager, make_grant, execute, target, view):
    grant = make_grant(max_calls=0)
    execute(grant, target.address, 0, poke())
    assert view.grantState(grant.abi()).callsLeft == MASK_32


def test_status_codes(
    world,
    manager,
    registry,
    make_grant,
    activate,
    execute,
    as_account,
    target,
    account,
    agent_id,
    now,
    view,
):
    def status(g):
        return view.grantState(g.abi()).status

    pending = make_grant(salt=b"\x01" * 32)
    assert status(pending) == PENDING
    active = make_grant(salt=b"\x02" * 32)
    activate(active)
    assert status(active) == ACTIVE
    exhausted = make_grant(salt=b"\x03" * 32, max_calls=1)
    activate(exhausted)
    assert status(exhausted) == EXHAUSTED
    later = make_grant(
        salt=b"\x04" * 32, valid_after=now() + 10, valid_until=now() + 20
    )
    assert status(later) == NOT_YET_VALID
    revoked = make_grant(salt=b"\x05" * 32)
    with boa.env.prank(KEY.address):
        manager.renounce(revoked.abi())
    assert status(revoked) == REVOKED

    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    assert [status(g) for g in (pending, active, exhausted)] == [AGENT_INACTIVE] * 3
    assert status(revoked) == REVOKED  # revoked wins
    with boa.env.prank(AGENT_OWNER):
        registry.resume(agent_id)

    boa.env.timestamp = active.valid_until
    assert status(active) == ACTIVE  # last second
    boa.env.timestamp = active.valid_until + 1
    assert status(active) == EXPIRED
    assert status(pending) == EXPIRED
    boa.env.timestamp = active.valid_after

    as_account(account.address, "revokeAll()")
    assert [status(g) for g in (pending, active, exhausted, later)] == [REVOKED_ALL] * 4
    assert status(revoked) == REVOKED


def test_status_precedence(
    manager, registry, make_grant, activate, as_account, account, agent_id, now, view):
    """Revoked > revoked by revokeAll > expired > not yet valid > agent
    inactive > calls used up, as the view's docstring orders them."""
    grant = make_grant(max_calls=1)
    activate(grant)
    with boa.env.prank(AGENT_OWNER):
        registry.retire(agent_id)
    assert view.grantState(grant.abi()).status == AGENT_INACTIVE  # over "exhausted"
    boa.env.timestamp = grant.valid_until + 1
    assert view.grantState(grant.abi()).status == EXPIRED
    as_account(account.address, "revokeAll()")
    assert view.grantState(grant.abi()).status == REVOKED_ALL
    as_account(account.address, "revoke(bytes32)", view.hashGrant(grant.abi()))
    assert view.grantState(grant.abi()).status == REVOKED


def test_state_word_layout(
    manager,
    make_grant,
    execute,
    request_sig,
    execute_relayed,
    grant_hash,
    target,
    account,
    now,
):
    grant = make_grant()
    gh = grant_hash(grant)
    execute(grant, target.address, 11, poke())
    call = Call(str(target.address), 4, poke())
    boa.env.time_travel(seconds=5)
    execute_relayed(grant, [call] * 3, request_sig(grant, [call] * 3), sig=b"")
    word = manager.stateOf(account.address, gh)
    assert word == pack_state(STORED_ACTIVE, calls=4, last=now(), nonce=1, native=23)
    assert unpack_state(word) == {
        "status": 1,
        "calls": 4,
        "last": now(),
        "nonce": 1,
        "native": 23,
    }
    # the view is the storage word (white-box helpers rely on it)
    slot = map_slot(storage_slot(manager, "_grants"), str(account.address), gh)
    assert boa.env.get_storage(str(manager.address), slot) == word


def test_state_of_unknown(manager, account):
    assert manager.stateOf(account.address, b"\x11" * 32) == 0


def test_epoch_and_length_of_unused_account(manager):
    nobody = fixed_address("nobody")
    assert manager.epochOf(nobody) == 0
    assert manager.maxSessionLengthOf(nobody) == DEFAULT_MAX_SESSION


def test_token_spend_word(manager, make_grant, execute, grant_hash, token, now):
    """The (grant, token) word: spent this period | period index << 128."""
    start = now()
    grant = make_grant(
        valid_after=start,
        permissions=[Permission(str(token.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(token.address), 100, 10)],
    )
    gh = grant_hash(grant)
    slot = map_slot(storage_slot(manager, "_spent"), gh, str(token.address))
    boa.env.timestamp = start + 35
    execute(grant, token.address, 0, transfer(RECIPIENT, 9))
    assert boa.env.get_storage(str(manager.address), slot) == (3 << 128) | 9


@pytest.mark.parametrize("first", ["execute", "issue"])
def test_activation_marks_account_in_use(
    manager, make_grant, execute, issue, target, account, first
):
    """Activation sets bit 255 of the account word (documented gas trick);
    the epoch and maximum length read through it unchanged."""
    slot = map_slot(storage_slot(manager, "_accounts"), str(account.address))
    assert boa.env.get_storage(str(manager.address), slot) == 0
    grant = make_grant()
    if first == "execute":
        execute(grant, target.address, 0, poke())
    else:
        issue(grant)
    assert boa.env.get_storage(str(manager.address), slot) == 1 << 255
    assert manager.epochOf(account.address) == 0
