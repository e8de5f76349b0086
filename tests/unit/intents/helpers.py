"""Pure helpers for the IntentSettler unit tests.

Written from ERC-7683 v1 (../shared/INTENTS.md), EIP-712 and the ABI
specification, independently of the contracts and of the `charter`
package: the order records and their ABI encodings (eth_abi), orderId =
keccak256(abi.encode(Order)), the resolved order a settler should emit,
fill record hashes, the full EIP-712 typed data of a gasless order with its
nested `CharterOrder` (hashed by eth_account's `encode_typed_data`), and
the documented event layouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from ..helpers import SECP256K1_N, join, split

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = ROOT / "contracts"
MOCKS = ROOT / "tests" / "mocks"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\x00" * 32
NATIVE = ZERO_ADDRESS  # the input token of native value

DAY = 86_400
MIN_REFUND_DELAY = DAY
MAX_INPUTS = 4
MAX_OUTPUTS = 4

STATUS_NONE, STATUS_OPEN, STATUS_SETTLED, STATUS_REFUNDED = range(4)
# Why a settle / refund batch skipped an order (SettleSkipped, RefundSkipped).
SKIP_UNKNOWN, SKIP_SETTLED, SKIP_REFUNDED, SKIP_LOCAL, SKIP_NOT_PROVEN, SKIP_NOT_EXPIRED = range(1, 7)
RECORD_FILLED, RECORD_UNFILLED = 1, 2

EIP712_NAME = "Charter IntentSettler"
EIP712_VERSION = "1"

# ---------------------------------------------------------------- type strings

INPUT_TYPE = "Input(address token,uint256 amount)"
OUTPUT_TYPE = "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
CHARTER_ORDER_TYPE = (
    "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,"
    "address exclusiveFiller,uint32 exclusivityDeadline,uint256 destinationChainId,"
    "bytes32 destinationSettler,Input[] inputs,Output[] outputs)" + INPUT_TYPE + OUTPUT_TYPE
)
ORDER_DATA_TYPE = keccak(text=CHARTER_ORDER_TYPE)

# ---------------------------------------------------------------- ABI types

INPUT_ABI = "(address,uint256)"
OUTPUT_ABI = "(bytes32,uint256,bytes32,uint256)"
CHARTER_ORDER_ABI = f"(uint256,uint256,uint32,address,address,uint32,uint256,bytes32,{INPUT_ABI}[],{OUTPUT_ABI}[])"
ORDER_ABI = f"(address,uint256,address,uint32,uint32,{CHARTER_ORDER_ABI})"
ONCHAIN_ABI = "(uint32,bytes32,bytes)"
GASLESS_ABI = "(address,address,uint256,uint256,uint32,uint32,bytes32,bytes)"
FILL_INSTRUCTION_ABI = "(uint256,bytes32,bytes)"
SETTLEMENT_ABI = f"({ORDER_ABI},address,uint256,bytes)"
REFUND_ABI = f"({ORDER_ABI},bytes)"
RESOLVED_ABI = f"(address,uint256,uint32,uint32,bytes32,{OUTPUT_ABI}[],{OUTPUT_ABI}[],{FILL_INSTRUCTION_ABI}[])"


def fixed_key(label: str) -> Any:
    """A reproducible secp256k1 account from a label."""
    return Account.from_key(keccak(text=f"charter-unit-intents-{label}"))


def fixed_address(label: str) -> str:
    return to_checksum_address(keccak(text=f"charter-unit-intents-addr-{label}")[-20:])


def b32(address) -> bytes:
    """An address as ERC-7683's bytes32 (left-padded)."""
    return bytes(12) + bytes.fromhex(str(address)[2:])


def addr(word: bytes) -> str:
    return to_checksum_address(bytes(word)[-20:])


