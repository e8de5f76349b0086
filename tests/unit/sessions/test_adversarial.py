"""Attacks by a stolen session key, a relayer or a malicious contract; each
must fail and change nothing (docs/sessions.md, "Threat model")."""

import boa
import pytest

from .conftest import (
    AGENT_OWNER,
    EOA7702,
    FRIEND,
    KEY,
    KEY2,
    OWNER,
    RECIPIENT,
    STRANGER,
    TOKEN_BALANCE,
)
from .helpers import (
    APPROVE,
    DEFAULT_MAX_SESSION,
    EMPTY_SELECTOR,
    GRANT_ABI,
    INCREASE_ALLOWANCE,
    MASK_32,
    OP_LE,
    POKE,
    TRANSFER,
    TRANSFER_FROM,
    Call,
    Condition,
    Permission,
    TokenBudget,
    answering_code,
    approve,
    calldata,
    compact,
    execute_batch_calldata,
    execute_calldata,
    fixed_address,
    high_s,
    increase_allowance,
    join,
    map_slot,
    message_typed_data,
    pack_state,
    poke,
    recovers_to,
    sel,
    sign_digest,
    split,
    storage_slot,
    transfer,
    transfer_from,
    typed_digest,
)

# ---------------------------------------------------------------- escalation through a batch


def test_batch_cannot_smuggle_a_disallowed_call(
    make_grant, execute_batch, grant_hash, refused, target, token
):
    grant = make_grant()
    ok = Call(str(target.address), 0, poke())
    for smuggled, reason in [
        (
            Call(str(token.address), 0, transfer(STRANGER.address, TOKEN_BALANCE)),
            "sessions: call 1 not allowed",
        ),
        (Call(str(target.address), 1_001, poke()), "sessions: call 1 value too high"),
        (Call(grant.account, 0, b""), "sessions: call 1 not allowed"),
        (Call(STRANGER.address, 10, b""), "sessions: call 1 not allowed"),
    ]:
        with refused(reason, grant_hash(grant)):
            execute_batch(grant, [ok, smuggled])
    assert target.count() == 0


