"""Map contract reverts and node failures to Charter exceptions.

Every revert reason the contracts can give (``"registry: ..."``,
``"erc721: ..."``) has an exception class in :mod:`charter.exceptions`.
:func:`map_revert` builds that exception with a message that says what was
wrong and what to do, using whatever the caller knows about the attempted
action (a :class:`RevertContext`). :func:`translate` wraps a block of
web3.py calls so that only Charter exceptions leave it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from eth_abi import decode as abi_decode
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    Web3Exception,
    Web3RPCError,
)

from .exceptions import (
    AccountNotDeployed,
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    CharterError,
    ContractRevert,
    EmptyMetadataKey,
    GrantExists,
    GrantExpired,
    GrantNotYetValid,
    GrantRevoked,
    GrantSignatureInvalid,
    InvalidApproval,
    InvalidGrant,
    NodeUnreachable,
    NotERC721Receiver,
    OutOfScope,
    OverBudget,
    RequestInvalid,
    ReservedMetadataKey,
    SessionAgentInactive,
    SessionRefused,
    TooSoon,
    Unauthorized,
    UnknownAgent,
    WalletProofDeadlineTooFar,
    WalletProofExpired,
    WalletProofInvalid,
    WalletProofUsed,
    WalletTaken,
    WrongOwner,
    ZeroAddress,
    ZeroWallet,
)

MAX_DEADLINE_DELAY = 300
"""The registry refuses wallet proofs valid for longer than this (seconds)."""

_ERROR_SELECTOR = "0x08c379a0"  # Error(string)


@dataclass(frozen=True)
class RevertContext:
    """What the SDK knows about the call that reverted (all optional)."""

    action: str | None = None  # "pause", "set the URI of", ...
    agent_id: int | None = None
    sender: str | None = None
    owner: str | None = None
    wallet: str | None = None
    deadline: int | None = None
    key: str | None = None
    to: str | None = None
    other_agent: int | None = None  # the agent a taken wallet backs
    status: str | None = None  # the agent's current status, when known
    chain_id: int | None = None
    registry: str | None = None
    # sessions
    account: str | None = None
    session_key: str | None = None
    grant_hash: str | None = None
    valid_after: int | None = None
    valid_until: int | None = None
    budget: str | None = None  # "native", "calls" or a token address
    left: int | None = None  # what remains of `budget`
    detail: str | None = None  # facts the client found (the refused call, the condition...)


def format_time(timestamp: int) -> str:
    """A unix time as ``2026-11-22 10:00:00 UTC`` (falls back to the raw number)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def _agent(ctx: RevertContext) -> str:
    return f"agent {ctx.agent_id}" if ctx.agent_id is not None else "the agent"


def _where(ctx: RevertContext) -> str:
    parts = []
    if ctx.registry is not None:
        parts.append(f"registry {ctx.registry}")
    if ctx.chain_id is not None:
        parts.append(f"chain {ctx.chain_id}")
    return f" ({', '.join(parts)})" if parts else ""


def _unauthorized(ctx: RevertContext) -> str:
    who = ctx.sender or "the sender"
    what = ctx.action or "change"
    owner = f" ({ctx.owner})" if ctx.owner else ""
    return (
        f"{who} may not {what} {_agent(ctx)}: only its owner{owner}, an operator of the "
        "owner or the agent's approved address may; send from the owner's account or have "
        "the owner approve this address (approve / setApprovalForAll)"
    )


def _unknown(ctx: RevertContext) -> str:
    return (
        f"{_agent(ctx)} does not exist{_where(ctx)}; check the id (ids start at 1) and "
        "that you are connected to the chain where it was registered"
    )


def _retired(ctx: RevertContext) -> str:
    return (
        f"{_agent(ctx)} is retired, which is final: it cannot be paused, resumed, retired "
        "again or given a new wallet; register a new agent instead"
    )


def _not_active(ctx: RevertContext) -> str:
    status = ctx.status or "Paused"
    return (
        f"{_agent(ctx)} cannot be paused because it is not Active (it is {status}); "
        "nothing to do, or resume it first if you want it Active"
    )


def _not_paused(ctx: RevertContext) -> str:
    status = ctx.status or "Active"
    return (
        f"{_agent(ctx)} cannot be resumed because it is not Paused (it is {status}); "
        "only a paused agent can be resumed"
    )


def _wallet_taken(ctx: RevertContext) -> str:
    wallet = ctx.wallet or "the wallet"
    other = f"agent {ctx.other_agent}" if ctx.other_agent else "another agent"
    return (
        f"{wallet} already backs {other} and a wallet backs at most one agent; have that "
        "agent's owner unset it first (unset_agent_wallet) or use another wallet"
    )


