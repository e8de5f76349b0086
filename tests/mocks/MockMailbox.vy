# pragma version 0.4.3
"""
@title A Hyperlane Mailbox stand-in for unit tests (test mock)
@notice Quotes `fee` and records each dispatched body; no delivery.
"""

fee: public(uint256)
dispatched: public(uint256)
lastBody: public(Bytes[744])


@external
def set_fee(fee: uint256):
    self.fee = fee


@external
@view
def quoteDispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[744]) -> uint256:
    return self.fee


@external
@payable
def dispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[744]) -> bytes32:
    self.dispatched += 1
    self.lastBody = messageBody
    return keccak256(messageBody)
