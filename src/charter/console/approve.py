"""Approving a grant request in the console.

A requester (``charter mcp``, ``charter grant request``) serves its pending request on 127.0.0.1
with the approvals protocol of :mod:`charter.agents.approvals`: ``GET …/grant-requests/ID.json``
(the grant, its typed data, the agent's reason), ``POST …/grant-requests/ID`` with the account's
signature, ``POST …/grant-requests/ID/refuse``. The console opens such a URL
(``/approve?request=URL``), shows the grant in plain words with its warnings, and passes the
principal's answer back: a signature (:func:`forward_signature`), the grant issued on chain by the
principal's wallet (:func:`prepare_issue`, then :func:`confirm_issue`, which tells the requester
``{"issued_tx": …}`` once the chain shows the grant active), or a refusal. Before signing or issuing,
the principal may edit the grant down (:func:`edited_grant`: lower caps and budgets, a lower value per
call, fewer calls, an earlier end, fewer permissions); the server rebuilds the edited grant from the
request's grant and the edits, refuses whatever would widen it, and the requester takes it only when
it is within the grant requested (:func:`~charter.sessions.narrow.narrower`). It reads only loopback
URLs: a page cannot make it fetch elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from .._core.signers import json_typed_data
from ..client import Charter
from ..exceptions import CharterError, InvalidInput
from ..sessions.describe import TokenInfo, TokenLookup, grant_summary, grant_words, signatures_for
from ..sessions.grant_requests import read_request, request_base, send_answer
from ..sessions.models import Condition, Grant, SignedGrant
from ..sessions.narrow import narrower
from .actions import Outcome
from .actions import confirm_issue as _confirm_issue
from .actions import prepare_issue as _prepare_issue


@dataclass(frozen=True)
class GrantRequest:
    """A pending request as the console shows it."""

    url: str
    """The request's page URL (…/grant-requests/ID)."""
    record: dict[str, Any]
    lines: list[str]
    warnings: list[str] = field(default_factory=list)
    grant: Grant | None = None
    """The requested grant, as checked against the grant_hash the request shows."""
    form: dict[str, Any] = field(default_factory=dict)
    """What the page may edit down, with the values as requested (:func:`edit_form`)."""

    @property
    def status(self) -> str:
        return str(self.record.get("status", "?"))

    @property
    def chain_id(self) -> int:
        return int(self.record["chain_id"])

    @property
    def requested(self) -> Grant:
        assert self.grant is not None
        return self.grant

    @property
    def typed_data_json(self) -> str:
        return json.dumps(self.record["typed_data"]).replace("</", "<\\/")


def _words(grant: Grant, record: dict[str, Any], w3: Web3, sessions: Any) -> tuple[list[str], list[str]]:
    """`grant` in the principal's words (a line per rule) and its warnings."""
    from .words import request_warnings

    signed = SignedGrant(grant=grant, chain_id=sessions.chain_id, manager=sessions.address)
    _, lines = grant_summary(signed, signatures_for(grant, record.get("signatures") or []), TokenLookup(w3))
    return [line.strip().removeprefix("- ") for line in lines[1:]], request_warnings(grant, w3)


def load_request(url: str, w3s: dict[int, Web3]) -> GrantRequest:
    """The request at `url`, in words (token amounts with decimals when the chain is one of `w3s`)."""
    base, record = read_request(url, loopback_only=True)
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
    lines, warnings = _words(grant, record, w3, sessions)
    return GrantRequest(url=base, record=record, lines=lines, warnings=warnings, grant=grant,
                        form=edit_form(grant, record.get("signatures") or [], TokenLookup(w3)))


# ---------------------------------------------------------------- editing a grant down

EDITS = ("remove", "max_values", "caps", "native_budget", "max_calls", "valid_until")
"""What the page may send as edits (each optional)."""
_ETH = TokenInfo(18, "ETH")


