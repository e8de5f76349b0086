# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter SessionManager
@custom:contract-name SessionManager
@license MIT
@notice One per chain, shared by every account. A grant lets one session
        key of one agent act for one account, inside a box and for a while:
          - a mandatory validity window, no longer than the account's own
            maximum session length (7 days unless the account sets one);
          - allowed (target, selector) pairs, each with a maximum native
            value per call and conditions on static ABI arguments
            (=, !=, <=, >=, or one of several ONE_OF values);
          - budgets: total native value, ERC-20 caps per token with an
            optional refill period (transfer, transferFrom, approve and
            increaseAllowance all count), a maximum number of calls and
            a minimum interval between calls.
        A grant is issued on-chain by the account (`issue`) or signed
        off-chain by it as EIP-712 typed data (ERC-1271 for contract
        accounts) and presented by the agent on first use. The session
        key then calls `execute` / `executeBatch` itself, or signs a request
        that anyone may send with the same functions' `relay` argument.
        Revocation is O(1) and immediate: `revoke` one grant by hash (also
        one never used), `revokeAll` of an account (epoch), `renounce` by
        the session key, or the agent leaving Active in the registry.
@dev The grant itself travels in calldata and is hashed on every use;
     storage keeps one word of running state per grant, one word per
     (grant, budgeted token) and one configuration word per account.
     Session calls never reach this contract, the account itself or the
     registry, and never use an account-execution selector, so an allowed
     call cannot be turned into arbitrary calls.
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from .modules import signatures

initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: eip712_domain_separator.eip712Domain


# ---------------------------------------------------------------- constants

MAX_PERMISSIONS: constant(uint256) = 8
MAX_CONDITIONS: constant(uint256) = 8
MAX_TOKENS: constant(uint256) = 4
MAX_BATCH: constant(uint256) = 16
MAX_CALLDATA: constant(uint256) = 2_048
MAX_BATCH_CALLDATA: constant(uint256) = 1_024

DEFAULT_MAX_SESSION: constant(uint256) = 7 * 86_400
MAX_SESSION_CEILING: constant(uint256) = 366 * 86_400

OP_EQ: constant(uint8) = 0
OP_NE: constant(uint8) = 1
OP_LE: constant(uint8) = 2
OP_GE: constant(uint8) = 3
# ONE_OF conditions on the same argument of the same permission are
# alternatives: the argument must equal one of their values.
OP_ONE_OF: constant(uint8) = 4

# Stored grant status (bits 0-7 of the state word).
_NONE: constant(uint256) = 0
_ACTIVE: constant(uint256) = 1
_REVOKED: constant(uint256) = 2

# Reported status (`grantState`).
STATUS_PENDING: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_REVOKED: constant(uint8) = 2
STATUS_REVOKED_ALL: constant(uint8) = 3
STATUS_EXPIRED: constant(uint8) = 4
STATUS_NOT_YET_VALID: constant(uint8) = 5
STATUS_AGENT_INACTIVE: constant(uint8) = 6
STATUS_EXHAUSTED: constant(uint8) = 7

# State word: status 8 | callsUsed 32 | lastCall 48 | nonce 32 | nativeSpent 128.
_CALLS_SHIFT: constant(uint256) = 8
_LAST_SHIFT: constant(uint256) = 40
_NONCE_SHIFT: constant(uint256) = 88
_NATIVE_SHIFT: constant(uint256) = 120
_MASK_32: constant(uint256) = 2**32 - 1
_MASK_48: constant(uint256) = 2**48 - 1
_MASK_64: constant(uint256) = 2**64 - 1
_MASK_128: constant(uint256) = 2**128 - 1

# Account word: epoch 64 | maxSessionLength 48 | bit 255 "in use" (keeps
# the word non-zero, so revokeAll never pays for a fresh slot).
_MAXLEN_SHIFT: constant(uint256) = 64
_IN_USE: constant(uint256) = 1 << 255

# Token word: spent this period 128 | period index 64.
_PERIOD_SHIFT: constant(uint256) = 128

_TRANSFER: constant(bytes4) = method_id("transfer(address,uint256)", output_type=bytes4)
_TRANSFER_FROM: constant(bytes4) = method_id("transferFrom(address,address,uint256)", output_type=bytes4)
_APPROVE: constant(bytes4) = method_id("approve(address,uint256)", output_type=bytes4)
_INCREASE_ALLOWANCE: constant(bytes4) = method_id("increaseAllowance(address,uint256)", output_type=bytes4)

