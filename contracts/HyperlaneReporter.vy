# pragma version 0.4.3
"""
@title Charter HyperlaneReporter
@custom:contract-name HyperlaneReporter
@license MIT
@notice The destination half of settlement over Hyperlane. `report` reads
        what this chain's IntentSettler recorded for a batch of orders (a
        fill record or "not filled") and dispatches it through this chain's
        Mailbox to the HyperlaneOracle the orders name, on their origin
        domain:
            abi.encode(address originSettler, address destinationSettler,
                       bytes32[] orderIds, bytes32[] recordHashes)
        Anyone may call it and pays the Mailbox's fee (`quoteReport`); the
        excess is sent back, or credited (`withdraw`) to a payer that
        refuses ETH.
@dev Its configuration (Mailbox, settler) is immutable and local, so its
     address follows from this chain's alone and origin oracles can name it
     when they are deployed. The reporter checks each order's id against
     its originData and that its destination is this settler on this chain,
     so a caller can neither report for an order it invented nor send a
     record to an oracle the order did not name.
"""

from .modules import intent_types

MAX_BATCH: constant(uint256) = intent_types.MAX_SETTLE
# abi.encode(address, address, bytes32[10], bytes32[10]): 4 head words,
# two lengths, twenty items.
BODY_MAX: constant(uint256) = 832


interface IMailbox:
    def dispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> bytes32: payable
    def quoteDispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> uint256: view


interface ISettler:
    def fillRecords(orderId: bytes32) -> bytes32: view


MAILBOX: public(immutable(address))
SETTLER: public(immutable(address))

# ETH owed to payers that refused the refund of their excess fee.
credit: public(HashMap[address, uint256])


event Reported:
    messageId: indexed(bytes32)
    originDomain: indexed(uint32)
    oracle: indexed(address)
    orderIds: DynArray[bytes32, MAX_BATCH]


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
    body: Bytes[BODY_MAX] = b""
    oracle: bytes32 = empty(bytes32)
    body, oracle = self._message(orders)
    return staticcall IMailbox(MAILBOX).quoteDispatch(originDomain, oracle, body)


@external
@payable
def report(originDomain: uint32, orders: DynArray[Bytes[intent_types.ORIGIN_DATA_MAX], MAX_BATCH]) -> bytes32:
    """
    @notice Dispatch what the settler recorded for `orders` (their
            originData: one origin chain, settler and oracle) to their
            oracle on `originDomain` (the Hyperlane domain of their origin
            chain; a wrong domain only wastes the fee: no settler there
            knows these orders).
    @return The Hyperlane message id.
    """
    body: Bytes[BODY_MAX] = b""
    oracle: bytes32 = empty(bytes32)
    body, oracle = self._message(orders)
    fee: uint256 = staticcall IMailbox(MAILBOX).quoteDispatch(originDomain, oracle, body)
    assert msg.value >= fee, "hyperlane: fee too low"
    message_id: bytes32 = extcall IMailbox(MAILBOX).dispatch(originDomain, oracle, body, value=fee)
    excess: uint256 = msg.value - fee
    if excess != 0 and not raw_call(msg.sender, b"", value=excess, revert_on_failure=False):
        self.credit[msg.sender] += excess
    ids: DynArray[bytes32, MAX_BATCH] = []
    for data: Bytes[intent_types.ORIGIN_DATA_MAX] in orders:
        ids.append(keccak256(data))
    log Reported(messageId=message_id, originDomain=originDomain, oracle=convert(convert(oracle, uint256), address), orderIds=ids)
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
def _message(orders: DynArray[Bytes[intent_types.ORIGIN_DATA_MAX], MAX_BATCH]) -> (Bytes[BODY_MAX], bytes32):
    """
    @dev The message body for `orders` and the oracle they name (as
         bytes32). Every order is destined for this settler on this chain,
         shares the first one's origin settler, chain and oracle, and has a
         record here.
    """
    assert len(orders) != 0, "hyperlane: no orders"
    here: bytes32 = convert(convert(SETTLER, uint256), bytes32)
    first: intent_types.Order = abi_decode(orders[0], intent_types.Order)
    ids: DynArray[bytes32, MAX_BATCH] = []
    records: DynArray[bytes32, MAX_BATCH] = []
    for data: Bytes[intent_types.ORIGIN_DATA_MAX] in orders:
        order: intent_types.Order = abi_decode(data, intent_types.Order)
        assert order.data.destinationChainId == chain.id and order.data.destinationSettler == here, "hyperlane: not destined here"
        assert order.originChainId == first.originChainId and order.originSettler == first.originSettler and order.data.oracle == first.data.oracle, "hyperlane: mixed batch"
        order_id: bytes32 = keccak256(data)
        record: bytes32 = staticcall ISettler(SETTLER).fillRecords(order_id)
        assert record != empty(bytes32), "hyperlane: no record"
        ids.append(order_id)
        records.append(record)
    body: Bytes[BODY_MAX] = abi_encode(first.originSettler, SETTLER, ids, records)
    return body, convert(convert(first.data.oracle, uint256), bytes32)
