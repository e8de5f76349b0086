"""A call as a person types it: ``TARGET[:SIGNATURE[:ARGS]][:value=WEI]`` (the CLI's ``--call``),
and argument values read by their ABI type (the CLI and ``charter mcp``). Examples::

    0xToken:transfer(address to,uint256 amount):0xBob,30
    0xBob:value=1000                                  # a plain ETH send of 1000 wei
    0xPool:swap(uint256[] path,bool exact):[1,2],true:value=5

Arguments are separated by commas and read by the signature's types:
addresses (checksummed or lower case), integers (decimal, 0x-hex, ``_``
separators), ``true`` / ``false``, bytes as 0x-hex, strings as typed (or
"double-quoted" JSON strings when they hold commas), arrays as ``[a,b]`` and
tuples as ``(a,b)``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .._core.abi_types import FunctionSignature, canonical_type, matching
from .._core.checks import check_address
from ..exceptions import InvalidInput
from .models import Call

_VALUE = re.compile(r"(?:^|:)value=(\d[\d_]*)$")


def split_args(text: str) -> list[str]:
    """`text` split at its top-level commas (outside (), [] and double quotes)."""
    parts: list[str] = []
    depth, quoted, escaped, current = 0, False, False, ""
    for ch in text:
        if quoted:
            current += ch
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise InvalidInput(f"unbalanced brackets in {text!r}")
        elif ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += ch
    if quoted or depth:
        raise InvalidInput(f"unbalanced quotes or brackets in {text!r}")
    if current.strip() or parts:
        parts.append(current.strip())
    return parts


def parse_arg(abi_type: str, text: str, what: str) -> Any:
    """`text` as a value of `abi_type` for :meth:`Call.to`."""
    text = text.strip()
    if abi_type.endswith("]"):
        base = abi_type[: abi_type.rindex("[")]
        size = abi_type[abi_type.rindex("[") + 1 : -1]
        if not (text.startswith("[") and text.endswith("]")):
            raise InvalidInput(f"{what} is a {abi_type}: write it as [a,b,...], got {text!r}")
        items = split_args(text[1:-1])
        if size and len(items) != int(size):
            raise InvalidInput(f"{what} is a {abi_type}: it takes {size} items, got {len(items)}")
        return [parse_arg(base, item, f"{what}[{i}]") for i, item in enumerate(items)]
    if abi_type.startswith("("):
        types = split_args(abi_type[1:-1])
        if not (text.startswith("(") and text.endswith(")")):
            raise InvalidInput(f"{what} is a tuple {abi_type}: write it as (a,b,...), got {text!r}")
        items = split_args(text[1:-1])
        if len(items) != len(types):
            raise InvalidInput(f"{what} is a tuple of {len(types)}, got {len(items)} items")
        return tuple(parse_arg(t, item, f"{what}.{i}") for i, (t, item) in enumerate(zip(types, items, strict=True)))
    if abi_type == "address":
        return check_address(text, what)
    if abi_type == "bool":
        if text not in ("true", "false"):
            raise InvalidInput(f"{what} is a bool: write true or false, got {text!r}")
        return text == "true"
    if abi_type.startswith(("uint", "int")):
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            raise InvalidInput(f"{what} is a {abi_type}: {text!r} is not an integer") from None
    if abi_type.startswith("bytes"):
        digits = text[2:] if text.lower().startswith("0x") else None
        try:
            if digits is None:
                raise ValueError
            return bytes.fromhex(digits)
        except ValueError:
            raise InvalidInput(f"{what} is {abi_type}: write it as 0x-hex, got {text!r}") from None
    if abi_type == "string":
        if text.startswith('"'):
            try:
                value = json.loads(text)
            except ValueError:
                raise InvalidInput(f"{what}: {text!r} is not a valid double-quoted string") from None
            if not isinstance(value, str):
                raise InvalidInput(f"{what}: {text!r} is not a string")
            return value
        return text
    raise InvalidInput(f"{what}: type {abi_type} is not supported on the command line")


def parse_call(spec: str) -> Call:
    """One ``--call TARGET[:SIGNATURE[:ARGS]][:value=WEI]``."""
    target, _, rest = spec.strip().partition(":")
    address = check_address(target, f"--call {spec!r}: the target")
    value = 0
    match = _VALUE.search(rest)
    if match:
        value = int(match.group(1).replace("_", ""))
        rest = rest[: match.start()]
    if not rest:
        return Call(target=address, value=value)
    if "(" not in rest:
        raise InvalidInput(
            f"--call {spec!r}: after the target comes a signature like transfer(address,uint256) "
            "then its arguments, or value=WEI for a plain ETH send"
        )
    start = rest.index("(")
    close = matching(rest[start:]) + start
    signature, args_text = rest[: close + 1], rest[close + 1 :]
    if args_text and not args_text.startswith(":"):
        raise InvalidInput(f"--call {spec!r}: put a ':' between the signature and its arguments")
    parsed = FunctionSignature.parse(signature)
    texts = split_args(args_text[1:]) if args_text else []
    if len(texts) != len(parsed.types):
        raise InvalidInput(
            f"--call {spec!r}: {parsed.canonical} takes {len(parsed.types)} argument(s), got {len(texts)}"
        )
    values = []
    for position, (abi_type, text) in enumerate(zip(parsed.types, texts, strict=True)):
        name = parsed.names[position] or f"argument {position}"
        values.append(parse_arg(canonical_type(abi_type), text, f"--call {parsed.name}: {name}"))
    return Call.to(address, signature, *values, value=value)
