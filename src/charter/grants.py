"""Session grants as data: models, EIP-712 typed data, and a builder that reads like the intent.

    grant = (
        GrantBuilder(account, agent_id, session_key)
        .allow(token, "transfer(address to, uint256 amount)", to=one_of(bob), amount=at_most(100))
        .token_budget(token, cap=100)
        .max_calls(10)
        .valid_for(hours=1)
    )

A builder is turned into a :class:`Grant` by :meth:`charter.sessions.Sessions.prepare`
(which reads the chain's time and the account's epoch) or by :meth:`GrantBuilder.build`.
Everything here is pure: no node is needed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any

from eth_abi import encode as abi_encode
from eth_utils import keccak
from hexbytes import HexBytes
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from web3 import Web3

from .eip712 import EIP712_DOMAIN_TYPE, typed_data_digest
from .exceptions import InvalidInput

MAX_PERMISSIONS = 8
MAX_CONDITIONS = 8
MAX_TOKENS = 4
MAX_BATCH = 16
MAX_CALLDATA = 2_048
MAX_BATCH_CALLDATA = 1_024
DEFAULT_MAX_SESSION = 7 * 86_400
MAX_SESSION_CEILING = 366 * 86_400

MANAGER_DOMAIN_NAME = "Charter SessionManager"
ACCOUNT_DOMAIN_NAME = "Charter AgentAccount"
DOMAIN_VERSION = "1"

TOKEN_SELECTORS: dict[bytes, str] = {
    keccak(text=sig)[:4]: sig
    for sig in (
        "transfer(address,uint256)",
        "transferFrom(address,address,uint256)",
        "approve(address,uint256)",
        "increaseAllowance(address,uint256)",
    )
}
"""The ERC-20 functions whose amount counts against a token budget."""

FORBIDDEN_SELECTORS: dict[bytes, str] = {
    keccak(text=sig)[:4]: sig
    for sig in (
        "execute(address,uint256,bytes)",
        "executeBatch((address,uint256,bytes)[])",
        "executeFromManager(address,uint256,bytes)",
        "executeBatchFromManager((address,uint256,bytes)[])",
        "execute(bytes32,bytes)",
        "executeFromExecutor(bytes32,bytes)",
        "executeBatch(address[],uint256[],bytes[])",
        "execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)",
        "execTransactionFromModule(address,uint256,bytes,uint8)",
        "execTransactionFromModuleReturnData(address,uint256,bytes,uint8)",
        "redeemDelegations(bytes[],bytes32[],bytes[])",
    )
}
"""Account-execution entry points a session may never call (the manager refuses them)."""


# ---------------------------------------------------------------- field types


def _address(value: Any) -> str:
    if hasattr(value, "address") and not isinstance(value, str | bytes):
        value = value.address
    if isinstance(value, bytes) and len(value) == 20:
        return Web3.to_checksum_address(value)
    if not isinstance(value, str) or not Web3.is_address(value) or len(value) != 42:
        raise ValueError(f"{value!r} is not a 20-byte 0x-prefixed hex address")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not Web3.is_checksum_address(value):
        raise ValueError(f"{value!r} fails its EIP-55 checksum (typo?)")
    return Web3.to_checksum_address(value)


def _fixed_bytes(size: int) -> Any:
    def parse(value: Any) -> bytes:
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 2 ** (8 * size):
                raise ValueError(f"{value} does not fit in {size} bytes")
            return value.to_bytes(size, "big")
        data = bytes(HexBytes(value)) if isinstance(value, str | bytes | bytearray) else value
        if not isinstance(data, bytes) or len(data) != size:
            raise ValueError(f"expected {size} bytes, got {value!r}")
        return data

    return parse


def _any_bytes(value: Any) -> bytes:
    if isinstance(value, str | bytes | bytearray | memoryview):
        return bytes(HexBytes(value)) if isinstance(value, str) else bytes(value)
    raise ValueError(f"expected bytes or 0x-hex, got {type(value).__name__}")


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


Address = Annotated[str, BeforeValidator(_address)]
Bytes4 = Annotated[bytes, BeforeValidator(_fixed_bytes(4)), PlainSerializer(_hex, return_type=str, when_used="json")]
Bytes32 = Annotated[bytes, BeforeValidator(_fixed_bytes(32)), PlainSerializer(_hex, return_type=str, when_used="json")]
Data = Annotated[bytes, BeforeValidator(_any_bytes), PlainSerializer(_hex, return_type=str, when_used="json")]


def _uint(bits: int) -> Any:
    return Field(ge=0, lt=2**bits)


# ---------------------------------------------------------------- models


class Op(IntEnum):
    """Condition operators on one 32-byte ABI argument word (unsigned comparison)."""

    EQ = 0
    NE = 1
    LE = 2
    GE = 3
    ONE_OF = 4

    @property
    def symbol(self) -> str:
        return {0: "==", 1: "!=", 2: "<=", 3: ">=", 4: "one of"}[self.value]


class Permission(BaseModel):
    """One allowed (target, selector) and the most wei a call to it may send."""

    model_config = ConfigDict(frozen=True)

    target: Address
    selector: Bytes4
    max_value: Annotated[int, _uint(256)] = 0

    def as_tuple(self) -> tuple[str, bytes, int]:
        return (self.target, self.selector, self.max_value)


class Condition(BaseModel):
    """A check on ABI argument word `index` of calls allowed by permission `permission`."""

    model_config = ConfigDict(frozen=True)

    permission: Annotated[int, _uint(8)]
    index: Annotated[int, _uint(16)]
    op: Op
    value: Annotated[int, _uint(256)]

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.permission, self.index, int(self.op), self.value)


class TokenBudget(BaseModel):
    """At most `cap` of `token` per `period` seconds (0: over the whole grant)."""

    model_config = ConfigDict(frozen=True)

    token: Address
    cap: Annotated[int, _uint(128)]
    period: Annotated[int, _uint(32)] = 0

    def as_tuple(self) -> tuple[str, int, int]:
        return (self.token, self.cap, self.period)


class Grant(BaseModel):
    """A session grant, field for field as the SessionManager hashes it."""

    model_config = ConfigDict(frozen=True)

    account: Address
    agent_id: Annotated[int, _uint(256)]
    session_key: Address
    valid_after: Annotated[int, _uint(48)]
    valid_until: Annotated[int, _uint(48)]
    epoch: Annotated[int, _uint(64)] = 0
    max_calls: Annotated[int, _uint(32)] = 0
    min_interval: Annotated[int, _uint(32)] = 0
    native_budget: Annotated[int, _uint(128)] = 0
    salt: Bytes32 = b"\x00" * 32
    permissions: tuple[Permission, ...] = ()
    conditions: tuple[Condition, ...] = ()
    token_budgets: tuple[TokenBudget, ...] = ()

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple the SessionManager takes."""
        return (
            self.account,
            self.agent_id,
            self.session_key,
            self.valid_after,
            self.valid_until,
            self.epoch,
            self.max_calls,
            self.min_interval,
            self.native_budget,
            self.salt,
            [p.as_tuple() for p in self.permissions],
            [c.as_tuple() for c in self.conditions],
            [b.as_tuple() for b in self.token_budgets],
        )

    def typed_data(self, chain_id: int, manager: str) -> dict[str, Any]:
        """The full EIP-712 message an account signs for this grant."""
        return {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **GRANT_TYPES},
            "primaryType": "Grant",
            "domain": manager_domain(chain_id, manager),
            "message": {
                "account": self.account,
                "agentId": self.agent_id,
                "sessionKey": self.session_key,
                "validAfter": self.valid_after,
                "validUntil": self.valid_until,
                "epoch": self.epoch,
                "maxCalls": self.max_calls,
                "minInterval": self.min_interval,
                "nativeBudget": self.native_budget,
                "salt": self.salt,
                "permissions": [
                    {"target": p.target, "selector": p.selector, "maxValue": p.max_value}
                    for p in self.permissions
                ],
                "conditions": [
                    {"permission": c.permission, "index": c.index, "op": int(c.op), "value": c.value}
                    for c in self.conditions
                ],
                "tokenBudgets": [
                    {"token": b.token, "cap": b.cap, "period": b.period} for b in self.token_budgets
                ],
            },
        }

    def hash(self, chain_id: int, manager: str) -> bytes:
        """The grant hash (EIP-712 digest) on `chain_id` and `manager`: what `revoke` takes."""
        return typed_data_digest(self.typed_data(chain_id, manager))

    def budget_of(self, token: str) -> TokenBudget | None:
        token = _address(token)
        return next((b for b in self.token_budgets if b.token == token), None)

    def describe(self) -> list[str]:
        """The grant in words, one line per rule (for humans and the CLI)."""
        lines = []
        for i, p in enumerate(self.permissions):
            value = f", up to {p.max_value:,} wei per call" if p.max_value else ""
            rules = [describe_condition(c) for c in self.conditions if c.permission == i]
            where = f" where {' and '.join(merge_one_of(rules))}" if rules else ""
            if p.selector == b"\x00" * 4:
                lines.append(f"send ETH to {p.target}{value}{where}")
                continue
            function = TOKEN_SELECTORS.get(p.selector) or "0x" + p.selector.hex()
            lines.append(f"call {function} on {p.target}{value}{where}")
        for b in self.token_budgets:
            per = f" every {_duration(b.period)}" if b.period else " in total"
            lines.append(f"move at most {b.cap:,} of token {b.token}{per}")
        if self.native_budget:
            lines.append(f"send at most {self.native_budget:,} wei in total")
        if self.max_calls:
            lines.append(f"at most {self.max_calls:,} calls")
        if self.min_interval:
            lines.append(f"at least {_duration(self.min_interval)} between calls")
        return lines


