"""Models returned and accepted by the SDK (pydantic v2)."""

from __future__ import annotations

from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, field_serializer


class AgentStatus(IntEnum):
    """An agent's lifecycle status, as stored by the registry."""

    ACTIVE = 0
    PAUSED = 1
    RETIRED = 2

    @property
    def label(self) -> str:
        """``"Active"``, ``"Paused"`` or ``"Retired"``."""
        return self.name.capitalize()


class AgentInfo(BaseModel):
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


class MetadataEntry(BaseModel):
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


class TxResult(BaseModel):
    """A mined transaction and the value it produced, if any."""

    model_config = ConfigDict(frozen=True)

    tx_hash: str
    block_number: int
    gas_used: int
    agent_id: int | None = None
    """The agent the transaction concerned (the new id for ``register``)."""
    grant_hash: str | None = None
    """The session grant the transaction concerned, as 0x-hex."""
