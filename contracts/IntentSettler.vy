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
        fill itself. The ERC-7683 views `resolve` and `resolveFor` (and
        `eip712Domain`) are answered here by the suite's IntentView code.
@dev Storage: one status word per order on its origin (keyed by orderId =
     keccak256(abi.encode(Order)), which commits to every field, so the
     order itself travels in calldata), one record hash per order on its
     destination, bitmap nonces of gasless orders, and the credits of
     payments their receivers refused. Order data type:
     `intent_hashing.CHARTER_ORDER_TYPEHASH`. Order bytes are accepted
     only in their canonical encoding (`intent_orders`), so an order has
     one id. Reverts go through `intent_orders._fail` (one encoder for
     every reason: about 2.4 KB less code).
@custom:security The `agentId` of an order is verified: the user is the
                 agent's owner, operator, approved address or wallet, or a
                 Charter account executing a session of that agent; and the
                 agent is Active. Inputs are measured by balance delta.
                 No order is both settled and refunded: both need the
                 status Open and leave it. One order of a batch that cannot
                 be settled or refunded is skipped (an event says why), and
                 a payment its receiver refuses is credited to the receiver
                 (`withdraw`), so no single order blocks the others.
"""


# ---------------------------------------------------------------- imports

from .modules import intent_hashing
from .modules import intent_orders
from .modules import intent_types
from .modules import signatures


# ---------------------------------------------------------------- constants

ORDER_DATA_TYPE: public(constant(bytes32)) = intent_hashing.CHARTER_ORDER_TYPEHASH
# What a destination records for an order not filled by its fill deadline:
# keccak256(abi.encode(RECORD_UNFILLED, address(0), 0)) (a unit test checks it).
UNFILLED_RECORD: public(constant(bytes32)) = 0xef662a629ce07c9ed715124d8141a6e430d0a3065f8ce8074a7ea95e8751f184

# Gas given to a receiver of escrow (settle, refund, a local fill), native
# value or a token's `transfer`: enough for a smart account's `receive` or
# any common token, and a bound on what one receiver can burn in a batch.
# A payment that fails within it is credited to the receiver (`withdraw`).
PAY_GAS: public(constant(uint256)) = 100_000
# The largest answer of the IntentView: a ResolvedCrossChainOrder (about 3 KB).
_VIEW_ANSWER_MAX: constant(uint256) = 4_096


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))
SESSIONS: public(immutable(address))
# The IntentView, whose code answers this settler's views (`__default__`).
VIEW: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IRegistry:
    def activeGeneration(agentId: uint256) -> uint256: view
    def getAgentWallet(agentId: uint256) -> address: view
    def isAuthorizedOrOwner(spender: address, agentId: uint256) -> bool: view

interface ISessions:
    def actingAgentOf(account: address) -> uint256: view

interface IERC20:
    def balanceOf(owner: address) -> uint256: view


# ---------------------------------------------------------------- storage

# Origin: orderId -> STATUS_* (low byte) | a settled order's receipt (the 248 bits above).
_orders: HashMap[bytes32, uint256]
# Destination: orderId -> record hash (a fill, or UNFILLED_RECORD).
fillRecords: public(HashMap[bytes32, bytes32])
# Gasless orders: user -> word position -> bitmap of used nonces.
nonceBitmap: public(HashMap[address, HashMap[uint256, uint256]])
# Payments their receivers refused: receiver -> token (zero: native) -> amount.
credits: public(HashMap[address, HashMap[address, uint256]])


# ---------------------------------------------------------------- events

# An order opened here (ERC-7683's event, canonical topic): its id and what a filler needs.
event Open:
    orderId: indexed(bytes32)
    resolvedOrder: intent_types.ResolvedCrossChainOrder

# An order filled here (its destination): the record fixes payout and filler agent.
event Filled:
    orderId: indexed(bytes32)
    filler: indexed(address)
    fillerAgentId: indexed(uint256)
    payout: address
    recordHash: bytes32

# An order destined here not filled by its fill deadline: it never will be.
event RecordedUnfilled:
    orderId: indexed(bytes32)

# An order's escrow released to the payout its fill recorded (reputation evidence).
event Settled:
    orderId: indexed(bytes32)
    openerAgentId: indexed(uint256)
    fillerAgentId: indexed(uint256)
    payout: address
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS]

# An order's escrow returned to its user.
event Refunded:
    orderId: indexed(bytes32)
    user: indexed(address)
    openerAgentId: indexed(uint256)
    inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS]

# An order of a `settle` batch that was not settled, and why (SKIP_* of
# intent_types: 1 unknown, 2 already settled, 3 already refunded, 4 local
# order, 5 not proven).
event SettleSkipped:
    orderId: indexed(bytes32)
    reason: uint8

# An order of a `refund` batch that was not refunded, and why (SKIP_*: 1
# unknown, 2 already settled, 3 already refunded, 5 not proven, 6 a local
# order before its fill deadline passed).
event RefundSkipped:
    orderId: indexed(bytes32)
    reason: uint8

# A payment that `account` refused (or did not take within PAY_GAS), kept
# for it: `withdraw` sends it.
event Credited:
    account: indexed(address)
    token: indexed(address)
    amount: uint256

# `account` collected its credit in `token` (zero: native), sent to `to`.
event Withdrawn:
    account: indexed(address)
    token: indexed(address)
    to: address
    amount: uint256

# Gasless nonces `user` cancelled: 256 * wordPos + i for each bit i of `mask`.
event NoncesInvalidated:
    user: indexed(address)
    wordPos: uint256
    mask: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address, sessions: address, view: address):
    """
    @param registry The AgentRegistry that vouches for agents.
    @param sessions The SessionManager whose sessions may open orders for
           their agent.
    @param view The IntentView whose code answers this settler's views.
    """
    if registry == empty(address) or sessions == empty(address) or not view.is_contract:
        intent_orders._fail("intents: zero address")
    REGISTRY = registry
    SESSIONS = sessions
    VIEW = view


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
    @param order fillDeadline, ORDER_DATA_TYPE and abi.encode(CharterOrder)
           (canonical).
    """
    self._open(intent_orders._on_chain_order(order, msg.sender), msg.sender, msg.value)


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
    full: intent_types.Order = intent_orders._gasless_order(order)
    digest: bytes32 = intent_hashing._typed_digest(intent_hashing._gasless_struct_hash(order, full.data))
    if not signatures._is_valid_signature(order.user, digest, signature):
        intent_orders._fail("intents: bad signature")
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
@reentrant
@raw_return
def __default__() -> Bytes[_VIEW_ANSWER_MAX]:
    """
    @notice ERC-7683's `resolve` and `resolveFor` and EIP-5267's
            `eip712Domain` (listed in the settler's shipped ABI): the
            IntentView's code runs as this settler and its answer (or
            revert) is returned as it is. Anything else reverts there.
    @custom:security DELEGATECALL only to VIEW, an immutable fixed at
                     deployment: a suite contract without storage whose
                     functions are all views, so it changes nothing here.
                     Not payable. It takes no reentrancy lock (it changes
                     nothing), so contracts may call these views with
                     STATICCALL.
    """
    return raw_call(VIEW, msg.data, max_outsize=_VIEW_ANSWER_MAX, is_delegate_call=True)


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
         its escrow goes to the payout address in the same transaction (or
         is credited to it if it refuses).
    @param orderId The order's id (keccak256 of `originData`).
    @param originData The fill instruction's originData: abi.encode(Order),
           canonical (any other encoding is refused).
    @param fillerData Empty (payout to `msg.sender`, no agent) or
           abi.encode(address payout, uint256 fillerAgentId): where the
           escrow goes on the origin, and the filler's agent (0 for none;
           verified like an opener's).
    @custom:security The record fixes the payout; whoever settles cannot
                     change it. The filler's approvals are only used for
                     this order's outputs.
    """
    order: intent_types.Order = self._destination_order(orderId, originData)
    if block.timestamp > convert(order.fillDeadline, uint256):
        intent_orders._fail("intents: fill deadline passed")
    if self.fillRecords[orderId] != empty(bytes32):
        intent_orders._fail("intents: already filled")
    if order.data.exclusiveFiller != empty(address) and block.timestamp <= convert(order.data.exclusivityDeadline, uint256) and msg.sender != order.data.exclusiveFiller:
        intent_orders._fail("intents: exclusive filler")

    payout: address = msg.sender
    filler_agent_id: uint256 = 0
    if len(fillerData) != 0:
        payout, filler_agent_id = abi_decode(fillerData, (address, uint256))
        if payout == empty(address):
            intent_orders._fail("intents: zero payout")
        self._require_agent(msg.sender, filler_agent_id)
    record: bytes32 = intent_hashing._record_hash(intent_types.RECORD_FILLED, payout, filler_agent_id)

    local: bool = order.originChainId == chain.id and order.originSettler == self
    if local:
        if self._orders[orderId] != intent_types.STATUS_OPEN:
            intent_orders._fail("intents: not open")
        self._orders[orderId] = intent_hashing._receipt_word(
            orderId, order.user, order.data.agentId, filler_agent_id, chain.id, payout, order.data.inputs
        ) | intent_types.STATUS_SETTLED
    else:
        self.fillRecords[orderId] = record

    native: uint256 = 0
    for output: intent_types.Output in order.data.outputs:
        token: address = intent_orders._to_address(output.token)
        recipient: address = intent_orders._to_address(output.recipient)
        if token == empty(address):
            native += output.amount
            if not raw_call(recipient, b"", value=output.amount, revert_on_failure=False):
                intent_orders._fail("intents: native transfer failed")
        else:
            self._token_call(token, abi_encode(msg.sender, recipient, output.amount, method_id=method_id("transferFrom(address,address,uint256)")))
    if native != msg.value:
        intent_orders._fail("intents: wrong value")
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
    @param originData abi.encode(Order), canonical.
    """
    order: intent_types.Order = self._destination_order(orderId, originData)
    # Opened here means local: an order's id covers its origin settler and chain.
    if self._orders[orderId] != intent_types.STATUS_NONE:
        intent_orders._fail("intents: local order")
    if block.timestamp <= convert(order.fillDeadline, uint256):
        intent_orders._fail("intents: fill deadline not passed")
    if self.fillRecords[orderId] != empty(bytes32):
        intent_orders._fail("intents: already filled")
    self.fillRecords[orderId] = UNFILLED_RECORD
    log RecordedUnfilled(orderId=orderId)


