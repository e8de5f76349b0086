"""AttesterOracle: m-of-n committee attestations (isProven), their EIP-712
digests, the one-time hand-over of an oracle to a successor committee
(rotate, isProvenFor, chains of successors), attacks on that hand-over, and
a Hypothesis property over random committees and signer sets, asked
directly or through a predecessor.

Digests are computed in conftest.py with eth_account's encode_typed_data
over full typed-data messages and signed with eth_account keys; the
contract's digest views are only compared against them (and the attestation
digest also against the SDK's `charter.intents.typed_data`).
"""

from __future__ import annotations

import itertools
import os

import boa
import pytest
from eth_account import Account
from eth_utils import keccak
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.intents.typed_data import attestation_digest as sdk_attestation_digest
from charter.intents.typed_data import attestation_message

from ..helpers import SECP256K1_N, join, split
from .conftest import (
    BAD_COMMITTEE,
    BAD_PREDECESSOR,
    BAD_SUCCESSOR,
    BAD_THRESHOLD,
    COMMITTEE,
    DESTINATION_CHAIN_ID,
    DESTINATION_SETTLER,
    FILL,
    MAX_MEMBERS,
    NEXT_COMMITTEE,
    NEXT_THRESHOLD,
    NOT_APPROVED,
    ORACLE_NAME,
    ORACLE_VERSION,
    ORDER_ID,
    OUTSIDERS,
    POOL,
    RECORD_HASH,
    ROTATED,
    THIRD_COMMITTEE,
    THIRD_THRESHOLD,
    THRESHOLD,
    TOKEN_SOURCE,
    ZERO_ADDRESS,
    addresses,
    approval,
    attestation_digest,
    by_address,
    fixed_key,
    make_proof,
    rotation_digest,
    sign,
)

A, B, C = COMMITTEE  # ascending by address
N0, N1, N2, N3 = NEXT_COMMITTEE  # ascending by address
ZERO_SIGNATURE = b"\x00" * 65
MAX_ADDRESS = "0x" + "ff" * 20
# Each attested field, changed: a proof of the original answers for none of them.
OTHER_FIELDS = [
    ("order_id", keccak(text="another order")),
    ("record_hash", keccak(text="another record")),
    ("destination_chain_id", DESTINATION_CHAIN_ID + 1),
    ("destination_settler", bytes(12) + keccak(text="another destination")[-20:]),
]


# ---------------------------------------------------------------- signature surgery


def high_s(signature: bytes) -> bytes:
    """The other ECDSA encoding of the same approval: s -> n - s, v flipped."""
    r, s, v = split(signature)
    return join(r, SECP256K1_N - s, 55 - v)


_P = 2**256 - 2**32 - 977
_G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)


def _add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    if p[0] == q[0] and (p[1] + q[1]) % _P == 0:
        return None
    if p == q:
        m = 3 * p[0] * p[0] * pow(2 * p[1], -1, _P) % _P
    else:
        m = (q[1] - p[1]) * pow(q[0] - p[0], -1, _P) % _P
    x = (m * m - p[0] - q[0]) % _P
    return x, (m * (p[0] - x) - p[1]) % _P


def resign(key, digest: bytes) -> bytes:
    """A second valid low-s signature of `digest` by `key`, with a nonce
    other than RFC 6979's (so other bytes, same signer)."""
    k = int.from_bytes(keccak(b"another nonce" + digest), "big") % SECP256K1_N
    point, base, n = None, _G, k
    while n:
        if n & 1:
            point = _add(point, base)
        base, n = _add(base, base), n >> 1
    r = point[0] % SECP256K1_N
    d, z = int.from_bytes(bytes(key.key), "big"), int.from_bytes(digest, "big")
    s, v = pow(k, -1, SECP256K1_N) * (z + r * d) % SECP256K1_N, 27 + (point[1] & 1)
    if s > SECP256K1_N // 2:
        s, v = SECP256K1_N - s, 55 - v
    return join(r, s, v)


# ---------------------------------------------------------------- deployment and views


def test_deployment(oracle, events):
    assert events(oracle) == [
        (
            "CommitteeInstalled",
            {"epoch": 1, "members": addresses(COMMITTEE), "threshold": THRESHOLD, "predecessor": ZERO_ADDRESS},
        )
    ]
    assert oracle.members() == addresses(COMMITTEE)
    assert oracle.threshold() == THRESHOLD
    assert oracle.epoch() == 1
    assert oracle.predecessor() == ZERO_ADDRESS
    assert oracle.successor() == ZERO_ADDRESS
    assert oracle.current() == oracle.address
    assert all(oracle.isMember(k.address) for k in COMMITTEE)
    assert not any(oracle.isMember(k.address) for k in OUTSIDERS + NEXT_COMMITTEE)
    assert not oracle.isMember(ZERO_ADDRESS)


