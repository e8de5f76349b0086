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
     call cannot be turned into arbitrary calls. A grant acts in an
     agent's name only with the agent's consent and only while the agent
     has the generation the grant names (a transfer voids it).
     Read-only views of a grant's state live in SessionView; the pure
     pieces in modules: session_types (limits, structs), grant_hashing
     (EIP-712), grant_state (storage words) and session_scope (checks).
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from .modules import grant_hashing
from .modules import grant_state
from .modules import session_scope
from .modules import session_types
from .modules import signatures

initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: eip712_domain_separator.eip712Domain


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IAgentAccount:
    def executeFromManager(target: address, callValue: uint256, data: Bytes[session_types.MAX_CALL_DATA]): nonpayable
    def executeBatchFromManager(calls: DynArray[session_types.Call, session_types.MAX_BATCH]): nonpayable

interface IRegistry:
    def activeGeneration(agentId: uint256) -> uint256: view
    def consentSigners(agentId: uint256) -> (address, address): view


# ---------------------------------------------------------------- storage

_grants: HashMap[address, HashMap[bytes32, uint256]]
_spent: HashMap[bytes32, HashMap[address, uint256]]
_accounts: HashMap[address, uint256]
# The agent of the session an account is executing, while its calls run.
_acting: transient(HashMap[address, uint256])


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
    @param registry The AgentRegistry whose `activeGeneration` every session call
           consults.
    """
    assert registry != empty(address), "sessions: zero registry"
    REGISTRY = registry
    eip712_domain_separator.__init__(grant_hashing.EIP712_NAME, grant_hashing.EIP712_VERSION)


# ---------------------------------------------------------------- session execution

@external
def execute(
    grant: session_types.Grant,
    grantSignature: Bytes[session_types.GRANT_SIGNATURE_MAX],
    target: address,
    callValue: uint256,
    data: Bytes[session_types.MAX_CALL_DATA],
    relay: session_types.Relay = empty(session_types.Relay),
):
    """
    @notice Make one call from `grant.account` under the grant. Without
            `relay`, the caller must be the session key. With `relay`, the
            session key signed SessionRequest(grantHash, nonce, deadline,
            [call]) and anyone may send it (the agent then needs no gas).
    @dev All state is written before the account makes the call.
    @param grant The grant, exactly as signed or issued.
    @param grantSignature On first use of an off-chain grant,
           abi.encode(accountSignature, agentConsent): the account's EIP-712
           signature of the grant and, unless the agent's consent is
           implied (see `issue`), its owner's or wallet's signature of the
           grant hash. Empty once the grant is active.
    @param target The address the account calls.
    @param callValue Wei the account sends along.
    @param data Calldata (at most 2,048 bytes).
    @param relay The grant's next request nonce (see `SessionView.grantState`), the
           request's deadline and the session key's signature.
    @custom:security Relayed requests are bound to this chain and manager
                     (EIP-712 domain), to the grant and hence the account,
                     and are usable once (sequential nonce per grant).
    """
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    state: uint256 = self._grants[grant.account][grant_hash]
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        calls_hash: bytes32 = keccak256(grant_hashing._call_hash(target, callValue, data))
        state = self._check_relay(grant.sessionKey, grant_hash, state, relay, calls_hash)
    if state & 255 == grant_state.UNUSED:
        consent: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
        state, consent = self._activate(grant.account, grant_hash, grantSignature, state)
        self._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, consent)
        self._validate(grant, grant_hash)
    state = self._open(grant.account, grant.agentId, grant.agentGeneration, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, 1)

    budget: uint256 = 0
    amount: uint256 = 0
    budget, amount = session_scope._check_call(0, target, callValue, data, grant.permissions, grant.conditions, grant.tokenBudgets)
    spend: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
    if budget != 0:
        spend[budget - 1] = amount
    self._close(grant.account, grant_hash, state, callValue, grant.nativeBudget, grant.validAfter, grant.tokenBudgets, spend)
    self._acting[grant.account] = grant.agentId
    extcall IAgentAccount(grant.account).executeFromManager(target, callValue, data, skip_contract_check=True)
    self._acting[grant.account] = 0


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
    @dev Every call is checked and budgets are running totals over the
         batch; all state is written before the account makes the calls.
    @param grant The grant, exactly as signed or issued.
    @param grantSignature As in `execute`.
    @param calls The calls (1 to 16, each with at most 1,024 bytes of
           calldata).
    @param relay As in `execute`.
    """
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    state: uint256 = self._grants[grant.account][grant_hash]
    n: uint256 = len(calls)
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        state = self._check_relay(grant.sessionKey, grant_hash, state, relay, grant_hashing._calls_hash(calls))
    if state & 255 == grant_state.UNUSED:
        consent: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
        state, consent = self._activate(grant.account, grant_hash, grantSignature, state)
        self._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, consent)
        self._validate(grant, grant_hash)
    state = self._open(grant.account, grant.agentId, grant.agentGeneration, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, n)

    native: uint256 = 0
    spend: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
    for i: uint256 in range(n, bound=session_types.MAX_BATCH):
        budget: uint256 = 0
        amount: uint256 = 0
        budget, amount = session_scope._check_call(i, calls[i].target, calls[i].value, calls[i].data, grant.permissions, grant.conditions, grant.tokenBudgets)
        if budget != 0:
            # Each amount is at most its cap (< 2**128) and there are at most 16: no overflow.
            spend[budget - 1] = unsafe_add(spend[budget - 1], amount)
        native += calls[i].value
    self._close(grant.account, grant_hash, state, native, grant.nativeBudget, grant.validAfter, grant.tokenBudgets, spend)
    self._acting[grant.account] = grant.agentId
    extcall IAgentAccount(grant.account).executeBatchFromManager(calls, skip_contract_check=True)
    self._acting[grant.account] = 0