# ---------------------------------------------------------------- origin: settle and refund

@external
def settle(settlements: DynArray[intent_types.Settlement, intent_types.MAX_SETTLE]) -> uint256:
    """
    @notice Release the escrow of filled orders to the payout addresses
            their fills recorded, each on its oracle's proof. Anyone may
            call it. An order that cannot be settled (unknown, already
            settled or refunded, local, not proven) is skipped with
            `SettleSkipped(orderId, reason)` and the others settle. A call
            that settles nothing reverts: a single order with the reason
            it was skipped for, a batch with "nothing to settle". A payout
            that refuses its payment is credited (`Credited`, `withdraw`).
    @param settlements Each order, its fill record (payout, fillerAgentId)
           and the proof for its oracle.
    @return uint256 Which orders were settled: bit i for settlements[i]
            (never zero: a batch that settles nothing reverts).
    """
    settled: uint256 = 0
    last: uint8 = 0
    n: uint256 = len(settlements)
    # By index, without copying each settlement: every internal call gets scalars.
    for i: uint256 in range(n, bound=intent_types.MAX_SETTLE):
        order_id: bytes32 = keccak256(abi_encode(settlements[i].order))
        skip: uint8 = self._not_open(order_id)
        data: intent_types.CharterOrder = settlements[i].order.data
        payout: address = settlements[i].payout
        filler_agent_id: uint256 = settlements[i].fillerAgentId
        if skip == 0 and intent_orders._is_here(data.destinationChainId, data.destinationSettler):
            skip = intent_types.SKIP_LOCAL
        if skip == 0:
            record: bytes32 = intent_hashing._record_hash(intent_types.RECORD_FILLED, payout, filler_agent_id)
            if not self._proven(data.oracle, data.destinationChainId, data.destinationSettler, order_id, record, settlements[i].proof):
                skip = intent_types.SKIP_NOT_PROVEN
        if skip != 0:
            last = skip
            log SettleSkipped(orderId=order_id, reason=skip)
            continue
        self._orders[order_id] = intent_hashing._receipt_word(
            order_id, settlements[i].order.user, data.agentId, filler_agent_id, data.destinationChainId, payout,
            data.inputs,
        ) | intent_types.STATUS_SETTLED
        self._release(data.inputs, payout)
        log Settled(orderId=order_id, openerAgentId=data.agentId, fillerAgentId=filler_agent_id, payout=payout, inputs=data.inputs)
        settled |= 1 << i
    if settled == 0:
        self._refuse(last, n, True)
    return settled


