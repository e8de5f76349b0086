"""The intents' models (pydantic v2): an order as the IntentSettler hashes it, and what is read back.

    Input          an escrowed input on the origin (token or native, amount)
    Output         what the filler delivers on the destination (token, amount, recipient)
    OrderData      Charter's ``orderData`` (orderDataType = :data:`ORDER_DATA_TYPE`)
    Order          everything an order commits to: ``order_id`` = keccak256(abi.encode(order)),
                   and ``origin_data`` = abi.encode(order) is its fill instruction's originData
    FillRecord     what a fill fixed on the destination: the payout address and the filler's agent
    OrderStatus    where an order stands (open, filled, expired, settled, refunded)

Addresses are EVM addresses in the SDK and bytes32 on the wire (as in
ERC-7683); the zero address as a token means the native currency. Everything
here is pure: no node is needed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import IntEnum
from typing import Annotated, Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak
from pydantic import ConfigDict, model_validator
from web3 import Web3

from .._core.checks import Address, uint
from .._core.display import ByName, Readable
from .._core.revert import format_time
from ..exceptions import InvalidInput

NATIVE = "0x" + "00" * 20
"""The token address that stands for the chain's native currency."""

MAX_INPUTS = 4
MAX_OUTPUTS = 4
MAX_SETTLE = 10
"""Orders settled or refunded in one transaction."""
MIN_REFUND_DELAY = 86_400
"""A refund without proof comes at least this long after the fill deadline."""
MAX_PROOF = 1_040

INPUT_TYPE = "Input(address token,uint256 amount)"
OUTPUT_TYPE = "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
CHARTER_ORDER_TYPE = (
    "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,address exclusiveFiller,"
    "uint32 exclusivityDeadline,uint256 destinationChainId,bytes32 destinationSettler,Input[] inputs,Output[] outputs)"
)
ORDER_DATA_TYPE: bytes = keccak(text=CHARTER_ORDER_TYPE + INPUT_TYPE + OUTPUT_TYPE)
"""Charter's ``orderDataType``: the EIP-712 type hash of ``CharterOrder``."""

OUTPUT_ABI = "(bytes32,uint256,bytes32,uint256)"
ORDER_DATA_ABI = f"(uint256,uint256,uint32,address,address,uint32,uint256,bytes32,(address,uint256)[],{OUTPUT_ABI}[])"
ORDER_ABI = f"(address,uint256,address,uint32,uint32,{ORDER_DATA_ABI})"

RECORD_FILLED = 1
RECORD_UNFILLED = 2


def word(address: str) -> bytes:
    """An address as the 32-byte word ERC-7683 carries."""
    return bytes(12) + bytes.fromhex(Web3.to_checksum_address(address)[2:])


def from_word(value: bytes) -> str:
    """The address in a 32-byte word; :class:`InvalidInput` if its high bytes are set."""
    value = bytes(value)
    if len(value) != 32 or any(value[:12]):
        raise InvalidInput(f"0x{value.hex()} is not an address padded to 32 bytes")
    return Web3.to_checksum_address(value[12:])


def record_hash(kind: int, payout: str = NATIVE, filler_agent_id: int = 0) -> bytes:
    """keccak256(abi.encode(kind, payout, fillerAgentId)): what a destination records."""
    values = [kind, Web3.to_checksum_address(payout), filler_agent_id]
    return keccak(abi_encode(["uint256", "address", "uint256"], values))


UNFILLED_RECORD = record_hash(RECORD_UNFILLED)
"""The record of an order not filled by its fill deadline."""


class Input(Readable):
    """An input held in escrow on the origin: ``token`` (:data:`NATIVE` for native value) and amount."""

    model_config = ConfigDict(frozen=True)

    token: Address
    amount: Annotated[int, uint(256)]

    @property
    def native(self) -> bool:
        return self.token == NATIVE

    def as_tuple(self) -> tuple[str, int]:
        return (self.token, self.amount)


class Output(Readable):
    """An output the filler delivers on chain `chain_id`: `amount` of `token` to `recipient`."""

    model_config = ConfigDict(frozen=True)

    token: Address
    amount: Annotated[int, uint(256)]
    recipient: Address
    chain_id: Annotated[int, uint(256)]

    @property
    def native(self) -> bool:
        return self.token == NATIVE

    def as_tuple(self) -> tuple[bytes, int, bytes, int]:
        return (word(self.token), self.amount, word(self.recipient), self.chain_id)

    @classmethod
    def from_tuple(cls, value: Any) -> Output:
        token, amount, recipient, chain_id = value
        return cls(token=from_word(token), amount=amount, recipient=from_word(recipient), chain_id=chain_id)