def test_successor_deployment(oracle, successor, events):
    """Deploying a successor installs its committee but hands nothing over."""
    assert events(successor) == [
        (
            "CommitteeInstalled",
            {
                "epoch": 2,
                "members": addresses(NEXT_COMMITTEE),
                "threshold": NEXT_THRESHOLD,
                "predecessor": oracle.address,
            },
        )
    ]
    assert (successor.members(), successor.threshold(), successor.epoch()) == (
        addresses(NEXT_COMMITTEE),
        NEXT_THRESHOLD,
        2,
    )
    assert successor.predecessor() == oracle.address
    assert successor.successor() == ZERO_ADDRESS and successor.current() == successor.address
    assert oracle.successor() == ZERO_ADDRESS and oracle.current() == oracle.address
    assert not any(successor.isMember(k.address) for k in COMMITTEE)


def test_domain(oracle, successor, chain_id):
    for contract in (oracle, successor):
        fields, name, version, chain, address, salt, extensions = contract.eip712Domain()
        assert fields == b"\x0f"
        assert (name, version, chain, address) == (ORACLE_NAME, ORACLE_VERSION, chain_id, contract.address)
        assert salt == b"\x00" * 32 and extensions == []


def test_largest_committee(deploy, settler):
    keys = by_address([fixed_key(f"big-{i}") for i in range(MAX_MEMBERS)])
    oracle = deploy(keys, MAX_MEMBERS)
    assert oracle.members() == addresses(keys) and oracle.threshold() == MAX_MEMBERS
    proof = make_proof(keys, attestation_digest(oracle, origin_settler=settler))
    assert len(proof) == 1_040
    with boa.env.prank(settler):
        assert oracle.isProven(*FILL, proof)
        assert not oracle.isProven(*FILL, proof[:-65])


# ---------------------------------------------------------------- bad committees and predecessors

_SORTED = addresses(by_address([fixed_key(f"bad-{i}") for i in range(4)]))

BAD_COMMITTEES = [
    pytest.param([], 1, BAD_COMMITTEE, id="empty"),
    pytest.param([ZERO_ADDRESS, *_SORTED[:2]], 1, BAD_COMMITTEE, id="zero-member"),
    pytest.param([_SORTED[1], _SORTED[0], _SORTED[2]], 1, BAD_COMMITTEE, id="unsorted"),
    pytest.param([_SORTED[0], _SORTED[2], _SORTED[1]], 1, BAD_COMMITTEE, id="unsorted-tail"),
    pytest.param([_SORTED[0], _SORTED[1], _SORTED[1]], 1, BAD_COMMITTEE, id="duplicate"),
    pytest.param(_SORTED[:3], 0, BAD_THRESHOLD, id="threshold-0"),
    pytest.param(_SORTED[:3], 4, BAD_THRESHOLD, id="threshold-above-n"),
    pytest.param(_SORTED[:1], 2, BAD_THRESHOLD, id="threshold-above-1"),
    pytest.param(_SORTED[:3], 2**256 - 1, BAD_THRESHOLD, id="threshold-huge"),
    # 17 members do not fit the DynArray[address, 16] argument: the ABI
    # decoder's bounds check reverts, without a reason string.
    pytest.param(
        addresses(by_address([fixed_key(f"crowd-{i}") for i in range(MAX_MEMBERS + 1)])), 1, "", id="17-members"
    ),
]


@pytest.mark.parametrize("members, threshold, reason", BAD_COMMITTEES)
def test_bad_committee_refused_at_deployment(oracle_deployer, members, threshold, reason):
    with boa.reverts(*([reason] if reason else [])):
        oracle_deployer.deploy(members, threshold, ZERO_ADDRESS)


@pytest.mark.parametrize("members, threshold, reason", BAD_COMMITTEES[:-1])
def test_bad_committee_refused_for_a_successor(oracle_deployer, oracle, members, threshold, reason):
    """A successor's committee is checked the same way."""
    with boa.reverts(reason):
        oracle_deployer.deploy(members, threshold, oracle.address)


def test_threshold_bounds_accepted(oracle_deployer):
    for n, threshold in ((1, 1), (3, 1), (3, 3), (MAX_MEMBERS, 1)):
        members = _SORTED[:n] if n <= 4 else addresses(by_address([fixed_key(f"crowd-{i}") for i in range(n)]))
        oracle = oracle_deployer.deploy(members, threshold, ZERO_ADDRESS)
        assert (oracle.members(), oracle.threshold()) == (members, threshold)


def test_predecessor_without_code_refused(deploy, stranger):
    for predecessor in (stranger, A.address, MAX_ADDRESS, "0x" + "00" * 19 + "01"):
        with boa.reverts(BAD_PREDECESSOR):
            deploy(NEXT_COMMITTEE, NEXT_THRESHOLD, predecessor)