@external
def refund(refunds: DynArray[intent_types.Refund, intent_types.MAX_SETTLE]) -> uint256:
    """
    @notice Return the escrow of unfilled orders to their users: on the
            oracle's proof that the destination recorded the order as not
            filled, without proof once `refundAfter` has passed, and for an
            order whose destination is this settler once its fill deadline
            has passed. Anyone may call it. An order that cannot be
            refunded is skipped with `RefundSkipped(orderId, reason)` and
            the others are refunded. A call that refunds nothing reverts:
            a single order with the reason it was skipped for, a batch with
            "nothing to refund". A user who refuses the refund (a contract
            without `receive`, a token that refuses it) is credited
            (`Credited`, `withdraw`).
    @param refunds Each order and its proof (empty where none is needed).
    @return uint256 Which orders were refunded: bit i for refunds[i] (never
            zero: a batch that refunds nothing reverts).
    """
    refunded: uint256 = 0
    last: uint8 = 0
    n: uint256 = len(refunds)
    for i: uint256 in range(n, bound=intent_types.MAX_SETTLE):
        order_id: bytes32 = keccak256(abi_encode(refunds[i].order))
        skip: uint8 = self._not_open(order_id)
        data: intent_types.CharterOrder = refunds[i].order.data
        if skip == 0 and block.timestamp <= convert(data.refundAfter, uint256):
            if intent_orders._is_here(data.destinationChainId, data.destinationSettler):
                if block.timestamp <= convert(refunds[i].order.fillDeadline, uint256):
                    skip = intent_types.SKIP_NOT_EXPIRED
            elif not self._proven(data.oracle, data.destinationChainId, data.destinationSettler, order_id, UNFILLED_RECORD, refunds[i].proof):
                skip = intent_types.SKIP_NOT_PROVEN
        if skip != 0:
            last = skip
            log RefundSkipped(orderId=order_id, reason=skip)
            continue
        user: address = refunds[i].order.user
        self._orders[order_id] = intent_types.STATUS_REFUNDED
        self._release(data.inputs, user)
        log Refunded(orderId=order_id, user=user, openerAgentId=data.agentId, inputs=data.inputs)
        refunded |= 1 << i
    if refunded == 0:
        self._refuse(last, n, False)
    return refunded