# Account-execution entry points (Charter's own and those of common smart
# accounts): a session may never call them, on any target.
_FORBIDDEN_SELECTORS: constant(bytes4[11]) = [
    method_id("execute(address,uint256,bytes)", output_type=bytes4),
    method_id("executeBatch((address,uint256,bytes)[])", output_type=bytes4),
    method_id("executeFromManager(address,uint256,bytes)", output_type=bytes4),
    method_id("executeBatchFromManager((address,uint256,bytes)[])", output_type=bytes4),
    method_id("execute(bytes32,bytes)", output_type=bytes4),
    method_id("executeFromExecutor(bytes32,bytes)", output_type=bytes4),
    method_id("executeBatch(address[],uint256[],bytes[])", output_type=bytes4),
    method_id("execTransaction(address,uint256,bytes,uint8,uint256,uint256,uint256,address,address,bytes)", output_type=bytes4),
    method_id("execTransactionFromModule(address,uint256,bytes,uint8)", output_type=bytes4),
    method_id("execTransactionFromModuleReturnData(address,uint256,bytes,uint8)", output_type=bytes4),
    method_id("redeemDelegations(bytes[],bytes32[],bytes[])", output_type=bytes4),
]

PERMISSION_TYPEHASH: constant(bytes32) = keccak256("Permission(address target,bytes4 selector,uint256 maxValue)")
CONDITION_TYPEHASH: constant(bytes32) = keccak256("Condition(uint8 permission,uint16 index,uint8 op,uint256 value)")
TOKEN_BUDGET_TYPEHASH: constant(bytes32) = keccak256("TokenBudget(address token,uint128 cap,uint32 period)")
GRANT_TYPEHASH: constant(bytes32) = keccak256(
    "Grant(address account,uint256 agentId,address sessionKey,uint48 validAfter,uint48 validUntil,"
    "uint64 epoch,uint32 maxCalls,uint32 minInterval,uint128 nativeBudget,bytes32 salt,"
    "Permission[] permissions,Condition[] conditions,TokenBudget[] tokenBudgets)"
    "Condition(uint8 permission,uint16 index,uint8 op,uint256 value)"
    "Permission(address target,bytes4 selector,uint256 maxValue)"
    "TokenBudget(address token,uint128 cap,uint32 period)"
)
_EMPTY_HASH: constant(bytes32) = keccak256(b"")
CALL_TYPEHASH: constant(bytes32) = keccak256("Call(address target,uint256 value,bytes data)")
SESSION_REQUEST_TYPEHASH: constant(bytes32) = keccak256(
    "SessionRequest(bytes32 grantHash,uint256 nonce,uint256 deadline,Call[] calls)"
    "Call(address target,uint256 value,bytes data)"
)

_EIP712_NAME: constant(String[22]) = "Charter SessionManager"
_EIP712_VERSION: constant(String[1]) = "1"


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))


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
    data: Bytes[MAX_BATCH_CALLDATA]

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


# ---------------------------------------------------------------- interfaces

interface IAgentAccount:
    def executeFromManager(target: address, callValue: uint256, data: Bytes[MAX_CALLDATA]): nonpayable
    def executeBatchFromManager(calls: DynArray[Call, MAX_BATCH]): nonpayable

interface IRegistry:
    def isActive(agentId: uint256) -> bool: view


# ---------------------------------------------------------------- storage

_grants: HashMap[address, HashMap[bytes32, uint256]]
_spent: HashMap[bytes32, HashMap[address, uint256]]
_accounts: HashMap[address, uint256]


# ---------------------------------------------------------------- events

event GrantActivated:
    grantHash: indexed(bytes32)
    account: indexed(address)
    agentId: indexed(uint256)
    sessionKey: address
    validUntil: uint256

event GrantRevoked:
    grantHash: indexed(bytes32)
    account: indexed(address)
    revokedBy: address

event AllGrantsRevoked:
    account: indexed(address)
    epoch: uint256

event MaxSessionLengthSet:
    account: indexed(address)
    maxSessionLength: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address):
    """
    @param registry The AgentRegistry whose `isActive` every session call
           consults.
    """
    assert registry != empty(address), "sessions: zero registry"
    REGISTRY = registry
    eip712_domain_separator.__init__(_EIP712_NAME, _EIP712_VERSION)


# ---------------------------------------------------------------- session execution

