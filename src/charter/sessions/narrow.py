"""Whether one grant is within another: what a principal may give instead of what was asked.

    narrower(requested, given)   None when `given` allows nothing `requested` does not, else why not

A principal answering a grant request may edit it down before signing or issuing it: lower caps,
a lower native budget or value per call, fewer calls, a shorter window, fewer permissions, more
conditions. The requester then takes the grant given only if it is *within* the grant requested,
judged here field by field as the SessionManager enforces them (pure: no node is needed):

- the same account, agent (and generation), session key, epoch and salt;
- a window inside the requested one (token budgets with a period keep their period boundaries:
  ``valid_after`` moves only by whole periods);
- at most as many calls (0 is no limit), at least the same interval between calls, at most the
  native budget;
- every token budget (a guard too) kept, with a cap at most the requested one, over the same
  period, a multiple of it, or the whole grant; new budgets or guards only restrict;
- every permission of the given grant allowed by the requested grant for that target and
  function (the first permission for a (target, selector) is the one the manager applies), with
  at most its value per call and every one of its conditions implied by the given conditions
  (``one of`` alternatives only fewer, never more).
"""

from __future__ import annotations

from collections.abc import Callable

from .models import Condition, Grant, Op, Permission, TokenBudget

_IDENTITY: tuple[tuple[str, str], ...] = (
    ("account", "account"),
    ("agent_id", "agent"),
    ("agent_generation", "agent generation"),
    ("session_key", "session key"),
    ("epoch", "epoch"),
    ("salt", "salt"),
)


def narrower(requested: Grant, given: Grant) -> str | None:
    """None when `given` is within `requested` (allows nothing more, in any field), else the first
    reason it is not, in words (``"raises the cap of token 0x… from 300 to 500"``)."""
    for field, name in _IDENTITY:
        if getattr(given, field) != getattr(requested, field):
            return f"changes the {name} ({_value(getattr(requested, field))} -> {_value(getattr(given, field))})"
    if given.valid_after < requested.valid_after:
        return f"opens the window earlier (valid_after {requested.valid_after} -> {given.valid_after})"
    if given.valid_until > requested.valid_until:
        return f"ends the window later (valid_until {requested.valid_until} -> {given.valid_until})"
    if requested.max_calls and not 0 < given.max_calls <= requested.max_calls:
        given_calls = "no limit" if given.max_calls == 0 else f"{given.max_calls:,}"
        return f"allows more calls ({requested.max_calls:,} -> {given_calls})"
    if given.min_interval < requested.min_interval:
        return f"shortens the interval between calls ({requested.min_interval} s -> {given.min_interval} s)"
    if given.native_budget > requested.native_budget:
        return f"raises the native budget ({requested.native_budget:,} -> {given.native_budget:,} wei)"
    for budget in requested.token_budgets:
        reason = _budget_within(budget, given.budget_of(budget.token), given.valid_after - requested.valid_after)
        if reason is not None:
            return reason
    wanted = _first_permissions(requested)
    for key, (i, permission) in _first_permissions(given).items():
        reason = _permission_within(requested, wanted.get(key), given, i, permission)
        if reason is not None:
            return reason
    return None


def _budget_within(asked: TokenBudget, given: TokenBudget | None, moved: int) -> str | None:
    token = asked.token
    if given is None:
        return f"removes the {'guard' if asked.guarded else 'budget'} of token {token}"
    if given.cap > asked.cap:
        return f"raises the cap of token {token} ({asked.cap:,} -> {given.cap:,})"
    if given.period == 0:
        return None  # at most the cap over the whole grant: within a total cap or a cap per period
    if asked.period == 0:
        return f"turns the cap of token {token} over the whole grant into a cap every {given.period} s"
    if given.period % asked.period:
        return (f"changes the period of token {token}'s budget ({asked.period} s -> {given.period} s, not a "
                "multiple of it)")
    if moved % asked.period:
        return (f"moves the budget periods of token {token} (valid_after moved by {moved} s, not a whole number of "
                f"{asked.period} s periods)")
    return None


