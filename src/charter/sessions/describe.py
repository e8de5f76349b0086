"""A grant as its principal typed it: parameter names, token amounts with decimals, its bounds.

Shared by the CLI, ``charter mcp`` and the console. The grant files the CLI writes are the SDK's
:class:`~charter.sessions.models.SignedGrant` JSON plus one extra key,
``signatures``: per permission, the function signature as typed (with its
parameter names), or null. ``SignedGrant.from_json`` ignores the extra key,
so any SDK consumer reads these files unchanged. A multi-chain grant's file is
the :class:`~charter.sessions.models.MultiChainGrant` JSON plus the same
``signatures`` (the entries share their rules): :func:`load_grant` takes the
chain whose entry is wanted, :func:`load_grant_file` gives either kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from web3 import Web3

from .._core.abi_types import FunctionSignature, is_dynamic, matching
from .._core.revert import format_time
from ..exceptions import InvalidInput
from .models import (
    GUARDED,
    TOKEN_SELECTORS,
    Condition,
    Grant,
    MultiChainGrant,
    Op,
    Permission,
    SignedGrant,
    _duration,
)

KNOWN_SIGNATURES: dict[bytes, str] = {
    FunctionSignature.parse(text).selector: text
    for text in (
        "transfer(address to,uint256 amount)",
        "transferFrom(address from,address to,uint256 amount)",
        "approve(address spender,uint256 amount)",
        "increaseAllowance(address spender,uint256 addedValue)",
    )
}
"""Parameter names for the token functions, for grant files that carry none."""

AMOUNT_POSITION: dict[bytes, int] = {
    FunctionSignature.parse(text).selector: position
    for text, position in (
        ("transfer(address,uint256)", 1),
        ("transferFrom(address,address,uint256)", 2),
        ("approve(address,uint256)", 1),
        ("increaseAllowance(address,uint256)", 1),
    )
}
"""Where the token amount sits in each function a token budget counts."""

_OPS = {Op.EQ: "==", Op.NE: "!=", Op.LE: "<=", Op.GE: ">="}

Name = Callable[[str], str]
"""How an address is shown in a grant's words (the console names known contracts, tokens and people)."""


def _as_is(address: str) -> str:
    return address


@dataclass(frozen=True)
class TokenInfo:
    """A token's ``decimals()`` and ``symbol()``, when the chain answered them."""

    decimals: int | None = None
    symbol: str | None = None

    def amount(self, raw: int) -> dict[str, Any]:
        """`raw` units with their decimal reading (JSON)."""
        return {"raw": raw, "decimals": self.decimals, "symbol": self.symbol, "display": self.display(raw)}

    def display(self, raw: int) -> str:
        if self.decimals is None:
            return f"{raw:,} raw units (decimals unknown)"
        text = self.number(raw)
        if self.symbol:
            return f"{text} {self.symbol} ({raw:,} raw)"
        return f"{text} ({raw:,} raw, {self.decimals} decimals)"

    def number(self, raw: int) -> str:
        """`raw` units in decimal with thousands separators (``1,234.5``); the raw figure when the
        decimals are unknown."""
        if self.decimals is None:
            return f"{raw:,}"
        value = Decimal(raw).scaleb(-self.decimals)
        text = format(value.normalize(), "f") if raw else "0"
        if "." in text:
            whole, fraction = text.split(".")
            return f"{int(whole):,}.{fraction}"
        return f"{int(text):,}"

    def short(self, raw: int) -> str:
        """`raw` units as a person reads them, without the raw figure: ``1,234.5 USDC``
        (``1,234.5`` without a symbol, ``1,234,500 raw units`` without decimals)."""
        if self.decimals is None:
            return f"{raw:,} raw units"
        return f"{self.number(raw)} {self.symbol}" if self.symbol else self.number(raw)


Tokens = Callable[[str], TokenInfo]
"""What a token's decimals and symbol are (a :class:`TokenLookup`, or a table of known ones)."""