@external
@view
def orderStatus(orderId: bytes32) -> uint256:
    """
    @notice An order's state on its origin settler: 0 unknown, 1 Open,
            2 Settled, 3 Refunded.
    @param orderId The order id.
    @return uint256 The status.
    """
    return self._orders[orderId] & 255


@external
@view
def settlementReceipt(orderId: bytes32) -> bytes32:
    """
    @notice What a settled order leaves behind: the top 248 bits of
            keccak256(abi.encode(orderId, user, openerAgentId,
            fillerAgentId, fillerChainId, payout,
            keccak256(abi.encode(inputs)))), the low byte zero; zero for an
            order that is not settled. Whoever shows those fields proves
            who dealt with whom and what was paid (receipt-backed
            reputation); `fillerChainId` is the chain whose registry issued
            the filler's agent id (the order's destination).
    @param orderId The order id.
    @return bytes32 The receipt, or zero.
    """
    word: uint256 = self._orders[orderId]
    if word & 255 != intent_types.STATUS_SETTLED:
        return empty(bytes32)
    return convert(word & ~convert(255, uint256), bytes32)


@external
def withdraw(token: address, to: address) -> uint256:
    """
    @notice Send `to` everything credited to the caller in `token` (the
            zero address: native value): payments of escrow the caller
            refused, or did not take within PAY_GAS. `to` gets all the gas.
    @param token The token of the credit; the zero address for native value.
    @param to Where to send it (the caller itself, or any other address).
    @return uint256 The amount sent.
    """
    amount: uint256 = self.credits[msg.sender][token]
    if amount == 0:
        intent_orders._fail("intents: no credit")
    self.credits[msg.sender][token] = 0
    if token == empty(address):
        if not raw_call(to, b"", value=amount, revert_on_failure=False):
            intent_orders._fail("intents: native transfer failed")
    else:
        self._token_call(token, abi_encode(to, amount, method_id=method_id("transfer(address,uint256)")))
    log Withdrawn(account=msg.sender, token=token, to=to, amount=amount)
    return amount