@external
def execute(
    grant: Grant,
    grantSignature: Bytes[signatures.SIGNATURE_MAX],
    target: address,
    callValue: uint256,
    data: Bytes[MAX_CALLDATA],
    relay: Relay = empty(Relay),
):
    """
    @notice Make one call from `grant.account` under the grant. Without
            `relay`, the caller must be the session key. With `relay`, the
            session key signed SessionRequest(grantHash, nonce, deadline,
            [call]) and anyone may send it (the agent then needs no gas).
    @dev All state is written before the account makes the call.
    @param grant The grant, exactly as signed or issued.
    @param grantSignature The account's EIP-712 signature of the grant on
           first use of an off-chain grant; empty once the grant is active.
    @param target The address the account calls.
    @param callValue Wei the account sends along.
    @param data Calldata (at most 2,048 bytes).
    @param relay The grant's next request nonce (see `grantState`), the
           request's deadline and the session key's signature.
    @custom:security Relayed requests are bound to this chain and manager
                     (EIP-712 domain), to the grant and hence the account,
                     and are usable once (sequential nonce per grant).
    """
    grant_hash: bytes32 = self._hash_grant(grant)
    state: uint256 = self._grants[grant.account][grant_hash]
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        calls_hash: bytes32 = keccak256(self._hash_call(target, callValue, data))
        state = self._check_relay(grant.sessionKey, grant_hash, state, relay, calls_hash)
    if state & 255 == _NONE:
        state = self._activate(grant.account, grant_hash, grantSignature, state)
        self._validate(grant, grant_hash)
    state = self._open(grant.account, grant.agentId, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, 1)

    budget: uint256 = 0
    amount: uint256 = 0
    budget, amount = self._check_call(0, target, callValue, data, grant.permissions, grant.conditions, grant.tokenBudgets)
    spend: uint256[MAX_TOKENS] = empty(uint256[MAX_TOKENS])
    if budget != 0:
        spend[budget - 1] = amount
    self._close(grant.account, grant_hash, state, callValue, grant.nativeBudget, grant.validAfter, grant.tokenBudgets, spend)
    extcall IAgentAccount(grant.account).executeFromManager(target, callValue, data, skip_contract_check=True)


@external
def executeBatch(
    grant: Grant,
    grantSignature: Bytes[signatures.SIGNATURE_MAX],
    calls: DynArray[Call, MAX_BATCH],
    relay: Relay = empty(Relay),
):
    """
    @notice Make several calls from `grant.account`, in order, all or
            nothing, under the grant. Authorization as in `execute`; a
            relayed request signs all the calls.
    @dev Every call is checked and budgets are running totals over the
         batch; all state is written before the account makes the calls.
    @param grant The grant, exactly as signed or issued.
    @param grantSignature As in `execute`.
    @param calls The calls (1 to 16, each with at most 1,024 bytes of
           calldata).
    @param relay As in `execute`.
    """
    grant_hash: bytes32 = self._hash_grant(grant)
    state: uint256 = self._grants[grant.account][grant_hash]
    n: uint256 = len(calls)
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        hashes: DynArray[bytes32, MAX_BATCH] = []
        for i: uint256 in range(n, bound=MAX_BATCH):
            hashes.append(self._hash_call(calls[i].target, calls[i].value, calls[i].data))
        encoded: Bytes[576] = abi_encode(hashes)
        state = self._check_relay(grant.sessionKey, grant_hash, state, relay, keccak256(slice(encoded, 64, 32 * n)))
    if state & 255 == _NONE:
        state = self._activate(grant.account, grant_hash, grantSignature, state)
        self._validate(grant, grant_hash)
    state = self._open(grant.account, grant.agentId, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, n)

    native: uint256 = 0
    spend: uint256[MAX_TOKENS] = empty(uint256[MAX_TOKENS])
    for i: uint256 in range(n, bound=MAX_BATCH):
        budget: uint256 = 0
        amount: uint256 = 0
        budget, amount = self._check_call(i, calls[i].target, calls[i].value, calls[i].data, grant.permissions, grant.conditions, grant.tokenBudgets)
        if budget != 0:
            # Each amount is at most its cap (< 2**128) and there are at most 16: no overflow.
            spend[budget - 1] = unsafe_add(spend[budget - 1], amount)
        native += calls[i].value
    self._close(grant.account, grant_hash, state, native, grant.nativeBudget, grant.validAfter, grant.tokenBudgets, spend)
    extcall IAgentAccount(grant.account).executeBatchFromManager(calls, skip_contract_check=True)