def _expired(ctx: RevertContext) -> str:
    when = f" at {format_time(ctx.deadline)}" if ctx.deadline is not None else ""
    return (
        f"the wallet proof for {_agent(ctx)} expired{when}; ask the wallet to sign a new "
        "proof with a deadline at most 5 minutes ahead"
    )


def _too_far(ctx: RevertContext) -> str:
    when = f" ({format_time(ctx.deadline)})" if ctx.deadline is not None else ""
    return (
        f"the deadline of the wallet proof for {_agent(ctx)}{when} is more than 5 minutes "
        f"({MAX_DEADLINE_DELAY} s) after the current block; sign a proof whose deadline is at "
        "most 5 minutes ahead (the SDK's default is 4 minutes)"
    )


def _used(ctx: RevertContext) -> str:
    wallet = ctx.wallet or "the wallet"
    when = f" {format_time(ctx.deadline)}" if ctx.deadline is not None else " this one"
    return (
        f"a proof of {wallet} with a deadline of{when} or later was already accepted and "
        "proofs are single-use; have the wallet sign a new proof with a later deadline"
    )


def _bad_proof(ctx: RevertContext) -> str:
    wallet = f"{ctx.wallet}'s" if ctx.wallet else "the wallet's"
    fields = []
    if ctx.owner is not None:
        fields.append(f"owner {ctx.owner}")
    if ctx.deadline is not None:
        fields.append(f"deadline {ctx.deadline}")
    detail = f" ({', '.join(fields)})" if fields else ""
    return (
        f"the signature is not {wallet} EIP-712 AgentWalletSet proof for {_agent(ctx)}"
        f"{detail}{_where(ctx)}; have that wallet sign exactly these fields "
        "(Registry.wallet_digest gives the digest) and check the owner has not changed"
    )


def _zero_wallet(ctx: RevertContext) -> str:
    return (
        "the zero address cannot be an agent wallet; pass the wallet's address, or use "
        "unset_agent_wallet to clear the wallet"
    )


def _empty_key(ctx: RevertContext) -> str:
    return "metadata keys must be 1 to 64 bytes long; pass a non-empty key"


def _reserved_key(ctx: RevertContext) -> str:
    return (
        "the metadata key 'agentWallet' is reserved; set the agent wallet with "
        "set_agent_wallet (it needs a proof signed by the wallet) and use another key"
    )


def _wrong_owner(ctx: RevertContext) -> str:
    owner = f" ({ctx.owner})" if ctx.owner else ""
    return (
        f"the transfer names a 'from' address that does not own {_agent(ctx)}; name its "
        f"current owner{owner}"
    )


def _zero_address(ctx: RevertContext) -> str:
    return "the zero address cannot own an agent; send it to a real address"


def _approval_to_owner(ctx: RevertContext) -> str:
    return "the owner is always allowed to manage its agents; approve another address"


def _approve_to_caller(ctx: RevertContext) -> str:
    return "an address cannot make itself its own operator; name another address"


def _not_receiver(ctx: RevertContext) -> str:
    to = ctx.to or "the recipient"
    return (
        f"{to} is a contract that does not accept ERC-721 tokens (no onERC721Received); "
        "send the agent to an account or to a contract that implements it"
    )


def _internal(reason: str) -> Callable[[RevertContext], str]:
    def message(ctx: RevertContext) -> str:
        return (
            f"the contract refused with {reason!r}, an internal check that should never "
            "fail; check the address is a Charter contract, and please report it with the "
            "transaction details"
        )

    return message


# ---------------------------------------------------------------- sessions


def _grant(ctx: RevertContext) -> str:
    parts = []
    if ctx.grant_hash:
        parts.append(f"grant {ctx.grant_hash[:10]}…")
    else:
        parts.append("the grant")
    if ctx.account:
        parts.append(f"of account {ctx.account}")
    return " ".join(parts)


def _detail(ctx: RevertContext) -> str:
    return f" ({ctx.detail})" if ctx.detail else ""


def _session(text: str, advice: str) -> Callable[[RevertContext], str]:
    """A session message: `text` about the grant, the client's detail, then `advice`."""

    def message(ctx: RevertContext) -> str:
        return f"{text.format(grant=_grant(ctx), key=ctx.session_key or 'the session key')}{_detail(ctx)}; {advice}"

    return message


def _expired_grant(ctx: RevertContext) -> str:
    when = f" at {format_time(ctx.valid_until)}" if ctx.valid_until is not None else ""
    return (
        f"{_grant(ctx)} expired{when}{_detail(ctx)}; the principal must issue a new grant "
        "(grants are short-lived by design)"
    )


