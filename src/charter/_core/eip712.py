"""EIP-712 helpers shared by the layers: the domain type, digests and signing.

Each layer keeps its own messages next to the code that signs them
(``registry/typed_data.py``, ``sessions/typed_data.py``, ``accounts/typed_data.py``).
"""

from __future__ import annotations

from typing import Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes

from ..exceptions import CharterError
from .signers import Signer

EIP712_DOMAIN_TYPE: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data_digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte digest of a full EIP-712 message (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    signable = encode_typed_data(full_message=typed)
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def sign_typed(signer: Signer | LocalAccount, typed: dict[str, Any]) -> bytes:
    """`signer`'s 65-byte ``r ‖ s ‖ v`` signature of a full EIP-712 message."""
    if isinstance(signer, LocalAccount):
        signature = bytes(signer.sign_message(encode_typed_data(full_message=typed)).signature)
    else:
        signature = bytes(HexBytes(signer.sign_typed_data(typed)))
    if len(signature) != 65:
        raise CharterError(
            f"{signer.address} returned a {len(signature)}-byte signature; Charter needs a "
            "65-byte (r, s, v) signature from an EOA, or use an ERC-1271 wallet"
        )
    return signature
