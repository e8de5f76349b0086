"""Build a grant by saying what the session may do: rules on arguments, budgets, a window.

    grant = (
        GrantBuilder(account, agent_id, session_key)
        .allow(token, "transfer(address to, uint256 amount)", to=one_of(bob), amount=at_most(100))
        .token_budget(token, cap=100)
        .max_calls(10)
        .valid_for(hours=1)
    )

A builder is turned into a :class:`~charter.sessions.models.Grant` by
:meth:`charter.sessions.Sessions.prepare` (which reads the chain's time and
the account's epoch) or by :meth:`GrantBuilder.build`. The text specs at the
end (``--allow TARGET:SIG:CONDITIONS``) are what the CLI and the ape scripts
take. Everything here is pure: no node is needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3

from .._core.abi_types import ELEMENTARY, FunctionSignature, is_dynamic, matching
from .._core.checks import checked, parse_address, salt_bytes
from ..exceptions import InvalidInput
from .models import (
    FORBIDDEN_SELECTORS,
    MAX_CONDITIONS,
    MAX_PERMISSIONS,
    MAX_TOKENS,
    Condition,
    Grant,
    MultiChainGrant,
    Op,
    Permission,
    SignedGrant,
    TokenBudget,
)

# ---------------------------------------------------------------- execute-like selectors

_USER_OP_V06 = "(address,uint256,bytes,bytes,uint256,uint256,uint256,uint256,uint256,bytes,bytes)"
_USER_OP_V07 = "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)"

EXECUTE_LIKE_SELECTORS: dict[bytes, str] = {
    keccak(text=sig)[:4]: sig
    for sig in (
        # multicalls: OpenZeppelin / Uniswap periphery (plain, with a deadline, with a block hash)
        "multicall(bytes[])",
        "multicall(uint256,bytes[])",
        "multicall(bytes32,bytes[])",
        "multicall((address,uint256,bytes)[])",
        # Multicall / Multicall2 / Multicall3
        "aggregate((address,bytes)[])",
        "aggregate3((address,bool,bytes)[])",
        "aggregate3Value((address,bool,uint256,bytes)[])",
        "tryAggregate(bool,(address,bytes)[])",
        "tryBlockAndAggregate(bool,(address,bytes)[])",
        "blockAndAggregate((address,bytes)[])",
        # smart accounts: ERC-4337 samples, Kernel, Coinbase, Biconomy, ERC-6551, ERC-725X, ERC-6900, DSProxy
        "execute(address,uint256,bytes)",
        "executeBatch(address[],bytes[])",
        "executeBatch(address[],uint256[],bytes[])",
        "executeBatch((address,uint256,bytes)[])",
        "executeCall(address,uint256,bytes)",
        "execute(address,uint256,bytes,uint8)",
        "execute(uint256,address,uint256,bytes)",
        "executeBatch(uint256[],address[],uint256[],bytes[])",
        "execute(bytes32,bytes)",
        "executeFromExecutor(bytes32,bytes)",
        "executeWithoutChainIdValidation(bytes[])",
        "executeWithRuntimeValidation(bytes,bytes)",
        "execute(address,bytes)",
        "execute(bytes,bytes)",
        "executeFromManager(address,uint256,bytes)",
        "executeBatchFromManager((address,uint256,bytes)[])",
        # Uniswap Universal Router
        "execute(bytes,bytes[],uint256)",
        "execute(bytes,bytes[])",
        # ERC-4337 entry points (v0.6 and v0.7)
        f"handleOps({_USER_OP_V06}[],address)",
        f"handleOps({_USER_OP_V07}[],address)",
        f"handleAggregatedOps(({_USER_OP_V06}[],address,bytes)[],address)",
        f"handleAggregatedOps(({_USER_OP_V07}[],address,bytes)[],address)",
        f"executeUserOp({_USER_OP_V07},bytes32)",
        "delegateAndRevert(address,bytes)",
        # delegatecalls and contract creation on the caller's behalf
        "delegatecall(address,bytes)",
        "delegateCall(address,bytes)",
        "simulateAndRevert(address,bytes)",
        "performCreate(uint256,bytes)",
        "performCreate2(uint256,bytes,bytes32)",
        # Safe: MultiSend, transactions, modules, Zodiac roles
        "multiSend(bytes)",
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        "execTransactionFromModule(address,uint256,bytes,uint8)",
        "execTransactionFromModuleReturnData(address,uint256,bytes,uint8)",
        "execTransactionWithRole(address,uint256,bytes,uint8,bytes32,bool)",
        # MetaMask delegation framework
        "redeemDelegations(bytes[],bytes32[],bytes[])",
    )
}
"""Known functions of the common account, multicall and router standards that make
arbitrary calls for their caller. The manager refuses only :data:`FORBIDDEN_SELECTORS`
(which these include); the builder and the CLI refuse these too unless forced
(``allow_execute_like=True``, ``--force-execute-like``): a permission on one of them
hands the session whatever that contract will do for the account."""


def ensure_grant(obj: Any) -> Grant:
    """`obj` if it is a :class:`Grant`, else InvalidInput (saying what to do with a builder)."""
    if isinstance(obj, Grant):
        return obj
    if isinstance(obj, SignedGrant):
        raise InvalidInput(
            "got a SignedGrant where an unsigned Grant is expected: it is signed already (its .grant is the Grant)"
        )
    if isinstance(obj, GrantBuilder):
        raise InvalidInput(
            "got a GrantBuilder where a Grant is expected: call sessions.prepare(builder) first "
            "(it reads the chain's time and the account's epoch)"
        )
    raise InvalidInput(f"expected a Grant, got {type(obj).__name__}")


def ensure_signed_grant(obj: Any, chain_id: int | None = None) -> SignedGrant:
    """`obj` if it is a :class:`SignedGrant`, else InvalidInput (saying what to do with a builder or a Grant).

    A :class:`MultiChainGrant` gives its entry for `chain_id` (the chain it is used on);
    without a chain it is refused (which entry is meant cannot be told)."""
    if isinstance(obj, SignedGrant):
        return obj
    if isinstance(obj, MultiChainGrant):
        if chain_id is None:
            raise InvalidInput(
                f"got a multi-chain grant (chains {', '.join(map(str, obj.chain_ids))}) where one chain's grant is "
                "expected: name the chain (multi.entry(chain_id), or ensure_signed_grant(multi, chain_id))"
            )
        return obj.entry(chain_id)
    if isinstance(obj, GrantBuilder):
        raise InvalidInput(
            "got a GrantBuilder where a signed grant is expected: call sessions.prepare(builder) "
            "first, then sessions.sign(grant) or sessions.issue(grant)"
        )
    if isinstance(obj, Grant):
        raise InvalidInput(
            "got an unsigned Grant where a signed grant is expected: sign it (sessions.sign) or "
            "issue it (sessions.issue) first"
        )
    raise InvalidInput(f"expected a SignedGrant, got {type(obj).__name__}")


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True)
class Rule:
    """Conditions on one argument: every (op, value) must hold, except that
    ONE_OF pairs are alternatives of one another."""

    checks: tuple[tuple[Op, Any], ...]

    def __and__(self, other: Rule) -> Rule:
        return Rule(self.checks + other.checks)


def equals(value: Any) -> Rule:
    """The argument must equal `value`."""
    return Rule(((Op.EQ, value),))


def not_equal(value: Any) -> Rule:
    """The argument must differ from `value`."""
    return Rule(((Op.NE, value),))


def at_most(value: Any) -> Rule:
    """The argument must be ≤ `value` (unsigned)."""
    return Rule(((Op.LE, value),))


def at_least(value: Any) -> Rule:
    """The argument must be ≥ `value` (unsigned)."""
    return Rule(((Op.GE, value),))


def between(low: Any, high: Any) -> Rule:
    """``low ≤ argument ≤ high`` (unsigned)."""
    return Rule(((Op.GE, low), (Op.LE, high)))


def one_of(*values: Any) -> Rule:
    """The argument must be one of `values` (a single value is the same as :func:`equals`)."""
    flat: list[Any] = []
    for v in values:
        if isinstance(v, list | tuple | set | frozenset):
            flat.extend(v)
        else:
            flat.append(v)
    if not flat:
        raise InvalidInput("one_of needs at least one value")
    if len(flat) == 1:
        return equals(flat[0])
    return Rule(tuple((Op.ONE_OF, v) for v in flat))


def _narrow_bits(abi_type: str | None) -> int | None:
    """Bits of an unsigned argument narrower than a word (address, bool, uintN < 256)."""
    if abi_type == "address":
        return 160
    if abi_type == "bool":
        return 1
    if abi_type is not None and abi_type.startswith("uint") and abi_type != "uint256":
        return int(abi_type[4:])
    return None


def _word(abi_type: str | None, value: Any, op: Op, what: str) -> int:
    """`value` as the 32-byte word an argument of `abi_type` holds."""
    try:
        if abi_type == "address" or (abi_type is None and isinstance(value, str) and Web3.is_address(value)):
            return int(parse_address(value), 16)
        if abi_type is not None and abi_type.startswith("int"):
            bits = int(abi_type[3:] or 256)
            if op in (Op.LE, Op.GE):
                raise InvalidInput(
                    f"{what} is a signed {abi_type}: the manager compares words unsigned, so "
                    "only equals / not_equal / one_of can be used on it"
                )
            if not isinstance(value, int) or not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
                raise InvalidInput(f"{what} must be an {abi_type}, got {value!r}")
            return value % 2**256
        if abi_type == "bool":
            if not isinstance(value, bool):
                raise InvalidInput(f"{what} is a bool, got {value!r}")
            return int(value)
        if (abi_type or "").startswith("bytes") or (abi_type is None and isinstance(value, bytes | bytearray)):
            size = int(abi_type[5:]) if abi_type else 32
            data = bytes(HexBytes(value))
            if len(data) > size:
                raise InvalidInput(f"{what} is a bytes{size}, got {len(data)} bytes")
            return int.from_bytes(data.ljust(32, b"\x00"), "big")
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{what} needs an integer, got {value!r}")
        bits = int(abi_type[4:] or 256) if abi_type else 256
        if not 0 <= value < 2**bits:
            raise InvalidInput(f"{what} must fit a uint{bits}, got {value}")
        return value
    except ValueError as exc:
        raise InvalidInput(f"{what}: {exc}") from None


# ---------------------------------------------------------------- builder


@dataclass
class _PermissionSpec:
    target: str
    selector: bytes
    max_value: int
    label: str
    conditions: list[tuple[int, Op, int]]


class GrantBuilder:
    """Build a grant by saying what the session may do.

    Every method returns the builder, so calls chain. Nothing is checked
    against the chain here; :meth:`charter.sessions.Sessions.prepare` fills in
    the time and epoch and checks the account's limits.
    """

    def __init__(self, account: Any, agent_id: int, session_key: Any, *, allow_execute_like: bool = False) -> None:
        self.allow_execute_like = bool(allow_execute_like)
        self.account = checked(account, "account")
        if isinstance(agent_id, bool) or not isinstance(agent_id, int) or agent_id < 1:
            raise InvalidInput(f"agent id must be a positive integer, got {agent_id!r}")
        self.agent_id = agent_id
        self.session_key = checked(session_key, "session key")
        if self.session_key == self.account:
            raise InvalidInput("the session key cannot be the account itself; generate a fresh key for the agent")
        self._permissions: list[_PermissionSpec] = []
        self._budgets: list[TokenBudget] = []
        self._native = 0
        self._max_calls = 0
        self._min_interval = 0
        self._window: tuple[str, int, int] | None = None
        self._salt: bytes | None = None

    # ------------------------------------------------------------ scope

    def allow(
        self,
        target: Any,
        function: str = "",
        *,
        max_value: int = 0,
        where: Mapping[int, Rule] | None = None,
        allow_execute_like: bool | None = None,
        **named: Rule,
    ) -> GrantBuilder:
        """Allow calls of `function` on `target`.

        `function` is a signature (``"transfer(address to, uint256 amount)"``),
        a 4-byte selector in hex (``"0xa9059cbb"``), or empty for plain ETH
        sends (empty calldata). Conditions on arguments go by parameter name
        (``to=one_of(a, b)``) or by position in `where` (``{1: at_most(5)}``);
        `max_value` is the most wei one call may send.

        A function of :data:`EXECUTE_LIKE_SELECTORS` (``multicall``,
        ``aggregate``, ``executeCall``, a router's ``execute``, ...) is refused
        unless `allow_execute_like` is true here or on the builder; the
        manager's :data:`FORBIDDEN_SELECTORS` are refused even then.
        """
        return self._allow(target, function, max_value, where, named, allow_execute_like)

    def _allow(
        self,
        target: Any,
        function: str,
        max_value: int,
        where: Mapping[int, Rule] | None,
        named: Mapping[str, Rule],
        allow_execute_like: bool | None,
    ) -> GrantBuilder:
        if allow_execute_like is not None and not isinstance(allow_execute_like, bool):
            raise InvalidInput(f"allow_execute_like must be True or False, got {allow_execute_like!r}")
        address = checked(target, "target")
        parsed: FunctionSignature | None = None
        if not function:
            selector, label = b"\x00" * 4, "plain ETH sends"
        elif re.fullmatch(r"0x[0-9a-fA-F]{8}", function):
            selector, label = bytes.fromhex(function[2:]), function
        else:
            parsed = FunctionSignature.parse(function)
            selector, label = parsed.selector, parsed.canonical
        if selector in FORBIDDEN_SELECTORS:
            raise InvalidInput(
                f"{FORBIDDEN_SELECTORS[selector]} is an account-execution function: allowing it would "
                "let the session make any call at all, so the SessionManager refuses it"
            )
        forced = self.allow_execute_like if allow_execute_like is None else allow_execute_like
        if selector in EXECUTE_LIKE_SELECTORS and not forced:
            raise InvalidInput(
                f"{EXECUTE_LIKE_SELECTORS[selector]} on {address} is execute-like: it makes arbitrary calls "
                "for its caller, so allowing it hands the session whatever that contract will do for the "
                "account; if that contract is safe for this, pass allow_execute_like=True "
                "(CLI: --force-execute-like)"
            )
        if any(p.target == address and p.selector == selector for p in self._permissions):
            raise InvalidInput(f"{label} on {address} is already allowed; merge the two rules")
        if len(self._permissions) >= MAX_PERMISSIONS:
            raise InvalidInput(f"a grant has at most {MAX_PERMISSIONS} permissions")
        if isinstance(max_value, bool) or not isinstance(max_value, int) or max_value < 0:
            raise InvalidInput(f"max_value must be a non-negative integer (wei), got {max_value!r}")
        conditions: list[tuple[int, Op, int]] = []
        for position, rule in (where or {}).items():
            abi_type = parsed.types[position] if parsed and 0 <= position < len(parsed.types) else None
            index = parsed.word_index(position) if parsed and abi_type else position
            conditions += self._rule(rule, abi_type, index, f"argument {position} of {label}")
        for name, rule in named.items():
            if parsed is None or name not in parsed.names:
                known = ", ".join(n for n in (parsed.names if parsed else ()) if n) or "none"
                raise InvalidInput(
                    f"{label} has no parameter named {name!r} (named parameters: {known}); name the "
                    "parameters in the signature or use where={position: rule}"
                )
            position = parsed.names.index(name)
            conditions += self._rule(rule, parsed.types[position], parsed.word_index(position), f"{name} of {label}")
        self._permissions.append(_PermissionSpec(address, selector, max_value, label, conditions))
        self._check_condition_count()
        return self

    def allow_transfer(self, token: Any, *, to: Any = None, max_amount: int | None = None) -> GrantBuilder:
        """Allow ``token.transfer`` to the recipients `to` (one or several), each
        call moving at most `max_amount`. Pair it with :meth:`token_budget` for a total cap."""
        named: dict[str, Rule] = {}
        if to is not None:
            named["to"] = one_of(to) if not isinstance(to, Rule) else to
        if max_amount is not None:
            named["amount"] = at_most(max_amount)
        return self.allow(token, "transfer(address to, uint256 amount)", **named)  # type: ignore[arg-type]

    def allow_eth(self, to: Any, *, max_value: int) -> GrantBuilder:
        """Allow plain ETH sends to `to`, at most `max_value` wei each (add a :meth:`native_budget`)."""
        return self.allow(to, "", max_value=max_value)

    def _rule(self, rule: Rule, abi_type: str | None, index: int, what: str) -> list[tuple[int, Op, int]]:
        if not isinstance(rule, Rule):
            raise InvalidInput(
                f"{what}: pass a rule (equals, not_equal, at_most, at_least, between, one_of), got {rule!r}"
            )
        if abi_type is not None and (is_dynamic(abi_type) or not ELEMENTARY.match(abi_type)):
            raise InvalidInput(
                f"{what} is a {abi_type}: conditions apply to static elementary arguments only "
                "(address, bool, uintN, intN, bytesN)"
            )
        if index >= 2**16:
            raise InvalidInput(f"{what}: argument word {index} is out of range")
        checks = [(index, op, _word(abi_type, value, op, what)) for op, value in rule.checks]
        # The manager compares whole words. A narrow argument with dirty high
        # bits passes != and >= checks, and a target that masks them instead of
        # reverting would act on the clean value: bound the word as well.
        bits = _narrow_bits(abi_type)
        loose = bits is not None and any(op in (Op.NE, Op.GE) for _, op, _ in checks)
        if loose and bits is not None and not any(op == Op.LE and value < 2**bits for _, op, value in checks):
            checks.append((index, Op.LE, 2**bits - 1))
        return checks

    def _check_condition_count(self) -> None:
        count = sum(len(p.conditions) for p in self._permissions)
        if count > MAX_CONDITIONS:
            raise InvalidInput(
                f"the grant has {count} argument conditions; at most {MAX_CONDITIONS} fit (one_of "
                "uses one per value): narrow the lists or split the work into several grants"
            )

    # ------------------------------------------------------------ budgets

    def token_budget(self, token: Any, cap: int, *, per: int = 0) -> GrantBuilder:
        """At most `cap` of `token` leaves the account during session executions
        (transfers, pulls by allowed targets, approvals made in a session), in
        total or every `per` seconds. A cap of 0 with no period is a :meth:`guard`."""
        address = checked(token, "token")
        self._check_new_token(address, "budget")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap < 2**128:
            raise InvalidInput(f"a token cap must be an integer between 0 and 2**128 - 1, got {cap!r}")
        if isinstance(per, bool) or not isinstance(per, int) or not 0 <= per < 2**32:
            raise InvalidInput(f"a budget period is seconds (0 for no refill), got {per!r}")
        self._budgets.append(TokenBudget(token=address, cap=cap, period=per))
        return self

    def guard(self, token: Any) -> GrantBuilder:
        """`token` may not leave the account during a session execution at all
        (a budget with cap 0 and no period). For tokens the session has no
        business moving but an allowed target could pull: a standing allowance
        over a guarded token does not stop the grant (see :meth:`Sessions.sign`)."""
        address = checked(token, "token")
        self._check_new_token(address, "guard")
        self._budgets.append(TokenBudget(token=address, cap=0, period=0))
        return self

    def _check_new_token(self, address: str, what: str) -> None:
        """Refuse a second budget or guard for one token, and a fifth token."""
        existing = next((b for b in self._budgets if b.token == address), None)
        if existing is not None:
            if existing.guarded and what == "guard":
                raise InvalidInput(f"token {address} is already guarded")
            if not existing.guarded and what == "budget":
                raise InvalidInput(f"token {address} already has a budget; one budget per token")
            raise InvalidInput(
                f"token {address} would be both budgeted and guarded: a token is either budgeted "
                "(token_budget, CLI --token-budget TOKEN:CAP) or guarded (guard, CLI --guard TOKEN); keep one"
            )
        if len(self._budgets) >= MAX_TOKENS:
            raise InvalidInput(
                f"a grant budgets and guards at most {MAX_TOKENS} tokens in all (budgets and guards share "
                f"the limit), and {address} would be token {MAX_TOKENS + 1}; drop a budget or a guard, "
                "or split the work into several grants"
            )

    def native_budget(self, wei: int) -> GrantBuilder:
        """At most `wei` of native value over the whole grant."""
        if isinstance(wei, bool) or not isinstance(wei, int) or not 0 <= wei < 2**128:
            raise InvalidInput(f"a native budget is wei between 0 and 2**128 - 1, got {wei!r}")
        self._native = wei
        return self

    def max_calls(self, n: int) -> GrantBuilder:
        """At most `n` calls in total (each call of a batch counts)."""
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n < 2**32:
            raise InvalidInput(f"max_calls must be between 1 and 2**32 - 1, got {n!r}")
        self._max_calls = n
        return self

    def min_interval(self, seconds: int) -> GrantBuilder:
        """At least `seconds` between calls (batches of several calls are then refused)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds < 2**32:
            raise InvalidInput(f"min_interval must be between 1 and 2**32 - 1 seconds, got {seconds!r}")
        self._min_interval = seconds
        return self

    # ------------------------------------------------------------ window and salt

    def valid_for(
        self, seconds: int = 0, *, minutes: int = 0, hours: int = 0, days: int = 0, starting_in: int = 0
    ) -> GrantBuilder:
        """Valid from now (or `starting_in` seconds from now) for the given time."""
        total = seconds + 60 * minutes + 3_600 * hours + 86_400 * days
        if total <= 0:
            raise InvalidInput("a grant must be valid for a positive time (valid_for(hours=1), ...)")
        if starting_in < 0:
            raise InvalidInput("starting_in cannot be negative")
        self._window = ("relative", starting_in, total)
        return self

    def valid_between(self, valid_after: int, valid_until: int) -> GrantBuilder:
        """Valid from unix time `valid_after` to `valid_until`, both inclusive."""
        if not 0 <= valid_after < valid_until < 2**48:
            raise InvalidInput(
                f"the window must satisfy 0 <= valid_after < valid_until < 2**48, got {valid_after}..{valid_until}"
            )
        self._window = ("absolute", valid_after, valid_until)
        return self

    def salt(self, value: bytes | int | str) -> GrantBuilder:
        """Tell otherwise identical grants apart (default: random); see :func:`salt_bytes`."""
        self._salt = salt_bytes(value)
        return self

    # ------------------------------------------------------------ build

    @property
    def window_length(self) -> int | None:
        if self._window is None:
            return None
        kind, a, b = self._window
        return b if kind == "relative" else b - a

    def build(self, *, now: int, epoch: int = 0) -> Grant:
        """The grant, with a relative window anchored at `now` (unix seconds)."""
        if not self._permissions:
            raise InvalidInput("the grant allows nothing: add at least one allow(...)")
        if self._window is None:
            raise InvalidInput(
                "a grant needs a validity window: add valid_for(hours=1) or valid_between(after, until)"
            )
        kind, a, b = self._window
        valid_after, valid_until = (now + a, now + a + b) if kind == "relative" else (a, b)
        permissions = tuple(
            Permission(target=p.target, selector=p.selector, max_value=p.max_value) for p in self._permissions
        )
        conditions = tuple(
            Condition(permission=i, index=index, op=op, value=value)
            for i, p in enumerate(self._permissions)
            for index, op, value in p.conditions
        )
        return Grant(
            account=self.account,
            agent_id=self.agent_id,
            session_key=self.session_key,
            valid_after=valid_after,
            valid_until=valid_until,
            epoch=epoch,
            max_calls=self._max_calls,
            min_interval=self._min_interval,
            native_budget=self._native,
            salt=self._salt if self._salt is not None else os.urandom(32),
            permissions=permissions,
            conditions=conditions,
            token_budgets=tuple(self._budgets),
        )


# ---------------------------------------------------------------- text specs (CLI and ape scripts)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 7 * 86_400}
_CONDITION = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*|\d+)\s*(<=|>=|!=|=)\s*(.+?)\s*$")


