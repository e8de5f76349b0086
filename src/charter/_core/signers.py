"""Who sends transactions and signs messages for the SDK.

A :class:`Signer` is anything with an ``address`` that can send a transaction
and sign an EIP-712 message. Two come with the SDK:

* :class:`LocalSigner` wraps an eth-account ``LocalAccount``: transactions are
  built, signed locally and sent raw (works with any RPC endpoint).
* :class:`NodeSigner` uses an account the node manages (``eth_sendTransaction``),
  such as anvil's unlocked development accounts.

Other frameworks plug in by implementing the protocol, or from above with
:func:`register_signer_adapter`: an adapter turns the framework's accounts
into signers, and :func:`as_signer` tries every registered adapter. This
module never imports one. ape support registers its adapter this way
(``charter.ape_extras``, imported by the ``charter`` package), so ape
accounts are accepted as they are wherever the SDK takes a signer.

EIP-7702 needs the EOA itself to sign an authorization: an
:class:`AuthorizationSigner` does (:class:`LocalSigner`, and ``ApeSigner``
for ape accounts that support it), and also sends the type-4 transaction.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, Protocol, TypeAlias, runtime_checkable

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys.backends.coincurve import CoinCurveECCBackend
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from web3 import Web3
from web3.types import RPCEndpoint, TxParams

from ..exceptions import InvalidInput
from .eip712 import typed_data_digest


@runtime_checkable
class Signer(Protocol):
    """Sends transactions and signs EIP-712 messages for one address."""

    @property
    def address(self) -> ChecksumAddress: ...

    def send_transaction(self, w3: Web3, tx: TxParams) -> HexBytes:
        """Send `tx` (``to``, ``data``, optional ``value``/``gas``) and return its hash."""
        ...

    def sign_typed_data(self, typed_data: dict[str, Any]) -> HexBytes:
        """Sign a full EIP-712 message (``types``, ``primaryType``, ``domain``, ``message``)."""
        ...


Authorization: TypeAlias = dict[str, Any]
"""A signed EIP-7702 authorization, as a type-4 transaction's ``authorizationList`` holds it:
``chainId``, ``address`` (the delegate), ``nonce``, ``yParity``, ``r``, ``s``."""


@runtime_checkable
class AuthorizationSigner(Signer, Protocol):
    """A :class:`Signer` that also signs EIP-7702 authorizations and sends type-4 transactions."""

    def sign_authorization(self, chain_id: int, delegate: str, nonce: int) -> Authorization:
        """The EOA's signed authorization to delegate to `delegate` at `nonce` on `chain_id`."""
        ...


class LocalSigner:
    """A signer holding a private key (eth-account ``LocalAccount``).

    EIP-712 messages are hashed here and their digest signed with the key,
    parsed once (the SDK's own messages are hashed directly, others by
    eth-account): the same 65-byte ``r ‖ s ‖ v`` (v 27/28) as eth-account's
    ``sign_message(encode_typed_data(...))``, since both sign deterministically
    (RFC 6979).
    """

    def __init__(self, account: LocalAccount) -> None:
        self.account = account
        self._key: tuple[LocalAccount, Callable[[bytes], bytes]] | None = None
        self._address: tuple[LocalAccount, ChecksumAddress] | None = None

    @classmethod
    def from_key(cls, private_key: str | bytes) -> LocalSigner:
        return cls(Account.from_key(private_key))

    @property
    def address(self) -> ChecksumAddress:
        cached = self._address
        if cached is None or cached[0] is not self.account:  # computed again if `account` is replaced
            cached = self._address = (self.account, Web3.to_checksum_address(self.account.address))
        return cached[1]

    def send_transaction(self, w3: Web3, tx: TxParams) -> HexBytes:
        full: dict[str, Any] = dict(tx)
        full["from"] = self.address
        full.setdefault("chainId", w3.eth.chain_id)
        full.setdefault("nonce", w3.eth.get_transaction_count(self.address, "pending"))
        full.setdefault("value", 0)
        if "gas" not in full:
            full["gas"] = _padded_gas(w3, full)
        if "gasPrice" not in full and "maxFeePerGas" not in full:
            base = w3.eth.get_block("latest").get("baseFeePerGas")
            if base is None:
                full["gasPrice"] = w3.eth.gas_price
            else:
                tip = w3.eth.max_priority_fee
                full["maxPriorityFeePerGas"] = tip
                full["maxFeePerGas"] = 2 * base + tip
        signed = self.account.sign_transaction(full)
        return HexBytes(w3.eth.send_raw_transaction(signed.raw_transaction))

    def sign_typed_data(self, typed_data: dict[str, Any]) -> HexBytes:
        return self._sign_digest(typed_data_digest(typed_data))

    def sign_authorization(self, chain_id: int, delegate: str, nonce: int) -> Authorization:
        signed: Any = self.account.sign_authorization({"chainId": chain_id, "address": delegate, "nonce": nonce})
        return {"chainId": signed.chain_id, "address": Web3.to_checksum_address(delegate), "nonce": signed.nonce,
                "yParity": signed.y_parity, "r": signed.r, "s": signed.s}

    def _sign_digest(self, digest: bytes) -> HexBytes:
        """The key's ``r ‖ s ‖ v`` signature (v 27/28) of a 32-byte digest, as eth-account makes it."""
        if len(digest) != 32:
            raise ValueError(f"a digest is 32 bytes, got {len(digest)}")
        cached = self._key
        if cached is None or cached[0] is not self.account:  # parsed again if `account` is replaced
            cached = self._key = (self.account, _digest_signer(bytes(self.account.key)))
        r_s_v = cached[1](digest)  # v 0/1
        return HexBytes(r_s_v[:64] + bytes([r_s_v[64] + 27]))


