"""Direct hashing of grants and session requests, and LocalSigner's digest signing,
agree byte for byte with eth-account's ``encode_typed_data`` / ``sign_message``.

Pure: no chain. Grants and requests are drawn from a seeded generator, every
field anywhere in its type's range (edges included), arrays empty to full.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from charter import Accounts, Call, Grant, LocalSigner, Sessions, SignedGrant
from charter._core.eip712 import (
    encode_type,
    fast_digest,
    reference_digest,
    sign_typed,
    typed_data_digest,
)
from charter.sessions.models import MAX_BATCH, MAX_CALLDATA, MAX_CONDITIONS, MAX_PERMISSIONS, MAX_TOKENS
from charter.sessions.typed_data import (
    GRANT_HASHER,
    GRANT_TYPES,
    REQUEST_HASHER,
    REQUEST_TYPES,
    grant_typed_data,
    manager_domain_separator,
    request_digest,
    request_typed_data,
)

GRANTS = 150
REQUESTS = 80


def eth_account_digest(typed: dict[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=typed)
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def eth_account_signature(account: LocalAccount, typed: dict[str, Any]) -> bytes:
    return bytes(Account.sign_message(encode_typed_data(full_message=typed), account.key).signature)


# ---------------------------------------------------------------- random values


def uint(rng: random.Random, bits: int) -> int:
    pick = rng.random()
    if pick < 0.15:
        return 0
    if pick < 0.3:
        return 2**bits - 1
    if pick < 0.5:
        return rng.randrange(min(2**bits, 1_000))
    return rng.getrandbits(bits)


def address(rng: random.Random) -> str:
    raw = rng.randbytes(20) if rng.random() > 0.1 else bytes(20)
    return Web3.to_checksum_address(raw)


def random_grant(rng: random.Random) -> Grant:
    n_permissions = rng.choice([0, MAX_PERMISSIONS, rng.randint(0, MAX_PERMISSIONS)])
    n_conditions = rng.choice([0, MAX_CONDITIONS, rng.randint(0, MAX_CONDITIONS)])
    n_budgets = rng.choice([0, MAX_TOKENS, rng.randint(0, MAX_TOKENS)])
    return Grant(
        account=address(rng),
        agent_id=uint(rng, 256),
        agent_generation=uint(rng, 32),
        session_key=address(rng),
        valid_after=uint(rng, 48),
        valid_until=uint(rng, 48),
        epoch=uint(rng, 64),
        max_calls=uint(rng, 32),
        min_interval=uint(rng, 32),
        native_budget=uint(rng, 128),
        salt=rng.randbytes(32),
        permissions=tuple(
            {"target": address(rng), "selector": rng.randbytes(4), "max_value": uint(rng, 256)}
            for _ in range(n_permissions)
        ),
        conditions=tuple(
            {"permission": uint(rng, 8), "index": uint(rng, 16), "op": rng.randint(0, 4), "value": uint(rng, 256)}
            for _ in range(n_conditions)
        ),
        token_budgets=tuple(
            {"token": address(rng), "cap": uint(rng, 128), "period": uint(rng, 32)} for _ in range(n_budgets)
        ),
    )


def random_calls(rng: random.Random, count: int) -> list[Call]:
    sizes = [0, 1, 4, 31, 32, 33, 68, 1_024, MAX_CALLDATA]
    return [
        Call(target=address(rng), value=uint(rng, 256), data=rng.randbytes(rng.choice(sizes)))
        for _ in range(count)
    ]


def chain_and_manager(rng: random.Random) -> tuple[int, str]:
    chain_id = rng.choice([1, 31_337, 8_453, uint(rng, 256)])
    manager = address(rng)
    return chain_id, (manager.lower() if rng.random() < 0.3 else manager)


# ---------------------------------------------------------------- type hashes


def test_type_strings_are_the_contracts() -> None:
    # contracts/modules/grant_hashing.vy
    assert encode_type("Grant", GRANT_TYPES) == (
        "Grant(address account,uint256 agentId,uint32 agentGeneration,address sessionKey,uint48 validAfter,"
        "uint48 validUntil,uint64 epoch,uint32 maxCalls,uint32 minInterval,uint128 nativeBudget,bytes32 salt,"
        "Permission[] permissions,Condition[] conditions,TokenBudget[] tokenBudgets)"
        "Condition(uint8 permission,uint16 index,uint8 op,uint256 value)"
        "Permission(address target,bytes4 selector,uint256 maxValue)"
        "TokenBudget(address token,uint128 cap,uint32 period)"
    )
    assert encode_type("SessionRequest", REQUEST_TYPES) == (
        "SessionRequest(bytes32 grantHash,uint256 nonce,uint256 deadline,Call[] calls)"
        "Call(address target,uint256 value,bytes data)"
    )
    assert GRANT_HASHER.type_hashes["Permission"] == keccak(
        text="Permission(address target,bytes4 selector,uint256 maxValue)"
    )
    assert REQUEST_HASHER.type_hashes["Call"] == keccak(text="Call(address target,uint256 value,bytes data)")


# ---------------------------------------------------------------- grants


@pytest.mark.parametrize("seed", range(3))
def test_grant_digest_equals_eth_account(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(GRANTS // 3):
        grant = random_grant(rng)
        chain_id, manager = chain_and_manager(rng)
        typed = grant.typed_data(chain_id, manager)
        expected = eth_account_digest(typed)
        assert grant.hash(chain_id, manager) == expected
        assert fast_digest(typed) == expected
        assert typed_data_digest(typed) == expected == reference_digest(typed)
        signed = SignedGrant(grant=grant, chain_id=chain_id, manager=manager)
        assert signed.hash == expected


def test_empty_and_full_grants() -> None:
    rng = random.Random(99)
    empty = Grant(account=address(rng), agent_id=0, session_key=address(rng), valid_after=0, valid_until=0)
    full = empty.model_copy(
        update={
            "permissions": tuple(random_grant(rng).permissions[:1] * MAX_PERMISSIONS),
            "conditions": tuple(random_grant(rng).conditions[:1] * MAX_CONDITIONS),
            "token_budgets": tuple(random_grant(rng).token_budgets[:1] * MAX_TOKENS),
        }
    )
    for grant in (empty, full):
        typed = grant.typed_data(1, "0x" + "ab" * 20)
        assert grant.hash(1, "0x" + "ab" * 20) == eth_account_digest(typed) == fast_digest(typed)


@pytest.mark.parametrize("seed", range(2))
def test_grant_signature_equals_eth_account(seed: int) -> None:
    rng = random.Random(100 + seed)
    account = Account.from_key(rng.randbytes(32))
    signer = LocalSigner(account)
    for _ in range(25):
        grant = random_grant(rng).model_copy(update={"account": account.address})
        chain_id, manager = chain_and_manager(rng)
        typed = grant.typed_data(chain_id, manager)
        expected = eth_account_signature(account, typed)
        ours = bytes(signer.sign_typed_data(typed))
        assert ours == expected
        assert len(ours) == 65 and ours[64] in (27, 28)
        assert sign_typed(signer, typed) == expected
        assert sign_typed(account, typed) == expected  # a bare LocalAccount


# ---------------------------------------------------------------- session requests


@pytest.mark.parametrize("count", [0, 1, 2, 5, MAX_BATCH])
def test_request_digest_and_signature_equal_eth_account(count: int) -> None:
    rng = random.Random(200 + count)
    key = Account.from_key(rng.randbytes(32))
    signer = LocalSigner(key)
    for _ in range(REQUESTS // 5):
        calls = random_calls(rng, count)
        chain_id, manager = chain_and_manager(rng)
        grant_hash, nonce, deadline = rng.randbytes(32), uint(rng, 256), uint(rng, 256)
        typed = request_typed_data(grant_hash, calls, nonce, deadline, chain_id, manager)
        expected = eth_account_digest(typed)
        assert request_digest(grant_hash, calls, nonce, deadline, chain_id, manager) == expected
        assert fast_digest(typed) == expected
        assert bytes(signer.sign_typed_data(typed)) == eth_account_signature(key, typed)


def test_sessions_sign_request_matches_eth_account() -> None:
    rng = random.Random(7)
    principal, agent = Account.from_key(rng.randbytes(32)), Account.from_key(rng.randbytes(32))
    chain_id, manager = 31_337, address(rng)
    w3 = Web3()  # never asked anything: chain id and addresses are given
    sessions = Sessions(w3, manager, Accounts(w3, manager, address(rng), chain_id=chain_id), chain_id=chain_id)
    grant = random_grant(rng).model_copy(update={"account": principal.address, "session_key": agent.address})
    typed = grant.typed_data(chain_id, manager)
    signed = SignedGrant(
        grant=grant, chain_id=chain_id, manager=manager, signature=eth_account_signature(principal, typed)
    )
    assert sessions.hash(grant) == eth_account_digest(typed)
    calls = random_calls(rng, 3)
    request = sessions.sign_request(signed, calls, key=LocalSigner(agent), nonce=5, deadline=1_800_000_000)
    request_typed = request_typed_data(signed.hash, calls, 5, 1_800_000_000, chain_id, manager)
    assert sessions.request_digest(request) == eth_account_digest(request_typed)
    assert request.signature == eth_account_signature(agent, request_typed)


# ---------------------------------------------------------------- anything else goes the eth-account way


def _base_typed() -> dict[str, Any]:
    rng = random.Random(5)
    grant = random_grant(rng)
    while not grant.permissions:
        grant = random_grant(rng)
    return grant_typed_data(grant, 10, address(rng))


def _variants() -> list[tuple[str, dict[str, Any]]]:
    out = []

    def variant(name: str, change: Any) -> None:
        typed = _base_typed()
        change(typed)
        out.append((name, typed))

    variant("salt as hex", lambda t: t["message"].update(salt="0x" + t["message"]["salt"].hex()))
    variant("agent id as text", lambda t: t["message"].update(agentId=str(t["message"]["agentId"])))
    variant("lower-case account", lambda t: t["message"].update(account=t["message"]["account"].lower()))
    variant("chain id as text", lambda t: t["domain"].update(chainId=str(t["domain"]["chainId"])))
    variant("short selector", lambda t: t["message"]["permissions"][0].update(selector=b"\x01\x02"))
    variant("extra message key", lambda t: t["message"].update(note="ignored"))
    variant("another domain name", lambda t: t["domain"].update(name="Someone Else", version="2"))
    variant(
        "types in another order",
        lambda t: t.update(types=dict(reversed(list(t["types"].items())))),
    )
    return out


@pytest.mark.parametrize(("name", "typed"), _variants(), ids=[n for n, _ in _variants()])
def test_other_forms_hash_as_eth_account_does(name: str, typed: dict[str, Any]) -> None:
    assert typed_data_digest(typed) == eth_account_digest(typed)
    account = Account.from_key(b"\x01" * 32)
    assert bytes(LocalSigner(account).sign_typed_data(typed)) == eth_account_signature(account, typed)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t["types"]["Grant"].__setitem__(1, {"name": "agentId", "type": "uint128"}),
        lambda t: t["types"]["Permission"].reverse(),
        lambda t: t["types"].update(Extra=[{"name": "x", "type": "uint8"}]),
        lambda t: t.update(primaryType="Permission"),
        lambda t: t["domain"].pop("version"),
        lambda t: t["message"].update(salt="0x" + "00" * 32),
        lambda t: t["message"].update(maxCalls=True),
        lambda t: t["message"]["permissions"][0].update(target="0x" + "Ab" * 20),  # bad checksum
        lambda t: t["message"]["permissions"][0].update(target="0x" + "ab" * 19 + " a"),
        lambda t: t["domain"].update(chainId=True),
        lambda t: t["message"].pop("epoch"),
        lambda t: t["message"].update(permissions=tuple(t["message"]["permissions"])),  # eth-account refuses it
    ],
)
def test_unusual_messages_are_not_hashed_directly(change: Any) -> None:
    typed = _base_typed()
    typed["types"] = {name: [dict(f) for f in fields] for name, fields in typed["types"].items()}
    change(typed)
    assert fast_digest(typed) is None
    try:
        expected: bytes | type[Exception] = eth_account_digest(typed)
    except Exception as exc:  # noqa: BLE001 - the same error either way
        expected = type(exc)
    if isinstance(expected, bytes):
        assert typed_data_digest(typed) == expected
    else:
        with pytest.raises(expected):
            typed_data_digest(typed)


def test_the_tables_are_snapshots() -> None:
    # a grant message compares against the tables as they were at import
    typed = _base_typed()
    assert GRANT_HASHER.describes(typed["types"])
    assert not GRANT_HASHER.describes({**typed["types"], "Grant": typed["types"]["Grant"][:-1]})


def test_domain_separator_is_the_eip712_one() -> None:
    manager = "0x" + "5e" * 20
    expected = keccak(
        keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        + keccak(text="Charter SessionManager")
        + keccak(text="1")
        + (31_337).to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex("5e" * 20)
    )
    assert manager_domain_separator(31_337, manager) == expected
    assert manager_domain_separator(31_337, Web3.to_checksum_address(manager)) == expected
    with pytest.raises(ValueError):
        manager_domain_separator(31_337, "0x1234")


def test_a_replaced_account_signs_with_its_own_key() -> None:
    first, second = Account.from_key(b"\x02" * 32), Account.from_key(b"\x03" * 32)
    signer = LocalSigner(first)
    typed = _base_typed()
    assert bytes(signer.sign_typed_data(typed)) == eth_account_signature(first, typed)
    assert signer.address == first.address
    signer.account = second
    assert bytes(signer.sign_typed_data(typed)) == eth_account_signature(second, typed)
    assert signer.address == second.address

