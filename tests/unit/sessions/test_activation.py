"""Issuing grants: off-chain first use (deployed account, ERC-1271 owner,
EIP-7702-style account), on-chain `issue`, the checks made once at
activation and the GrantActivated event."""

import boa
import pytest

from .conftest import EOA7702, KEY, KEY2, OWNER, PLAIN_EOA, STRANGER
from .helpers import (
    APPROVE,
    DEFAULT_MAX_SESSION,
    FORBIDDEN_SIGNATURES,
    GRANT_ABI,
    OP_EQ,
    OP_ONE_OF,
    POKE,
    STORED_ACTIVE,
    TRANSFER,
    ZERO_ADDRESS,
    Call,
    Condition,
    Event,
    Permission,
    TokenBudget,
    calldata,
    decode_events,
    execute_calldata,
    fixed_address,
    message_typed_data,
    pack_state,
    poke,
    sel,
    sign_digest,
    typed_digest,
)

# ---------------------------------------------------------------- off-chain, first use


def test_first_use_activates_deployed_account_grant(
    manager, make_grant, execute, grant_hash, target, account, now, view):
    grant = make_grant()
    gh = grant_hash(grant)
    assert manager.stateOf(account.address, gh) == 0
    assert view.grantState(grant.abi()).status == 0  # pending
    execute(grant, target.address, 7, poke(1, target.address, 2))
    logs = decode_events(manager, manager)  # before any other call to the manager
    assert target.count() == 1
    assert (str(target.lastCaller()), target.lastValue()) == (str(account.address), 7)
    assert manager.stateOf(account.address, gh) == pack_state(
        STORED_ACTIVE, calls=1, last=now(), native=7
    )
    assert logs == [
        Event(
            "GrantActivated",
            {
                "grantHash": gh,
                "account": str(account.address),
                "agentId": grant.agent_id,
                "sessionKey": KEY.address,
                "validUntil": grant.valid_until,
            },
        )
    ]


def test_active_grant_needs_no_signature_and_logs_no_event(
    manager, make_grant, execute, activate, target, view):
    grant = make_grant()
    activate(grant)
    execute(grant, target.address, 0, poke(), sig=b"")
    assert decode_events(manager, manager) == []
    assert target.count() == 2
    assert view.grantState(grant.abi()).callsUsed == 2


def test_active_grant_ignores_whatever_signature_comes_with_it(
    make_grant, execute, activate, target
):
    """Once active the grant signature is not looked at again (documented:
    "empty once the grant is active"): garbage does no harm either."""
    grant = make_grant()
    activate(grant)
    execute(grant, target.address, 0, poke(), sig=b"\x01" * 65)
    assert target.count() == 2


def test_first_use_with_erc1271_owner(world, manager, make_grant, execute, target, view):
    """An account owned by a contract: the account's ERC-1271 check asks the
    owner's ERC-1271, which checks its signer's key."""
    account = world.wallet_account
    grant = make_grant(account=account.address)
    execute(grant, target.address, 0, poke())
    assert str(target.lastCaller()) == str(account.address)
    assert view.grantState(grant.abi()).status == 1


def test_first_use_with_eip7702_account(
    world, manager, make_grant, execute, grant_hash, sign_grant, target
):
    """An EOA whose code is the AgentAccount delegate is its own owner and
    signs the raw grant digest with its own key."""
    eoa = world.eoa_account
    assert str(eoa.owner()) == str(eoa.address)
    grant = make_grant(account=eoa.address)
    signature = sign_grant(grant)
    execute(grant, target.address, 5, poke(), sig=signature)
    assert (str(target.lastCaller()), target.lastValue()) == (str(eoa.address), 5)
    assert manager.stateOf(eoa.address, grant_hash(grant)) & 0xFF == STORED_ACTIVE


def test_eip7702_account_refuses_wrapped_signature(
    world, make_grant, execute, grant_hash, refused, target
):
    """The 7702 account checks its own key over the raw digest, not over a
    CharterMessage wrapper."""
    eoa = world.eoa_account
    grant = make_grant(account=eoa.address)
    wrapped = typed_digest(
        message_typed_data(grant_hash(grant), boa.env.evm.patch.chain_id, eoa.address)
    )
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=sign_digest(EOA7702, wrapped))


