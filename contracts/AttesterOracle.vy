# pragma version 0.4.3
"""
@title Charter AttesterOracle
@custom:contract-name AttesterOracle
@license MIT
@notice An m-of-n committee oracle for ERC-7683 intent settlement. An
        origin settler asks `isProven` whether the destination settler
        recorded `recordHash` for `orderId`; the answer is yes when at
        least `threshold` current committee members signed the EIP-712
        attestation
            Attestation(uint256 originChainId, address originSettler,
                        uint256 destinationChainId, bytes32 destinationSettler,
                        bytes32 orderId, bytes32 recordHash)
        with `originChainId` = this chain and `originSettler` = the caller,
        in the domain ("Charter AttesterOracle", "1", chainId, this oracle).
        A proof is the concatenation of the signatures (r ‖ s ‖ v, 65 bytes
        each), ordered by strictly ascending signer address.
        The committee (1 to 16 members, threshold 1..n) rotates itself:
        `rotate` installs a new committee when `threshold` current members
        signed `Rotation(address[] members, uint256 threshold, uint256
        epoch)` for the current epoch. There is no admin and no upgrade path.
@dev One storage word holds the committee's epoch (bits 8-255) and
     threshold (bits 0-7); `_member_epoch[a]` is the epoch in which `a` was
     last installed, so `a` is a member iff it equals the current epoch
     (epochs start at 1, so the zero default never matches) and a rotation
     never clears old members. `isProven` therefore reads one word for the
     committee and one per signature. The member list is kept only for the
     `members` view.
@custom:security The committee is trusted for the answers it gives: a
                 threshold of members can prove a fill that never happened
                 and so release an order's escrow to its filler. Users accept
                 that trust when they name this oracle in their order; an
                 order naming another oracle is not affected. The committee
                 cannot move funds itself, cannot answer for another origin
                 settler or chain (both are in the signed message and the
                 domain), and cannot rotate without `threshold` signatures
                 of the current members; a rotation signature is bound to
                 the current epoch, so it is usable once.
"""


# ---------------------------------------------------------------- imports

from snekmate.utils import eip712_domain_separator

from interfaces import ISettlementOracle

from .modules import signatures as ecdsa

implements: ISettlementOracle

initializes: eip712_domain_separator


# ---------------------------------------------------------------- exports

exports: eip712_domain_separator.eip712Domain


# ---------------------------------------------------------------- constants

# Largest committee; a proof holds at most one signature per member.
MAX_MEMBERS: constant(uint256) = 16
# An ECDSA signature: r (32) ‖ s (32) ‖ v (1).
SIGNATURE_LENGTH: constant(uint256) = 65
# MAX_MEMBERS signatures; the same bound as ISettlementOracle.PROOF_MAX
# (interface constants are not visible to importers in Vyper 0.4.3, and
# `implements:` checks that both spell Bytes[1040]).
PROOF_MAX: constant(uint256) = 1_040

ATTESTATION_TYPEHASH: constant(bytes32) = keccak256(
    "Attestation(uint256 originChainId,address originSettler,uint256 destinationChainId,"
    "bytes32 destinationSettler,bytes32 orderId,bytes32 recordHash)"
)
ROTATION_TYPEHASH: constant(bytes32) = keccak256("Rotation(address[] members,uint256 threshold,uint256 epoch)")

EIP712_NAME: constant(String[22]) = "Charter AttesterOracle"
EIP712_VERSION: constant(String[1]) = "1"

_THRESHOLD_BITS: constant(uint256) = 8
_THRESHOLD_MASK: constant(uint256) = 255
_EMPTY_HASH: constant(bytes32) = keccak256(b"")


# ---------------------------------------------------------------- storage

# epoch << 8 | threshold: the one word `isProven` reads for the committee.
_committee: uint256
# The epoch in which an address was last installed as a member.
_member_epoch: HashMap[address, uint256]
# The current members, ascending (for the `members` view only).
_members: DynArray[address, MAX_MEMBERS]


# ---------------------------------------------------------------- events

# A committee was installed (by the constructor for epoch 1, then by each
# `rotate`): its epoch, its members (strictly ascending) and how many of them
# must sign.
event CommitteeRotated:
    epoch: indexed(uint256)
    members: DynArray[address, MAX_MEMBERS]
    threshold: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(members: DynArray[address, MAX_MEMBERS], threshold: uint256):
    """
    @notice Install the first committee, epoch 1.
    @param members 1 to 16 nonzero addresses, strictly ascending (so sorted
           and distinct).
    @param threshold How many members must sign, 1 to `len(members)`.
    """
    eip712_domain_separator.__init__(EIP712_NAME, EIP712_VERSION)
    self._check_committee(members, threshold)
    self._install(members, threshold, 1)