# ---------------------------------------------------------------- issuance and revocation

@external
def issue(grant: session_types.Grant, agentConsent: Bytes[signatures.SIGNATURE_MAX]) -> bytes32:
    """
    @notice Issue a grant on-chain. Only the grant's account may call.
    @dev The agent consents to the session key when the key is the
         agent's wallet, when the account is the agent's owner or wallet,
         or else through `agentConsent`.
    @param grant The grant; its `epoch` must be the account's current one.
           Its agent's status and generation are checked on every use, not
           here: a grant naming another generation issues but never acts.
    @param agentConsent The agent owner's or wallet's signature of the
           grant hash (ECDSA or ERC-1271); empty when consent is implied.
    @return The grant hash.
    @custom:security Checked once here; a later transfer of the agent
                     voids the grant through its generation.
    """
    assert msg.sender == grant.account, "sessions: not the account"
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    assert self._grants[grant.account][grant_hash] == grant_state.UNUSED, "sessions: grant exists"
    self._check_account(grant.account, grant.epoch, grant.validAfter, grant.validUntil)
    self._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, agentConsent)
    self._validate(grant, grant_hash)
    self._grants[grant.account][grant_hash] = grant_state.USED
    return grant_hash


@external
def revoke(grantHash: bytes32):
    """
    @notice Revoke one of the caller's grants at once, also one that was
            signed off-chain and never used.
    @param grantHash The grant's hash (`SessionView.hashGrant`).
    """
    state: uint256 = self._grants[msg.sender][grantHash]
    assert state & 255 != grant_state.REVOKED, "sessions: already revoked"
    self._grants[msg.sender][grantHash] = (state & ~convert(255, uint256)) | grant_state.REVOKED
    log GrantRevoked(grantHash=grantHash, account=msg.sender, revokedBy=msg.sender)


@external
def revokeAll():
    """
    @notice Revoke every grant of the caller, used or not, at once: the
            account's epoch moves on and grants of older epochs stop working.
    """
    config: uint256 = self._accounts[msg.sender]
    epoch: uint256 = (config & grant_state.MASK_64) + 1
    assert epoch <= grant_state.MASK_64, "sessions: epoch overflow"
    self._accounts[msg.sender] = (config & ~grant_state.MASK_64) | epoch | grant_state.IN_USE
    log AllGrantsRevoked(account=msg.sender, epoch=epoch)


