"""What the trust registries hold: feedback, summaries, settlement receipts, validations."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import ConfigDict

from .._core.checks import Address, uint
from .._core.display import Readable
from ..exceptions import InvalidInput

NATIVE = "0x" + "00" * 20
"""The token address of native value (ETH) in receipts."""
TAG_MAX = 64
"""Longest tag the registries store, in bytes."""
URI_MAX = 4_096
"""Longest endpoint, feedback, response or request URI, in bytes."""
MAX_DECIMALS = 18
MAX_ABS_VALUE = 10**38
FEEDBACK_TAG = "settled"
"""tag1 of the feedback Charter's tools give about a settled order (CLI, solver, demo)."""


def as_decimal(value: int, decimals: int) -> Decimal:
    """`value` scaled down by `decimals` (87, 0 -> 87; 8750, 2 -> 87.50)."""
    return Decimal(value).scaleb(-decimals)


def check_value(value: int | float | str | Decimal, decimals: int | None) -> tuple[int, int]:
    """(value, valueDecimals) of a feedback score: an int with `decimals` as given, or a decimal
    number whose decimals are its own (``"87.5"`` -> (875, 1)); :class:`InvalidInput` out of bounds."""
    if isinstance(value, bool):
        raise InvalidInput("a feedback value is a number, not a bool")
    if isinstance(value, int):
        raw, places = value, 0 if decimals is None else decimals
    else:
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise InvalidInput(f"feedback value {value!r} is not a number") from None
        if not number.is_finite():
            raise InvalidInput(f"feedback value {value!r} is not a finite number")
        exponent = int(number.as_tuple().exponent)
        places = max(0, -exponent) if decimals is None else decimals
        scaled = number.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise InvalidInput(f"feedback value {value} has more than {places} decimals")
        raw = int(scaled)
    if not 0 <= places <= MAX_DECIMALS:
        raise InvalidInput(f"a feedback value has 0 to {MAX_DECIMALS} decimals, not {places}")
    if abs(raw) > MAX_ABS_VALUE:
        raise InvalidInput(f"feedback value {raw} (with {places} decimals) is above 10**38 in absolute value")
    return raw, places


def check_tag(tag: str, name: str = "tag") -> str:
    if len(tag.encode()) > TAG_MAX:
        raise InvalidInput(f"{name} {tag[:20]!r}… is {len(tag.encode())} bytes; at most {TAG_MAX}")
    return tag


def check_uri(uri: str, name: str) -> str:
    if len(uri.encode()) > URI_MAX:
        raise InvalidInput(f"{name} is {len(uri.encode()):,} bytes; at most {URI_MAX:,}")
    return uri


def check_hash(value: bytes | str | None, name: str) -> bytes:
    """A bytes32 (bytes or 0x-hex); None is 32 zero bytes."""
    if value is None:
        return b"\0" * 32
    if isinstance(value, str):
        try:
            value = bytes.fromhex(value.removeprefix("0x"))
        except ValueError:
            raise InvalidInput(f"{name} {value!r} is not hex") from None
    if len(value) != 32:
        raise InvalidInput(f"{name} must be 32 bytes, not {len(value)}")
    return bytes(value)


class Feedback(Readable):
    """One feedback entry: who gave it, its number for that client, its value and tags."""

    model_config = ConfigDict(frozen=True)

    agent_id: Annotated[int, uint(256)]
    client: Address
    index: int
    value: int
    decimals: int
    tag1: str = ""
    tag2: str = ""
    revoked: bool = False
    backing: Backing | None = None
    """The settled order behind it (receipt-backed registry only)."""

    @property
    def score(self) -> Decimal:
        return as_decimal(self.value, self.decimals)


class Backing(Readable):
    """The settled order a receipt-backed feedback cites, and what it moved (its first input)."""

    model_config = ConfigDict(frozen=True)

    order_id: bytes
    token: Address
    amount: int


class Summary(Readable):
    """``getSummary``: how many feedback entries count and their average (in the most frequent
    number of decimals, as the reference computes it)."""

    model_config = ConfigDict(frozen=True)

    count: int
    value: int
    decimals: int

    @property
    def average(self) -> Decimal:
        return as_decimal(self.value, self.decimals)


class BackedSummary(Readable):
    """A receipt-backed reading of an agent: only entries backed by settled orders of at least
    ``min_value`` (in ``token``), their count, average score and the value those orders moved."""

    model_config = ConfigDict(frozen=True)

    agent_id: int
    count: int
    """Backed, unrevoked feedback entries that meet the filter: each a distinct settled order."""
    average: Decimal | None
    """Their average score (None without entries)."""
    volume: dict[str, int]
    """Value their orders settled, per token (lower-case address; zero address: native)."""
    clients: int
    """Distinct clients among them."""
    ignored: int = 0
    """Unrevoked entries left out (below ``min_value``, or in another token than asked)."""


class Receipt(Readable):
    """A settled order's receipt as the backed registry records it: the parties and the value."""

    model_config = ConfigDict(frozen=True)

    order_id: bytes
    user: Address
    opener_agent_id: int
    filler_agent_id: int
    filler_chain_id: int
    payout: Address
    token: Address
    amount: int


class ValidationStatus(Readable):
    """``getValidationStatus``: a request and its last response."""

    model_config = ConfigDict(frozen=True)

    request_hash: bytes
    validator: Address
    agent_id: int
    response: int
    response_hash: bytes
    tag: str
    last_update: int
    """When the request was made or last answered (unix time)."""


class ValidationSummary(Readable):
    model_config = ConfigDict(frozen=True)

    count: int
    average: int


Feedback.model_rebuild()
