"""An agent's card (its ERC-8004 registration file) as the console shows it: name and description.

A ``data:`` URI (the card inlined on chain) is decoded locally; an ``http(s)`` URI is fetched
once, with a 2 s timeout and a 64 KB cap, and marked *unverified*: the server can change it and
nothing on chain commits to its bytes. Other schemes (``ipfs://``, ``ar://``) are not fetched.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import unquote_to_bytes

from pydantic import BaseModel, ConfigDict

TIMEOUT = 2.0
LIMIT = 64 * 1024
_NAME_MAX = 200
_DESCRIPTION_MAX = 2_000


class AgentCard(BaseModel):
    """What the console read of an agent's card."""

    model_config = ConfigDict(frozen=True)

    uri: str
    name: str | None = None
    description: str | None = None
    source: str
    """``data`` (decoded from the URI), ``http`` (fetched: unverified) or ``none`` (not fetched)."""
    verified: bool = False
    """True only for a ``data:`` card: its bytes are on chain."""
    error: str | None = None
    """Why there is no name: not fetched, unreachable, too large, not JSON..."""


def _text(value: Any, limit: int) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text[:limit] or None


def _card(uri: str, raw: bytes, source: str) -> AgentCard:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return AgentCard(uri=uri, source=source, verified=source == "data", error="the card is not JSON")
    if not isinstance(data, dict):
        return AgentCard(uri=uri, source=source, verified=source == "data", error="the card is not a JSON object")
    return AgentCard(uri=uri, name=_text(data.get("name"), _NAME_MAX),
                     description=_text(data.get("description"), _DESCRIPTION_MAX), source=source,
                     verified=source == "data")


def _data_uri(uri: str) -> bytes:
    """The bytes of a ``data:[<type>][;base64],<payload>`` URI (RFC 2397)."""
    header, sep, payload = uri[5:].partition(",")
    if not sep:
        raise ValueError("a data: URI needs a comma before its payload")
    if header.endswith(";base64"):
        return base64.b64decode(payload + "=" * (-len(payload) % 4), validate=False)
    return unquote_to_bytes(payload)


def fetch_card(uri: str, *, timeout: float = TIMEOUT, limit: int = LIMIT) -> AgentCard:
    """The card at `uri`: decoded (``data:``), fetched (``http(s)``, at most `limit` bytes within
    `timeout` seconds, unverified) or not fetched (any other scheme). Never raises."""
    uri = uri.strip()
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if not uri:
        return AgentCard(uri=uri, source="none", error="no URI")
    if scheme == "data":
        try:
            raw = _data_uri(uri)
        except ValueError as exc:
            return AgentCard(uri=uri, source="data", error=f"the data: URI does not decode: {exc}")
        if len(raw) > limit:
            return AgentCard(uri=uri, source="data", error=f"the card is larger than {limit // 1024} KB")
        return _card(uri, raw, "data")
    if scheme not in ("http", "https"):
        return AgentCard(uri=uri, source="none", error=f"{scheme or 'this'}: URIs are not fetched")
    request = urllib.request.Request(uri, headers={"Accept": "application/json", "User-Agent": "charter-console"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked above
            raw = response.read(limit + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return AgentCard(uri=uri, source="http", error=f"not reachable: {' '.join(str(reason).split())[:200]}")
    if len(raw) > limit:
        return AgentCard(uri=uri, source="http", error=f"the card is larger than {limit // 1024} KB")
    return _card(uri, raw, "http")


__all__ = ["LIMIT", "TIMEOUT", "AgentCard", "fetch_card"]
