"""The registry's EIP-712 message: the ERC-8004 ``AgentWalletSet`` wallet proof.

A wallet consents to backing an agent by signing

    AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)

on the domain ``{name: "ERC8004IdentityRegistry", version: "1", chainId,
verifyingContract: <registry>}``. The digest computed here is the one the
contract checks (tested against its ``hashAgentWalletSet``).
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3

from .._core.checks import UINT256_MAX
from .._core.eip712 import EIP712_DOMAIN_TYPE, StructHasher, register, sign_typed, typed_data_digest
from .._core.signers import Signer
from ..exceptions import InvalidInput

DOMAIN_NAME = "ERC8004IdentityRegistry"
DOMAIN_VERSION = "1"
PRIMARY_TYPE = "AgentWalletSet"

AGENT_WALLET_SET_TYPE: list[dict[str, str]] = [
    {"name": "agentId", "type": "uint256"},
    {"name": "newWallet", "type": "address"},
    {"name": "owner", "type": "address"},
    {"name": "deadline", "type": "uint256"},
]
AGENT_WALLET_SET_TYPEHASH: bytes = keccak(
    text="AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)"
)
AGENT_WALLET_SET_HASHER = register(StructHasher(PRIMARY_TYPE, {PRIMARY_TYPE: AGENT_WALLET_SET_TYPE}))
"""Hashes wallet proofs directly (a LocalSigner signs the digest); equal to eth-account's encoding."""


def _address(value: str, what: str) -> str:
    if not isinstance(value, str) or not Web3.is_address(value):
        raise InvalidInput(f"{what} {value!r} is not an address; pass a 20-byte 0x-prefixed hex address")
    return Web3.to_checksum_address(value)


def _uint(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise InvalidInput(f"{what} must be an integer between 0 and 2**256 - 1, got {value!r}")
    return value


def domain(chain_id: int, registry: str) -> dict[str, Any]:
    """The registry's EIP-712 domain on `chain_id`."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": _uint(chain_id, "chain id"),
        "verifyingContract": _address(registry, "registry"),
    }


def agent_wallet_set_typed_data(
    chain_id: int, registry: str, agent_id: int, new_wallet: str, owner: str, deadline: int
) -> dict[str, Any]:
    """The full EIP-712 message (``types``, ``primaryType``, ``domain``, ``message``)."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, PRIMARY_TYPE: AGENT_WALLET_SET_TYPE},
        "primaryType": PRIMARY_TYPE,
        "domain": domain(chain_id, registry),
        "message": {
            "agentId": _uint(agent_id, "agent id"),
            "newWallet": _address(new_wallet, "wallet"),
            "owner": _address(owner, "owner"),
            "deadline": _uint(deadline, "deadline"),
        },
    }


def agent_wallet_set_digest(
    chain_id: int, registry: str, agent_id: int, new_wallet: str, owner: str, deadline: int
) -> bytes:
    """The 32-byte digest the wallet signs (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    return typed_data_digest(
        agent_wallet_set_typed_data(chain_id, registry, agent_id, new_wallet, owner, deadline)
    )


def sign_agent_wallet_set(
    signer: Signer | LocalAccount,
    chain_id: int,
    registry: str,
    agent_id: int,
    new_wallet: str | None,
    owner: str,
    deadline: int,
) -> bytes:
    """The wallet's 65-byte proof ``r ‖ s ‖ v``, signed by `signer`.

    `new_wallet` None means the signer's address; any other address is
    refused (a wallet can only sign for itself, the registry would reject it).
    """
    signer_address = Web3.to_checksum_address(signer.address)
    wallet = _address(new_wallet, "wallet") if new_wallet is not None else signer_address
    if wallet != signer_address:
        raise InvalidInput(
            f"the proof for wallet {wallet} must be signed by that wallet, not by {signer_address}"
        )
    typed = agent_wallet_set_typed_data(chain_id, registry, agent_id, wallet, owner, deadline)
    return sign_typed(signer, typed)
