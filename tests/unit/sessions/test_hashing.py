"""hashGrant / hashRequest / eip712Domain against an independent EIP-712
computation (eth_account's encode_typed_data over full typed-data dicts),
and the binding of both digests to chain, manager and every field."""

import boa
import pytest
from eth_utils import keccak

from .helpers import (
    APPROVE,
    EMPTY_SELECTOR,
    MANAGER_NAME,
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
    fixed_address,
    poke,
    request_typed_data,
    transfer,
    typed_digest,
)


@pytest.fixture
def full_grant(make_grant, target, token, token2):
    """A grant with every array at its largest and every field non-zero."""
    return make_grant(
        valid_after=1_000,
        valid_until=2**48 - 1,
        epoch=2**64 - 1,
        max_calls=2**32 - 1,
        min_interval=2**32 - 1,
        native_budget=2**128 - 1,
        salt=keccak(text="salt"),
        permissions=[
            Permission(
                fixed_address(f"p{i}"), bytes([i, 0xFF, i, 0x01]), 2**256 - 1 - i
            )
            for i in range(8)
        ],
        conditions=[
            Condition(i, 2**16 - 1 - i, i % 5, 2**256 - 1 - i) for i in range(8)
        ],
        token_budgets=[
            TokenBudget(fixed_address(f"t{i}"), 2**128 - 1 - i, 2**32 - 1 - i)
            for i in range(4)
        ],
    )


def test_domain(manager, chain_id):
    fields, name, version, chain, contract, salt, extensions = manager.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version, chain) == (MANAGER_NAME, "1", chain_id)
    assert str(contract) == str(manager.address)
    assert (salt, list(extensions)) == (b"\x00" * 32, [])


def test_hash_grant_with_empty_arrays(manager, make_grant, grant_hash, view):
    grant = make_grant(permissions=[], conditions=[], token_budgets=[])
    assert bytes(view.hashGrant(grant.abi())) == grant_hash(grant)


def test_hash_grant_default(manager, make_grant, grant_hash, view):
    grant = make_grant()
    assert bytes(view.hashGrant(grant.abi())) == grant_hash(grant)


def test_hash_grant_full(manager, full_grant, grant_hash, view):
    assert bytes(view.hashGrant(full_grant.abi())) == grant_hash(full_grant)


@pytest.mark.parametrize(
    "sizes", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (2, 3, 2), (8, 8, 4)]
)
def test_hash_grant_array_sizes(manager, make_grant, grant_hash, target, token, sizes, view):
    n_perm, n_cond, n_budget = sizes
    grant = make_grant(
        permissions=[
            Permission(fixed_address(f"p{i}"), POKE, i) for i in range(n_perm)
        ],
        conditions=[
            Condition(0, i, [OP_EQ, OP_NE, OP_LE, OP_GE, OP_ONE_OF][i % 5], i * 7)
            for i in range(n_cond)
        ],
        token_budgets=[
            TokenBudget(fixed_address(f"t{i}"), 100 + i, i) for i in range(n_budget)
        ],
    )
    assert bytes(view.hashGrant(grant.abi())) == grant_hash(grant)


@pytest.mark.parametrize(
    "change",
    [
        {"account": fixed_address("other")},
        {"agent_id": 2},
        {"session_key": fixed_address("key")},
        {"valid_after": 1},
        {"valid_until": 1},
        {"epoch": 1},
        {"max_calls": 1},
        {"min_interval": 1},
        {"native_budget": 1},
        {"salt": b"\x01" * 32},
        {"permissions": []},
        {"conditions": [Condition(0, 0, OP_EQ, 0)]},
        {"token_budgets": [TokenBudget(fixed_address("t"), 1, 0)]},
    ],
    ids=lambda c: next(iter(c)),
)
def test_every_field_is_hashed(manager, full_grant, grant_hash, change, view):
    original = bytes(view.hashGrant(full_grant.abi()))
    changed = full_grant.but(**change)
    assert bytes(view.hashGrant(changed.abi())) == grant_hash(changed) != original


def test_nested_fields_are_hashed(manager, make_grant, grant_hash, target, token, view):
    base = make_grant(
        permissions=[Permission(target.address, POKE, 5)],
        conditions=[Condition(0, 1, OP_LE, 9)],
        token_budgets=[TokenBudget(token.address, 100, 60)],
    )
    variants = [
        base.but(permissions=(Permission(target.address, TRANSFER, 5),)),
        base.but(permissions=(Permission(target.address, POKE, 6),)),
        base.but(permissions=(Permission(token.address, POKE, 5),)),
        base.but(conditions=(Condition(0, 1, OP_GE, 9),)),
        base.but(conditions=(Condition(0, 2, OP_LE, 9),)),
        base.but(conditions=(Condition(0, 1, OP_LE, 8),)),
        base.but(token_budgets=(TokenBudget(token.address, 101, 60),)),
        base.but(token_budgets=(TokenBudget(token.address, 100, 61),)),
    ]
    hashes = {bytes(view.hashGrant(base.abi()))}
    for grant in variants:
        digest = bytes(view.hashGrant(grant.abi()))
        assert digest == grant_hash(grant)
        hashes.add(digest)
    assert len(hashes) == len(variants) + 1