# ---------------------------------------------------------------- external

@external
@view
def isProven(
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[PROOF_MAX],
) -> bool:
    """
    @notice True if at least `threshold` current members attested that the
            settler `destinationSettler` on chain `destinationChainId`
            recorded `recordHash` for `orderId`, for the calling (origin)
            settler on this chain. Never reverts: a malformed or
            insufficient proof answers False.
    @dev `proof` is k 65-byte signatures (r ‖ s ‖ v) of
         `attestationDigest(chain.id, msg.sender, ...)`, k >= threshold,
         whose signers are strictly ascending as uint160 and all current
         members. Every signature is checked, also beyond the threshold.
    @param destinationChainId The chain the order was filled on.
    @param destinationSettler The destination settler (an address as
           bytes32, ERC-7683 style).
    @param orderId The ERC-7683 order id.
    @param recordHash What the destination settler recorded for the order.
    @param proof The members' signatures, ascending by signer.
    @return True if proven.
    @custom:security The committee is trusted: a threshold of members can
                     prove a fill that did not happen. A proof answers only
                     for the settler that calls and for this chain.
    """
    digest: bytes32 = self._attestation_digest(
        chain.id, msg.sender, destinationChainId, destinationSettler, orderId, recordHash
    )
    return self._signed_by_committee(digest, proof, self._committee)


@external
@view
def attestationDigest(
    originChainId: uint256,
    originSettler: address,
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
) -> bytes32:
    """
    @notice The EIP-712 digest a member signs to attest a fill, so
            off-chain code can check its hashing.
    @param originChainId The chain of the settler that will ask.
    @param originSettler The settler that will call `isProven`.
    @param destinationChainId The chain the order was filled on.
    @param destinationSettler The destination settler, as bytes32.
    @param orderId The ERC-7683 order id.
    @param recordHash What the destination settler recorded.
    @return The digest in this oracle's domain on the current chain.
    """
    return self._attestation_digest(
        originChainId, originSettler, destinationChainId, destinationSettler, orderId, recordHash
    )


@external
def rotate(newMembers: DynArray[address, MAX_MEMBERS], newThreshold: uint256, signatures: Bytes[PROOF_MAX]):
    """
    @notice Replace the committee. Anyone may send the transaction; what
            authorizes it is `signatures`: at least `threshold` current
            members, ascending by signer, signed
            `hashRotation(newMembers, newThreshold, epoch())`.
    @dev Installs the new committee with epoch + 1, so the same signatures
         never apply twice and old members stop counting at once (no
         storage is cleared). Emits `CommitteeRotated`.
    @param newMembers 1 to 16 nonzero addresses, strictly ascending.
    @param newThreshold 1 to `len(newMembers)`.
    @param signatures The current members' signatures, ascending by signer.
    @custom:security Only the current committee can rotate (there is no
                     admin); a threshold of members can hand the oracle to
                     anyone, which is the same trust `isProven` needs.
    """
    self._check_committee(newMembers, newThreshold)
    committee: uint256 = self._committee
    epoch: uint256 = committee >> _THRESHOLD_BITS
    digest: bytes32 = self._rotation_digest(newMembers, newThreshold, epoch)
    assert self._signed_by_committee(digest, signatures, committee), "oracle: not approved"
    # epoch counts rotations from 1: it cannot reach 2**248.
    self._install(newMembers, newThreshold, unsafe_add(epoch, 1))


@external
@view
def hashRotation(members: DynArray[address, MAX_MEMBERS], threshold: uint256, epoch: uint256) -> bytes32:
    """
    @notice The EIP-712 digest current members sign to approve a rotation.
    @param members The proposed members.
    @param threshold The proposed threshold.
    @param epoch The epoch being replaced (the current one for a usable
           signature).
    @return The digest in this oracle's domain on the current chain.
    """
    return self._rotation_digest(members, threshold, epoch)


@external
@view
def members() -> DynArray[address, MAX_MEMBERS]:
    """
    @notice The current members, strictly ascending.
    @return The member list.
    """
    return self._members


