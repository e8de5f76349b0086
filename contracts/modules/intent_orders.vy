# pragma version ~=0.4.3
"""
@title Orders: decoding, canonical encoding, validation and resolution
@custom:contract-name intent_orders
@license MIT
@notice Stateless. Used by the IntentSettler (open, openFor, resolve,
        resolveFor, fill, recordUnfilled) and the HyperlaneReporter (the
        canonical layout), so every entry point that takes order bytes
        applies the same rules.
@dev One order, one id (invariant I5): an order's id is keccak256 of its
     canonical encoding, abi.encode(Order), and order bytes that decode to
     an order but are not its canonical encoding (trailing bytes, gaps,
     arrays in another order) are refused. Dirty high bits in an address or
     uint32 word are already refused by the ABI decoder.
     Reverts go through `_fail`: vyper emits about 120 bytes of code for
     each `assert` with a reason, and one shared encoder keeps the
     settler 2.4 KB smaller (EIP-170); `if not (check): _fail(reason)`
     costs no gas when the check holds.
"""


from . import intent_hashing
from . import intent_types


# ---------------------------------------------------------------- constants

_ADDRESS_LIMIT: constant(uint256) = 2**160
# Canonical layout. The CharterOrder tuple: a head of 10 words whose last two
# are the offsets of `inputs` (always 320) and `outputs` (352 + 64 per input),
# then inputs (a length word, 64 bytes each) and outputs (a length word, 128
# bytes each). abi.encode(CharterOrder) puts the tuple at byte 32 (after its
# offset word, 32); abi.encode(Order) puts the Order head (6 words, the last
# the data's offset, 192, at byte 192) at 32 and so the CharterOrder tuple at
# 224.
DATA_AT: constant(uint256) = 32
ORDER_DATA_AT: constant(uint256) = 224
_INPUTS_AT: constant(uint256) = 320


# ---------------------------------------------------------------- internal

@internal
@pure
def _canonical(size: uint256, at: uint256, inputs_offset: uint256, outputs_offset: uint256, inputs: uint256, outputs: uint256) -> bool:
    """
    @dev True if bytes of `size` bytes holding a CharterOrder tuple with
         `inputs` inputs and `outputs` outputs at byte `at` (DATA_AT in
         orderData, ORDER_DATA_AT in originData) are laid out exactly as
         its canonical encoding: the tuple's two array offsets (the words
         at `at` + 256 and `at` + 288) canonical and no byte after the
         outputs. The caller checks the offset words before the tuple (the
         first word, and in originData the data's offset at byte 192) and
         passes the words themselves, read where they are (no copy of the
         bytes). With the values checked by the ABI decoder (or, in the
         reporter, by the settler's record of these bytes), nothing but
         the canonical encoding passes.
    """
    # No overflow: `inputs` and `outputs` are lengths of decoded arrays
    # (at most 4) or, in the reporter, words it bounded first; `at` is 32 or 224.
    outputs_at: uint256 = unsafe_add(_INPUTS_AT + 32, unsafe_mul(64, inputs))
    return inputs_offset == _INPUTS_AT and outputs_offset == outputs_at and size == unsafe_add(unsafe_add(at + 32, outputs_at), unsafe_mul(128, outputs))


@internal
@pure
def _order_data(order_data_type: bytes32, order_data: Bytes[intent_types.ORDER_DATA_MAX]) -> intent_types.CharterOrder:
    """
    @dev Charter's order data: the type must be Charter's and the bytes the
         canonical abi.encode(CharterOrder).
    """
    if order_data_type != intent_hashing.CHARTER_ORDER_TYPEHASH:
        self._fail("intents: unknown order data type")
    data: intent_types.CharterOrder = abi_decode(order_data, intent_types.CharterOrder)
    if not (
        extract32(order_data, 0, output_type=uint256) == DATA_AT
        and self._canonical(
            len(order_data),
            DATA_AT,
            extract32(order_data, DATA_AT + 256, output_type=uint256),
            extract32(order_data, DATA_AT + 288, output_type=uint256),
            len(data.inputs),
            len(data.outputs),
        )
    ):
        self._fail("intents: non-canonical order")
    return data


@internal
@view
def _on_chain_order(order: intent_types.OnchainCrossChainOrder, user: address) -> intent_types.Order:
    """
    @dev The order `open` opens for `user`: the resolved openDeadline of
         an on-chain order is its fill deadline.
    """
    return intent_types.Order(
        user=user,
        originChainId=chain.id,
        originSettler=self,
        openDeadline=order.fillDeadline,
        fillDeadline=order.fillDeadline,
        data=self._order_data(order.orderDataType, order.orderData),
    )