# ---------------------------------------------------------------- issuance and revocation

@external
def issue(grant: Grant) -> bytes32:
    """
    @notice Issue a grant on-chain. Only the grant's account may call.
    @param grant The grant; its `epoch` must be the account's current one.
    @return The grant hash.
    """
    assert msg.sender == grant.account, "sessions: not the account"
    grant_hash: bytes32 = self._hash_grant(grant)
    assert self._grants[grant.account][grant_hash] == _NONE, "sessions: grant exists"
    self._check_account(grant.account, grant.epoch, grant.validAfter, grant.validUntil)
    self._validate(grant, grant_hash)
    self._grants[grant.account][grant_hash] = _ACTIVE
    return grant_hash


@external
def revoke(grantHash: bytes32):
    """
    @notice Revoke one of the caller's grants at once, also one that was
            signed off-chain and never used.
    @param grantHash The grant's hash (`hashGrant`).
    """
    state: uint256 = self._grants[msg.sender][grantHash]
    assert state & 255 != _REVOKED, "sessions: already revoked"
    self._grants[msg.sender][grantHash] = (state & ~convert(255, uint256)) | _REVOKED
    log GrantRevoked(grantHash=grantHash, account=msg.sender, revokedBy=msg.sender)


@external
def revokeAll():
    """
    @notice Revoke every grant of the caller, used or not, at once: the
            account's epoch moves on and grants of older epochs stop working.
    """
    config: uint256 = self._accounts[msg.sender]
    epoch: uint256 = (config & _MASK_64) + 1
    assert epoch <= _MASK_64, "sessions: epoch overflow"
    self._accounts[msg.sender] = (config & ~_MASK_64) | epoch | _IN_USE
    log AllGrantsRevoked(account=msg.sender, epoch=epoch)


@external
def renounce(grant: Grant):
    """
    @notice The session key gives up its grant, at once and for good.
    @param grant The grant; the caller must be its session key.
    """
    assert msg.sender == grant.sessionKey, "sessions: not the session key"
    grant_hash: bytes32 = self._hash_grant(grant)
    state: uint256 = self._grants[grant.account][grant_hash]
    assert state & 255 != _REVOKED, "sessions: already revoked"
    self._grants[grant.account][grant_hash] = (state & ~convert(255, uint256)) | _REVOKED
    log GrantRevoked(grantHash=grant_hash, account=grant.account, revokedBy=msg.sender)


@external
def setMaxSessionLength(maxSessionLength: uint256):
    """
    @notice Set the longest validity window the caller's grants may have.
    @param maxSessionLength Seconds, 1 .. 366 days; 0 restores the default
           of 7 days. Checked on every use, so shortening it also cuts off
           grants already issued with a longer window.
    """
    assert maxSessionLength <= MAX_SESSION_CEILING, "sessions: session too long"
    config: uint256 = self._accounts[msg.sender]
    config = (config & ~(_MASK_48 << _MAXLEN_SHIFT)) | (maxSessionLength << _MAXLEN_SHIFT) | _IN_USE
    self._accounts[msg.sender] = config
    log MaxSessionLengthSet(account=msg.sender, maxSessionLength=self._max_length(config))


# ---------------------------------------------------------------- views

@external
@view
@reentrant
def hashGrant(grant: Grant) -> bytes32:
    """
    @notice The EIP-712 digest of `grant` on this chain and manager: what
            the account signs and what `revoke` takes.
    """
    return self._hash_grant(grant)


@external
@view
@reentrant
def hashRequest(grantHash: bytes32, nonce: uint256, deadline: uint256, calls: DynArray[Call, MAX_BATCH]) -> bytes32:
    """
    @notice The EIP-712 digest a session key signs for a relayed `execute`
            (one call) or `executeBatch`:
            SessionRequest(grantHash, nonce, deadline, calls).
    """
    hashes: DynArray[bytes32, MAX_BATCH] = []
    for c: Call in calls:
        hashes.append(self._hash_call(c.target, c.value, c.data))
    encoded: Bytes[576] = abi_encode(hashes)
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(SESSION_REQUEST_TYPEHASH, grantHash, nonce, deadline, keccak256(slice(encoded, 64, 32 * len(hashes)))))
    )


