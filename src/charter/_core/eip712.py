"""EIP-712 helpers shared by the layers: the domain type, digests and signing.

Each layer keeps its own messages next to the code that signs them
(``registry/typed_data.py``, ``sessions/typed_data.py``, ``accounts/typed_data.py``).

Two ways to a digest:

* eth-account's ``encode_typed_data``, for any message (the reference);
* a :class:`StructHasher` compiled once from a layer's type table: the type
  hashes are derived from the table at import time (so they cannot drift
  from the full message outside signers get), each struct is hashed as the
  contracts do (32-byte words, keccak) and domain separators are cached.
  A layer registers its hashers (:func:`register`); :func:`fast_digest`
  then recognises a full message of one of those types, byte for byte, and
  hashes it directly. Anything else (another message, a value in a form
  other than the SDK's own: a hex string for bytes, a decimal string for an
  integer, ...) gets ``None`` and goes the eth-account way, which decides
  what such a value means or why it is wrong.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_hash.auto import keccak
from eth_keys.datatypes import Signature
from eth_utils import is_checksum_address, to_checksum_address
from hexbytes import HexBytes

from ..exceptions import CharterError

if TYPE_CHECKING:
    from .signers import Signer

EIP712_DOMAIN_TYPE: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

TypeTable = Mapping[str, Sequence[Mapping[str, str]]]


# ---------------------------------------------------------------- type strings


def _base_type(type_: str) -> str:
    return type_[: type_.index("[")] if type_.endswith("]") else type_


def _dependencies(primary: str, types: TypeTable) -> list[str]:
    """The struct types `primary` refers to, directly or not (itself excluded)."""
    found: set[str] = set()
    todo = [primary]
    while todo:
        for field in types[todo.pop()]:
            base = _base_type(field["type"])
            if base in types and base not in found and base != primary:
                found.add(base)
                todo.append(base)
    return sorted(found)


def encode_type(primary: str, types: TypeTable) -> str:
    """EIP-712 ``encodeType``: `primary`, then the types it refers to sorted by name."""
    parts = []
    for name in [primary, *_dependencies(primary, types)]:
        fields = ",".join(field["type"] + " " + field["name"] for field in types[name])
        parts.append(f"{name}({fields})")
    return "".join(parts)


def type_hash(primary: str, types: TypeTable) -> bytes:
    """EIP-712 ``typeHash``: keccak256 of :func:`encode_type`."""
    return bytes(keccak(encode_type(primary, types).encode()))


# ---------------------------------------------------------------- words


class NotCanonical(ValueError):
    """A value the direct hashing does not take (eth-account decides what it means)."""


_ZERO12 = b"\x00" * 12
_UINT = re.compile(r"uint(\d+)")
_BYTES = re.compile(r"bytes(\d+)")


@lru_cache(maxsize=4096)
def _address_text_word(value: str) -> bytes:
    # What eth-abi's address encoder takes as text, 0x-prefixed: 40 hex digits, and
    # a valid EIP-55 checksum when the spelling is mixed-case.
    digits = value[2:]
    if len(value) != 42 or not value.startswith("0x"):
        raise NotCanonical(value)
    raw = bytes.fromhex(digits)  # ValueError (not hex) sends it the slow way too
    if len(raw) != 20:  # fromhex skips whitespace
        raise NotCanonical(value)
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise NotCanonical(value)
    return _ZERO12 + raw


def address_word(value: Any) -> bytes:
    """An address (0x-hex text or 20 bytes) as a 32-byte ABI word."""
    if isinstance(value, str):
        return _address_text_word(value)
    if isinstance(value, bytes) and len(value) == 20:
        return _ZERO12 + bytes(value)
    raise NotCanonical(value)


def _uint_encoder(bits: int) -> Callable[[Any], bytes]:
    limit = 1 << bits

    def word(value: Any) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < limit:
            raise NotCanonical(value)
        return int(value).to_bytes(32, "big")

    return word


def _fixed_bytes_encoder(size: int) -> Callable[[Any], bytes]:
    pad = b"\x00" * (32 - size)

    def word(value: Any) -> bytes:
        if not isinstance(value, bytes) or len(value) != size:
            raise NotCanonical(value)
        return bytes(value) + pad

    return word


def _dynamic_bytes(value: Any) -> bytes:
    if not isinstance(value, bytes):
        raise NotCanonical(value)
    return bytes(keccak(value))


def _string(value: Any) -> bytes:
    if not isinstance(value, str):
        raise NotCanonical(value)
    return bytes(keccak(value.encode()))


def _atomic_encoder(type_: str) -> Callable[[Any], bytes]:
    if type_ == "address":
        return address_word
    if type_ == "bytes":
        return _dynamic_bytes
    if type_ == "string":
        return _string
    if (m := _UINT.fullmatch(type_)) and int(m[1]) % 8 == 0 and 8 <= int(m[1]) <= 256:
        return _uint_encoder(int(m[1]))
    if (m := _BYTES.fullmatch(type_)) and 1 <= int(m[1]) <= 32:
        return _fixed_bytes_encoder(int(m[1]))
    raise ValueError(f"direct EIP-712 hashing does not support the type {type_!r}")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# ---------------------------------------------------------------- struct hashes


class StructHasher:
    """EIP-712 struct hashes of one message type, compiled once from its type table.

    `types` holds the primary type and every struct type it refers to (no
    ``EIP712Domain``). Supported fields: ``uint<N>``, ``address``,
    ``bytes<N>``, ``bytes``, ``string``, a struct of the table and an array
    of one (``T[]``).

    :meth:`hash_message` hashes an EIP-712 ``message`` dict;
    :meth:`hash_object` hashes an object whose attributes are the fields in
    snake case (``agentId`` -> ``agent_id``; a struct array as a sequence of
    such objects), such as a validated pydantic model.
    """

    def __init__(self, primary: str, types: TypeTable) -> None:
        self.primary = primary
        self.types: dict[str, list[dict[str, str]]] = {
            name: [dict(f) for f in fields] for name, fields in copy.deepcopy(dict(types)).items()
        }
        """A snapshot of the table the hasher was compiled from."""
        used = [primary, *_dependencies(primary, self.types)]
        if sorted(used) != sorted(self.types):
            raise ValueError(f"types {sorted(set(self.types) - set(used))} are not used by {primary}")
        self.type_hashes = {name: type_hash(name, self.types) for name in used}
        self._fields: dict[str, list[tuple[str, str, Callable[[Any, bool], bytes]]]] = {
            name: [(f["name"], _snake(f["name"]), self._encoder(f["type"])) for f in fields]
            for name, fields in self.types.items()
        }

    def _encoder(self, type_: str) -> Callable[[Any, bool], bytes]:
        if type_.endswith("[]") and type_[:-2] in self.types:
            struct = type_[:-2]

            def array(value: Any, by_attribute: bool) -> bytes:
                if not (isinstance(value, list | tuple) if by_attribute else isinstance(value, list)):
                    raise NotCanonical(value)
                # an empty array hashes to keccak256(""), as eth-account and the contracts have it
                return bytes(keccak(b"".join([self._hash(struct, item, by_attribute) for item in value])))

            return array
        if type_ in self.types:

            def struct_word(value: Any, by_attribute: bool) -> bytes:
                return self._hash(type_, value, by_attribute)

            return struct_word
        atomic = _atomic_encoder(type_)
        return lambda value, _: atomic(value)

    def _hash(self, struct: str, value: Any, by_attribute: bool) -> bytes:
        words = [self.type_hashes[struct]]
        if by_attribute:
            words += [encode(getattr(value, attribute), True) for _, attribute, encode in self._fields[struct]]
        else:
            if not isinstance(value, dict):
                raise NotCanonical(value)
            words += [encode(value[key], False) for key, _, encode in self._fields[struct]]
        return bytes(keccak(b"".join(words)))

    def hash_message(self, message: Any) -> bytes:
        """The struct hash of an EIP-712 ``message`` dict of the primary type; :class:`NotCanonical`
        (or ``KeyError``) when a value is missing or not in the SDK's own form."""
        return self._hash(self.primary, message, False)

    def hash_object(self, value: Any) -> bytes:
        """The struct hash of an object carrying the primary type's fields as snake-case attributes."""
        return self._hash(self.primary, value, True)

    def describes(self, types: Any) -> bool:
        """Whether a full message's ``types`` are exactly this table (plus ``EIP712Domain``)."""
        if not isinstance(types, dict) or len(types) != len(self.types) + ("EIP712Domain" in types):
            return False
        return all(types.get(name) == fields for name, fields in self.types.items())


