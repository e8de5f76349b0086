"""The SessionManager's EIP-712 messages: the ``Grant`` an account signs, the ``SessionRequest`` a session key signs,
and the ``MultiChainGrant`` an account signs once for grants on several chains.

The first two on the manager's domain ``{name: "Charter SessionManager",
version: "1", chainId, verifyingContract: <manager>}``. The digests computed
here are the ones the contract checks (tested against its ``hashGrant`` /
``hashRequest``). ``MultiChainGrant(bytes32[] grants)`` lists each chain's
grant hash (each bound to its chain id and manager) under the chain-agnostic
domain ``{name, version, verifyingContract: <manager>}`` (no chain id: the
manager has the same CREATE2 address on every chain), as
``contracts/modules/grant_hashing.vy``'s ``_multi_chain_digest`` hashes it.

The full messages (:func:`grant_typed_data`, :func:`request_typed_data`) are
for signers that hash them themselves (hardware wallets, a node's
``eth_signTypedData_v4``). The SDK hashes grants and requests directly, as
``contracts/modules/grant_hashing.vy`` does (:data:`GRANT_HASHER`,
:data:`REQUEST_HASHER`: type hashes derived once from :data:`GRANT_TYPES` /
:data:`REQUEST_TYPES`, domain separators cached); the two ways agree byte for
byte (``tests/sdk/test_fast_hashing.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from eth_hash.auto import keccak

from .._core.checks import parse_address
from .._core.eip712 import (
    EIP712_DOMAIN_TYPE,
    StructHasher,
    address_word,
    domain_separator,
    eip712_digest,
    register,
    type_hash,
    typed_data_digest,
)

if TYPE_CHECKING:
    from ..accounts.models import Call
    from .models import Grant

MANAGER_DOMAIN_NAME = "Charter SessionManager"
DOMAIN_VERSION = "1"

GRANT_TYPES: dict[str, list[dict[str, str]]] = {
    "Grant": [
        {"name": "account", "type": "address"},
        {"name": "agentId", "type": "uint256"},
        {"name": "agentGeneration", "type": "uint32"},
        {"name": "sessionKey", "type": "address"},
        {"name": "validAfter", "type": "uint48"},
        {"name": "validUntil", "type": "uint48"},
        {"name": "epoch", "type": "uint64"},
        {"name": "maxCalls", "type": "uint32"},
        {"name": "minInterval", "type": "uint32"},
        {"name": "nativeBudget", "type": "uint128"},
        {"name": "salt", "type": "bytes32"},
        {"name": "permissions", "type": "Permission[]"},
        {"name": "conditions", "type": "Condition[]"},
        {"name": "tokenBudgets", "type": "TokenBudget[]"},
    ],
    "Permission": [
        {"name": "target", "type": "address"},
        {"name": "selector", "type": "bytes4"},
        {"name": "maxValue", "type": "uint256"},
    ],
    "Condition": [
        {"name": "permission", "type": "uint8"},
        {"name": "index", "type": "uint16"},
        {"name": "op", "type": "uint8"},
        {"name": "value", "type": "uint256"},
    ],
    "TokenBudget": [
        {"name": "token", "type": "address"},
        {"name": "cap", "type": "uint128"},
        {"name": "period", "type": "uint32"},
    ],
}
REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "SessionRequest": [
        {"name": "grantHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "calls", "type": "Call[]"},
    ],
    "Call": [
        {"name": "target", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
    ],
}
MULTI_CHAIN_DOMAIN_TYPE: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "verifyingContract", "type": "address"},
]
"""The domain of a multi-chain grant: the manager's, without a chain id."""
MULTI_CHAIN_TYPES: dict[str, list[dict[str, str]]] = {
    "MultiChainGrant": [{"name": "grants", "type": "bytes32[]"}],
}


GRANT_HASHER = register(StructHasher("Grant", GRANT_TYPES))
"""Grant struct hashes, from a ``Grant`` model or a grant message."""
REQUEST_HASHER = register(StructHasher("SessionRequest", REQUEST_TYPES))
"""SessionRequest struct hashes, from a request message (or anything with the fields as attributes)."""

_checksummed = lru_cache(maxsize=256)(parse_address)


def _manager_address(manager: Any) -> str:
    return _checksummed(manager) if isinstance(manager, str) else parse_address(manager)


def manager_domain(chain_id: int, manager: str) -> dict[str, Any]:
    """The EIP-712 domain of `manager` on `chain_id`."""
    return {
        "name": MANAGER_DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": _manager_address(manager),
    }


def manager_domain_separator(chain_id: int, manager: str) -> bytes:
    """The domain separator of `manager` on `chain_id` (cached); ``ValueError`` for a bad address."""
    return domain_separator(MANAGER_DOMAIN_NAME, DOMAIN_VERSION, chain_id, _manager_address(manager))


def grant_digest(grant: Grant, chain_id: int, manager: str) -> bytes:
    """The grant hash (EIP-712 digest) the manager checks, hashed directly from the model."""
    if type(chain_id) is not int:  # an unusual chain id: eth-account says what it means
        return typed_data_digest(grant_typed_data(grant, chain_id, manager))
    return eip712_digest(manager_domain_separator(chain_id, manager), GRANT_HASHER.hash_object(grant))


