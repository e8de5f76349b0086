# pragma version 0.4.3
# pragma nonreentrancy on
# Optimized for size: the ERC-7683 structs make a large contract, and the
# EIP-170 margin matters more than the ~0.5% of gas this costs.
# pragma optimize codesize
"""
@title Charter IntentSettler
@custom:contract-name IntentSettler
@license MIT
@notice ERC-7683 v1 origin and destination settler, one address on every
        chain. On the origin an agent (or its principal) opens an order:
        its inputs go into escrow here. On the destination another agent
        fills it: it delivers the outputs to their recipients and names
        the address that is to receive the escrow on the origin. Back on
        the origin the escrow is released to that address only when the
        order's settlement oracle proves the fill, and refunded to the
        user only when the oracle proves that the destination recorded the
        order as not filled by its fill deadline, or after the order's own
        `refundAfter`, at least a day after the fill deadline. An order
        whose destination is this settler on this chain is settled by the
        fill itself.
@dev Storage: one status word per order on its origin (keyed by orderId =
     keccak256(abi.encode(Order)), which commits to every field, so the
     order itself travels in calldata), one record hash per order on its
     destination, and bitmap nonces of gasless orders. Order data type:
     `intent_hashing.CHARTER_ORDER_TYPEHASH`.
@custom:security The `agentId` of an order is verified: the user is the
                 agent's owner, operator, approved address or wallet, or a
                 Charter account executing a session of that agent; and the
                 agent is Active. Inputs are measured by balance delta.
                 No order is both settled and refunded: both need the
                 status Open and leave it.
"""


# ---------------------------------------------------------------- imports

from ethereum.ercs import IERC20
from snekmate.utils import eip712_domain_separator

from .modules import intent_hashing
from .modules import intent_types
from .modules import signatures


initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: eip712_domain_separator.eip712Domain


# ---------------------------------------------------------------- constants

ORDER_DATA_TYPE: public(constant(bytes32)) = intent_hashing.CHARTER_ORDER_TYPEHASH
# What a destination records for an order not filled by its fill deadline:
# keccak256(abi.encode(RECORD_UNFILLED, address(0), 0)) (a unit test checks it).
UNFILLED_RECORD: public(constant(bytes32)) = 0xef662a629ce07c9ed715124d8141a6e430d0a3065f8ce8074a7ea95e8751f184

_ADDRESS_LIMIT: constant(uint256) = 2**160


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))
SESSIONS: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IRegistry:
    def activeGeneration(agentId: uint256) -> uint256: view
    def consentSigners(agentId: uint256) -> (address, address): view
    def isAuthorizedOrOwner(spender: address, agentId: uint256) -> bool: view

interface ISessions:
    def actingAgentOf(account: address) -> uint256: view


# ---------------------------------------------------------------- storage

# Origin: orderId -> STATUS_*.
orderStatus: public(HashMap[bytes32, uint256])
# Destination: orderId -> record hash (a fill, or UNFILLED_RECORD).
fillRecords: public(HashMap[bytes32, bytes32])
# Gasless orders: user -> word position -> bitmap of used nonces.
nonceBitmap: public(HashMap[address, HashMap[uint256, uint256]])


# ---------------------------------------------------------------- events

event Open:
    orderId: indexed(bytes32)
    resolvedOrder: intent_types.ResolvedCrossChainOrder

event Filled:
    orderId: indexed(bytes32)
    filler: indexed(address)
    fillerAgentId: indexed(uint256)
    payout: address
    recordHash: bytes32

event RecordedUnfilled:
    orderId: indexed(bytes32)

event Settled:
    orderId: indexed(bytes32)
    openerAgentId: indexed(uint256)
    fillerAgentId: indexed(uint256)
    payout: address
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS]

event Refunded:
    orderId: indexed(bytes32)
    user: indexed(address)
    openerAgentId: indexed(uint256)
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS]

