"""Python model of Charter's intents layer for `test_intents.py`.

Written from the design (../shared/DESIGN.md, "Coordination"), ERC-7683 v1,
EIP-712 and the settler's documented order of checks, without the
`charter` package or the unit tests' helpers:

- the records an order commits to and their ABI encodings: orderId =
  keccak256(abi.encode(Order)), the gasless order's EIP-712 digest (with
  the nested `CharterOrder` struct), the AttesterOracle's `Attestation`
  digest, fill record hashes;
- `Model`: the origin status of every order, the destination records, the
  used gasless nonces (per settler, user and word) and every balance the
  calls touch (ERC-20 and native), with one method per settler entry point
  that either applies the call's effects or raises `Refused` with the
  revert reason the settler gives, checks in the settler's order. A refused
  call changes nothing (`Model.attempt` rolls back).

The oracle is modelled from its specification: a proof is valid when it is
at least THRESHOLD well-formed signatures, by strictly ascending current
members, of the digest the origin settler asks about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

# ---------------------------------------------------------------- constants

DAY = 86_400
MIN_REFUND_DELAY = DAY
THRESHOLD = 2  # of the 3-member committee
ZERO = "0x0000000000000000000000000000000000000000"
NATIVE = ZERO  # the input / output token of native value
STATUS_NONE, STATUS_OPEN, STATUS_SETTLED, STATUS_REFUNDED = range(4)
RECORD_FILLED, RECORD_UNFILLED = 1, 2

INPUT_TYPE = "Input(address token,uint256 amount)"
OUTPUT_TYPE = "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
CHARTER_ORDER_TYPE = (
    "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,address exclusiveFiller,"
    "uint32 exclusivityDeadline,uint256 destinationChainId,bytes32 destinationSettler,Input[] inputs,Output[] outputs)"
)
GASLESS_TYPE = (
    "GaslessCrossChainOrder(address originSettler,address user,uint256 nonce,uint256 originChainId,"
    "uint32 openDeadline,uint32 fillDeadline,bytes32 orderDataType,CharterOrder orderData)"
)
INPUT_TYPEHASH = keccak(text=INPUT_TYPE)
OUTPUT_TYPEHASH = keccak(text=OUTPUT_TYPE)
CHARTER_ORDER_TYPEHASH = keccak(text=CHARTER_ORDER_TYPE + INPUT_TYPE + OUTPUT_TYPE)
GASLESS_TYPEHASH = keccak(text=GASLESS_TYPE + CHARTER_ORDER_TYPE + INPUT_TYPE + OUTPUT_TYPE)
ORDER_DATA_TYPE = CHARTER_ORDER_TYPEHASH  # Charter's orderDataType
ATTESTATION_TYPEHASH = keccak(
    text="Attestation(uint256 originChainId,address originSettler,uint256 destinationChainId,"
    "bytes32 destinationSettler,bytes32 orderId,bytes32 recordHash)"
)
DOMAIN_TYPEHASH = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
SETTLER_NAME, ORACLE_NAME, VERSION = "Charter IntentSettler", "Charter AttesterOracle", "1"

INPUT_ABI = "(address,uint256)"
OUTPUT_ABI = "(bytes32,uint256,bytes32,uint256)"
CHARTER_ORDER_ABI = f"(uint256,uint256,uint32,address,address,uint32,uint256,bytes32,{INPUT_ABI}[],{OUTPUT_ABI}[])"
ORDER_ABI = f"(address,uint256,address,uint32,uint32,{CHARTER_ORDER_ABI})"


def addr(value) -> str:
    """Checksummed address of an address-like value (str, boa Address, contract)."""
    return to_checksum_address(str(getattr(value, "address", value)))


def b32(address) -> bytes:
    """An address as ERC-7683's bytes32 (left-padded)."""
    return bytes(12) + bytes.fromhex(addr(address)[2:])


def record_hash(payout: str, filler_agent_id: int) -> bytes:
    """What a destination records for a fill: keccak256(abi.encode(1, payout, fillerAgentId))."""
    return keccak(encode(["uint256", "address", "uint256"], [RECORD_FILLED, payout, filler_agent_id]))


