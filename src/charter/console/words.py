"""A grant in the principal's words, and what it could still move (value at risk).

Everything here is pure (no node): the console's index (:mod:`charter.console.index`) computes
these once per refresh and stores them, the approval page calls them for a grant not signed yet.

    names = Names(book={"0xB0b…": "Bob"}, contracts={registry: "AgentRegistry"}, tokens=lookup)
    words = describe(grant, tokens=lookup, names=names)        # scope, budgets, limits, unbounded
    window_words(grant.valid_after, grant.valid_until, now)    # "until 2026-12-07 14:00 UTC, 3 h 12 min left"
    budget_rows(grant, state, tokens=lookup)                   # per budget: cap / spent / left and period
    warnings(grant, standing=found, names=names)               # what the approval page points out
    value_at_risk(grant, state, balances)                      # per token: what the grant could still move
    add_up(risks, balances)                                    # per token, never more than the account holds

The words themselves come from :func:`charter.sessions.describe.grant_words` (the CLI's and
``charter mcp``'s wording), given a :class:`Names` to show addresses and the native coin's unit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict
from web3 import Web3

from ..sessions.allowances import Standing, standing_allowances
from ..sessions.describe import (
    AMOUNT_POSITION,
    GrantWords,
    TokenInfo,
    TokenLookup,
    Tokens,
    grant_words,
    signatures_for,
)
from ..sessions.models import TOKEN_SELECTORS, Grant, GrantState, GrantStatus, Op, _duration

NATIVE = "0x0000000000000000000000000000000000000000"
"""The native coin's key in balances and risks (the zero address, as in intents' inputs)."""
ETH = TokenInfo(18, "ETH")
"""How native amounts read (18 decimals)."""
LONG_WINDOW = 7 * 86_400
"""A window longer than this is pointed out (:func:`warnings`)."""

AT_RISK = (GrantStatus.PENDING, GrantStatus.ACTIVE, GrantStatus.NOT_YET_VALID)
"""The statuses under which a grant can still move something. The others are final (revoked,
revoked by revoke-all, expired, calls used up, agent changed hands) or hold while its agent is
paused (agent not active): nothing can move now."""

def _unknown(token: str) -> TokenInfo:
    return TokenInfo()


# ---------------------------------------------------------------- names


def short_address(address: str) -> str:
    """``0x1234…abcd``."""
    return f"{address[:6]}…{address[-4:]}"


class Names:
    """Names for addresses: the principal's address book first, then the suite's contracts,
    then tokens by symbol. Calling it gives ``Bob (0x1234…abcd)`` for a known address and the
    checksummed address itself for any other."""

    def __init__(
        self, book: Mapping[str, str] | None = None, contracts: Mapping[str, str] | None = None,
        tokens: Tokens | None = None,
    ) -> None:
        self.book = {Web3.to_checksum_address(a): n for a, n in (book or {}).items()}
        self.contracts = {Web3.to_checksum_address(a): n for a, n in (contracts or {}).items()}
        self.tokens = tokens
        self._known: dict[str, str | None] = {}

    def label(self, address: str) -> str | None:
        """The name of `address`, or None when it has none (looked up once per address)."""
        if address in self._known:
            return self._known[address]
        try:
            checked = Web3.to_checksum_address(address)
        except ValueError:
            return None
        name = self.book.get(checked) or self.contracts.get(checked)
        if name is None and self.tokens is not None:
            name = self.tokens(checked).symbol
        self._known[address] = name
        return name

    def __call__(self, address: str) -> str:
        name = self.label(address)
        return f"{name} ({short_address(address)})" if name else address


# ---------------------------------------------------------------- time


def agent_words(agent_id: int) -> str:
    """``agent 7``; an id too long to read (an agent represented from another chain) as ``agent 0xb5b3…6f12``."""
    if agent_id < 2**64:
        return f"agent {agent_id}"
    text = f"{agent_id:x}"
    return f"agent 0x{text[:4]}…{text[-4:]}"


def span(seconds: int) -> str:
    """A duration for people: ``2 d 4 h``, ``3 h 12 min``, ``5 min``, ``40 s``."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def minute(timestamp: int) -> str:
    """A unix time to the minute: ``2026-12-07 14:00 UTC``."""
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(timestamp)))
    except (OverflowError, OSError, ValueError):
        return str(timestamp)


