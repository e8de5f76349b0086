"""SessionManager revert reasons (``"sessions: ..."``) as exceptions, and the facts that explain them.

Each fixed reason has an exception class from :mod:`charter.exceptions` and a
message about the grant (:data:`REVERTS`); the numbered ones (``"sessions:
call 2 argument 1"``, ``"sessions: over token budget 0"``) and the budgets are
built by :data:`PATTERNS`, which fill in the refused call, argument and what
is left. :func:`facts` is what the client reads after a refusal to say more
(the refused call and the rule it broke, what is left of a budget).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from web3 import Web3

from .._core.revert import Message, RevertContext, detail, format_time, internal, register_reverts
from ..accounts.models import Call
from ..exceptions import (
    AccountNotDeployed,
    AgentChangedHands,
    AgentConsentMissing,
    ContractRevert,
    GrantExists,
    GrantExpired,
    GrantNotYetValid,
    GrantRevoked,
    GrantSignatureInvalid,
    InvalidGrant,
    OutOfScope,
    OverBudget,
    RequestInvalid,
    SessionAgentInactive,
    SessionRefused,
    TooSoon,
    Unauthorized,
    UnknownAgent,
)
from .models import GUARDED, TOKEN_SELECTORS, Grant, GrantState, describe_condition, merge_one_of


def grant_label(ctx: RevertContext) -> str:
    """``grant 0x12ab…  of account 0x…`` (what the context knows of the grant)."""
    parts = []
    if ctx.grant_hash:
        parts.append(f"grant {ctx.grant_hash[:10]}…")
    else:
        parts.append("the grant")
    if ctx.account:
        parts.append(f"of account {ctx.account}")
    return " ".join(parts)


def _session(text: str, advice: str) -> Message:
    """A session message: `text` about the grant, the client's detail, then `advice`."""

    def message(ctx: RevertContext) -> str:
        return f"{text.format(grant=grant_label(ctx), key=ctx.session_key or 'the session key')}{detail(ctx)}; {advice}"

    return message


def _expired_grant(ctx: RevertContext) -> str:
    when = f" at {format_time(ctx.valid_until)}" if ctx.valid_until is not None else ""
    return (
        f"{grant_label(ctx)} expired{when}{detail(ctx)}; the principal must issue a new grant "
        "(grants are short-lived by design)"
    )


def _not_yet_valid(ctx: RevertContext) -> str:
    when = f" until {format_time(ctx.valid_after)}" if ctx.valid_after is not None else ""
    return f"{grant_label(ctx)} is not valid yet{when}{detail(ctx)}; wait for its window to open"


def _over(what: str) -> Message:
    def message(ctx: RevertContext) -> str:
        left = f"; {ctx.left:,} left" if ctx.left is not None else ""
        return (
            f"{grant_label(ctx)} would exceed its {what}{left}{detail(ctx)}; spend less, wait for "
            "the next period if the budget refills, or ask the principal for a new grant"
        )

    return message