class OrderData(Readable):
    """Charter's order data (``orderData``), field for field as the settler decodes it."""

    model_config = ConfigDict(frozen=True)

    nonce: Annotated[int, uint(256)]
    agent_id: Annotated[int, uint(256)] = 0
    refund_after: Annotated[int, uint(32)]
    oracle: Address = NATIVE
    exclusive_filler: Address = NATIVE
    exclusivity_deadline: Annotated[int, uint(32)] = 0
    destination_chain_id: Annotated[int, uint(256)]
    destination_settler: Address
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.nonce,
            self.agent_id,
            self.refund_after,
            self.oracle,
            self.exclusive_filler,
            self.exclusivity_deadline,
            self.destination_chain_id,
            word(self.destination_settler),
            [i.as_tuple() for i in self.inputs],
            [o.as_tuple() for o in self.outputs],
        )

    def encode(self) -> bytes:
        """``orderData``: abi.encode(CharterOrder)."""
        return abi_encode([ORDER_DATA_ABI], [self.as_tuple()])

    @classmethod
    def from_tuple(cls, value: Any) -> OrderData:
        nonce, agent_id, refund_after, oracle, filler, deadline, chain_id, settler, inputs, outputs = value
        return cls(
            nonce=nonce,
            agent_id=agent_id,
            refund_after=refund_after,
            oracle=oracle,
            exclusive_filler=filler,
            exclusivity_deadline=deadline,
            destination_chain_id=chain_id,
            destination_settler=from_word(settler),
            inputs=tuple(Input(token=t, amount=a) for t, a in inputs),
            outputs=tuple(Output.from_tuple(o) for o in outputs),
        )


class Order(Readable):
    """Everything an order commits to: opened by `user` on `origin_chain_id`'s `origin_settler`.

    For an order opened on-chain (``open``) the open deadline is the fill
    deadline; a gasless order (``openFor``) has its own.
    """

    model_config = ConfigDict(frozen=True)

    user: Address
    origin_chain_id: Annotated[int, uint(256)]
    origin_settler: Address
    open_deadline: Annotated[int, uint(32)]
    fill_deadline: Annotated[int, uint(32)]
    data: OrderData

    @model_validator(mode="after")
    def _shape(self) -> Order:
        d = self.data
        if not 1 <= len(d.inputs) <= MAX_INPUTS or not 1 <= len(d.outputs) <= MAX_OUTPUTS:
            raise ValueError(f"an order has 1 to {MAX_INPUTS} inputs and 1 to {MAX_OUTPUTS} outputs")
        return self

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.user,
            self.origin_chain_id,
            self.origin_settler,
            self.open_deadline,
            self.fill_deadline,
            self.data.as_tuple(),
        )

    @property
    def origin_data(self) -> bytes:
        """abi.encode(order): the fill instruction's ``originData``."""
        return abi_encode([ORDER_ABI], [self.as_tuple()])

    @property
    def order_id(self) -> bytes:
        """keccak256(abi.encode(order))."""
        return keccak(self.origin_data)

    @property
    def order_id_hex(self) -> str:
        return "0x" + self.order_id.hex()

    def receipt(self, fill: FillRecord) -> bytes:
        """The settlement receipt the origin settler keeps once this order is settled with `fill`
        (``settlementReceipt(orderId)``): the top 248 bits of keccak256(abi.encode(orderId, user,
        openerAgentId, fillerAgentId, fillerChainId, payout, keccak256(abi.encode(inputs)))), the
        low byte zero. ``fillerChainId`` is the destination (the chain whose registry issued the
        filler's agent id)."""
        inputs = keccak(abi_encode(["(address,uint256)[]"], [[i.as_tuple() for i in self.data.inputs]]))
        digest = keccak(abi_encode(
            ["bytes32", "address", "uint256", "uint256", "uint256", "address", "bytes32"],
            [self.order_id, self.user, self.data.agent_id, fill.filler_agent_id, self.data.destination_chain_id,
             fill.payout, inputs],
        ))
        return (int.from_bytes(digest, "big") & ~0xFF).to_bytes(32, "big")

    @property
    def is_local(self) -> bool:
        """Whether the destination is the origin settler itself (filled and settled in one step)."""
        return (
            self.data.destination_chain_id == self.origin_chain_id
            and self.data.destination_settler == self.origin_settler
        )

    @property
    def native_in(self) -> int:
        return sum(i.amount for i in self.data.inputs if i.native)

    @property
    def native_out(self) -> int:
        return sum(o.amount for o in self.data.outputs if o.native)

    def on_chain(self) -> tuple[int, bytes, bytes]:
        """The ``OnchainCrossChainOrder`` tuple ``open`` takes."""
        return (self.fill_deadline, ORDER_DATA_TYPE, self.data.encode())

    def gasless(self) -> tuple[Any, ...]:
        """The ``GaslessCrossChainOrder`` tuple ``openFor`` takes."""
        return (
            self.origin_settler,
            self.user,
            self.data.nonce,
            self.origin_chain_id,
            self.open_deadline,
            self.fill_deadline,
            ORDER_DATA_TYPE,
            self.data.encode(),
        )

    @classmethod
    def from_tuple(cls, value: Any) -> Order:
        user, chain_id, settler, open_deadline, fill_deadline, data = value
        return cls(
            user=user,
            origin_chain_id=chain_id,
            origin_settler=settler,
            open_deadline=open_deadline,
            fill_deadline=fill_deadline,
            data=OrderData.from_tuple(data),
        )

    @classmethod
    def from_origin_data(cls, origin_data: bytes) -> Order:
        """The order a fill instruction's ``originData`` encodes; :class:`InvalidInput` if it is
        none, or if the bytes are not its canonical encoding (one order, one id: the settler
        refuses any other bytes, "intents: non-canonical order")."""
        try:
            (value,) = abi_decode([ORDER_ABI], bytes(origin_data))
            order = cls.from_tuple(value)
        except (DecodingError, ValueError, TypeError, InvalidInput) as exc:
            raise InvalidInput(f"originData is not a Charter order: {exc}") from None
        if order.origin_data != bytes(origin_data):
            raise InvalidInput(
                f"originData decodes to order {order.order_id_hex[:10]}… but is not its canonical encoding "
                "(extra bytes, gaps or reordered arrays); the settler refuses it: use the order's own originData"
            )
        return order

    def describe(self) -> list[str]:
        """The order in words (for humans and the CLI)."""
        d = self.data
        gives = ", ".join(f"{i.amount:,} of {'native' if i.native else i.token}" for i in d.inputs)
        wants = ", ".join(
            f"{o.amount:,} of {'native' if o.native else o.token} to {o.recipient}" for o in d.outputs
        )
        lines = [
            f"order {self.order_id_hex} by {self.user}" + (f" for agent {d.agent_id}" if d.agent_id else ""),
            f"  - escrow on chain {self.origin_chain_id}: {gives}",
            f"  - wanted on chain {d.destination_chain_id}: {wants}",
            f"  - fill by {format_time(self.fill_deadline)}; refund without proof after {format_time(d.refund_after)}",
        ]
        if d.exclusive_filler != NATIVE:
            lines.append(f"  - only {d.exclusive_filler} may fill until {format_time(d.exclusivity_deadline)}")
        return lines


