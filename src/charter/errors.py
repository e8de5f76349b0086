"""Map contract reverts and node failures to Charter exceptions.

Every revert reason the contracts can give (``"registry: ..."``,
``"erc721: ..."``) has an exception class in :mod:`charter.exceptions`.
:func:`map_revert` builds that exception with a message that says what was
wrong and what to do, using whatever the caller knows about the attempted
action (a :class:`RevertContext`). :func:`translate` wraps a block of
web3.py calls so that only Charter exceptions leave it.
"""

from __future__ import annotations

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
    AgentNotActive,
    AgentNotPaused,
    AgentRetired,
    CharterError,
    ContractRevert,
    EmptyMetadataKey,
    InvalidApproval,
    NodeUnreachable,
    NotERC721Receiver,
    ReservedMetadataKey,
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
            f"the registry refused with {reason!r}, an internal check that should never "
            "fail; please report it with the transaction details"
        )

    return message


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
}
"""Every revert reason of AgentRegistry and its modules, with its exception."""


def map_revert(reason: str, context: RevertContext | None = None) -> ContractRevert:
    """The Charter exception for revert `reason` (raw, e.g. ``"registry: proof used"``).

    Unknown reasons give a plain :class:`ContractRevert` carrying the raw reason.
    """
    ctx = context or RevertContext()
    reason = reason.strip()
    if reason in REVERTS:
        cls, message = REVERTS[reason]
        return cls(message(ctx), reason)
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