_NEW_GRANT = "build a new grant (the SDK's GrantBuilder checks this before signing)"
REVERTS: dict[str, tuple[type[ContractRevert], Message]] = {
    "sessions: expired": (GrantExpired, _expired_grant),
    "sessions: not yet valid": (GrantNotYetValid, _not_yet_valid),
    "sessions: revoked": (GrantRevoked, _session(
        "{grant} was revoked (by the account or by its session key)",
        "revocation is final: ask the principal for a new grant")),
    "sessions: revoked by revokeAll": (GrantRevoked, _session(
        "{grant} was revoked when the account revoked all its grants (revokeAll)",
        "ask the principal for a new grant, signed for the account's current epoch")),
    "sessions: already revoked": (GrantRevoked, _session(
        "{grant} is already revoked", "nothing to do")),
    "sessions: agent not active": (SessionAgentInactive, _session(
        "the agent of {grant} is not Active in the registry (paused or retired)",
        "its owner must resume it before the session can act")),
    "sessions: over native budget": (OverBudget, _over("native value budget (wei)")),
    "sessions: over call limit": (OverBudget, _over("call limit")),
    "sessions: too soon": (TooSoon, _session(
        "{grant} allows one call per minimum interval and the last one was too recent",
        "wait until the interval has elapsed")),
    "sessions: one call per interval": (TooSoon, _session(
        "{grant} has a minimum interval between calls, so it refuses batches of several calls",
        "send the calls one at a time")),
    "sessions: no calls": (OutOfScope, _session(
        "an empty batch was sent under {grant}", "send at least one call")),
    "sessions: not the session key": (Unauthorized, _session(
        "the sender is not {key}, the session key of {grant}",
        "send from the session key, or have it sign a request and relay that")),
    "sessions: not the account": (Unauthorized, _session(
        "only the grant's account may issue it on-chain",
        "send issue() from the account (the SDK does it through account.execute)")),
    "sessions: grant exists": (GrantExists, _session(
        "{grant} was already issued or used", "it is active already; nothing to issue")),
    "sessions: bad grant signature": (GrantSignatureInvalid, _session(
        "the signature presented with {grant} is not the account's EIP-712 signature of it",
        "have the account's owner sign exactly this grant on this chain and manager "
        "(Sessions.sign), or issue it on-chain")),
    "sessions: bad revocation signature": (GrantSignatureInvalid, _session(
        "the revocation is not signed by the account (another signer, another nonce or list, another "
        "manager, or a zero signature)",
        "have the account's own key sign it (Sessions.sign_revoke_all / sign_revoke_grants); a deployed "
        "account's ERC-1271 binds one chain: revoke there with revoke / revoke_all")),
    "sessions: no grants": (InvalidGrant, _session(
        "the signed revocation lists no grant", "list 1 to 16 grant hashes")),
    "sessions: not an entry of the grant": (GrantSignatureInvalid, _session(
        "{grant} is not among the grants the account signed once for several chains, as hashed on this "
        "chain and manager: it is another chain's entry, or it was changed after signing",
        "present this chain's entry (MultiChainGrant.entry(chain_id); on the CLI, --rpc of the entry's chain), "
        "or have the account sign a multi-chain grant that includes this chain")),
    "sessions: request expired": (RequestInvalid, _session(
        "the relayed request for {grant} is past its deadline",
        "have the session key sign a new request")),
    "sessions: bad nonce": (RequestInvalid, _session(
        "the relayed request for {grant} does not carry the grant's next nonce (already "
        "relayed, or another request went first)",
        "read the nonce (Sessions.state) and have the session key sign a new request")),
    "sessions: bad request signature": (RequestInvalid, _session(
        "the relayed request is not signed by {key} for exactly these calls, nonce, deadline, "
        "chain and manager", "have the session key sign the request again (Sessions.sign_request)")),
    "sessions: nonces used up": (RequestInvalid, _session(
        "{grant} has used all its relay nonces", "ask the principal for a new grant")),
    "sessions: agent changed hands": (AgentChangedHands, _session(
        "the agent of {grant} was transferred since the grant was made (or the grant names another "
        "generation of it), so the grant is void for good",
        "ask the principal for a new grant for the agent's current generation, with its new owner's consent")),
    "sessions: no agent consent": (AgentConsentMissing, _session(
        "the agent of {grant} did not consent to its session key {key}",
        "have the agent's owner or wallet sign the grant (Sessions.consent; `--agent-key-env` on the CLI) "
        "and present that signature, or use the agent's wallet as the session key")),
    "sessions: unknown agent": (UnknownAgent, _session(
        "{grant} names an agent id nobody registered", "register the agent first, then grant its key")),
    "sessions: account has no code": (AccountNotDeployed, _session(
        "the account of {grant} has no code",
        "deploy it (Accounts.deploy) or upgrade the EOA with EIP-7702 (Accounts.upgrade)")),
    "sessions: future epoch": (InvalidGrant, _session(
        "{grant} names an epoch the account has not reached",
        "sign grants with the account's current epoch (Sessions.epoch_of)")),
    "sessions: empty window": (InvalidGrant, _session(
        "{grant} has an empty validity window (validAfter >= validUntil)", _NEW_GRANT)),
    "sessions: window too long": (InvalidGrant, _session(
        "{grant}'s validity window is longer than the account's maximum session length",
        "issue a shorter grant, or have the account raise its maximum (set_max_session_length)")),
    "sessions: session too long": (SessionRefused, _session(
        "a maximum session length over 366 days was refused", "pick at most 366 days")),
    "sessions: zero account": (InvalidGrant, _session("the grant names no account", _NEW_GRANT)),
    "sessions: no agent": (InvalidGrant, _session("the grant names agent 0", _NEW_GRANT)),
    "sessions: zero session key": (InvalidGrant, _session("the grant has no session key", _NEW_GRANT)),
    "sessions: key is the account": (InvalidGrant, _session(
        "the grant's session key is the account itself", _NEW_GRANT)),
    "sessions: no permissions": (InvalidGrant, _session("the grant allows no call", _NEW_GRANT)),
    "sessions: zero target": (InvalidGrant, _session("a permission targets the zero address", _NEW_GRANT)),
    "sessions: forbidden target": (InvalidGrant, _session(
        "a permission targets the account, the SessionManager or the registry, which sessions "
        "may never call", _NEW_GRANT)),
    "sessions: forbidden selector": (InvalidGrant, _session(
        "a permission allows an account-execution function (execute, execTransaction, ...), "
        "which would turn the session into unlimited authority", _NEW_GRANT)),
    "sessions: duplicate permission": (InvalidGrant, _session(
        "two permissions name the same (target, selector)", _NEW_GRANT)),
    "sessions: bad condition": (InvalidGrant, _session(
        "a condition names a missing permission or an unknown operator", _NEW_GRANT)),
    "sessions: token has no code": (InvalidGrant, _session(
        "a token budget or guard names an address without code (not a token on this chain)", _NEW_GRANT)),
    "sessions: duplicate token": (InvalidGrant, _session("two token budgets name the same token", _NEW_GRANT)),
    "sessions: epoch overflow": (SessionRefused, internal("sessions: epoch overflow")),
    "sessions: zero registry": (SessionRefused, internal("sessions: zero registry")),
    "sessions: zero manager": (SessionRefused, internal("sessions: zero manager")),
    "sessions: no extension": (SessionRefused, internal("sessions: no extension")),
    "sessions: no activator": (SessionRefused, internal("sessions: no activator")),
    "sessions: call the manager": (SessionRefused, _session(
        "the SessionExtension was called directly; its functions run only as the SessionManager's",
        "send the call to the SessionManager's address (its ABI lists executeBatch, renounce, activate and "
        "setMaxSessionLength)")),
}
"""The SessionManager's fixed revert reasons, with their exceptions."""

