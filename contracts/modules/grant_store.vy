# pragma version ~=0.4.3
"""
@title The SessionManager's storage and the checks that use it
@custom:contract-name grant_store
@license MIT
@notice The one home of the session layer's state: the grant, token and
        account words (layout in `grant_state`), the acting agent of an
        executing account, and every internal step of a session execution
        (relay check, first-use activation, the per-use checks, the native
        and token charges). Initialized by the SessionManager and by the
        SessionExtension, which runs on the manager's storage by
        DELEGATECALL: both get this storage layout, in this order, and the
        same nonreentrancy lock (a test compares the two layouts).
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from . import grant_hashing
from . import grant_state
from . import session_scope
from . import session_types
from . import signatures

uses: eip712_domain_separator


# ---------------------------------------------------------------- constants

_ALLOWANCE: constant(bytes4) = method_id("allowance(address,address)", output_type=bytes4)
# Permit2's allowance(owner, token, spender) -> (amount, expiration, nonce).
_PERMIT2_ALLOWANCE: constant(bytes4) = method_id("allowance(address,address,address)", output_type=bytes4)


# ---------------------------------------------------------------- immutables

REGISTRY: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IERC20:
    def balanceOf(owner: address) -> uint256: view

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


# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address):
    """
    @param registry The AgentRegistry whose `activeGeneration` every session
           call consults.
    """
    assert registry != empty(address), "sessions: zero registry"
    REGISTRY = registry


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
def _charge_native(account: address, grant_hash: bytes32, state: uint256, spent_now: uint256, native_budget: uint128):
    """
    @dev Charge the native value of this execution against the budget and
         write the grant's state, before the account makes any call.
    """
    native: uint256 = (state >> grant_state.NATIVE_SHIFT) + spent_now
    if native > convert(native_budget, uint256):
        raw_revert(session_scope._error("sessions: over native budget"))
    self._grants[account][grant_hash] = (state & ((1 << grant_state.NATIVE_SHIFT) - 1)) | (native << grant_state.NATIVE_SHIFT)


@internal
@view
def _balances(
    account: address, budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS]
) -> uint256[session_types.MAX_TOKENS]:
    """
    @dev The account's balance of every budgeted (or guarded) token, read
         before the execution. The read also warms the token and the
         account's balance slot, so the transfer that follows pays less.
    """
    balances: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
    for j: uint256 in range(len(budgets), bound=session_types.MAX_TOKENS):
        balances[j] = staticcall IERC20(budgets[j].token).balanceOf(account)
    return balances


@internal
@view
def _allowance_charge(
    account: address,
    target: address,
    data: Bytes[session_types.MAX_CALL_DATA],
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS],
    extra: uint256[session_types.MAX_TOKENS],
) -> uint256[session_types.MAX_TOKENS]:
    """
    @dev Add to `extra` what a call cost beyond the account's balance
         change (see `session_scope._allowance_call`): a pull of someone
         else's tokens, or an approval, charged at what it still lets the
         spender take after the execution (at most its amount): an
         approval used up in the same execution is paid for once, through
         the balance it moved.
    """
    j: uint256 = 0
    kind: uint256 = 0
    amount: uint256 = 0
    who: address = empty(address)
    j, kind, amount, who = session_scope._allowance_call(target, data, budgets)
    if j == 0:
        return extra
    charge: uint256 = amount
    if kind == session_scope.KIND_PULL:
        if who == account:
            # Pulled from the account itself: the balance change shows it.
            return extra
    elif kind == session_scope.KIND_APPROVE:
        charge = min(amount, self._remaining(target, abi_encode(account, who, method_id=_ALLOWANCE)))
    else:
        charge = min(amount, self._remaining(target, abi_encode(account, budgets[j - 1].token, who, method_id=_PERMIT2_ALLOWANCE)))
    result: uint256[session_types.MAX_TOKENS] = extra
    # Saturated above every cap (caps are below 2**128): 16 calls add up to less than 2**133.
    result[j - 1] = unsafe_add(result[j - 1], min(charge, 2**129))
    return result


@internal
@view
def _remaining(target: address, query: Bytes[100]) -> uint256:
    """
    @dev An allowance left after the execution, read with `query` (its
         first word); an unanswerable read counts as unlimited.
    """
    ok: bool = False
    answer: Bytes[32] = b""
    ok, answer = raw_call(target, query, max_outsize=32, is_static_call=True, revert_on_failure=False)
    if not ok or len(answer) < 32:
        return max_value(uint256)
    return extract32(answer, 0, output_type=uint256)


@internal
def _charge_tokens(
    account: address,
    grant_hash: bytes32,
    valid_after: uint48,
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS],
    before: uint256[session_types.MAX_TOKENS],
    extra: uint256[session_types.MAX_TOKENS],
):
    """
    @dev Charge each budgeted token with what left the account during the
         execution (its balance before less its balance after) plus
         `extra`, and refuse the whole execution if a cap is exceeded. A
         guarded token (cap 0) may not leave at all.
    """
    for j: uint256 in range(len(budgets), bound=session_types.MAX_TOKENS):
        token: address = budgets[j].token
        spent: uint256 = extra[j]
        after: uint256 = staticcall IERC20(token).balanceOf(account)
        if after < before[j]:
            spent += before[j] - after
        if spent == 0:
            continue
        cap: uint256 = convert(budgets[j].cap, uint256)
        if spent > cap:
            session_scope._over_token_budget(j)
        period: uint256 = grant_state._period(valid_after, budgets[j].period)
        word: uint256 = self._spent[grant_hash][token]
        if word >> grant_state.PERIOD_SHIFT == period:
            # Both terms are below 2**128: no overflow.
            spent = unsafe_add(spent, word & grant_state.MASK_128)
            if spent > cap:
                session_scope._over_token_budget(j)
        self._spent[grant_hash][token] = (period << grant_state.PERIOD_SHIFT) | spent


@internal
def _next_epoch(account: address) -> uint256:
    """
    @dev Revoke every grant of `account`: its epoch moves on (grants of
         older epochs stop working); returns the new epoch.
    """
    config: uint256 = self._accounts[account]
    epoch: uint256 = (config & grant_state.MASK_64) + 1
    assert epoch <= grant_state.MASK_64, "sessions: epoch overflow"
    self._accounts[account] = (config & ~grant_state.MASK_64) | epoch | grant_state.IN_USE
    return epoch


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
        assert grant.tokenBudgets[j].token.is_contract, "sessions: token has no code"
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
