# pragma version 0.4.3
"""
@title A call target for tests and benchmarks: records the last call
"""

lastCaller: public(address)
lastValue: public(uint256)
count: public(uint256)


@external
@payable
def poke(a: uint256, b: address, c: uint256) -> uint256:
    self.lastCaller = msg.sender
    self.lastValue = msg.value
    self.count += 1
    return self.count


@external
def fail(reason: String[32]):
    raise reason


@external
@payable
def __default__():
    self.lastCaller = msg.sender
    self.lastValue = msg.value
