"""The identity layer: the AgentRegistry (ERC-8004 identity, lifecycle, reverse lookup).

    client.py      Registry: reads, register, wallet proofs, pause / resume / retire
    models.py      AgentInfo, AgentStatus, MetadataEntry; size limits and input checks
    typed_data.py  the EIP-712 AgentWalletSet wallet proof
    errors.py      "registry: ..." and "erc721: ..." reverts as exceptions
"""

from .client import DEFAULT_PROOF_LIFETIME, Registry
from .errors import MAX_DEADLINE_DELAY
from .models import (
    ENTRIES_MAX,
    KEY_MAX,
    URI_MAX,
    VALUE_MAX,
    AgentInfo,
    AgentStatus,
    MetadataEntry,
)

__all__ = [
    "DEFAULT_PROOF_LIFETIME",
    "ENTRIES_MAX",
    "KEY_MAX",
    "MAX_DEADLINE_DELAY",
    "URI_MAX",
    "VALUE_MAX",
    "AgentInfo",
    "AgentStatus",
    "MetadataEntry",
    "Registry",
]