def test_hash_grant_bound_to_chain_and_manager(
    manager, manager2, make_grant, grant_hash, chain_id, view, view2):
    grant = make_grant()
    home = bytes(view.hashGrant(grant.abi()))
    assert (
        bytes(view2.hashGrant(grant.abi()))
        == grant_hash(grant, manager=manager2.address)
        != home
    )
    boa.env.evm.patch.chain_id = chain_id + 1
    other_chain = bytes(view.hashGrant(grant.abi()))
    assert other_chain == grant_hash(grant, chain_id=chain_id + 1) != home
    assert manager.eip712Domain()[3] == chain_id + 1


def test_hash_grant_is_view_of_calldata_only(
    manager, make_grant, grant_hash, issue, as_account, account, view):
    """The digest does not depend on the grant's state or the account's epoch."""
    grant = make_grant()
    before = bytes(view.hashGrant(grant.abi()))
    issue(grant)
    as_account(account.address, "revokeAll()")
    assert bytes(view.hashGrant(grant.abi())) == before == grant_hash(grant)


# ---------------------------------------------------------------- hashRequest


def _request_digest(grant_hash_, nonce, deadline, calls, chain_id, manager):
    return typed_digest(
        request_typed_data(grant_hash_, nonce, deadline, calls, chain_id, manager)
    )


@pytest.mark.parametrize("n", [0, 1, 2, 16])
def test_hash_request(manager, chain_id, target, n, view):
    calls = [
        Call(target.address, i, poke(i, target.address, i) if i % 2 else b"")
        for i in range(n)
    ]
    grant_hash_ = keccak(text="grant")
    nonce, deadline = 7, 2**256 - 1
    expected = _request_digest(
        grant_hash_, nonce, deadline, calls, chain_id, manager.address
    )
    got = view.hashRequest(grant_hash_, nonce, deadline, [c.abi() for c in calls])
    assert bytes(got) == expected


def test_hash_request_empty_calls_is_keccak_of_nothing(manager, chain_id, view):
    """EIP-712: an empty array hashes to keccak256("")."""
    got = view.hashRequest(b"\x01" * 32, 0, 0, [])
    assert bytes(got) == _request_digest(
        b"\x01" * 32, 0, 0, [], chain_id, manager.address
    )


def test_hash_request_long_calldata(manager, chain_id, token, view):
    calls = [
        Call(token.address, 0, b"\xab" * 1_024),
        Call(token.address, 1, APPROVE + b"\x00" * 60),
    ]
    got = view.hashRequest(b"\x02" * 32, 1, 2, [c.abi() for c in calls])
    assert bytes(got) == _request_digest(
        b"\x02" * 32, 1, 2, calls, chain_id, manager.address
    )


def test_hash_request_binds_every_part(manager, chain_id, target, token, view):
    base = [
        Call(target.address, 1, poke()),
        Call(token.address, 0, transfer(target.address, 5)),
    ]
    gh = keccak(text="g")

    def h(grant_hash_=gh, nonce=0, deadline=100, calls=base):
        return bytes(
            view.hashRequest(grant_hash_, nonce, deadline, [c.abi() for c in calls])
        )

    variants = [
        h(),
        h(grant_hash_=keccak(text="other")),
        h(nonce=1),
        h(deadline=101),
        h(calls=base[::-1]),
        h(calls=base[:1]),
        h(calls=[Call(target.address, 2, poke()), base[1]]),
        h(calls=[Call(token.address, 1, poke()), base[1]]),
        h(calls=[Call(target.address, 1, poke(2)), base[1]]),
        h(calls=[Call(target.address, 1, EMPTY_SELECTOR), base[1]]),
    ]
    assert len(set(variants)) == len(variants)
    assert variants[0] == _request_digest(gh, 0, 100, base, chain_id, manager.address)


def test_hash_request_bound_to_chain_and_manager(manager, manager2, chain_id, target, view, view2):
    calls = [Call(target.address, 0, poke())]
    gh = keccak(text="g")
    home = bytes(view.hashRequest(gh, 0, 9, [c.abi() for c in calls]))
    assert (
        bytes(view2.hashRequest(gh, 0, 9, [c.abi() for c in calls]))
        == _request_digest(gh, 0, 9, calls, chain_id, manager2.address)
        != home
    )
    boa.env.evm.patch.chain_id = chain_id + 5
    assert (
        bytes(view.hashRequest(gh, 0, 9, [c.abi() for c in calls]))
        == _request_digest(gh, 0, 9, calls, chain_id + 5, manager.address)
        != home
    )


def test_single_execute_signs_a_one_call_request(
    manager, make_grant, request_sig, execute_relayed, target, chain_id, grant_hash, view):
    """`execute` with a relay hashes its call as a one-element `calls` array:
    a request signed over [call] with eth_account's typed data runs."""
    grant = make_grant()
    call = Call(target.address, 3, poke(4, target.address, 5))
    relay = request_sig(grant, [call])
    assert bytes(
        view.hashRequest(grant_hash(grant), 0, relay[1], [call.abi()])
    ) == _request_digest(
        grant_hash(grant), 0, relay[1], [call], chain_id, manager.address
    )
    execute_relayed(grant, [call], relay)
    assert target.count() == 1 and target.lastValue() == 3
    assert view.grantState(grant.abi()).nonce == 1