@external
def renounce(grant: session_types.Grant):
    """
    @notice The session key gives up its grant, at once and for good.
    @param grant The grant; the caller must be its session key.
    """
    assert msg.sender == grant.sessionKey, "sessions: not the session key"
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    state: uint256 = self._grants[grant.account][grant_hash]
    assert state & 255 != grant_state.REVOKED, "sessions: already revoked"
    self._grants[grant.account][grant_hash] = (state & ~convert(255, uint256)) | grant_state.REVOKED
    log GrantRevoked(grantHash=grant_hash, account=grant.account, revokedBy=msg.sender)


@external
def setMaxSessionLength(maxSessionLength: uint256):
    """
    @notice Set the longest validity window the caller's grants may have.
    @param maxSessionLength Seconds, 1 .. 366 days; 0 restores the default
           of 7 days. Checked on every use, so shortening it also cuts off
           grants already issued with a longer window.
    """
    assert maxSessionLength <= grant_state.MAX_SESSION_CEILING, "sessions: session too long"
    config: uint256 = self._accounts[msg.sender]
    config = (config & ~(grant_state.MASK_48 << grant_state.MAXLEN_SHIFT)) | (maxSessionLength << grant_state.MAXLEN_SHIFT) | grant_state.IN_USE
    self._accounts[msg.sender] = config
    log MaxSessionLengthSet(account=msg.sender, maxSessionLength=grant_state._max_length(config))


# ---------------------------------------------------------------- views

@external
@view
@reentrant
def actingAgentOf(account: address) -> uint256:
    """
    @notice The agent whose session `account` is executing right now (its
            calls are running inside `execute` / `executeBatch`), else 0.
            Lets a contract the account calls, such as the IntentSettler,
            verify that a session of that agent made the call.
    @param account The account.
    @return uint256 The agent id, or 0 outside a session call.
    """
    return self._acting[account]


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
    return convert(self._accounts[account] & grant_state.MASK_64, uint64)


@external
@view
@reentrant
def maxSessionLengthOf(account: address) -> uint256:
    """
    @notice The longest validity window the account's grants may have.
    """
    return grant_state._max_length(self._accounts[account])


@external
@view
@reentrant
def spentOf(grantHash: bytes32, token: address) -> uint256:
    """
    @notice The raw token word of a grant: amount spent in the recorded
            period (bits 0-127) and that period's index (128-191).
    """
    return self._spent[grantHash][token]


# ---------------------------------------------------------------- internal

@internal
@view
def _check_relay(session_key: address, grant_hash: bytes32, state: uint256, relay: session_types.Relay, calls_hash: bytes32) -> uint256:
    """
    @dev Verify a relayed request and return the state with the grant's
         request nonce consumed.
    """
    assert block.timestamp <= relay.deadline, "sessions: request expired"
    assert (state >> grant_state.NONCE_SHIFT) & grant_state.MASK_32 == relay.nonce, "sessions: bad nonce"
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(
        grant_hashing._request_struct_hash(grant_hash, relay.nonce, relay.deadline, calls_hash)
    )
    assert signatures._is_valid_signature(session_key, digest, relay.signature), "sessions: bad request signature"
    assert relay.nonce < grant_state.MASK_32, "sessions: nonces used up"
    # The nonce field is below 2**32 - 1 (checked above): no carry.
    return unsafe_add(state, 1 << grant_state.NONCE_SHIFT)


