"""AttesterOracle: m-of-n committee attestations (isProven), their EIP-712
digests, committee rotation by the committee itself, a Hypothesis property
over random committees and signer sets, and the gas of a settler's check.

Digests are computed in conftest.py with eth_account's encode_typed_data
over full typed-data messages and signed with eth_account keys; the
contract's digest views are only compared against them.
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

from ..helpers import SECP256K1_N, join, split
from .conftest import (
    BAD_COMMITTEE,
    BAD_THRESHOLD,
    COMMITTEE,
    DESTINATION_CHAIN_ID,
    DESTINATION_SETTLER,
    MAX_MEMBERS,
    NEXT_COMMITTEE,
    NOT_APPROVED,
    ORACLE_NAME,
    ORACLE_VERSION,
    ORDER_ID,
    OUTSIDERS,
    POOL,
    RECORD_HASH,
    THRESHOLD,
    ZERO_ADDRESS,
    addresses,
    attestation_digest,
    by_address,
    fixed_key,
    make_proof,
    rotation_digest,
    sign,
)

A, B, C = COMMITTEE  # ascending by address
ZERO_SIGNATURE = b"\x00" * 65


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


def test_deployment(oracle, rotated_events):
    assert rotated_events(oracle) == [(1, addresses(COMMITTEE), THRESHOLD)]  # the deployment's events
    assert oracle.members() == addresses(COMMITTEE)
    assert oracle.threshold() == THRESHOLD
    assert oracle.epoch() == 1
    assert all(oracle.isMember(k.address) for k in COMMITTEE)
    assert not any(oracle.isMember(k.address) for k in OUTSIDERS + NEXT_COMMITTEE)
    assert not oracle.isMember(ZERO_ADDRESS)


def test_domain(oracle, chain_id):
    fields, name, version, chain, contract, salt, extensions = oracle.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version, chain, contract) == (ORACLE_NAME, ORACLE_VERSION, chain_id, oracle.address)
    assert salt == b"\x00" * 32 and extensions == []


def test_largest_committee(oracle_deployer, settler):
    keys = by_address([fixed_key(f"big-{i}") for i in range(MAX_MEMBERS)])
    oracle = oracle_deployer.deploy(addresses(keys), MAX_MEMBERS)
    assert oracle.members() == addresses(keys) and oracle.threshold() == MAX_MEMBERS
    proof = make_proof(keys, attestation_digest(oracle, origin_settler=settler))
    assert len(proof) == 1_040
    with boa.env.prank(settler):
        assert oracle.isProven(DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH, proof)
        assert not oracle.isProven(DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH, proof[:-65])


# ---------------------------------------------------------------- digests


def test_attestation_digest_matches(oracle, settler, chain_id):
    assert oracle.attestationDigest(
        chain_id, settler, DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH
    ) == attestation_digest(oracle, origin_settler=settler)


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


def test_hash_rotation_matches(oracle):
    members = addresses(NEXT_COMMITTEE)
    for threshold, epoch in ((3, 1), (1, 2**256 - 1)):
        assert oracle.hashRotation(members, threshold, epoch) == rotation_digest(oracle, members, threshold, epoch)
    assert oracle.hashRotation(members[:1], 1, 1) == rotation_digest(oracle, members[:1], 1, 1)
    assert oracle.hashRotation([], 0, 0) == rotation_digest(oracle, [], 0, 0)


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
    [
        ("order_id", keccak(text="another order")),
        ("record_hash", keccak(text="another record")),
        ("destination_chain_id", DESTINATION_CHAIN_ID + 1),
        ("destination_settler", bytes(12) + keccak(text="another destination")[-20:]),
    ],
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


def test_proof_for_another_oracle_refused(oracle_deployer, is_proven, settler):
    """Same committee, another deployment: the domain's verifyingContract differs."""
    twin = oracle_deployer.deploy(addresses(COMMITTEE), THRESHOLD)
    proof_for_twin = make_proof([A, B], attestation_digest(twin, origin_settler=settler))
    assert not is_proven(proof_for_twin)
    with boa.env.prank(settler):
        assert twin.isProven(DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH, proof_for_twin)


# ---------------------------------------------------------------- rotation


def test_rotate(oracle, attest, is_proven, approve_rotation, rotated_events):
    new = addresses(NEXT_COMMITTEE)
    old_proof = attest([A, B])
    signatures = approve_rotation([A, C], new, 3)
    with boa.env.prank(boa.env.generate_address("anyone")):  # anyone may send it
        oracle.rotate(new, 3, signatures)
    assert rotated_events(oracle) == [(2, new, 3)]
    assert (oracle.members(), oracle.threshold(), oracle.epoch()) == (new, 3, 2)
    assert not any(oracle.isMember(k.address) for k in COMMITTEE)
    assert all(oracle.isMember(a) for a in new)
    # old members' attestations no longer prove anything, old or new
    assert not is_proven(old_proof)
    assert not is_proven(attest(COMMITTEE))
    # the new committee's do, at its own threshold
    assert is_proven(attest(NEXT_COMMITTEE[:3]))
    assert is_proven(attest(NEXT_COMMITTEE))
    assert not is_proven(attest(NEXT_COMMITTEE[1:3]))
    assert not is_proven(attest([NEXT_COMMITTEE[0], NEXT_COMMITTEE[1], A]))


def test_rotate_keeps_continuing_members(oracle, attest, is_proven, approve_rotation):
    """A member of both committees stays a member; one dropped does not."""
    new_keys = by_address([B, *NEXT_COMMITTEE[:2]])
    new = addresses(new_keys)
    oracle.rotate(new, 2, approve_rotation([A, B], new, 2))
    assert oracle.isMember(B.address) and not oracle.isMember(A.address) and not oracle.isMember(C.address)
    assert is_proven(attest([B, NEXT_COMMITTEE[0]]))
    assert not is_proven(attest([A, B]))


