# pragma version 0.4.3
"""
@title Permit2's allowance book (AllowanceTransfer) for tests
@notice The part of Uniswap's Permit2 the SDK reads and the revoke command writes:
        allowance(owner, token, spender) -> (amount, expiration, nonce), approve
        (expiration 0 means now, as in Permit2) and transferFrom. No immutables,
        so its runtime code works at any address: the tests put it at Permit2's
        canonical address with anvil_setCode.
"""

from ethereum.ercs import IERC20


struct PackedAllowance:
    amount: uint160
    expiration: uint48
    nonce: uint48


_allowed: HashMap[address, HashMap[address, HashMap[address, PackedAllowance]]]


@view
@external
def allowance(owner: address, token: address, spender: address) -> (uint160, uint48, uint48):
    allowed: PackedAllowance = self._allowed[owner][token][spender]
    return allowed.amount, allowed.expiration, allowed.nonce


@external
def approve(token: address, spender: address, amount: uint160, expiration: uint48):
    stored: uint48 = expiration
    if stored == 0:
        stored = convert(block.timestamp, uint48)
    self._allowed[msg.sender][token][spender].amount = amount
    self._allowed[msg.sender][token][spender].expiration = stored


@external
def transferFrom(sender: address, recipient: address, amount: uint160, token: address):
    allowed: PackedAllowance = self._allowed[sender][token][msg.sender]
    assert block.timestamp <= convert(allowed.expiration, uint256), "AllowanceExpired"
    if allowed.amount != max_value(uint160):
        assert allowed.amount >= amount, "InsufficientAllowance"
        self._allowed[sender][token][msg.sender].amount = allowed.amount - amount
    assert extcall IERC20(token).transferFrom(sender, recipient, convert(amount, uint256)), "TransferFailed"
