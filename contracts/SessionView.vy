# pragma version 0.4.3
"""
@title Charter SessionView
@custom:contract-name SessionView
@license MIT
@notice Read-only views of one SessionManager's grants: where a grant
        stands, how much of a token it may still move, and the EIP-712
        digests the account and the session key sign. Kept out of the
        manager so that the manager stays small (EIP-170); it reads only
        the manager's raw getters and the registry, and holds nothing.
@dev One per SessionManager, at a deterministic address (its init code
     carries the manager's address).
"""


# ---------------------------------------------------------------- imports

from .modules import grant_hashing
from .modules import grant_state
from .modules import session_types


# ---------------------------------------------------------------- interfaces

interface ISessionManager:
    def REGISTRY() -> address: view
    def stateOf(account: address, grantHash: bytes32) -> uint256: view
    def epochOf(account: address) -> uint64: view
    def spentOf(grantHash: bytes32, token: address) -> uint256: view

interface IRegistry:
    def activeGeneration(agentId: uint256) -> uint256: view


# ---------------------------------------------------------------- immutables

MANAGER: public(immutable(address))
REGISTRY: public(immutable(address))


# ---------------------------------------------------------------- constructor

@deploy
def __init__(manager: address):
    """
    @param manager The SessionManager whose grants this contract reads.
    """
    assert manager != empty(address), "sessions: zero manager"
    MANAGER = manager
    REGISTRY = staticcall ISessionManager(manager).REGISTRY()


# ---------------------------------------------------------------- views

@external
@view
def hashGrant(grant: session_types.Grant) -> bytes32:
    """
    @notice The EIP-712 digest of `grant` on this chain and the manager:
            what the account signs, what the agent's consent signs and
            what `revoke` takes (equal to `SessionManager.hashGrant`).
    """
    return self._hash_grant(grant)


@external
@view
def hashRequest(
    grantHash: bytes32,
    nonce: uint256,
    deadline: uint256,
    calls: DynArray[session_types.Call, session_types.MAX_BATCH],
) -> bytes32:
    """
    @notice The EIP-712 digest a session key signs for a relayed `execute`
            (one call) or `executeBatch`:
            SessionRequest(grantHash, nonce, deadline, calls).
    """
    return grant_hashing._typed_data_hash(
        grant_hashing._domain_separator(MANAGER),
        grant_hashing._request_struct_hash(grantHash, nonce, deadline, grant_hashing._calls_hash(calls)),
    )


@external
@view
def grantState(grant: session_types.Grant) -> session_types.GrantState:
    """
    @notice Where a grant stands now: status (0 pending, 1 active,
            2 revoked, 3 revoked by revokeAll, 4 expired, 5 not yet valid,
            6 agent not active, 7 calls used up, 8 agent changed hands),
            calls used and left, native value spent and left, last call,
            window and next request nonce.
    @dev `callsLeft` is 2**32 - 1 for a grant without a call limit. A
         pending grant may still be refused at first use (bad signature,
         no agent consent, invalid permissions): this view cannot see it.
    """
    grant_hash: bytes32 = self._hash_grant(grant)
    state: uint256 = staticcall ISessionManager(MANAGER).stateOf(grant.account, grant_hash)
    calls_used: uint256 = (state >> grant_state.CALLS_SHIFT) & grant_state.MASK_32
    native_spent: uint256 = state >> grant_state.NATIVE_SHIFT
    max_calls: uint256 = convert(grant.maxCalls, uint256)
    calls_left: uint256 = grant_state.MASK_32
    if max_calls != 0:
        calls_left = max_calls - min(calls_used, max_calls)
    budget: uint256 = convert(grant.nativeBudget, uint256)
    stored: uint256 = state & grant_state.STATUS_MASK
    status: uint8 = grant_state.STATUS_PENDING
    if stored == grant_state.USED:
        status = grant_state.STATUS_ACTIVE
    if stored == grant_state.REVOKED:
        status = grant_state.STATUS_REVOKED
    elif grant.epoch != staticcall ISessionManager(MANAGER).epochOf(grant.account):
        status = grant_state.STATUS_REVOKED_ALL
    elif block.timestamp > convert(grant.validUntil, uint256):
        status = grant_state.STATUS_EXPIRED
    elif block.timestamp < convert(grant.validAfter, uint256):
        status = grant_state.STATUS_NOT_YET_VALID
    else:
        generation: uint256 = staticcall IRegistry(REGISTRY).activeGeneration(grant.agentId)
        if generation == 0:
            status = grant_state.STATUS_AGENT_INACTIVE
        elif generation != convert(grant.agentGeneration, uint256):
            status = grant_state.STATUS_AGENT_TRANSFERRED
        elif calls_left == 0:
            status = grant_state.STATUS_EXHAUSTED
    return session_types.GrantState(
        status=status,
        callsUsed=calls_used,
        callsLeft=calls_left,
        nativeSpent=native_spent,
        nativeLeft=budget - min(native_spent, budget),
        lastCall=(state >> grant_state.LAST_SHIFT) & grant_state.MASK_48,
        validAfter=convert(grant.validAfter, uint256),
        validUntil=convert(grant.validUntil, uint256),
        nonce=(state >> grant_state.NONCE_SHIFT) & grant_state.MASK_32,
    )


@external
@view
def tokenAllowance(grant: session_types.Grant, token: address) -> uint256:
    """
    @notice How much of `token` the grant may still move in the current
            period (0 if the grant has no budget for `token`).
    """
    for budget: session_types.TokenBudget in grant.tokenBudgets:
        if budget.token == token:
            cap: uint256 = convert(budget.cap, uint256)
            if block.timestamp < convert(grant.validAfter, uint256):
                return cap
            word: uint256 = staticcall ISessionManager(MANAGER).spentOf(self._hash_grant(grant), token)
            if word >> grant_state.PERIOD_SHIFT != grant_state._period(grant.validAfter, budget.period):
                return cap
            return cap - min(word & grant_state.MASK_128, cap)
    return 0


# ---------------------------------------------------------------- internal

@internal
@view
def _hash_grant(grant: session_types.Grant) -> bytes32:
    return grant_hashing._typed_data_hash(
        grant_hashing._domain_separator(MANAGER), grant_hashing._grant_struct_hash(grant)
    )
