# pragma version 0.4.3
"""
@title ERC-1271 contract wallet (test mock)
@notice Answers `isValidSignature` according to `mode`:
          0 MODE_OWNER   magic value iff `signature` is a 65-byte ECDSA
                         signature of `digest` by `signer`;
          1 MODE_ALWAYS  magic value for anything;
          2 MODE_WRONG   a wrong 4-byte value (0xffffffff);
          3 MODE_REVERT  reverts;
          4 MODE_WRITE   writes storage before answering the magic value
                         (fails under STATICCALL).
        It has no `onERC721Received`, so it also serves as a contract that
        is not an ERC-721 receiver.
"""

MODE_OWNER: constant(uint8) = 0
MODE_ALWAYS: constant(uint8) = 1
MODE_WRONG: constant(uint8) = 2
MODE_REVERT: constant(uint8) = 3
MODE_WRITE: constant(uint8) = 4

_MAGIC: constant(bytes4) = 0x1626ba7e

signer: public(address)
mode: public(uint8)
calls: public(uint256)


@deploy
def __init__(signer: address):
    self.signer = signer


@external
def set_mode(mode: uint8):
    self.mode = mode


@external
def isValidSignature(digest: bytes32, signature: Bytes[1_024]) -> bytes4:
    if self.mode == MODE_ALWAYS:
        return _MAGIC
    if self.mode == MODE_WRONG:
        return 0xffffffff
    if self.mode == MODE_REVERT:
        raise "wallet: no"
    if self.mode == MODE_WRITE:
        self.calls += 1
        return _MAGIC
    if len(signature) != 65:
        return 0xffffffff
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if ecrecover(digest, v, r, s) == self.signer:
        return _MAGIC
    return 0xffffffff
