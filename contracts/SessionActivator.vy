# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter SessionActivator
@custom:contract-name SessionActivator
@license MIT
@notice What an account signs once for several chains, as functions of
        the SessionManager: the first use of a multi-chain grant
        (`activate`) and revocations signed once and valid on every chain
        (`revokeAllSigned`, `revokeGrantsSigned`), which anyone (the
        relayer) may carry from the chain where they were made to the
        others. The code runs on the manager's storage, reached through the
        SessionExtension's fallback (DELEGATECALL twice), so the manager's
        and the extension's hot paths carry none of it.
"""

from snekmate.utils import eip712_domain_separator

from .modules import grant_hashing
from .modules import grant_state
from .modules import grant_store
from .modules import session_types
from .modules import signatures

initializes: eip712_domain_separator
initializes: grant_store[eip712_domain_separator := eip712_domain_separator]

# This contract's own address: code running at it was not delegated to.
_SELF: immutable(address)


# The SessionManager's own event (same signature).
event AllGrantsRevoked:
    account: indexed(address)
    epoch: uint256


# A revocation signed for every chain was applied here: what another chain
# needs to apply it too.
event RevokeAllSigned:
    account: indexed(address)
    nonce: uint256
    signature: Bytes[signatures.SIGNATURE_MAX]


event RevokeGrantsSigned:
    account: indexed(address)
    grants: DynArray[bytes32, session_types.MAX_CHAINS]
    signature: Bytes[signatures.SIGNATURE_MAX]


@deploy
def __init__(registry: address):
    """
    @param registry The AgentRegistry of the SessionManager this code serves.
    """
    _SELF = self
    eip712_domain_separator.__init__(grant_hashing.EIP712_NAME, grant_hashing.EIP712_VERSION)
    grant_store.__init__(registry)


@external
def activate(
    grant: session_types.Grant,
    accountSignature: Bytes[signatures.SIGNATURE_MAX],
    agentConsent: Bytes[signatures.SIGNATURE_MAX],
    grants: DynArray[bytes32, session_types.MAX_CHAINS],
):
    """
    @notice Activate this chain's entry of a grant signed once for several
            chains. The account signed `MultiChainGrant(grants)` under the
            chain-agnostic domain (name, version, this manager's address),
            where `grants` lists each chain's grant hash; `grant` must be the
            entry whose hash (this chain's id and manager) is in the list.
            Anyone may send it: the signatures are the authority. Then the
            session key uses the grant as one issued on chain.
    @dev Each entry's hash binds its chain id and manager (M1): another
         chain's entry never hashes to one of this chain's grants. The agent's
         consent, when not implied, is its owner's or wallet's signature of
         the same digest.
    @param grant This chain's entry.
    @param accountSignature The account's signature of the multi-chain digest
           (65-byte ECDSA: an EOA or EIP-7702 account; or ERC-1271).
    @param agentConsent The agent owner's or wallet's signature of the digest,
           or empty when consent is implied.
    @param grants Every entry's grant hash, as signed.
    """
    self._only_delegated()
    grant_hash: bytes32 = eip712_domain_separator._hash_typed_data_v4(grant_hashing._grant_struct_hash(grant))
    assert grant_hash in grants, "sessions: not an entry of the grant"
    state: uint256 = grant_store._grants[grant.account][grant_hash]
    assert state & 255 != grant_state.REVOKED, "sessions: revoked"
    assert state & 255 == grant_state.UNUSED, "sessions: grant exists"
    digest: bytes32 = grant_hashing._multi_chain_digest(self, grants)
    assert signatures._is_valid_signature(grant.account, digest, accountSignature), "sessions: bad grant signature"
    grant_store._require_consent(grant.account, grant.agentId, grant.sessionKey, digest, agentConsent)
    grant_store._validate(grant, grant_hash)
    grant_store._grants[grant.account][grant_hash] = state | grant_state.USED



@external
def revokeAllSigned(account: address, nonce: uint256, signature: Bytes[signatures.SIGNATURE_MAX]):
    """
    @notice Revoke every grant of `account` with its signature of
            `RevokeAll(account, nonce)` under the chain-agnostic domain
            (name, version, this manager's address): signed once, it works
            on every chain, sent by anyone. Each nonce counts once per chain:
            a replay changes nothing and logs nothing.
    @dev The nonce's use is stored where grants are, under the message's
         digest (another type hash: never a grant's hash).
    @param account The account (an EOA or EIP-7702 account signs with its
           key; a contract account through ERC-1271).
    @param nonce Any number the account has not used for this.
    @param signature The account's signature.
    """
    self._only_delegated()
    digest: bytes32 = grant_hashing._revoke_all_digest(self, account, nonce)
    if grant_store._grants[account][digest] != 0:
        return
    assert signatures._is_valid_signature(account, digest, signature), "sessions: bad revocation signature"
    grant_store._grants[account][digest] = grant_state.REVOKED
    log AllGrantsRevoked(account=account, epoch=grant_store._next_epoch(account))
    log RevokeAllSigned(account=account, nonce=nonce, signature=signature)


@external
def revokeGrantsSigned(
    account: address, grants: DynArray[bytes32, session_types.MAX_CHAINS], signature: Bytes[signatures.SIGNATURE_MAX]
):
    """
    @notice Revoke grants of `account` (every entry of a multi-chain grant,
            say) with its signature of `RevokeGrants(account, grants)` under
            the chain-agnostic domain: signed once, it works on every
            chain, sent by anyone; each chain revokes the hashes it has
            (other chains' entries are never used here). Grants already
            revoked stay so; when nothing changes, nothing is logged.
    @param account The account.
    @param grants The grant hashes (1 to 16).
    @param signature The account's signature.
    """
    self._only_delegated()
    assert len(grants) != 0, "sessions: no grants"
    digest: bytes32 = grant_hashing._revoke_grants_digest(self, account, grants)
    assert signatures._is_valid_signature(account, digest, signature), "sessions: bad revocation signature"
    changed: bool = False
    for grant_hash: bytes32 in grants:
        state: uint256 = grant_store._grants[account][grant_hash]
        if state & 255 != grant_state.REVOKED:
            grant_store._grants[account][grant_hash] = (state & ~convert(255, uint256)) | grant_state.REVOKED
            log grant_store.GrantRevoked(grantHash=grant_hash, account=account, revokedBy=msg.sender)
            changed = True
    if changed:
        log RevokeGrantsSigned(account=account, grants=grants, signature=signature)


@internal
@view
def _only_delegated():
    """
    @dev This code runs only as the manager's (DELEGATECALL).
    """
    assert self != _SELF, "sessions: call the manager"
