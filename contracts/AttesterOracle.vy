# pragma version 0.4.3
"""
@title Charter AttesterOracle
@custom:contract-name AttesterOracle
@license MIT
@notice An m-of-n committee oracle for ERC-7683 intent settlement. An
        origin settler asks `isProven` whether the destination settler
        recorded `recordHash` for `orderId`; the answer is yes when at
        least `threshold` members signed the EIP-712 attestation
            Attestation(uint256 originChainId, address originSettler,
                        uint256 destinationChainId, bytes32 destinationSettler,
                        bytes32 orderId, bytes32 recordHash)
        with `originChainId` = this chain and `originSettler` = the caller,
        in the domain ("Charter AttesterOracle", "1", chainId, this oracle).
        A proof is the concatenation of the signatures (r ‖ s ‖ v, 65 bytes
        each), ordered by strictly ascending signer address.

        The same committee carries agents' states from their home chain
        (`represent`): it attests
            AgentState(uint256 homeChainId, address registry, uint256 agentId,
                       address owner, address wallet, uint8 status,
                       uint256 generation, uint256 sequence)
        and the registry here mirrors the agent under an id bound to this
        oracle (AgentRegistry.representedId).

        The committee (1 to 16 members, threshold 1..n) is fixed at
        deployment. It hands over to a new committee by rotation: someone
        deploys a successor AttesterOracle naming this one as its
        predecessor, and `rotate(successor, signatures)` with `threshold`
        of this committee's signatures over `Rotation(address successor)`
        points this oracle at it, once and for good. From then on this
        oracle answers only through its successor (`isProvenFor`), so orders
        that named it are proven by the latest committee, and the old
        members' signatures stop counting. There is no admin and no upgrade
        path.
@dev The committee lives in immutables (code), so a proof reads one storage
     word, `successor`, and no member slots.
@custom:security The committee is trusted for the answers it gives: a
                 threshold of members can prove a fill that never happened
                 and so release an order's escrow to its filler. Users accept
                 that trust when they name this oracle in their order; an
                 order naming another oracle is not affected. The committee
                 cannot move funds itself, cannot answer for another origin
                 settler or chain (both are in the signed message and the
                 domain), and cannot hand over without `threshold`
                 signatures of its members; a rotation happens once.
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
ROTATION_TYPEHASH: constant(bytes32) = keccak256("Rotation(address successor)")
AGENT_STATE_TYPEHASH: constant(bytes32) = keccak256(
    "AgentState(uint256 homeChainId,address registry,uint256 agentId,address owner,address wallet,"
    "uint8 status,uint256 generation,uint256 sequence)"
)

EIP712_NAME: constant(String[22]) = "Charter AttesterOracle"
EIP712_VERSION: constant(String[1]) = "1"


# What this oracle asks its successor (an AttesterOracle).
interface IAttesterOracle:
    def current() -> address: view


# The AgentRegistry that mirrors agents of other chains (`represent`).
interface IRepresentingRegistry:
    def represent(
        homeChainId: uint256,
        homeAgentId: uint256,
        owner: address,
        wallet: address,
        status: uint8,
        generation: uint256,
        sequence: uint256,
    ) -> uint256: nonpayable


# An agent's state in the registry of its home chain (AgentRegistry.agentState).
struct AgentState:
    homeChainId: uint256
    registry: address
    agentId: uint256
    owner: address
    wallet: address
    status: uint8
    generation: uint256
    sequence: uint256


# ---------------------------------------------------------------- immutables

# The members, strictly ascending, then zero addresses.
MEMBERS: immutable(address[MAX_MEMBERS])
SIZE: immutable(uint256)
THRESHOLD: immutable(uint256)
# 1 for a first committee, its predecessor's epoch + 1 for a successor.
EPOCH: immutable(uint256)
# The oracle this one succeeds (zero for a first committee): the only caller
# of `isProvenFor`.
PREDECESSOR: immutable(address)


# ---------------------------------------------------------------- storage

# The oracle this one answers through once its committee handed over.
successor: public(address)


# ---------------------------------------------------------------- events

# A committee was installed (by the constructor): its epoch, its members
# (strictly ascending), how many must sign, and the oracle it succeeds.
event CommitteeInstalled:
    epoch: indexed(uint256)
    members: DynArray[address, MAX_MEMBERS]
    threshold: uint256
    predecessor: address


# The committee handed this oracle over to `successor`; `epoch` is this
# (the old) committee's epoch, the successor's is one more.
event Rotated:
    successor: indexed(address)
    epoch: uint256


# ---------------------------------------------------------------- constructor

@deploy
def __init__(members: DynArray[address, MAX_MEMBERS], threshold: uint256, predecessor: address):
    """
    @notice Install a committee.
    @param members 1 to 16 nonzero addresses, strictly ascending (so sorted
           and distinct).
    @param threshold How many members must sign, 1 to `len(members)`.
    @param predecessor Zero for a first committee; otherwise the
           AttesterOracle this one is to succeed (its committee then
           approves the hand-over with `rotate`).
    """
    eip712_domain_separator.__init__(EIP712_NAME, EIP712_VERSION)
    assert len(members) != 0, "oracle: bad committee"
    previous: uint160 = 0
    padded: address[MAX_MEMBERS] = empty(address[MAX_MEMBERS])
    i: uint256 = 0
    for member: address in members:
        current: uint160 = convert(member, uint160)
        assert current > previous, "oracle: bad committee"
        previous = current
        padded[i] = member
        i += 1
    assert threshold != 0 and threshold <= len(members), "oracle: bad threshold"
    epoch: uint256 = 1
    if predecessor != empty(address):
        answer: uint256 = self._ask(predecessor, method_id("epoch()", output_type=Bytes[4]))
        assert answer != 0 and answer < max_value(uint256), "oracle: bad predecessor"
        epoch = answer + 1
    MEMBERS = padded
    SIZE = len(members)
    THRESHOLD = threshold
    EPOCH = epoch
    PREDECESSOR = predecessor
    log CommitteeInstalled(epoch=epoch, members=members, threshold=threshold, predecessor=predecessor)


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
    @notice True if the committee attested that the settler
            `destinationSettler` on chain `destinationChainId` recorded
            `recordHash` for `orderId`, for the calling (origin) settler on
            this chain. The committee is this oracle's own until it rotates,
            then its successor's (and so on). Never reverts on a bad proof:
            answers False.
    @dev `proof` is k >= threshold 65-byte signatures (r ‖ s ‖ v) of
         `attestationDigest(chain.id, msg.sender, ...)` in the answering
         oracle's domain, by strictly ascending members. Every signature is
         checked, also beyond the threshold.
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
    return self._is_proven(msg.sender, destinationChainId, destinationSettler, orderId, recordHash, proof)


@external
@view
def isProvenFor(
    originSettler: address,
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[PROOF_MAX],
) -> bool:
    """
    @notice `isProven` asked on behalf of `originSettler` by the oracle
            this one succeeds; False for any other caller. (The predecessor
            runs AttesterOracle's code, which calls its successor only, and
            only once its committee has handed over to it.)
    @param originSettler The settler that asked the predecessor.
    @param destinationChainId The chain the order was filled on.
    @param destinationSettler The destination settler, as bytes32.
    @param orderId The ERC-7683 order id.
    @param recordHash What the destination settler recorded.
    @param proof This committee's signatures, ascending by signer.
    @return True if proven.
    """
    if msg.sender != PREDECESSOR or msg.sender == empty(address):
        return False
    return self._is_proven(originSettler, destinationChainId, destinationSettler, orderId, recordHash, proof)


@external
def rotate(newOracle: address, signatures: Bytes[PROOF_MAX]):
    """
    @notice Hand this oracle over to `newOracle`, an AttesterOracle whose
            predecessor is this one. Anyone may send the transaction; what
            authorizes it is `signatures`: at least `threshold` members,
            ascending by signer, signed `hashRotation(newOracle)`. Once.
    @dev From then on `isProven` answers through `newOracle`, and this
         committee's signatures stop counting. Emits `Rotated`.
    @param newOracle The successor.
    @param signatures The members' signatures, ascending by signer.
    @custom:security Only the committee can rotate (there is no admin); a
                     threshold of members can hand the oracle to anyone,
                     which is the same trust `isProven` needs.
    """
    assert self.successor == empty(address), "oracle: rotated"
    assert self._ask(newOracle, method_id("predecessor()", output_type=Bytes[4])) == convert(self, uint256), "oracle: bad successor"
    assert self._signed(self._rotation_digest(newOracle), signatures), "oracle: not approved"
    self.successor = newOracle
    log Rotated(successor=newOracle, epoch=EPOCH)


@external
def represent(state: AgentState, proof: Bytes[PROOF_MAX]) -> uint256:
    """
    @notice Deliver an agent's state from its home chain: the committee
            attests that the registry `state.registry` on chain
            `state.homeChainId` holds it, and this oracle hands it to the
            registry at the same address here, which mirrors the agent
            under `representedId(this oracle, homeChainId, agentId)`.
            Anyone may send it; the signatures are the authority. The
            registry keeps only states newer than the one it holds, so a
            replay or a late, older state changes nothing.
    @dev `proof` is k >= threshold 65-byte signatures, ascending by signer,
         of `agentStateDigest(state)` by the answering committee (this one,
         or the latest successor's once rotated: the represented id stays
         this oracle's).
    @param state The attested state.
    @param proof The members' signatures.
    @return uint256 The represented id.
    @custom:security A threshold of members can make an agent look active
                     here, or hand it to another owner: principals who name
                     the represented id in a grant trust this committee for
                     it, as users who name this oracle in an order do.
    """
    assert self._attested(self._agent_state_hash(state), proof), "oracle: not attested"
    return extcall IRepresentingRegistry(state.registry).represent(
        state.homeChainId,
        state.agentId,
        state.owner,
        state.wallet,
        state.status,
        state.generation,
        state.sequence,
    )


@external
@view
def isAttestedFor(structHash: bytes32, proof: Bytes[PROOF_MAX]) -> bool:
    """
    @notice Whether this committee signed the EIP-712 struct `structHash`
            (in this oracle's domain), asked by the oracle this one
            succeeds; False for any other caller.
    @param structHash The struct hash (e.g. of an AgentState).
    @param proof This committee's signatures, ascending by signer.
    @return bool True if attested.
    """
    if msg.sender != PREDECESSOR or msg.sender == empty(address):
        return False
    return self._attested(structHash, proof)


@external
@view
def agentStateDigest(state: AgentState) -> bytes32:
    """
    @notice The EIP-712 digest members sign to attest an agent's state for
            this chain. Once this oracle has rotated, they sign for `current()`.
    @param state The state.
    @return bytes32 The digest in this oracle's domain on the current chain.
    """
    return eip712_domain_separator._hash_typed_data_v4(self._agent_state_hash(state))


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
    @notice The EIP-712 digest a member of this committee signs to attest a
            record, so off-chain code can check its hashing. Once this
            oracle has rotated, attestations are signed for `current()`.
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
@view
def hashRotation(newOracle: address) -> bytes32:
    """
    @notice The EIP-712 digest members sign to hand over to `newOracle`.
    @param newOracle The proposed successor.
    @return The digest in this oracle's domain on the current chain.
    """
    return self._rotation_digest(newOracle)


@external
@view
def current() -> address:
    """
    @notice The oracle whose committee answers for this one: itself until
            it rotates, then its successor's `current()`.
    @return The answering oracle.
    """
    successor: address = self.successor
    if successor == empty(address):
        return self
    return staticcall IAttesterOracle(successor).current()


@external
@view
def members() -> DynArray[address, MAX_MEMBERS]:
    """
    @notice This committee's members, strictly ascending.
    @return The member list.
    """
    out: DynArray[address, MAX_MEMBERS] = []
    for i: uint256 in range(SIZE, bound=MAX_MEMBERS):
        out.append(MEMBERS[i])
    return out


@external
@view
def threshold() -> uint256:
    """
    @notice How many of this committee's members must sign.
    @return The threshold.
    """
    return THRESHOLD


@external
@view
def epoch() -> uint256:
    """
    @notice This committee's epoch: 1 for a first committee, its
            predecessor's + 1 for a successor.
    @return The epoch.
    """
    return EPOCH


@external
@view
def predecessor() -> address:
    """
    @notice The oracle this one succeeds (zero for a first committee).
    @return The predecessor.
    """
    return PREDECESSOR


@external
@view
def isMember(account: address) -> bool:
    """
    @notice True if `account` is a member of this committee (whether or not
            it has handed over).
    @param account Any address.
    @return Membership.
    """
    if account == empty(address):
        return False
    for i: uint256 in range(SIZE, bound=MAX_MEMBERS):
        if MEMBERS[i] == account:
            return True
    return False


# ---------------------------------------------------------------- internal

@internal
@view
def _is_proven(
    origin_settler: address,
    destination_chain_id: uint256,
    destination_settler: bytes32,
    order_id: bytes32,
    record_hash: bytes32,
    proof: Bytes[PROOF_MAX],
) -> bool:
    """
    @dev This committee's answer, or the successor's once rotated.
    """
    successor: address = self.successor
    if successor != empty(address):
        # The successor runs this code (its predecessor is this oracle,
        # checked by `rotate`); a failure answers False.
        success: bool = False
        answer: Bytes[32] = b""
        success, answer = raw_call(
            successor,
            abi_encode(
                origin_settler,
                destination_chain_id,
                destination_settler,
                order_id,
                record_hash,
                proof,
                method_id=method_id("isProvenFor(address,uint256,bytes32,bytes32,bytes32,bytes)"),
            ),
            max_outsize=32,
            is_static_call=True,
            revert_on_failure=False,
        )
        return success and len(answer) == 32 and convert(answer, uint256) == 1
    digest: bytes32 = self._attestation_digest(
        chain.id, origin_settler, destination_chain_id, destination_settler, order_id, record_hash
    )
    return self._signed(digest, proof)


@internal
@view
def _attested(struct_hash: bytes32, proof: Bytes[PROOF_MAX]) -> bool:
    """
    @dev This committee's signatures of `struct_hash` in its domain, or the
         successor's answer once rotated. Never reverts.
    """
    successor: address = self.successor
    if successor != empty(address):
        success: bool = False
        answer: Bytes[32] = b""
        success, answer = raw_call(
            successor,
            abi_encode(struct_hash, proof, method_id=method_id("isAttestedFor(bytes32,bytes)")),
            max_outsize=32,
            is_static_call=True,
            revert_on_failure=False,
        )
        return success and len(answer) == 32 and convert(answer, uint256) == 1
    return self._signed(eip712_domain_separator._hash_typed_data_v4(struct_hash), proof)


@internal
@pure
def _agent_state_hash(state: AgentState) -> bytes32:
    return keccak256(
        abi_encode(
            AGENT_STATE_TYPEHASH,
            state.homeChainId,
            state.registry,
            state.agentId,
            state.owner,
            state.wallet,
            state.status,
            state.generation,
            state.sequence,
        )
    )


@internal
@view
def _ask(target: address, selector: Bytes[4]) -> uint256:
    """
    @dev The one-word answer of `target` to a view without arguments; 0 if it
         has no code, reverts, or answers anything but one word.
    """
    if not target.is_contract:
        return 0
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(target, selector, max_outsize=32, is_static_call=True, revert_on_failure=False)
    if not success or len(answer) != 32:
        return 0
    return convert(answer, uint256)


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
def _rotation_digest(new_oracle: address) -> bytes32:
    """
    @dev EIP-712 digest of a Rotation in this oracle's domain.
    """
    return eip712_domain_separator._hash_typed_data_v4(keccak256(abi_encode(ROTATION_TYPEHASH, new_oracle)))


@internal
@view
def _signed(digest: bytes32, proof: Bytes[PROOF_MAX]) -> bool:
    """
    @dev True if `proof` is k >= THRESHOLD 65-byte signatures of `digest`
         by strictly ascending (hence distinct, nonzero) members. The
         signers and the members are both ascending, so one walk over the
         members matches them: a signer that is not the next member at or
         after the previous match is a stranger, a repeat or out of order.
         Never reverts.
    """
    size: uint256 = len(proof)
    if size % SIGNATURE_LENGTH != 0:
        return False
    count: uint256 = size // SIGNATURE_LENGTH
    if count < THRESHOLD:
        return False
    # count >= THRESHOLD >= 1, and count <= PROOF_MAX / 65 = MAX_MEMBERS.
    matched: uint256 = 0
    # A failed or refused recovery is the zero address, which no member is.
    signer: address = ecdsa._recover(digest, slice(proof, 0, SIGNATURE_LENGTH))
    for i: uint256 in range(SIZE, bound=MAX_MEMBERS):
        member: address = MEMBERS[i]
        if member == signer:
            matched = unsafe_add(matched, 1)
            if matched == count:
                return True
            # matched < count <= 16, so the offset is below 1_040.
            signer = ecdsa._recover(digest, slice(proof, unsafe_mul(matched, SIGNATURE_LENGTH), SIGNATURE_LENGTH))
        elif convert(member, uint160) > convert(signer, uint160):
            return False
    return False