@external
@view
def threshold() -> uint256:
    """
    @notice How many current members must sign.
    @return The threshold.
    """
    return self._committee & _THRESHOLD_MASK


@external
@view
def epoch() -> uint256:
    """
    @notice The current committee's epoch: 1 after deployment, +1 per
            rotation. Rotation signatures name it.
    @return The epoch.
    """
    return self._committee >> _THRESHOLD_BITS


@external
@view
def isMember(account: address) -> bool:
    """
    @notice True if `account` is a member of the current committee.
    @param account Any address.
    @return Membership.
    """
    return self._member_epoch[account] == self._committee >> _THRESHOLD_BITS


# ---------------------------------------------------------------- internal

@internal
@view
def _attestation_digest(
    origin_chain_id: uint256,
    origin_settler: address,
    destination_chain_id: uint256,
    destination_settler: bytes32,
    order_id: bytes32,
    record_hash: bytes32,
) -> bytes32:
    """
    @dev EIP-712 digest of an Attestation in this oracle's domain.
    """
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(
            abi_encode(
                ATTESTATION_TYPEHASH,
                origin_chain_id,
                origin_settler,
                destination_chain_id,
                destination_settler,
                order_id,
                record_hash,
            )
        )
    )


@internal
@view
def _rotation_digest(members: DynArray[address, MAX_MEMBERS], threshold: uint256, epoch: uint256) -> bytes32:
    """
    @dev EIP-712 digest of a Rotation in this oracle's domain; `address[]`
         hashes to keccak256 of its 32-byte words.
    """
    members_hash: bytes32 = _EMPTY_HASH
    if len(members) != 0:
        encoded: Bytes[576] = abi_encode(members)
        # Skip the offset and length words; len(members) <= 16.
        members_hash = keccak256(slice(encoded, 64, unsafe_mul(len(members), 32)))
    return eip712_domain_separator._hash_typed_data_v4(
        keccak256(abi_encode(ROTATION_TYPEHASH, members_hash, threshold, epoch))
    )


@internal
@view
def _signed_by_committee(digest: bytes32, proof: Bytes[PROOF_MAX], committee: uint256) -> bool:
    """
    @dev True if `proof` is k >= threshold 65-byte signatures of `digest`
         by strictly ascending (hence distinct, nonzero) members of the
         committee word's epoch. Never reverts.
    """
    size: uint256 = len(proof)
    if size % SIGNATURE_LENGTH != 0:
        return False
    count: uint256 = size // SIGNATURE_LENGTH
    if count < committee & _THRESHOLD_MASK:
        return False
    epoch: uint256 = committee >> _THRESHOLD_BITS
    previous: uint160 = 0
    # count <= PROOF_MAX / 65 = MAX_MEMBERS.
    for i: uint256 in range(count, bound=MAX_MEMBERS):
        # i < 16, so the offset is below 1_040.
        signer: address = ecdsa._recover(digest, slice(proof, unsafe_mul(i, SIGNATURE_LENGTH), SIGNATURE_LENGTH))
        current: uint160 = convert(signer, uint160)
        # A failed or refused recovery is the zero address, never above `previous`.
        if current <= previous:
            return False
        if self._member_epoch[signer] != epoch:
            return False
        previous = current
    return True


@internal
@pure
def _check_committee(members: DynArray[address, MAX_MEMBERS], threshold: uint256):
    """
    @dev Revert unless `members` is 1..16 nonzero, strictly ascending
         addresses and 1 <= threshold <= len(members). (More than 16
         members cannot be ABI-decoded into the argument: the call
         reverts before reaching this check.)
    """
    assert len(members) != 0, "oracle: bad committee"
    previous: uint160 = 0
    for member: address in members:
        current: uint160 = convert(member, uint160)
        assert current > previous, "oracle: bad committee"
        previous = current
    assert threshold != 0 and threshold <= len(members), "oracle: bad threshold"


@internal
def _install(members: DynArray[address, MAX_MEMBERS], threshold: uint256, epoch: uint256):
    """
    @dev Make `members` the committee of `epoch` (older entries of
         `_member_epoch` simply stop matching) and emit CommitteeRotated.
    """
    for member: address in members:
        self._member_epoch[member] = epoch
    self._members = members
    # threshold <= 16 < 2**8 and epoch < 2**248.
    self._committee = unsafe_add(epoch << _THRESHOLD_BITS, threshold)
    log CommitteeRotated(epoch=epoch, members=members, threshold=threshold)