def test_batch_cannot_split_a_token_amount_past_the_cap(
    make_grant, execute_batch, grant_hash, refused, token
):
    grant = make_grant(
        permissions=[Permission(str(token.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(token.address), 100, 0)],
    )
    t = str(token.address)
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute_batch(
            grant, [Call(t, 0, transfer(STRANGER.address, 7))] * 15
        )  # 105 in 15 steps
    execute_batch(grant, [Call(t, 0, transfer(STRANGER.address, 6))] * 16)  # 96
    assert token.balanceOf(STRANGER.address) == 96


def test_batch_cannot_split_native_value_past_the_budget(
    make_grant, execute_batch, grant_hash, refused, target
):
    grant = make_grant(
        native_budget=100, permissions=[Permission(str(target.address), POKE, 10)]
    )
    with refused("sessions: over native budget", grant_hash(grant)):
        execute_batch(grant, [Call(str(target.address), 10, poke())] * 11)


def test_call_counter_ceiling(
    manager, make_grant, activate, execute_batch, grant_hash, refused, target, account, view):
    """White-box: an unlimited grant at 2**32 - 2 calls cannot add a batch
    that would wrap the 32-bit counter."""
    grant = make_grant()
    activate(grant)
    gh = grant_hash(grant)
    slot = map_slot(storage_slot(manager, "_grants"), str(account.address), gh)
    word = manager.stateOf(account.address, gh)
    boa.env.set_storage(
        str(manager.address),
        slot,
        (word & ~(MASK_32 << 8)) | pack_state(calls=MASK_32 - 2),
    )
    call = Call(str(target.address), 0, poke())
    with refused("sessions: over call limit", gh):
        execute_batch(grant, [call] * 3, sig=b"")
    execute_batch(grant, [call] * 2, sig=b"")
    assert view.grantState(grant.abi()).callsUsed == MASK_32


# ---------------------------------------------------------------- forbidden targets and selectors


@pytest.mark.parametrize("victim", ["account", "manager", "registry"])
@pytest.mark.parametrize("how", ["first_use", "issue"])
def test_grant_naming_account_manager_or_registry_is_refused(
    world, make_grant, execute, issue, grant_hash, refused, victim, how
):
    address, selector = {
        "account": (world.account.address, EMPTY_SELECTOR),
        "manager": (world.manager.address, sel("revokeAll()")),
        "registry": (world.registry.address, sel("retire(uint256)")),
    }[victim]
    grant = make_grant(
        permissions=[
            Permission(str(world.target.address), POKE, 0),
            Permission(str(address), selector, 0),
        ]
    )
    with refused("sessions: forbidden target", grant_hash(grant)):
        if how == "issue":
            issue(grant)
        else:
            execute(grant, world.target.address, 0, poke())


def test_calls_to_account_manager_registry_not_allowed(
    world, make_grant, activate, execute, grant_hash, refused, agent_id
):
    grant = make_grant()
    activate(grant)
    attempts = [
        (
            world.account.address,
            calldata("execute(address,uint256,bytes)", STRANGER.address, 10**18, b""),
        ),
        (world.manager.address, calldata("revokeAll()")),
        (
            world.manager.address,
            execute_calldata(grant, b"", world.target.address, 0, poke()),
        ),
        (world.registry.address, calldata("retire(uint256)", agent_id)),
    ]
    for to, data in attempts:
        with refused("sessions: call 0 not allowed", grant_hash(grant)):
            execute(grant, to, 0, data, sig=b"")


@pytest.fixture
def foreign(world, deployer):
    """Another smart account that trusts the Charter account."""
    contract = deployer("ForeignAccount").deploy(world.account.address)
    boa.env.set_balance(str(contract.address), 10**18)
    return contract


def test_foreign_account_trusts_the_charter_account(account, foreign):
    """Control: the hazard is real, the owner can drive the other account."""
    data = calldata("execute(address,uint256,bytes)", STRANGER.address, 5, b"")
    before = boa.env.get_balance(STRANGER.address)
    with boa.env.prank(OWNER.address):
        account.execute(foreign.address, 0, data)
    assert boa.env.get_balance(STRANGER.address) == before + 5


@pytest.mark.parametrize("how", ["first_use", "issue"])
def test_execute_selector_on_another_account_is_refused(
    world, make_grant, execute, issue, grant_hash, refused, foreign, how
):
    targets = [
        (foreign.address, "execute(address,uint256,bytes)"),
        (world.account_b.address, "execute(address,uint256,bytes)"),
        (world.account_b.address, "executeFromManager(address,uint256,bytes)"),
        (world.account_c.address, "executeBatch((address,uint256,bytes)[])"),
    ]
    for address, signature in targets:
        grant = make_grant(
            permissions=[
                Permission(str(world.target.address), POKE, 0),
                Permission(str(address), sel(signature), 0),
            ]
        )
        with refused("sessions: forbidden selector", grant_hash(grant)):
            if how == "issue":
                issue(grant)
            else:
                execute(grant, world.target.address, 0, poke())
    assert boa.env.get_balance(str(foreign.address)) == 10**18


def test_plain_transfer_permission_does_not_reach_execute(
    make_grant, execute, activate, grant_hash, refused, foreign
):
    """A permission to send ETH to the other account (selector 0x00000000)
    does not allow its execute (another selector)."""
    grant = make_grant(
        permissions=[Permission(str(foreign.address), EMPTY_SELECTOR, 100)]
    )
    execute(grant, foreign.address, 100, b"")
    data = calldata("execute(address,uint256,bytes)", STRANGER.address, 10**18, b"")
    with refused("sessions: call 0 not allowed", grant_hash(grant)):
        execute(grant, foreign.address, 0, data, sig=b"")


def test_empty_selector_permission_only_allows_empty_calldata(
    make_grant, execute, grant_hash, refused, target
):
    grant = make_grant(
        permissions=[Permission(str(target.address), EMPTY_SELECTOR, 100)]
    )
    execute(grant, target.address, 1, b"")  # a plain ETH transfer: allowed
    # Calldata starting with four zero bytes would reach the fallback with any payload.
    payload = EMPTY_SELECTOR + b"arbitrary payload for the target's fallback"
    with refused("sessions: call 0 not allowed", grant_hash(grant)):
        execute(grant, target.address, 0, payload, sig=b"")


# ---------------------------------------------------------------- approvals cannot escape the cap


@pytest.fixture
def capped(make_grant, token):
    return make_grant(
        permissions=[
            Permission(str(token.address), s, 0)
            for s in (TRANSFER, APPROVE, INCREASE_ALLOWANCE)
        ],
        token_budgets=[TokenBudget(str(token.address), 100, 0)],
    )


def test_approve_more_than_the_cap(capped, execute, grant_hash, refused, token):
    for data in (
        approve(STRANGER.address, 101),
        approve(STRANGER.address, 2**256 - 1),
        increase_allowance(STRANGER.address, 101),
    ):
        with refused("sessions: over token budget 0", grant_hash(capped)):
            execute(capped, token.address, 0, data)


def test_approve_then_transfer_shares_the_cap(
    capped, execute, grant_hash, refused, token, account
):
    execute(capped, token.address, 0, approve(STRANGER.address, 100))
    with refused("sessions: over token budget 0", grant_hash(capped)):
        execute(capped, token.address, 0, transfer(STRANGER.address, 1), sig=b"")
    with refused("sessions: over token budget 0", grant_hash(capped)):
        execute(
            capped, token.address, 0, increase_allowance(STRANGER.address, 1), sig=b""
        )
    # the spender can pull what was approved and no more: total outflow = cap
    with boa.env.prank(STRANGER.address):
        token.transferFrom(account.address, STRANGER.address, 100)
        with boa.reverts():
            token.transferFrom(account.address, STRANGER.address, 1)
    assert token.balanceOf(account.address) == TOKEN_BALANCE - 100


def test_re_approving_counts_again(capped, execute, grant_hash, refused, token):
    """Approvals are charged in full even when they replace an earlier one
    (conservative): approve 60 twice does not fit a cap of 100."""
    execute(capped, token.address, 0, approve(STRANGER.address, 60))
    with refused("sessions: over token budget 0", grant_hash(capped)):
        execute(capped, token.address, 0, approve(STRANGER.address, 60), sig=b"")


def test_approve_split_across_batch(capped, execute_batch, grant_hash, refused, token):
    t = str(token.address)
    calls = [
        Call(t, 0, approve(STRANGER.address, 50)),
        Call(t, 0, increase_allowance(STRANGER.address, 30)),
        Call(t, 0, increase_allowance(STRANGER.address, 30)),
    ]
    with refused("sessions: over token budget 0", grant_hash(capped)):
        execute_batch(capped, calls)


def test_approving_many_spenders_shares_one_cap(
    capped, execute_batch, grant_hash, refused, token
):
    t = str(token.address)
    calls = [Call(t, 0, approve(fixed_address(f"spender{i}"), 40)) for i in range(3)]
    with refused("sessions: over token budget 0", grant_hash(capped)):
        execute_batch(capped, calls)


# ---------------------------------------------------------------- reentrancy


@pytest.fixture
def reentrant(deployer):
    return deployer("Reentrant").deploy()


def _hook_grant(make_grant, reentrant, target, **kw):
    """A grant allowing Reentrant.poke (the hook) and Target.poke (what the
    callback tries to run)."""
    return make_grant(
        permissions=[
            Permission(str(reentrant.address), POKE, 0),
            Permission(str(target.address), POKE, 0),
        ],
        **kw,
    )


def test_reentry_into_execute_is_blocked(
    manager,
    make_grant,
    sign_grant,
    request_sig,
    execute,
    grant_hash,
    reentrant,
    target,
    account, view):
    grant = _hook_grant(make_grant, reentrant, target)
    gh = grant_hash(grant)
    inner = Call(str(target.address), 0, poke(99))
    payload = execute_calldata(
        grant,
        sign_grant(grant),
        inner.target,
        0,
        inner.data,
        relay=request_sig(grant, [inner]),
    )
    reentrant.arm(manager.address, payload, False)
    execute(grant, reentrant.address, 0, poke())
    assert (reentrant.attempts(), reentrant.last_ok(), reentrant.last_output()) == (
        1,
        False,
        b"",
    )  # lock: empty revert
    assert target.count() == 0
    state = view.grantState(grant.abi())
    assert (state.callsUsed, state.nonce) == (1, 0)
    # control: the same payload outside a session call goes through
    reentrant.disarm()
    assert reentrant.fire()
    assert target.count() == 1
    assert view.grantState(grant.abi()).nonce == 1
    assert manager.stateOf(account.address, gh) & 0xFF == 1


def test_reentry_into_execute_batch_is_blocked(
    manager, make_grant, sign_grant, request_sig, execute_batch, reentrant, target, view):
    grant = _hook_grant(make_grant, reentrant, target)
    inner = [
        Call(str(target.address), 0, poke(1)),
        Call(str(target.address), 0, poke(2)),
    ]
    payload = execute_batch_calldata(
        grant, sign_grant(grant), inner, relay=request_sig(grant, inner)
    )
    reentrant.arm(manager.address, payload, False)
    execute_batch(grant, [Call(str(reentrant.address), 0, poke())])
    assert (reentrant.last_ok(), reentrant.last_output()) == (False, b"")
    assert target.count() == 0
    assert view.grantState(grant.abi()).callsUsed == 1


def test_strict_reentry_reverts_everything(
    manager,
    make_grant,
    sign_grant,
    request_sig,
    execute,
    grant_hash,
    refused,
    reentrant,
    target, view):
    grant = _hook_grant(make_grant, reentrant, target)
    inner = Call(str(target.address), 0, poke())
    payload = execute_calldata(
        grant,
        sign_grant(grant),
        inner.target,
        0,
        inner.data,
        relay=request_sig(grant, [inner]),
    )
    reentrant.arm(manager.address, payload, True)
    with refused(None, grant_hash(grant)):
        execute(grant, reentrant.address, 0, poke())
    assert reentrant.attempts() == 0 and reentrant.pokes() == 0
    assert view.grantState(grant.abi()).status == 0  # still pending


@pytest.mark.parametrize(
    "entry", ["revoke", "revokeAll", "renounce", "setMaxSessionLength", "issue"]
)
def test_reentry_into_state_changing_functions_is_blocked(
    manager, make_grant, execute, grant_hash, reentrant, target, entry, consent
):
    """The callback names the hook contract itself (its own grants, its own
    account word), so each call would succeed outside a session call."""
    grant = _hook_grant(make_grant, reentrant, target)
    r = str(reentrant.address)
    own = make_grant(
        account=r, session_key=KEY2.address, salt=b"\x0a" * 32
    )  # a grant of the hook's "account"
    theirs = make_grant(
        session_key=r, salt=b"\x0b" * 32
    )  # a grant naming the hook as session key
    payload = {
        "revoke": calldata("revoke(bytes32)", grant_hash(own)),
        "revokeAll": calldata("revokeAll()"),
        "renounce": calldata(f"renounce({GRANT_ABI})", theirs.abi()),
        "setMaxSessionLength": calldata("setMaxSessionLength(uint256)", 1),
        "issue": calldata(f"issue({GRANT_ABI},bytes)", own.abi(), consent(own)),
    }[entry]

    def seen():
        return (
            manager.stateOf(r, grant_hash(own)),
            manager.stateOf(grant.account, grant_hash(theirs)),
            manager.epochOf(r),
            manager.maxSessionLengthOf(r),
        )

    untouched = seen()
    assert untouched == (0, 0, 0, DEFAULT_MAX_SESSION)
    reentrant.arm(manager.address, payload, False)
    execute(grant, reentrant.address, 0, poke())
    assert (reentrant.attempts(), reentrant.last_ok(), reentrant.last_output()) == (
        1,
        False,
        b"",
    )
    assert seen() == untouched
    reentrant.disarm()
    assert reentrant.fire()  # control: outside a session call it works
    assert seen() != untouched


def test_reentry_into_the_account_is_blocked(
    world, make_grant, execute, reentrant, target, account
):
    grant = _hook_grant(make_grant, reentrant, target)
    payload = calldata(
        "executeFromManager(address,uint256,bytes)", str(target.address), 0, poke()
    )
    reentrant.arm(account.address, payload, False)
    execute(grant, reentrant.address, 0, poke())
    assert (reentrant.last_ok(), reentrant.last_output()) == (
        False,
        b"",
    )  # the account's lock
    reentrant.disarm()
    assert not reentrant.fire()
    assert b"account: not the manager" in bytes(reentrant.last_output())
    assert target.count() == 0


def test_reentrant_token_cannot_double_spend_the_cap(
    manager,
    make_grant,
    sign_grant,
    request_sig,
    execute,
    grant_hash,
    reentrant,
    account, view):
    """A budgeted token that calls back during `transfer` with a second,
    validly signed transfer: blocked by the lock (the budget is charged
    with what left the account once the call returns; the control shows
    the budget refusal)."""
    evil = reentrant
    evil.mint(account.address, 1_000)
    grant = make_grant(
        permissions=[Permission(str(evil.address), TRANSFER, 0)],
        token_budgets=[TokenBudget(str(evil.address), 100, 0)],
    )
    inner = Call(str(evil.address), 0, transfer(STRANGER.address, 100))
    payload = execute_calldata(
        grant,
        sign_grant(grant),
        inner.target,
        0,
        inner.data,
        relay=request_sig(grant, [inner]),
    )
    evil.arm(manager.address, payload, False)
    execute(grant, evil.address, 0, transfer(RECIPIENT, 100))
    assert (evil.last_ok(), evil.last_output()) == (False, b"")
    assert (evil.balanceOf(RECIPIENT), evil.balanceOf(STRANGER.address)) == (100, 0)
    assert view.tokenAllowance(grant.abi(), evil.address) == 0
    evil.disarm()
    assert not evil.fire()
    assert b"sessions: over token budget 0" in bytes(evil.last_output())
    assert evil.balanceOf(STRANGER.address) == 0


# ---------------------------------------------------------------- replay


def test_grant_replayed_on_another_chain(
    manager, make_grant, sign_grant, execute, grant_hash, refused, target, chain_id
):
    grant = make_grant()
    home_sig = sign_grant(grant)
    execute(grant, target.address, 0, poke(), sig=home_sig)
    boa.env.evm.patch.chain_id = chain_id + 1
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=home_sig)
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(
            grant, target.address, 0, poke(), sig=b""
        )  # active at home, pending here
    execute(
        grant, target.address, 0, poke(), sig=sign_grant(grant)
    )  # control: signed for this chain
    assert target.count() == 2