@internal
def _activate(
    account: address, grant_hash: bytes32, grant_signature: Bytes[session_types.GRANT_SIGNATURE_MAX], state: uint256
) -> (uint256, Bytes[session_types.FIRST_USE_SIGNATURE_MAX]):
    """
    @dev First use of an off-chain grant: the account must have signed it.
         Returns the state marked active and the agent's consent, for the
         caller to validate the grant with (`_validate`). Takes no grant, so
         that its frame stays small: the memory every session call pays for
         grows with the deepest chain of internal frames.
    """
    assert state & 255 != grant_state.REVOKED, "sessions: revoked"
    assert len(grant_signature) >= 128, "sessions: bad grant signature"
    account_signature: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
    consent: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
    account_signature, consent = abi_decode(
        grant_signature, (Bytes[session_types.FIRST_USE_SIGNATURE_MAX], Bytes[session_types.FIRST_USE_SIGNATURE_MAX])
    )
    assert signatures._is_valid_signature(account, grant_hash, account_signature), "sessions: bad grant signature"
    return state | grant_state.USED, consent


@internal
@view
def _open(
    account: address,
    agent_id: uint256,
    generation: uint32,
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
    assert state & 255 == grant_state.USED, "sessions: revoked"
    assert account.is_contract, "sessions: account has no code"
    self._check_account(account, epoch, valid_after, valid_until)
    assert block.timestamp >= convert(valid_after, uint256), "sessions: not yet valid"
    assert block.timestamp <= convert(valid_until, uint256), "sessions: expired"
    # One read gives both: 0 unless the agent is Active, else its generation.
    current: uint256 = staticcall IRegistry(REGISTRY).activeGeneration(agent_id)
    assert current != 0, "sessions: agent not active"
    assert current == convert(generation, uint256), "sessions: agent changed hands"
    assert n != 0, "sessions: no calls"
    if min_interval != 0:
        assert n == 1, "sessions: one call per interval"
        last: uint256 = (state >> grant_state.LAST_SHIFT) & grant_state.MASK_48
        assert last == 0 or block.timestamp >= last + convert(min_interval, uint256), "sessions: too soon"
    # At most 2**32 - 1 + 16: no overflow.
    calls_used: uint256 = unsafe_add((state >> grant_state.CALLS_SHIFT) & grant_state.MASK_32, n)
    if max_calls != 0:
        assert calls_used <= convert(max_calls, uint256), "sessions: over call limit"
    assert calls_used <= grant_state.MASK_32, "sessions: over call limit"
    return (
        (state & ~((grant_state.MASK_32 << grant_state.CALLS_SHIFT) | (grant_state.MASK_48 << grant_state.LAST_SHIFT)))
        | (calls_used << grant_state.CALLS_SHIFT)
        | (block.timestamp << grant_state.LAST_SHIFT)
    )


@internal
def _close(
    account: address,
    grant_hash: bytes32,
    state: uint256,
    spent_now: uint256,
    native_budget: uint128,
    valid_after: uint48,
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS],
    spend: uint256[session_types.MAX_TOKENS],
):
    """
    @dev Charge the native value and token amounts of this execution
         against the budgets and write the grant's state.
    """
    native: uint256 = (state >> grant_state.NATIVE_SHIFT) + spent_now
    if native > convert(native_budget, uint256):
        raw_revert(session_scope._error("sessions: over native budget"))
    for j: uint256 in range(len(budgets), bound=session_types.MAX_TOKENS):
        if spend[j] == 0:
            continue
        token: address = budgets[j].token
        period: uint256 = grant_state._period(valid_after, budgets[j].period)
        word: uint256 = self._spent[grant_hash][token]
        spent: uint256 = spend[j]
        if word >> grant_state.PERIOD_SHIFT == period:
            # Both terms are below 2**132: no overflow.
            spent = unsafe_add(spent, word & grant_state.MASK_128)
        if spent > convert(budgets[j].cap, uint256):
            session_scope._over_token_budget(j)
        self._spent[grant_hash][token] = (period << grant_state.PERIOD_SHIFT) | spent
    self._grants[account][grant_hash] = (state & ((1 << grant_state.NATIVE_SHIFT) - 1)) | (native << grant_state.NATIVE_SHIFT)


