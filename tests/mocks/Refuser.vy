# pragma version 0.4.3
"""
@title A contract user that refuses ETH, or burns all the gas it gets (test mock)
@notice With `burn` unset it has no way to take plain ETH (a call without
        calldata reverts), like a contract wallet without `receive`; with
        `burn` set such a call spins until it runs out of gas. It can open
        orders on a settler (approve first with `approve`) and collect what
        the settler credited it (`withdraw`, to another address).
"""

interface ISettler:
    def open(order: OnchainCrossChainOrder): payable
    def withdraw(token: address, to: address) -> uint256: nonpayable

interface IERC20:
    def approve(spender: address, amount: uint256) -> bool: nonpayable

struct OnchainCrossChainOrder:
    fillDeadline: uint32
    orderDataType: bytes32
    orderData: Bytes[1184]

burn: public(bool)
spins: public(uint256)


@external
@payable
def __default__():
    assert self.burn, "refuser: no ETH"
    for i: uint256 in range(1_000_000):
        self.spins += 1


@external
def set_burn(burn: bool):
    self.burn = burn


@external
@payable
def fund():
    pass


@external
def approve(token: address, spender: address, amount: uint256):
    extcall IERC20(token).approve(spender, amount)


@external
@payable
def open(settler: address, order: OnchainCrossChainOrder):
    extcall ISettler(settler).open(order, value=msg.value)


@external
def withdraw(settler: address, token: address, to: address) -> uint256:
    return extcall ISettler(settler).withdraw(token, to)