def test_request_replayed_on_another_chain(
    make_grant,
    request_sig,
    execute_relayed,
    sign_grant,
    grant_hash,
    refused,
    target,
    chain_id,
):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    relay = request_sig(grant, [call])
    boa.env.evm.patch.chain_id = chain_id + 1
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], relay)
    execute_relayed(grant, [call], request_sig(grant, [call]))  # control
    assert target.count() == 1


def test_grant_replayed_on_another_account(
    world,
    manager,
    make_grant,
    sign_grant,
    activate,
    execute,
    grant_hash,
    refused,
    target,
):
    """Same owner, same manager: the signature is bound to the account."""
    grant = make_grant()
    signature = sign_grant(grant)
    activate(grant)
    moved = grant.but(account=str(world.account_b.address))
    with refused("sessions: bad grant signature", grant_hash(moved)):
        execute(moved, target.address, 0, poke(), sig=signature)
    with refused("sessions: bad grant signature", grant_hash(moved)):
        execute(moved, target.address, 0, poke(), sig=b"")
    assert manager.stateOf(world.account_b.address, grant_hash(moved)) == 0


def test_grant_replayed_on_another_manager(
    world,
    manager2,
    make_grant,
    sign_grant,
    activate,
    execute,
    grant_hash,
    refused,
    target,
):
    grant = make_grant()
    signature = sign_grant(grant)
    activate(grant)
    with refused(
        "sessions: bad grant signature", grant_hash(grant, manager=manager2.address)
    ):
        execute(grant, target.address, 0, poke(), sig=signature, manager=manager2)
    # signed for manager2 it activates there, but the account obeys only its own manager
    with refused(
        "account: not the manager", grant_hash(grant, manager=manager2.address)
    ):
        execute(
            grant,
            target.address,
            0,
            poke(),
            sig=sign_grant(grant, manager=manager2.address),
            manager=manager2,
        )
    assert (
        manager2.stateOf(grant.account, grant_hash(grant, manager=manager2.address))
        == 0
    )