def _plain(raw: int, info: TokenInfo) -> str:
    """`raw` units as the page's input shows them: decimal, no separators (raw without decimals)."""
    if info.decimals is None:
        return str(raw)
    return format(Decimal(raw).scaleb(-info.decimals).normalize(), "f") if raw else "0"


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def edit_form(grant: Grant, signatures: list[str | None], tokens: TokenLookup) -> dict[str, Any]:
    """The fields the approval page offers to edit the grant down, with the values as requested."""
    words = grant_words(grant, signatures_for(grant, signatures), tokens)
    budgets = []
    for b in grant.token_budgets:
        if b.guarded:
            continue  # a guard is already the least: nothing to lower
        info = tokens(b.token)
        budgets.append({"token": b.token, "symbol": info.symbol or b.token, "cap": _plain(b.cap, info),
                        "raw": info.decimals is None, "period": b.period})
    return {
        "permissions": [{"index": i, "words": words.permissions[i], "max_value": _plain(p.max_value, _ETH)}
                        for i, p in enumerate(grant.permissions)],
        "budgets": budgets,
        "native_budget": _plain(grant.native_budget, _ETH) if grant.native_budget else None,
        "max_calls": grant.max_calls or "",
        "valid_until": _utc(grant.valid_until),
        "valid_after": _utc(grant.valid_after),
    }


def _amount(text: Any, info: TokenInfo, what: str) -> int:
    from ..agents.service import Refusal, units

    value = str(text).strip().replace(",", "")
    if info.decimals is None and not re.fullmatch(r"[0-9][0-9_]*", value):
        raise InvalidInput(f"{what}: the token's decimals are unknown, give raw units (an integer), not {text!r}")
    if not re.fullmatch(r"[0-9][0-9_]*(\.[0-9]+)?", value):
        raise InvalidInput(f"{what} is an amount like 2.5, not {str(text)[:40]!r}")
    try:
        return units(value, info.decimals or 0, what)
    except Refusal as exc:
        raise InvalidInput(exc.message) from None


def _when(text: Any) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    value = str(text).strip()
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.removesuffix("Z"))
    except ValueError:
        raise InvalidInput(f"valid_until is a UTC date and time (2030-01-31T12:00:00) or unix seconds, "
                           f"not {value[:40]!r}") from None
    return int(moment.replace(tzinfo=UTC).timestamp())


