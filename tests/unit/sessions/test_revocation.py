"""revoke, revokeAll (epochs), renounce, setMaxSessionLength, and their
events."""

import boa
import pytest

from .conftest import KEY, KEY2, OWNER, STRANGER
from .helpers import (
    DAY,
    DEFAULT_MAX_SESSION,
    MASK_64,
    MAX_SESSION_CEILING,
    STORED_REVOKED,
    Event,
    decode_events,
    map_slot,
    poke,
    storage_slot,
)

# ---------------------------------------------------------------- revoke


def test_revoke_active_grant(
    manager,
    make_grant,
    activate,
    as_account,
    execute,
    grant_hash,
    refused,
    target,
    account, view):
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    called = as_account(account.address, "revoke(bytes32)", gh)
    assert decode_events(called, manager) == [
        Event(
            "GrantRevoked",
            {
                "grantHash": gh,
                "account": str(account.address),
                "revokedBy": str(account.address),
            },
        )
    ]
    assert manager.stateOf(account.address, gh) & 0xFF == STORED_REVOKED
    assert view.grantState(grant.abi()).status == 2
    with refused("sessions: revoked", gh):
        execute(grant, target.address, 0, poke(), sig=b"")
    with refused("sessions: revoked", gh):  # the signature does not bring it back
        execute(grant, target.address, 0, poke())


def test_revoke_keeps_the_counters(
    manager, make_grant, activate, as_account, grant_hash, account, view):
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    before = manager.stateOf(account.address, gh)
    as_account(account.address, "revoke(bytes32)", gh)
    assert manager.stateOf(account.address, gh) == (before & ~0xFF) | STORED_REVOKED
    state = view.grantState(grant.abi())
    assert (state.status, state.callsUsed) == (2, 1)


def test_revoke_grant_never_used(
    manager, make_grant, as_account, execute, grant_hash, refused, target, account, view):
    grant = make_grant()
    gh = grant_hash(grant)
    as_account(account.address, "revoke(bytes32)", gh)
    assert view.grantState(grant.abi()).status == 2
    with refused("sessions: revoked", gh):
        execute(grant, target.address, 0, poke())


def test_revoke_issued_grant_then_issue_again(
    make_grant, issue, as_account, grant_hash, refused, account
):
    grant = make_grant()
    issue(grant)
    as_account(account.address, "revoke(bytes32)", grant_hash(grant))
    with refused("sessions: grant exists", grant_hash(grant)):
        issue(grant)


def test_revoke_twice(make_grant, as_account, grant_hash, refused, account):
    gh = grant_hash(make_grant())
    as_account(account.address, "revoke(bytes32)", gh)
    with refused("sessions: already revoked", gh):
        as_account(account.address, "revoke(bytes32)", gh)


def test_revoke_only_touches_the_callers_grants(
    manager, make_grant, activate, grant_hash, execute, target, account, view):
    """Anyone may call revoke, but it writes only under msg.sender."""
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    for sender in (STRANGER.address, KEY.address, OWNER.address):
        with boa.env.prank(sender):
            manager.revoke(gh)
        assert manager.stateOf(sender, gh) & 0xFF == STORED_REVOKED
    execute(grant, target.address, 0, poke(), sig=b"")
    assert view.grantState(grant.abi()).status == 1


