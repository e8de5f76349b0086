# pragma version 0.4.3
"""
@title Another smart account (test mock)
@notice Executes `execute(address,uint256,bytes)` for its controller: the
        shape of a smart account (or a Safe-like wallet) that trusts a
        Charter account. A session allowed to call `execute` here would
        turn one permission into arbitrary calls, which is why the
        SessionManager refuses account-execution selectors on any target.
"""

controller: public(address)


@deploy
@payable
def __init__(controller: address):
    self.controller = controller


@external
@payable
def execute(target: address, amount: uint256, data: Bytes[1_024]):
    assert msg.sender == self.controller, "foreign: not the controller"
    raw_call(target, data, value=amount)


@external
@payable
def __default__():
    pass
