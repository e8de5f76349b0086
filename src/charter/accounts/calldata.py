"""Calldata of the account's owner entry points (``execute``, ``executeBatch``)."""

from __future__ import annotations

from collections.abc import Sequence

from eth_abi import encode as abi_encode
from eth_utils import keccak

from .models import Call

EXECUTE = keccak(text="execute(address,uint256,bytes)")[:4]
EXECUTE_BATCH = keccak(text="executeBatch((address,uint256,bytes)[])")[:4]


def execute_calldata(target: str, data: bytes, value: int = 0) -> bytes:
    """Calldata of the owner's ``account.execute(target, value, data)``."""
    return EXECUTE + abi_encode(["address", "uint256", "bytes"], [target, value, data])


def execute_batch_calldata(calls: Sequence[Call]) -> bytes:
    """Calldata of the owner's ``account.executeBatch(calls)``."""
    return EXECUTE_BATCH + abi_encode(["(address,uint256,bytes)[]"], [[c.as_tuple() for c in calls]])
