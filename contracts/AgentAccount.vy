# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Charter AgentAccount
@custom:contract-name AgentAccount
@license MIT
@notice A minimal account that holds a principal's assets (ETH, ERC-20,
        ERC-721, ERC-1155) and executes calls. The owner executes any
        call or batch and signs for the account under ERC-1271. Session
        keys act only through the SessionManager, which checks every call
        against the session's grant before the account makes it.
        The same code works two ways:
          - deployed per principal (`owner` fixed at deployment; the
            address is deterministic through the CREATE2 deployer), or
          - as the EIP-7702 delegate of an existing EOA: deployed once
            with an empty owner, it makes every EOA that delegates to it
            its own owner.
@dev The account writes no storage at all: the owner and the manager are
     immutables, session state lives in the SessionManager keyed by the
     account, and the reentrancy lock is transient. An EOA that delegated
     to other code before therefore cannot have left anything this code
     reads. Session calls are made with CALL only, never DELEGATECALL.
"""


# ---------------------------------------------------------------- imports

from ethereum.ercs import IERC165

from snekmate.utils import eip712_domain_separator

from .modules import session_types
from .modules import signatures

implements: IERC165

initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: eip712_domain_separator.eip712Domain


# ---------------------------------------------------------------- constants

MAX_OWNER_CALLDATA: constant(uint256) = 8_192
MAX_RETURN: constant(uint256) = 1_024

MESSAGE_TYPEHASH: constant(bytes32) = keccak256("CharterMessage(bytes32 hash)")

_ERC1271_MAGIC: constant(bytes4) = 0x1626ba7e
_ERC1271_FAIL: constant(bytes4) = 0xffffffff
_SUPPORTED_INTERFACES: constant(bytes4[3]) = [
    0x01ffc9a7,  # ERC-165
    0x150b7a02,  # ERC-721 receiver
    0x4e2312e0,  # ERC-1155 receiver
]

_EIP712_NAME: constant(String[20]) = "Charter AgentAccount"
_EIP712_VERSION: constant(String[1]) = "1"


# ---------------------------------------------------------------- immutables

# Empty for the EIP-7702 delegate: the account is then its own owner.
_OWNER: immutable(address)
MANAGER: public(immutable(address))


# ---------------------------------------------------------------- constructor

@deploy
@payable
def __init__(owner_: address, manager_: address):
    """
    @param owner_ The principal, or the empty address for the EIP-7702
           delegate (every delegating EOA is then its own owner).
    @param manager_ The SessionManager whose checked calls this account
           executes.
    """
    assert manager_ != empty(address), "account: zero manager"
    _OWNER = owner_
    MANAGER = manager_
    eip712_domain_separator.__init__(_EIP712_NAME, _EIP712_VERSION)


# ---------------------------------------------------------------- owner

@external
@payable
def execute(target: address, amount: uint256, data: Bytes[MAX_OWNER_CALLDATA]) -> Bytes[MAX_RETURN]:
    """
    @notice Make one call from the account. Owner only.
    @dev A failing call reverts with the target's revert data.
    @param target The address called.
    @param amount Wei sent along.
    @param data Calldata.
    @return The call's return data (cut at 1,024 bytes).
    """
    assert msg.sender == self._owner(), "account: not the owner"
    success: bool = False
    response: Bytes[MAX_RETURN] = b""
    success, response = raw_call(target, data, value=amount, max_outsize=MAX_RETURN, revert_on_failure=False)
    if not success:
        raw_revert(response)
    return response


@external
@payable
def executeBatch(calls: DynArray[session_types.Call, session_types.MAX_BATCH]):
    """
    @notice Make several calls from the account, in order, all or
            nothing. Owner only.
    @param calls The calls (at most 16, each with at most 1,024 bytes of
           calldata).
    """
    assert msg.sender == self._owner(), "account: not the owner"
    for c: session_types.Call in calls:
        success: bool = False
        response: Bytes[MAX_RETURN] = b""
        success, response = raw_call(c.target, c.data, value=c.value, max_outsize=MAX_RETURN, revert_on_failure=False)
        if not success:
            raw_revert(response)


# ---------------------------------------------------------------- sessions

@external
def executeFromManager(target: address, callValue: uint256, data: Bytes[session_types.MAX_CALL_DATA]):
    """
    @notice Make one call that the SessionManager has checked against a
            grant of this account. Only the manager may call.
    @dev The manager refuses session calls to this account; the check is
         repeated here so the account never calls itself for a session.
    @custom:security The manager only calls this for grants that this
                     account signed or issued.
    """
    assert msg.sender == MANAGER, "account: not the manager"
    assert target != self, "account: self call"
    success: bool = False
    response: Bytes[MAX_RETURN] = b""
    success, response = raw_call(target, data, value=callValue, max_outsize=MAX_RETURN, revert_on_failure=False)
    if not success:
        raw_revert(response)


@external
def executeBatchFromManager(calls: DynArray[session_types.Call, session_types.MAX_BATCH]):
    """
    @notice Make several calls that the SessionManager has checked against
            a grant of this account, in order, all or nothing. Only the
            manager may call.
    """
    assert msg.sender == MANAGER, "account: not the manager"
    for c: session_types.Call in calls:
        assert c.target != self, "account: self call"
        success: bool = False
        response: Bytes[MAX_RETURN] = b""
        success, response = raw_call(c.target, c.data, value=c.value, max_outsize=MAX_RETURN, revert_on_failure=False)
        if not success:
            raw_revert(response)


# ---------------------------------------------------------------- signatures

@external
@view
@reentrant
def isValidSignature(hash: bytes32, signature: Bytes[signatures.SIGNATURE_MAX]) -> bytes4:
    """
    @notice ERC-1271: whether the owner approved `hash` for this account.
    @dev A deployed account checks the owner's signature of
         `hashMessage(hash)`, an EIP-712 wrapper bound to this account and
         chain, so a signature for one account cannot be replayed on
         another account of the same owner. An EIP-7702 account checks
         its own key's signature of `hash` itself.
    @param hash The digest to check.
    @param signature The owner's signature (65 bytes for an EOA owner).
    @return 0x1626ba7e if valid, 0xffffffff otherwise.
    """
    if _OWNER == empty(address):
        if signatures._recover(hash, signature) == self:
            return _ERC1271_MAGIC
        return _ERC1271_FAIL
    if signatures._is_valid_signature(_OWNER, self._wrap(hash), signature):
        return _ERC1271_MAGIC
    return _ERC1271_FAIL


@external
@view
@reentrant
def hashMessage(hash: bytes32) -> bytes32:
    """
    @notice What the owner of a deployed account signs so that `hash`
            validates under ERC-1271: the EIP-712 digest of
            CharterMessage(hash) in this account's domain.
    """
    return self._wrap(hash)


@external
@view
@reentrant
def owner() -> address:
    """
    @notice Who controls the account: the principal, or the account
            itself when it is an EIP-7702 delegated EOA.
    """
    return self._owner()


# ---------------------------------------------------------------- receivers

@external
@view
@reentrant
def supportsInterface(interfaceId: bytes4) -> bool:
    """
    @notice ERC-165: ERC-165, ERC-721 receiver and ERC-1155 receiver.
    """
    return interfaceId in _SUPPORTED_INTERFACES


@external
@pure
@reentrant
def onERC721Received(operator: address, owner_: address, tokenId: uint256, data: Bytes[1_024]) -> bytes4:
    """
    @notice Accept ERC-721 tokens sent with safeTransferFrom.
    """
    return method_id("onERC721Received(address,address,uint256,bytes)", output_type=bytes4)


@external
@pure
@reentrant
def onERC1155Received(
    operator: address, owner_: address, id: uint256, amount: uint256, data: Bytes[1_024]
) -> bytes4:
    """
    @notice Accept ERC-1155 tokens.
    """
    return method_id("onERC1155Received(address,address,uint256,uint256,bytes)", output_type=bytes4)


@external
@pure
@reentrant
def onERC1155BatchReceived(
    operator: address,
    owner_: address,
    ids: DynArray[uint256, 128],
    amounts: DynArray[uint256, 128],
    data: Bytes[1_024],
) -> bytes4:
    """
    @notice Accept ERC-1155 batches.
    """
    return method_id("onERC1155BatchReceived(address,address,uint256[],uint256[],bytes)", output_type=bytes4)


@external
@payable
@reentrant
def __default__():
    """
    @notice Accept ETH.
    """
    pass


# ---------------------------------------------------------------- internal

@internal
@view
def _owner() -> address:
    if _OWNER == empty(address):
        return self
    return _OWNER


@internal
@view
def _wrap(hash: bytes32) -> bytes32:
    return eip712_domain_separator._hash_typed_data_v4(keccak256(abi_encode(MESSAGE_TYPEHASH, hash)))