_CALL_REASON = re.compile(r"^sessions: call (\d+) (not allowed|value too high|bad calldata|argument (\d+))$")
_TOKEN_REASON = re.compile(r"^sessions: over token budget (\d+)$")


def _numbered(reason: str, ctx: RevertContext) -> ContractRevert | None:
    """The exception for the numbered session reasons (call i ..., token budget j)."""
    if match := _CALL_REASON.match(reason):
        call = int(match.group(1))
        kind = match.group(2)
        argument = int(match.group(3)) if match.group(3) is not None else None
        what = {
            "not allowed": "its (target, selector) is not among the grant's permissions",
            "value too high": "it sends more wei than its permission's maximum",
            "bad calldata": "its calldata is too short to hold a selector",
        }.get(kind, f"ABI argument {argument} fails the grant's condition on it")
        return OutOfScope(
            f"call {call} is out of the scope of {grant_label(ctx)}: {what}{detail(ctx)}; change the "
            "call or ask the principal for a grant that allows it",
            reason,
            call=call,
            argument=argument,
        )
    if match := _TOKEN_REASON.match(reason):
        index = int(match.group(1))
        token = ctx.budget or f"token budget {index}"
        left = f"; {ctx.left:,} left this period" if ctx.left is not None else ""
        return OverBudget(
            f"{grant_label(ctx)} would move more of {token} than its cap{left}{detail(ctx)} "
            "(everything that leaves the account during the execution counts, pulls by allowed "
            "targets through allowances included, and so does what approvals made in it still "
            "allow); move less, wait "
            "for the next period if the budget refills, or ask the principal for a new grant",
            reason,
            budget=ctx.budget,
            left=ctx.left,
        )
    return None