def parse_duration(text: str) -> int:
    """``"90"``, ``"30m"``, ``"1h"``, ``"7d"``, ``"2w"`` as seconds."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"{text!r} is not a duration; write e.g. 3600, 30m, 1h, 7d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _spec_value(text: str) -> Any:
    text = text.strip()
    if Web3.is_address(text) and len(text) == 42:
        return text
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        raise InvalidInput(f"{text!r} is neither an address nor an integer") from None


_SPEC_OPS = {"!=": not_equal, "<=": at_most, ">=": at_least}


def apply_allow_spec(builder: GrantBuilder, spec: str) -> GrantBuilder:
    """Apply one ``TARGET[:SIGNATURE[:CONDITIONS]]`` permission, e.g.

    ``0xToken:transfer(address to,uint256 amount):to=0xBob|0xCarol,amount<=100``.
    Conditions: ``NAME=V`` (or ``V1|V2|…`` for one of), ``NAME!=V``,
    ``NAME<=V``, ``NAME>=V``; NAME is a parameter name or position;
    ``value<=WEI`` sets the most wei per call. No signature: plain ETH sends
    (``TARGET::value<=WEI`` for their most wei per call).
    """
    target, _, rest = spec.partition(":")
    signature, conditions = rest, ""
    if "(" in rest:
        close = matching(rest[rest.index("(") :]) + rest.index("(")
        signature, conditions = rest[: close + 1], rest[close + 1 :].lstrip(":")
    elif rest.startswith(":"):  # TARGET::value<=WEI - plain ETH sends, with their conditions
        signature, conditions = "", rest[1:]
    elif rest.startswith("0x") and ":" in rest:
        signature, conditions = rest.split(":", 1)
    named: dict[str, Rule] = {}
    where: dict[int, Rule] = {}
    max_value = 0
    for part in filter(None, (p.strip() for p in conditions.split(","))):
        match = _CONDITION.match(part)
        if not match:
            raise InvalidInput(f"condition {part!r} is not NAME=V, NAME!=V, NAME<=V or NAME>=V")
        name, op, raw = match.groups()
        if name == "value":
            if op != "<=":
                raise InvalidInput("the call value takes only a maximum: value<=WEI")
            max_value = _spec_value(raw)
            continue
        values = [_spec_value(v) for v in raw.split("|")]
        if len(values) > 1 and op != "=":
            raise InvalidInput(f"{part!r}: a list of values (a|b) only works with =")
        rule = one_of(*values) if op == "=" else _SPEC_OPS[op](values[0])
        if name.isdigit():
            where[int(name)] = where[int(name)] & rule if int(name) in where else rule
        else:
            named[name] = named[name] & rule if name in named else rule
    # Conditions by name go in as a mapping: a parameter may be named like an option of allow().
    return builder._allow(target, signature, max_value, where or None, named, None)


def apply_budget_spec(builder: GrantBuilder, spec: str) -> GrantBuilder:
    """Apply one ``TOKEN:CAP[/PERIOD]`` token budget, e.g. ``0xToken:100/1d``."""
    token, sep, rest = spec.partition(":")
    if not sep:
        raise InvalidInput(f"token budget {spec!r} is not TOKEN:CAP or TOKEN:CAP/PERIOD")
    cap, _, period = rest.partition("/")
    return builder.token_budget(token, _spec_value(cap), per=parse_duration(period) if period else 0)


def builder_from_specs(
    account: Any,
    agent_id: int,
    session_key: Any,
    allows: Sequence[str],
    valid_for: str,
    budgets: Sequence[str] = (),
    native_budget: int = 0,
    max_calls: int = 0,
    min_interval: str | None = None,
    allow_execute_like: bool = False,
    guards: Sequence[str] = (),
) -> GrantBuilder:
    """A builder from the command-line specs (``--allow``, ``--token-budget``, ``--guard``, ...)."""
    builder = GrantBuilder(account, agent_id, session_key, allow_execute_like=allow_execute_like)
    for spec in allows:
        apply_allow_spec(builder, spec)
    for spec in budgets:
        apply_budget_spec(builder, spec)
    for token in guards:
        builder.guard(token.strip())
    if native_budget:
        builder.native_budget(native_budget)
    if max_calls:
        builder.max_calls(max_calls)
    if min_interval:
        builder.min_interval(parse_duration(min_interval))
    return builder.valid_for(parse_duration(valid_for))


__all__ = [
    "EXECUTE_LIKE_SELECTORS",
    "GrantBuilder",
    "Rule",
    "apply_allow_spec",
    "apply_budget_spec",
    "at_least",
    "at_most",
    "between",
    "builder_from_specs",
    "ensure_grant",
    "ensure_signed_grant",
    "equals",
    "not_equal",
    "one_of",
    "parse_duration",
    "salt_bytes",
]