event NoncesInvalidated:
    user: indexed(address)
    wordPos: uint256
    mask: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address, sessions: address):
    """
    @param registry The AgentRegistry that vouches for agents.
    @param sessions The SessionManager whose sessions may open orders for
           their agent.
    """
    assert registry != empty(address) and sessions != empty(address), "intents: zero address"
    REGISTRY = registry
    SESSIONS = sessions
    eip712_domain_separator.__init__(intent_hashing.EIP712_NAME, intent_hashing.EIP712_VERSION)


# ---------------------------------------------------------------- origin: open

@external
@payable
def open(order: intent_types.OnchainCrossChainOrder):
    """
    @notice Open an order as `msg.sender`: its inputs move into escrow
            (native inputs are `msg.value`, ERC-20 inputs are pulled with
            `transferFrom`, so approve them first) and `Open` is emitted.
    @dev The resolved openDeadline of an on-chain order is its fill
         deadline. Make `orderData.nonce` unique per order (the same order
         with the same nonce opens once).
    @param order fillDeadline, ORDER_DATA_TYPE and abi.encode(CharterOrder).
    """
    full: intent_types.Order = self._on_chain_order(order, msg.sender)
    self._open(full, msg.sender, msg.value)


@external
def openFor(
    order: intent_types.GaslessCrossChainOrder,
    signature: Bytes[signatures.SIGNATURE_MAX],
    originFillerData: Bytes[intent_types.FILLER_DATA_MAX],
):
    """
    @notice Open an order the user signed (EIP-712 typed data, or ERC-1271
            for contract users such as Charter accounts); anyone may send
            it. The user's inputs are pulled with `transferFrom`.
    @param order The order as signed; `orderData.nonce` equals `nonce`.
    @param signature The user's signature of the order.
    @param originFillerData Ignored (kept for the standard's ABI).
    @custom:security Bound to this chain and settler (domain and fields);
                     the nonce is consumed, so it opens once; only until
                     `openDeadline` (inclusive); `invalidateNonces` cancels.
    """
    full: intent_types.Order = self._gasless_order(order)
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(intent_hashing._gasless_struct_hash(order, full.data))
    assert signatures._is_valid_signature(order.user, digest, signature), "intents: bad signature"
    self._use_nonce(order.user, order.nonce)
    self._open(full, order.user, 0)


@external
def invalidateNonces(wordPos: uint256, mask: uint256):
    """
    @notice Cancel gasless orders before they are opened: mark the nonces
            `256 * wordPos + i` used for every bit i set in `mask`.
    @param wordPos The bitmap word.
    @param mask The nonces to mark.
    """
    self.nonceBitmap[msg.sender][wordPos] |= mask
    log NoncesInvalidated(user=msg.sender, wordPos=wordPos, mask=mask)


@external
@view
def resolve(order: intent_types.OnchainCrossChainOrder) -> intent_types.ResolvedCrossChainOrder:
    """
    @notice The order `open` would open for `msg.sender` (same checks of
            the order's own fields; no balance or agent checks).
    @param order As for `open`.
    @return ResolvedCrossChainOrder As emitted in `Open`.
    """
    full: intent_types.Order = self._on_chain_order(order, msg.sender)
    self._validate(full)
    return self._resolved(full)


@external
@view
def resolveFor(
    order: intent_types.GaslessCrossChainOrder, originFillerData: Bytes[intent_types.FILLER_DATA_MAX]
) -> intent_types.ResolvedCrossChainOrder:
    """
    @notice The order `openFor` would open (no signature, nonce, balance or
            agent checks).
    @param order As for `openFor`.
    @param originFillerData Ignored.
    @return ResolvedCrossChainOrder As emitted in `Open`.
    """
    full: intent_types.Order = self._gasless_order(order)
    self._validate(full)
    return self._resolved(full)


# ---------------------------------------------------------------- destination: fill