class TokenLookup:
    """``decimals()`` / ``symbol()`` of tokens, read once each; without a node, nothing is known."""

    def __init__(self, w3: Web3 | None, known: Mapping[str, TokenInfo] | None = None) -> None:
        self.w3 = w3
        self._cache: dict[str, TokenInfo] = dict(known or {})

    def known(self) -> dict[str, TokenInfo]:
        """Every token read so far (or given as `known`), by address."""
        return dict(self._cache)

    def __call__(self, token: str) -> TokenInfo:
        if token not in self._cache:
            self._cache[token] = self._read(token)
        return self._cache[token]

    def _read(self, token: str) -> TokenInfo:
        if self.w3 is None:
            return TokenInfo()
        decimals_raw = self._eth_call(token, "0x313ce567")  # decimals()
        decimals: int | None = None
        if decimals_raw is not None and len(decimals_raw) == 32:
            value = int.from_bytes(decimals_raw, "big")
            decimals = value if value <= 77 else None
        if decimals is None:
            return TokenInfo()
        symbol_raw = self._eth_call(token, "0x95d89b41")  # symbol()
        return TokenInfo(decimals, _symbol(symbol_raw))

    def _eth_call(self, token: str, data: str) -> bytes | None:
        assert self.w3 is not None
        try:
            return bytes(self.w3.eth.call({"to": Web3.to_checksum_address(token), "data": data}))  # type: ignore[typeddict-item]
        except Exception:  # noqa: BLE001 - a token that does not answer is shown in raw units
            return None