def request_digest(
    grant_hash: bytes, calls: Sequence[Call], nonce: int, deadline: int, chain_id: int, manager: str
) -> bytes:
    """The digest a session key signs for a relayed request (what :func:`request_typed_data` hashes to)."""
    if type(chain_id) is not int:
        return typed_data_digest(request_typed_data(grant_hash, calls, nonce, deadline, chain_id, manager))
    fields = SimpleNamespace(grant_hash=grant_hash, nonce=nonce, deadline=deadline, calls=tuple(calls))
    return eip712_digest(manager_domain_separator(chain_id, manager), REQUEST_HASHER.hash_object(fields))


_MULTI_DOMAIN_TYPEHASH = type_hash("EIP712Domain", {"EIP712Domain": MULTI_CHAIN_DOMAIN_TYPE})
_MULTI_CHAIN_TYPEHASH = type_hash("MultiChainGrant", MULTI_CHAIN_TYPES)


def multi_chain_domain(manager: str) -> dict[str, Any]:
    """The chain-agnostic EIP-712 domain of `manager` (a multi-chain grant's)."""
    return {"name": MANAGER_DOMAIN_NAME, "version": DOMAIN_VERSION, "verifyingContract": _manager_address(manager)}


def multi_chain_digest(grants: Sequence[bytes], manager: str) -> bytes:
    """The digest an account signs once for grants on several chains: EIP-712
    ``MultiChainGrant(bytes32[] grants)`` under :func:`multi_chain_domain`, hashed
    directly (what :func:`multi_chain_typed_data` hashes to, and what the manager's
    ``activate`` checks). `grants` are the entries' grant hashes, in order."""
    words = [bytes(g) for g in grants]
    if any(len(w) != 32 for w in words):
        raise ValueError("a multi-chain grant lists 32-byte grant hashes")
    separator = bytes(keccak(
        _MULTI_DOMAIN_TYPEHASH + bytes(keccak(MANAGER_DOMAIN_NAME.encode())) + bytes(keccak(DOMAIN_VERSION.encode()))
        + address_word(_manager_address(manager))
    ))
    return eip712_digest(separator, bytes(keccak(_MULTI_CHAIN_TYPEHASH + bytes(keccak(b"".join(words))))))


def multi_chain_typed_data(grants: Sequence[bytes], manager: str) -> dict[str, Any]:
    """The full EIP-712 message an account (and the agent, to consent) signs once for grants on
    several chains: ``MultiChainGrant(bytes32[] grants)`` under :func:`multi_chain_domain`."""
    return {
        "types": {"EIP712Domain": MULTI_CHAIN_DOMAIN_TYPE, **MULTI_CHAIN_TYPES},
        "primaryType": "MultiChainGrant",
        "domain": multi_chain_domain(manager),
        "message": {"grants": [bytes(g) for g in grants]},
    }


def grant_typed_data(grant: Grant, chain_id: int, manager: str) -> dict[str, Any]:
    """The full EIP-712 message an account signs for `grant`."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **GRANT_TYPES},
        "primaryType": "Grant",
        "domain": manager_domain(chain_id, manager),
        "message": {
            "account": grant.account,
            "agentId": grant.agent_id,
            "agentGeneration": grant.agent_generation,
            "sessionKey": grant.session_key,
            "validAfter": grant.valid_after,
            "validUntil": grant.valid_until,
            "epoch": grant.epoch,
            "maxCalls": grant.max_calls,
            "minInterval": grant.min_interval,
            "nativeBudget": grant.native_budget,
            "salt": grant.salt,
            "permissions": [
                {"target": p.target, "selector": p.selector, "maxValue": p.max_value}
                for p in grant.permissions
            ],
            "conditions": [
                {"permission": c.permission, "index": c.index, "op": int(c.op), "value": c.value}
                for c in grant.conditions
            ],
            "tokenBudgets": [
                {"token": b.token, "cap": b.cap, "period": b.period} for b in grant.token_budgets
            ],
        },
    }


def request_typed_data(
    grant_hash: bytes, calls: Sequence[Call], nonce: int, deadline: int, chain_id: int, manager: str
) -> dict[str, Any]:
    """The full EIP-712 message a session key signs for a relayed request."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **REQUEST_TYPES},
        "primaryType": "SessionRequest",
        "domain": manager_domain(chain_id, manager),
        "message": {
            "grantHash": grant_hash,
            "nonce": nonce,
            "deadline": deadline,
            "calls": [{"target": c.target, "value": c.value, "data": c.data} for c in calls],
        },
    }


__all__ = [
    "DOMAIN_VERSION",
    "GRANT_TYPES",
    "MANAGER_DOMAIN_NAME",
    "MULTI_CHAIN_DOMAIN_TYPE",
    "MULTI_CHAIN_TYPES",
    "REQUEST_TYPES",
    "GRANT_HASHER",
    "REQUEST_HASHER",
    "grant_digest",
    "grant_typed_data",
    "manager_domain",
    "manager_domain_separator",
    "multi_chain_digest",
    "multi_chain_domain",
    "multi_chain_typed_data",
    "request_digest",
    "request_typed_data",
    "typed_data_digest",
]
