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
            optional refill period, a maximum number of calls and a
            minimum interval between calls. A token cap bounds what leaves
            the account during session executions by any path (its own
            transfers, and pulls by allowed targets through allowances
            granted before or outside the session, Permit2's included):
            the account's balance is read before and after each execution,
            and approvals made in a session count for what they still let
            the spender take afterwards. A cap of 0 guards a token: it may
            not leave the account during a session execution at all.
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
     Read-only views of a grant's state live in SessionView; executeBatch,
     renounce and setMaxSessionLength in SessionExtension, whose code this
     contract runs on its own storage (fallback, DELEGATECALL); the storage
     and every step of an execution in the grant_store module that both
     initialize; the pure pieces in modules: session_types (limits,
     structs), grant_hashing (EIP-712), grant_state (storage words) and
     session_scope (checks).
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from .modules import grant_hashing
from .modules import grant_state
from .modules import grant_store
from .modules import session_scope
from .modules import session_types
from .modules import signatures

initializes: eip712_domain_separator
initializes: grant_store[eip712_domain_separator := eip712_domain_separator]


# ---------------------------------------------------------------- exports

exports: (eip712_domain_separator.eip712Domain, grant_store.REGISTRY)


# ---------------------------------------------------------------- immutables

# The SessionExtension: the rest of this contract's code (executeBatch,
# renounce, setMaxSessionLength), run on this storage by DELEGATECALL.
EXTENSION: public(immutable(address))


# ---------------------------------------------------------------- interfaces

interface IAgentAccount:
    def executeFromManager(target: address, callValue: uint256, data: Bytes[session_types.MAX_CALL_DATA]): nonpayable


# ---------------------------------------------------------------- events

event AllGrantsRevoked:
    account: indexed(address)
    epoch: uint256

# ---------------------------------------------------------------- constructor

@deploy
def __init__(registry: address, extension: address):
    """
    @param registry The AgentRegistry whose `activeGeneration` every session call
           consults.
    @param extension The SessionExtension (its code runs on this contract's
           storage).
    """
    assert extension.is_contract, "sessions: no extension"
    EXTENSION = extension
    eip712_domain_separator.__init__(grant_hashing.EIP712_NAME, grant_hashing.EIP712_VERSION)
    grant_store.__init__(registry)


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
    @dev The grant's state (calls, native value) is written before the
         account makes the call; token budgets are charged after it, with
         what left the account (balance before less after) plus what
         approvals made by the call still allow (and pulls of someone
         else's tokens); over a cap, the whole execution reverts.
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
    state: uint256 = grant_store._grants[grant.account][grant_hash]
    if len(relay.signature) == 0:
        assert msg.sender == grant.sessionKey, "sessions: not the session key"
    else:
        calls_hash: bytes32 = keccak256(grant_hashing._call_hash(target, callValue, data))
        state = grant_store._check_relay(grant.sessionKey, grant_hash, state, relay, calls_hash)
    if state & 255 == grant_state.UNUSED:
        consent: Bytes[session_types.FIRST_USE_SIGNATURE_MAX] = b""
        state, consent = grant_store._activate(grant.account, grant_hash, grantSignature, state)
        grant_store._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, consent)
        grant_store._validate(grant, grant_hash)
    state = grant_store._open(grant.account, grant.agentId, grant.agentGeneration, grant.epoch, grant.validAfter, grant.validUntil, grant.maxCalls, grant.minInterval, state, 1)

    session_scope._check_call(0, target, callValue, data, grant.permissions, grant.conditions)
    grant_store._charge_native(grant.account, grant_hash, state, callValue, grant.nativeBudget)
    budgets: DynArray[session_types.TokenBudget, session_types.MAX_TOKENS] = grant.tokenBudgets
    before: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
    if len(budgets) != 0:
        before = grant_store._balances(grant.account, budgets)
    grant_store._acting[grant.account] = grant.agentId
    extcall IAgentAccount(grant.account).executeFromManager(target, callValue, data, skip_contract_check=True)
    grant_store._acting[grant.account] = 0
    if len(budgets) != 0:
        extra: uint256[session_types.MAX_TOKENS] = empty(uint256[session_types.MAX_TOKENS])
        if session_scope._may_use_allowance(data):
            extra = grant_store._allowance_charge(grant.account, target, data, budgets, extra)
        grant_store._charge_tokens(grant.account, grant_hash, grant.validAfter, budgets, before, extra)


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
    assert grant_store._grants[grant.account][grant_hash] == grant_state.UNUSED, "sessions: grant exists"
    grant_store._check_account(grant.account, grant.epoch, grant.validAfter, grant.validUntil)
    grant_store._require_consent(grant.account, grant.agentId, grant.sessionKey, grant_hash, agentConsent)
    grant_store._validate(grant, grant_hash)
    grant_store._grants[grant.account][grant_hash] = grant_state.USED
    return grant_hash


@external
def revoke(grantHash: bytes32):
    """
    @notice Revoke one of the caller's grants at once, also one that was
            signed off-chain and never used.
    @param grantHash The grant's hash (`SessionView.hashGrant`).
    """
    state: uint256 = grant_store._grants[msg.sender][grantHash]
    assert state & 255 != grant_state.REVOKED, "sessions: already revoked"
    grant_store._grants[msg.sender][grantHash] = (state & ~convert(255, uint256)) | grant_state.REVOKED
    log grant_store.GrantRevoked(grantHash=grantHash, account=msg.sender, revokedBy=msg.sender)


@external
def revokeAll():
    """
    @notice Revoke every grant of the caller, used or not, at once: the
            account's epoch moves on and grants of older epochs stop working.
    """
    log AllGrantsRevoked(account=msg.sender, epoch=grant_store._next_epoch(msg.sender))


# ---------------------------------------------------------------- extension

@external
@reentrant
def __default__() -> bytes32:
    """
    @notice Every other function of the manager (`executeBatch`, `renounce`,
            `setMaxSessionLength`: see SessionExtension) runs here, on this
            contract's storage, through the extension's code.
    @dev Not locked here: the extension's functions take the same
         nonreentrancy lock (same transient slot). Its functions return
         nothing; its revert data is forwarded (reasons up to 64 characters).
    @custom:security DELEGATECALL only to EXTENSION, an immutable fixed at
                     deployment (its address is part of this contract's
                     CREATE2 init code); the extension refuses direct calls.
    """
    ok: bool = False
    answer: Bytes[160] = b""
    ok, answer = raw_call(EXTENSION, msg.data, max_outsize=160, is_delegate_call=True, revert_on_failure=False)
    if not ok:
        raw_revert(answer)
    return empty(bytes32)


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
    return grant_store._acting[account]


@external
@view
@reentrant
def stateOf(account: address, grantHash: bytes32) -> uint256:
    """
    @notice The raw state word of a grant: status (bits 0-7: 0 never
            used, 1 active, 2 revoked), calls used (8-39), last call
            (40-87), request nonce (88-119), native value spent (120-247).
    """
    return grant_store._grants[account][grantHash]


@external
@view
@reentrant
def epochOf(account: address) -> uint64:
    """
    @notice The account's current epoch: grants must carry it.
    """
    return convert(grant_store._accounts[account] & grant_state.MASK_64, uint64)


@external
@view
@reentrant
def maxSessionLengthOf(account: address) -> uint256:
    """
    @notice The longest validity window the account's grants may have.
    """
    return grant_state._max_length(grant_store._accounts[account])


@external
@view
@reentrant
def spentOf(grantHash: bytes32, token: address) -> uint256:
    """
    @notice The raw token word of a grant: amount spent in the recorded
            period (bits 0-127) and that period's index (128-191).
    """
    return grant_store._spent[grantHash][token]


# ---------------------------------------------------------------- internal