@external
@payable
def fill(
    orderId: bytes32,
    originData: Bytes[intent_types.ORIGIN_DATA_MAX],
    fillerData: Bytes[intent_types.FILLER_DATA_MAX],
):
    """
    @notice Fill an order whose destination is this settler: deliver every
            output from `msg.sender` to its recipient (native outputs from
            `msg.value`, ERC-20 outputs with `transferFrom`) and record the
            fill, once, at or before the fill deadline. During the
            exclusivity window (up to and including `exclusivityDeadline`)
            only the exclusive filler may fill.
    @dev An order whose origin is also this settler is settled at once:
         its escrow goes to the payout address in the same transaction.
    @param orderId The order's id (keccak256 of `originData`).
    @param originData The fill instruction's originData: abi.encode(Order).
    @param fillerData Empty (payout to `msg.sender`, no agent) or
           abi.encode(address payout, uint256 fillerAgentId): where the
           escrow goes on the origin, and the filler's agent (0 for none;
           verified like an opener's).
    @custom:security The record fixes the payout; whoever settles cannot
                     change it. The filler's approvals are only used for
                     this order's outputs.
    """
    order: intent_types.Order = self._destination_order(orderId, originData)
    assert block.timestamp <= convert(order.fillDeadline, uint256), "intents: fill deadline passed"
    assert self.fillRecords[orderId] == empty(bytes32), "intents: already filled"
    if order.data.exclusiveFiller != empty(address) and block.timestamp <= convert(order.data.exclusivityDeadline, uint256):
        assert msg.sender == order.data.exclusiveFiller, "intents: exclusive filler"

    payout: address = msg.sender
    filler_agent_id: uint256 = 0
    if len(fillerData) != 0:
        payout, filler_agent_id = abi_decode(fillerData, (address, uint256))
        assert payout != empty(address), "intents: zero payout"
        self._require_agent(msg.sender, filler_agent_id)
    record: bytes32 = intent_hashing._record_hash(intent_types.RECORD_FILLED, payout, filler_agent_id)

    local: bool = self._is_origin(order)
    if local:
        assert self.orderStatus[orderId] == intent_types.STATUS_OPEN, "intents: not open"
        self.orderStatus[orderId] = intent_types.STATUS_SETTLED
    else:
        self.fillRecords[orderId] = record

    native: uint256 = 0
    for output: intent_types.Output in order.data.outputs:
        token: address = self._to_address(output.token)
        recipient: address = self._to_address(output.recipient)
        if token == empty(address):
            native += output.amount
            self._send_native(recipient, output.amount)
        else:
            self._token_call(token, abi_encode(msg.sender, recipient, output.amount, method_id=method_id("transferFrom(address,address,uint256)")))
    assert native == msg.value, "intents: wrong value"
    log Filled(orderId=orderId, filler=msg.sender, fillerAgentId=filler_agent_id, payout=payout, recordHash=record)

    if local:
        self._release(order.data.inputs, payout)
        log Settled(orderId=orderId, openerAgentId=order.data.agentId, fillerAgentId=filler_agent_id, payout=payout, inputs=order.data.inputs)


@external
def recordUnfilled(orderId: bytes32, originData: Bytes[intent_types.ORIGIN_DATA_MAX]):
    """
    @notice Record, after its fill deadline, that an order whose
            destination is this settler was not filled; it can never be
            filled afterwards. The record is what an oracle proves to the
            origin for a refund. Anyone may call it. A local order has no
            record (its fill settles it, its refund needs no proof).
    @param orderId The order's id.
    @param originData abi.encode(Order).
    """
    order: intent_types.Order = self._destination_order(orderId, originData)
    # Opened here means local: an order's id covers its origin settler and chain.
    assert self.orderStatus[orderId] == intent_types.STATUS_NONE, "intents: local order"
    assert block.timestamp > convert(order.fillDeadline, uint256), "intents: fill deadline not passed"
    assert self.fillRecords[orderId] == empty(bytes32), "intents: already filled"
    self.fillRecords[orderId] = UNFILLED_RECORD
    log RecordedUnfilled(orderId=orderId)


# ---------------------------------------------------------------- origin: settle and refund