def test_account_of_other_manager_is_not_reachable_here(
    world, manager, make_grant, sign_grant, execute, grant_hash, refused, target
):
    grant = make_grant(account=str(world.account_c.address))  # bound to manager2
    with refused("account: not the manager", grant_hash(grant)):
        execute(grant, target.address, 0, poke())
    execute(
        grant,
        target.address,
        0,
        poke(),
        sig=sign_grant(grant, manager=world.manager2.address),
        manager=world.manager2,
    )
    assert str(target.lastCaller()) == str(world.account_c.address)


def test_request_replayed_on_another_manager(
    make_grant, request_sig, execute_relayed, grant_hash, refused, manager2, target
):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    relay = request_sig(grant, [call])
    with refused(
        "sessions: bad request signature", grant_hash(grant, manager=manager2.address)
    ):
        execute_relayed(grant, [call], relay, manager=manager2)


def test_request_replayed_on_another_grant_of_the_key(
    make_grant, request_sig, execute_relayed, grant_hash, refused, target
):
    a = make_grant()
    b = make_grant(salt=b"\x05" * 32)
    call = Call(str(target.address), 0, poke())
    relay = request_sig(a, [call])
    execute_relayed(a, [call], relay)
    with refused("sessions: bad request signature", grant_hash(b)):
        execute_relayed(b, [call], relay)