def edited_grant(grant: Grant, edits: Any, tokens: TokenLookup) -> tuple[Grant, list[str]]:
    """`grant` edited down by `edits` (the page's: any of :data:`EDITS`) and the changes in words.
    Everything that would widen the grant is refused (:class:`InvalidInput`): a higher cap, value,
    budget or call count, a later end, a permission that is not the grant's; the result is checked
    once more with :func:`~charter.sessions.narrow.narrower`."""
    if edits is None or edits == {}:
        return grant, []
    if not isinstance(edits, dict) or set(edits) - set(EDITS):
        raise InvalidInput(f"edits is an object with any of {', '.join(EDITS)}")
    changes: list[str] = []
    update: dict[str, Any] = {}
    if "valid_until" in edits:
        until = _when(edits["valid_until"])
        if until > grant.valid_until:
            raise InvalidInput(f"the grant may end earlier, not later: {_utc(until)} UTC is after the requested "
                               f"{_utc(grant.valid_until)} UTC")
        if until <= grant.valid_after:
            raise InvalidInput(f"the grant would end ({_utc(until)} UTC) before it starts ({_utc(grant.valid_after)} "
                               "UTC)")
        if until != grant.valid_until:
            update["valid_until"] = until
            changes.append(f"ends {_utc(until)} UTC instead of {_utc(grant.valid_until)} UTC")
    if "max_calls" in edits:
        raw = str(edits["max_calls"]).strip()
        if raw in ("", "0") and not grant.max_calls:
            pass  # still no limit
        elif not raw.isdigit() or int(raw) < 1:
            raise InvalidInput(f"max_calls is a number of calls, at least 1, not {raw[:20]!r}")
        elif grant.max_calls and int(raw) > grant.max_calls:
            raise InvalidInput(f"at most {grant.max_calls:,} calls were asked for: {int(raw):,} would be more")
        elif int(raw) != grant.max_calls:
            update["max_calls"] = int(raw)
            changes.append(f"at most {int(raw):,} calls instead of {grant.max_calls or 'no limit'}")
    if "native_budget" in edits:
        native = _amount(edits["native_budget"], _ETH, "native_budget")
        if native > grant.native_budget:
            raise InvalidInput(f"the native budget may be lowered, not raised above {_ETH.short(grant.native_budget)}")
        if native != grant.native_budget:
            update["native_budget"] = native
            changes.append(f"at most {_ETH.short(native)} in total instead of {_ETH.short(grant.native_budget)}")
    caps = edits.get("caps") or {}
    if not isinstance(caps, dict):
        raise InvalidInput("caps maps a budgeted token's address to its new cap")
    budgets = list(grant.token_budgets)
    for token, text in caps.items():
        k = next((k for k, b in enumerate(budgets) if b.token.lower() == str(token).lower()), None)
        if k is None:
            raise InvalidInput(f"{str(token)[:42]} is not a token the grant budgets: only its budgets can be lowered")
        info = tokens(budgets[k].token)
        cap = _amount(text, info, f"the cap of {info.symbol or budgets[k].token}")
        if cap > budgets[k].cap:
            raise InvalidInput(f"the cap of {info.symbol or budgets[k].token} may be lowered, not raised above "
                               f"{info.short(budgets[k].cap)}")
        if cap != budgets[k].cap:
            changes.append(f"at most {info.short(cap)} instead of {info.short(budgets[k].cap)}")
            budgets[k] = budgets[k].model_copy(update={"cap": cap})
    update["token_budgets"] = tuple(budgets)
    values = edits.get("max_values") or {}
    if not isinstance(values, dict):
        raise InvalidInput("max_values maps a permission's index to its new value per call")
    permissions = list(grant.permissions)
    for index, text in values.items():
        i = int(index) if str(index).isdigit() else -1
        if not 0 <= i < len(permissions):
            raise InvalidInput(f"max_values: the grant has no permission {str(index)[:8]!r}")
        value = _amount(text, _ETH, f"the value per call of permission {i + 1}")
        if value > permissions[i].max_value:
            raise InvalidInput(f"the value per call of permission {i + 1} may be lowered, not raised above "
                               f"{_ETH.short(permissions[i].max_value)}")
        if value != permissions[i].max_value:
            changes.append(f"permission {i + 1}: at most {_ETH.short(value)} per call instead of "
                           f"{_ETH.short(permissions[i].max_value)}")
            permissions[i] = permissions[i].model_copy(update={"max_value": value})
    remove = edits.get("remove") or []
    if not isinstance(remove, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in remove):
        raise InvalidInput("remove lists the indexes of the permissions to take out")
    gone = set(remove)
    if gone - set(range(len(permissions))):
        raise InvalidInput(f"remove: the grant has no permission {sorted(gone - set(range(len(permissions))))[0]}")
    if len(gone) == len(permissions):
        raise InvalidInput("a grant keeps at least one permission: refuse the request instead")
    kept = [i for i in range(len(permissions)) if i not in gone]
    renumber = {old: new for new, old in enumerate(kept)}
    conditions: list[Condition] = [c.model_copy(update={"permission": renumber[c.permission]})
                                   for c in grant.conditions if c.permission in renumber]
    changes += [f"permission {i + 1} taken out" for i in sorted(gone)]
    update.update(permissions=tuple(permissions[i] for i in kept), conditions=tuple(conditions))
    edited = grant.model_copy(update=update)
    edited = Grant.model_validate(json.loads(edited.model_dump_json()))  # checked as any grant is
    reason = narrower(grant, edited)
    if reason is not None:  # the edits above only narrow; this holds them to it
        raise InvalidInput(f"the edited grant is not within the grant requested: it {reason}")
    return edited, changes


def _given(url: str, edits: Any, w3s: dict[int, Web3]) -> tuple[GrantRequest, Grant, list[str], Web3]:
    """The pending request at `url` and the grant the principal gives: the requested one, or edited down."""
    req = load_request(url, w3s)
    if req.status != "pending":
        raise InvalidInput(f"the request is {req.status}: nothing to approve")
    w3 = w3s[req.chain_id]
    given, changes = edited_grant(req.requested, edits, TokenLookup(w3))
    if given != req.requested and not Charter.connect(w3).sessions.consent_implied(given):
        raise InvalidInput("the agent's consent covers the grant as requested only (its session key is not the "
                           "agent's wallet, nor is the account its owner): edited, the grant would need the agent "
                           "owner's consent again; approve it as requested, or refuse and have the agent ask for less")
    return req, given, changes, w3


