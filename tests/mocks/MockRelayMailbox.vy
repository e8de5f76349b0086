# pragma version 0.4.3
"""
@title A Hyperlane Mailbox stand-in that keeps what it dispatches and delivers (test mock)
@notice `dispatch` charges the fee set for the destination domain (refusing
        less, keeping the value), stores the message and returns its id as
        Hyperlane computes it: keccak256 of version (3) ‖ nonce ‖ origin ‖
        sender ‖ destination ‖ recipient ‖ body. `process` hands a message
        to its recipient's `handle` as this Mailbox, as Hyperlane's Mailbox
        does once its ISM verified it (no verification here: the test
        chooses what is delivered). With `light` set, `dispatch` stores
        nothing (to measure the gas of its caller).
"""

BODY_MAX: constant(uint256) = 1_024


interface IMessageRecipient:
    def handle(origin: uint32, sender: bytes32, body: Bytes[BODY_MAX]): payable


struct Message:
    sender: bytes32
    destination: uint32
    recipient: bytes32
    body: Bytes[BODY_MAX]
    value: uint256


localDomain: public(uint32)
light: public(bool)
fees: public(HashMap[uint32, uint256])
count: public(uint256)
messages: public(HashMap[uint256, Message])


@deploy
def __init__(domain: uint32):
    self.localDomain = domain


@external
def set_fee(destinationDomain: uint32, fee: uint256):
    self.fees[destinationDomain] = fee


@external
def set_light(light: bool):
    self.light = light


@external
@view
def quoteDispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> uint256:
    return self.fees[destinationDomain]


@external
@payable
def dispatch(destinationDomain: uint32, recipientAddress: bytes32, messageBody: Bytes[BODY_MAX]) -> bytes32:
    assert msg.value >= self.fees[destinationDomain], "mailbox: fee too low"
    nonce: uint256 = self.count
    sender: bytes32 = convert(convert(msg.sender, uint256), bytes32)
    if not self.light:
        self.count = nonce + 1
        self.messages[nonce] = Message(
            sender=sender, destination=destinationDomain, recipient=recipientAddress, body=messageBody, value=msg.value
        )
    return keccak256(
        concat(
            convert(3, bytes1),
            convert(convert(nonce, uint32), bytes4),
            convert(self.localDomain, bytes4),
            sender,
            convert(destinationDomain, bytes4),
            recipientAddress,
            messageBody,
        )
    )


@external
@payable
def process(origin: uint32, sender: bytes32, recipient: address, body: Bytes[BODY_MAX]):
    extcall IMessageRecipient(recipient).handle(origin, sender, body, value=msg.value)
