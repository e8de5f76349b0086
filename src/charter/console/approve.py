"""Approving a grant request in the console.

A requester (``charter mcp``, ``charter grant request``) serves its pending request on 127.0.0.1
with the approvals protocol of :mod:`charter.agents.approvals`: ``GET …/grant-requests/ID.json``
(the grant, its typed data, the agent's reason), ``POST …/grant-requests/ID`` with the account's
signature, ``POST …/grant-requests/ID/refuse``. The console opens such a URL
(``/approve?request=URL``), shows the grant in plain words with its warnings, and passes the
principal's answer back. It reads only loopback URLs: a page cannot make it fetch elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from web3 import Web3

from .._core.signers import json_typed_data
from ..client import Charter
from ..exceptions import CharterError, InvalidInput
from ..sessions.describe import TokenLookup, grant_summary
from ..sessions.models import Grant, SignedGrant

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class GrantRequest:
    """A pending request as the console shows it."""

    url: str
    """The request's page URL (…/grant-requests/ID)."""
    record: dict[str, Any]
    lines: list[str]
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.record.get("status", "?"))

    @property
    def typed_data_json(self) -> str:
        return json.dumps(self.record["typed_data"]).replace("</", "<\\/")


def _base(url: str) -> str:
    """The request's page URL, from its page or JSON URL; refused unless it is on this machine."""
    parts = urlsplit(url.strip())
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or "/grant-requests/" not in parts.path:
        raise InvalidInput(f"{url!r} is not a grant request URL on this machine "
                           "(http://127.0.0.1:PORT/grant-requests/ID, as charter mcp or charter grant request print)")
    path = parts.path.removesuffix(".json").rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _call(method: str, url: str, body: Any | None = None) -> Any:
    try:
        response = httpx.request(method, url, json=body, timeout=10)
    except httpx.HTTPError as exc:
        raise CharterError(f"the requester at {url} did not answer ({exc}); is it still running?") from None
    try:
        data = response.json()
    except ValueError:
        raise CharterError(f"the requester at {url} answered {response.status_code} without JSON") from None
    if response.status_code >= 400:
        raise CharterError(f"the requester refused: {data.get('message') or data}")
    return data


def load_request(url: str, w3s: dict[int, Web3]) -> GrantRequest:
    """The request at `url`, in words (token amounts with decimals when the chain is one of `w3s`)."""
    base = _base(url)
    from .words import request_warnings
    record = _call("GET", base + ".json")
    if not isinstance(record, dict) or "grant" not in record or "typed_data" not in record:
        raise CharterError(f"{base} does not serve a Charter grant request")
    grant = Grant.model_validate(record["grant"])
    chain_id = int(record["chain_id"])
    w3 = w3s.get(chain_id)
    if w3 is None:
        raise InvalidInput(f"the request is for chain {chain_id}, which this console does not read: add it to --chains")
    sessions = Charter.connect(w3).sessions
    signed = SignedGrant(grant=grant, chain_id=chain_id, manager=sessions.address)
    if "0x" + signed.hash.hex() != str(record.get("grant_hash", "")).lower():
        raise InvalidInput("the request's grant does not hash to the grant_hash it shows (or names another "
                           "SessionManager): refused, nothing to sign")
    # What the wallet signs is rebuilt here from the grant shown, never taken from the requester.
    record = {**record, "typed_data": json_typed_data(sessions.signing_typed_data(grant))}
    _, lines = grant_summary(signed, record.get("signatures") or [], TokenLookup(w3))
    return GrantRequest(url=base, record=record, lines=[line.strip().removeprefix("- ") for line in lines[1:]],
                        warnings=request_warnings(grant, w3))


def forward_signature(url: str, signature: str, w3s: dict[int, Web3]) -> dict[str, Any]:
    """Give the requester the account's signature; it checks it against the chain."""
    if not signature.startswith("0x") or len(signature) < 132:
        raise InvalidInput("the wallet returned no signature")
    answer = _call("POST", _base(url), {"signature": signature})
    return {"done": bool(answer.get("approved")), "message": f"approved: grant {answer.get('grant')} is in force "
            "for the agent" if answer.get("approved") else str(answer), **answer}


def forward_refusal(url: str) -> dict[str, Any]:
    answer = _call("POST", _base(url) + "/refuse")
    return {"done": answer.get("status") == "refused", "message": f"request {answer.get('status')}", **answer}


__all__ = ["GrantRequest", "forward_refusal", "forward_signature", "load_request"]