UNFILLED_RECORD = keccak(encode(["uint256", "address", "uint256"], [RECORD_UNFILLED, ZERO, 0]))


def domain_separator(name: str, chain_id: int, contract: str) -> bytes:
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [DOMAIN_TYPEHASH, keccak(text=name), keccak(text=VERSION), chain_id, contract],
        )
    )


def typed_digest(separator: bytes, struct_hash: bytes) -> bytes:
    return keccak(b"\x19\x01" + separator + struct_hash)


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Output:
    token: str  # an address; NATIVE for native value
    amount: int
    recipient: str
    chain_id: int

    def abi(self) -> tuple:
        return (b32(self.token), self.amount, b32(self.recipient), self.chain_id)


@dataclass(frozen=True)
class CharterOrder:
    nonce: int
    agent_id: int
    refund_after: int
    oracle: str
    exclusive_filler: str
    exclusivity_deadline: int
    destination_chain_id: int
    destination_settler: str  # an address (bytes32 on the wire)
    inputs: tuple[tuple[str, int], ...]  # (token, amount)
    outputs: tuple[Output, ...]

    def abi(self) -> tuple:
        return (
            self.nonce,
            self.agent_id,
            self.refund_after,
            self.oracle,
            self.exclusive_filler,
            self.exclusivity_deadline,
            self.destination_chain_id,
            b32(self.destination_settler),
            list(self.inputs),
            [o.abi() for o in self.outputs],
        )

    @cached_property
    def encoded(self) -> bytes:
        """orderData: abi.encode(CharterOrder)."""
        return encode([CHARTER_ORDER_ABI], [self.abi()])

    @cached_property
    def struct_hash(self) -> bytes:
        """EIP-712 hash of the nested struct (arrays of structs: keccak of
        the concatenated element hashes)."""
        inputs = b"".join(
            keccak(encode(["bytes32", "address", "uint256"], [INPUT_TYPEHASH, t, a])) for t, a in self.inputs
        )
        outputs = b"".join(
            keccak(encode(["bytes32", "bytes32", "uint256", "bytes32", "uint256"], [OUTPUT_TYPEHASH, *o.abi()]))
            for o in self.outputs
        )
        return keccak(
            encode(
                ["bytes32", "uint256", "uint256", "uint32", "address", "address", "uint32", "uint256", "bytes32"]
                + ["bytes32", "bytes32"],
                [CHARTER_ORDER_TYPEHASH, *self.abi()[:8], keccak(inputs), keccak(outputs)],
            )
        )


@dataclass(frozen=True)
class Order:
    """Everything an order commits to (the settler's `Order`)."""

    user: str
    origin_chain_id: int
    origin_settler: str
    open_deadline: int
    fill_deadline: int
    data: CharterOrder

    def abi(self) -> tuple:
        return (
            self.user,
            self.origin_chain_id,
            self.origin_settler,
            self.open_deadline,
            self.fill_deadline,
            self.data.abi(),
        )

    @cached_property
    def encoded(self) -> bytes:
        """originData: abi.encode(Order)."""
        return encode([ORDER_ABI], [self.abi()])

    @cached_property
    def id(self) -> bytes:
        return keccak(self.encoded)

    def native_in(self) -> int:
        return sum(a for t, a in self.data.inputs if t == NATIVE)

    def native_out(self) -> int:
        return sum(o.amount for o in self.data.outputs if o.token == NATIVE)

    def onchain(self, order_data_type: bytes = ORDER_DATA_TYPE) -> tuple:
        """OnchainCrossChainOrder(fillDeadline, orderDataType, orderData)."""
        return (self.fill_deadline, order_data_type, self.data.encoded)


