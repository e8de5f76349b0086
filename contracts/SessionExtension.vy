# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter SessionExtension
@custom:contract-name SessionExtension
@license MIT
@notice The SessionManager's second half: `executeBatch`, `renounce` and
        `setMaxSessionLength`. Users never call this contract: they call
        the manager, whose fallback runs this code on the manager's own
        storage (DELEGATECALL), so the functions, events and state are the
        manager's. Kept apart so that the manager stays well under EIP-170
        with room for what comes next.
@dev Both contracts initialize `grant_store` and nothing else with state,
     so their storage and transient layouts (and the nonreentrancy lock)
     are the same; a test compares them. Direct calls are refused: this
     code only ever runs as the manager.
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from .modules import grant_hashing
from .modules import grant_state
from .modules import grant_store
from .modules import session_scope
from .modules import session_types

initializes: eip712_domain_separator
initializes: grant_store[eip712_domain_separator := eip712_domain_separator]


# ---------------------------------------------------------------- immutables

# This contract's own address: code running at it was not delegated to.
_SELF: immutable(address)
# The SessionActivator: multi-chain first use, run on the manager's storage (DELEGATECALL).
ACTIVATOR: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IAgentAccount:
    def executeBatchFromManager(calls: DynArray[session_types.Call, session_types.MAX_BATCH]): nonpayable


# ---------------------------------------------------------------- events

event MaxSessionLengthSet:
    account: indexed(address)
    maxSessionLength: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address, activator: address):
    """
    @param registry The AgentRegistry of the SessionManager this code
           serves (the same as the manager's).
    @param activator The SessionActivator (multi-chain grants' first use),
           whose code runs on the manager's storage too.
    """
    assert activator.is_contract, "sessions: no activator"
    ACTIVATOR = activator
    _SELF = self
    eip712_domain_separator.__init__(grant_hashing.EIP712_NAME, grant_hashing.EIP712_VERSION)
    grant_store.__init__(registry)


# ---------------------------------------------------------------- session execution (through the manager)

@external
def executeBatch(
    grant: session_types.Grant,
    grantSignature: Bytes[session_types.GRANT_SIGNATURE_MAX],
    calls: DynArray[session_types.Call, session_types.MAX_BATCH],
    relay: session_types.Relay = empty(session_types.Relay),
):
    """
    @notice Make several calls from `grant.account`, in order, all or
            nothing, under the grant. Authorization as in `execute`; a
            relayed request signs all the calls.
    @dev Every call is checked; the native value is a running total over
         the batch, written before the account makes the calls; token
         budgets are charged after them with what left the account over
         the whole batch (see `SessionManager.execute`).
    @param grant The grant, exactly as signed or issued.
    @param grantSignature As in `execute`.
    @param calls The calls (1 to 16, each with at most 1,024 bytes of
           calldata).
    @param relay As in `execute`.
    """
    self._only_delegated()
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    state: uint256 = grant_store._grants[grant.account][grant_hash]
    n: uint256 = len(calls)
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        state = grant_store._check_relay(grant.sessionKey, grant_hash, state, relay, grant_hashing._calls_hash(calls))
    if state & 255 == grant_state.UNUSED:
        consent: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
        state, consent = grant_store._activate(grant.account, grant_hash, grantSignature, state)
        grant_store._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, consent)
        grant_store._validate(grant, grant_hash)
    state = grant_store._open(grant.account, grant.agentId, grant.agentGeneration, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, n)

    native: uint256 = 0
    for i: uint256 in range(n, bound=session_types.MAX_BATCH):
        session_scope._check_call(i, calls[i].target, calls[i].value, calls[i].data, grant.permissions, grant.conditions)
        native += calls[i].value
    grant_store._charge_native(grant.account, grant_hash, state, native, grant.nativeBudget)
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS] = grant.tokenBudgets
    before: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
    if len(budgets) != 0:
        before = grant_store._balances(grant.account, budgets)
    grant_store._acting[grant.account] = grant.agentId
    extcall IAgentAccount(grant.account).executeBatchFromManager(calls, skip_contract_check=True)
    grant_store._acting[grant.account] = 0
    if len(budgets) != 0:
        extra: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
        for i: uint256 in range(n, bound=session_types.MAX_BATCH):
            if session_scope._may_use_allowance(calls[i].data):
                extra = grant_store._allowance_charge(grant.account, calls[i].target, calls[i].data, budgets, extra)
        grant_store._charge_tokens(grant.account, grant_hash, grant.validAfter, budgets, before, extra)


# ---------------------------------------------------------------- revocation and settings (through the manager)

@external
def renounce(grant: session_types.Grant):
    """
    @notice The session key gives up its grant, at once and for good.
    @param grant The grant; the caller must be its session key.
    """
    self._only_delegated()
    assert msg.sender == grant.sessionKey, "sessions: not the session key"
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    state: uint256 = grant_store._grants[grant.account][grant_hash]
    assert state & 255 != grant_state.REVOKED, "sessions: already revoked"
    grant_store._grants[grant.account][grant_hash] = (state & ~convert(255, uint256)) | grant_state.REVOKED
    log grant_store.GrantRevoked(grantHash=grant_hash, account=grant.account, revokedBy=msg.sender)


@external
def setMaxSessionLength(maxSessionLength: uint256):
    """
    @notice Set the longest validity window the caller's grants may have.
    @param maxSessionLength Seconds, 1 .. 366 days; 0 restores the default
           of 7 days. Checked on every use, so shortening it also cuts off
           grants already issued with a longer window.
    """
    self._only_delegated()
    assert maxSessionLength <= grant_state.MAX_SESSION_CEILING, "sessions: session too long"
    config: uint256 = grant_store._accounts[msg.sender]
    config = (config & ~(grant_state.MASK_48 << grant_state.MAXLEN_SHIFT)) | (maxSessionLength << grant_state.MAXLEN_SHIFT) | grant_state.IN_USE
    grant_store._accounts[msg.sender] = config
    log MaxSessionLengthSet(account=msg.sender, maxSessionLength=grant_state._max_length(config))



@external
@reentrant
def __default__() -> bytes32:
    """
    @notice The manager's functions that are in neither its code nor this
            one (`activate`: see SessionActivator), on the manager's storage.
    @dev Not locked here: the activator's functions take the same lock.
    @custom:security DELEGATECALL only to ACTIVATOR, an immutable in this
                     code's CREATE2 init code (so in the manager's too).
    """
    self._only_delegated()
    ok: bool = False
    answer: Bytes[160] = b""
    ok, answer = raw_call(ACTIVATOR, msg.data, max_outsize=160, is_delegate_call=True, revert_on_failure=False)
    if not ok:
        raw_revert(answer)
    return empty(bytes32)


# ---------------------------------------------------------------- internal

@internal
@view
def _only_delegated():
    """
    @dev This code runs only as the manager's (DELEGATECALL).
    """
    assert self != _SELF, "sessions: call the manager"