def test_predecessor_without_epoch_refused(deploy):
    """A contract that is no oracle (no `epoch()`) cannot be a predecessor."""
    token = boa.load(str(TOKEN_SOURCE))
    with boa.reverts(BAD_PREDECESSOR):
        deploy(NEXT_COMMITTEE, NEXT_THRESHOLD, token)


def test_epochs_count_hops(deploy, oracle, successor, relay_deployer):
    third = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, successor)
    assert (oracle.epoch(), successor.epoch(), third.epoch()) == (1, 2, 3)
    # two successors of one oracle (only one can be handed over to) share an epoch
    assert deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, oracle).epoch() == 2
    # the epoch is read from the predecessor, whatever it is
    assert deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, relay_deployer.deploy()).epoch() == 42


# ---------------------------------------------------------------- digests


def test_attestation_digest_matches(oracle, successor, settler, chain_id):
    for contract in (oracle, successor):
        digest = contract.attestationDigest(chain_id, settler, *FILL)
        assert digest == attestation_digest(contract, origin_settler=settler)
        # and the SDK's (what the attesters sign in production)
        message = attestation_message(
            chain_id, settler, DESTINATION_CHAIN_ID, "0x" + DESTINATION_SETTLER[12:].hex(), ORDER_ID, RECORD_HASH
        )
        assert digest == sdk_attestation_digest(contract.address, message)
    # each oracle signs in its own domain
    assert oracle.attestationDigest(chain_id, settler, *FILL) != successor.attestationDigest(chain_id, settler, *FILL)


def test_attestation_digest_binds_every_field(oracle, settler, other_settler):
    fields = {
        "origin_chain_id": 10,
        "origin_settler": other_settler,
        "destination_chain_id": 2**256 - 1,
        "destination_settler": keccak(text="another settler"),
        "order_id": keccak(text="order-2"),
        "record_hash": keccak(text="record-2"),
    }
    digest = oracle.attestationDigest(*fields.values())
    assert digest == attestation_digest(oracle, **fields)
    # the domain stays this chain's whatever origin chain id is named
    assert digest != attestation_digest(oracle, chain_id=10, **fields)
    base = attestation_digest(oracle, origin_settler=settler)
    for name, value in fields.items():
        assert attestation_digest(oracle, **{"origin_settler": settler, name: value}) != base, name


def test_hash_rotation_matches(oracle, successor, stranger, chain_id):
    for target in (successor.address, oracle.address, stranger, ZERO_ADDRESS, MAX_ADDRESS):
        assert oracle.hashRotation(target) == rotation_digest(oracle, target)
        assert successor.hashRotation(target) == rotation_digest(successor, target)
        # the rotating oracle's domain: another oracle's members cannot approve for it
        assert oracle.hashRotation(target) != successor.hashRotation(target)
    assert oracle.hashRotation(successor.address) != oracle.hashRotation(stranger)
    assert rotation_digest(oracle, successor, chain_id + 1) != oracle.hashRotation(successor.address)
    # and it follows the chain id (after a fork, the old chain's approvals do not count)
    boa.env.evm.patch.chain_id = chain_id + 1
    assert oracle.hashRotation(successor.address) == rotation_digest(oracle, successor, chain_id + 1)


# ---------------------------------------------------------------- attestations


@pytest.mark.parametrize("pair", list(itertools.combinations(range(3), 2)))
def test_two_of_three_accepted(attest, is_proven, pair):
    assert is_proven(attest([COMMITTEE[i] for i in pair]))


def test_more_than_threshold_accepted(attest, is_proven):
    assert is_proven(attest(COMMITTEE))


def test_below_threshold_refused(attest, is_proven):
    for key in COMMITTEE:
        assert not is_proven(attest([key]))
    assert not is_proven(b"")


def test_non_member_refused(attest, is_proven):
    for outsider in OUTSIDERS:
        assert not is_proven(attest([A, outsider]))
        # enough members, but every signature must be a member's
        assert not is_proven(attest([A, B, outsider]))
    assert not is_proven(attest(OUTSIDERS))


def test_unsorted_refused(attest, is_proven):
    assert not is_proven(attest([B, A], ordered=False))
    assert not is_proven(attest([C, B, A], ordered=False))
    assert not is_proven(attest([A, C, B], ordered=False))


def test_duplicate_signer_refused(attest, is_proven, oracle, settler):
    assert not is_proven(attest([A, A], ordered=False))
    assert not is_proven(attest([A, B, B], ordered=False))
    # two different valid signatures by one member are still one signer
    digest = attestation_digest(oracle, origin_settler=settler)
    other = resign(A, digest)
    assert other != sign(A, digest)
    assert Account._recover_hash(digest, signature=other) == A.address
    assert not is_proven(sign(A, digest) + other)
    assert is_proven(other + sign(B, digest))


