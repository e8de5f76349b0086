# pragma version 0.4.3
"""
@title Charter HyperlaneReporter
@custom:contract-name HyperlaneReporter
@license MIT
@notice The destination half of settlement over Hyperlane. `report` reads
        what this chain's IntentSettler recorded for a batch of orders (a
        fill record or "not filled") and dispatches it through this chain's
        Mailbox to the HyperlaneOracle the orders name, on their origin
        domain, packed:
            originSettler (20 bytes) ‖ destinationSettler (20 bytes) ‖
            per order: orderId (32) ‖ recordHash (32)
        Anyone may call it and pays the Mailbox's fee (`quoteReport`); the
        excess is sent back, or credited (`withdraw`) to a payer that
        refuses ETH.
@dev Its configuration (Mailbox, settler) is immutable and local, so its
     address follows from this chain's alone and origin oracles can name it
     when they are deployed. The reporter reports an order only for bytes
     whose id the settler recorded (the settler records only canonical
     encodings, so other bytes for the same order are refused: one order,
     one id) and checks that its destination is this settler on this
     chain, so a caller can neither report for an order it invented nor
     send a record to an oracle the order did not name.
"""

from .modules import intent_orders
from .modules import intent_types

MAX_BATCH: constant(uint256) = intent_types.MAX_SETTLE
# originSettler (20 bytes) ‖ destinationSettler (20) ‖ per order: id (32) ‖
# record (32): at most 680 bytes. The type bound is that of the concat that
# builds it (20 + 20 + the 704 bytes of abi_encode(pairs)).
PAIRS_MAX: constant(uint256) = 64 + 64 * MAX_BATCH
BODY_MAX: constant(uint256) = 40 + PAIRS_MAX
# Byte offsets in abi.encode(Order) (canonical: the order at 32, its data at
# 32 + 192): originChainId, originSettler, then the data's oracle,
# destinationChainId and destinationSettler.
ORIGIN_CHAIN: constant(uint256) = 64
ORIGIN_SETTLER: constant(uint256) = 96
ORACLE: constant(uint256) = 320
DESTINATION_CHAIN: constant(uint256) = 416
DESTINATION_SETTLER: constant(uint256) = 448
# The inputs' length word (the canonical offset of `inputs` in the data).
INPUTS: constant(uint256) = 544


interface IMailbox:
    def dispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> bytes32: payable
    def quoteDispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> uint256: view


interface ISettler:
    def fillRecords(orderId: bytes32) -> bytes32: view


MAILBOX: public(immutable(address))
SETTLER: public(immutable(address))

# ETH owed to payers that refused the refund of their excess fee.
credit: public(HashMap[address, uint256])


# The orders of one report: their ids and records, and what they share.
struct Batch:
    pairs: DynArray[bytes32, 2 * MAX_BATCH]  # id, record, id, record...
    originChain: uint256
    originSettler: address
    oracle: address


@deploy
def __init__(mailbox: address, settler: address):
    """
    @param mailbox This chain's Hyperlane Mailbox.
    @param settler This chain's IntentSettler (the destination settler).
    """
    assert mailbox.is_contract and settler.is_contract, "hyperlane: no code"
    MAILBOX = mailbox
    SETTLER = settler


@external
@view
def quoteReport(originDomain: uint32, orders: DynArray[Bytes[intent_types.ORIGIN_DATA_MAX], MAX_BATCH]) -> uint256:
    """
    @notice The Mailbox fee `report` needs for these orders.
    """
    assert len(orders) != 0, "hyperlane: no orders"
    batch: Batch = empty(Batch)
    for data: Bytes[intent_types.ORIGIN_DATA_MAX] in orders:
        batch = self._add(batch, data)
    return staticcall IMailbox(MAILBOX).quoteDispatch(originDomain, convert(convert(batch.oracle, uint256), bytes32), self._body(batch.originSettler, batch.pairs))