@external
def settle(settlements: DynArray[intent_types.Settlement, intent_types.MAX_SETTLE]) -> uint256:
    """
    @notice Release the escrow of filled orders to the payout addresses
            their fills recorded, each on its oracle's proof. Anyone may
            call it; orders already settled or refunded are skipped, so a
            retry or a race with another relayer settles nothing twice.
    @param settlements Each order, its fill record (payout, fillerAgentId)
           and the proof for its oracle.
    @return uint256 How many orders were settled (at least one).
    """
    done: uint256 = 0
    n: uint256 = len(settlements)
    # By index, without copying each settlement: every internal call gets scalars.
    for i: uint256 in range(n, bound=intent_types.MAX_SETTLE):
        order_id: bytes32 = keccak256(abi_encode(settlements[i].order))
        if not self._is_pending(order_id, n):
            continue
        data: intent_types.CharterOrder = settlements[i].order.data
        assert not self._is_here(data.destinationChainId, data.destinationSettler), "intents: not filled"
        payout: address = settlements[i].payout
        filler_agent_id: uint256 = settlements[i].fillerAgentId
        record: bytes32 = intent_hashing._record_hash(intent_types.RECORD_FILLED, payout, filler_agent_id)
        assert self._proven(data.oracle, data.destinationChainId, data.destinationSettler, order_id, record, settlements[i].proof), "intents: fill not proven"
        self.orderStatus[order_id] = intent_types.STATUS_SETTLED
        self._release(data.inputs, payout)
        log Settled(orderId=order_id, openerAgentId=data.agentId, fillerAgentId=filler_agent_id, payout=payout, inputs=data.inputs)
        done += 1
    assert done != 0, "intents: nothing to settle"
    return done


@external
def refund(refunds: DynArray[intent_types.Refund, intent_types.MAX_SETTLE]) -> uint256:
    """
    @notice Return the escrow of unfilled orders to their users: on the
            oracle's proof that the destination recorded the order as not
            filled, without proof once `refundAfter` has passed, and for an
            order whose destination is this settler once its fill deadline
            has passed. Anyone may call it; orders already settled or
            refunded are skipped.
    @param refunds Each order and its proof (empty where none is needed).
    @return uint256 How many orders were refunded (at least one).
    """
    done: uint256 = 0
    n: uint256 = len(refunds)
    for i: uint256 in range(n, bound=intent_types.MAX_SETTLE):
        order_id: bytes32 = keccak256(abi_encode(refunds[i].order))
        if not self._is_pending(order_id, n):
            continue
        data: intent_types.CharterOrder = refunds[i].order.data
        if block.timestamp <= convert(data.refundAfter, uint256):
            if self._is_here(data.destinationChainId, data.destinationSettler):
                assert block.timestamp > convert(refunds[i].order.fillDeadline, uint256), "intents: fill deadline not passed"
            else:
                assert self._proven(data.oracle, data.destinationChainId, data.destinationSettler, order_id, UNFILLED_RECORD, refunds[i].proof), "intents: unfilled not proven"
        user: address = refunds[i].order.user
        self.orderStatus[order_id] = intent_types.STATUS_REFUNDED
        self._release(data.inputs, user)
        log Refunded(orderId=order_id, user=user, openerAgentId=data.agentId, inputs=data.inputs)
        done += 1
    assert done != 0, "intents: nothing to refund"
    return done


# ---------------------------------------------------------------- internal: orders

@internal
@view
def _on_chain_order(order: intent_types.OnchainCrossChainOrder, user: address) -> intent_types.Order:
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
    assert order.originSettler == self, "intents: wrong settler"
    assert order.originChainId == chain.id, "intents: wrong chain"
    assert block.timestamp <= convert(order.openDeadline, uint256), "intents: open deadline passed"
    data: intent_types.CharterOrder = self._order_data(order.orderDataType, order.orderData)
    assert data.nonce == order.nonce, "intents: nonce mismatch"
    return intent_types.Order(
        user=order.user,
        originChainId=chain.id,
        originSettler=self,
        openDeadline=order.openDeadline,
        fillDeadline=order.fillDeadline,
        data=data,
    )


@internal
@pure
def _order_data(order_data_type: bytes32, order_data: Bytes[intent_types.ORDER_DATA_MAX]) -> intent_types.CharterOrder:
    assert order_data_type == intent_hashing.CHARTER_ORDER_TYPEHASH, "intents: unknown order data type"
    return abi_decode(order_data, intent_types.CharterOrder)