@internal
@view
def _check_account(account: address, epoch: uint64, valid_after: uint48, valid_until: uint48) -> uint256:
    """
    @dev The account-wide checks made on every use: the grant belongs to
         the current epoch and its window fits the account's maximum
         session length. Returns the account word.
    """
    config: uint256 = self._accounts[account]
    current: uint256 = config & grant_state.MASK_64
    assert convert(epoch, uint256) >= current, "sessions: revoked by revokeAll"
    assert convert(epoch, uint256) == current, "sessions: future epoch"
    after: uint256 = convert(valid_after, uint256)
    until: uint256 = convert(valid_until, uint256)
    assert after < until, "sessions: empty window"
    assert until - after <= grant_state._max_length(config), "sessions: window too long"
    return config


@internal
@view
def _require_consent(
    account: address, agent_id: uint256, session_key: address, grant_hash: bytes32, consent: Bytes[signatures.SIGNATURE_MAX]
):
    """
    @dev The first checks made once, when a grant becomes active: who it
         binds, and the agent's consent to its session key. Takes no grant,
         so that the signature check's frame does not stack on a copy of
         it (every session call pays memory for the deepest chain of
         internal frames).
    @custom:security The agent consents to the session key (S5): the key
                     is the agent's wallet, or the account is the agent's
                     owner or wallet (its grant signature or `issue` call
                     is the consent), or the owner or wallet signed the
                     grant hash (`consent`).
    """
    assert account != empty(address), "sessions: zero account"
    assert agent_id != 0, "sessions: no agent"
    assert session_key != empty(address), "sessions: zero session key"
    assert session_key != account, "sessions: key is the account"
    owner: address = empty(address)
    wallet: address = empty(address)
    owner, wallet = staticcall IRegistry(REGISTRY).consentSigners(agent_id)
    assert owner != empty(address), "sessions: unknown agent"
    if session_key != wallet and account != owner and account != wallet:
        assert (
            signatures._is_valid_signature(owner, grant_hash, consent)
            or signatures._is_valid_signature(wallet, grant_hash, consent)
        ), "sessions: no agent consent"


@internal
def _validate(grant: session_types.Grant, grant_hash: bytes32):
    """
    @dev The rest of the checks made once, after `_require_consent` (the
         window is checked on every use by `_check_account`, the agent's
         status and generation by `_open`), and the activation event.
         Also marks the account's word as in use, so a later revokeAll
         rewrites a non-zero slot.
    """
    n: uint256 = len(grant.permissions)
    assert n != 0, "sessions: no permissions"
    for p: uint256 in range(n, bound=session_types.MAX_PERMISSIONS):
        target: address = grant.permissions[p].target
        selector: bytes4 = grant.permissions[p].selector
        assert target != empty(address), "sessions: zero target"
        assert target != grant.account and target != self and target != REGISTRY, "sessions: forbidden target"
        for forbidden: bytes4 in session_scope.FORBIDDEN_SELECTORS:
            assert selector != forbidden, "sessions: forbidden selector"
        for q: uint256 in range(p + 1, n, bound=session_types.MAX_PERMISSIONS):
            assert grant.permissions[q].target != target or grant.permissions[q].selector != selector, "sessions: duplicate permission"
    for condition: session_types.Condition in grant.conditions:
        assert convert(condition.permission, uint256) < n, "sessions: bad condition"
        assert condition.op <= session_types.OP_ONE_OF, "sessions: bad condition"
    m: uint256 = len(grant.tokenBudgets)
    for j: uint256 in range(m, bound=session_types.MAX_TOKENS):
        assert grant.tokenBudgets[j].token != empty(address), "sessions: zero token"
        for k: uint256 in range(j + 1, m, bound=session_types.MAX_TOKENS):
            assert grant.tokenBudgets[k].token != grant.tokenBudgets[j].token, "sessions: duplicate token"
    if self._accounts[grant.account] == 0:
        self._accounts[grant.account] = grant_state.IN_USE
    log GrantActivated(
        grantHash=grant_hash,
        account=grant.account,
        agentId=grant.agentId,
        sessionKey=grant.sessionKey,
        validUntil=convert(grant.validUntil, uint256),
    )
