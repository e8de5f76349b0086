# pragma version ~=0.4.3
"""
@title EIP-712 struct hashes of grants and session requests
@custom:contract-name grant_hashing
@license MIT
@notice Stateless: the struct hashes only. The caller wraps them with the
        SessionManager's domain separator (`_typed_data_hash`).
"""


from . import session_types


# ---------------------------------------------------------------- constants

PERMISSION_TYPEHASH: constant(bytes32) = keccak256("Permission(address target,bytes4 selector,uint256 maxValue)")
CONDITION_TYPEHASH: constant(bytes32) = keccak256("Condition(uint8 permission,uint16 index,uint8 op,uint256 value)")
TOKEN_BUDGET_TYPEHASH: constant(bytes32) = keccak256("TokenBudget(address token,uint128 cap,uint32 period)")
GRANT_TYPEHASH: constant(bytes32) = keccak256(
    "Grant(address account,uint256 agentId,uint32 agentGeneration,address sessionKey,uint48 validAfter,uint48 validUntil,"
    "uint64 epoch,uint32 maxCalls,uint32 minInterval,uint128 nativeBudget,bytes32 salt,"
    "Permission[] permissions,Condition[] conditions,TokenBudget[] tokenBudgets)"
    "Condition(uint8 permission,uint16 index,uint8 op,uint256 value)"
    "Permission(address target,bytes4 selector,uint256 maxValue)"
    "TokenBudget(address token,uint128 cap,uint32 period)"
)
CALL_TYPEHASH: constant(bytes32) = keccak256("Call(address target,uint256 value,bytes data)")
SESSION_REQUEST_TYPEHASH: constant(bytes32) = keccak256(
    "SessionRequest(bytes32 grantHash,uint256 nonce,uint256 deadline,Call[] calls)"
    "Call(address target,uint256 value,bytes data)"
)
MULTI_CHAIN_GRANT_TYPEHASH: constant(bytes32) = keccak256("MultiChainGrant(bytes32[] grants)")
REVOKE_ALL_TYPEHASH: constant(bytes32) = keccak256("RevokeAll(address account,uint256 nonce)")
REVOKE_GRANTS_TYPEHASH: constant(bytes32) = keccak256("RevokeGrants(address account,bytes32[] grants)")
# A multi-chain grant is signed once for every chain: its domain has no chain id, only the
# SessionManager's address (the same CREATE2 address on every chain).
MULTI_DOMAIN_TYPEHASH: constant(bytes32) = keccak256("EIP712Domain(string name,string version,address verifyingContract)")
DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
# The SessionManager's EIP-712 domain name and version.
EIP712_NAME: constant(String[22]) = "Charter SessionManager"
EIP712_VERSION: constant(String[1]) = "1"

_EMPTY_HASH: constant(bytes32) = keccak256(b"")


# ---------------------------------------------------------------- internal