@external
@view
@reentrant
def grantState(grant: Grant) -> GrantState:
    """
    @notice Where a grant stands now: status (0 pending, 1 active,
            2 revoked, 3 revoked by revokeAll, 4 expired, 5 not yet valid,
            6 agent not active, 7 calls used up), calls used and left,
            native value spent and left, last call, window and next nonce.
    @dev `callsLeft` is 2**32 - 1 for a grant without a call limit.
    """
    grant_hash: bytes32 = self._hash_grant(grant)
    state: uint256 = self._grants[grant.account][grant_hash]
    calls_used: uint256 = (state >> _CALLS_SHIFT) & _MASK_32
    native_spent: uint256 = state >> _NATIVE_SHIFT
    max_calls: uint256 = convert(grant.maxCalls, uint256)
    calls_left: uint256 = _MASK_32
    if max_calls != 0:
        calls_left = max_calls - min(calls_used, max_calls)
    budget: uint256 = convert(grant.nativeBudget, uint256)
    status: uint8 = STATUS_PENDING
    if state & 255 == _ACTIVE:
        status = STATUS_ACTIVE
    if state & 255 == _REVOKED:
        status = STATUS_REVOKED
    elif convert(grant.epoch, uint256) != self._accounts[grant.account] & _MASK_64:
        status = STATUS_REVOKED_ALL
    elif block.timestamp > convert(grant.validUntil, uint256):
        status = STATUS_EXPIRED
    elif block.timestamp < convert(grant.validAfter, uint256):
        status = STATUS_NOT_YET_VALID
    elif not staticcall IRegistry(REGISTRY).isActive(grant.agentId):
        status = STATUS_AGENT_INACTIVE
    elif calls_left == 0:
        status = STATUS_EXHAUSTED
    return GrantState(
        status=status,
        callsUsed=calls_used,
        callsLeft=calls_left,
        nativeSpent=native_spent,
        nativeLeft=budget - min(native_spent, budget),
        lastCall=(state >> _LAST_SHIFT) & _MASK_48,
        validAfter=convert(grant.validAfter, uint256),
        validUntil=convert(grant.validUntil, uint256),
        nonce=(state >> _NONCE_SHIFT) & _MASK_32,
    )


@external
@view
@reentrant
def tokenAllowance(grant: Grant, token: address) -> uint256:
    """
    @notice How much of `token` the grant may still move in the current
            period (0 if the grant has no budget for `token`).
    """
    grant_hash: bytes32 = self._hash_grant(grant)
    for budget: TokenBudget in grant.tokenBudgets:
        if budget.token == token:
            cap: uint256 = convert(budget.cap, uint256)
            word: uint256 = self._spent[grant_hash][token]
            if block.timestamp < convert(grant.validAfter, uint256):
                return cap
            if word >> _PERIOD_SHIFT != self._period(grant.validAfter, budget.period):
                return cap
            return cap - min(word & _MASK_128, cap)
    return 0


@external
@view
@reentrant
def stateOf(account: address, grantHash: bytes32) -> uint256:
    """
    @notice The raw state word of a grant: status (bits 0-7: 0 never
            used, 1 active, 2 revoked), calls used (8-39), last call
            (40-87), request nonce (88-119), native value spent (120-247).
    """
    return self._grants[account][grantHash]


@external
@view
@reentrant
def epochOf(account: address) -> uint64:
    """
    @notice The account's current epoch: grants must carry it.
    """
    return convert(self._accounts[account] & _MASK_64, uint64)


@external
@view
@reentrant
def maxSessionLengthOf(account: address) -> uint256:
    """
    @notice The longest validity window the account's grants may have.
    """
    return self._max_length(self._accounts[account])


# ---------------------------------------------------------------- internal

@internal
@view
def _check_relay(session_key: address, grant_hash: bytes32, state: uint256, relay: Relay, calls_hash: bytes32) -> uint256:
    """
    @dev Verify a relayed request and return the state with the grant's
         request nonce consumed.
    """
    assert block.timestamp <= relay.deadline, "sessions: request expired"
    assert (state >> _NONCE_SHIFT) & _MASK_32 == relay.nonce, "sessions: bad nonce"
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(SESSION_REQUEST_TYPEHASH, grant_hash, relay.nonce, relay.deadline, calls_hash))
    )
    assert signatures._is_valid_signature(session_key, digest, relay.signature), "sessions: bad request signature"
    assert relay.nonce < _MASK_32, "sessions: nonces used up"
    # The nonce field is below 2**32 - 1 (checked above): no carry.
    return unsafe_add(state, 1 << _NONCE_SHIFT)