def test_high_s_refused(attest, is_proven, oracle, settler):
    digest = attestation_digest(oracle, origin_settler=settler)
    a, b = sign(A, digest), sign(B, digest)
    # the malleable twin recovers the same signer, yet is refused
    assert Account._recover_hash(digest, vrs=(high_s(a)[64], *split(high_s(a))[:2])) == A.address
    assert not is_proven(high_s(a) + b)
    assert not is_proven(a + high_s(b))
    assert is_proven(a + b)


def test_bad_v_refused(attest, is_proven):
    proof = attest([A, B])
    for v in (0, 1, 29, 255):
        assert not is_proven(proof[:64] + bytes([v]) + proof[65:])
        assert not is_proven(proof[:129] + bytes([v]))


def test_zero_signature_refused(attest, is_proven):
    assert not is_proven(ZERO_SIGNATURE * 2)
    assert not is_proven(ZERO_SIGNATURE + attest([A, B]))
    assert not is_proven(attest([A, B]) + ZERO_SIGNATURE)
    # a garbage signature that recovers to some unrelated address
    assert not is_proven(attest([A, B]) + join(1, 1, 27))


@pytest.mark.parametrize("change", [b"\x00", b"\x00" * 64, b"\x00" * 66])
def test_wrong_length_refused(attest, is_proven, change):
    proof = attest(COMMITTEE)
    assert not is_proven(proof + change)
    assert not is_proven(proof[: -len(change)])
    assert not is_proven(change)


def test_never_reverts(is_proven):
    for size in (1, 65, 130, 1_039, 1_040):
        assert not is_proven(bytes([0xA5]) * size)


@pytest.mark.parametrize(
    "field, value",
    OTHER_FIELDS,
)
def test_proof_for_another_fill_refused(attest, is_proven, field, value):
    proof = attest([A, B])
    assert is_proven(proof)
    assert not is_proven(proof, **{field: value})
    assert is_proven(attest([A, B], **{field: value}), **{field: value})
    assert not is_proven(attest([A, B], **{field: value}))


def test_proof_for_another_settler_refused(attest, is_proven, settler, other_settler):
    proof_for_a = attest([A, B], origin_settler=settler)
    assert is_proven(proof_for_a, caller=settler)
    assert not is_proven(proof_for_a, caller=other_settler)
    assert is_proven(attest([A, B], origin_settler=other_settler), caller=other_settler)


def test_proof_for_another_chain_refused(attest, is_proven, chain_id):
    other_chain = chain_id + 7
    # the whole message for another chain (its domain and originChainId)
    assert not is_proven(attest([A, B], chain_id=other_chain))
    # this chain's domain but another origin chain, and the reverse
    assert not is_proven(attest([A, B], origin_chain_id=other_chain))
    assert not is_proven(attest([A, B], chain_id=other_chain, origin_chain_id=chain_id))
    # after a fork, this chain's proofs stop answering and the new chain's work
    proof_here = attest([A, B])
    boa.env.evm.patch.chain_id = other_chain
    assert not is_proven(proof_here)
    assert is_proven(attest([A, B], chain_id=other_chain))


def test_proof_for_another_oracle_refused(deploy, attest, is_proven):
    """Same committee, another deployment: the domain's verifyingContract differs."""
    twin = deploy(COMMITTEE, THRESHOLD)
    proof_for_twin = attest([A, B], at=twin)
    assert not is_proven(proof_for_twin)
    assert is_proven(proof_for_twin, via=twin)


def test_rotation_approval_is_no_attestation(oracle, successor, settler, is_proven):
    assert not is_proven(approval([A, B], oracle, settler))
    assert not is_proven(approval([A, B], oracle, successor))


# ---------------------------------------------------------------- isProvenFor


def test_is_proven_for_a_first_oracle_answers_nobody(oracle, attest, is_proven, is_proven_for, settler, stranger):
    """A first committee has no predecessor: `isProvenFor` is False for any
    caller, the zero address included, even with a valid proof."""
    proof = attest([A, B])
    assert is_proven(proof)
    for caller in (stranger, settler, oracle.address, ZERO_ADDRESS):
        assert not is_proven_for(oracle, caller, proof), caller


def test_is_proven_for_answers_only_the_predecessor(
    oracle, successor, attest, is_proven_for, relay_deployer, settler, other_settler, stranger
):
    """The caller is the only gate: valid signatures of the successor's
    committee are refused to anyone but its predecessor (including the settler
    they name, and a contract relaying the question)."""
    proof = attest(NEXT_COMMITTEE[:3], at=successor)
    relay = relay_deployer.deploy()
    for caller in (stranger, settler, successor.address, relay.address, ZERO_ADDRESS):
        assert not is_proven_for(successor, caller, proof), caller
    assert not relay.ask(successor.address, settler, *FILL, proof)
    # the predecessor's own address is answered, for the settler the proof names only
    assert is_proven_for(successor, oracle.address, proof)
    assert not is_proven_for(successor, oracle.address, proof, origin_settler=other_settler)
    assert not is_proven_for(successor, oracle.address, proof[:-65])