@pytest.mark.parametrize(
    "revocation, reason",
    [
        ("revoke", "sessions: revoked"),
        ("renounce", "sessions: revoked"),
        ("revokeAll", "sessions: revoked by revokeAll"),
    ],
)
def test_captured_request_after_revocation(
    manager,
    make_grant,
    request_sig,
    execute_relayed,
    as_account,
    grant_hash,
    refused,
    target,
    account,
    revocation,
    reason,
):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    execute_relayed(grant, [call], request_sig(grant, [call], nonce=0))
    captured = request_sig(grant, [call], nonce=1)
    if revocation == "revoke":
        as_account(account.address, "revoke(bytes32)", grant_hash(grant))
    elif revocation == "revokeAll":
        as_account(account.address, "revokeAll()")
    else:
        with boa.env.prank(KEY.address):
            manager.renounce(grant.abi())
    with refused(reason, grant_hash(grant)):
        execute_relayed(grant, [call], captured, sig=b"")
    with refused(reason, grant_hash(grant)):
        execute_relayed(
            grant, [call], captured
        )  # with the original grant signature again


def test_request_signed_before_pause_sent_after(
    registry,
    make_grant,
    request_sig,
    execute_relayed,
    grant_hash,
    refused,
    target,
    agent_id,
):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    captured = request_sig(grant, [call])
    with boa.env.prank(AGENT_OWNER):
        registry.retire(agent_id)
    with refused("sessions: agent not active", grant_hash(grant)):
        execute_relayed(grant, [call], captured)
    with boa.reverts("registry: agent retired"), boa.env.prank(AGENT_OWNER):
        registry.resume(agent_id)  # final: the request can never run