@external
@payable
def report(originDomain: uint32, orders: DynArray[Bytes[intent_types.ORIGIN_DATA_MAX], MAX_BATCH]) -> bytes32:
    """
    @notice Dispatch what the settler recorded for `orders` (their
            originData: one origin chain, settler and oracle) to their
            oracle on `originDomain` (the Hyperlane domain of their origin
            chain; a wrong domain only wastes the fee: no settler there
            knows these orders). The Mailbox's Dispatch event (sender: this
            reporter) carries the message.
    @return The Hyperlane message id.
    """
    assert len(orders) != 0, "hyperlane: no orders"
    batch: Batch = empty(Batch)
    for data: Bytes[intent_types.ORIGIN_DATA_MAX] in orders:
        batch = self._add(batch, data)
    oracle: bytes32 = convert(convert(batch.oracle, uint256), bytes32)
    body: Bytes[BODY_MAX] = self._body(batch.originSettler, batch.pairs)
    fee: uint256 = staticcall IMailbox(MAILBOX).quoteDispatch(originDomain, oracle, body)
    assert msg.value >= fee, "hyperlane: fee too low"
    message_id: bytes32 = extcall IMailbox(MAILBOX).dispatch(originDomain, oracle, body, value=fee)
    excess: uint256 = msg.value - fee
    if excess != 0 and not raw_call(msg.sender, b"", value=excess, revert_on_failure=False):
        self.credit[msg.sender] += excess
    return message_id


@external
def withdraw(to: address):
    """
    @notice Send the caller's credited excess fees to `to`.
    """
    amount: uint256 = self.credit[msg.sender]
    assert amount != 0, "hyperlane: no credit"
    self.credit[msg.sender] = 0
    assert raw_call(to, b"", value=amount, revert_on_failure=False), "hyperlane: transfer failed"


@internal
@view
def _add(batch: Batch, data: Bytes[intent_types.ORIGIN_DATA_MAX]) -> Batch:
    """
    @dev `batch` with one more order. The settler's record of it proves
         that the settler decoded exactly these bytes as an order destined
         for it on this chain when it filled or recorded it, and the
         settler records an order only under the id of its canonical
         encoding (I5): so bytes with a record are canonical and the fields
         read here sit at fixed offsets (the first two offset words are
         checked as well). Bytes without a record are refused, as "not
         canonical" when that is why (checked only then: no gas on the
         way that reports). Every order shares the first one's origin
         chain, origin settler and oracle.
    """
    order_id: bytes32 = keccak256(data)
    record: bytes32 = staticcall ISettler(SETTLER).fillRecords(order_id)
    if record == empty(bytes32):
        assert self._canonical(data), "hyperlane: not canonical"
        raise "hyperlane: no record"
    assert extract32(data, 0, output_type=uint256) == 32 and extract32(data, 192, output_type=uint256) == 192, "hyperlane: not canonical"
    assert extract32(data, DESTINATION_CHAIN, output_type=uint256) == chain.id and extract32(data, DESTINATION_SETTLER) == convert(convert(SETTLER, uint256), bytes32), "hyperlane: not destined here"
    origin_chain: uint256 = extract32(data, ORIGIN_CHAIN, output_type=uint256)
    origin_settler: address = extract32(data, ORIGIN_SETTLER, output_type=address)
    oracle: address = extract32(data, ORACLE, output_type=address)
    added: Batch = batch
    if len(batch.pairs) == 0:
        added.originChain = origin_chain
        added.originSettler = origin_settler
        added.oracle = oracle
    assert origin_chain == added.originChain and origin_settler == added.originSettler and oracle == added.oracle, "hyperlane: mixed batch"
    added.pairs.append(order_id)
    added.pairs.append(record)
    return added


@internal
@pure
def _canonical(data: Bytes[intent_types.ORIGIN_DATA_MAX]) -> bool:
    """
    @dev Whether `data` is laid out as a canonical abi.encode(Order): the
         offsets of the Order, of its data and of the data's arrays, and no
         byte after the outputs (intent_orders._canonical). Reverts on
         bytes too short to hold the words it reads.
    """
    at: uint256 = intent_orders.ORDER_DATA_AT
    inputs: uint256 = extract32(data, INPUTS, output_type=uint256)
    if inputs > intent_types.MAX_INPUTS:
        return False
    outputs: uint256 = extract32(data, INPUTS + 32 + 64 * inputs, output_type=uint256)
    return (
        outputs <= intent_types.MAX_OUTPUTS
        and extract32(data, 0, output_type=uint256) == 32
        and extract32(data, at - 32, output_type=uint256) == at - 32
        and intent_orders._canonical(
            len(data),
            at,
            extract32(data, at + 256, output_type=uint256),
            extract32(data, at + 288, output_type=uint256),
            inputs,
            outputs,
        )
    )


@internal
@view
def _body(origin_settler: address, pairs: DynArray[bytes32, 2 * MAX_BATCH]) -> Bytes[BODY_MAX]:
    """
    @dev The message body: the settlers, then the (id, record) words packed.
    """
    words: Bytes[PAIRS_MAX] = abi_encode(pairs)
    return concat(convert(origin_settler, bytes20), convert(SETTLER, bytes20), slice(words, 64, 32 * len(pairs)))