def test_is_proven_for_a_contract_predecessor(deploy, relay_deployer, settler, stranger):
    """An oracle deployed with any contract as predecessor answers that
    contract, and only it (which matters only to whoever trusts that
    contract)."""
    relay = relay_deployer.deploy()
    other_relay = relay_deployer.deploy()
    oracle = deploy(NEXT_COMMITTEE, NEXT_THRESHOLD, relay)
    proof = make_proof(NEXT_COMMITTEE[:3], attestation_digest(oracle, origin_settler=settler))
    assert relay.ask(oracle.address, settler, *FILL, proof)
    assert not other_relay.ask(oracle.address, settler, *FILL, proof)
    assert not relay.ask(oracle.address, stranger, *FILL, proof)


# ---------------------------------------------------------------- rotation


def test_rotate(oracle, successor, events, stranger):
    signatures = approval([A, C], oracle, successor)
    assert signatures == make_proof([A, C], oracle.hashRotation(successor.address))
    with boa.env.prank(stranger):  # anyone may send it
        oracle.rotate(successor.address, signatures)
    assert events(oracle) == [("Rotated", {"successor": successor.address, "epoch": 1})]
    assert oracle.successor() == successor.address
    assert oracle.current() == successor.address
    # the old oracle's own committee is unchanged (it is code), it just stops answering
    assert (oracle.members(), oracle.threshold(), oracle.epoch()) == (addresses(COMMITTEE), THRESHOLD, 1)
    assert all(oracle.isMember(k.address) for k in COMMITTEE)
    assert successor.successor() == ZERO_ADDRESS and successor.current() == successor.address


def test_rotate_with_every_member(oracle, successor):
    oracle.rotate(successor.address, approval(COMMITTEE, oracle, successor))
    assert oracle.successor() == successor.address


def test_after_rotation_old_committee_refused(rotated, attest, is_proven):
    # proofs made before the hand-over, by every member, in either domain
    assert not is_proven(attest([A, B]))
    assert not is_proven(attest(COMMITTEE))
    assert not is_proven(attest(COMMITTEE, at=rotated))
    assert not is_proven(attest(COMMITTEE, at=rotated), via=rotated)


def test_after_rotation_old_proof_stops_counting(oracle, successor, hand_over, attest, is_proven):
    proof = attest([A, B])
    assert is_proven(proof)
    hand_over(oracle, successor, [A, B])
    assert not is_proven(proof)


def test_after_rotation_new_committee_proves_through_the_old_oracle(rotated, attest, is_proven):
    """Orders that named the old oracle are proven by the new committee,
    signing in the new oracle's domain, at the new threshold."""
    assert is_proven(attest([N0, N1, N2], at=rotated))
    assert is_proven(attest([N0, N2, N3], at=rotated))
    assert is_proven(attest(NEXT_COMMITTEE, at=rotated))
    # below the new threshold (the old one was 2)
    assert not is_proven(attest([N1, N2], at=rotated))
    # the new members, but in the old oracle's domain
    assert not is_proven(attest(NEXT_COMMITTEE))
    # mixed with old members or outsiders, or out of order
    assert not is_proven(attest([N0, N1, A], at=rotated))
    assert not is_proven(attest([N0, N1, N2, OUTSIDERS[0]], at=rotated))
    assert not is_proven(attest([N2, N1, N0], at=rotated, ordered=False))


def test_before_rotation_the_successor_committee_does_not_count(oracle, successor, attest, is_proven, stranger):
    """Deploying a successor, even a genuine one, gives its committee nothing
    over the old oracle until the old committee hands over."""
    assert not is_proven(attest(NEXT_COMMITTEE, at=successor))
    assert not is_proven(attest(NEXT_COMMITTEE))
    assert is_proven(attest([A, B]))


def test_after_rotation_bound_to_the_settler(rotated, attest, is_proven, settler, other_settler):
    proof_for_a = attest([N0, N1, N2], at=rotated, origin_settler=settler)
    assert is_proven(proof_for_a, caller=settler)
    assert not is_proven(proof_for_a, caller=other_settler)
    assert not is_proven(proof_for_a, caller=other_settler, via=rotated)
    assert is_proven(attest([N0, N1, N2], at=rotated, origin_settler=other_settler), caller=other_settler)


@pytest.mark.parametrize(
    "field, value",
    OTHER_FIELDS,
)
def test_after_rotation_bound_to_the_fill(rotated, attest, is_proven, field, value):
    proof = attest([N0, N1, N2], at=rotated)
    assert is_proven(proof)
    assert not is_proven(proof, **{field: value})
    assert is_proven(attest([N0, N1, N2], at=rotated, **{field: value}), **{field: value})


