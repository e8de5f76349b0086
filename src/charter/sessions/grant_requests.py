"""Grant requests from the principal's side (the approvals protocol): read one, send the answer.

A requester (``charter mcp``, ``charter grant request``, with charter.agents.approvals) serves
``GET …/grant-requests/ID.json`` and takes ``POST …/grant-requests/ID`` (the answer) and
``POST …/grant-requests/ID/refuse``. ``charter grant approve URL`` and the console's approval page
both answer through here; the console reads only URLs on this machine (``loopback_only``), since
the URL comes from a page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from ..exceptions import CharterError, InvalidInput

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def request_base(url: str, *, loopback_only: bool = False) -> str:
    """The request's page URL (…/grant-requests/ID) from its page or JSON URL; :class:`InvalidInput`
    for anything else (with `loopback_only`, for a URL off this machine too)."""
    parts = urlsplit(url.strip())
    path = parts.path.removesuffix(".json").rstrip("/")
    if loopback_only and (parts.scheme != "http" or parts.hostname not in LOOPBACK or "/grant-requests/" not in path):
        raise InvalidInput(f"{url!r} is not a grant request URL on this machine "
                           "(http://127.0.0.1:PORT/grant-requests/ID, as charter mcp or charter grant request print)")
    if parts.scheme not in ("http", "https") or not parts.netloc or "/grant-requests/" not in path:
        raise InvalidInput(f"{url!r} is not a grant-request URL (http://HOST:PORT/grant-requests/ID, as charter mcp "
                           "or charter grant request gives it)")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _exchange(method: str, url: str, body: Any | None = None) -> tuple[int, Any]:
    try:
        response = requests.request(method, url, json=body, timeout=30)
    except requests.RequestException as exc:
        raise CharterError(f"the requester at {url} did not answer ({type(exc).__name__}): is charter mcp or "
                           "charter grant request still running?") from None
    try:
        return response.status_code, response.json()
    except ValueError:
        raise CharterError(f"the requester at {url} answered HTTP {response.status_code} without JSON") from None


def read_request(url: str, *, loopback_only: bool = False) -> tuple[str, dict[str, Any]]:
    """(its page URL, the request's record) of the grant request at `url`."""
    base = request_base(url, loopback_only=loopback_only)
    status, record = _exchange("GET", base + ".json")
    if status != 200 or not isinstance(record, dict) or "grant" not in record:
        message = record.get("message") if isinstance(record, dict) else record
        raise InvalidInput(f"{base} did not give a grant request (HTTP {status}): {message}")
    return base, record


def send_answer(base: str, body: dict[str, Any] | None = None, *, refuse: bool = False) -> dict[str, Any]:
    """POST the principal's answer (`body`), or the refusal, to the request at `base`; the requester's
    reply, or :class:`CharterError` with its reason when it refused."""
    status, reply = _exchange("POST", base + ("/refuse" if refuse else ""), body)
    if status >= 400 or not isinstance(reply, dict):
        message = reply.get("message") if isinstance(reply, dict) else reply
        raise CharterError(f"the requester refused: {message}")
    return reply


__all__ = ["LOOPBACK", "read_request", "request_base", "send_answer"]