def sel(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def calldata(signature: str, types: list[str], args: list) -> bytes:
    """selector ++ abi.encode(args) for `signature` with explicit types."""
    return sel(signature) + abi_encode(types, args)


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Input:
    token: str
    amount: int

    def abi(self) -> tuple:
        return (to_checksum_address(str(self.token)), self.amount)


@dataclass(frozen=True)
class Output:
    token: bytes  # bytes32
    amount: int
    recipient: bytes  # bytes32
    chain_id: int

    def abi(self) -> tuple:
        return (bytes(self.token), self.amount, bytes(self.recipient), self.chain_id)


def output(token, amount: int, recipient, chain_id: int) -> Output:
    """An output paying `amount` of `token` (an address; the zero address
    for native value) to `recipient` (an address) on `chain_id`."""
    return Output(b32(token), amount, b32(recipient), chain_id)


@dataclass(frozen=True)
class CharterOrder:
    nonce: int
    agent_id: int
    refund_after: int
    oracle: str
    exclusive_filler: str
    exclusivity_deadline: int
    destination_chain_id: int
    destination_settler: bytes  # bytes32
    inputs: tuple[Input, ...] = ()
    outputs: tuple[Output, ...] = ()

    def abi(self) -> tuple:
        return (
            self.nonce,
            self.agent_id,
            self.refund_after,
            to_checksum_address(str(self.oracle)),
            to_checksum_address(str(self.exclusive_filler)),
            self.exclusivity_deadline,
            self.destination_chain_id,
            bytes(self.destination_settler),
            [i.abi() for i in self.inputs],
            [o.abi() for o in self.outputs],
        )

    def encode(self) -> bytes:
        """orderData: abi.encode(CharterOrder)."""
        return abi_encode([CHARTER_ORDER_ABI], [self.abi()])

    def typed(self) -> dict:
        """The EIP-712 message of the nested CharterOrder."""
        return {
            "nonce": self.nonce,
            "agentId": self.agent_id,
            "refundAfter": self.refund_after,
            "oracle": to_checksum_address(str(self.oracle)),
            "exclusiveFiller": to_checksum_address(str(self.exclusive_filler)),
            "exclusivityDeadline": self.exclusivity_deadline,
            "destinationChainId": self.destination_chain_id,
            "destinationSettler": bytes(self.destination_settler),
            "inputs": [{"token": to_checksum_address(str(i.token)), "amount": i.amount} for i in self.inputs],
            "outputs": [
                {
                    "token": bytes(o.token),
                    "amount": o.amount,
                    "recipient": bytes(o.recipient),
                    "chainId": o.chain_id,
                }
                for o in self.outputs
            ],
        }


@dataclass(frozen=True)
class Order:
    """Everything an order commits to (the settler's `Order`)."""

    user: str
    origin_chain_id: int
    origin_settler: str
    open_deadline: int
    fill_deadline: int
    data: CharterOrder = field(repr=False)

    def abi(self) -> tuple:
        return (
            to_checksum_address(str(self.user)),
            self.origin_chain_id,
            to_checksum_address(str(self.origin_settler)),
            self.open_deadline,
            self.fill_deadline,
            self.data.abi(),
        )

    def encode(self) -> bytes:
        """originData: abi.encode(Order)."""
        return abi_encode([ORDER_ABI], [self.abi()])

    @property
    def id(self) -> bytes:
        return keccak(self.encode())

    def onchain(self, order_data_type: bytes = ORDER_DATA_TYPE) -> tuple:
        """OnchainCrossChainOrder(fillDeadline, orderDataType, orderData)."""
        return (self.fill_deadline, order_data_type, self.data.encode())

    def gasless(self, nonce: int | None = None, order_data_type: bytes = ORDER_DATA_TYPE) -> tuple:
        """GaslessCrossChainOrder as the user signs it (`nonce` overrides
        the order data's nonce in the outer field)."""
        return (
            to_checksum_address(str(self.origin_settler)),
            to_checksum_address(str(self.user)),
            self.data.nonce if nonce is None else nonce,
            self.origin_chain_id,
            self.open_deadline,
            self.fill_deadline,
            order_data_type,
            self.data.encode(),
        )

    @property
    def native_in(self) -> int:
        return sum(i.amount for i in self.data.inputs if int(i.token, 16) == 0)

    @property
    def native_out(self) -> int:
        return sum(o.amount for o in self.data.outputs if int.from_bytes(o.token, "big") == 0)

    def but(self, **changes) -> Order:
        """A copy with Order fields or CharterOrder fields changed."""
        mine = {k: v for k, v in changes.items() if k in Order.__dataclass_fields__}
        theirs = {k: v for k, v in changes.items() if k not in mine}
        data = replace(self.data, **theirs) if theirs else self.data
        return replace(self, data=data, **mine)


def resolved(order: Order, origin_chain_id: int | None = None) -> tuple:
    """The ResolvedCrossChainOrder a Charter settler gives for `order`:
    maxSpent = the outputs, minReceived = the inputs (bytes32 token, no
    recipient, origin chain), one fill instruction carrying originData."""
    chain = order.origin_chain_id if origin_chain_id is None else origin_chain_id
    return (
        to_checksum_address(str(order.user)),
        order.origin_chain_id,
        order.open_deadline,
        order.fill_deadline,
        order.id,
        tuple(o.abi() for o in order.data.outputs),
        tuple((b32(i.token), i.amount, ZERO32, chain) for i in order.data.inputs),
        (
            (
                order.data.destination_chain_id,
                bytes(order.data.destination_settler),
                order.encode(),
            ),
        ),
    )


def normalize(value: Any) -> Any:
    """Nested tuples with checksummed addresses and bytes, for comparing a
    contract's answer (boa structs, lists) with `resolved`."""
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return to_checksum_address(value)
    if hasattr(value, "_asdict"):
        return tuple(normalize(v) for v in value._asdict().values())
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if hasattr(value, "address") and not isinstance(value, int):
        return to_checksum_address(str(value.address))
    return value


def record_hash(payout, filler_agent_id: int) -> bytes:
    """What a destination records for a fill: keccak256(abi.encode(1, payout, fillerAgentId))."""
    return keccak(abi_encode(["uint256", "address", "uint256"], [RECORD_FILLED, str(payout), filler_agent_id]))


UNFILLED_RECORD = keccak(abi_encode(["uint256", "address", "uint256"], [RECORD_UNFILLED, ZERO_ADDRESS, 0]))


def filler_data(payout, filler_agent_id: int) -> bytes:
    return abi_encode(["address", "uint256"], [str(payout), filler_agent_id])


def open_calldata(order: Order) -> bytes:
    return calldata(f"open({ONCHAIN_ABI})", [ONCHAIN_ABI], [order.onchain()])


# ---------------------------------------------------------------- EIP-712

EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
ORDER_TYPES = {
    "GaslessCrossChainOrder": [
        {"name": "originSettler", "type": "address"},
        {"name": "user", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "originChainId", "type": "uint256"},
        {"name": "openDeadline", "type": "uint32"},
        {"name": "fillDeadline", "type": "uint32"},
        {"name": "orderDataType", "type": "bytes32"},
        {"name": "orderData", "type": "CharterOrder"},
    ],
    "CharterOrder": [
        {"name": "nonce", "type": "uint256"},
        {"name": "agentId", "type": "uint256"},
        {"name": "refundAfter", "type": "uint32"},
        {"name": "oracle", "type": "address"},
        {"name": "exclusiveFiller", "type": "address"},
        {"name": "exclusivityDeadline", "type": "uint32"},
        {"name": "destinationChainId", "type": "uint256"},
        {"name": "destinationSettler", "type": "bytes32"},
        {"name": "inputs", "type": "Input[]"},
        {"name": "outputs", "type": "Output[]"},
    ],
    "Input": [
        {"name": "token", "type": "address"},
        {"name": "amount", "type": "uint256"},
    ],
    "Output": [
        {"name": "token", "type": "bytes32"},
        {"name": "amount", "type": "uint256"},
        {"name": "recipient", "type": "bytes32"},
        {"name": "chainId", "type": "uint256"},
    ],
}


def gasless_typed_data(
    order: Order,
    chain_id: int,
    settler,
    nonce: int | None = None,
    order_data_type: bytes = ORDER_DATA_TYPE,
) -> dict:
    """The full EIP-712 typed data of `order` as a GaslessCrossChainOrder in
    the domain of `settler` on `chain_id`."""
    (origin_settler, user, outer_nonce, origin_chain, open_dl, fill_dl, odt, _) = order.gasless(nonce, order_data_type)
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, **ORDER_TYPES},
        "primaryType": "GaslessCrossChainOrder",
        "domain": {
            "name": EIP712_NAME,
            "version": EIP712_VERSION,
            "chainId": chain_id,
            "verifyingContract": to_checksum_address(str(settler)),
        },
        "message": {
            "originSettler": origin_settler,
            "user": user,
            "nonce": outer_nonce,
            "originChainId": origin_chain,
            "openDeadline": open_dl,
            "fillDeadline": fill_dl,
            "orderDataType": odt,
            "orderData": order.data.typed(),
        },
    }


