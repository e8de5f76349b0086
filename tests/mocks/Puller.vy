# pragma version 0.4.3
"""
@title A contract that pulls tokens through allowances (a router, a lending pool, a settler)
@notice `pull` moves `amount` of `token` from `owner` to `to` with the
        allowance `owner` gave this contract; `pull_permit2` does the same
        through Permit2's AllowanceTransfer. Anyone may call either: what
        stops a stranger is only the allowance.
"""

from ethereum.ercs import IERC20


interface IPermit2:
    def transferFrom(sender: address, recipient: address, amount: uint160, token: address): nonpayable


@external
def pull(token: address, owner: address, to: address, amount: uint256):
    assert extcall IERC20(token).transferFrom(owner, to, amount), "puller: transfer failed"


@external
def pull_permit2(permit2: address, token: address, owner: address, to: address, amount: uint160):
    extcall IPermit2(permit2).transferFrom(owner, to, amount, token)
