# pragma version ~=0.4.3
"""
@title The SessionManager's storage words
@custom:contract-name grant_state
@license MIT
@notice Stateless: the layout of the three kinds of words the manager
        stores, and the pure helpers that read them, shared with the
        SessionView.
          - grant word, per (account, grant): status 8 | callsUsed 32 |
            lastCall 48 | request nonce 32 | nativeSpent 128;
          - account word: epoch 64 | maxSessionLength 48 | bit 255 "in
            use" (keeps the word non-zero, so revokeAll never pays for a
            fresh slot);
          - token word, per (grant, token): spent this period 128 |
            period index 64.
"""


# ---------------------------------------------------------------- constants

# Stored grant status (bits 0-7 of the grant word).
UNUSED: constant(uint256) = 0
USED: constant(uint256) = 1
REVOKED: constant(uint256) = 2
STATUS_MASK: constant(uint256) = 255

# Reported status (`SessionView.grantState`).
STATUS_PENDING: constant(uint8) = 0
STATUS_ACTIVE: constant(uint8) = 1
STATUS_REVOKED: constant(uint8) = 2
STATUS_REVOKED_ALL: constant(uint8) = 3
STATUS_EXPIRED: constant(uint8) = 4
STATUS_NOT_YET_VALID: constant(uint8) = 5
STATUS_AGENT_INACTIVE: constant(uint8) = 6
STATUS_EXHAUSTED: constant(uint8) = 7
STATUS_AGENT_TRANSFERRED: constant(uint8) = 8

CALLS_SHIFT: constant(uint256) = 8
LAST_SHIFT: constant(uint256) = 40
NONCE_SHIFT: constant(uint256) = 88
NATIVE_SHIFT: constant(uint256) = 120
MASK_32: constant(uint256) = 2**32 - 1
MASK_48: constant(uint256) = 2**48 - 1
MASK_64: constant(uint256) = 2**64 - 1
MASK_128: constant(uint256) = 2**128 - 1

MAXLEN_SHIFT: constant(uint256) = 64
IN_USE: constant(uint256) = 1 << 255
DEFAULT_MAX_SESSION: constant(uint256) = 7 * 86_400
MAX_SESSION_CEILING: constant(uint256) = 366 * 86_400

PERIOD_SHIFT: constant(uint256) = 128


# ---------------------------------------------------------------- internal

@internal
@pure
def _max_length(config: uint256) -> uint256:
    """
    @dev The account's maximum session length from its account word.
    """
    length: uint256 = (config >> MAXLEN_SHIFT) & MASK_48
    if length == 0:
        return DEFAULT_MAX_SESSION
    return length


@internal
@view
def _period(valid_after: uint48, length: uint32) -> uint256:
    """
    @dev Index of the current budget period, counted from `validAfter`
         (always 0 for a lifetime budget). Only called while the grant
         is valid, so now >= validAfter.
    """
    if length == 0:
        return 0
    return (block.timestamp - convert(valid_after, uint256)) // convert(length, uint256)
