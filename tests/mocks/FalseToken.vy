# pragma version 0.4.3
"""
@title ERC-20 that answers `false` instead of reverting (test mock)
@notice `transfer` and `transferFrom` move nothing and return False once
        `failing` is set (set by default); `approve` always works.
"""

balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
failing: public(bool)


@deploy
def __init__():
    self.failing = True


@external
def set_failing(failing: bool):
    self.failing = failing


@external
def mint(to: address, amount: uint256):
    self.balanceOf[to] += amount


@external
def approve(spender: address, amount: uint256) -> bool:
    self.allowance[msg.sender][spender] = amount
    return True


@external
def transfer(to: address, amount: uint256) -> bool:
    if self.failing:
        return False
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[to] += amount
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    if self.failing:
        return False
    self.allowance[owner][msg.sender] -= amount
    self.balanceOf[owner] -= amount
    self.balanceOf[to] += amount
    return True