@internal
@pure
def _grant_struct_hash(grant: session_types.Grant) -> bytes32:
    """
    @dev EIP-712 struct hash of `grant`: arrays hash to the keccak of their
         concatenated element hashes, structs to keccak(typehash, fields).
    """
    words: DynArray[bytes32, session_types.MAX_CONDITIONS] = []
    for permission: session_types.Permission in grant.permissions:
        words.append(keccak256(abi_encode(PERMISSION_TYPEHASH, permission.target, permission.selector, permission.maxValue)))
    permissions_hash: bytes32 = self._hash_list(words)
    words = []
    for condition: session_types.Condition in grant.conditions:
        words.append(
            keccak256(abi_encode(CONDITION_TYPEHASH, condition.permission, condition.index, condition.op, condition.value))
        )
    conditions_hash: bytes32 = self._hash_list(words)
    words = []
    for budget: session_types.TokenBudget in grant.tokenBudgets:
        words.append(keccak256(abi_encode(TOKEN_BUDGET_TYPEHASH, budget.token, budget.cap, budget.period)))
    return keccak256(
        abi_encode(
            GRANT_TYPEHASH,
            grant.account,
            grant.agentId,
            grant.agentGeneration,
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


@internal
@pure
def _call_hash(target: address, call_value: uint256, data: Bytes[session_types.MAX_CALL_DATA]) -> bytes32:
    return keccak256(abi_encode(CALL_TYPEHASH, target, call_value, keccak256(data)))


@internal
@pure
def _calls_hash(calls: DynArray[session_types.Call, session_types.MAX_BATCH]) -> bytes32:
    """
    @dev EIP-712 hash of a `Call[]` array.
    """
    hashes: DynArray[bytes32, session_types.MAX_BATCH] = []
    for c: session_types.Call in calls:
        hashes.append(self._call_hash(c.target, c.value, c.data))
    encoded: Bytes[576] = abi_encode(hashes)
    return keccak256(slice(encoded, 64, 32 * len(hashes)))


@internal
@pure
def _request_struct_hash(grant_hash: bytes32, nonce: uint256, deadline: uint256, calls_hash: bytes32) -> bytes32:
    return keccak256(abi_encode(SESSION_REQUEST_TYPEHASH, grant_hash, nonce, deadline, calls_hash))


@internal
@view
def _domain_separator(manager: address) -> bytes32:
    """
    @dev The SessionManager's EIP-712 domain separator on this chain,
         computed from scratch (the view contract's way; the manager
         itself uses snekmate's cached one, which is equal).
    """
    return keccak256(
        abi_encode(DOMAIN_TYPEHASH, keccak256(EIP712_NAME), keccak256(EIP712_VERSION), chain.id, manager)
    )


@internal
@pure
def _multi_chain_digest(manager: address, grants: DynArray[bytes32, session_types.MAX_CHAINS]) -> bytes32:
    """
    @dev The digest an account signs once for a grant on several chains:
         EIP-712 `MultiChainGrant(bytes32[] grants)`, `grants` being each
         chain's grant hash (each bound to its chain id and manager), under
         the chain-agnostic domain (name, version, `manager`).
    """
    return self._chain_agnostic_digest(manager, keccak256(abi_encode(MULTI_CHAIN_GRANT_TYPEHASH, self._list_hash(grants))))


@internal
@pure
def _revoke_all_digest(manager: address, account: address, nonce: uint256) -> bytes32:
    """
    @dev The digest an account signs to revoke all its grants on every
         chain: EIP-712 `RevokeAll(address account,uint256 nonce)` under the
         chain-agnostic domain; each nonce counts once per chain.
    """
    return self._chain_agnostic_digest(manager, keccak256(abi_encode(REVOKE_ALL_TYPEHASH, account, nonce)))


@internal
@pure
def _revoke_grants_digest(manager: address, account: address, grants: DynArray[bytes32, session_types.MAX_CHAINS]) -> bytes32:
    """
    @dev The digest an account signs to revoke grants on every chain (e.g.
         every entry of a multi-chain grant): EIP-712
         `RevokeGrants(address account,bytes32[] grants)`, chain-agnostic.
    """
    return self._chain_agnostic_digest(
        manager, keccak256(abi_encode(REVOKE_GRANTS_TYPEHASH, account, self._list_hash(grants)))
    )


@internal
@pure
def _chain_agnostic_digest(manager: address, struct_hash: bytes32) -> bytes32:
    domain: bytes32 = keccak256(
        abi_encode(MULTI_DOMAIN_TYPEHASH, keccak256(EIP712_NAME), keccak256(EIP712_VERSION), manager)
    )
    return keccak256(concat(b"\x19\x01", domain, struct_hash))


@internal
@pure
def _list_hash(words: DynArray[bytes32, session_types.MAX_CHAINS]) -> bytes32:
    """
    @dev EIP-712 hash of a bytes32[]: keccak256 of the words, packed.
    """
    encoded: Bytes[576] = abi_encode(words)
    return keccak256(slice(encoded, 64, 32 * len(words)))


@internal
@pure
def _typed_data_hash(domain_separator: bytes32, struct_hash: bytes32) -> bytes32:
    return keccak256(concat(b"\x19\x01", domain_separator, struct_hash))


@internal
@pure
def _hash_list(hashes: DynArray[bytes32, session_types.MAX_CONDITIONS]) -> bytes32:
    """
    @dev EIP-712 hash of an array of structs: keccak256 of the
         concatenated element hashes (a constant for an empty array).
    """
    if len(hashes) == 0:
        return _EMPTY_HASH
    encoded: Bytes[320] = abi_encode(hashes)
    return keccak256(slice(encoded, 64, 32 * len(hashes)))