def _not_yet_valid(ctx: RevertContext) -> str:
    when = f" until {format_time(ctx.valid_after)}" if ctx.valid_after is not None else ""
    return f"{_grant(ctx)} is not valid yet{when}{_detail(ctx)}; wait for its window to open"


def _over(what: str) -> Callable[[RevertContext], str]:
    def message(ctx: RevertContext) -> str:
        left = f"; {ctx.left:,} left" if ctx.left is not None else ""
        return (
            f"{_grant(ctx)} would exceed its {what}{left}{_detail(ctx)}; spend less, wait for "
            "the next period if the budget refills, or ask the principal for a new grant"
        )

    return message


_NEW_GRANT = "build a new grant (the SDK's GrantBuilder checks this before signing)"
_SESSION_REVERTS: dict[str, tuple[type[ContractRevert], Callable[[RevertContext], str]]] = {
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
    "sessions: zero token": (InvalidGrant, _session("a token budget names the zero address", _NEW_GRANT)),
    "sessions: duplicate token": (InvalidGrant, _session("two token budgets name the same token", _NEW_GRANT)),
    "sessions: epoch overflow": (SessionRefused, _internal("sessions: epoch overflow")),
    "sessions: zero registry": (SessionRefused, _internal("sessions: zero registry")),
    "account: not the owner": (Unauthorized, _session(
        "the sender is not the owner of the account",
        "send from the account's owner (for an EIP-7702 account: the EOA itself)")),
    "account: not the manager": (Unauthorized, _session(
        "only the account's SessionManager may make session calls",
        "go through SessionManager.execute")),
    "account: self call": (OutOfScope, _session(
        "a session call targeted the account itself", "sessions may never call their account")),
    "account: zero manager": (SessionRefused, _internal("account: zero manager")),
}

_CALL_REASON = re.compile(r"^sessions: call (\d+) (not allowed|value too high|bad calldata|argument (\d+))$")
_TOKEN_REASON = re.compile(r"^sessions: over token budget (\d+)$")


def _session_pattern(reason: str, ctx: RevertContext) -> ContractRevert | None:
    """The exception for the numbered session reasons (call i ..., token budget j)."""
    if match := _CALL_REASON.match(reason):
        call = int(match.group(1))
        kind = match.group(2)
        argument = int(match.group(3)) if match.group(3) is not None else None
        what = {
            "not allowed": "its (target, selector) is not among the grant's permissions",
            "value too high": "it sends more wei than its permission's maximum",
            "bad calldata": "its calldata is too short for its selector / token amount",
        }.get(kind, f"ABI argument {argument} fails the grant's condition on it")
        return OutOfScope(
            f"call {call} is out of the scope of {_grant(ctx)}: {what}{_detail(ctx)}; change the "
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
            f"{_grant(ctx)} would move more of {token} than its cap{left}{_detail(ctx)} "
            "(transfer, transferFrom, approve and increaseAllowance all count); move less, wait "
            "for the next period if the budget refills, or ask the principal for a new grant",
            reason,
            budget=ctx.budget,
            left=ctx.left,
        )
    return None


REVERTS: dict[str, tuple[type[ContractRevert], Callable[[RevertContext], str]]] = {
    "registry: not authorized": (Unauthorized, _unauthorized),
    "registry: unknown agent": (UnknownAgent, _unknown),
    "registry: agent retired": (AgentRetired, _retired),
    "registry: not active": (AgentNotActive, _not_active),
    "registry: not paused": (AgentNotPaused, _not_paused),
    "registry: wallet taken": (WalletTaken, _wallet_taken),
    "registry: zero wallet": (ZeroWallet, _zero_wallet),
    "registry: proof expired": (WalletProofExpired, _expired),
    "registry: deadline too far": (WalletProofDeadlineTooFar, _too_far),
    "registry: proof used": (WalletProofUsed, _used),
    "registry: bad wallet proof": (WalletProofInvalid, _bad_proof),
    "registry: empty key": (EmptyMetadataKey, _empty_key),
    "registry: reserved key": (ReservedMetadataKey, _reserved_key),
    "erc721: invalid token ID": (UnknownAgent, _unknown),
    "erc721: transfer from incorrect owner": (WrongOwner, _wrong_owner),
    "erc721: caller is not token owner or approved": (Unauthorized, _unauthorized),
    "erc721: not owner or operator": (Unauthorized, _unauthorized),
    "erc721: zero address": (ZeroAddress, _zero_address),
    "erc721: transfer to zero address": (ZeroAddress, _zero_address),
    "erc721: mint to zero address": (ZeroAddress, _zero_address),
    "erc721: approval to owner": (InvalidApproval, _approval_to_owner),
    "erc721: approve to caller": (InvalidApproval, _approve_to_caller),
    "erc721: non-ERC721Receiver implementer": (NotERC721Receiver, _not_receiver),
    "erc721: token already minted": (ContractRevert, _internal("erc721: token already minted")),
    "erc721: data overflow": (ContractRevert, _internal("erc721: data overflow")),
    **_SESSION_REVERTS,
}
"""Every fixed revert reason of the contracts, with its exception (the numbered
session reasons, ``"sessions: call 2 argument 1"``, are matched by pattern)."""