def test_rotate_twice_and_back(oracle, attest, is_proven, approve_rotation):
    """Epochs keep counting: the first committee reinstalled works again,
    and members dropped in between are not members of the later epoch."""
    new = addresses(NEXT_COMMITTEE)
    oracle.rotate(new, 2, approve_rotation([A, B], new, 2))
    oracle.rotate(addresses(COMMITTEE), THRESHOLD, approve_rotation(NEXT_COMMITTEE[1:3], addresses(COMMITTEE), 2))
    assert oracle.epoch() == 3 and oracle.members() == addresses(COMMITTEE)
    assert is_proven(attest([A, B]))
    assert not any(oracle.isMember(a) for a in new)


def test_rotation_replay_refused(oracle, approve_rotation):
    new = addresses(NEXT_COMMITTEE)
    signatures = approve_rotation([A, B], new, 2)
    oracle.rotate(new, 2, signatures)
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, signatures)
    # nor after the old committee is back in a later epoch
    oracle.rotate(addresses(COMMITTEE), 2, approve_rotation(NEXT_COMMITTEE[:2], addresses(COMMITTEE), 2))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, signatures)
    assert oracle.epoch() == 3


def test_old_committee_cannot_rotate(oracle, approve_rotation):
    new = addresses(NEXT_COMMITTEE)
    oracle.rotate(new, 2, approve_rotation([A, B], new, 2))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(addresses(OUTSIDERS), 1, approve_rotation([A, B, C], addresses(OUTSIDERS), 1))


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
        pytest.param([A, B], {"epoch": 0}, id="epoch-0"),
        pytest.param([A, B], {"epoch": 2}, id="next-epoch"),
    ],
)
def test_rotation_not_approved(oracle, approve_rotation, rotated_events, signers, kwargs):
    new = addresses(NEXT_COMMITTEE)
    signatures = approve_rotation(signers, new, 2, **kwargs)
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, signatures)
    assert (oracle.members(), oracle.threshold(), oracle.epoch()) == (addresses(COMMITTEE), THRESHOLD, 1)


def test_rotation_signed_for_something_else_refused(oracle, approve_rotation, chain_id):
    new = addresses(NEXT_COMMITTEE)
    cases = [
        (new, 3),  # another threshold
        (new[:3], 2),  # other members
        (new[1:], 2),
    ]
    for members, threshold in cases:
        with boa.reverts(NOT_APPROVED):
            oracle.rotate(new, 2, approve_rotation([A, B], members, threshold))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, make_proof([A, B], rotation_digest(oracle, new, 2, 1, chain_id=chain_id + 1)))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, make_proof([A, B], attestation_digest(oracle, origin_settler=new[0])))
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, approve_rotation([A, B], new, 2) + ZERO_SIGNATURE)
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, approve_rotation([A, B], new, 2)[:-1])


def test_rotation_high_s_refused(oracle, approve_rotation):
    new = addresses(NEXT_COMMITTEE)
    signatures = approve_rotation([A, B], new, 2)
    with boa.reverts(NOT_APPROVED):
        oracle.rotate(new, 2, high_s(signatures[:65]) + signatures[65:])
    oracle.rotate(new, 2, signatures)


# ---------------------------------------------------------------- bad committees

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
        oracle_deployer.deploy(members, threshold)


@pytest.mark.parametrize("members, threshold, reason", BAD_COMMITTEES)
def test_bad_committee_refused_in_rotation(oracle, approve_rotation, members, threshold, reason):
    """Refused although the current committee approved it."""
    signatures = approve_rotation([A, B], members, threshold)
    if reason:
        with boa.reverts(reason):
            oracle.rotate(members, threshold, signatures)
    else:
        with boa.reverts(compiler="DynArray[address, 16] bounds check"):
            oracle.rotate(members, threshold, signatures)
    assert (oracle.members(), oracle.threshold(), oracle.epoch()) == (addresses(COMMITTEE), THRESHOLD, 1)


def test_threshold_bounds_accepted(oracle_deployer):
    for n, threshold in ((1, 1), (3, 1), (3, 3), (MAX_MEMBERS, 1)):
        members = _SORTED[:n] if n <= 4 else addresses(by_address([fixed_key(f"crowd-{i}") for i in range(n)]))
        oracle = oracle_deployer.deploy(members, threshold)
        assert (oracle.members(), oracle.threshold()) == (members, threshold)


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
    of signers from POOL in ascending (or shuffled) order: isProven is True
    exactly when the signers are ascending, at least `threshold` of them,
    and all members."""
    committee = data.draw(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=6, unique=True))
    threshold = data.draw(st.integers(1, len(committee)))
    signers = data.draw(st.lists(st.sampled_from(range(len(POOL))), max_size=8, unique=True))
    shuffle = data.draw(st.booleans())
    members = by_address([POOL[i] for i in committee])
    keys = by_address([POOL[i] for i in signers])
    if shuffle:
        keys = data.draw(st.permutations(keys))
    ascending = [int(k.address, 16) for k in keys] == sorted(int(k.address, 16) for k in keys)
    expected = ascending and len(keys) >= threshold and all(k in members for k in keys)
    with boa.env.anchor():
        oracle = oracle_deployer.deploy(addresses(members), threshold)
        proof = make_proof(keys, attestation_digest(oracle, origin_settler=settler), ordered=False)
        with boa.env.prank(settler):
            assert oracle.isProven(DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH, proof) is expected