class FillRecord(Readable):
    """What a fill fixed: where the escrow goes on the origin, and the filler's agent (0 for none)."""

    model_config = ConfigDict(frozen=True)

    payout: Address
    filler_agent_id: Annotated[int, uint(256)] = 0

    @property
    def hash(self) -> bytes:
        return record_hash(RECORD_FILLED, self.payout, self.filler_agent_id)

    def filler_data(self) -> bytes:
        """``fillerData`` for ``fill``: abi.encode(payout, fillerAgentId)."""
        return abi_encode(["address", "uint256"], [self.payout, self.filler_agent_id])


class OrderStatus(ByName, IntEnum):
    """Where an order stands, as its origin (and, for FILLED / EXPIRED, its destination) sees it."""

    UNKNOWN = 0
    """Never opened on this settler."""
    OPEN = 1
    """In escrow, not filled yet."""
    SETTLED = 2
    """Filled, proven and paid to the filler."""
    REFUNDED = 3
    """Not filled; the escrow went back to the user."""
    FILLED = 4
    """Filled on the destination; waiting for the proof on the origin."""
    EXPIRED = 5
    """Not filled by its fill deadline; waiting for the refund."""


class SkipReason(ByName, IntEnum):
    """Why a settle or refund batch skipped an order (its ``SettleSkipped`` / ``RefundSkipped`` event)."""

    UNKNOWN = 1
    """Never opened on this settler."""
    SETTLED = 2
    """Already settled."""
    REFUNDED = 3
    """Already refunded."""
    LOCAL = 4
    """settle: destined for the origin settler itself, so settled by its fill."""
    NOT_PROVEN = 5
    """The oracle did not prove the fill (settle) or the non-fill (refund)."""
    NOT_EXPIRED = 6
    """refund: a local order whose fill deadline has not passed."""

    @property
    def closed(self) -> bool:
        """Whether the order is already settled or refunded (nothing more to do)."""
        return self in (SkipReason.SETTLED, SkipReason.REFUNDED)


@dataclass(frozen=True)
class Credit:
    """A payment of escrow its receiver refused (or did not take within the settler's
    ``PAY_GAS``), kept for it by the settler: ``Intents.withdraw`` collects it."""

    account: str
    token: str
    """``NATIVE`` for native value."""
    amount: int


@dataclass(frozen=True)
class BatchOutcome:
    """What one settle or refund transaction did, order by order (from its events)."""

    tx_hash: str
    landed: tuple[bytes, ...]
    """The ids of the orders it settled or refunded, in order."""
    skipped: dict[bytes, SkipReason]
    """The ids of the orders it skipped, and why."""
    credits: tuple[Credit, ...] = ()
    """Payments it credited instead of sending (the receiver refused them)."""


def new_nonce() -> int:
    """A random order nonce (unordered: any unused value works)."""
    return secrets.randbits(64)


__all__ = [
    "MAX_INPUTS",
    "MAX_OUTPUTS",
    "MAX_PROOF",
    "MAX_SETTLE",
    "MIN_REFUND_DELAY",
    "NATIVE",
    "ORDER_DATA_TYPE",
    "UNFILLED_RECORD",
    "BatchOutcome",
    "Credit",
    "FillRecord",
    "Input",
    "Order",
    "OrderData",
    "OrderStatus",
    "Output",
    "SkipReason",
    "from_word",
    "new_nonce",
    "record_hash",
    "word",
]
