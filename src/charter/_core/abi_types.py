"""Function signatures as the SDK reads them: ``"transfer(address to, uint256 amount)"``.

Parsed into canonical ABI types (for the selector and for encoding) and
parameter names (for conditions by name), with the head word of each
argument (where a condition looks in the calldata).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eth_utils import keccak

from ..exceptions import InvalidInput

_SIGNATURE = re.compile(r"^\s*([A-Za-z_$][A-Za-z0-9_$]*)\s*\((.*)\)\s*$", re.DOTALL)
ELEMENTARY = re.compile(
    r"^(address|bool|string|bytes([1-9]|[12][0-9]|3[0-2])?|u?int(8|16|24|32|40|48|56|64|72|80|88|96|104|112|120"
    r"|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?)$"
)
"""An elementary ABI type (``uint`` and ``int`` are spelled out first)."""


def split_top(text: str) -> list[str]:
    """`text` split at its top-level commas (not those inside parentheses)."""
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


def canonical_type(text: str) -> str:
    """The canonical spelling of an ABI type (``uint`` → ``uint256``, tuples inside out)."""
    text = text.strip()
    if text.startswith("("):
        close = matching(text)
        inner = ",".join(canonical_type(p) for p in split_top(text[1:close]))
        return f"({inner}){text[close + 1:].replace(' ', '')}"
    base, _, suffix = text.partition("[")
    base = {"uint": "uint256", "int": "int256", "byte": "bytes1"}.get(base, base)
    if not ELEMENTARY.match(base):
        raise InvalidInput(f"{text!r} is not an ABI type")
    return base + (f"[{suffix}" if suffix or text.endswith("[") else "")


def matching(text: str) -> int:
    """The index of the parenthesis closing the one `text` starts with."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i
    raise InvalidInput(f"unbalanced parentheses in {text!r}")


def is_dynamic(abi_type: str) -> bool:
    """Whether the type is encoded out of the head (bytes, string, T[], tuples holding one)."""
    if abi_type.endswith("[]") or abi_type in ("bytes", "string"):
        return True
    if abi_type.endswith("]"):
        return is_dynamic(abi_type[: abi_type.rindex("[")])
    if abi_type.startswith("("):
        return any(is_dynamic(t) for t in split_top(abi_type[1:-1]))
    return False


def head_words(abi_type: str) -> int:
    """32-byte words the type takes in the head of an ABI encoding."""
    if is_dynamic(abi_type):
        return 1
    if abi_type.endswith("]"):
        base = abi_type[: abi_type.rindex("[")]
        return int(abi_type[abi_type.rindex("[") + 1 : -1]) * head_words(base)
    if abi_type.startswith("("):
        return sum(head_words(t) for t in split_top(abi_type[1:-1]))
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
        parts = split_top(match.group(2))
        if any(not part.strip() for part in parts) or match.group(2).strip().endswith(","):
            raise InvalidInput(f"{text!r} has an empty parameter; write it like 'transfer(address to, uint256 amount)'")
        for part in parts:
            if part.startswith("("):
                close = matching(part)
                head, rest = part[: close + 1], part[close + 1 :].strip()
                arrays = re.match(r"^((?:\[\d*\])*)\s*(.*)$", rest)
                assert arrays is not None  # the pattern matches any text
                abi_type = canonical_type(head + arrays.group(1))
                name = arrays.group(2)
            else:
                pieces = part.split()
                if len(pieces) > 1 and pieces[1] in ("memory", "calldata", "storage"):
                    pieces.pop(1)
                abi_type = canonical_type(pieces[0])
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
        return sum(head_words(t) for t in self.types[:position])