def test_relayed_first_use(manager, make_grant, request_sig, execute_relayed, target, view):
    """A relayer may present the grant signature with the first (relayed) use."""
    grant = make_grant()
    call = Call(target.address, 0, poke())
    execute_relayed(grant, [call], request_sig(grant, [call]))
    assert target.count() == 1
    assert view.grantState(grant.abi()).status == 1


@pytest.mark.parametrize(
    "signature",
    ["empty", "stranger", "raw_digest", "other_account", "other_salt", "zeros", "junk"],
)
def test_first_use_bad_grant_signature(
    world, make_grant, execute, sign_grant, grant_hash, refused, target, signature
):
    grant = make_grant()
    sig = {
        "empty": lambda: b"",
        "stranger": lambda: sign_grant(grant, signer=STRANGER),
        "raw_digest": lambda: sign_digest(
            OWNER, grant_hash(grant)
        ),  # not wrapped for the account
        "other_account": lambda: sign_grant(
            grant, digest_account=world.account_b.address
        ),
        "other_salt": lambda: sign_grant(grant.but(salt=b"\x09" * 32)),
        "zeros": lambda: b"\x00" * 65,
        "junk": lambda: b"\x5a" * 200,
    }[signature]()
    with refused("sessions: bad grant signature", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=sig)


# ---------------------------------------------------------------- on-chain issue


def test_issue_activates_without_signature(
    manager, make_grant, issue, execute, grant_hash, target, account, view):
    grant = make_grant()
    called = issue(grant)
    gh = grant_hash(grant)
    assert manager.stateOf(account.address, gh) == STORED_ACTIVE
    assert decode_events(called, manager) == [
        Event(
            "GrantActivated",
            {
                "grantHash": gh,
                "account": str(account.address),
                "agentId": grant.agent_id,
                "sessionKey": KEY.address,
                "validUntil": grant.valid_until,
            },
        )
    ]
    assert view.grantState(grant.abi()).status == 1
    execute(grant, target.address, 0, poke(), sig=b"")
    assert target.count() == 1
    assert decode_events(manager, manager) == []


def test_issue_returns_the_grant_hash(manager, make_grant, account, grant_hash, consent):
    grant = make_grant()
    with boa.env.prank(account.address):
        assert bytes(manager.issue(grant.abi(), consent(grant))) == grant_hash(grant)


def test_issue_by_eip7702_account_itself(
    world, manager, make_grant, issue, execute, target
):
    eoa = world.eoa_account
    grant = make_grant(account=eoa.address)
    issue(grant)  # the EOA sends issue() itself
    execute(grant, target.address, 0, poke(), sig=b"")
    assert str(target.lastCaller()) == str(eoa.address)


def test_issue_not_the_account(manager, make_grant, refused, grant_hash):
    grant = make_grant()
    for sender in (OWNER.address, KEY.address, STRANGER.address):
        with (
            refused("sessions: not the account", grant_hash(grant)),
            boa.env.prank(sender),
        ):
            manager.issue(grant.abi(), b"")


def test_issue_twice(make_grant, issue, refused, grant_hash):
    grant = make_grant()
    issue(grant)
    with refused("sessions: grant exists", grant_hash(grant)):
        issue(grant)


def test_issue_after_off_chain_activation(
    make_grant, activate, issue, refused, grant_hash
):
    grant = make_grant()
    activate(grant)
    with refused("sessions: grant exists", grant_hash(grant)):
        issue(grant)


def test_issue_checks_epoch_and_window(
    make_grant, issue, refused, grant_hash, as_account, account, now
):
    future = make_grant(epoch=1)
    with refused("sessions: future epoch", grant_hash(future)):
        issue(future)
    long = make_grant(valid_until=now() + DEFAULT_MAX_SESSION + 1)
    with refused("sessions: window too long", grant_hash(long)):
        issue(long)
    empty = make_grant(valid_until=now())
    with refused("sessions: empty window", grant_hash(empty)):
        issue(empty)
    old = make_grant()
    as_account(account.address, "revokeAll()")
    with refused("sessions: revoked by revokeAll", grant_hash(old)):
        issue(old)


def test_issue_a_grant_not_yet_valid(manager, make_grant, issue, now, view):
    """`issue` does not look at the clock: a grant for later can be issued."""
    grant = make_grant(valid_after=now() + 100, valid_until=now() + 200)
    issue(grant)
    assert view.grantState(grant.abi()).status == 5  # active but not yet valid