@internal
def _activate(account: address, grant_hash: bytes32, grant_signature: Bytes[signatures.SIGNATURE_MAX], state: uint256) -> uint256:
    """
    @dev First use of an off-chain grant: the account must have signed it.
         The caller validates the grant's contents (`_validate`).
    """
    assert state & 255 != _REVOKED, "sessions: revoked"
    assert signatures._is_valid_signature(account, grant_hash, grant_signature), "sessions: bad grant signature"
    return state | _ACTIVE


@internal
@view
def _open(
    account: address,
    agent_id: uint256,
    epoch: uint64,
    valid_after: uint48,
    valid_until: uint48,
    max_calls: uint32,
    min_interval: uint32,
    state: uint256,
    n: uint256,
) -> uint256:
    """
    @dev The checks made on every use before looking at the calls; returns
         the state with `n` more calls and this block as the last call.
    """
    assert state & 255 == _ACTIVE, "sessions: revoked"
    assert account.is_contract, "sessions: account has no code"
    self._check_account(account, epoch, valid_after, valid_until)
    assert block.timestamp >= convert(valid_after, uint256), "sessions: not yet valid"
    assert block.timestamp <= convert(valid_until, uint256), "sessions: expired"
    assert staticcall IRegistry(REGISTRY).isActive(agent_id), "sessions: agent not active"
    assert n != 0, "sessions: no calls"
    if min_interval != 0:
        assert n == 1, "sessions: one call per interval"
        last: uint256 = (state >> _LAST_SHIFT) & _MASK_48
        assert last == 0 or block.timestamp >= last + convert(min_interval, uint256), "sessions: too soon"
    # At most 2**32 - 1 + 16: no overflow.
    calls_used: uint256 = unsafe_add((state >> _CALLS_SHIFT) & _MASK_32, n)
    if max_calls != 0:
        assert calls_used <= convert(max_calls, uint256), "sessions: over call limit"
    assert calls_used <= _MASK_32, "sessions: over call limit"
    return (
        (state & ~((_MASK_32 << _CALLS_SHIFT) | (_MASK_48 << _LAST_SHIFT)))
        | (calls_used << _CALLS_SHIFT)
        | (block.timestamp << _LAST_SHIFT)
    )


@internal
@view
def _check_call(
    i: uint256,
    target: address,
    call_value: uint256,
    data: Bytes[MAX_CALLDATA],
    permissions: DynArray[Permission, MAX_PERMISSIONS],
    conditions: DynArray[Condition, MAX_CONDITIONS],
    budgets: DynArray[TokenBudget, MAX_TOKENS],
) -> (uint256, uint256):
    """
    @dev Refuse call `i` unless a permission allows it. Returns the 1-based
         index of the token budget it spends from (0: none) and the amount.
    """
    size: uint256 = len(data)
    selector: bytes4 = empty(bytes4)
    if size != 0:
        if size < 4:
            self._refuse_call(i, "bad calldata")
        selector = convert(slice(data, 0, 4), bytes4)
        if selector == empty(bytes4):
            # The empty selector stands for plain ETH sends (no calldata) only:
            # calldata starting with four zero bytes would reach the target's
            # fallback with any payload.
            self._refuse_call(i, "not allowed")

    p: uint256 = MAX_PERMISSIONS
    for k: uint256 in range(len(permissions), bound=MAX_PERMISSIONS):
        if permissions[k].target == target and permissions[k].selector == selector:
            p = k
            break
    if p == MAX_PERMISSIONS:
        self._refuse_call(i, "not allowed")
    if call_value > permissions[p].maxValue:
        self._refuse_call(i, "value too high")

    for condition: Condition in conditions:
        if convert(condition.permission, uint256) != p:
            continue
        offset: uint256 = 4 + 32 * convert(condition.index, uint256)
        if size < offset + 32:
            self._refuse_argument(i, condition.index)
        arg: uint256 = extract32(data, offset, output_type=uint256)
        op: uint8 = condition.op
        ok: bool = arg == condition.value
        if op == OP_NE:
            ok = not ok
        elif op == OP_LE:
            ok = arg <= condition.value
        elif op == OP_GE:
            ok = arg >= condition.value
        elif op == OP_ONE_OF and not ok:
            # Alternatives: the ONE_OF conditions on the same argument of the
            # same permission; the argument must equal one of their values.
            for other: Condition in conditions:
                if other.op == OP_ONE_OF and other.permission == condition.permission and other.index == condition.index and other.value == arg:
                    ok = True
                    break
        if not ok:
            self._refuse_argument(i, condition.index)

    if selector != _TRANSFER and selector != _APPROVE and selector != _INCREASE_ALLOWANCE and selector != _TRANSFER_FROM:
        return 0, 0
    for j: uint256 in range(len(budgets), bound=MAX_TOKENS):
        if budgets[j].token == target:
            # transferFrom(from, to, amount) has the amount third; the others second.
            offset: uint256 = 36
            if selector == _TRANSFER_FROM:
                offset = 68
            if size < offset + 32:
                self._refuse_call(i, "bad calldata")
            amount: uint256 = extract32(data, offset, output_type=uint256)
            if amount > convert(budgets[j].cap, uint256):
                self._over_token_budget(j)
            return j + 1, amount
    return 0, 0


