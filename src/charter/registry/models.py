"""The registry's models (pydantic v2), its size limits and the checks of its inputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any, TypeAlias

from pydantic import ConfigDict, Field, field_serializer

from .._core.checks import UINT256_MAX
from .._core.display import ByName, Readable
from ..exceptions import InvalidInput


class AgentStatus(ByName, IntEnum):
    """An agent's lifecycle status, as stored by the registry."""

    ACTIVE = 0
    PAUSED = 1
    RETIRED = 2

    @property
    def label(self) -> str:
        """``"Active"``, ``"Paused"`` or ``"Retired"``."""
        return self.name.capitalize()


class AgentInfo(Readable):
    """Everything the registry knows about one agent, read at one block."""

    model_config = ConfigDict(frozen=True)

    agent_id: int = Field(ge=1)
    owner: str
    status: AgentStatus
    uri: str
    wallet: str | None = None
    """The agent wallet: proved with a signature, or the owner until the first
    transfer / unset; None when there is none."""
    wallet_verified: bool = False
    """True if `wallet` was set with a proof (the reverse lookup points back here)."""
    chain_id: int
    registry: str
    block: int | None = None
    """The block the fields were read at."""

    @property
    def is_active(self) -> bool:
        return self.status is AgentStatus.ACTIVE

    @field_serializer("status")
    def _status_name(self, status: AgentStatus) -> str:
        return status.name


class MetadataEntry(Readable):
    """One string-keyed metadata value (ERC-8004 ``MetadataEntry``)."""

    model_config = ConfigDict(frozen=True)

    key: str
    value: bytes

    @classmethod
    def of(cls, key: str, value: bytes | str) -> MetadataEntry:
        """An entry from text (encoded as UTF-8) or raw bytes."""
        return cls(key=key, value=value.encode() if isinstance(value, str) else bytes(value))

    def as_tuple(self) -> tuple[str, bytes]:
        """The ABI tuple ``(metadataKey, metadataValue)``."""
        return (self.key, self.value)

    @field_serializer("value")
    def _hex(self, value: bytes) -> str:
        return "0x" + value.hex()


# ---------------------------------------------------------------- limits and input checks

URI_MAX = 20_480
"""The longest agent URI the registry stores, in UTF-8 bytes: a 16 KiB agent card
inlined as a ``data:application/json;base64,`` URI fits."""
KEY_MAX = 64
VALUE_MAX = 1_024
ENTRIES_MAX = 16
"""The most metadata entries ``register`` takes (set more afterwards with set_metadata)."""
RESERVED_KEY = "agentWallet"


MetadataLike: TypeAlias = (
    Mapping[str, bytes | str] | Iterable[MetadataEntry | tuple[str, bytes | str]]
)


def check_agent_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"agent id must be an integer, got {value!r}")
    if not 1 <= value <= UINT256_MAX:
        raise InvalidInput(f"agent id {value} is out of range; agent ids start at 1")
    return value


def check_uri(uri: Any) -> str:
    if not isinstance(uri, str):
        raise InvalidInput(f"the agent URI must be a string, got {type(uri).__name__}")
    size = len(uri.encode("utf-8"))
    if size > URI_MAX:
        raise InvalidInput(
            f"the agent URI is {size:,} bytes (UTF-8); the registry stores at most {URI_MAX:,}: "
            "shorten the agent card, or point to it (ipfs://, https://) instead of inlining it"
        )
    return uri


def check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise InvalidInput(f"a metadata key must be a string, got {type(key).__name__}")
    size = len(key.encode("utf-8"))
    if not 1 <= size <= KEY_MAX:
        raise InvalidInput(
            f"metadata key {key!r} is {size} bytes (UTF-8); keys must be 1 to {KEY_MAX} bytes"
        )
    return key


def check_value(value: Any, key: str = "") -> bytes:
    if isinstance(value, str):
        data = value.encode("utf-8")
    elif isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    else:
        raise InvalidInput(
            f"metadata value for {key!r} must be bytes or text, got {type(value).__name__}"
        )
    if len(data) > VALUE_MAX:
        raise InvalidInput(
            f"metadata value for {key!r} is {len(data):,} bytes; values are at most {VALUE_MAX:,} "
            "bytes: store a URI or a hash of larger data instead"
        )
    return data


def check_metadata(metadata: MetadataLike | None) -> list[MetadataEntry]:
    """Normalise metadata (a mapping, entries or ``(key, value)`` pairs) and check it."""
    if metadata is None:
        return []
    if isinstance(metadata, str | bytes):
        raise InvalidInput("metadata must be a mapping or a list of (key, value) entries")
    items: Iterable[Any] = metadata.items() if isinstance(metadata, Mapping) else metadata
    entries = []
    for item in items:
        if isinstance(item, MetadataEntry):
            key, value = item.key, item.value
        elif isinstance(item, tuple) and len(item) == 2:
            key, value = item
        else:
            raise InvalidInput(f"metadata entry {item!r} is not a (key, value) pair")
        key = check_key(key)
        entries.append(MetadataEntry(key=key, value=check_value(value, key)))
    if len(entries) > ENTRIES_MAX:
        raise InvalidInput(
            f"{len(entries)} metadata entries given; register accepts at most {ENTRIES_MAX}: "
            "set the others afterwards with set_metadata"
        )
    return entries


def check_deadline(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise InvalidInput(f"a deadline must be a unix time in seconds, got {value!r}")
    return value