def preview(url: str, edits: Any, w3s: dict[int, Web3]) -> dict[str, Any]:
    """The grant the principal would give with `edits`: its words, warnings, hash and the typed data the
    wallet signs (rebuilt here)."""
    req, given, changes, w3 = _given(url, edits, w3s)
    sessions = Charter.connect(w3).sessions
    lines, warnings = _words(given, req.record, w3, sessions)
    return {"grant_hash": "0x" + sessions.hash(given).hex(), "requested_hash": req.record["grant_hash"],
            "narrowed": given != req.requested, "changes": changes, "lines": lines, "warnings": warnings,
            "typed_data": json_typed_data(sessions.signing_typed_data(given))}


def _approved(answer: dict[str, Any], how: str) -> dict[str, Any]:
    done = bool(answer.get("approved"))
    edited = " (edited down)" if answer.get("narrowed") else ""
    message = f"approved: grant {answer.get('grant')}{edited} {how}, in force for the agent" if done else str(answer)
    return {"done": done, "message": message, **answer}


def forward_signature(url: str, signature: str, w3s: dict[int, Web3], edits: Any = None) -> dict[str, Any]:
    """Give the requester the account's signature (of the grant edited down by `edits`, rebuilt here, with
    that grant); it checks it against the chain."""
    if not signature.startswith("0x") or len(signature) < 132:
        raise InvalidInput("the wallet returned no signature")
    req, given, _, _ = _given(url, edits, w3s)
    body: dict[str, Any] = {"signature": signature}
    if given != req.requested:
        body["grant"] = json.loads(given.model_dump_json())
    return _approved(send_answer(req.url, body), "signed")


def _consent(req: GrantRequest, given: Grant, w3: Web3) -> bytes:
    """The agent's consent to present when issuing `given`: none when implied, else the one the request carries."""
    if Charter.connect(w3).sessions.consent_implied(given):
        return b""
    carried = str(req.record.get("agent_consent") or "")
    if not carried:
        raise InvalidInput("the agent's owner has not consented to this session key and the request carries no "
                           "consent: the grant cannot be issued; refuse it, or have the agent ask with its consent")
    try:
        return bytes(HexBytes(carried))
    except ValueError:
        raise InvalidInput("the request's agent_consent is not hex") from None


def prepare_issue(url: str, edits: Any, sender: str, w3s: dict[int, Web3]) -> dict[str, Any]:
    """The transaction the principal's wallet sends to issue the requested grant (or the one edited down)
    on chain, simulated first."""
    req, given, _, w3 = _given(url, edits, w3s)
    tx = _prepare_issue(w3, given, _consent(req, given, w3), sender)
    grant_hash = "0x" + Charter.connect(w3).sessions.hash(given).hex()
    return {"tx": tx, "grant_hash": grant_hash,
            "label": f"issue grant {grant_hash[:12]}… for agent {given.agent_id} on chain {req.chain_id}"}


def confirm_issue(url: str, edits: Any, tx_hash: str, w3s: dict[int, Web3]) -> dict[str, Any]:
    """Once the chain shows the grant issued (GrantActivated, active), tell the requester
    (``{"issued_tx": …}``, with the grant when edited down); it reads the chain again itself."""
    req, given, _, w3 = _given(url, edits, w3s)
    outcome: Outcome = _confirm_issue(w3, given, tx_hash)
    if not outcome.done:
        return outcome.as_dict()
    body: dict[str, Any] = {"issued_tx": outcome.tx_hash}
    if given != req.requested:
        body["grant"] = json.loads(given.model_dump_json())
    try:
        answer = send_answer(req.url, body)
    except CharterError as exc:
        return {**outcome.as_dict(), "done": False,
                "message": f"{outcome.message}, but the requester did not take it ({exc}): the grant is in force on "
                           "chain all the same; revoke it from the overview if the agent should not have it"}
    return {**outcome.as_dict(), **_approved(answer, f"issued on chain (tx {str(outcome.tx_hash)[:12]}…)")}


def forward_refusal(url: str) -> dict[str, Any]:
    answer = send_answer(request_base(url, loopback_only=True), refuse=True)
    return {"done": answer.get("status") == "refused", "message": f"request {answer.get('status')}", **answer}


__all__ = ["EDITS", "GrantRequest", "confirm_issue", "edit_form", "edited_grant", "forward_refusal",
           "forward_signature", "load_request", "prepare_issue", "preview"]
