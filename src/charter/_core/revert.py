"""Map contract reverts and node failures to Charter exceptions.

Every revert reason the contracts can give has an exception class in
:mod:`charter.exceptions`. Each layer lists its own reasons in its
``errors.py`` (``registry/``: ``"registry: ..."`` and ``"erc721: ..."``,
``sessions/``: ``"sessions: ..."``, ``accounts/``: ``"account: ..."``,
``intents/``: ``"intents: ..."``, ``"oracle: ..."`` and ``"hyperlane: ..."``),
as a table of fixed reasons (``REVERTS``) and builders for numbered ones
(``PATTERNS``), and registers them here with :func:`register_reverts` when
it is imported. This module never imports a layer: the ``charter`` package
imports every layer's ``errors`` module, so all tables are registered
whichever module was imported first. :func:`map_revert` builds the
exception with a message that says what was wrong and what to do, using
whatever the caller knows about the attempted action (a
:class:`RevertContext`). :func:`translate` wraps a block of web3.py calls so
that only Charter exceptions leave it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeAlias

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

from ..exceptions import CharterError, ContractRevert, NodeUnreachable, NotConfirmed

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
    # intents
    order_id: str | None = None


def format_time(timestamp: int) -> str:
    """A unix time as ``2026-11-22 10:00:00 UTC`` (falls back to the raw number)."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


Message: TypeAlias = Callable[[RevertContext], str]
"""Builds the message of a refusal from what the client knows."""
Pattern: TypeAlias = Callable[[str, RevertContext], ContractRevert | None]
"""Builds the exception of a reason a table cannot list (numbered ones), or None."""


def agent_label(ctx: RevertContext) -> str:
    """``agent 7``; an id too long to read (an agent represented from another chain) as ``agent 0xca8f6c55d2…``."""
    if ctx.agent_id is None:
        return "the agent"
    return f"agent {ctx.agent_id}" if ctx.agent_id < 2**64 else f"agent {hex(ctx.agent_id)[:12]}…"


def where(ctx: RevertContext) -> str:
    """`` (registry 0x…, chain 1)``: what the context knows of the place, or nothing."""
    parts = []
    if ctx.registry is not None:
        parts.append(f"registry {ctx.registry}")
    if ctx.chain_id is not None:
        parts.append(f"chain {ctx.chain_id}")
    return f" ({', '.join(parts)})" if parts else ""


def detail(ctx: RevertContext) -> str:
    """`` (facts the client found)``, or nothing."""
    return f" ({ctx.detail})" if ctx.detail else ""


def explained(text: str, advice: str) -> Message:
    """A message: `text`, the client's detail, then `advice`."""

    def message(ctx: RevertContext) -> str:
        return f"{text}{detail(ctx)}; {advice}"

    return message


def internal(reason: str) -> Message:
    """The message of a check that should never fail."""

    def message(ctx: RevertContext) -> str:
        return (
            f"the contract refused with {reason!r}, an internal check that should never "
            "fail; check the address is a Charter contract, and please report it with the "
            "transaction details"
        )

    return message


# ---------------------------------------------------------------- the layers' tables


@dataclass(frozen=True)
class RevertTable:
    """One layer's revert reasons, as it registered them."""

    layer: str
    reverts: dict[str, tuple[type[ContractRevert], Message]]
    patterns: tuple[Pattern, ...]


_TABLES: dict[str, RevertTable] = {}
_JOINED: tuple[dict[str, tuple[type[ContractRevert], Message]], tuple[Pattern, ...]] | None = None


def register_reverts(
    layer: str,
    reverts: Mapping[str, tuple[type[ContractRevert], Message]],
    patterns: Iterable[Pattern] = (),
) -> None:
    """Add `layer`'s revert reasons to the ones :func:`map_revert` knows.

    Each layer calls it from its ``errors`` module with its table of fixed
    reasons and its builders for numbered ones. Registering the same layer
    again replaces its table (a module reloaded); a fixed reason that another
    layer already registered is refused, so a reason always means one
    exception."""
    table = dict(reverts)
    for other in _TABLES.values():
        if other.layer != layer and (shared := table.keys() & other.reverts.keys()):
            raise ValueError(f"{layer!r} registers revert reasons {sorted(shared)} that {other.layer!r} already maps")
    global _JOINED
    _TABLES[layer] = RevertTable(layer, table, tuple(patterns))
    _JOINED = None


def registered_layers() -> tuple[str, ...]:
    """The layers whose revert tables are registered, in the order they registered."""
    return tuple(_TABLES)


def _joined() -> tuple[dict[str, tuple[type[ContractRevert], Message]], tuple[Pattern, ...]]:
    global _JOINED
    if _JOINED is None:
        table: dict[str, tuple[type[ContractRevert], Message]] = {}
        for layer in _TABLES.values():
            table.update(layer.reverts)
        _JOINED = (table, tuple(pattern for layer in _TABLES.values() for pattern in layer.patterns))
    return _JOINED


def reverts() -> dict[str, tuple[type[ContractRevert], Message]]:
    """Every registered fixed revert reason, with its exception and message."""
    return _joined()[0]


def patterns() -> tuple[Pattern, ...]:
    """The registered builders for reasons a table cannot list (``"sessions: call 2 argument 1"``)."""
    return _joined()[1]


def __getattr__(name: str) -> Any:
    if name == "REVERTS":  # the joined table, as a constant
        return reverts()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def map_revert(reason: str, context: RevertContext | None = None) -> ContractRevert:
    """The Charter exception for revert `reason` (raw, e.g. ``"registry: proof used"``).

    Unknown reasons give a plain :class:`ContractRevert` carrying the raw reason.
    """
    ctx = context or RevertContext()
    reason = reason.strip()
    for pattern in patterns():
        if (matched := pattern(reason, ctx)) is not None:
            return matched
    table = reverts()
    if reason in table:
        cls, message = table[reason]
        return cls(message(ctx), reason)
    doing = f" to {ctx.action} {agent_label(ctx)}" if ctx.action else ""
    if not reason:
        return ContractRevert(
            f"the contract refused{doing} without giving a reason{where(ctx)}; check the "
            "sizes of the arguments (the registry gives reasons for inputs a little past its limits, "
            "none for far larger ones: URI <= 20,480 bytes, metadata key <= 64 bytes, value <= "
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
        raise NotConfirmed(
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