def window_words(valid_after: int, valid_until: int, now: int) -> str:
    """Where `now` stands in the window: ``until 2026-12-07 14:00 UTC, 3 h 12 min left``,
    ``expired 5 min ago`` or ``starts 2026-12-07 14:00 UTC (in 2 h), until …``."""
    if now > valid_until:
        return f"expired {span(now - valid_until)} ago ({minute(valid_until)})"
    until = f"until {minute(valid_until)}"
    if now < valid_after:
        return f"starts {minute(valid_after)} (in {span(valid_after - now)}), {until}"
    return f"{until}, {span(valid_until - now)} left"


def ago(timestamp: int | None, now: int) -> str:
    """``5 min ago`` (``never`` for None)."""
    if not timestamp:
        return "never"
    if now < timestamp:
        return f"at {minute(timestamp)}"
    return "just now" if now - timestamp < 5 else f"{span(now - timestamp)} ago"


# ---------------------------------------------------------------- the grant in words


def describe(
    grant: Grant, *, tokens: Tokens | None = None, names: Callable[[str], str] | None = None,
    signatures: Sequence[str | None] = (), native: TokenInfo = ETH,
) -> GrantWords:
    """`grant` in words (:func:`charter.sessions.describe.grant_words`): permissions with their
    conditions (every operator; the alternatives of one argument merged into ``one of {…}``),
    token budgets with decimals and symbol (guards, per-period budgets), the native budget in
    `native`'s unit, the call limit and the minimum interval; addresses shown by `names`.
    `signatures` (typed function signatures, per permission) name parameters; the token
    functions are known without them."""
    lookup = tokens or _unknown
    typed = signatures_for(grant, signatures)
    return grant_words(grant, typed, lookup, name=names or (lambda a: a), native=native)


class BudgetRow(BaseModel):
    """One budget of a grant and how much of it is used: the native budget, a token budget (or
    guard), or the call limit."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["native", "token", "calls"]
    token: str | None = None
    """The token (:data:`NATIVE` for the native budget; None for calls)."""
    symbol: str | None = None
    decimals: int | None = None
    cap: int
    spent: int
    """Used: in the current period for a periodic token budget."""
    left: int
    period: int = 0
    """Seconds between refills (0: over the whole grant)."""
    guarded: bool = False
    text: str
    """``USDC (0x1234…abcd): 30 USDC spent of 100 USDC every 1 day, 70 USDC left``."""

    def __str__(self) -> str:
        return self.text


def budget_rows(
    grant: Grant, state: GrantState | None, *, tokens: Tokens | None = None,
    names: Callable[[str], str] | None = None, native: TokenInfo = ETH,
) -> list[BudgetRow]:
    """Every budget of `grant` with what is spent and left per `state` (read from the chain;
    None: nothing used yet): each token budget or guard, the native budget, the call limit."""
    lookup = tokens or _unknown
    name = names or (lambda a: a)
    rows = []
    lefts = {t.token: t.left for t in state.tokens} if state is not None else {}
    for b in grant.token_budgets:
        info = lookup(b.token)
        if b.guarded:
            rows.append(BudgetRow(kind="token", token=b.token, symbol=info.symbol, decimals=info.decimals, cap=0,
                                  spent=0, left=0, guarded=True, text=f"{name(b.token)}: guarded, may not leave"))
            continue
        left = lefts.get(b.token, b.cap)
        per = f"every {_duration(b.period)}" if b.period else "in total"
        text = (f"{name(b.token)}: {info.short(b.cap - left)} spent of {info.short(b.cap)} {per}, "
                f"{info.short(left)} left")
        rows.append(BudgetRow(kind="token", token=b.token, symbol=info.symbol, decimals=info.decimals, cap=b.cap,
                              spent=b.cap - left, left=left, period=b.period, text=text))
    if grant.native_budget:
        spent = state.native_spent if state is not None else 0
        left = state.native_left if state is not None else grant.native_budget
        rows.append(BudgetRow(
            kind="native", token=NATIVE, symbol=native.symbol, decimals=native.decimals, cap=grant.native_budget,
            spent=spent, left=left,
            text=f"{native.symbol}: {native.short(spent)} spent of {native.short(grant.native_budget)} in total, "
                 f"{native.short(left)} left"))
    if grant.max_calls:
        used = state.calls_used if state is not None else 0
        left = state.calls_left if state is not None and state.calls_left is not None else grant.max_calls - used
        rows.append(BudgetRow(kind="calls", cap=grant.max_calls, spent=used, left=left,
                              text=f"calls: {used:,} made of {grant.max_calls:,}, {left:,} left"))
    return rows


# ---------------------------------------------------------------- warnings


class GrantWarning(BaseModel):
    """Something the principal should see before approving a grant (or while it is in force)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["unbounded", "long window", "standing allowance", "moves value"]
    text: str

    def __str__(self) -> str:
        return self.text