def test_after_rotation_bound_to_the_chain(rotated, attest, is_proven, chain_id):
    proof_here = attest([N0, N1, N2], at=rotated)
    assert not is_proven(attest([N0, N1, N2], at=rotated, chain_id=chain_id + 1))
    assert not is_proven(attest([N0, N1, N2], at=rotated, origin_chain_id=chain_id + 1))
    boa.env.evm.patch.chain_id = chain_id + 1
    assert not is_proven(proof_here)
    assert is_proven(attest([N0, N1, N2], at=rotated, chain_id=chain_id + 1))


def test_after_rotation_the_new_oracle_answers_directly(rotated, attest, is_proven, is_proven_for, settler, stranger):
    proof = attest([N0, N1, N2], at=rotated)
    assert is_proven(proof, via=rotated)
    assert not is_proven(attest([A, B]), via=rotated)
    # but its isProvenFor still answers its predecessor only
    for caller in (settler, stranger, rotated.address):
        assert not is_proven_for(rotated, caller, proof), caller


def test_after_rotation_never_reverts(rotated, is_proven):
    for size in (0, 1, 65, 130, 195, 1_039, 1_040):
        assert not is_proven(bytes([0xA5]) * size)


def test_rotation_refused_with_the_successor_committee(oracle, successor):
    """The incoming committee cannot take over by itself, in either domain."""
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(successor.address, approval(NEXT_COMMITTEE, oracle, successor))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(successor.address, approval(NEXT_COMMITTEE, successor, successor))


@pytest.mark.parametrize(
    "signers, kwargs",
    [
        pytest.param([A], {}, id="below-threshold"),
        pytest.param([], {}, id="no-signatures"),
        pytest.param([OUTSIDERS[0], OUTSIDERS[1]], {}, id="non-members"),
        pytest.param([A, OUTSIDERS[0]], {}, id="member-and-non-member"),
        pytest.param([A, B, OUTSIDERS[0]], {}, id="extra-non-member"),
        pytest.param([B, A], {"ordered": False}, id="unsorted"),
        pytest.param([A, A], {"ordered": False}, id="duplicate"),
    ],
)
def test_rotation_not_approved(oracle, successor, signers, kwargs):
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(successor.address, approval(signers, oracle, successor, **kwargs))
    assert oracle.successor() == ZERO_ADDRESS


def test_rotation_signatures_malformed(oracle, successor):
    signatures = approval([A, B], oracle, successor)
    for bad in (
        signatures + ZERO_SIGNATURE,
        ZERO_SIGNATURE + signatures,
        signatures[:-1],
        signatures + b"\x00",
        high_s(signatures[:65]) + signatures[65:],
        signatures[:64] + b"\x1d" + signatures[65:],
    ):
        with boa.reverts(NOT_APPROVED):
            oracle.rotate(successor.address, bad)
    oracle.rotate(successor.address, signatures)
    assert oracle.successor() == successor.address


def test_rotation_signed_for_something_else_refused(deploy, oracle, successor, chain_id, settler):
    """Threshold signatures of the right members, but over another message."""
    other_successor = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, oracle)
    twin = deploy(COMMITTEE, THRESHOLD)  # same committee, another oracle
    for signatures in (
        approval([A, B], oracle, other_successor),  # another successor
        approval([A, B], oracle, ZERO_ADDRESS),
        approval([A, B], twin, successor),  # another oracle's domain
        approval([A, B], successor, successor),
        approval([A, B], oracle, successor, chain_id=chain_id + 1),  # another chain
        make_proof([A, B], attestation_digest(oracle, origin_settler=successor)),  # an attestation
        make_proof([A, B], attestation_digest(oracle, origin_settler=settler)),
    ):
        with boa.reverts(NOT_APPROVED):
            oracle.rotate(successor.address, signatures)
    assert oracle.successor() == ZERO_ADDRESS


def test_rotation_to_a_successor_without_code_refused(oracle, stranger):
    """Even with the committee's approval of that very address."""
    for target in (stranger, A.address, ZERO_ADDRESS, MAX_ADDRESS):
        with boa.reverts(BAD_SUCCESSOR):
            oracle.rotate(target, approval([A, B], oracle, target))
    assert oracle.successor() == ZERO_ADDRESS


def test_rotation_to_another_oracles_successor_refused(deploy, oracle):
    """The committee approved it, but that oracle does not succeed this one:
    were it accepted, it would never be asked by its predecessor (so prove
    nothing) or, for a forged predecessor, prove for another oracle."""
    twin = deploy(COMMITTEE, THRESHOLD)
    for target in (
        deploy(NEXT_COMMITTEE, NEXT_THRESHOLD, twin),  # succeeds another oracle
        deploy(NEXT_COMMITTEE, NEXT_THRESHOLD),  # a first committee
        twin,
        oracle,  # itself
    ):
        with boa.reverts(BAD_SUCCESSOR):
            oracle.rotate(target.address, approval([A, B], oracle, target))
    assert oracle.successor() == ZERO_ADDRESS