def map_revert(reason: str, context: RevertContext | None = None) -> ContractRevert:
    """The Charter exception for revert `reason` (raw, e.g. ``"registry: proof used"``).

    Unknown reasons give a plain :class:`ContractRevert` carrying the raw reason.
    """
    ctx = context or RevertContext()
    reason = reason.strip()
    if reason in REVERTS:
        cls, message = REVERTS[reason]
        error = cls(message(ctx), reason)
        if isinstance(error, OverBudget):
            error.budget = ctx.budget or ("calls" if "call limit" in reason else "native")
            error.left = ctx.left
        return error
    if (matched := _session_pattern(reason, ctx)) is not None:
        return matched
    doing = f" to {ctx.action} {_agent(ctx)}" if ctx.action else ""
    if not reason:
        return ContractRevert(
            f"the contract refused{doing} without giving a reason{_where(ctx)}; check the "
            "sizes of the arguments (URI <= 4,096 bytes, metadata key <= 64 bytes, value <= "
            "1,024 bytes, <= 16 entries) and that the address is a Charter registry",
            reason,
        )
    return ContractRevert(f"the contract refused{doing}: {reason}", reason)


def revert_reason(exc: BaseException) -> str | None:
    """The revert reason carried by a web3.py (or ape) error, or None if it is no revert."""
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, str) and data.startswith(_ERROR_SELECTOR):
            decoded = _decode_error_string(data)
            if decoded is not None:
                return decoded
        message = exc.message if isinstance(exc.message, str) else str(exc)
        return _strip_prefix(message)
    ape_message = getattr(exc, "revert_message", None)
    if isinstance(ape_message, str):
        return _strip_prefix(ape_message)
    return None


def _decode_error_string(data: str) -> str | None:
    """The string of ABI-encoded ``Error(string)`` revert data, or None if malformed."""
    try:
        (decoded,) = abi_decode(["string"], bytes.fromhex(data[10:]))
    except Exception:  # noqa: BLE001 - malformed data: the caller falls back to the message
        return None
    return str(decoded)


def _strip_prefix(message: str) -> str:
    text = message.strip()
    for prefix in ("execution reverted:", "execution reverted", "revert:", "reverted:"):
        if text.lower().startswith(prefix):
            text = text[len(prefix) :].strip()
    return text


def endpoint_of(w3: Web3) -> str:
    """The URL (or a description) of the node `w3` talks to."""
    uri = getattr(w3.provider, "endpoint_uri", None)
    return str(uri) if uri else type(w3.provider).__name__


def node_unreachable(endpoint: str, exc: BaseException | None = None) -> NodeUnreachable:
    why = f" ({type(exc).__name__})" if exc is not None else ""
    return NodeUnreachable(
        f"cannot reach the node at {endpoint}{why}; start it (for a local chain: `anvil`) "
        "or point --rpc / $CHARTER_RPC at a running node"
    )


@contextmanager
def translate(w3: Web3, context: RevertContext | None = None) -> Iterator[None]:
    """Turn web3.py / node errors raised inside the block into Charter exceptions."""
    try:
        yield
    except CharterError:
        raise
    except ContractLogicError as exc:
        raise map_revert(revert_reason(exc) or "", context) from None
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise node_unreachable(endpoint_of(w3), exc) from None
    except (ProviderConnectionError, ConnectionError) as exc:
        raise node_unreachable(endpoint_of(w3), exc) from None
    except TimeExhausted as exc:
        raise CharterError(
            f"the transaction was not mined in time ({exc}); check the node and the gas price, "
            "then look the transaction up before sending it again"
        ) from None
    except Web3RPCError as exc:
        raise CharterError(f"the node at {endpoint_of(w3)} refused the request: {_rpc_message(exc)}") from None
    except Web3Exception as exc:
        raise CharterError(f"web3.py could not complete the request: {exc}") from None
    except Exception as exc:
        reason = revert_reason(exc)
        if reason is not None:
            raise map_revert(reason, context) from None
        raise


def _rpc_message(exc: Web3RPCError) -> str:
    response: Any = getattr(exc, "rpc_response", None)
    if isinstance(response, dict):
        error = response.get("error")
        if isinstance(error, dict) and "message" in error:
            return str(error["message"])
    return str(exc.message if isinstance(exc.message, str) else exc)