# ---------------------------------------------------------------- grants refused at activation


def _defective(world, make_grant, defect):
    t = str(world.target.address)
    ok = Permission(t, POKE, 0)
    return {
        "no_agent": lambda: make_grant(agent_id=0),
        "zero_session_key": lambda: make_grant(session_key=ZERO_ADDRESS),
        "key_is_account": lambda: make_grant(session_key=world.account.address),
        "no_permissions": lambda: make_grant(permissions=[]),
        "zero_target": lambda: make_grant(
            permissions=[ok, Permission(ZERO_ADDRESS, POKE, 0)]
        ),
        "target_account": lambda: make_grant(
            permissions=[ok, Permission(str(world.account.address), POKE, 0)]
        ),
        "target_manager": lambda: make_grant(
            permissions=[
                ok,
                Permission(str(world.manager.address), sel("revokeAll()"), 0),
            ]
        ),
        "target_registry": lambda: make_grant(
            permissions=[
                ok,
                Permission(str(world.registry.address), sel("pause(uint256)"), 0),
            ]
        ),
        "duplicate_permission": lambda: make_grant(
            permissions=[
                ok,
                Permission(fixed_address("x"), POKE, 0),
                Permission(t, POKE, 5),
            ]
        ),
        "condition_permission": lambda: make_grant(
            permissions=[ok], conditions=[Condition(1, 0, OP_EQ, 0)]
        ),
        "condition_op": lambda: make_grant(
            permissions=[ok], conditions=[Condition(0, 0, OP_ONE_OF + 1, 0)]
        ),
        "zero_token": lambda: make_grant(
            token_budgets=[TokenBudget(ZERO_ADDRESS, 1, 0)]
        ),
        "duplicate_token": lambda: make_grant(
            token_budgets=[
                TokenBudget(str(world.token.address), 1, 0),
                TokenBudget(str(world.token2.address), 1, 0),
                TokenBudget(str(world.token.address), 2, 0),
            ]
        ),
    }[defect]()