def test_rotation_backwards_refused(oracle, successor):
    """A successor cannot hand over to its predecessor (no cycle)."""
    with boa.reverts(BAD_SUCCESSOR):
        successor.rotate(oracle.address, approval([N0, N1, N2], successor, oracle))


def test_rotation_to_a_contract_that_is_no_oracle_refused(oracle):
    token = boa.load(str(TOKEN_SOURCE))
    with boa.reverts(BAD_SUCCESSOR):
        oracle.rotate(token.address, approval([A, B], oracle, token))
    assert oracle.successor() == ZERO_ADDRESS


def test_second_rotation_refused(deploy, oracle, successor, hand_over):
    other_successor = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, oracle)
    signatures = approval([A, B], oracle, successor)
    oracle.rotate(successor.address, signatures)
    # a replay, another successor the committee approved, or a bad one: all "rotated"
    with boa.reverts(ROTATED):
        oracle.rotate(successor.address, signatures)
    with boa.reverts(ROTATED):
        oracle.rotate(other_successor.address, approval(COMMITTEE, oracle, other_successor))
    with boa.reverts(ROTATED):
        oracle.rotate(ZERO_ADDRESS, b"")
    assert oracle.successor() == successor.address and oracle.current() == successor.address


def test_old_committee_cannot_rotate_the_successor(deploy, oracle, rotated):
    third = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, rotated)
    for signatures in (approval(COMMITTEE, rotated, third), approval(COMMITTEE, oracle, third)):
        with boa.reverts(NOT_APPROVED):
            rotated.rotate(third.address, signatures)
    assert rotated.successor() == ZERO_ADDRESS


# ---------------------------------------------------------------- attacks on the hand-over


def test_stranger_successor_gains_nothing(deploy, oracle, attest, is_proven, is_proven_for, stranger, settler):
    """An attacker deploys a successor of the oracle with a committee of its
    own: it cannot install it, its proofs do not count through the oracle,
    and asking the fake successor's isProvenFor directly answers False."""
    fake = deploy(OUTSIDERS, 1, oracle)
    attack = attest(OUTSIDERS, at=fake)
    with boa.env.prank(stranger):
        for signatures in (approval(OUTSIDERS, oracle, fake), approval(OUTSIDERS, fake, fake), b""):
            with boa.reverts(NOT_APPROVED):
                oracle.rotate(fake.address, signatures)
    assert not is_proven(attack)
    assert not is_proven(attest(OUTSIDERS))
    for caller in (stranger, settler):
        assert not is_proven_for(fake, caller, attack)
    # the genuine committee still answers, and the fake one directly only for its own orders
    assert is_proven(attest([A, B]))
    assert is_proven(attack, via=fake)


def test_stranger_successor_after_a_genuine_rotation(deploy, oracle, rotated, attest, is_proven, stranger):
    """Once handed over, another successor of the same oracle (a branch) is
    never asked, even with its own committee's valid proofs."""
    branch = deploy(OUTSIDERS, 1, oracle)
    with boa.env.prank(stranger):
        with boa.reverts(ROTATED):
            oracle.rotate(branch.address, approval(OUTSIDERS, oracle, branch))
    assert not is_proven(attest(OUTSIDERS, at=branch))
    assert is_proven(attest([N0, N1, N2], at=rotated))


def test_forged_successor_needs_the_committee(fake_deployer, oracle, attest, is_proven):
    """A contract that names the oracle as its predecessor and answers True to
    anything cannot be installed without the committee's approval."""
    fake = fake_deployer.deploy(oracle.address)
    assert fake.predecessor() == oracle.address
    for signatures in (approval([A], oracle, fake), approval(OUTSIDERS, oracle, fake), b""):
        with boa.reverts(NOT_APPROVED):
            oracle.rotate(fake.address, signatures)
    assert not is_proven(b"")
    assert not is_proven(attest([A]))


@pytest.mark.parametrize("mode", [1, 2, 3, 4, 5, 6, 7])
def test_broken_successor_answers_false(fake_deployer, oracle, is_proven, attest, mode):
    """Through a successor that reverts (even with True as its revert data),
    answers a word that is not True, answers nothing or too little, or writes
    state (refused under a static call), the old oracle answers False and
    never reverts."""
    fake = fake_deployer.deploy(oracle.address)
    oracle.rotate(fake.address, approval([A, B], oracle, fake))
    assert is_proven(b"")  # mode 0: what the committee installed answers
    fake.set_mode(mode)
    assert not is_proven(b"")
    assert not is_proven(attest([A, B]))
    assert fake.calls() == 0


# ---------------------------------------------------------------- chains


