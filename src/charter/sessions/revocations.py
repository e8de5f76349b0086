"""Revocations an account signs once and that work on every chain.

The manager's ``revokeAllSigned`` and ``revokeGrantsSigned`` take the
account's signature of ``RevokeAll(address account,uint256 nonce)`` or
``RevokeGrants(address account,bytes32[] grants)`` under the chain-agnostic
domain (name, version, the manager's CREATE2 address, no chain id), from any
sender. So one signature stops a principal's sessions on every chain: the
principal sends it where it likes, and the relayer carries it to the other
chains (the manager logs ``RevokeAllSigned`` / ``RevokeGrantsSigned`` with
what they need). Each nonce counts once per chain and revoked grants stay
revoked: replays change nothing.

    revocation = sign_revoke_all(sessions.address, account_key)         # once
    for sessions in clients_of_every_chain:
        sessions.submit_revocation(revocation)                         # anyone may send it

A deployed AgentAccount signs through its chain-bound ERC-1271, so its
revocations work on one chain only: revoke with ``Sessions.revoke_all`` on
each chain instead.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any, ClassVar

from eth_utils import keccak
from pydantic import model_validator

from .._core.checks import Address, Bytes32, Data, check_address
from .._core.eip712 import address_word, eip712_digest, sign_typed, type_hash
from .._core.signers import SignerLike, as_signer
from ..exceptions import InvalidInput
from .models import _Portable
from .typed_data import DOMAIN_VERSION, MANAGER_DOMAIN_NAME, MULTI_CHAIN_DOMAIN_TYPE, multi_chain_domain

REVOCATION_TYPES: dict[str, dict[str, list[dict[str, str]]]] = {
    "RevokeAll": {"RevokeAll": [{"name": "account", "type": "address"}, {"name": "nonce", "type": "uint256"}]},
    "RevokeGrants": {
        "RevokeGrants": [{"name": "account", "type": "address"}, {"name": "grants", "type": "bytes32[]"}]
    },
}
MAX_GRANTS = 16
"""At most this many grant hashes in one signed revocation (the manager's MAX_CHAINS)."""


class SignedRevocation(_Portable):
    """A revocation the account signed once for every chain: all its grants (``nonce`` set) or
    the grants listed (``grants``)."""

    what: ClassVar[str] = "signed Charter revocation"

    manager: Address
    account: Address
    nonce: int | None = None
    grants: tuple[Bytes32, ...] = ()
    signature: Data

    @model_validator(mode="after")
    def _one_kind(self) -> SignedRevocation:
        if (self.nonce is None) == (not self.grants):
            raise ValueError("a signed revocation has either a nonce (revoke all) or a list of grants")
        if len(self.grants) > MAX_GRANTS:
            raise ValueError(f"a signed revocation lists at most {MAX_GRANTS} grants")
        if self.nonce is not None and not 0 <= self.nonce < 2**256:
            raise ValueError("the nonce is a uint256")
        return self

    @property
    def revokes_all(self) -> bool:
        return self.nonce is not None

    def typed_data(self) -> dict[str, Any]:
        """The full EIP-712 message the account signs."""
        return revocation_typed_data(self.manager, self.account, nonce=self.nonce, grants=self.grants)

    @property
    def digest(self) -> bytes:
        return revocation_digest(self.manager, self.account, nonce=self.nonce, grants=self.grants)

    def describe(self) -> str:
        if self.revokes_all:
            return f"every grant of {self.account} (signed revocation, nonce {self.nonce})"
        return f"{len(self.grants)} grant(s) of {self.account} (signed revocation)"


def revocation_typed_data(
    manager: str, account: str, *, nonce: int | None = None, grants: Sequence[bytes] = ()
) -> dict[str, Any]:
    """``RevokeAll(account, nonce)`` (with `nonce`) or ``RevokeGrants(account, grants)`` under the
    manager's chain-agnostic domain."""
    primary, message = _message(account, nonce, grants)
    return {
        "types": {"EIP712Domain": MULTI_CHAIN_DOMAIN_TYPE, **REVOCATION_TYPES[primary]},
        "primaryType": primary,
        "domain": multi_chain_domain(manager),
        "message": message,
    }


def revocation_digest(manager: str, account: str, *, nonce: int | None = None, grants: Sequence[bytes] = ()) -> bytes:
    """The digest of :func:`revocation_typed_data`, hashed directly (what the manager checks)."""
    primary, message = _message(account, nonce, grants)
    separator = bytes(keccak(
        type_hash("EIP712Domain", {"EIP712Domain": MULTI_CHAIN_DOMAIN_TYPE})
        + bytes(keccak(MANAGER_DOMAIN_NAME.encode())) + bytes(keccak(DOMAIN_VERSION.encode()))
        + address_word(check_address(manager, "manager"))
    ))
    if primary == "RevokeAll":
        body = address_word(message["account"]) + int(message["nonce"]).to_bytes(32, "big")
    else:
        body = address_word(message["account"]) + bytes(keccak(b"".join(message["grants"])))
    return eip712_digest(separator, bytes(keccak(type_hash(primary, REVOCATION_TYPES[primary]) + body)))


def _message(account: str, nonce: int | None, grants: Sequence[bytes]) -> tuple[str, dict[str, Any]]:
    account = check_address(account, "account")
    if nonce is not None:
        return "RevokeAll", {"account": account, "nonce": int(nonce)}
    words = [bytes(g) for g in grants]
    if not 1 <= len(words) <= MAX_GRANTS or any(len(w) != 32 for w in words):
        raise InvalidInput(f"a signed revocation lists 1 to {MAX_GRANTS} grant hashes of 32 bytes")
    return "RevokeGrants", {"account": account, "grants": words}


def sign_revoke_all(manager: str, principal: SignerLike, *, nonce: int | None = None) -> SignedRevocation:
    """The account's (`principal`'s own key: an EOA or EIP-7702 account) signature revoking all its
    grants on every chain; `nonce` defaults to a fresh random one."""
    signer = as_signer(principal)
    nonce = secrets.randbits(64) if nonce is None else nonce
    typed = revocation_typed_data(manager, signer.address, nonce=nonce)
    return SignedRevocation(manager=manager, account=signer.address, nonce=nonce, signature=sign_typed(signer, typed))


def sign_revoke_grants(manager: str, grants: Sequence[bytes], principal: SignerLike) -> SignedRevocation:
    """The account's signature revoking `grants` (e.g. every entry of a multi-chain grant:
    ``MultiChainGrant.grants``) on every chain."""
    signer = as_signer(principal)
    typed = revocation_typed_data(manager, signer.address, grants=grants)
    return SignedRevocation(
        manager=manager, account=signer.address, grants=tuple(bytes(g) for g in grants),
        signature=sign_typed(signer, typed),
    )


__all__ = [
    "MAX_GRANTS",
    "REVOCATION_TYPES",
    "SignedRevocation",
    "revocation_digest",
    "revocation_typed_data",
    "sign_revoke_all",
    "sign_revoke_grants",
]
