"""Input checks shared by the layers, and the pydantic field types built on them.

The ``check_*`` functions raise :class:`~charter.exceptions.InvalidInput`
(they guard the public methods); :func:`parse_address` raises ``ValueError``
so that pydantic reports it as a validation error of the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from eth_typing import ChecksumAddress
from hexbytes import HexBytes
from pydantic import BeforeValidator, Field, PlainSerializer, ValidationError
from web3 import Web3

from ..exceptions import InvalidInput

UINT256_MAX = 2**256 - 1

_PYDANTIC_LINK = re.compile(r"\s*For further information visit https?://errors\.pydantic\.dev/\S*")


def validation_message(exc: BaseException) -> str:
    """`exc` on one line for people: a pydantic validation error as ``N validation errors for
    Model: field: what is wrong; ...`` (without pydantic's links to its own documentation),
    anything else as its text with such links removed."""
    if isinstance(exc, ValidationError):
        problems = []
        for error in exc.errors(include_url=False):
            where = ".".join(str(part) for part in error["loc"])
            what = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{where}: {what}" if where else what)
        count = len(problems)
        head = f"{count} validation error{'s' if count != 1 else ''} for {exc.title}"
        return f"{head}: {'; '.join(problems)}"
    return one_line(str(exc))


def one_line(text: str) -> str:
    """`text` on one line, without pydantic's links to its own documentation."""
    return " ".join(_PYDANTIC_LINK.sub("", text).split())


def check_address(value: Any, what: str = "address") -> ChecksumAddress:
    """`value` as a checksummed address, or :class:`InvalidInput`.

    All-lower-case (or all-upper-case) hex is accepted; a mixed-case address
    must carry a valid EIP-55 checksum, since a typo is likelier than not.
    """
    if isinstance(value, bytes) and len(value) == 20:
        return Web3.to_checksum_address(value)
    if not isinstance(value, str) or not Web3.is_address(value) or len(value) != 42:
        raise InvalidInput(
            f"{what} {value!r} is not a valid address; pass a 20-byte 0x-prefixed hex address"
        )
    digits = value[2:]
    mixed = digits != digits.lower() and digits != digits.upper()
    if mixed and not Web3.is_checksum_address(value):
        raise InvalidInput(
            f"{what} {value!r} is not a valid address: its mixed-case spelling fails the EIP-55 "
            "checksum; check it for a typo (or pass it in lower case)"
        )
    return Web3.to_checksum_address(value)


def parse_address(value: Any) -> str:
    """An address (or anything with an ``.address``) as checksummed hex; ``ValueError`` if not one."""
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


def checked(value: Any, what: str) -> str:
    """:func:`parse_address` for a public argument: :class:`InvalidInput` naming `what`."""
    try:
        return parse_address(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}: {exc}") from None


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


# ---------------------------------------------------------------- pydantic field types


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


Address = Annotated[str, BeforeValidator(parse_address)]
Bytes4 = Annotated[bytes, BeforeValidator(_fixed_bytes(4)), PlainSerializer(_hex, return_type=str, when_used="json")]
Bytes32 = Annotated[bytes, BeforeValidator(_fixed_bytes(32)), PlainSerializer(_hex, return_type=str, when_used="json")]
Data = Annotated[bytes, BeforeValidator(_any_bytes), PlainSerializer(_hex, return_type=str, when_used="json")]


def uint(bits: int) -> Any:
    """The pydantic bounds of a ``uint<bits>`` field."""
    return Field(ge=0, lt=2**bits)