# ---------------------------------------------------------------- domains and digests

_DOMAIN_TYPEHASH = type_hash("EIP712Domain", {"EIP712Domain": EIP712_DOMAIN_TYPE})
_DOMAIN_TYPE_SNAPSHOT = copy.deepcopy(EIP712_DOMAIN_TYPE)
_DOMAIN_KEYS = frozenset(f["name"] for f in EIP712_DOMAIN_TYPE)
_UINT256 = _uint_encoder(256)


@lru_cache(maxsize=256)
def _domain_separator(name: str, version: str, chain_id: int, contract: bytes) -> bytes:
    return bytes(
        keccak(_DOMAIN_TYPEHASH + _string(name) + _string(version) + _UINT256(chain_id) + contract)
    )


def domain_separator(name: str, version: str, chain_id: int, verifying_contract: Any) -> bytes:
    """The separator of the domain ``{name, version, chainId, verifyingContract}``, cached;
    :class:`NotCanonical` for a value outside the SDK's own forms."""
    if type(chain_id) is not int or not isinstance(name, str) or not isinstance(version, str):
        raise NotCanonical(chain_id)
    return _domain_separator(name, version, chain_id, address_word(verifying_contract))


def eip712_digest(separator: bytes, struct_hash: bytes) -> bytes:
    """``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``."""
    return bytes(keccak(b"\x19\x01" + separator + struct_hash))


