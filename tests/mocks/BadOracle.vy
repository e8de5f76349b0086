# pragma version 0.4.3
"""
@title Settlement oracle that misbehaves (test mock)
@notice `isProven` (same selector as ISettlementOracle's) according to
        `mode`: 0 reverts, 1 answers 2 (a word that is not a bool),
        2 answers 1 after writing storage (fails under STATICCALL).
"""

mode: public(uint256)
calls: public(uint256)


@external
def set_mode(mode: uint256):
    self.mode = mode


@external
def isProven(
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> uint256:
    if self.mode == 0:
        raise "oracle: no"
    if self.mode == 1:
        return 2
    self.calls += 1
    return 1
