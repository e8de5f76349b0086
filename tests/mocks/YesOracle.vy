# pragma version 0.4.3
"""
@title Settlement oracle for tests: proves exactly what it was told to
"""

import interfaces.ISettlementOracle as ISettlementOracle

implements: ISettlementOracle

_proven: HashMap[bytes32, bool]


@external
def prove(originSettler: address, destinationChainId: uint256, destinationSettler: bytes32, orderId: bytes32, recordHash: bytes32):
    self._proven[keccak256(abi_encode(originSettler, destinationChainId, destinationSettler, orderId, recordHash))] = True


@external
@view
def isProven(
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> bool:
    return self._proven[keccak256(abi_encode(msg.sender, destinationChainId, destinationSettler, orderId, recordHash))]
