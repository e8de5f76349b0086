# pragma version 0.4.3
"""
@title ERC-1271 signer that lies or answers garbage (test mock)
@notice `isValidSignature` ignores the digest and the signature and
        answers one 32-byte word chosen by `mode`:
          0 MODE_YES     the magic value 0x1626ba7e, ABI-encoded: a "yes"
                         to anything;
          1 MODE_DIRTY   0x1626ba7e followed by a non-zero last byte;
          2 MODE_TRUE    the word 1 (an ABI `true`);
          3 MODE_RIGHT   the magic value right-aligned (as a uint);
          4 MODE_ONES    32 bytes of 0xff.
        (Answers shorter than a word are made with raw bytecode in the
        unit tests' helpers: Vyper 0.4.3 has no `raw_return`.)
"""

MODE_YES: constant(uint8) = 0
MODE_DIRTY: constant(uint8) = 1
MODE_TRUE: constant(uint8) = 2
MODE_RIGHT: constant(uint8) = 3
MODE_ONES: constant(uint8) = 4

_MAGIC_WORD: constant(bytes32) = 0x1626ba7e00000000000000000000000000000000000000000000000000000000

mode: public(uint8)


@external
def set_mode(mode: uint8):
    self.mode = mode


@external
@view
def isValidSignature(digest: bytes32, signature: Bytes[1_024]) -> bytes32:
    mode: uint8 = self.mode
    if mode == MODE_YES:
        return _MAGIC_WORD
    if mode == MODE_DIRTY:
        return convert(convert(_MAGIC_WORD, uint256) | 1, bytes32)
    if mode == MODE_TRUE:
        return convert(1, bytes32)
    if mode == MODE_RIGHT:
        return convert(convert(_MAGIC_WORD, uint256) >> 224, bytes32)
    return convert(max_value(uint256), bytes32)
