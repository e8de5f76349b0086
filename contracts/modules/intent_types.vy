# pragma version ~=0.4.3
"""
@title Intent limits and structs
@custom:contract-name intent_types
@license MIT
@notice The ERC-7683 v1 structs, exactly as the standard orders their
        fields (they are the ABI and the `Open` event topic), and Charter's
        own order data. Addresses that may live on another chain are
        bytes32, as in the standard.
"""


# ---------------------------------------------------------------- limits

MAX_INPUTS: constant(uint256) = 4
MAX_OUTPUTS: constant(uint256) = 4
# abi.encode(CharterOrder) and abi.encode(Order) at their largest.
ORDER_DATA_MAX: constant(uint256) = 1_184
ORIGIN_DATA_MAX: constant(uint256) = 1_376
# abi.encode(address payout, uint256 fillerAgentId), or empty.
FILLER_DATA_MAX: constant(uint256) = 64
# Orders settled or refunded in one transaction.
MAX_SETTLE: constant(uint256) = 10
# A proof is at most 16 signatures of 65 bytes (ISettlementOracle).
PROOF_MAX: constant(uint256) = 1_040
# A refund without proof comes at least this long after the fill deadline,
# so that a filler who filled at the deadline has a day to prove it.
MIN_REFUND_DELAY: constant(uint256) = 86_400

# Origin status of an order.
STATUS_NONE: constant(uint256) = 0
STATUS_OPEN: constant(uint256) = 1
STATUS_SETTLED: constant(uint256) = 2
STATUS_REFUNDED: constant(uint256) = 3

# Why a settle or refund batch skipped an order (events SettleSkipped and
# RefundSkipped of the IntentSettler).
SKIP_UNKNOWN: constant(uint8) = 1  # never opened on this settler
SKIP_SETTLED: constant(uint8) = 2  # already settled (the value of STATUS_SETTLED)
SKIP_REFUNDED: constant(uint8) = 3  # already refunded (the value of STATUS_REFUNDED)
SKIP_LOCAL: constant(uint8) = 4  # settle: destined for this settler, so settled by its fill
SKIP_NOT_PROVEN: constant(uint8) = 5  # the oracle did not prove the fill (settle) or the non-fill (refund)
SKIP_NOT_EXPIRED: constant(uint8) = 6  # refund: a local order before its fill deadline passed

# Kinds of destination record.
RECORD_FILLED: constant(uint256) = 1
RECORD_UNFILLED: constant(uint256) = 2


# ---------------------------------------------------------------- ERC-7683 v1

struct Output:
    token: bytes32
    amount: uint256
    recipient: bytes32
    chainId: uint256

struct FillInstruction:
    destinationChainId: uint256
    destinationSettler: bytes32
    originData: Bytes[ORIGIN_DATA_MAX]

struct ResolvedCrossChainOrder:
    user: address
    originChainId: uint256
    openDeadline: uint32
    fillDeadline: uint32
    orderId: bytes32
    maxSpent: DynArray[Output, MAX_OUTPUTS]
    minReceived: DynArray[Output, MAX_INPUTS]
    fillInstructions: DynArray[FillInstruction, 1]

struct OnchainCrossChainOrder:
    fillDeadline: uint32
    orderDataType: bytes32
    orderData: Bytes[ORDER_DATA_MAX]

struct GaslessCrossChainOrder:
    originSettler: address
    user: address
    nonce: uint256
    originChainId: uint256
    openDeadline: uint32
    fillDeadline: uint32
    orderDataType: bytes32
    orderData: Bytes[ORDER_DATA_MAX]


# ---------------------------------------------------------------- Charter's order data

# An escrowed input on the origin chain; the zero token is native value.
struct Input:
    token: address
    amount: uint256

# `orderData` of Charter orders (orderDataType = CHARTER_ORDER_TYPEHASH).
struct CharterOrder:
    nonce: uint256
    agentId: uint256
    refundAfter: uint32
    oracle: address
    exclusiveFiller: address
    exclusivityDeadline: uint32
    destinationChainId: uint256
    destinationSettler: bytes32
    inputs: DynArray[Input, MAX_INPUTS]
    outputs: DynArray[Output, MAX_OUTPUTS]

# Everything an order commits to: orderId = keccak256(abi.encode(Order)),
# and abi.encode(Order) is the fill instruction's originData.
struct Order:
    user: address
    originChainId: uint256
    originSettler: address
    openDeadline: uint32
    fillDeadline: uint32
    data: CharterOrder

# Settle one order: the fill record its destination holds, and the proof.
struct Settlement:
    order: Order
    payout: address
    fillerAgentId: uint256
    proof: Bytes[PROOF_MAX]

# Refund one order: a proof that it was not filled (empty after refundAfter,
# or for an order whose destination is this settler).
struct Refund:
    order: Order
    proof: Bytes[PROOF_MAX]