@internal
def _close(
    account: address,
    grant_hash: bytes32,
    state: uint256,
    spent_now: uint256,
    native_budget: uint128,
    valid_after: uint48,
    budgets: DynArray[TokenBudget, MAX_TOKENS],
    spend: uint256[MAX_TOKENS],
):
    """
    @dev Charge the native value and token amounts of this execution
         against the budgets and write the grant's state.
    """
    native: uint256 = (state >> _NATIVE_SHIFT) + spent_now
    if native > convert(native_budget, uint256):
        raw_revert(self._error("sessions: over native budget"))
    for j: uint256 in range(len(budgets), bound=MAX_TOKENS):
        if spend[j] == 0:
            continue
        token: address = budgets[j].token
        period: uint256 = self._period(valid_after, budgets[j].period)
        word: uint256 = self._spent[grant_hash][token]
        spent: uint256 = spend[j]
        if word >> _PERIOD_SHIFT == period:
            # Both terms are below 2**132: no overflow.
            spent = unsafe_add(spent, word & _MASK_128)
        if spent > convert(budgets[j].cap, uint256):
            self._over_token_budget(j)
        self._spent[grant_hash][token] = (period << _PERIOD_SHIFT) | spent
    self._grants[account][grant_hash] = (state & ((1 << _NATIVE_SHIFT) - 1)) | (native << _NATIVE_SHIFT)


@internal
@pure
def _hash_call(target: address, call_value: uint256, data: Bytes[MAX_CALLDATA]) -> bytes32:
    return keccak256(abi_encode(CALL_TYPEHASH, target, call_value, keccak256(data)))


@internal
@view
def _period(valid_after: uint48, length: uint32) -> uint256:
    """
    @dev Index of the current budget period, counted from `validAfter`
         (always 0 for a lifetime budget). Only called while the grant
         is valid, so now >= validAfter.
    """
    if length == 0:
        return 0
    return (block.timestamp - convert(valid_after, uint256)) // convert(length, uint256)


@internal
@view
def _check_account(account: address, epoch: uint64, valid_after: uint48, valid_until: uint48) -> uint256:
    """
    @dev The account-wide checks made on every use: the grant belongs to
         the current epoch and its window fits the account's maximum
         session length. Returns the account word.
    """
    config: uint256 = self._accounts[account]
    current: uint256 = config & _MASK_64
    assert convert(epoch, uint256) >= current, "sessions: revoked by revokeAll"
    assert convert(epoch, uint256) == current, "sessions: future epoch"
    after: uint256 = convert(valid_after, uint256)
    until: uint256 = convert(valid_until, uint256)
    assert after < until, "sessions: empty window"
    assert until - after <= self._max_length(config), "sessions: window too long"
    return config