def _first_permissions(grant: Grant) -> dict[tuple[str, bytes], tuple[int, Permission]]:
    """The permission the manager applies for each (target, selector): the first one listed."""
    first: dict[tuple[str, bytes], tuple[int, Permission]] = {}
    for i, p in enumerate(grant.permissions):
        first.setdefault((p.target, bytes(p.selector)), (i, p))
    return first


def _conditions(grant: Grant, index: int) -> list[Condition]:
    return [c for c in grant.conditions if c.permission == index]


def _permission_within(requested: Grant, wanted: tuple[int, Permission] | None, given: Grant, i: int,
                       permission: Permission) -> str | None:
    what = _call_words(permission)
    if wanted is None:
        return f"adds a permission: {what}"
    j, asked = wanted
    if permission.max_value > asked.max_value:
        return f"raises the value per call of {what} ({asked.max_value:,} -> {permission.max_value:,} wei)"
    have = _conditions(given, i)
    asked_conditions = _conditions(requested, j)
    for condition in asked_conditions:
        if condition.op is Op.ONE_OF:
            continue
        if not _implied(condition, have):
            return f"drops or loosens the condition argument {condition.index} {condition.op.symbol} " \
                   f"{_value(condition.value)} of {what}"
    for index in sorted({c.index for c in asked_conditions if c.op is Op.ONE_OF}):
        allowed = {c.value for c in asked_conditions if c.op is Op.ONE_OF and c.index == index}
        if not _within_one_of(allowed, index, have):
            return f"widens or drops the alternatives of argument {index} of {what} (one of " \
                   f"{', '.join(_value(v) for v in sorted(allowed))})"
    return None  # conditions the request lacked only restrict (alternatives on its own were checked above)


def _holds(op: Op, bound: int) -> Callable[[int], bool]:
    return {
        Op.EQ: lambda v: v == bound,
        Op.NE: lambda v: v != bound,
        Op.LE: lambda v: v <= bound,
        Op.GE: lambda v: v >= bound,
    }[op]


def _implied(condition: Condition, have: list[Condition]) -> bool:
    """Whether the given conditions on the same argument force `condition` (not ``one of``) to hold."""
    holds = _holds(condition.op, condition.value)
    same = [c for c in have if c.index == condition.index]
    group = {c.value for c in same if c.op is Op.ONE_OF}
    if group and all(holds(v) for v in group):
        return True
    for c in same:
        if c.op is Op.EQ and holds(c.value):
            return True
        if c.op is condition.op and c.op is not Op.ONE_OF and (
                (c.op is Op.LE and c.value <= condition.value) or (c.op is Op.GE and c.value >= condition.value)
                or (c.op in (Op.EQ, Op.NE) and c.value == condition.value)):
            return True
        if condition.op is Op.NE and ((c.op is Op.LE and c.value < condition.value)
                                      or (c.op is Op.GE and c.value > condition.value)):
            return True
    return False


def _within_one_of(allowed: set[int], index: int, have: list[Condition]) -> bool:
    """Whether the given conditions keep argument `index` among `allowed` (the request's alternatives)."""
    same = [c for c in have if c.index == index]
    group = {c.value for c in same if c.op is Op.ONE_OF}
    if group and group <= allowed:
        return True
    return any(c.op is Op.EQ and c.value in allowed for c in same)


def _call_words(p: Permission) -> str:
    if bytes(p.selector) == b"\x00" * 4:
        return f"sending ETH to {p.target}"
    return f"calling 0x{bytes(p.selector).hex()} on {p.target}"


def _value(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, int) and not isinstance(value, bool) and 2**100 <= value < 2**160:
        return f"0x{value:040x}"
    return str(value)


__all__ = ["narrower"]
