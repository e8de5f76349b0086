# pragma version 0.4.3
"""
@title Rebasing ERC-20 (test mock)
@notice Holders own shares; `balanceOf` is shares * index / 1e18 and an
        amount moves amount * 1e18 / index shares (rounded down). With
        index 1e18 it behaves like a plain token; `rebase(index)` changes
        every balance at once.
"""

_ONE: constant(uint256) = 10**18

shares: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
index: public(uint256)


@deploy
def __init__():
    self.index = _ONE


@external
def rebase(index: uint256):
    self.index = index


@external
@view
def balanceOf(holder: address) -> uint256:
    return self.shares[holder] * self.index // _ONE


@external
def mint(to: address, amount: uint256):
    self.shares[to] += amount * _ONE // self.index


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    self._move(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self.allowance[owner][msg.sender] -= amount
    self._move(owner, to, amount)
    return True


@internal
def _move(owner: address, to: address, amount: uint256):
    moved: uint256 = amount * _ONE // self.index
    self.shares[owner] -= moved
    self.shares[to] += moved