@dataclass(frozen=True)
class Gasless:
    """A GaslessCrossChainOrder as submitted (`nonce` is the outer field)."""

    order: Order  # originSettler, user, originChainId, deadlines and orderData
    nonce: int
    order_data_type: bytes = ORDER_DATA_TYPE

    def abi(self) -> tuple:
        o = self.order
        return (
            o.origin_settler,
            o.user,
            self.nonce,
            o.origin_chain_id,
            o.open_deadline,
            o.fill_deadline,
            self.order_data_type,
            o.data.encoded,
        )

    def digest(self, chain_id: int, settler: str) -> bytes:
        """The EIP-712 digest in the domain of `settler` on `chain_id`."""
        o = self.order
        struct = keccak(
            encode(
                ["bytes32", "address", "address", "uint256", "uint256", "uint32", "uint32", "bytes32", "bytes32"],
                [
                    GASLESS_TYPEHASH,
                    o.origin_settler,
                    o.user,
                    self.nonce,
                    o.origin_chain_id,
                    o.open_deadline,
                    o.fill_deadline,
                    self.order_data_type,
                    o.data.struct_hash,
                ],
            )
        )
        return typed_digest(domain_separator(SETTLER_NAME, chain_id, settler), struct)


def attestation_digest(
    oracle: str,
    origin_chain_id: int,
    origin_settler: str,
    destination_chain_id: int,
    destination_settler: str,
    order_id: bytes,
    record: bytes,
) -> bytes:
    struct = keccak(
        encode(
            ["bytes32", "uint256", "address", "uint256", "bytes32", "bytes32", "bytes32"],
            [
                ATTESTATION_TYPEHASH,
                origin_chain_id,
                origin_settler,
                destination_chain_id,
                b32(destination_settler),
                order_id,
                record,
            ],
        )
    )
    return typed_digest(domain_separator(ORACLE_NAME, origin_chain_id, oracle), struct)


@dataclass(frozen=True)
class Proof:
    """An attester proof as the model sees it: who signed which digest, in
    order (`malformed`: its length is not a multiple of 65)."""

    signed: tuple[tuple[str, bytes], ...] = ()
    malformed: bool = False


@dataclass(frozen=True)
class Signed:
    """A gasless signature as the model sees it: who signed which digest."""

    signer: str
    digest: bytes


# ---------------------------------------------------------------- model


# Other bytes for the same order that an ABI decoder accepts (I5): a word or
# a byte appended, a gap before the Order tuple or before its data, the
# inputs and outputs arrays in the other order.
NON_CANONICAL = ("trailing-word", "trailing-byte", "gap", "data-gap", "swapped-arrays")


def non_canonical(encoded: bytes, kind: str) -> bytes:
    """abi.encode(Order) (canonical: the CharterOrder tuple at byte 224, its
    inputs at 224 + 320), re-encoded the `kind` way."""
    word = 32
    zero = bytes(word)
    if kind == "trailing-word":
        return encoded + zero
    if kind == "trailing-byte":
        return encoded + b"\x00"
    if kind == "gap":  # the Order tuple one word further
        return (2 * word).to_bytes(word, "big") + zero + encoded[word:]
    if kind == "data-gap":  # the CharterOrder tuple one word further
        return encoded[:192] + (7 * word).to_bytes(word, "big") + zero + encoded[224:]
    assert kind == "swapped-arrays"
    at = 224
    inputs_at = at + 320
    n_in = int.from_bytes(encoded[inputs_at : inputs_at + word], "big")
    outputs_at = inputs_at + word + 64 * n_in
    inputs, outputs = encoded[inputs_at:outputs_at], encoded[outputs_at:]
    head = encoded[: at + 256]
    offsets = (320 + len(outputs)).to_bytes(word, "big") + (320).to_bytes(word, "big")
    return head + offsets + outputs + inputs


# Why a settle / refund batch skipped an order (SettleSkipped, RefundSkipped).
SKIP_UNKNOWN, SKIP_SETTLED, SKIP_REFUNDED, SKIP_LOCAL, SKIP_NOT_PROVEN, SKIP_NOT_EXPIRED = range(1, 7)


class Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def need(condition: bool, reason: str) -> None:
    if not condition:
        raise Refused(f"intents: {reason}")