def warnings(
    grant: Grant, *, standing: Sequence[Standing] = (), names: Callable[[str], str] | None = None,
    tokens: Tokens | None = None, native: TokenInfo = ETH, long_window: int = LONG_WINDOW,
) -> list[GrantWarning]:
    """What to point out about `grant`: unbounded budgets (a token function allowed on a token
    with no budget and no call limit), a window longer than `long_window` (7 days), the standing
    allowances `standing` found from the account to an allowed target over a token the grant
    neither budgets nor guards (:func:`charter.sessions.allowances.standing_allowances`), and
    every permission that can move value (native value per call, the token functions)."""
    lookup = tokens or _unknown
    name = names or (lambda a: a)
    out = [
        GrantWarning(kind="unbounded", text=f"unbounded: {reason}: the agent could move the whole balance")
        for reason in describe(grant, tokens=lookup, names=name, native=native).unbounded
    ]
    length = grant.valid_until - grant.valid_after
    if length > long_window:
        out.append(GrantWarning(kind="long window", text=(
            f"long window: valid for {span(length)} (more than {span(long_window)}); a shorter grant renewed when "
            "needed limits what a leaked session key can do")))
    for s in standing:
        out.append(GrantWarning(kind="standing allowance", text=(
            f"standing allowance: {s.describe().replace(s.token, name(s.token)).replace(s.spender, name(s.spender))}"
            f", an allowed target of this grant: a session call could have it pull {name(s.token)} past the "
            f"session's caps; revoke it (`{s.revoke}`) or budget or guard the token")))
    for p in grant.permissions:
        if p.max_value:
            out.append(GrantWarning(kind="moves value", text=(
                f"moves value: may send up to {native.short(p.max_value)} per call to {name(p.target)} (native "
                f"budget: {native.short(grant.native_budget)} in total)")))
        function = TOKEN_SELECTORS.get(bytes(p.selector))
        if function is None:
            continue
        verb = function.split("(")[0]
        budget = grant.budget_of(p.target)
        info = lookup(p.target)
        if budget is None:
            bound = "no budget"
        elif budget.guarded:
            bound = "guarded: refused"
        else:
            bound = f"budget {info.short(budget.cap)} " + (f"every {_duration(budget.period)}" if budget.period
                                                          else "in total")
        what = ("lets a spender pull tokens later, outside the session" if verb in ("approve", "increaseAllowance")
                else "moves tokens out of the account")
        out.append(GrantWarning(kind="moves value", text=f"moves value: {verb} on {name(p.target)} {what} ({bound})"))
    return out


def request_warnings(grant: Grant, w3: Web3 | None, book: Mapping[str, str] | None = None) -> list[str]:
    """:func:`warnings` for a grant about to be approved, as lines: with `w3` (the grant's chain)
    token symbols and decimals are read and the standing allowances looked for; without it (or
    when the chain does not answer) the rest is said all the same."""
    lookup = TokenLookup(w3)
    found: list[Standing] = []
    if w3 is not None:
        try:
            found = standing_allowances(w3, grant, now=int(w3.eth.get_block("latest")["timestamp"]))
        except Exception:  # noqa: BLE001 - the words do not depend on the chain answering
            found = []
    names = Names(book=book, tokens=lookup)
    return [w.text for w in warnings(grant, standing=found, names=names, tokens=lookup)]


