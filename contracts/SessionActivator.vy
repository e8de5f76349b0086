# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter SessionActivator
@custom:contract-name SessionActivator
@license MIT
@notice The first use of a grant signed once for several chains, as a
        function of the SessionManager (`activate`): its code runs on the
        manager's storage, reached through the SessionExtension's fallback
        (DELEGATECALL twice), so the manager's and the extension's hot paths
        carry none of it.
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



@internal
@view
def _only_delegated():
    """
    @dev This code runs only as the manager's (DELEGATECALL).
    """
    assert self != _SELF, "sessions: call the manager"
