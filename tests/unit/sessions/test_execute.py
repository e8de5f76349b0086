"""Using a grant: who may send, permissions and per-call value, calldata
shape, argument conditions (every op, ONE_OF alternatives), the native
budget, call limit, interval, validity window, agent status, batches."""

import boa
import pytest

from .conftest import AGENT_OWNER, KEY2, RECIPIENT, STRANGER
from .helpers import (
    DEFAULT_MAX_SESSION,
    EMPTY_SELECTOR,
    FAIL,
    OP_EQ,
    OP_GE,
    OP_LE,
    OP_NE,
    OP_ONE_OF,
    POKE,
    TRANSFER,
    Call,
    Condition,
    Permission,
    TokenBudget,
    calldata,
    poke,
    transfer,
)

# ---------------------------------------------------------------- who may send


def test_only_the_session_key_sends(make_grant, execute, grant_hash, refused, target):
    grant = make_grant()
    for sender in (STRANGER.address, KEY2.address, RECIPIENT, grant.account):
        with refused("sessions: not the session key", grant_hash(grant)):
            execute(grant, target.address, 0, poke(), sender=sender)
    execute(grant, target.address, 0, poke())
    assert target.count() == 1


def test_session_key_is_checked_before_anything_else(
    make_grant, execute, grant_hash, refused, target
):
    """A stranger learns nothing: even a grant that is expired, badly signed
    and not allowing the call answers "not the session key"."""
    grant = make_grant(valid_after=1, valid_until=2)
    with refused("sessions: not the session key", grant_hash(grant)):
        execute(
            grant, STRANGER.address, 10**30, b"\x01", sig=b"", sender=STRANGER.address
        )


# ---------------------------------------------------------------- permissions


def test_call_not_allowed(
    make_grant, execute, activate, grant_hash, refused, target, token
):
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    for to, data in [
        (token.address, poke()),  # right selector, wrong target
        (target.address, calldata("fail(string)", "x")),  # right target, wrong selector
        (target.address, b""),  # plain ETH transfer not allowed
        (RECIPIENT, poke()),
    ]:
        with refused("sessions: call 0 not allowed", gh):
            execute(grant, to, 0, data, sig=b"")


def test_plain_eth_transfer_permission(make_grant, execute):
    """Empty calldata is selector 0x00000000."""
    grant = make_grant(permissions=[Permission(RECIPIENT, EMPTY_SELECTOR, 100)])
    before = boa.env.get_balance(RECIPIENT)
    execute(grant, RECIPIENT, 100, b"")
    assert boa.env.get_balance(RECIPIENT) == before + 100


def test_value_too_high(make_grant, execute, activate, grant_hash, refused, target):
    grant = make_grant(permissions=[Permission(str(target.address), POKE, 50)])
    activate(grant)
    execute(grant, target.address, 50, poke(), sig=b"")  # at the limit
    assert target.lastValue() == 50
    with refused("sessions: call 0 value too high", grant_hash(grant)):
        execute(grant, target.address, 51, poke(), sig=b"")


def test_zero_max_value_allows_no_value(
    make_grant, execute, activate, grant_hash, refused, target
):
    grant = make_grant(permissions=[Permission(str(target.address), POKE, 0)])
    activate(grant)
    with refused("sessions: call 0 value too high", grant_hash(grant)):
        execute(grant, target.address, 1, poke(), sig=b"")


@pytest.mark.parametrize("size", [1, 2, 3])
def test_bad_calldata_one_to_three_bytes(
    make_grant, execute, activate, grant_hash, refused, target, size
):
    grant = make_grant(
        permissions=[
            Permission(str(target.address), POKE, 0),
            Permission(str(target.address), EMPTY_SELECTOR, 0),
        ]
    )
    activate(grant)
    with refused("sessions: call 0 bad calldata", grant_hash(grant)):
        execute(grant, target.address, 0, POKE[:size], sig=b"")