def typed_digest(typed: dict) -> bytes:
    signable = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_digest(signer, digest: bytes) -> bytes:
    """A 65-byte (r, s, v) signature of a raw digest (low s, v in {27, 28})."""
    return bytes(Account.unsafe_sign_hash(bytes(digest), signer.key).signature)


def high_s(signature: bytes) -> bytes:
    """The other ECDSA encoding of the same approval: s -> n - s, v flipped."""
    r, s, v = split(signature)
    return join(r, SECP256K1_N - s, 55 - v)


# ---------------------------------------------------------------- events

_INPUTS = f"{INPUT_ABI}[]"

# The documented IntentSettler events: (name, type, indexed).
EVENT_LAYOUTS: dict[str, list[tuple[str, str, bool]]] = {
    "Open": [("orderId", "bytes32", True), ("resolvedOrder", RESOLVED_ABI, False)],
    "Filled": [
        ("orderId", "bytes32", True),
        ("filler", "address", True),
        ("fillerAgentId", "uint256", True),
        ("payout", "address", False),
        ("recordHash", "bytes32", False),
    ],
    "RecordedUnfilled": [("orderId", "bytes32", True)],
    "Settled": [
        ("orderId", "bytes32", True),
        ("openerAgentId", "uint256", True),
        ("fillerAgentId", "uint256", True),
        ("payout", "address", False),
        ("inputs", _INPUTS, False),
    ],
    "Refunded": [
        ("orderId", "bytes32", True),
        ("user", "address", True),
        ("openerAgentId", "uint256", True),
        ("inputs", _INPUTS, False),
    ],
    "SettleSkipped": [("orderId", "bytes32", True), ("reason", "uint8", False)],
    "RefundSkipped": [("orderId", "bytes32", True), ("reason", "uint8", False)],
    "Credited": [("account", "address", True), ("token", "address", True), ("amount", "uint256", False)],
    "Withdrawn": [
        ("account", "address", True),
        ("token", "address", True),
        ("to", "address", False),
        ("amount", "uint256", False),
    ],
    "NoncesInvalidated": [
        ("user", "address", True),
        ("wordPos", "uint256", False),
        ("mask", "uint256", False),
    ],
}

