"""Hyperlane's wire formats: the message, the checkpoint validators sign, and the
metadata a MessageId multisig ISM verifies (as `@hyperlane-xyz/core` defines them).

- message: version(1) nonce(4) origin(4) sender(32) destination(4) recipient(32) body;
  its id is keccak256 of it;
- checkpoint: ``(root, index)`` of the origin's Merkle tree hook; a validator signs the
  EIP-191 hash of ``keccak(domainHash ‖ root ‖ uint32 index ‖ messageId)`` with
  ``domainHash = keccak(uint32 origin ‖ bytes32 merkleTreeHook ‖ "HYPERLANE")``;
- MessageId multisig metadata: merkleTreeHook(32) ‖ root(32) ‖ index(4) ‖ the
  signatures (65 bytes each) in the order of the ISM's validator set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32
from eth_utils import keccak

from ..exceptions import InvalidInput

VERSION = 3
_HEADER = 1 + 4 + 4 + 32 + 4 + 32


def _uint(value: int, size: int, what: str) -> bytes:
    if not 0 <= value < 1 << (8 * size):
        raise InvalidInput(f"{what} {value} does not fit in {size} bytes")
    return value.to_bytes(size, "big")


def _word(value: bytes | str) -> bytes:
    """An address or bytes32 as Hyperlane's bytes32 (addresses left-padded)."""
    raw = bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
    if len(raw) == 20:
        return b"\x00" * 12 + raw
    if len(raw) != 32:
        raise InvalidInput(f"expected an address or 32 bytes, got {len(raw)} bytes")
    return raw


@dataclass(frozen=True)
class Message:
    nonce: int
    origin: int
    sender: bytes  # bytes32
    destination: int
    recipient: bytes  # bytes32
    body: bytes
    version: int = VERSION

    @classmethod
    def new(cls, nonce: int, origin: int, sender: bytes | str, destination: int, recipient: bytes | str,
            body: bytes) -> Message:
        return cls(nonce, origin, _word(sender), destination, _word(recipient), bytes(body))

    def encode(self) -> bytes:
        return b"".join([
            _uint(self.version, 1, "version"), _uint(self.nonce, 4, "nonce"), _uint(self.origin, 4, "origin"),
            _word(self.sender), _uint(self.destination, 4, "destination"), _word(self.recipient), self.body,
        ])

    @property
    def id(self) -> bytes:
        return keccak(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> Message:
        data = bytes(data)
        if len(data) < _HEADER:
            raise InvalidInput(f"a Hyperlane message has at least {_HEADER} bytes, got {len(data)}")
        return cls(
            version=data[0], nonce=int.from_bytes(data[1:5], "big"), origin=int.from_bytes(data[5:9], "big"),
            sender=data[9:41], destination=int.from_bytes(data[41:45], "big"), recipient=data[45:77],
            body=data[77:],
        )


def checkpoint_digest(origin: int, merkle_tree_hook: str | bytes, root: bytes, index: int, message_id: bytes) -> bytes:
    """The EIP-191 digest a validator signs for a checkpoint of `origin`'s Merkle tree hook."""
    domain_hash = keccak(_uint(origin, 4, "origin") + _word(merkle_tree_hook) + b"HYPERLANE")
    inner = keccak(domain_hash + bytes(root) + _uint(index, 4, "index") + bytes(message_id))
    return keccak(b"\x19Ethereum Signed Message:\n32" + inner)


def sign_checkpoint(validator: LocalAccount | bytes | str, origin: int, merkle_tree_hook: str | bytes, root: bytes,
                    index: int, message_id: bytes) -> bytes:
    """`validator`'s 65-byte signature (r ‖ s ‖ v, v = 27/28) of the checkpoint."""
    account = validator if isinstance(validator, LocalAccount) else Account.from_key(validator)
    signed = account.unsafe_sign_hash(Hash32(checkpoint_digest(origin, merkle_tree_hook, root, index, message_id)))
    return bytes(signed.signature)


def message_id_metadata(merkle_tree_hook: str | bytes, root: bytes, index: int, signatures: Sequence[bytes]) -> bytes:
    """The MessageId multisig ISM's metadata; `signatures` in the ISM's validator order."""
    if any(len(s) != 65 for s in signatures):
        raise InvalidInput("each validator signature is 65 bytes (r, s, v)")
    return _word(merkle_tree_hook) + bytes(root) + _uint(index, 4, "index") + b"".join(bytes(s) for s in signatures)


__all__ = ["VERSION", "Message", "checkpoint_digest", "message_id_metadata", "sign_checkpoint"]