# ---------------------------------------------------------------- tampering with the grant


@pytest.mark.parametrize(
    "change",
    [
        "native_budget",
        "valid_until",
        "valid_after",
        "max_calls",
        "min_interval",
        "permission_value",
        "extra_permission",
        "drop_condition",
        "drop_budget",
        "raise_cap",
        "agent_id",
        "session_key",
        "epoch",
    ],
)
def test_tampered_grant_is_refused(
    world,
    make_grant,
    sign_grant,
    activate,
    execute,
    grant_hash,
    refused,
    target,
    token,
    change,
):
    t = str(target.address)
    grant = make_grant(
        max_calls=5,
        min_interval=0,
        permissions=[
            Permission(t, POKE, 10),
            Permission(str(token.address), TRANSFER, 0),
        ],
        conditions=[Condition(0, 0, OP_LE, 5)],
        token_budgets=[TokenBudget(str(token.address), 10, 0)],
    )
    signature = sign_grant(grant)
    activate(grant)
    tampered = {
        "native_budget": lambda: grant.but(native_budget=2**128 - 1),
        "valid_until": lambda: grant.but(valid_until=grant.valid_until + 86_400),
        "valid_after": lambda: grant.but(valid_after=grant.valid_after - 1),
        "max_calls": lambda: grant.but(max_calls=0),
        "min_interval": lambda: grant.but(min_interval=1),
        "permission_value": lambda: grant.but(
            permissions=(Permission(t, POKE, 10**18), grant.permissions[1])
        ),
        "extra_permission": lambda: grant.but(
            permissions=grant.permissions
            + (Permission(STRANGER.address, EMPTY_SELECTOR, 10**18),)
        ),
        "drop_condition": lambda: grant.but(conditions=()),
        "drop_budget": lambda: grant.but(token_budgets=()),
        "raise_cap": lambda: grant.but(
            token_budgets=(TokenBudget(str(token.address), 10**6, 0),)
        ),
        "agent_id": lambda: grant.but(agent_id=world.agent2_id),
        "session_key": lambda: grant.but(session_key=STRANGER.address),
        "epoch": lambda: grant.but(epoch=1),
    }[change]()
    sender = STRANGER.address if change == "session_key" else KEY.address
    for sig in (signature, b""):
        with refused("sessions: bad grant signature", grant_hash(tampered)):
            execute(tampered, target.address, 0, poke(), sig=sig, sender=sender)


# ---------------------------------------------------------------- signatures