def _budgets(reason: str, ctx: RevertContext) -> ContractRevert | None:
    """The fixed budget reasons, with the budget they name and what is left of it."""
    if reason not in ("sessions: over native budget", "sessions: over call limit"):
        return None
    cls, message = REVERTS[reason]
    error = cls(message(ctx), reason)
    assert isinstance(error, OverBudget)
    error.budget = ctx.budget or ("calls" if "call limit" in reason else "native")
    error.left = ctx.left
    return error


PATTERNS: tuple[Callable[[str, RevertContext], ContractRevert | None], ...] = (_budgets, _numbered)
"""Builders tried before :data:`REVERTS`: the numbered reasons, and the budgets' extra fields."""

register_reverts("sessions", REVERTS, PATTERNS)


# ---------------------------------------------------------------- facts read after a refusal


def facts(
    error: ContractRevert, grant: Grant, calls: list[Call], state: Callable[[], GrantState]
) -> dict[str, Any]:
    """What to add to a refusal (as :class:`RevertContext` fields): the refused
    call and rule, what is left of the budget (read with `state`)."""
    if isinstance(error, OutOfScope) and error.call is not None and error.call < len(calls):
        return {"detail": describe_refused_call(grant, calls[error.call], error.argument)}
    if isinstance(error, OverBudget):
        now = state()
        if error.reason.startswith("sessions: over token budget"):
            index = int(error.reason.rsplit(" ", 1)[1])
            token = grant.token_budgets[index] if index < len(grant.token_budgets) else None
            if token is None:
                return {}
            left = next(t.left for t in now.tokens if t.token == token.token)
            asked = sum(token_amount(c) for c in calls if c.target == token.token)
            per = f" per {token.period:,} s" if token.period else ""
            bound = GUARDED if token.guarded else f"cap {token.cap:,}{per}"
            what = (f"this asked for {asked:,} on the token" if asked
                    else "this would take it out through an allowance (a pull by a target, or an approval)")
            return {"budget": token.token, "left": left, "detail": f"{bound}, {what}"}
        if "call limit" in error.reason:
            return {
                "budget": "calls",
                "left": now.calls_left,
                "detail": f"limit {grant.max_calls:,}, {len(calls)} more asked",
            }
        asked = sum(c.value for c in calls)
        return {
            "budget": "native",
            "left": now.native_left,
            "detail": f"budget {grant.native_budget:,} wei, this sends {asked:,}",
        }
    return {}


def token_amount(call: Call) -> int:
    """The token amount `call` moves or approves (0 if it is no budgeted ERC-20 call)."""
    signature = TOKEN_SELECTORS.get(call.selector)
    if signature is None:
        return 0
    offset = 68 if signature.startswith("transferFrom") else 36
    if len(call.data) < offset + 32:
        return 0
    return int.from_bytes(call.data[offset : offset + 32], "big")


def describe_refused_call(grant: Grant, call: Call, argument: int | None) -> str:
    """The refused call and what the grant allows instead, in words."""
    selector = "0x" + call.selector.hex() if call.data else "no calldata"
    function = TOKEN_SELECTORS.get(call.selector, selector)
    text = f"{function} on {call.target}, {call.value:,} wei"
    matching = [i for i, p in enumerate(grant.permissions) if p.target == call.target and p.selector == call.selector]
    if not matching:
        allowed = "; ".join(grant.describe()[: len(grant.permissions)])
        return f"{text}; the grant allows: {allowed}"
    p = matching[0]
    if argument is None:
        return f"{text}; at most {grant.permissions[p].max_value:,} wei per call"
    offset = 4 + 32 * argument
    got = int.from_bytes(call.data[offset : offset + 32], "big") if len(call.data) >= offset + 32 else None
    rules = merge_one_of([describe_condition(c) for c in grant.conditions if c.permission == p and c.index == argument])
    value = (
        Web3.to_checksum_address(f"0x{got:040x}")
        if got is not None and 2**100 <= got < 2**160
        else (f"{got:,}" if got is not None else "missing")
    )
    return f"{text}; argument {argument} is {value}, the grant needs {' and '.join(rules)}"
