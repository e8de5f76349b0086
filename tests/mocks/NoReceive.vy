# pragma version 0.4.3
"""
@title A contract that refuses plain ETH transfers (test mock)
@notice No `__default__`: any call without calldata reverts.
"""

count: public(uint256)


@external
def poke():
    self.count += 1
