"""The account's EIP-712 message: ``CharterMessage``, an owner's approval of a digest (ERC-1271).

The owner of a deployed ``AgentAccount`` approves a digest (a grant hash, for
instance) by signing ``CharterMessage(bytes32 hash)`` on the account's domain
``{name: "Charter AgentAccount", version: "1", chainId, verifyingContract:
<account>}``; the account's ``isValidSignature`` checks it.
"""

from __future__ import annotations

from typing import Any

from .._core.checks import parse_address
from .._core.eip712 import EIP712_DOMAIN_TYPE

ACCOUNT_DOMAIN_NAME = "Charter AgentAccount"
DOMAIN_VERSION = "1"
MESSAGE_TYPES: dict[str, list[dict[str, str]]] = {"CharterMessage": [{"name": "hash", "type": "bytes32"}]}


def account_domain(chain_id: int, account: str) -> dict[str, Any]:
    """The EIP-712 domain of `account` on `chain_id`."""
    return {
        "name": ACCOUNT_DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": parse_address(account),
    }


def account_message_typed_data(chain_id: int, account: str, digest: bytes) -> dict[str, Any]:
    """What the owner of a deployed AgentAccount signs to approve `digest` (ERC-1271)."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **MESSAGE_TYPES},
        "primaryType": "CharterMessage",
        "domain": account_domain(chain_id, account),
        "message": {"hash": digest},
    }