def _wrapped_digest(grant_hash_, account, chain_id):
    return typed_digest(message_typed_data(grant_hash_, chain_id, account))


def test_high_s_grant_signature(
    make_grant, sign_grant, execute, grant_hash, refused, target, chain_id
):
    grant = make_grant()
    signature = sign_grant(grant)
    malleated = high_s(signature)
    digest = _wrapped_digest(grant_hash(grant), grant.account, chain_id)
    assert (
        recovers_to(malleated, digest) == OWNER.address
    )  # a real signature, other encoding
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=malleated)
    execute(grant, target.address, 0, poke(), sig=signature)


def test_high_s_raw_signature_of_eip7702_account(
    world, make_grant, sign_grant, execute, grant_hash, refused, target
):
    grant = make_grant(account=str(world.eoa_account.address))
    malleated = high_s(sign_grant(grant))
    assert recovers_to(malleated, grant_hash(grant)) == str(world.eoa_account.address)
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=malleated)


def test_high_s_request_signature(
    make_grant,
    request_sig,
    execute_relayed,
    grant_hash,
    refused,
    target,
    manager,
    chain_id, view):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    nonce, deadline, signature = request_sig(grant, [call])
    digest = bytes(
        view.hashRequest(grant_hash(grant), nonce, deadline, [call.abi()])
    )
    assert recovers_to(high_s(signature), digest) == KEY.address
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], (nonce, deadline, high_s(signature)))
    execute_relayed(grant, [call], (nonce, deadline, signature))


@pytest.mark.parametrize(
    "form", ["v0", "v1", "compact", "zeros", "r_zero", "s_zero", "v29", "trailing_byte"]
)
def test_malformed_signatures(
    make_grant,
    sign_grant,
    request_sig,
    execute,
    execute_relayed,
    grant_hash,
    refused,
    target,
    form,
):
    grant = make_grant()
    call = Call(str(target.address), 0, poke())
    good_grant = sign_grant(grant)
    nonce, deadline, good_request = request_sig(grant, [call])

    def mangle(signature):
        r, s, v = split(signature)
        return {
            "v0": lambda: join(r, s, v - 27),
            "v1": lambda: join(r, s, v - 26),
            "compact": lambda: compact(signature),
            "zeros": lambda: b"\x00" * 65,
            "r_zero": lambda: join(0, s, v),
            "s_zero": lambda: join(r, 0, v),
            "v29": lambda: join(r, s, 29),
            "trailing_byte": lambda: signature + b"\x00",
        }[form]()

    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=mangle(good_grant))
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], (nonce, deadline, mangle(good_request)))


def test_eip7702_key_signature_with_v_0_is_refused(
    world, make_grant, execute, grant_hash, refused, target
):
    grant = make_grant(account=str(world.eoa_account.address))
    r, s, v = split(sign_digest(EOA7702, grant_hash(grant)))
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=join(r, s, v - 27))


# ---------------------------------------------------------------- lying or broken ERC-1271 signers


@pytest.fixture
def liar(deployer):
    return deployer("Liar1271").deploy()


@pytest.fixture
def liar_account(world, liar):
    """A Charter account owned by a contract that says yes to anything."""
    account = world.account_deployer.deploy(liar.address, world.manager.address)
    boa.env.set_balance(str(account.address), 10**18)
    return account


def test_yes_to_anything_owner_only_speaks_for_its_own_account(
    make_grant, execute, grant_hash, refused, liar_account, target, account
):
    junk = b"\x13" * 65
    # a stranger's grant for an honest account: refused, whatever the liar says
    stolen = make_grant(session_key=STRANGER.address)
    with refused("sessions: bad grant signature", grant_hash(stolen)):
        execute(stolen, target.address, 0, poke(), sig=junk)
    # the liar's wrapped "yes" is bound to the liar's account, not reusable
    mine = make_grant(account=str(liar_account.address), session_key=STRANGER.address)
    execute(mine, target.address, 0, poke(), sig=junk)  # its owner decides for it
    assert str(target.lastCaller()) == str(liar_account.address)
    moved = mine.but(account=str(account.address))
    with refused("sessions: bad grant signature", grant_hash(moved)):
        execute(moved, target.address, 0, poke(), sig=junk)


def test_yes_to_anything_contract_as_grant_account_gets_nothing(
    manager, make_grant, execute, grant_hash, refused, liar, target
):
    """A contract that approves any grant naming it can only act as itself,
    and without executeFromManager nothing runs."""
    grant = make_grant(account=str(liar.address))
    with refused(None, grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"\x01")
    assert manager.stateOf(liar.address, grant_hash(grant)) == 0


