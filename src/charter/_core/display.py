"""Readable ``repr`` / ``str`` for the SDK's models: bytes as 0x-hex, enums by name.

    >>> grant
    Grant(account='0x…', …, salt=0x5f3a…, permissions=(Permission(target='0x…', selector=0xa9059cbb, …),), …)

Models inherit :class:`Readable` (a ``BaseModel``) and status enums mix in
:class:`ByName`; nothing about their fields, validation or serialisation changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class _Shown:
    """A value whose ``repr`` is a given text (pydantic's repr calls ``repr`` on field values)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def shown(text: str) -> Any:
    """A value whose ``repr`` is `text`."""
    return _Shown(text)


def readable(value: Any) -> Any:
    """`value` with bytes shown as 0x-hex and enum members by name, inside tuples and lists too."""
    if isinstance(value, bytes | bytearray | memoryview):
        return _Shown("0x" + bytes(value).hex())
    if isinstance(value, Enum):
        return _Shown(f"{type(value).__name__}.{value.name}")
    if isinstance(value, tuple):
        return tuple(readable(v) for v in value)
    if isinstance(value, list):
        return [readable(v) for v in value]
    return value


class ByName:
    """Mixed into an IntEnum (``class Status(ByName, IntEnum)``): ``str()`` and ``f"{x}"``
    give the member's name; ``f"{x:d}"``, ``int(x)``, comparisons and JSON stay numeric."""

    name: str

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return self.name if not spec else format(int(self), spec)  # type: ignore[call-overload]


class Readable(BaseModel):
    """A pydantic model whose ``repr`` and ``str`` show bytes as 0x-hex and enums by name."""

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, readable(value)

    def __dir__(self) -> list[str]:
        # Tab completion offers the pydantic v2 API, not the deprecated v1 helpers
        # (which still work, with a warning): use model_dump / model_dump_json / model_validate.
        return [name for name in super().__dir__() if name not in DEPRECATED_HELPERS]


DEPRECATED_HELPERS = frozenset(
    {
        "construct", "copy", "dict", "from_orm", "json", "parse_file", "parse_obj", "parse_raw",
        "schema", "schema_json", "update_forward_refs", "validate",
    }
)
"""pydantic v1 names kept by v2 for compatibility (deprecated): hidden from ``dir()`` of our models."""


__all__ = ["DEPRECATED_HELPERS", "ByName", "Readable", "readable", "shown"]


def jsonable(value: Any) -> Any:
    """`value` in the CLI's one JSON encoding: snake_case keys (as the SDK's fields are),
    integers as JSON integers (uint256 values too: read them with a big-integer parser),
    bytes as 0x-hex, enum members by NAME, models and dataclasses as objects."""
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes | bytearray | memoryview):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
