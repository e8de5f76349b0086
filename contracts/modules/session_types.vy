# pragma version ~=0.4.3
"""
@title Session limits and structs
@custom:contract-name session_types
@license MIT
@notice The one home of the session layer's limits and structs, shared by
        the SessionManager, the SessionView and the AgentAccount.
"""


from . import signatures


# ---------------------------------------------------------------- limits

MAX_PERMISSIONS: constant(uint256) = 8
MAX_CONDITIONS: constant(uint256) = 8
MAX_TOKENS: constant(uint256) = 4
MAX_BATCH: constant(uint256) = 16
# Calldata of one `execute` call, and of each call of a batch.
MAX_CALL_DATA: constant(uint256) = 2_048
MAX_BATCH_CALL_DATA: constant(uint256) = 1_024
# Chains one multi-chain grant covers (one entry each).
MAX_CHAINS: constant(uint256) = 16
# Each of the two first-use signatures (ERC-1271 wallets sign with more than 65 bytes).
FIRST_USE_SIGNATURE_MAX: constant(uint256) = 512
# First use of an off-chain grant: abi.encode(accountSignature, agentConsent).
GRANT_SIGNATURE_MAX: constant(uint256) = 2 * FIRST_USE_SIGNATURE_MAX + 128

# Condition operators. ONE_OF conditions on the same argument of the same
# permission are alternatives: the argument must equal one of their values.
OP_EQ: constant(uint8) = 0
OP_NE: constant(uint8) = 1
OP_LE: constant(uint8) = 2
OP_GE: constant(uint8) = 3
OP_ONE_OF: constant(uint8) = 4


# ---------------------------------------------------------------- structs

struct Permission:
    target: address
    selector: bytes4
    maxValue: uint256

struct Condition:
    permission: uint8
    index: uint16
    op: uint8
    value: uint256

struct TokenBudget:
    token: address
    cap: uint128
    period: uint32

struct Grant:
    account: address
    agentId: uint256
    agentGeneration: uint32
    sessionKey: address
    validAfter: uint48
    validUntil: uint48
    epoch: uint64
    maxCalls: uint32
    minInterval: uint32
    nativeBudget: uint128
    salt: bytes32
    permissions: DynArray[Permission, MAX_PERMISSIONS]
    conditions: DynArray[Condition, MAX_CONDITIONS]
    tokenBudgets: DynArray[TokenBudget, MAX_TOKENS]

struct Call:
    target: address
    value: uint256
    data: Bytes[MAX_BATCH_CALL_DATA]

struct Relay:
    nonce: uint256
    deadline: uint256
    signature: Bytes[signatures.SIGNATURE_MAX]

struct GrantState:
    status: uint8
    callsUsed: uint256
    callsLeft: uint256
    nativeSpent: uint256
    nativeLeft: uint256
    lastCall: uint256
    validAfter: uint256
    validUntil: uint256
    nonce: uint256