@internal
@view
def _validate(order: intent_types.Order):
    """
    @dev The order's own fields: deadlines ordered and in the future,
         exclusivity well formed, inputs and outputs non-empty and
         positive, every output on the destination chain, an oracle for
         an order whose destination is elsewhere.
    """
    data: intent_types.CharterOrder = order.data
    fill_deadline: uint256 = convert(order.fillDeadline, uint256)
    assert fill_deadline > block.timestamp, "intents: fill deadline passed"
    assert order.openDeadline <= order.fillDeadline, "intents: open after fill deadline"
    assert convert(data.refundAfter, uint256) >= fill_deadline + intent_types.MIN_REFUND_DELAY, "intents: refund too early"
    if data.exclusiveFiller == empty(address):
        assert data.exclusivityDeadline == 0, "intents: no exclusive filler"
    assert len(data.inputs) != 0 and len(data.outputs) != 0, "intents: empty order"
    for item: intent_types.Input in data.inputs:
        assert item.amount != 0, "intents: zero amount"
    for output: intent_types.Output in data.outputs:
        assert output.amount != 0, "intents: zero amount"
        assert output.chainId == data.destinationChainId, "intents: output chain"
        assert output.recipient != empty(bytes32), "intents: zero recipient"
        self._to_address(output.token)
        self._to_address(output.recipient)
    assert data.destinationSettler != empty(bytes32), "intents: zero destination"
    assert self._is_destination(order) or data.oracle != empty(address), "intents: no oracle"


@internal
def _open(order: intent_types.Order, payer: address, paid: uint256):
    """
    @dev Validate, verify the agent, take the inputs into escrow, store the
         status and emit `Open`.
    """
    self._validate(order)
    self._require_agent(order.user, order.data.agentId)
    resolved: intent_types.ResolvedCrossChainOrder = self._resolved(order)
    order_id: bytes32 = resolved.orderId
    assert self.orderStatus[order_id] == intent_types.STATUS_NONE, "intents: order exists"
    self.orderStatus[order_id] = intent_types.STATUS_OPEN

    native: uint256 = 0
    for item: intent_types.Input in order.data.inputs:
        if item.token == empty(address):
            native += item.amount
        else:
            self._pull(item.token, payer, item.amount)
    assert native == paid, "intents: wrong value"
    log Open(orderId=order_id, resolvedOrder=resolved)