# ---------------------------------------------------------------- value at risk


class Risk(BaseModel):
    """What a grant (or a set of grants: :func:`add_up`) could still move of one token, now."""

    model_config = ConfigDict(frozen=True)

    chain_id: int = 0
    token: str
    """The token, :data:`NATIVE` for the native coin."""
    symbol: str | None = None
    decimals: int | None = None
    amount: int
    """Raw units."""
    held: int
    """What the account holds of it (the ceiling)."""
    unbounded: bool = False
    """Only the balance bounds it: a token function with no budget and no call limit."""
    reason: str
    text: str
    """``70 USDC``: the amount as people read it."""

    @property
    def native(self) -> bool:
        return self.token == NATIVE

    def __str__(self) -> str:
        return f"{self.text} ({self.reason})"


def _per_call_amount(grant: Grant, permission_index: int) -> int | None:
    """The most one call of token function permission `permission_index` may move by its conditions
    on the amount argument (``==``, ``<=``, ``one of``), or None when they do not bound it."""
    p = grant.permissions[permission_index]
    word = AMOUNT_POSITION.get(bytes(p.selector))
    bounds: list[int] = []
    alternatives: list[int] = []
    for c in grant.conditions:
        if c.permission != permission_index or c.index != word:
            continue
        if c.op in (Op.EQ, Op.LE):
            bounds.append(c.value)
        elif c.op == Op.ONE_OF:
            alternatives.append(c.value)
    if alternatives:
        bounds.append(max(alternatives))
    return min(bounds) if bounds else None


def value_at_risk(
    grant: Grant, state: GrantState | None, balances: Mapping[str, int], *, standing: Sequence[Standing] = (),
    tokens: Tokens | None = None, native: TokenInfo = ETH, chain_id: int = 0,
) -> list[Risk]:
    """What `grant` could still move now, per token (only tokens with something at risk):

    - a budgeted token: the smaller of what is left of its budget (this period) and what the
      account holds (`balances`); a guarded token (cap 0): nothing;
    - a token the grant may move through an allowed token function (transfer, transferFrom,
      approve, increaseAllowance) with no budget for it: the whole balance, or with a call limit
      and an amount condition, at most the calls left times the most one call may move;
    - a token an allowed target holds a standing allowance over (`standing`) and the grant does
      not budget: up to that allowance;
    - native: the smaller of the native budget left, the largest value per call times the calls
      left (when they are limited) and the balance; nothing when no permission sends value.

    A grant whose `state` is not one of :data:`AT_RISK` (revoked, expired, calls used up, agent
    changed hands or not active) or has a `problem` (a use would be refused) moves nothing. `state`
    None: never used (every cap whole). `balances` maps token address (and :data:`NATIVE`) to what
    the account holds; a token missing counts as nothing held.
    """
    if state is not None and (state.status not in AT_RISK or state.problem is not None):
        return []
    calls_left = grant.max_calls if state is None else state.calls_left
    if grant.max_calls and calls_left is None:
        calls_left = grant.max_calls
    if calls_left == 0 and grant.max_calls:
        return []
    lookup = tokens or _unknown
    out: list[Risk] = []

    def risk(token: str, amount: int, held: int, reason: str, info: TokenInfo, unbounded: bool = False) -> None:
        if amount > 0:
            out.append(Risk(chain_id=chain_id, token=token, symbol=info.symbol, decimals=info.decimals, amount=amount,
                            held=held, unbounded=unbounded, reason=reason, text=info.short(amount)))

    limited = grant.max_calls != 0
    per_call_value = max((p.max_value for p in grant.permissions), default=0)
    if grant.native_budget and per_call_value:
        held = balances.get(NATIVE, 0)
        left = state.native_left if state is not None else grant.native_budget
        bounds = [(left, "what is left of its native budget"), (held, "what the account holds")]
        if limited:
            bounds.append((per_call_value * (calls_left or 0), f"{calls_left:,} calls left at most "
                           f"{native.short(per_call_value)} each"))
        amount, why = min(bounds, key=lambda b: b[0])
        risk(NATIVE, amount, held, why, native)
    budgeted = {b.token for b in grant.token_budgets}
    lefts = {t.token: t.left for t in state.tokens} if state is not None else {}
    for b in grant.token_budgets:
        if b.guarded:
            continue
        held = balances.get(b.token, 0)
        left = lefts.get(b.token, b.cap)
        per = f", refilled every {_duration(b.period)}" if b.period else ""
        why = f"what is left of its budget{per}" if left <= held else "all the account holds, less than the budget left"
        risk(b.token, min(left, held), held, why, lookup(b.token))
    movable: dict[str, list[int | None]] = {}
    for i, p in enumerate(grant.permissions):
        if TOKEN_SELECTORS.get(bytes(p.selector)) is not None and p.target not in budgeted:
            movable.setdefault(p.target, []).append(_per_call_amount(grant, i))
    for token, per_call in movable.items():
        held = balances.get(token, 0)
        if not limited or any(v is None for v in per_call):
            limit = "no call limit" if not limited else "no amount condition"
            risk(token, held, held, f"the whole balance: a token function with no budget and {limit}", lookup(token),
                 unbounded=not limited)
            continue
        each = max(v for v in per_call if v is not None)
        most = each * (calls_left or 0)
        why = f"{calls_left:,} calls left at most {lookup(token).short(each)} each" if most < held else \
            "what the account holds"
        risk(token, min(most, held), held, why, lookup(token))
    pulls: dict[str, int] = {}
    for s in standing:
        if s.token not in budgeted and s.token not in movable:
            pulls[s.token] = pulls.get(s.token, 0) + s.amount
    for token, allowed in pulls.items():
        held = balances.get(token, 0)
        risk(token, min(allowed, held), held, "a standing allowance to an allowed target", lookup(token),
             unbounded=allowed >= held)
    return out