def _digest_signer(secret: bytes) -> Callable[[bytes], bytes]:
    """Signs 32-byte digests with `secret`, ``r ‖ s ‖ v`` with v 0/1, as eth-keys does.

    eth-keys' coincurve backend builds a coincurve key (deriving the public
    key) on every signature; with that backend the coincurve key is kept and
    called the same way (``sign_recoverable(digest, hasher=None)``)."""
    key = PrivateKey(secret)
    if isinstance(key.backend, CoinCurveECCBackend):
        curve_key = key.backend.keys.PrivateKey(secret)  # what the backend's ecdsa_sign builds
        return lambda digest: bytes(curve_key.sign_recoverable(digest, hasher=None))
    return lambda digest: bytes(key.sign_msg_hash(digest).to_bytes())


class NodeSigner:
    """An account unlocked in the node (anvil's development accounts, for example)."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self._address = Web3.to_checksum_address(address)

    @property
    def address(self) -> ChecksumAddress:
        return self._address

    def send_transaction(self, w3: Web3, tx: TxParams) -> HexBytes:
        full: dict[str, Any] = dict(tx)
        full["from"] = self.address
        if "gas" not in full:
            full["gas"] = _padded_gas(w3, full)
        return HexBytes(w3.eth.send_transaction(full))  # type: ignore[arg-type]

    def sign_typed_data(self, typed_data: dict[str, Any]) -> HexBytes:
        # `eth_signTypedData_v4` is the method nodes implement (anvil, hardhat,
        # geth's clef); web3's `eth.sign_typed_data` calls the unversioned
        # `eth_signTypedData`, which anvil answers with "Not implemented".
        # Integers go out as decimal strings: a JSON number above 2**53 (an
        # address condition, an 18-decimal budget) does not survive the node's
        # JSON parser. Bytes go out as 0x-hex.
        result = self.w3.manager.request_blocking(
            RPCEndpoint("eth_signTypedData_v4"), [self.address, json_typed_data(typed_data)]
        )
        return HexBytes(result)


def json_typed_data(value: Any) -> Any:
    """`value` (an EIP-712 message or part of one) with every integer as a decimal
    string and every bytes value as 0x-hex, recursively; booleans and text stay."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {key: json_typed_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_typed_data(item) for item in value]
    return value


SignerLike: TypeAlias = "Signer | LocalAccount"

_PRIVATE_KEY = re.compile(r"0x[0-9a-fA-F]{64}")


def private_key_from_env(variable: str, what: str) -> str:
    """The private key in ``$variable`` (`what` says whose it is), checked and never echoed."""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise InvalidInput(f"${variable} ({what}) is not set: export it, or name another variable")
    try:
        Account.from_key(key)
    except Exception:  # noqa: BLE001 - never echo the key
        raise InvalidInput(f"${variable} ({what}) is not a valid private key") from None
    return key

SignerAdapter: TypeAlias = Callable[[object], "Signer | None"]
"""Turns a value of some framework (an ape account, ...) into a :class:`Signer`, or
returns None for a value it does not know."""

_ADAPTERS: list[SignerAdapter] = []


def register_signer_adapter(adapter: SignerAdapter) -> None:
    """Let :func:`as_signer` accept what `adapter` turns into a signer.

    Adapters are tried in the order they were registered, after eth-account
    ``LocalAccount`` and before the :class:`Signer` protocol; registering the
    same adapter again changes nothing."""
    if adapter not in _ADAPTERS:
        _ADAPTERS.append(adapter)


def signer_adapters() -> tuple[SignerAdapter, ...]:
    """The registered adapters, in the order :func:`as_signer` tries them."""
    return tuple(_ADAPTERS)


def as_signer(signer: SignerLike | str) -> Signer:
    """A :class:`Signer` for a Signer, an eth-account ``LocalAccount``, a value a
    registered adapter knows (an ape account: an ``ApeSigner``) or a private
    key (``0x`` + 64 hex digits: a :class:`LocalSigner`)."""
    if isinstance(signer, LocalAccount):
        return LocalSigner(signer)
    for adapter in _ADAPTERS:
        adapted = adapter(signer)
        if adapted is not None:
            return adapted
    if isinstance(signer, Signer):
        return signer
    if isinstance(signer, str):
        text = signer.strip()
        if _PRIVATE_KEY.fullmatch(text):
            try:
                return LocalSigner.from_key(text)
            except Exception:  # noqa: BLE001 - never echo the key or its parse error
                raise InvalidInput("the private key is not a valid secp256k1 key") from None
        raise InvalidInput(
            "a signer given as text must be a private key: 0x followed by 64 hex digits "
            "(an address cannot sign; use NodeSigner(w3, address) for an account the node holds)"
        )
    raise InvalidInput(
        f"{type(signer).__name__} is not a signer; pass a charter Signer (LocalSigner, NodeSigner, ...), "
        "an eth-account LocalAccount, an ape account or a 0x-hex private key"
    )


def pad_gas(estimate: int) -> int:
    """A gas limit for an estimate: +20% and 10,000 (estimates are exact only at the estimated state)."""
    return int(estimate) * 12 // 10 + 10_000


def _padded_gas(w3: Web3, tx: dict[str, Any]) -> int:
    estimate = w3.eth.estimate_gas({k: v for k, v in tx.items() if k in ("from", "to", "data", "value")})  # type: ignore[arg-type]
    return pad_gas(estimate)
