# pragma version ~=0.4.3
"""
@title Signature checks for EOAs, EIP-7702 accounts and ERC-1271 wallets
@custom:contract-name signatures
@license MIT
@notice `_is_valid_signature` answers whether `signer` approved `digest`:
        first as a 65-byte secp256k1 signature (so EOAs and EIP-7702
        delegated EOAs, which have code, both work), then, if that does
        not match and the signer has code, through ERC-1271.
@custom:security Never returns True for the zero address, for a
                 recovered zero address (a failed `ecrecover`), or for a
                 high-s (malleable) signature. 64-byte EIP-2098 compact
                 signatures are not accepted on the ECDSA path, so one
                 approval has exactly one ECDSA encoding.
"""


# ---------------------------------------------------------------- constants

# Longest signature accepted (ERC-1271 wallets such as multisigs sign with
# more than 65 bytes).
SIGNATURE_MAX: constant(uint256) = 1_024

_ERC1271_MAGIC: constant(bytes4) = 0x1626ba7e
_HALF_ORDER: constant(uint256) = (
    57_896_044_618_658_097_711_785_492_504_343_953_926_418_782_139_537_452_191_302_581_570_759_080_747_168
)


# ---------------------------------------------------------------- internal

@internal
@pure
def _recover(digest: bytes32, signature: Bytes[SIGNATURE_MAX]) -> address:
    """
    @dev The signer of a 65-byte `(r, s, v)` signature, or the zero
         address for anything malformed, malleable or unrecoverable.
    """
    if len(signature) != 65:
        return empty(address)
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if s > _HALF_ORDER or (v != 27 and v != 28):
        return empty(address)
    return ecrecover(digest, v, r, s)


@internal
@view
def _is_valid_signature(signer: address, digest: bytes32, signature: Bytes[SIGNATURE_MAX]) -> bool:
    """
    @dev True if `signer` signed `digest` (ECDSA) or, for a signer with
         code, if it answers ERC-1271 `isValidSignature` with the magic
         value. Never reverts.
    """
    if signer == empty(address):
        return False
    recovered: address = self._recover(digest, signature)
    if recovered != empty(address) and recovered == signer:
        return True
    if not signer.is_contract:
        return False
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(
        signer,
        abi_encode(digest, signature, method_id=method_id("isValidSignature(bytes32,bytes)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    return (
        success
        and len(answer) == 32
        and convert(answer, bytes32) == convert(_ERC1271_MAGIC, bytes32)
    )