def test_two_hop_chain(deploy, oracle, successor, hand_over, attest, is_proven, is_proven_for, events, stranger):
    third = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, successor)
    assert events(third)[0][1]["epoch"] == 3
    hand_over(oracle, successor, [B, C])
    mid_proof = attest([N0, N1, N2], at=successor)
    assert is_proven(mid_proof)
    hand_over(successor, third, [N0, N1, N3])
    assert events(successor) == [("Rotated", {"successor": third.address, "epoch": 2})]
    assert (oracle.epoch(), successor.epoch(), third.epoch()) == (1, 2, 3)
    assert oracle.current() == successor.current() == third.current() == third.address
    assert oracle.successor() == successor.address and successor.successor() == third.address
    # only the last committee counts, through every hop, in its own domain
    proof = attest(THIRD_COMMITTEE[:2], at=third)
    for via in (oracle, successor, third):
        assert is_proven(proof, via=via)
        assert not is_proven(mid_proof, via=via)
        assert not is_proven(attest([A, B]), via=via)
        assert not is_proven(attest(THIRD_COMMITTEE[:1], at=third), via=via)
        assert not is_proven(attest(THIRD_COMMITTEE, at=successor), via=via)
        assert not is_proven(attest(THIRD_COMMITTEE, at=oracle), via=via)
    # isProvenFor answers each oracle's own predecessor only
    for contract in (successor, third):
        for caller in (stranger, contract.address):
            assert not is_proven_for(contract, caller, proof)
    assert not is_proven_for(third, oracle.address, proof)  # not its predecessor


def test_two_hop_chain_bound_to_the_settler(deploy, oracle, successor, hand_over, attest, is_proven, other_settler):
    third = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, successor)
    hand_over(oracle, successor, [A, B])
    hand_over(successor, third, [N0, N1, N2])
    proof_for_a = attest(THIRD_COMMITTEE, at=third)
    assert is_proven(proof_for_a)
    # the original settler is carried over both hops, not the asking oracle
    assert not is_proven(proof_for_a, caller=other_settler)
    assert not is_proven(attest(THIRD_COMMITTEE, at=third, origin_settler=oracle))
    assert not is_proven(attest(THIRD_COMMITTEE, at=third, origin_settler=successor))
    assert is_proven(attest(THIRD_COMMITTEE, at=third, origin_settler=other_settler), caller=other_settler)


def test_chain_handed_over_from_the_far_end(deploy, oracle, successor, hand_over, attest, is_proven):
    """The successor may hand over before its predecessor does; the chain
    then takes effect, whole, when the first oracle hands over."""
    third = deploy(THIRD_COMMITTEE, THIRD_THRESHOLD, successor)
    hand_over(successor, third, [N0, N1, N2])
    proof = attest(THIRD_COMMITTEE[:2], at=third)
    assert oracle.current() == oracle.address and successor.current() == third.address
    assert not is_proven(proof) and is_proven(attest([A, B]))
    hand_over(oracle, successor, [A, C])
    assert oracle.current() == third.address
    assert is_proven(proof) and not is_proven(attest([A, B]))
    assert not is_proven(attest([N0, N1, N2], at=successor))


# ---------------------------------------------------------------- property

_FUZZ = os.environ.get("CHARTER_FUZZ", "")


@settings(
    max_examples=1_000 if _FUZZ == "long" else 100,
    deadline=None,
    derandomize=not _FUZZ,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_property_proven_iff_enough_members_and_no_outsiders(oracle_deployer, settler, data):
    """For a random committee (1..6 of POOL) and threshold, and a random set
    of signers from POOL in ascending (or shuffled) order, asked directly or
    through a predecessor (a random other committee from POOL) handed over to
    it: isProven is True exactly when the signers are ascending, at least
    `threshold` of them, and all members of the answering committee."""
    committee = data.draw(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=6, unique=True))
    threshold = data.draw(st.integers(1, len(committee)))
    signers = data.draw(st.lists(st.sampled_from(range(len(POOL))), max_size=8, unique=True))
    shuffle = data.draw(st.booleans())
    through = data.draw(st.booleans())
    old_committee = data.draw(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=6, unique=True))
    members = by_address([POOL[i] for i in committee])
    old_members = by_address([POOL[i] for i in old_committee])
    keys = by_address([POOL[i] for i in signers])
    if shuffle:
        keys = data.draw(st.permutations(keys))
    ascending = [int(k.address, 16) for k in keys] == sorted(int(k.address, 16) for k in keys)
    expected = ascending and len(keys) >= threshold and all(k in members for k in keys)
    with boa.env.anchor():
        if through:
            asked = oracle_deployer.deploy(addresses(old_members), len(old_members), ZERO_ADDRESS)
            oracle = oracle_deployer.deploy(addresses(members), threshold, asked.address)
            asked.rotate(oracle.address, make_proof(old_members, asked.hashRotation(oracle.address)))
        else:
            asked = oracle = oracle_deployer.deploy(addresses(members), threshold, ZERO_ADDRESS)
        proof = make_proof(keys, attestation_digest(oracle, origin_settler=settler), ordered=False)
        with boa.env.prank(settler):
            assert asked.isProven(*FILL, proof) is expected