@internal
def _validate(grant: Grant, grant_hash: bytes32):
    """
    @dev The checks made once, when a grant becomes active (the window is
         checked on every use by `_check_account`), and the activation
         event. Also marks the account's word as in use, so a later
         revokeAll rewrites a non-zero slot.
    """
    assert grant.account != empty(address), "sessions: zero account"
    assert grant.agentId != 0, "sessions: no agent"
    assert grant.sessionKey != empty(address), "sessions: zero session key"
    assert grant.sessionKey != grant.account, "sessions: key is the account"
    n: uint256 = len(grant.permissions)
    assert n != 0, "sessions: no permissions"
    for p: uint256 in range(n, bound=MAX_PERMISSIONS):
        target: address = grant.permissions[p].target
        selector: bytes4 = grant.permissions[p].selector
        assert target != empty(address), "sessions: zero target"
        assert target != grant.account and target != self and target != REGISTRY, "sessions: forbidden target"
        for forbidden: bytes4 in _FORBIDDEN_SELECTORS:
            assert selector != forbidden, "sessions: forbidden selector"
        for q: uint256 in range(p + 1, n, bound=MAX_PERMISSIONS):
            assert grant.permissions[q].target != target or grant.permissions[q].selector != selector, "sessions: duplicate permission"
    for condition: Condition in grant.conditions:
        assert convert(condition.permission, uint256) < n, "sessions: bad condition"
        assert condition.op <= OP_ONE_OF, "sessions: bad condition"
    m: uint256 = len(grant.tokenBudgets)
    for j: uint256 in range(m, bound=MAX_TOKENS):
        assert grant.tokenBudgets[j].token != empty(address), "sessions: zero token"
        for k: uint256 in range(j + 1, m, bound=MAX_TOKENS):
            assert grant.tokenBudgets[k].token != grant.tokenBudgets[j].token, "sessions: duplicate token"
    if self._accounts[grant.account] == 0:
        self._accounts[grant.account] = _IN_USE
    log GrantActivated(
        grantHash=grant_hash,
        account=grant.account,
        agentId=grant.agentId,
        sessionKey=grant.sessionKey,
        validUntil=convert(grant.validUntil, uint256),
    )


@internal
@pure
def _max_length(config: uint256) -> uint256:
    length: uint256 = (config >> _MAXLEN_SHIFT) & _MASK_48
    if length == 0:
        return DEFAULT_MAX_SESSION
    return length


@internal
@pure
def _refuse_call(i: uint256, why: String[16]):
    raw_revert(self._error(concat("sessions: call ", uint2str(convert(i, uint8)), " ", why)))


@internal
@pure
def _refuse_argument(i: uint256, index: uint16):
    raw_revert(self._error(concat("sessions: call ", uint2str(convert(i, uint8)), " argument ", uint2str(index))))


@internal
@pure
def _over_token_budget(j: uint256):
    raw_revert(self._error(concat("sessions: over token budget ", uint2str(convert(j, uint8)))))


@internal
@pure
def _error(reason: String[64]) -> Bytes[164]:
    return abi_encode(reason, method_id=method_id("Error(string)"))


@internal
@view
def _hash_grant(grant: Grant) -> bytes32:
    """
    @dev EIP-712 digest of `grant`: arrays hash to the keccak of their
         concatenated element hashes, structs to keccak(typehash, fields).
    """
    words: DynArray[bytes32, MAX_CONDITIONS] = []
    for permission: Permission in grant.permissions:
        words.append(keccak256(abi_encode(PERMISSION_TYPEHASH, permission.target, permission.selector, permission.maxValue)))
    permissions_hash: bytes32 = self._hash_list(words)
    words = []
    for condition: Condition in grant.conditions:
        words.append(
            keccak256(abi_encode(CONDITION_TYPEHASH, condition.permission, condition.index, condition.op, condition.value))
        )
    conditions_hash: bytes32 = self._hash_list(words)
    words = []
    for budget: TokenBudget in grant.tokenBudgets:
        words.append(keccak256(abi_encode(TOKEN_BUDGET_TYPEHASH, budget.token, budget.cap, budget.period)))
    struct_hash: bytes32 = keccak256(
        abi_encode(
            GRANT_TYPEHASH,
            grant.account,
            grant.agentId,
            grant.sessionKey,
            grant.validAfter,
            grant.validUntil,
            grant.epoch,
            grant.maxCalls,
            grant.minInterval,
            grant.nativeBudget,
            grant.salt,
            permissions_hash,
            conditions_hash,
            self._hash_list(words),
        )
    )
    return eip712_domain_separator._hash_typed_data_v4(struct_hash)


@internal
@pure
def _hash_list(hashes: DynArray[bytes32, MAX_CONDITIONS]) -> bytes32:
    """
    @dev EIP-712 hash of an array of structs: keccak256 of the
         concatenated element hashes (a constant for an empty array).
    """
    if len(hashes) == 0:
        return _EMPTY_HASH
    encoded: Bytes[320] = abi_encode(hashes)
    return keccak256(slice(encoded, 64, 32 * len(hashes)))