# ---------------------------------------------------------------- internal: orders

@internal
def _open(order: intent_types.Order, payer: address, paid: uint256):
    """
    @dev Validate, verify the agent, take the inputs into escrow, store the
         status and emit `Open`.
    """
    intent_orders._validate(order)
    self._require_agent(order.user, order.data.agentId)
    resolved: intent_types.ResolvedCrossChainOrder = intent_orders._resolved(order)
    order_id: bytes32 = resolved.orderId
    if self._orders[order_id] != intent_types.STATUS_NONE:
        intent_orders._fail("intents: order exists")
    self._orders[order_id] = intent_types.STATUS_OPEN

    native: uint256 = 0
    for item: intent_types.Input in order.data.inputs:
        if item.token == empty(address):
            native += item.amount
        else:
            self._pull(item.token, payer, item.amount)
    if native != paid:
        intent_orders._fail("intents: wrong value")
    log Open(orderId=order_id, resolvedOrder=resolved)


@internal
@view
def _destination_order(order_id: bytes32, origin_data: Bytes[intent_types.ORIGIN_DATA_MAX]) -> intent_types.Order:
    """
    @dev The order `origin_data` encodes, if `origin_data` is its
         canonical encoding, its id is `order_id` and its destination is
         this settler.
    """
    if keccak256(origin_data) != order_id:
        intent_orders._fail("intents: order mismatch")
    order: intent_types.Order = abi_decode(origin_data, intent_types.Order)
    # One order, one id: only the canonical abi.encode(Order). The decoder
    # checks the values; the layout is checked here: the offsets of the
    # Order (32) and of its data (192, at byte 192), then the data's.
    at: uint256 = intent_orders.ORDER_DATA_AT
    if not (
        extract32(origin_data, 0, output_type=uint256) == 32
        and extract32(origin_data, at - 32, output_type=uint256) == at - 32
        and intent_orders._canonical(
            len(origin_data),
            at,
            extract32(origin_data, at + 256, output_type=uint256),
            extract32(origin_data, at + 288, output_type=uint256),
            len(order.data.inputs),
            len(order.data.outputs),
        )
    ):
        intent_orders._fail("intents: non-canonical order")
    if not intent_orders._is_here(order.data.destinationChainId, order.data.destinationSettler):
        intent_orders._fail("intents: wrong destination")
    return order


@internal
@view
def _not_open(order_id: bytes32) -> uint8:
    """
    @dev 0 if the order is Open here, else why a settle or refund skips
         it: SKIP_UNKNOWN, SKIP_SETTLED or SKIP_REFUNDED.
    """
    status: uint256 = self._orders[order_id] & 255
    if status == intent_types.STATUS_OPEN:
        return 0
    if status == intent_types.STATUS_NONE:
        return intent_types.SKIP_UNKNOWN
    # STATUS_SETTLED and STATUS_REFUNDED are SKIP_SETTLED and SKIP_REFUNDED.
    return convert(status, uint8)