def test_selector_only_calldata_passes_the_manager(manager, make_grant, execute, view):
    """Four bytes are a whole selector: the manager lets the call through
    (argument decoding is the target's business; here an EOA takes it)."""
    grant = make_grant(permissions=[Permission(RECIPIENT, POKE, 0)])
    execute(grant, RECIPIENT, 0, POKE)
    assert view.grantState(grant.abi()).callsUsed == 1


def test_target_revert_reverts_everything(
    manager, make_grant, execute, grant_hash, refused, target, view):
    """A failing call bubbles up its revert data and undoes the activation
    and the counters."""
    grant = make_grant(permissions=[Permission(str(target.address), FAIL, 0)])
    with refused("boom", grant_hash(grant)):
        execute(grant, target.address, 0, calldata("fail(string)", "boom"))
    assert view.grantState(grant.abi()).status == 0


def test_account_without_enough_eth(
    world, make_grant, execute, grant_hash, refused, target, account
):
    grant = make_grant(
        native_budget=2 * 10**18,
        permissions=[Permission(str(target.address), POKE, 2 * 10**18)],
    )
    with refused(None, grant_hash(grant)):
        execute(
            grant, target.address, boa.env.get_balance(str(account.address)) + 1, poke()
        )


# ---------------------------------------------------------------- conditions

# poke(uint256 a, address b, uint256 c): words 0, 1, 2.


def _cond_grant(make_grant, target, *conditions, extra=()):
    perms = [Permission(str(target.address), POKE, 0), *extra]
    return make_grant(permissions=perms, conditions=list(conditions))


@pytest.mark.parametrize(
    "op, value, ok, bad",
    [
        (OP_EQ, 10, [10], [9, 11, 0, 2**256 - 1]),
        (OP_NE, 10, [9, 11, 0, 2**256 - 1], [10]),
        (OP_LE, 10, [0, 9, 10], [11, 2**256 - 1]),
        (OP_GE, 10, [10, 11, 2**256 - 1], [0, 9]),
        (OP_LE, 0, [0], [1]),
        (OP_GE, 2**256 - 1, [2**256 - 1], [0, 2**256 - 2]),
    ],
)
def test_condition_ops(
    make_grant, execute, activate, grant_hash, refused, target, op, value, ok, bad
):
    grant = _cond_grant(make_grant, target, Condition(0, 2, op, value))
    execute(grant, target.address, 0, poke(1, target.address, ok[0]))
    for arg in ok:
        execute(grant, target.address, 0, poke(1, target.address, arg), sig=b"")
    for arg in bad:
        with refused("sessions: call 0 argument 2", grant_hash(grant)):
            execute(grant, target.address, 0, poke(1, target.address, arg), sig=b"")
    assert target.count() == 1 + len(ok)


def test_condition_on_address_argument(
    make_grant, execute, grant_hash, refused, target
):
    grant = _cond_grant(make_grant, target, Condition(0, 1, OP_EQ, int(RECIPIENT, 16)))
    execute(grant, target.address, 0, poke(1, RECIPIENT, 1))
    with refused("sessions: call 0 argument 1", grant_hash(grant)):
        execute(grant, target.address, 0, poke(1, STRANGER.address, 1), sig=b"")


def test_one_of_alternatives(make_grant, execute, grant_hash, refused, target):
    grant = _cond_grant(
        make_grant,
        target,
        Condition(0, 0, OP_ONE_OF, 3),
        Condition(0, 0, OP_ONE_OF, 5),
        Condition(0, 0, OP_ONE_OF, 8),
    )
    execute(grant, target.address, 0, poke(3))
    execute(grant, target.address, 0, poke(5), sig=b"")
    execute(grant, target.address, 0, poke(8), sig=b"")
    for arg in (0, 4, 6, 9, 2**256 - 1):
        with refused("sessions: call 0 argument 0", grant_hash(grant)):
            execute(grant, target.address, 0, poke(arg), sig=b"")
    assert target.count() == 3