@internal
@view
def _resolved(order: intent_types.Order) -> intent_types.ResolvedCrossChainOrder:
    """
    @dev maxSpent: the outputs (what the filler spends on the
         destination); minReceived: the inputs (what the filler receives
         here; the recipient is not known before the fill); one fill
         instruction whose originData is abi.encode(order).
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
def _destination_order(order_id: bytes32, origin_data: Bytes[intent_types.ORIGIN_DATA_MAX]) -> intent_types.Order:
    """
    @dev The order `origin_data` encodes, if its id is `order_id` and its
         destination is this settler.
    """
    assert keccak256(origin_data) == order_id, "intents: order mismatch"
    order: intent_types.Order = abi_decode(origin_data, intent_types.Order)
    assert self._is_destination(order), "intents: wrong destination"
    return order


@internal
@view
def _is_destination(order: intent_types.Order) -> bool:
    return self._is_here(order.data.destinationChainId, order.data.destinationSettler)


@internal
@view
def _is_here(chain_id: uint256, settler: bytes32) -> bool:
    return chain_id == chain.id and settler == convert(convert(self, uint256), bytes32)


@internal
@view
def _is_origin(order: intent_types.Order) -> bool:
    return order.originChainId == chain.id and order.originSettler == self


@internal
@view
def _is_pending(order_id: bytes32, batch: uint256) -> bool:
    """
    @dev True if the order is Open here. An unknown order reverts; one
         already settled or refunded reverts when it is alone (so a
         single retry says why) and is skipped in a batch.
    """
    status: uint256 = self.orderStatus[order_id]
    assert status != intent_types.STATUS_NONE, "intents: unknown order"
    if batch == 1:
        assert status != intent_types.STATUS_SETTLED, "intents: already settled"
        assert status != intent_types.STATUS_REFUNDED, "intents: already refunded"
    return status == intent_types.STATUS_OPEN


@internal
@view
def _proven(
    oracle: address,
    destination_chain_id: uint256,
    destination_settler: bytes32,
    order_id: bytes32,
    record: bytes32,
    proof: Bytes[intent_types.PROOF_MAX],
) -> bool:
    """
    @dev Ask the order's own oracle whether its destination recorded
         `record`. A failing or codeless oracle proves nothing.
    """
    if oracle == empty(address) or not oracle.is_contract:
        return False
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(
        oracle,
        abi_encode(
            destination_chain_id,
            destination_settler,
            order_id,
            record,
            proof,
            method_id=method_id("isProven(uint256,bytes32,bytes32,bytes32,bytes)"),
        ),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    return success and len(answer) == 32 and convert(answer, uint256) == 1


# ---------------------------------------------------------------- internal: agents

@internal
@view
def _require_agent(actor: address, agent_id: uint256):
    """
    @dev `actor` may act for agent `agent_id` (0: no agent): the agent is
         Active and `actor` is its owner, an operator, its approved
         address, its wallet, or an account executing a session of it.
    """
    if agent_id == 0:
        return
    assert staticcall IRegistry(REGISTRY).activeGeneration(agent_id) != 0, "intents: agent not active"
    if staticcall IRegistry(REGISTRY).isAuthorizedOrOwner(actor, agent_id):
        return
    owner: address = empty(address)
    wallet: address = empty(address)
    owner, wallet = staticcall IRegistry(REGISTRY).consentSigners(agent_id)
    if actor == wallet:
        return
    assert staticcall ISessions(SESSIONS).actingAgentOf(actor) == agent_id, "intents: not the agent's"


@internal
def _use_nonce(user: address, nonce: uint256):
    word_pos: uint256 = nonce >> 8
    bit: uint256 = 1 << (nonce & 255)
    bitmap: uint256 = self.nonceBitmap[user][word_pos]
    assert bitmap & bit == 0, "intents: nonce used"
    self.nonceBitmap[user][word_pos] = bitmap | bit


# ---------------------------------------------------------------- internal: value

@internal
def _pull(token: address, payer: address, amount: uint256):
    """
    @dev transferFrom `payer` into escrow, measured: the balance must grow
         by exactly `amount` (refuses fee-on-transfer and rebasing tokens).
    """
    assert token.is_contract, "intents: token has no code"
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    self._token_call(token, abi_encode(payer, self, amount, method_id=method_id("transferFrom(address,address,uint256)")))
    assert staticcall IERC20(token).balanceOf(self) == before + amount, "intents: amount not received"


@internal
def _release(inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS], to: address):
    for item: intent_types.Input in inputs:
        if item.token == empty(address):
            self._send_native(to, item.amount)
        else:
            self._token_call(item.token, abi_encode(to, item.amount, method_id=method_id("transfer(address,uint256)")))


@internal
def _token_call(token: address, data: Bytes[100]):
    """
    @dev A token transfer that accepts tokens returning true or nothing
         and refuses those returning false, reverting or without code.
    """
    assert token.is_contract, "intents: token has no code"
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(token, data, max_outsize=32, revert_on_failure=False)
    # An empty answer (a token that returns nothing) converts to 0 only if empty.
    assert success and (len(answer) == 0 or convert(answer, uint256) != 0), "intents: token transfer failed"


@internal
def _send_native(to: address, amount: uint256):
    success: bool = raw_call(to, b"", value=amount, revert_on_failure=False)
    assert success, "intents: native transfer failed"


@internal
@pure
def _to_address(word: bytes32) -> address:
    value: uint256 = convert(word, uint256)
    assert value < _ADDRESS_LIMIT, "intents: not an address"
    return convert(value, address)