OPEN_TOPIC = keccak(text=f"Open(bytes32,{RESOLVED_ABI})")


# ---------------------------------------------------------------- non-canonical encodings (I5)

WORD = 32


def _word(value: int) -> bytes:
    return value.to_bytes(WORD, "big")


def _charter_tuple(data: CharterOrder, swap: bool = False, dirty_oracle: bool = False) -> bytes:
    """The CharterOrder tuple (no outer offset): its 10-word head, then the
    inputs and outputs arrays (outputs first if `swap`: same values, other
    offsets); `dirty_oracle` sets a high byte of the oracle address word."""
    head_types = ["uint256", "uint256", "uint32", "address", "address", "uint32", "uint256", "bytes32"]
    head = bytearray(abi_encode(head_types, list(data.abi()[:8])))
    if dirty_oracle:
        head[3 * WORD] = 0x01
    inputs = abi_encode([f"{INPUT_ABI}[]"], [[i.abi() for i in data.inputs]])[WORD:]
    outputs = abi_encode([f"{OUTPUT_ABI}[]"], [[o.abi() for o in data.outputs]])[WORD:]
    first, second = (outputs, inputs) if swap else (inputs, outputs)
    at_first, at_second = 10 * WORD, 10 * WORD + len(first)
    at_inputs, at_outputs = (at_second, at_first) if swap else (at_first, at_second)
    return bytes(head) + _word(at_inputs) + _word(at_outputs) + first + second


# Ways to encode the same order in other bytes that an ABI decoder may
# accept: trailing bytes, a gap before the tuple or its data, the arrays in
# the other order, dirty high bits in an address or a uint32.
NON_CANONICAL = ("trailing-word", "trailing-byte", "gap", "data-gap", "swapped-arrays", "dirty-address", "dirty-uint32")
# The forms of orderData (abi.encode(CharterOrder)): no Order head.
NON_CANONICAL_DATA = ("trailing-word", "trailing-byte", "gap", "swapped-arrays", "dirty-address")


def non_canonical_order(order: Order, kind: str) -> bytes:
    """abi.encode(order), re-encoded the `kind` way (see NON_CANONICAL)."""
    canonical = order.encode()
    if kind == "trailing-word":
        return canonical + bytes(WORD)
    if kind == "trailing-byte":
        return canonical + b"\x00"
    head = bytearray(abi_encode(["address", "uint256", "address", "uint32", "uint32"], list(order.abi()[:5])))
    if kind == "dirty-address":
        head[0] = 0x01  # user
    if kind == "dirty-uint32":
        head[4 * WORD] = 0x01  # fillDeadline
    tail = _charter_tuple(order.data, swap=kind == "swapped-arrays")
    if kind == "data-gap":
        encoded = _word(WORD) + bytes(head) + _word(7 * WORD) + bytes(WORD) + tail
    elif kind == "gap":
        encoded = _word(2 * WORD) + bytes(WORD) + bytes(head) + _word(6 * WORD) + tail
    else:
        encoded = _word(WORD) + bytes(head) + _word(6 * WORD) + tail
    assert encoded != canonical
    if kind in ("gap", "data-gap", "swapped-arrays"):  # the same values, decoded by a reference decoder
        from eth_abi import decode

        assert decode([ORDER_ABI], encoded) == decode([ORDER_ABI], canonical)
    return encoded


def non_canonical_data(data: CharterOrder, kind: str) -> bytes:
    """abi.encode(data) (orderData), re-encoded the `kind` way."""
    canonical = data.encode()
    if kind == "trailing-word":
        return canonical + bytes(WORD)
    if kind == "trailing-byte":
        return canonical + b"\x00"
    tail = _charter_tuple(data, swap=kind == "swapped-arrays", dirty_oracle=kind == "dirty-address")
    encoded = (_word(2 * WORD) + bytes(WORD) if kind == "gap" else _word(WORD)) + tail
    assert encoded != canonical
    return encoded