def test_one_of_groups_are_per_argument_and_permission(
    make_grant, execute, grant_hash, refused, target
):
    """ONE_OF values on another argument, or on another permission, are not
    alternatives for this one."""
    grant = _cond_grant(
        make_grant,
        target,
        Condition(0, 0, OP_ONE_OF, 1),
        Condition(0, 0, OP_ONE_OF, 2),
        Condition(0, 2, OP_ONE_OF, 7),  # word 2 of the same permission
        Condition(1, 0, OP_ONE_OF, 7),  # word 0 of another permission
        extra=[Permission(RECIPIENT, POKE, 0)],
    )
    execute(grant, target.address, 0, poke(2, target.address, 7))
    with refused("sessions: call 0 argument 0", grant_hash(grant)):
        execute(grant, target.address, 0, poke(7, target.address, 7), sig=b"")
    with refused("sessions: call 0 argument 2", grant_hash(grant)):
        execute(grant, target.address, 0, poke(1, target.address, 1), sig=b"")


def test_one_of_combined_with_other_ops(
    make_grant, execute, grant_hash, refused, target
):
    """Conditions on one argument are all required (AND), ONE_OF among
    themselves alternatives (OR)."""
    grant = _cond_grant(
        make_grant,
        target,
        Condition(0, 0, OP_ONE_OF, 5),
        Condition(0, 0, OP_ONE_OF, 50),
        Condition(0, 0, OP_LE, 10),
    )
    execute(grant, target.address, 0, poke(5))
    with refused("sessions: call 0 argument 0", grant_hash(grant)):
        execute(grant, target.address, 0, poke(50), sig=b"")  # a ONE_OF value, but > 10


def test_conditions_apply_only_to_their_permission(make_grant, execute, target):
    grant = _cond_grant(
        make_grant,
        target,
        Condition(1, 0, OP_EQ, 42),
        extra=[Permission(RECIPIENT, POKE, 0)],
    )
    execute(grant, target.address, 0, poke(7))  # the condition is on permission 1
    assert target.count() == 1


def test_several_conditions_first_failing_is_reported(
    make_grant, execute, grant_hash, refused, target
):
    grant = _cond_grant(
        make_grant, target, Condition(0, 0, OP_LE, 5), Condition(0, 2, OP_GE, 5)
    )
    execute(grant, target.address, 0, poke(5, target.address, 5))
    with refused("sessions: call 0 argument 0", grant_hash(grant)):
        execute(grant, target.address, 0, poke(6, target.address, 4), sig=b"")
    with refused("sessions: call 0 argument 2", grant_hash(grant)):
        execute(grant, target.address, 0, poke(5, target.address, 4), sig=b"")


def test_condition_on_missing_argument(
    make_grant, execute, grant_hash, refused, target
):
    """An argument the calldata is too short to hold fails its condition,
    whatever the op (NE too)."""
    grant = _cond_grant(make_grant, target, Condition(0, 5, OP_NE, 1))
    gh = grant_hash(grant)
    with refused("sessions: call 0 argument 5", gh):
        execute(grant, target.address, 0, poke())
    data = poke() + (0).to_bytes(32, "big") * 2  # words 3 and 4 only
    with refused("sessions: call 0 argument 5", gh):
        execute(grant, target.address, 0, data)
    execute(grant, target.address, 0, data + (0).to_bytes(32, "big"))  # word 5 present
    assert target.count() == 1