DEFECTS = {
    "no_agent": "sessions: no agent",
    "zero_session_key": "sessions: zero session key",
    "key_is_account": "sessions: key is the account",
    "no_permissions": "sessions: no permissions",
    "zero_target": "sessions: zero target",
    "target_account": "sessions: forbidden target",
    "target_manager": "sessions: forbidden target",
    "target_registry": "sessions: forbidden target",
    "duplicate_permission": "sessions: duplicate permission",
    "condition_permission": "sessions: bad condition",
    "condition_op": "sessions: bad condition",
    "zero_token": "sessions: token has no code",
    "duplicate_token": "sessions: duplicate token",
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_issue_refuses_defective_grant(
    world, make_grant, issue, refused, grant_hash, defect
):
    grant = _defective(world, make_grant, defect)
    with refused(DEFECTS[defect], grant_hash(grant)):
        issue(grant)


# Off-chain first use: the session key sends it (the ones a key can send).
OFF_CHAIN = sorted(set(DEFECTS) - {"zero_session_key", "key_is_account"})


@pytest.mark.parametrize("defect", OFF_CHAIN)
def test_first_use_refuses_defective_grant(
    world, make_grant, execute, refused, grant_hash, defect
):
    grant = _defective(world, make_grant, defect)
    with refused(DEFECTS[defect], grant_hash(grant)):
        execute(grant, world.target.address, 0, poke())


def test_first_use_refuses_grant_whose_key_is_the_account(
    world, make_grant, grant_signature, refused, grant_hash
):
    """The account itself presenting a grant naming it as session key (its
    owner drives `account.execute(manager, execute(...))`)."""
    account = world.account
    grant = make_grant(session_key=account.address)
    data = execute_calldata(grant, grant_signature(grant), world.target.address, 0, poke())
    with (
        refused("sessions: key is the account", grant_hash(grant)),
        boa.env.prank(OWNER.address),
    ):
        account.execute(world.manager.address, 0, data)


@pytest.mark.parametrize("signature", FORBIDDEN_SIGNATURES)
def test_forbidden_selectors_refused_on_any_target(
    world, make_grant, issue, execute, refused, grant_hash, signature
):
    selector = sel(signature)
    for target in (
        world.target.address,
        world.account_b.address,
        fixed_address("anyone"),
    ):
        grant = make_grant(
            permissions=[
                Permission(str(world.target.address), POKE, 0),
                Permission(str(target), selector, 0),
            ]
        )
        with refused("sessions: forbidden selector", grant_hash(grant)):
            issue(grant)
        with refused("sessions: forbidden selector", grant_hash(grant)):
            execute(grant, world.target.address, 0, poke())


def test_refused_grant_stays_pending(
    world, manager, make_grant, execute, grant_hash, target, view):
    """A refusal at activation stores nothing: the grant is still pending
    and no GrantActivated was logged."""
    grant = make_grant(
        permissions=[
            Permission(str(target.address), POKE, 0),
            Permission(str(world.account.address), POKE, 0),
        ]
    )
    with boa.reverts("sessions: forbidden target"):
        execute(grant, target.address, 0, poke())
    assert manager.stateOf(world.account.address, grant_hash(grant)) == 0
    assert view.grantState(grant.abi()).status == 0
    assert manager.epochOf(world.account.address) == 0


def test_limits_accepted_at_activation(
    world, manager, make_grant, issue, target, token, token2, view):
    """Edge values that activation accepts: 8 permissions, 8 conditions,
    4 budgets, ONE_OF (op 4), a window of exactly the maximum length."""
    perms = (
        [Permission(str(target.address), POKE, 0)]
        + [Permission(fixed_address(f"p{i}"), POKE, 0) for i in range(6)]
        + [Permission(str(token.address), TRANSFER, 0)]
    )
    now = boa.env.timestamp
    grant = make_grant(
        valid_until=now + DEFAULT_MAX_SESSION,
        permissions=perms,
        conditions=[Condition(i, 0, i % 5, 1) for i in range(8)],
        token_budgets=[
            TokenBudget(str(token.address), 1, 0),
            TokenBudget(str(token2.address), 1, 0),
            TokenBudget(str(target.address), 1, 0),  # any contract: checked for code only
            TokenBudget(str(view.address), 1, 0),
        ],
    )
    issue(grant)
    assert view.grantState(grant.abi()).status == 1


def test_same_target_different_selectors_is_not_a_duplicate(
    manager, make_grant, issue, token, view):
    grant = make_grant(
        permissions=[
            Permission(str(token.address), TRANSFER, 0),
            Permission(str(token.address), APPROVE, 0),
        ]
    )
    issue(grant)
    assert view.grantState(grant.abi()).status == 1


def test_account_with_no_code_first_use(
    manager, make_grant, execute, sign_grant, grant_hash, refused, target
):
    """A plain EOA account: its raw signature is valid, but sessions need
    the account's code."""
    grant = make_grant(account=PLAIN_EOA.address)
    with refused("sessions: account has no code", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=sign_grant(grant))


def test_account_with_no_code_after_issue(
    manager, make_grant, execute, grant_hash, refused, target, consent
):
    """`issue` works from a plain EOA (msg.sender is the account) but every
    use is refused until the EOA has code."""
    grant = make_grant(account=PLAIN_EOA.address)
    with boa.env.prank(PLAIN_EOA.address):
        manager.issue(grant.abi(), consent(grant))
    assert manager.stateOf(PLAIN_EOA.address, grant_hash(grant)) == STORED_ACTIVE
    with refused("sessions: account has no code", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_delegation_removed(
    world, make_grant, activate, execute, grant_hash, refused, target
):
    """An EIP-7702 account that drops its delegation loses its sessions."""
    eoa = world.eoa_account
    grant = make_grant(account=eoa.address)
    activate(grant)
    boa.env.set_code(eoa.address, b"")
    with refused("sessions: account has no code", grant_hash(grant)):
        execute(grant, target.address, 0, poke(), sig=b"")


def test_grant_for_other_session_key_is_separate(
    manager, make_grant, activate, grant_hash, account
):
    a = make_grant()
    b = make_grant(session_key=KEY2.address)
    activate(a)
    assert manager.stateOf(account.address, grant_hash(b)) == 0
    assert grant_hash(a) != grant_hash(b)


def test_issue_calldata_matches_abi(manager, make_grant):
    """The helper's `issue` calldata (used through account.execute) is the
    ABI the contract exposes."""
    grant = make_grant()
    assert (
        calldata(f"issue({GRANT_ABI},bytes)", grant.abi(), b"")[:4]
        == bytes(manager.issue.prepare_calldata(grant.abi(), b""))[:4]
    )