_HASHERS: dict[str, StructHasher] = {}


def register(hasher: StructHasher) -> StructHasher:
    """Let :func:`fast_digest` hash full messages of `hasher`'s primary type directly."""
    _HASHERS[hasher.primary] = hasher
    return hasher


def fast_digest(typed: Any) -> bytes | None:
    """The digest of a full EIP-712 message of a registered type, hashed directly;
    None for any other message or form (then only eth-account's encoding says)."""
    try:
        hasher = _HASHERS.get(typed["primaryType"])
        if hasher is None:
            return None
        types, domain = typed["types"], typed["domain"]
        if not (
            types.get("EIP712Domain") == _DOMAIN_TYPE_SNAPSHOT
            and isinstance(domain, dict)
            and domain.keys() == _DOMAIN_KEYS
            and hasher.describes(types)
        ):
            return None
        separator = domain_separator(
            domain["name"], domain["version"], domain["chainId"], domain["verifyingContract"]
        )
        return eip712_digest(separator, hasher.hash_message(typed["message"]))
    except Exception:  # noqa: BLE001 - anything unusual goes the reference way, which explains it
        return None


def reference_digest(typed: dict[str, Any]) -> bytes:
    """The digest by eth-account's ``encode_typed_data`` (the reference the direct hashing matches)."""
    signable = encode_typed_data(full_message=typed)
    return bytes(keccak(b"\x19" + signable.version + signable.header + signable.body))


def typed_data_digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte digest of a full EIP-712 message (``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``)."""
    digest = fast_digest(typed)
    return digest if digest is not None else reference_digest(typed)


def sign_typed(signer: Signer | LocalAccount, typed: dict[str, Any]) -> bytes:
    """`signer`'s 65-byte ``r ‖ s ‖ v`` signature of a full EIP-712 message.

    A :class:`~charter._core.signers.LocalSigner` signs the digest with its
    key (hashed directly for the SDK's own messages); any other signer gets
    the full message (a hardware wallet or a node shows and hashes it).
    """
    if isinstance(signer, LocalAccount):
        from .signers import LocalSigner  # noqa: PLC0415 - signers imports this module

        signature = bytes(LocalSigner(signer).sign_typed_data(typed))
    else:
        signature = bytes(HexBytes(signer.sign_typed_data(typed)))
    if len(signature) != 65:
        raise CharterError(
            f"{signer.address} returned a {len(signature)}-byte signature; Charter needs a "
            "65-byte (r, s, v) signature from an EOA, or use an ERC-1271 wallet"
        )
    return signature


SECP256K1_HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
"""The largest ``s`` a signature may have (EIP-2: higher ones are the malleable twin)."""


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """Who signed `digest`, read as the contracts read a signature (``contracts/modules/
    signatures.vy``: 65 bytes ``r ‖ s ‖ v``, `v` 27 or 28, a low `s`); None for anything
    else (empty, another length, malleable, unrecoverable). A checksummed address."""
    raw = bytes(signature)
    if len(raw) != 65:
        return None
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if s > SECP256K1_HALF_ORDER or v not in (27, 28) or r == 0 or s == 0:
        return None
    try:
        public = Signature(vrs=(v - 27, r, s)).recover_public_key_from_msg_hash(bytes(digest))
    except Exception:  # noqa: BLE001 - eth-keys raises several types for a point off the curve
        return None
    return str(to_checksum_address(public.to_canonical_address()))