@internal
@pure
def _refuse(skip: uint8, batch: uint256, settling: bool):
    """
    @dev Revert a settle (`settling`) or refund that took nothing: a single
         order says why it was skipped (`skip`); a batch (or an empty one)
         says that nothing was left.
    """
    if batch != 1:
        if settling:
            intent_orders._fail("intents: nothing to settle")
        intent_orders._fail("intents: nothing to refund")
    if skip == intent_types.SKIP_UNKNOWN:
        intent_orders._fail("intents: unknown order")
    if skip == intent_types.SKIP_SETTLED:
        intent_orders._fail("intents: already settled")
    if skip == intent_types.SKIP_REFUNDED:
        intent_orders._fail("intents: already refunded")
    if skip == intent_types.SKIP_LOCAL:
        intent_orders._fail("intents: not filled")
    if skip == intent_types.SKIP_NOT_EXPIRED:
        intent_orders._fail("intents: fill deadline not passed")
    if settling:
        intent_orders._fail("intents: fill not proven")
    intent_orders._fail("intents: unfilled not proven")


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
    if staticcall IRegistry(REGISTRY).activeGeneration(agent_id) == 0:
        intent_orders._fail("intents: agent not active")
    if staticcall IRegistry(REGISTRY).isAuthorizedOrOwner(actor, agent_id):
        return
    if actor == staticcall IRegistry(REGISTRY).getAgentWallet(agent_id):
        return
    if staticcall ISessions(SESSIONS).actingAgentOf(actor) != agent_id:
        intent_orders._fail("intents: not the agent's")


@internal
def _use_nonce(user: address, nonce: uint256):
    word_pos: uint256 = nonce >> 8
    bit: uint256 = 1 << (nonce & 255)
    bitmap: uint256 = self.nonceBitmap[user][word_pos]
    if bitmap & bit != 0:
        intent_orders._fail("intents: nonce used")
    self.nonceBitmap[user][word_pos] = bitmap | bit


# ---------------------------------------------------------------- internal: value

@internal
def _pull(token: address, payer: address, amount: uint256):
    """
    @dev transferFrom `payer` into escrow, measured: the balance must grow
         by exactly `amount` (refuses fee-on-transfer and rebasing tokens).
    """
    if not token.is_contract:
        intent_orders._fail("intents: token has no code")
    before: uint256 = staticcall IERC20(token).balanceOf(self)
    self._token_call(token, abi_encode(payer, self, amount, method_id=method_id("transferFrom(address,address,uint256)")))
    if staticcall IERC20(token).balanceOf(self) != before + amount:
        intent_orders._fail("intents: amount not received")


@internal
def _release(inputs: DynArray[intent_types.Input, intent_types.MAX_INPUTS], to: address):
    """
    @dev Pay escrowed `inputs` to `to` (the status already left Open):
         each payment gets PAY_GAS, and one that fails within it (a
         receiver refusing native value, a token refusing the transfer)
         is credited to `to` instead, so it never reverts the caller.
    """
    for item: intent_types.Input in inputs:
        # Enough gas left that the receiver gets all of PAY_GAS (EIP-150
        # keeps 1/64 back): a failure is the receiver's, never a caller
        # starving the call to turn a payment into a credit.
        if msg.gas <= PAY_GAS + PAY_GAS // 63 + 5_000:
            intent_orders._fail("intents: out of gas")
        success: bool = False
        answer: Bytes[32] = b""
        if item.token == empty(address):
            success = raw_call(to, b"", value=item.amount, gas=PAY_GAS, revert_on_failure=False)
        elif item.token.is_contract:
            success, answer = raw_call(
                item.token,
                abi_encode(to, item.amount, method_id=method_id("transfer(address,uint256)")),
                max_outsize=32,
                gas=PAY_GAS,
                revert_on_failure=False,
            )
            # As in _token_call: true or nothing is success.
            success = success and (len(answer) == 0 or convert(answer, uint256) != 0)
        if not success:
            # A write after the call, by design (try, else credit): the
            # settler's lock keeps the receiver from re-entering meanwhile.
            self.credits[to][item.token] += item.amount
            log Credited(account=to, token=item.token, amount=item.amount)


@internal
def _token_call(token: address, data: Bytes[100]):
    """
    @dev A token transfer that accepts tokens returning true or nothing
         and refuses those returning false, reverting or without code.
    """
    if not token.is_contract:
        intent_orders._fail("intents: token has no code")
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(token, data, max_outsize=32, revert_on_failure=False)
    # An empty answer (a token that returns nothing) converts to 0 only if empty.
    if not (success and (len(answer) == 0 or convert(answer, uint256) != 0)):
        intent_orders._fail("intents: token transfer failed")