GRANT_TYPES: dict[str, list[dict[str, str]]] = {
    "Grant": [
        {"name": "account", "type": "address"},
        {"name": "agentId", "type": "uint256"},
        {"name": "agentGeneration", "type": "uint32"},
        {"name": "sessionKey", "type": "address"},
        {"name": "validAfter", "type": "uint48"},
        {"name": "validUntil", "type": "uint48"},
        {"name": "epoch", "type": "uint64"},
        {"name": "maxCalls", "type": "uint32"},
        {"name": "minInterval", "type": "uint32"},
        {"name": "nativeBudget", "type": "uint128"},
        {"name": "salt", "type": "bytes32"},
        {"name": "permissions", "type": "Permission[]"},
        {"name": "conditions", "type": "Condition[]"},
        {"name": "tokenBudgets", "type": "TokenBudget[]"},
    ],
    "Permission": [
        {"name": "target", "type": "address"},
        {"name": "selector", "type": "bytes4"},
        {"name": "maxValue", "type": "uint256"},
    ],
    "Condition": [
        {"name": "permission", "type": "uint8"},
        {"name": "index", "type": "uint16"},
        {"name": "op", "type": "uint8"},
        {"name": "value", "type": "uint256"},
    ],
    "TokenBudget": [
        {"name": "token", "type": "address"},
        {"name": "cap", "type": "uint128"},
        {"name": "period", "type": "uint32"},
    ],
}
REQUEST_TYPES: dict[str, list[dict[str, str]]] = {
    "SessionRequest": [
        {"name": "grantHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
        {"name": "calls", "type": "Call[]"},
    ],
    "Call": [
        {"name": "target", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "data", "type": "bytes"},
    ],
}
MESSAGE_TYPES: dict[str, list[dict[str, str]]] = {"CharterMessage": [{"name": "hash", "type": "bytes32"}]}


def manager_domain(chain_id: int, manager: str) -> dict[str, Any]:
    return {"name": MANAGER_DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": _address(manager)}


def account_message_typed_data(chain_id: int, account: str, digest: bytes) -> dict[str, Any]:
    """What the owner of a deployed AgentAccount signs to approve `digest` (ERC-1271)."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **MESSAGE_TYPES},
        "primaryType": "CharterMessage",
        "domain": {"name": ACCOUNT_DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": _address(account)},
        "message": {"hash": digest},
    }


class Call(BaseModel):
    """One call the account makes: `target`, `value` wei and calldata."""

    model_config = ConfigDict(frozen=True)

    target: Address
    value: Annotated[int, _uint(256)] = 0
    data: Data = b""

    @classmethod
    def to(cls, target: Any, function: str = "", *args: Any, value: int = 0) -> Call:
        """A call of `function` (``"transfer(address,uint256)"``, names allowed) with `args`."""
        if not function:
            if args:
                raise InvalidInput("arguments given without a function signature")
            return cls(target=target, value=value)
        parsed = FunctionSignature.parse(function)
        if len(args) != len(parsed.types):
            raise InvalidInput(
                f"{parsed.name} takes {len(parsed.types)} arguments ({', '.join(parsed.types)}), "
                f"got {len(args)}"
            )
        try:
            encoded = abi_encode(list(parsed.types), [_abi_arg(t, a) for t, a in zip(parsed.types, args, strict=True)])
        except Exception as exc:  # noqa: BLE001 - eth-abi raises many types for bad values
            raise InvalidInput(f"cannot encode the arguments of {parsed.canonical}: {exc}") from None
        return cls(target=target, value=value, data=parsed.selector + encoded)

    def as_tuple(self) -> tuple[str, int, bytes]:
        return (self.target, self.value, self.data)

    @property
    def selector(self) -> bytes:
        return self.data[:4] if len(self.data) >= 4 else b"\x00" * 4


def _abi_arg(abi_type: str, value: Any) -> Any:
    if abi_type == "address" or (hasattr(value, "address") and not isinstance(value, str | bytes)):
        return _address(value)
    return value


def _duration(seconds: int) -> str:
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} s"


def describe_condition(c: Condition) -> str:
    looks_like_address = 2**100 <= c.value < 2**160
    value = Web3.to_checksum_address(f"0x{c.value:040x}") if looks_like_address else f"{c.value:,}"
    return f"argument {c.index} {c.op.symbol} {value}"


def merge_one_of(rules: list[str]) -> list[str]:
    """Join the alternatives of one argument (``argument 0 one of a``, ``... one of b``)."""
    merged: dict[str, list[str]] = {}
    out: list[str] = []
    for rule in rules:
        head, sep, value = rule.partition(" one of ")
        if sep:
            if head not in merged:
                merged[head] = []
                out.append(head)
            merged[head].append(value)
        else:
            out.append(rule)
    return [f"{r} one of {{{', '.join(merged[r])}}}" if r in merged else r for r in out]


# ---------------------------------------------------------------- function signatures

_SIGNATURE = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*\((.*)\)\s*$", re.DOTALL)
_ELEMENTARY = re.compile(r"^(address|bool|string|bytes([1-9]|[12][0-9]|3[0-2])?|u?int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?)$")


def _split_top(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def _canonical_type(text: str) -> str:
    text = text.strip()
    if text.startswith("("):
        close = _matching(text)
        inner = ",".join(_canonical_type(p) for p in _split_top(text[1:close]))
        return f"({inner}){text[close + 1:].replace(' ', '')}"
    base, _, suffix = text.partition("[")
    base = {"uint": "uint256", "int": "int256", "byte": "bytes1"}.get(base, base)
    if not _ELEMENTARY.match(base):
        raise InvalidInput(f"{text!r} is not an ABI type")
    return base + (f"[{suffix}" if suffix or text.endswith("[") else "")


def _matching(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i
    raise InvalidInput(f"unbalanced parentheses in {text!r}")


def _is_dynamic(abi_type: str) -> bool:
    if abi_type.endswith("[]") or abi_type in ("bytes", "string"):
        return True
    if abi_type.endswith("]"):
        return _is_dynamic(abi_type[: abi_type.rindex("[")])
    if abi_type.startswith("("):
        return any(_is_dynamic(t) for t in _split_top(abi_type[1:-1]))
    return False


def _head_words(abi_type: str) -> int:
    """32-byte words the type takes in the head of an ABI encoding."""
    if _is_dynamic(abi_type):
        return 1
    if abi_type.endswith("]"):
        base = abi_type[: abi_type.rindex("[")]
        return int(abi_type[abi_type.rindex("[") + 1 : -1]) * _head_words(base)
    if abi_type.startswith("("):
        return sum(_head_words(t) for t in _split_top(abi_type[1:-1]))
    return 1


@dataclass(frozen=True)
class FunctionSignature:
    """A parsed ``name(type name, ...)`` signature."""

    name: str
    types: tuple[str, ...]
    names: tuple[str | None, ...]

    @classmethod
    def parse(cls, text: str) -> FunctionSignature:
        match = _SIGNATURE.match(text)
        if not match:
            raise InvalidInput(
                f"{text!r} is not a function signature; write it like "
                "'transfer(address to, uint256 amount)' (parameter names optional)"
            )
        types, names = [], []
        for part in _split_top(match.group(2)):
            if part.startswith("("):
                close = _matching(part)
                head, rest = part[: close + 1], part[close + 1 :].strip()
                arrays = re.match(r"^((?:\[\d*\])*)\s*(.*)$", rest)
                assert arrays is not None  # the pattern matches any text
                abi_type = _canonical_type(head + arrays.group(1))
                name = arrays.group(2)
            else:
                pieces = part.split()
                if len(pieces) > 1 and pieces[1] in ("memory", "calldata", "storage"):
                    pieces.pop(1)
                abi_type = _canonical_type(pieces[0])
                name = pieces[1] if len(pieces) > 1 else ""
            types.append(abi_type)
            names.append(name.strip() or None)
        return cls(match.group(1), tuple(types), tuple(names))

    @property
    def canonical(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.canonical)[:4]

    def word_index(self, position: int) -> int:
        """The head word where argument `position` sits."""
        return sum(_head_words(t) for t in self.types[:position])


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
            return int(_address(value), 16)
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

    def __init__(self, account: Any, agent_id: int, session_key: Any) -> None:
        self.account = _checked(account, "account")
        if isinstance(agent_id, bool) or not isinstance(agent_id, int) or agent_id < 1:
            raise InvalidInput(f"agent id must be a positive integer, got {agent_id!r}")
        self.agent_id = agent_id
        self.session_key = _checked(session_key, "session key")
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
        **named: Rule,
    ) -> GrantBuilder:
        """Allow calls of `function` on `target`.

        `function` is a signature (``"transfer(address to, uint256 amount)"``),
        a 4-byte selector in hex (``"0xa9059cbb"``), or empty for plain ETH
        sends (empty calldata). Conditions on arguments go by parameter name
        (``to=one_of(a, b)``) or by position in `where` (``{1: at_most(5)}``);
        `max_value` is the most wei one call may send.
        """
        address = _checked(target, "target")
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
        if abi_type is not None and (_is_dynamic(abi_type) or not _ELEMENTARY.match(abi_type)):
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
        """At most `cap` of `token` moved or approved (transfer, transferFrom,
        approve, increaseAllowance), in total or every `per` seconds."""
        address = _checked(token, "token")
        if any(b.token == address for b in self._budgets):
            raise InvalidInput(f"token {address} already has a budget")
        if len(self._budgets) >= MAX_TOKENS:
            raise InvalidInput(f"a grant has at most {MAX_TOKENS} token budgets")
        if isinstance(cap, bool) or not isinstance(cap, int) or not 0 <= cap < 2**128:
            raise InvalidInput(f"a token cap must be an integer between 0 and 2**128 - 1, got {cap!r}")
        if isinstance(per, bool) or not isinstance(per, int) or not 0 <= per < 2**32:
            raise InvalidInput(f"a budget period is seconds (0 for no refill), got {per!r}")
        self._budgets.append(TokenBudget(token=address, cap=cap, period=per))
        return self

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
        permissions = tuple(Permission(target=p.target, selector=p.selector, max_value=p.max_value) for p in self._permissions)
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


def salt_bytes(salt: int | bytes | str) -> bytes:
    """A 32-byte salt from an integer, a decimal string, 32 bytes or 0x + 64 hex digits."""
    if isinstance(salt, str) and not salt.strip().startswith("0x"):
        try:
            salt = int(salt.strip().replace("_", ""))
        except ValueError:
            raise InvalidInput(f"salt {salt!r} is neither an integer nor 0x + 64 hex digits") from None
    if isinstance(salt, int) and not isinstance(salt, bool):
        if not 0 <= salt < 2**256:
            raise InvalidInput(f"a salt is between 0 and 2**256 - 1, got {salt}")
        return salt.to_bytes(32, "big")
    try:
        data = bytes(HexBytes(salt)) if isinstance(salt, str | bytes) else b""
    except ValueError:
        data = b""
    if len(data) != 32:
        raise InvalidInput(f"a salt is an integer or 32 bytes (0x + 64 hex digits), got {salt!r}")
    return data


def _checked(value: Any, what: str) -> str:
    try:
        return _address(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {exc}") from None


def calls_of(calls: Iterable[Call | Sequence[Any]]) -> list[Call]:
    """Normalise calls given as :class:`Call` or ``(target, value, data)`` tuples."""
    out = []
    for c in calls:
        if isinstance(c, Call):
            out.append(c)
        elif isinstance(c, Sequence) and not isinstance(c, str | bytes) and len(c) == 3:
            out.append(Call(target=c[0], value=c[1], data=c[2]))
        else:
            raise InvalidInput(f"{c!r} is not a call; pass Call(...) or (target, value, data)")
    return out


__all__ = [
    "Call",
    "Condition",
    "FunctionSignature",
    "Grant",
    "GrantBuilder",
    "Op",
    "Permission",
    "Rule",
    "TokenBudget",
    "at_least",
    "at_most",
    "between",
    "equals",
    "not_equal",
    "one_of",
]


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
    ``value<=WEI`` sets the most wei per call. No signature: plain ETH sends.
    """
    target, _, rest = spec.partition(":")
    signature, conditions = rest, ""
    if "(" in rest:
        close = _matching(rest[rest.index("(") :]) + rest.index("(")
        signature, conditions = rest[: close + 1], rest[close + 1 :].lstrip(":")
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
    return builder.allow(target, signature, max_value=max_value, where=where or None, **named)  # type: ignore[arg-type]


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
) -> GrantBuilder:
    """A builder from the command-line specs (``--allow``, ``--token-budget``, ...)."""
    builder = GrantBuilder(account, agent_id, session_key)
    for spec in allows:
        apply_allow_spec(builder, spec)
    for spec in budgets:
        apply_budget_spec(builder, spec)
    if native_budget:
        builder.native_budget(native_budget)
    if max_calls:
        builder.max_calls(max_calls)
    if min_interval:
        builder.min_interval(parse_duration(min_interval))
    return builder.valid_for(parse_duration(valid_for))
