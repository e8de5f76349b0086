"""The accounts' models: what an address is as a Charter account, and the calls an account makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Annotated, Any

from eth_abi import encode as abi_encode
from pydantic import ConfigDict

from .._core.abi_types import FunctionSignature
from .._core.checks import Address, Data, parse_address, uint
from .._core.display import Readable
from ..exceptions import InvalidInput

MAX_BATCH = 16
"""The most calls an account's owner makes in one ``executeBatch``."""
DELEGATION_PREFIX = bytes.fromhex("ef0100")
"""EIP-7702: an EOA's code is ``0xef0100 ‖ delegate address``."""


class AccountKind(str, Enum):  # noqa: UP042 - a StrEnum would change str(kind)
    DEPLOYED = "deployed"
    EIP7702 = "eip7702"


class AccountInfo(Readable):
    """What an address is, as a Charter account."""

    model_config = ConfigDict(frozen=True)

    address: str
    kind: AccountKind
    owner: str
    manager: str
    balance: int
    epoch: int
    max_session_length: int


class Call(Readable):
    """One call the account makes: `target`, `value` wei and calldata."""

    model_config = ConfigDict(frozen=True)

    target: Address
    value: Annotated[int, uint(256)] = 0
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
        return parse_address(value)
    return value


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