@dataclass
class Model:
    origin_chain: int
    dest_chain: int
    origin: str  # the origin settler
    dest: str  # the destination settler
    oracle: str  # the AttesterOracle (has code)
    members: frozenset[str]
    agents: dict[int, str]  # Active agent -> owner (also its wallet: none is set)
    contracts: frozenset[str]  # addresses with code (oracle checks `is_contract`)
    bal: dict[tuple[str, str], int]  # (token, holder) -> balance; NATIVE for ETH
    status: dict[bytes, int] = field(default_factory=dict)  # orderStatus on the origin
    records: dict[tuple[str, bytes], bytes] = field(default_factory=dict)  # (settler, orderId) -> record
    fills: dict[bytes, tuple[str, int]] = field(default_factory=dict)  # orderId -> (payout, fillerAgentId)
    nonces: dict[tuple[str, str, int], int] = field(default_factory=dict)  # (settler, user, word) -> bitmap

    # ------------------------------------------------------------ plumbing

    def _state(self) -> tuple:
        return (dict(self.bal), dict(self.status), dict(self.records), dict(self.fills), dict(self.nonces))

    def attempt(self, method, *args):
        """Run `method`; on `Refused` restore the state and return the
        reason, else return (None, result)."""
        saved = self._state()
        try:
            return None, method(*args)
        except Refused as refusal:
            self.bal, self.status, self.records, self.fills, self.nonces = saved
            return refusal.reason, None

    def move(
        self, token: str, source: str, to: str, amount: int, native_reason: str = "native transfer failed"
    ) -> None:
        if self.bal.get((token, source), 0) < amount:
            raise Refused(f"intents: {native_reason if token == NATIVE else 'token transfer failed'}")
        self.bal[(token, source)] = self.bal.get((token, source), 0) - amount
        self.bal[(token, to)] = self.bal.get((token, to), 0) + amount

    def pay_value(self, sender: str, settler: str, value: int) -> None:
        """msg.value moves before the code runs (the machine funds every sender)."""
        assert self.bal.get((NATIVE, sender), 0) >= value, "the machine must fund its senders"
        self.move(NATIVE, sender, settler, value)

    def is_destination(self, order: Order, settler: str, chain: int) -> bool:
        return order.data.destination_chain_id == chain and order.data.destination_settler == settler

    def is_origin(self, order: Order, settler: str, chain: int) -> bool:
        return order.origin_chain_id == chain and order.origin_settler == settler

    def word(self, settler: str, user: str, word: int) -> int:
        return self.nonces.get((settler, user, word), 0)

    def record(self, settler: str, order_id: bytes) -> bytes:
        return self.records.get((settler, order_id), b"\x00" * 32)

    # ------------------------------------------------------------ checks

    def validate(self, order: Order, now: int, settler: str, chain: int) -> None:
        data = order.data
        need(order.fill_deadline > now, "fill deadline passed")
        need(order.open_deadline <= order.fill_deadline, "open after fill deadline")
        need(data.refund_after >= order.fill_deadline + MIN_REFUND_DELAY, "refund too early")
        if data.exclusive_filler == ZERO:
            need(data.exclusivity_deadline == 0, "no exclusive filler")
        need(len(data.inputs) != 0 and len(data.outputs) != 0, "empty order")
        for _token, amount in data.inputs:
            need(amount != 0, "zero amount")
        for out in data.outputs:
            need(out.amount != 0, "zero amount")
            need(out.chain_id == data.destination_chain_id, "output chain")
            need(out.recipient != ZERO, "zero recipient")
        need(data.destination_settler != ZERO, "zero destination")
        need(self.is_destination(order, settler, chain) or data.oracle != ZERO, "no oracle")

    def require_agent(self, actor: str, agent_id: int) -> None:
        if agent_id == 0:
            return
        need(agent_id in self.agents, "agent not active")
        # No operator, approval, wallet or session is ever set: only the owner
        # (also the agent's default wallet) acts for it.
        need(self.agents[agent_id] == actor, "not the agent's")

    def proven(self, order: Order, order_id: bytes, record: bytes, proof: Proof, settler: str, chain: int) -> bool:
        oracle = order.data.oracle
        if oracle == ZERO or oracle not in self.contracts or oracle != self.oracle:
            return False
        if proof.malformed or len(proof.signed) < THRESHOLD or len(proof.signed) > 16:
            return False
        expected = attestation_digest(
            oracle, chain, settler, order.data.destination_chain_id, order.data.destination_settler, order_id, record
        )
        previous = 0
        for signer, digest in proof.signed:
            # A signature of another digest recovers to an unrelated address.
            if digest != expected or int(signer, 16) <= previous or signer not in self.members:
                return False
            previous = int(signer, 16)
        return True

    # ------------------------------------------------------------ origin: open

    def _open(self, order: Order, payer: str, paid: int, settler: str, chain: int, now: int) -> bytes:
        self.validate(order, now, settler, chain)
        self.require_agent(order.user, order.data.agent_id)
        need(self.status.get(order.id, STATUS_NONE) == STATUS_NONE, "order exists")
        self.status[order.id] = STATUS_OPEN
        native = 0
        for token, amount in order.data.inputs:
            if token == NATIVE:
                native += amount
            else:
                self.move(token, payer, settler, amount)
        need(native == paid, "wrong value")
        return order.id

    def open(
        self, sender: str, fill_deadline: int, order_data_type: bytes, data: CharterOrder, value: int, now: int
    ) -> Order:
        """`open` on the origin settler, on the origin chain."""
        self.pay_value(sender, self.origin, value)
        need(order_data_type == ORDER_DATA_TYPE, "unknown order data type")
        order = Order(sender, self.origin_chain, self.origin, fill_deadline, fill_deadline, data)
        self._open(order, sender, value, self.origin, self.origin_chain, now)
        return order

    def open_for(self, gasless: Gasless, signed: Signed, settler: str, chain: int, now: int) -> Order:
        o = gasless.order
        need(o.origin_settler == settler, "wrong settler")
        need(o.origin_chain_id == chain, "wrong chain")
        need(now <= o.open_deadline, "open deadline passed")
        need(gasless.order_data_type == ORDER_DATA_TYPE, "unknown order data type")
        need(o.data.nonce == gasless.nonce, "nonce mismatch")
        need(signed.signer == o.user and signed.digest == gasless.digest(chain, settler), "bad signature")
        word, bit = gasless.nonce >> 8, 1 << (gasless.nonce & 255)
        need(self.word(settler, o.user, word) & bit == 0, "nonce used")
        self.nonces[(settler, o.user, word)] = self.word(settler, o.user, word) | bit
        order = Order(o.user, chain, settler, o.open_deadline, o.fill_deadline, o.data)
        self._open(order, o.user, 0, settler, chain, now)
        return order

    def invalidate(self, user: str, settler: str, word: int, mask: int) -> None:
        self.nonces[(settler, user, word)] = self.word(settler, user, word) | mask

    # ------------------------------------------------------------ destination

    def fill(
        self,
        sender: str,
        order: Order,
        filler_data: tuple[str, int] | None,
        value: int,
        settler: str,
        chain: int,
        now: int,
    ) -> tuple[bool, str, int]:
        """`fill`; returns (settled here, payout, fillerAgentId)."""
        self.pay_value(sender, settler, value)
        need(self.is_destination(order, settler, chain), "wrong destination")
        need(now <= order.fill_deadline, "fill deadline passed")
        need(self.record(settler, order.id) == b"\x00" * 32, "already filled")
        data = order.data
        if data.exclusive_filler != ZERO and now <= data.exclusivity_deadline:
            need(sender == data.exclusive_filler, "exclusive filler")
        payout, agent = sender, 0
        if filler_data is not None:
            payout, agent = filler_data
            need(payout != ZERO, "zero payout")
            self.require_agent(sender, agent)
        local = self.is_origin(order, settler, chain)
        if local:
            need(self.status.get(order.id, STATUS_NONE) == STATUS_OPEN, "not open")
            self.status[order.id] = STATUS_SETTLED
        else:
            self.records[(settler, order.id)] = record_hash(payout, agent)
            self.fills[order.id] = (payout, agent)
        native = 0
        for out in data.outputs:
            if out.token == NATIVE:
                native += out.amount
                self.move(NATIVE, settler, out.recipient, out.amount)
            else:
                self.move(out.token, sender, out.recipient, out.amount)
        need(native == value, "wrong value")
        if local:
            self.release(order, payout, settler)
        return local, payout, agent

    def record_unfilled(self, order: Order, settler: str, chain: int, now: int) -> None:
        need(self.is_destination(order, settler, chain), "wrong destination")
        # orders open only at the origin settler: one it opened is local
        opened_here = settler == self.origin and self.status.get(order.id, STATUS_NONE) != STATUS_NONE
        need(not opened_here, "local order")
        need(now > order.fill_deadline, "fill deadline not passed")
        need(self.record(settler, order.id) == b"\x00" * 32, "already filled")
        self.records[(settler, order.id)] = UNFILLED_RECORD

    # ------------------------------------------------------------ origin: settle and refund

    def release(self, order: Order, to: str, settler: str) -> None:
        for token, amount in order.data.inputs:
            self.move(token, settler, to, amount)

    def _not_open(self, order_id: bytes) -> int:
        """0 if the order is Open, else why a batch skips it (SKIP_*)."""
        status = self.status.get(order_id, STATUS_NONE)
        return {STATUS_OPEN: 0, STATUS_NONE: SKIP_UNKNOWN}.get(status, status)

    @staticmethod
    def _refuse(skips: list[int], settling: bool) -> None:
        """A call that took nothing: a single order says why, a batch that nothing was left."""
        if len(skips) != 1:
            need(False, "nothing to settle" if settling else "nothing to refund")
        reasons = {
            SKIP_UNKNOWN: "unknown order",
            SKIP_SETTLED: "already settled",
            SKIP_REFUNDED: "already refunded",
            SKIP_LOCAL: "not filled",
            SKIP_NOT_EXPIRED: "fill deadline not passed",
            SKIP_NOT_PROVEN: "fill not proven" if settling else "unfilled not proven",
        }
        need(False, reasons[skips[0]])

    def settle(self, items: list[tuple[Order, str, int, Proof]], chain: int) -> tuple[list[bytes], list[int]]:
        """`settle` on the origin settler; returns the ids settled, in order,
        and the skip reason of every item (0: settled)."""
        done, skips = [], []
        for order, payout, agent, proof in items:
            skip = self._not_open(order.id)
            if not skip and self.is_destination(order, self.origin, chain):
                skip = SKIP_LOCAL
            if not skip and not self.proven(order, order.id, record_hash(payout, agent), proof, self.origin, chain):
                skip = SKIP_NOT_PROVEN
            skips.append(skip)
            if skip:
                continue
            self.status[order.id] = STATUS_SETTLED
            self.release(order, payout, self.origin)
            done.append(order.id)
        if not done:
            self._refuse(skips, settling=True)
        return done, skips

    def refund(
        self, items: list[tuple[Order, Proof]], chain: int, now: int
    ) -> tuple[list[tuple[bytes, str]], list[int]]:
        """`refund` on the origin settler; returns (id, how) of the orders
        refunded (how is "proof", "timeout" or "local") and the skip reason
        of every item (0: refunded)."""
        done, skips = [], []
        for order, proof in items:
            skip = self._not_open(order.id)
            how = "timeout"
            if not skip and now <= order.data.refund_after:
                if self.is_destination(order, self.origin, chain):
                    skip = SKIP_NOT_EXPIRED if now <= order.fill_deadline else 0
                    how = "local"
                else:
                    proven = self.proven(order, order.id, UNFILLED_RECORD, proof, self.origin, chain)
                    skip = 0 if proven else SKIP_NOT_PROVEN
                    how = "proof"
            skips.append(skip)
            if skip:
                continue
            self.status[order.id] = STATUS_REFUNDED
            self.release(order, order.user, self.origin)
            done.append((order.id, how))
        if not done:
            self._refuse(skips, settling=False)
        return done, skips