@pytest.mark.parametrize(
    "mode", [1, 2, 3, 4], ids=["dirty", "true", "right_aligned", "ones"]
)
def test_owner_answering_garbage_is_refused(
    make_grant, execute, grant_hash, refused, liar, liar_account, target, mode
):
    liar.set_mode(mode)
    grant = make_grant(account=str(liar_account.address))
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"\x13" * 65)


@pytest.mark.parametrize(
    "answer",
    [b"\x16\x26\xba\x7e", b"", b"\x16\x26\xba"],
    ids=["4_bytes", "empty", "3_bytes"],
)
def test_owner_answering_short_is_refused(
    world, make_grant, execute, grant_hash, refused, target, answer
):
    signer = fixed_address(f"short-answer-{len(answer)}")
    boa.env.set_code(signer, answering_code(answer))
    account = world.account_deployer.deploy(signer, world.manager.address)
    grant = make_grant(account=str(account.address))
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"\x13" * 65)


def test_answering_code_helper_is_a_real_yes(world, make_grant, execute, target):
    """Control for the raw-bytecode signer: a full word answer is a yes."""
    signer = fixed_address("word-answer")
    boa.env.set_code(signer, answering_code(bytes.fromhex("1626ba7e") + b"\x00" * 28))
    account = world.account_deployer.deploy(signer, world.manager.address)
    grant = make_grant(account=str(account.address))
    execute(grant, target.address, 0, poke(), sig=b"")
    assert str(target.lastCaller()) == str(account.address)


@pytest.mark.parametrize("mode", [2, 3, 4], ids=["wrong", "revert", "writes_storage"])
def test_erc1271_wallet_owner_refusing(
    world, make_grant, execute, grant_hash, refused, target, mode
):
    world.wallet.set_mode(mode)
    grant = make_grant(account=str(world.wallet_account.address))
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke())


def test_erc1271_wallet_owner_wrong_key(
    world, make_grant, sign_grant, execute, grant_hash, refused, target
):
    grant = make_grant(account=str(world.wallet_account.address))
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=sign_grant(grant, signer=OWNER))


def test_contract_session_key_garbage_answer(
    make_grant, execute_relayed, grant_hash, refused, liar, target, now
):
    """A contract session key signs requests through ERC-1271: garbage is
    refused, a yes is honoured (the grant chose that key)."""
    grant = make_grant(session_key=str(liar.address))
    call = Call(str(target.address), 0, poke())
    liar.set_mode(4)
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(grant, [call], (0, now() + 60, b"\x01" * 65))
    liar.set_mode(0)
    execute_relayed(grant, [call], (0, now() + 60, b"\x01" * 65))
    assert target.count() == 1


# ---------------------------------------------------------------- stranger and other keys


def test_stolen_grant_signature_needs_the_key(
    make_grant,
    sign_grant,
    execute,
    request_sig,
    execute_relayed,
    grant_hash,
    refused,
    target,
):
    """Knowing the grant and the account's signature is not enough: the
    stranger must be the session key or hold its signature."""
    grant = make_grant()
    signature = sign_grant(grant)
    call = Call(str(target.address), 0, poke())
    with refused("sessions: not the session key", grant_hash(grant)):
        execute(
            grant, target.address, 0, poke(), sig=signature, sender=STRANGER.address
        )
    with refused("sessions: bad request signature", grant_hash(grant)):
        execute_relayed(
            grant,
            [call],
            request_sig(grant, [call], signer=STRANGER),
            sig=signature,
            sender=STRANGER.address,
        )


def test_friend_allowance_pulled_only_within_cap(
    manager, make_grant, execute, grant_hash, refused, token, account
):
    """transferFrom of a third party's tokens (which the account may pull)
    counts against the cap too."""
    grant = make_grant(
        permissions=[Permission(str(token.address), TRANSFER_FROM, 0)],
        token_budgets=[TokenBudget(str(token.address), 50, 0)],
    )
    execute(grant, token.address, 0, transfer_from(FRIEND, STRANGER.address, 50))
    with refused("sessions: over token budget 0", grant_hash(grant)):
        execute(
            grant, token.address, 0, transfer_from(FRIEND, STRANGER.address, 1), sig=b""
        )
    assert token.balanceOf(STRANGER.address) == 50