def test_revoke_by_eip7702_account(
    world,
    manager,
    make_grant,
    activate,
    as_account,
    grant_hash,
    refused,
    execute,
    target,
):
    eoa = world.eoa_account
    grant = make_grant(account=eoa.address)
    activate(grant)
    as_account(eoa.address, "revoke(bytes32)", grant_hash(grant))
    with refused("sessions: revoked", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


# ---------------------------------------------------------------- revokeAll


def test_revoke_all(
    manager,
    make_grant,
    activate,
    as_account,
    execute,
    grant_hash,
    refused,
    target,
    account, view):
    used, unused = make_grant(), make_grant(salt=b"\x01" * 32)
    activate(used)
    called = as_account(account.address, "revokeAll()")
    assert decode_events(called, manager) == [
        Event("AllGrantsRevoked", {"account": str(account.address), "epoch": 1})
    ]
    assert manager.epochOf(account.address) == 1
    for grant in (used, unused):
        assert view.grantState(grant.abi()).status == 3
        with refused("sessions: revoked by revokeAll", grant_hash(grant)):
            execute(grant, target.address, 0, poke())
    fresh = make_grant(epoch=1)
    execute(fresh, target.address, 0, poke())
    assert target.count() == 2


def test_revoke_all_is_per_account(
    world, manager, make_grant, activate, as_account, execute, target, account
):
    other = make_grant(account=world.account_b.address)
    activate(other)
    as_account(account.address, "revokeAll()")
    assert manager.epochOf(world.account_b.address) == 0
    execute(other, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_revoke_all_repeatedly(manager, as_account, account):
    for epoch in range(1, 4):
        called = as_account(account.address, "revokeAll()")
        assert decode_events(called, manager) == [
            Event("AllGrantsRevoked", {"account": str(account.address), "epoch": epoch})
        ]
    assert manager.epochOf(account.address) == 3


def test_future_epoch(
    make_grant, execute, as_account, grant_hash, refused, target, account
):
    """A grant naming an epoch the account has not reached is refused until
    revokeAll brings the account there (then the older ones stop)."""
    future = make_grant(epoch=1)
    with refused("sessions: future epoch", grant_hash(future)):
        execute(future, target.address, 0, poke())
    as_account(account.address, "revokeAll()")
    execute(future, target.address, 0, poke())
    assert target.count() == 1


def test_revoke_all_keeps_max_session_length(manager, as_account, account):
    as_account(account.address, "setMaxSessionLength(uint256)", 3 * DAY)
    as_account(account.address, "revokeAll()")
    assert manager.maxSessionLengthOf(account.address) == 3 * DAY
    assert manager.epochOf(account.address) == 1


def test_epoch_overflow(manager, as_account, account):
    """White-box: an account at the last 64-bit epoch cannot move on."""
    slot = map_slot(storage_slot(manager, "_accounts"), str(account.address))
    boa.env.set_storage(str(manager.address), slot, (1 << 255) | (MASK_64 - 1))
    as_account(account.address, "revokeAll()")
    assert manager.epochOf(account.address) == MASK_64
    with boa.reverts("sessions: epoch overflow"):
        as_account(account.address, "revokeAll()")
    assert manager.epochOf(account.address) == MASK_64


# ---------------------------------------------------------------- renounce


def test_renounce(
    manager, make_grant, activate, execute, grant_hash, refused, target, account, view):
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    with boa.env.prank(KEY.address):
        manager.renounce(grant.abi())
    assert decode_events(manager, manager) == [
        Event(
            "GrantRevoked",
            {
                "grantHash": gh,
                "account": str(account.address),
                "revokedBy": KEY.address,
            },
        )
    ]
    assert view.grantState(grant.abi()).status == 2
    with refused("sessions: revoked", gh):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_renounce_never_used_grant(
    manager, make_grant, execute, grant_hash, refused, target
):
    grant = make_grant()
    with boa.env.prank(KEY.address):
        manager.renounce(grant.abi())
    with refused("sessions: revoked", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


def test_renounce_only_by_the_session_key(
    manager, make_grant, grant_hash, refused, account
):
    grant = make_grant()
    for sender in (KEY2.address, OWNER.address, STRANGER.address, str(account.address)):
        with (
            refused("sessions: not the session key", grant_hash(grant)),
            boa.env.prank(sender),
        ):
            manager.renounce(grant.abi())


def test_renounce_twice_and_after_revoke(
    manager, make_grant, as_account, grant_hash, refused, account
):
    grant = make_grant()
    with boa.env.prank(KEY.address):
        manager.renounce(grant.abi())
    with (
        refused("sessions: already revoked", grant_hash(grant)),
        boa.env.prank(KEY.address),
    ):
        manager.renounce(grant.abi())
    other = make_grant(salt=b"\x02" * 32)
    as_account(account.address, "revoke(bytes32)", grant_hash(other))
    with (
        refused("sessions: already revoked", grant_hash(other)),
        boa.env.prank(KEY.address),
    ):
        manager.renounce(other.abi())


def test_account_revoke_after_renounce(
    manager, make_grant, as_account, grant_hash, refused, account
):
    grant = make_grant()
    with boa.env.prank(KEY.address):
        manager.renounce(grant.abi())
    gh = grant_hash(grant)
    with refused("sessions: already revoked", gh):
        as_account(account.address, "revoke(bytes32)", gh)


# ---------------------------------------------------------------- setMaxSessionLength


def test_default_max_session_length(manager, account):
    assert manager.maxSessionLengthOf(account.address) == DEFAULT_MAX_SESSION


@pytest.mark.parametrize(
    "length, effective",
    [
        (1, 1),
        (30 * DAY, 30 * DAY),
        (MAX_SESSION_CEILING, MAX_SESSION_CEILING),
        (0, DEFAULT_MAX_SESSION),
    ],
)
def test_set_max_session_length(manager, as_account, account, length, effective):
    called = as_account(account.address, "setMaxSessionLength(uint256)", length)
    assert decode_events(called, manager) == [
        Event(
            "MaxSessionLengthSet",
            {"account": str(account.address), "maxSessionLength": effective},
        )
    ]
    assert manager.maxSessionLengthOf(account.address) == effective
    assert manager.epochOf(account.address) == 0


def test_max_session_length_ceiling(manager, as_account, account):
    with boa.reverts("sessions: session too long"):
        as_account(
            account.address, "setMaxSessionLength(uint256)", MAX_SESSION_CEILING + 1
        )
    assert manager.maxSessionLengthOf(account.address) == DEFAULT_MAX_SESSION


def test_longer_max_allows_longer_grants(
    make_grant, as_account, execute, grant_hash, refused, target, account, now
):
    grant = make_grant(valid_until=now() + 30 * DAY)
    with refused("sessions: window too long", grant_hash(grant)):
        execute(grant, target.address, 0, poke())
    as_account(account.address, "setMaxSessionLength(uint256)", 30 * DAY)
    execute(grant, target.address, 0, poke())
    assert target.count() == 1


def test_shrinking_cuts_off_existing_grants(
    make_grant,
    activate,
    issue,
    as_account,
    execute,
    grant_hash,
    refused,
    target,
    account,
    now,
):
    """Checked on every use: a shorter maximum stops active and issued
    grants with a longer window; restoring it brings them back."""
    used = make_grant(valid_until=now() + 2 * DAY)
    issued = make_grant(valid_until=now() + 2 * DAY, salt=b"\x03" * 32)
    short = make_grant(valid_until=now() + DAY, salt=b"\x04" * 32)
    activate(used)
    issue(issued)
    activate(short)
    as_account(account.address, "setMaxSessionLength(uint256)", DAY)
    for grant in (used, issued):
        with refused("sessions: window too long", grant_hash(grant)):
            execute(grant, target.address, 0, poke(), sig=b"")
    execute(short, target.address, 0, poke(), sig=b"")  # exactly the new maximum
    as_account(account.address, "setMaxSessionLength(uint256)", 0)
    execute(used, target.address, 0, poke(), sig=b"")
    assert target.count() == 4


def test_max_session_length_is_per_account(world, manager, as_account, account):
    as_account(account.address, "setMaxSessionLength(uint256)", DAY)
    assert manager.maxSessionLengthOf(world.account_b.address) == DEFAULT_MAX_SESSION
