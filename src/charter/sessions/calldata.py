"""Calldata of the SessionManager's entry points, encoded by hand (and grants decoded back from it).

The grant is the first argument of every function that takes one, so a
transaction that activated a grant (a session call, a relayed one, or the
owner's ``account.execute(manager, issue(grant))``) gives the grant back.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak

from ..accounts.calldata import EXECUTE as ACCOUNT_EXECUTE
from ..accounts.calldata import EXECUTE_BATCH as ACCOUNT_EXECUTE_BATCH
from .models import Grant, grant_from_tuple

GRANT_TYPE = (
    "(address,uint256,uint32,address,uint48,uint48,uint64,uint32,uint32,uint128,bytes32,"
    "(address,bytes4,uint256)[],(uint8,uint16,uint8,uint256)[],(address,uint128,uint32)[])"
)
_CALLS_TYPE = "(address,uint256,bytes)[]"
_RELAY_TYPE = "(uint256,uint256,bytes)"
FUNCTIONS: dict[str, list[str]] = {
    "execute": [GRANT_TYPE, "bytes", "address", "uint256", "bytes"],
    "execute_relayed": [GRANT_TYPE, "bytes", "address", "uint256", "bytes", _RELAY_TYPE],
    "executeBatch": [GRANT_TYPE, "bytes", _CALLS_TYPE],
    "executeBatch_relayed": [GRANT_TYPE, "bytes", _CALLS_TYPE, _RELAY_TYPE],
    "issue": [GRANT_TYPE, "bytes"],
    "activate": [GRANT_TYPE, "bytes", "bytes", "bytes32[]"],
    "renounce": [GRANT_TYPE],
    "revoke": ["bytes32"],
    "revokeAll": [],
    "revokeAllSigned": ["address", "uint256", "bytes"],
    "revokeGrantsSigned": ["address", "bytes32[]", "bytes"],
    "setMaxSessionLength": ["uint256"],
}
"""The argument types of each entry point (``_relayed``: the overload with a relay tuple)."""
SELECTORS: dict[str, bytes] = {
    key: keccak(text=f"{key.removesuffix('_relayed')}({','.join(types)})")[:4]
    for key, types in FUNCTIONS.items()
}


def calldata(function: str, *args: Any) -> bytes:
    """Calldata of `function` (a key of :data:`FUNCTIONS`) with `args`."""
    return SELECTORS[function] + abi_encode(FUNCTIONS[function], list(args))


def decode_grant(data: bytes) -> Grant | None:
    """The grant a transaction's input carries (directly or through ``account.execute``), or None
    (the first one, for an ``account.executeBatch``: :func:`decode_grants` gives them all)."""
    grants = decode_grants(data)
    return grants[0] if grants else None


def decode_grants(data: bytes) -> list[Grant]:
    """Every grant a transaction's input carries: one for a direct call to the manager or the
    owner's ``account.execute``, each call's for the owner's ``account.executeBatch`` (grants
    issued in a batch); empty when there is none."""
    if data[:4] == ACCOUNT_EXECUTE_BATCH:
        try:
            (calls,) = abi_decode(["(address,uint256,bytes)[]"], data[4:])
        except Exception:  # noqa: BLE001 - not ours
            return []
        return [g for _, _, inner in calls if (g := _manager_grant(bytes(inner))) is not None]
    if data[:4] == ACCOUNT_EXECUTE:
        try:
            _, _, data = abi_decode(["address", "uint256", "bytes"], data[4:])
        except Exception:  # noqa: BLE001 - not ours
            return []
    grant = _manager_grant(bytes(data))
    return [grant] if grant is not None else []


def _manager_grant(data: bytes) -> Grant | None:
    """The grant a call to the manager carries (its first argument), or None."""
    for function, selector in SELECTORS.items():
        if data[:4] != selector or not FUNCTIONS[function] or FUNCTIONS[function][0] != GRANT_TYPE:
            continue
        try:
            decoded = abi_decode(FUNCTIONS[function], data[4:])
            return grant_from_tuple(decoded[0])
        except Exception:  # noqa: BLE001 - malformed: skip
            return None
    return None