@internal
@view
def _gasless_order(order: intent_types.GaslessCrossChainOrder) -> intent_types.Order:
    """
    @dev The order `openFor` opens: only on this settler and chain, until
         its open deadline, with the same nonce inside and outside.
    """
    if order.originSettler != self:
        self._fail("intents: wrong settler")
    if order.originChainId != chain.id:
        self._fail("intents: wrong chain")
    if block.timestamp > convert(order.openDeadline, uint256):
        self._fail("intents: open deadline passed")
    data: intent_types.CharterOrder = self._order_data(order.orderDataType, order.orderData)
    if data.nonce != order.nonce:
        self._fail("intents: nonce mismatch")
    return intent_types.Order(
        user=order.user,
        originChainId=chain.id,
        originSettler=self,
        openDeadline=order.openDeadline,
        fillDeadline=order.fillDeadline,
        data=data,
    )


@internal
@view
def _validate(order: intent_types.Order):
    """
    @dev The order's own fields: deadlines ordered and in the future,
         exclusivity well formed, inputs and outputs non-empty and
         positive, every output on the destination chain, an oracle for
         an order whose destination is not this settler on this chain.
    """
    data: intent_types.CharterOrder = order.data
    fill_deadline: uint256 = convert(order.fillDeadline, uint256)
    if fill_deadline <= block.timestamp:
        self._fail("intents: fill deadline passed")
    if order.openDeadline > order.fillDeadline:
        self._fail("intents: open after fill deadline")
    if convert(data.refundAfter, uint256) < fill_deadline + intent_types.MIN_REFUND_DELAY:
        self._fail("intents: refund too early")
    if data.exclusiveFiller == empty(address) and data.exclusivityDeadline != 0:
        self._fail("intents: no exclusive filler")
    if len(data.inputs) == 0 or len(data.outputs) == 0:
        self._fail("intents: empty order")
    for item: intent_types.Input in data.inputs:
        if item.amount == 0:
            self._fail("intents: zero amount")
    for output: intent_types.Output in data.outputs:
        if output.amount == 0:
            self._fail("intents: zero amount")
        if output.chainId != data.destinationChainId:
            self._fail("intents: output chain")
        if output.recipient == empty(bytes32):
            self._fail("intents: zero recipient")
        self._to_address(output.token)
        self._to_address(output.recipient)
    if data.destinationSettler == empty(bytes32):
        self._fail("intents: zero destination")
    if data.oracle == empty(address) and not self._is_here(data.destinationChainId, data.destinationSettler):
        self._fail("intents: no oracle")


@internal
@view
def _resolved(order: intent_types.Order) -> intent_types.ResolvedCrossChainOrder:
    """
    @dev maxSpent: the outputs (what the filler spends on the
         destination); minReceived: the inputs (what the filler receives
         on the origin; the recipient is not known before the fill); one
         fill instruction whose originData is abi.encode(order).
    """
    origin_data: Bytes[intent_types.ORIGIN_DATA_MAX] = abi_encode(order)
    received: DynArray[intent_types.Output, intent_types.MAX_INPUTS] = []
    for item: intent_types.Input in order.data.inputs:
        received.append(
            intent_types.Output(
                token=convert(convert(item.token, uint256), bytes32),
                amount=item.amount,
                recipient=empty(bytes32),
                chainId=chain.id,
            )
        )
    return intent_types.ResolvedCrossChainOrder(
        user=order.user,
        originChainId=order.originChainId,
        openDeadline=order.openDeadline,
        fillDeadline=order.fillDeadline,
        orderId=keccak256(origin_data),
        maxSpent=order.data.outputs,
        minReceived=received,
        fillInstructions=[
            intent_types.FillInstruction(
                destinationChainId=order.data.destinationChainId,
                destinationSettler=order.data.destinationSettler,
                originData=origin_data,
            )
        ],
    )


@internal
@view
def _is_here(chain_id: uint256, settler: bytes32) -> bool:
    """
    @dev True if (chain_id, settler) names this settler on this chain.
    """
    return chain_id == chain.id and settler == convert(convert(self, uint256), bytes32)


@internal
@pure
def _to_address(word: bytes32) -> address:
    """
    @dev An ERC-7683 bytes32 address word as an address (its high 12 bytes zero).
    """
    value: uint256 = convert(word, uint256)
    if value >= _ADDRESS_LIMIT:
        self._fail("intents: not an address")
    return convert(value, address)


@internal
@pure
def _fail(reason: String[40]):
    """
    @dev Revert with `reason` (the one place that encodes a reason).
    """
    raise reason