def test_condition_with_large_index(make_grant, execute, grant_hash, refused, target):
    grant = _cond_grant(make_grant, target, Condition(0, 2**16 - 1, OP_GE, 0))
    with refused("sessions: call 0 argument 65535", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


# ---------------------------------------------------------------- native budget


def test_native_budget_total(
    manager, make_grant, execute, activate, grant_hash, refused, target, view):
    grant = make_grant(
        native_budget=100, permissions=[Permission(str(target.address), POKE, 60)]
    )
    activate(grant)
    execute(grant, target.address, 60, poke(), sig=b"")
    with refused("sessions: over native budget", grant_hash(grant)):
        execute(grant, target.address, 41, poke(), sig=b"")
    execute(grant, target.address, 40, poke(), sig=b"")  # exactly the budget
    state = view.grantState(grant.abi())
    assert (state.nativeSpent, state.nativeLeft) == (100, 0)
    with refused("sessions: over native budget", grant_hash(grant)):
        execute(grant, target.address, 1, poke(), sig=b"")
    execute(grant, target.address, 0, poke(), sig=b"")  # value-free calls go on
    assert view.grantState(grant.abi()).callsUsed == 4


def test_zero_native_budget(make_grant, execute, grant_hash, refused, target):
    grant = make_grant(native_budget=0)
    with refused("sessions: over native budget", grant_hash(grant)):
        execute(grant, target.address, 1, poke())
    execute(grant, target.address, 0, poke())
    assert target.count() == 1


def test_max_native_budget(manager, make_grant, execute, target, account, view):
    grant = make_grant(
        native_budget=2**128 - 1,
        permissions=[Permission(str(target.address), POKE, 2**256 - 1)],
    )
    execute(grant, target.address, 10**18, poke())
    assert view.grantState(grant.abi()).nativeLeft == 2**128 - 1 - 10**18


# ---------------------------------------------------------------- call limit


def test_max_calls(manager, make_grant, execute, grant_hash, refused, target, view):
    grant = make_grant(max_calls=2)
    execute(grant, target.address, 0, poke())
    assert view.grantState(grant.abi()).callsLeft == 1
    execute(grant, target.address, 0, poke(), sig=b"")
    assert view.grantState(grant.abi()).callsLeft == 0
    with refused("sessions: over call limit", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_max_calls_counts_every_call_of_a_batch(
    manager, make_grant, execute_batch, grant_hash, refused, target, view):
    grant = make_grant(max_calls=3)
    call = Call(str(target.address), 0, poke())
    with refused("sessions: over call limit", grant_hash(grant)):
        execute_batch(grant, [call] * 4)
    execute_batch(grant, [call] * 2)
    with refused("sessions: over call limit", grant_hash(grant)):
        execute_batch(grant, [call] * 2, sig=b"")
    execute_batch(grant, [call], sig=b"")
    assert target.count() == 3
    assert view.grantState(grant.abi()).callsUsed == 3


def test_one_call_limit(make_grant, execute, grant_hash, refused, target):
    grant = make_grant(max_calls=1)
    execute(grant, target.address, 0, poke())
    with refused("sessions: over call limit", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


# ---------------------------------------------------------------- interval


def test_min_interval(make_grant, execute, grant_hash, refused, target):
    grant = make_grant(min_interval=60)
    execute(grant, target.address, 0, poke())
    boa.env.time_travel(seconds=59)
    with refused("sessions: too soon", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    boa.env.time_travel(seconds=1)
    execute(grant, target.address, 0, poke(), sig=b"")
    with refused("sessions: too soon", grant_hash(grant)):  # same second
        execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_min_interval_first_call_is_free(make_grant, execute, target):
    """The interval runs from the last call, not from validAfter."""
    grant = make_grant(min_interval=3_000)
    execute(grant, target.address, 0, poke())
    assert target.count() == 1


def test_min_interval_refuses_batches(
    make_grant, execute_batch, grant_hash, refused, target
):
    grant = make_grant(min_interval=1)
    call = Call(str(target.address), 0, poke())
    with refused("sessions: one call per interval", grant_hash(grant)):
        execute_batch(grant, [call, call])
    execute_batch(grant, [call])
    assert target.count() == 1


def test_empty_batch(make_grant, execute_batch, activate, grant_hash, refused):
    grant = make_grant()
    activate(grant)
    with refused("sessions: no calls", grant_hash(grant)):
        execute_batch(grant, [], sig=b"")


# ---------------------------------------------------------------- window


def test_window_bounds_inclusive(
    manager, make_grant, execute, grant_hash, refused, target, now
):
    start = now() + 100
    grant = make_grant(valid_after=start, valid_until=start + 50)
    gh = grant_hash(grant)
    boa.env.timestamp = start - 1
    with refused("sessions: not yet valid", gh):
        execute(grant, target.address, 0, poke())
    boa.env.timestamp = start  # first second
    execute(grant, target.address, 0, poke())
    boa.env.timestamp = start + 50  # last second
    execute(grant, target.address, 0, poke(), sig=b"")
    boa.env.timestamp = start + 51
    with refused("sessions: expired", gh):
        execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_empty_window(make_grant, execute, grant_hash, refused, target, now):
    for until in (now(), now() - 1):
        grant = make_grant(valid_until=until)
        with refused("sessions: empty window", grant_hash(grant)):
            execute(grant, target.address, 0, poke())


def test_window_too_long(make_grant, execute, grant_hash, refused, target, now):
    grant = make_grant(valid_until=now() + DEFAULT_MAX_SESSION + 1)
    with refused("sessions: window too long", grant_hash(grant)):
        execute(grant, target.address, 0, poke())
    execute(
        make_grant(valid_until=now() + DEFAULT_MAX_SESSION), target.address, 0, poke()
    )
    assert target.count() == 1


# ---------------------------------------------------------------- agent status


def test_agent_paused_resumed_retired(
    registry, make_grant, execute, grant_hash, refused, target, agent_id
):
    grant = make_grant()
    execute(grant, target.address, 0, poke())
    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    with boa.env.prank(AGENT_OWNER):
        registry.resume(agent_id)
    execute(grant, target.address, 0, poke(), sig=b"")
    with boa.env.prank(AGENT_OWNER):
        registry.retire(agent_id)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 2


def test_paused_agent_blocks_first_use_and_other_agents_unaffected(
    world, registry, make_grant, execute, grant_hash, refused, target, agent_id
):
    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    grant = make_grant()
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke())
    other = make_grant(agent_id=world.agent2_id)
    execute(other, target.address, 0, poke())
    assert target.count() == 1


def test_unknown_agent(make_grant, execute, grant_hash, refused, target):
    grant = make_grant(agent_id=999)
    with refused("sessions: unknown agent", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


# ---------------------------------------------------------------- batches


def test_batch_runs_in_order(
    manager, make_grant, execute_batch, target, account, token, view):
    grant = make_grant(
        native_budget=30,
        permissions=[
            Permission(str(target.address), POKE, 20),
            Permission(str(token.address), TRANSFER, 0),
        ],
    )
    calls = [
        Call(str(target.address), 10, poke()),
        Call(str(token.address), 0, transfer(RECIPIENT, 7)),
        Call(str(target.address), 20, poke()),
    ]
    execute_batch(grant, calls)
    assert target.count() == 2 and target.lastValue() == 20
    assert token.balanceOf(RECIPIENT) == 7
    state = view.grantState(grant.abi())
    assert (state.callsUsed, state.nativeSpent) == (3, 30)


def test_batch_of_sixteen(make_grant, execute_batch, target):
    grant = make_grant()
    execute_batch(grant, [Call(str(target.address), 0, poke())] * 16)
    assert target.count() == 16


def test_batch_reason_names_the_call(
    make_grant, execute_batch, activate, grant_hash, refused, target, token
):
    grant = make_grant(
        permissions=[Permission(str(target.address), POKE, 5)],
        conditions=[Condition(0, 0, OP_LE, 3)],
    )
    activate(grant)
    ok = Call(str(target.address), 0, poke(1))
    gh = grant_hash(grant)
    cases = [
        ([ok, ok, Call(str(token.address), 0, poke())], "sessions: call 2 not allowed"),
        ([ok, Call(str(target.address), 6, poke())], "sessions: call 1 value too high"),
        (
            [ok, ok, ok, Call(str(target.address), 0, b"\x01\x02")],
            "sessions: call 3 bad calldata",
        ),
        (
            [ok] * 15 + [Call(str(target.address), 0, poke(4))],
            "sessions: call 15 argument 0",
        ),
    ]
    for calls, reason in cases:
        with refused(reason, gh):
            execute_batch(grant, calls, sig=b"")


def test_batch_failing_call_undoes_earlier_calls(
    make_grant, execute_batch, grant_hash, refused, target
):
    grant = make_grant(
        permissions=[
            Permission(str(target.address), POKE, 0),
            Permission(str(target.address), FAIL, 0),
        ]
    )
    calls = [
        Call(str(target.address), 0, poke()),
        Call(str(target.address), 0, calldata("fail(string)", "no")),
    ]
    with refused("no", grant_hash(grant)):
        execute_batch(grant, calls)
    assert target.count() == 0


# ---------------------------------------------------------------- order of checks (docs/sessions.md)


def test_order_revoked_before_epoch_and_window(
    make_grant, activate, as_account, execute, grant_hash, refused, target, account
):
    grant = make_grant()
    activate(grant)
    as_account(account.address, "revoke(bytes32)", grant_hash(grant))
    as_account(account.address, "revokeAll()")
    boa.env.timestamp = grant.valid_until + 1
    with refused("sessions: revoked", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_order_epoch_before_window(
    make_grant, activate, as_account, execute, grant_hash, refused, target, account
):
    grant = make_grant()
    activate(grant)
    as_account(account.address, "setMaxSessionLength(uint256)", 60)
    as_account(account.address, "revokeAll()")
    boa.env.timestamp = grant.valid_until + 1
    with refused("sessions: revoked by revokeAll", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_order_window_length_before_clock(
    make_grant, issue, as_account, execute, grant_hash, refused, target, account, now
):
    grant = make_grant(valid_after=now() + 100, valid_until=now() + 200)
    issue(grant)
    as_account(account.address, "setMaxSessionLength(uint256)", 50)
    with refused("sessions: window too long", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_order_clock_before_agent(
    registry, make_grant, activate, execute, grant_hash, refused, target, agent_id
):
    grant = make_grant()
    activate(grant)
    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    boa.env.timestamp = grant.valid_until + 1
    with refused("sessions: expired", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_order_agent_before_limits(
    registry, make_grant, activate, execute, grant_hash, refused, target, agent_id
):
    grant = make_grant(max_calls=1, min_interval=1_000)
    activate(grant)
    with boa.env.prank(AGENT_OWNER):
        registry.pause(agent_id)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_order_limits_before_calls(
    make_grant, activate, execute, grant_hash, refused, target, token
):
    limited = make_grant(max_calls=1)
    activate(limited)
    with refused("sessions: over call limit", grant_hash(limited)):
        execute(limited, token.address, 10**9, b"\x01", sig=b"")
    spaced = make_grant(min_interval=100, salt=b"\x01" * 32)
    activate(spaced)
    with refused("sessions: too soon", grant_hash(spaced)):
        execute(spaced, token.address, 10**9, b"\x01", sig=b"")


def test_order_calls_before_native_budget(
    make_grant, execute_batch, grant_hash, refused, target
):
    grant = make_grant(
        native_budget=10, permissions=[Permission(str(target.address), POKE, 100)]
    )
    calls = [
        Call(str(target.address), 100, poke()),
        Call(str(target.address), 101, poke()),
    ]
    with refused("sessions: call 1 value too high", grant_hash(grant)):
        execute_batch(grant, calls)


def test_order_native_before_token_totals(
    make_grant, execute_batch, grant_hash, refused, target, token
):
    grant = make_grant(
        native_budget=10,
        permissions=[
            Permission(str(target.address), POKE, 100),
            Permission(str(token.address), TRANSFER, 0),
        ],
        token_budgets=[TokenBudget(str(token.address), 10, 0)],
    )
    t = str(token.address)
    calls = [
        Call(t, 0, transfer(RECIPIENT, 6)),
        Call(t, 0, transfer(RECIPIENT, 6)),
        Call(str(target.address), 11, poke()),
    ]
    with refused("sessions: over native budget", grant_hash(grant)):
        execute_batch(grant, calls)


# ---------------------------------------------------------------- calldata sizes


def test_single_call_with_long_calldata(
    manager, make_grant, execute, request_sig, execute_relayed, target
):
    """`execute` takes up to 2,048 bytes of calldata (a batch call 1,024),
    also relayed: the request digest is computed off-chain here, since the
    `hashRequest` view takes calls of at most 1,024 bytes."""
    grant = make_grant()
    data = poke() + b"\x00" * (2_048 - 100)
    execute(grant, target.address, 0, data)
    call = Call(str(target.address), 0, data)
    execute_relayed(grant, [call], request_sig(grant, [call]), sig=b"")
    assert target.count() == 2