def _symbol(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        (text,) = abi_decode(["string"], raw)
    except Exception:  # noqa: BLE001 - some tokens return bytes32, others garbage
        text = raw[:32].rstrip(b"\x00").decode("utf-8", "replace") if len(raw) == 32 else ""
    text = str(text).strip()
    return text if text and text.isprintable() and len(text) <= 32 else None


# ---------------------------------------------------------------- signatures as typed


def spec_signature(spec: str) -> str | None:
    """The function signature in an ``--allow TARGET[:SIG[:CONDITIONS]]`` spec, if it names one
    (as ``apply_allow_spec`` splits it)."""
    _, _, rest = spec.partition(":")
    if "(" not in rest:
        return None
    start = rest.index("(")
    return rest[: matching(rest[start:]) + start + 1].strip()


def signatures_for(grant: Grant, typed: Sequence[str | None]) -> list[str | None]:
    """Per permission of `grant`, a typed signature whose selector it is (else a known one, else None)."""
    parsed = []
    for text in typed:
        if text is None:
            continue
        try:
            parsed.append((FunctionSignature.parse(text).selector, text))
        except InvalidInput:
            continue
    out: list[str | None] = []
    for permission in grant.permissions:
        match = next((text for selector, text in parsed if selector == permission.selector), None)
        out.append(match or KNOWN_SIGNATURES.get(bytes(permission.selector)))
    return out


def save_grant(path: str, signed: SignedGrant | MultiChainGrant, signatures: Sequence[str | None]) -> None:
    """Write `signed` (a grant, or a multi-chain grant) as the SDK's JSON plus the typed ``signatures``."""
    data = json.loads(signed.to_json())
    data["signatures"] = list(signatures)
    Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def load_grant_file(path: str) -> tuple[SignedGrant | MultiChainGrant, list[str | None]]:
    """A grant file, whichever kind: a grant of one chain or a multi-chain grant, and its typed
    signatures (known ones where the file has none; of the first entry's permissions for a
    multi-chain grant: :func:`load_grant` gives each entry's)."""
    signed, names = _read_grant_file(path)
    grant = signed.entries[0].grant if isinstance(signed, MultiChainGrant) else signed.grant
    return signed, signatures_for(grant, names)


def _read_grant_file(path: str) -> tuple[SignedGrant | MultiChainGrant, list[str | None]]:
    text = read_text(path, "grant file")
    try:
        extra = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"grant file {path} is not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise InvalidInput(f"grant file {path} is not a signed Charter grant (a JSON object)")
    kind: type[SignedGrant] | type[MultiChainGrant] = MultiChainGrant if "entries" in extra else SignedGrant
    try:
        signed = kind.from_json(text)
    except InvalidInput as exc:
        raise InvalidInput(f"grant file {path}: {' '.join(str(exc).split())}") from None
    typed = extra.get("signatures")
    return signed, [t if isinstance(t, str) else None for t in typed] if isinstance(typed, list) else []


def load_grant(path: str, chain_id: int | None = None) -> tuple[SignedGrant, list[str | None]]:
    """A grant file: the signed grant and its typed signatures (known ones where the file has none).

    A multi-chain grant's file gives its entry for `chain_id` (the chain the grant is used
    on); without a chain, or for a chain it has no entry for, it is refused, saying so."""
    signed, names = _read_grant_file(path)
    if isinstance(signed, MultiChainGrant):
        if chain_id is None:
            raise InvalidInput(
                f"grant file {path} is a multi-chain grant (chains {', '.join(map(str, signed.chain_ids))}): "
                "name the chain whose entry to use"
            )
        try:
            signed = signed.entry(chain_id)
        except InvalidInput as exc:
            raise InvalidInput(f"grant file {path}: {exc}") from None
    return signed, signatures_for(signed.grant, names)


def read_text(path: str, what: str) -> str:
    """The text of `path`, or one clear error naming `what` it should be."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what} {path} does not exist") from None
    except IsADirectoryError:
        raise InvalidInput(f"{what} {path} is a directory, not a JSON file") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{what} {path} is not a text (JSON) file") from None


# ---------------------------------------------------------------- the summary


def _parameter(sig: FunctionSignature | None, word: int) -> tuple[int | None, str | None, str | None]:
    """(position, name, abi type) of the static argument at head word `word`."""
    if sig is None:
        return None, None, None
    for position, abi_type in enumerate(sig.types):
        if sig.word_index(position) == word and not is_dynamic(abi_type) and not abi_type.startswith("("):
            return position, sig.names[position], abi_type
    return None, None, None


def _value(abi_type: str | None, raw: int) -> Any:
    if abi_type == "address" or (abi_type is None and 2**100 <= raw < 2**160):
        return Web3.to_checksum_address(f"0x{raw:040x}")
    if abi_type == "bool":
        return bool(raw)
    if abi_type is not None and abi_type.startswith("int") and raw >= 2**255:
        return raw - 2**256
    return raw


def _conditions(
    permission: Permission, conditions: list[Condition], sig: FunctionSignature | None, tokens: Tokens,
    show: Name = _as_is,
) -> tuple[list[dict[str, Any]], list[str]]:
    amount_at = AMOUNT_POSITION.get(bytes(permission.selector))
    rows: list[dict[str, Any]] = []
    words: dict[int, list[str]] = {}
    phrases: list[tuple[int, str, str]] = []
    for c in conditions:
        position, name, abi_type = _parameter(sig, c.index)
        value = _value(abi_type, c.value)
        row: dict[str, Any] = {
            "parameter": name, "position": position, "word": c.index, "op": c.op, "value": value,
        }
        shown = str(value) if not isinstance(value, int) or isinstance(value, bool) else f"{value:,}"
        if isinstance(value, str) and value.startswith("0x"):
            shown = show(value)
        if amount_at is not None and position == amount_at:
            info = tokens(permission.target)
            row["amount"] = info.amount(c.value)
            shown = info.display(c.value)
        rows.append(row)
        label = name or (f"argument {position}" if position is not None else f"argument word {c.index}")
        if c.op == Op.ONE_OF:
            words.setdefault(c.index, []).append(shown)
            if len(words[c.index]) == 1:
                phrases.append((c.index, label, ""))
        else:
            phrases.append((-1, label, f"{label} {_OPS[c.op]} {shown}"))
    text = [
        phrase if word < 0 else f"{label} one of {{{', '.join(words[word])}}}"
        for word, label, phrase in phrases
    ]
    return rows, text


def _pretty(signature: str) -> str:
    sig = FunctionSignature.parse(signature)
    return f"{sig.name}(" + ", ".join(f"{t} {n}" if n else t for t, n in zip(sig.types, sig.names, strict=True)) + ")"


def unbounded_reasons(grant: Grant, name: Name = _as_is) -> list[str]:
    """Why `grant` is unbounded: a token function allowed on a token with no budget, and no call limit."""
    if grant.max_calls:
        return []
    reasons = []
    for p in grant.permissions:
        function = TOKEN_SELECTORS.get(bytes(p.selector))
        if function is not None and grant.budget_of(p.target) is None:
            reasons.append(
                f"{function.split('(')[0]} on {name(p.target)} with no token budget for it and no call limit"
            )
    return reasons


@dataclass(frozen=True)
class GrantWords:
    """A grant in the principal's words, part by part (:func:`grant_words`)."""

    permissions: list[str]
    """One line per permission: what it may call or send to, its conditions, its value per call."""
    budgets: list[str]
    """One line per token budget or guard, then the native budget (if any)."""
    limits: list[str]
    """The call limit and the minimum interval between calls (if any)."""
    window: str
    """``valid <from> .. <until>``."""
    unbounded: list[str] = field(default_factory=list)
    """:func:`unbounded_reasons`."""
    permission_rows: list[dict[str, Any]] = field(default_factory=list)
    """Per permission, for machines: target, selector, function, max_value, conditions."""
    budget_rows: list[dict[str, Any]] = field(default_factory=list)
    """Per token budget, for machines: token, cap (with its decimal reading), period, guarded."""

    @property
    def lines(self) -> list[str]:
        """Every part in order, as :func:`grant_summary` lists them."""
        return [*self.permissions, *self.budgets, *self.limits, self.window,
                *(f"UNBOUNDED: {reason}" for reason in self.unbounded)]


def grant_words(
    g: Grant, signatures: Sequence[str | None], tokens: Tokens, *, name: Name = _as_is,
    native: TokenInfo | None = None,
) -> GrantWords:
    """`g` in words: its permissions (with the typed `signatures`' parameter names), budgets (token
    amounts with decimals from `tokens`; native amounts in `native`'s unit when given, else wei),
    limits and window. `name` shows an address (a target, a token, a condition's value)."""

    def wei(amount: int) -> str:
        return native.display(amount) if native is not None else f"{amount:,} wei"

    permissions, budget_rows, lines = [], [], []
    for i, p in enumerate(g.permissions):
        signature = signatures[i] if i < len(signatures) else None
        sig = FunctionSignature.parse(signature) if signature else None
        rows, phrases = _conditions(p, [c for c in g.conditions if c.permission == i], sig, tokens, name)
        permissions.append({
            "target": p.target, "selector": p.selector, "function": signature, "max_value": p.max_value,
            "conditions": rows,
        })
        value = f", up to {wei(p.max_value)} per call" if p.max_value else ""
        where = f" where {' and '.join(phrases)}" if phrases else ""
        if bytes(p.selector) == b"\x00" * 4:
            lines.append(f"send ETH to {name(p.target)}{value}{where}")
        else:
            function = _pretty(signature) if signature else "0x" + bytes(p.selector).hex()
            lines.append(f"call {function} on {name(p.target)}{value}{where}")
    budgets = []
    for b in g.token_budgets:
        info = tokens(b.token)
        budget_rows.append({"token": b.token, "cap": info.amount(b.cap), "period": b.period, "guarded": b.guarded})
        if b.guarded:
            budgets.append(f"token {name(b.token)} {GUARDED}")
            continue
        per = f" every {_duration(b.period)}" if b.period else " in total"
        budgets.append(f"move at most {info.display(b.cap)} of token {name(b.token)}{per}")
    if g.native_budget:
        budgets.append(f"send at most {wei(g.native_budget)} in total")
    limits = []
    if g.max_calls:
        limits.append(f"at most {g.max_calls:,} calls")
    if g.min_interval:
        limits.append(f"at least {_duration(g.min_interval)} between calls")
    return GrantWords(
        permissions=lines, budgets=budgets, limits=limits,
        window=f"valid {format_time(g.valid_after)} .. {format_time(g.valid_until)}",
        unbounded=unbounded_reasons(g, name), permission_rows=permissions, budget_rows=budget_rows,
    )


def grant_summary(
    signed: SignedGrant, signatures: Sequence[str | None], tokens: TokenLookup
) -> tuple[dict[str, Any], list[str]]:
    """The grant for machines (JSON) and for humans (lines): what it allows, in the principal's words."""
    g = signed.grant
    words = grant_words(g, signatures, tokens)
    data = {
        "grant_hash": signed.hash, "chain_id": signed.chain_id, "manager": signed.manager,
        "account": g.account, "agent_id": g.agent_id, "session_key": g.session_key,
        "valid_after": g.valid_after, "valid_until": g.valid_until, "epoch": g.epoch,
        "max_calls": g.max_calls, "min_interval": g.min_interval, "native_budget": g.native_budget,
        "permissions": words.permission_rows, "token_budgets": words.budget_rows, "unbounded": words.unbounded,
        "off_chain_signature": bool(signed.signature),
    }
    header = f"grant 0x{signed.hash.hex()} for agent {g.agent_id}, session key {g.session_key}, account {g.account}"
    return data, [header, *(f"  - {line}" for line in words.lines)]
