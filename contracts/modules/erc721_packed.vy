# pragma version ~=0.4.3
"""
@title Lean ERC-721 core with packed per-token data
@custom:contract-name erc721_packed
@license MIT
@notice ERC-721 ownership, balances and approvals without enumeration.
        Each token's owner shares its storage slot with 96 bits of data
        that belong to the contract using this module (the registry keeps
        an agent's status, flags and URI length there), so minting and
        updating a token touch one slot instead of several.
        The using contract implements `transferFrom` and
        `safeTransferFrom` itself (it usually needs to reset some of its
        own state on every transfer) on top of `_transfer` and
        `_check_on_received`; everything else it exports from here.
@dev Layout of a token record: bits 0..159 owner, bits 160..255 data.
     A record of zero means "no such token".
"""


# ---------------------------------------------------------------- interfaces

interface IERC721Receiver:
    def onERC721Received(
        _operator: address, _from: address, _tokenId: uint256, _data: Bytes[1_024]
    ) -> bytes4: nonpayable


# ---------------------------------------------------------------- constants

_OWNER_MASK: constant(uint256) = (1 << 160) - 1
_DATA_MAX: constant(uint256) = (1 << 96) - 1
_ON_RECEIVED: constant(bytes4) = method_id(
    "onERC721Received(address,address,uint256,bytes)", output_type=bytes4
)


# ---------------------------------------------------------------- storage

_records: HashMap[uint256, uint256]
_balances: HashMap[address, uint256]
_token_approvals: HashMap[uint256, address]
_operator_approvals: HashMap[address, HashMap[address, bool]]


# ---------------------------------------------------------------- events

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    tokenId: indexed(uint256)


event Approval:
    owner: indexed(address)
    approved: indexed(address)
    tokenId: indexed(uint256)


event ApprovalForAll:
    owner: indexed(address)
    operator: indexed(address)
    approved: bool


# ---------------------------------------------------------------- constructor

@deploy
def __init__():
    """
    @dev Nothing to initialise; present so the module can be `initializes:`-ed.
    """
    pass


# ---------------------------------------------------------------- external

@external
@view
def balanceOf(owner: address) -> uint256:
    """
    @notice Number of tokens held by `owner`.
    @param owner The holder; must not be the zero address.
    @return uint256 The balance.
    """
    assert owner != empty(address), "erc721: zero address"
    return self._balances[owner]


@external
@view
def ownerOf(tokenId: uint256) -> address:
    """
    @notice Owner of `tokenId`; reverts if the token does not exist.
    @param tokenId The token.
    @return address The owner.
    """
    return self._require_owned(tokenId)


@external
@view
def getApproved(tokenId: uint256) -> address:
    """
    @notice The single-token approved address of `tokenId` (zero if none).
    @param tokenId The token; must exist.
    @return address The approved address.
    """
    self._require_owned(tokenId)
    return self._token_approvals[tokenId]


@external
@view
def isApprovedForAll(owner: address, operator: address) -> bool:
    """
    @notice Whether `operator` may manage every token of `owner`.
    @param owner The holder.
    @param operator The operator.
    @return bool True if approved.
    """
    return self._operator_approvals[owner][operator]


@external
def approve(approved: address, tokenId: uint256):
    """
    @notice Approve `approved` to transfer and manage `tokenId`.
    @dev Only the owner or an operator of the owner may approve.
    @param approved The address to approve (zero clears the approval).
    @param tokenId The token.
    """
    owner: address = self._require_owned(tokenId)
    assert approved != owner, "erc721: approval to owner"
    assert msg.sender == owner or self._operator_approvals[owner][msg.sender], (
        "erc721: not owner or operator"
    )
    self._token_approvals[tokenId] = approved
    log Approval(owner=owner, approved=approved, tokenId=tokenId)


@external
def setApprovalForAll(operator: address, approved: bool):
    """
    @notice Allow or forbid `operator` to manage all of the caller's tokens.
    @param operator The operator.
    @param approved True to allow, False to forbid.
    """
    assert operator != msg.sender, "erc721: approve to caller"
    self._operator_approvals[msg.sender][operator] = approved
    log ApprovalForAll(owner=msg.sender, operator=operator, approved=approved)


# ---------------------------------------------------------------- internal

@internal
@view
def _record(token_id: uint256) -> uint256:
    return self._records[token_id]


@internal
@pure
def _owner_in(record: uint256) -> address:
    return convert(record & _OWNER_MASK, address)


@internal
@pure
def _data_in(record: uint256) -> uint256:
    return record >> 160


@internal
@view
def _require_owned(token_id: uint256) -> address:
    owner: address = convert(self._records[token_id] & _OWNER_MASK, address)
    assert owner != empty(address), "erc721: invalid token ID"
    return owner


@internal
@view
def _is_approved_or_owner(spender: address, owner: address, token_id: uint256) -> bool:
    """
    @dev `owner` must be the current owner of `token_id`.
    """
    return (
        spender == owner
        or self._operator_approvals[owner][spender]
        or self._token_approvals[token_id] == spender
    )


@internal
def _set_data(token_id: uint256, owner: address, data: uint256):
    """
    @dev Rewrite the data bits of an existing token; `owner` is its owner.
    """
    assert data <= _DATA_MAX, "erc721: data overflow"
    self._records[token_id] = (data << 160) | convert(owner, uint256)


@internal
def _mint(to: address, token_id: uint256, data: uint256):
    """
    @dev Mint `token_id` to `to` with its data bits. Does not call
         `onERC721Received`: callers mint to `msg.sender` or check it.
    """
    assert to != empty(address), "erc721: mint to zero address"
    assert self._records[token_id] == 0, "erc721: token already minted"
    assert data <= _DATA_MAX, "erc721: data overflow"
    self._records[token_id] = (data << 160) | convert(to, uint256)
    # Cannot overflow: a balance is bounded by the number of tokens minted.
    self._balances[to] = unsafe_add(self._balances[to], 1)
    log Transfer(sender=empty(address), receiver=to, tokenId=token_id)


@internal
def _transfer(owner: address, to: address, token_id: uint256, data: uint256):
    """
    @dev Move `token_id` from `owner` (its current owner) to `to`, clear
         its single-token approval and store `data` as its new data bits.
         Authorisation is the caller's job.
    """
    assert to != empty(address), "erc721: transfer to zero address"
    assert data <= _DATA_MAX, "erc721: data overflow"
    if self._token_approvals[token_id] != empty(address):
        self._token_approvals[token_id] = empty(address)
    # Cannot underflow: `owner` holds `token_id`, so its balance is at least one.
    self._balances[owner] = unsafe_sub(self._balances[owner], 1)
    # Cannot overflow: a balance is bounded by the number of tokens minted.
    self._balances[to] = unsafe_add(self._balances[to], 1)
    self._records[token_id] = (data << 160) | convert(to, uint256)
    log Transfer(sender=owner, receiver=to, tokenId=token_id)


@internal
def _check_on_received(owner: address, to: address, token_id: uint256, data: Bytes[1_024]):
    """
    @dev ERC-721 safe-transfer check: a contract recipient must answer
         `onERC721Received` with its selector.
    """
    if to.is_contract:
        answer: bytes4 = extcall IERC721Receiver(to).onERC721Received(
            msg.sender, owner, token_id, data
        )
        assert answer == _ON_RECEIVED, "erc721: non-ERC721Receiver implementer"