def add_up(risks: Iterable[Risk], balances: Mapping[tuple[int, str], int] | None = None) -> list[Risk]:
    """The sum of `risks` per (chain, token), never more than the account holds: `balances` by
    (chain id, token), else each risk's own `held`. For one account's grants (several grants may
    each reach the same balance, which can leave only once)."""
    totals: dict[tuple[int, str], Risk] = {}
    for r in risks:
        key = (r.chain_id, r.token)
        held = balances.get(key, r.held) if balances is not None else r.held
        before = totals.get(key)
        amount = min(held, r.amount + (before.amount if before is not None else 0))
        unbounded = r.unbounded or (before is not None and before.unbounded)
        info = TokenInfo(r.decimals, r.symbol)
        reason = "the account's whole balance" if amount >= held else "the sum of its grants"
        totals[key] = r.model_copy(update={"amount": amount, "held": held, "unbounded": unbounded,
                                           "reason": reason, "text": info.short(amount)})
    return list(totals.values())


def combine(totals: Iterable[Risk]) -> list[Risk]:
    """The sum per (chain, token) of totals of different accounts (each already capped by its own
    balance): what an agent could move across the accounts it acts for."""
    out: dict[tuple[int, str], Risk] = {}
    for r in totals:
        key = (r.chain_id, r.token)
        before = out.get(key)
        if before is None:
            out[key] = r
            continue
        amount = before.amount + r.amount
        out[key] = before.model_copy(update={
            "amount": amount, "held": before.held + r.held, "unbounded": before.unbounded or r.unbounded,
            "reason": "across its accounts", "text": TokenInfo(r.decimals, r.symbol).short(amount)})
    return list(out.values())


__all__ = [
    "AT_RISK",
    "ETH",
    "LONG_WINDOW",
    "NATIVE",
    "BudgetRow",
    "GrantWarning",
    "Names",
    "Risk",
    "add_up",
    "ago",
    "budget_rows",
    "combine",
    "describe",
    "minute",
    "request_warnings",
    "short_address",
    "span",
    "value_at_risk",
    "warnings",
    "window_words",
]
