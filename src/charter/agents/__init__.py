"""The agent-facing edge: ``charter mcp`` (an MCP server acting only through a session key) and paid
x402 APIs within a grant's caps. See docs/agents.md.

Needs the ``agents`` extra (``pip install 'charter[agents]'``: the pinned ``mcp`` and ``x402``).
"""

from __future__ import annotations

from .config import AgentConfig, load_agent_config
from .paid import BODY_LIMIT, PaidAPIs, PaidResult, PaidSettings, Payment
from .service import AgentService, Refusal, refusal_of

__all__ = [
    "BODY_LIMIT",
    "AgentConfig",
    "AgentService",
    "PaidAPIs",
    "PaidResult",
    "PaidSettings",
    "Payment",
    "Refusal",
    "load_agent_config",
    "refusal_of",
]
