"""AttesterOracle.represent: an agent's state attested by the committee and
mirrored by the registry under the oracle's represented id; refusals
(outsiders, too few, another field, another chain's domain), replays, the
hand-over to a successor committee, and a session on the represented agent
that stops when its home chain pauses it."""

from __future__ import annotations

import boa
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from ..helpers import REGISTRY_SOURCE, STATUS_ACTIVE, STATUS_PAUSED
from .conftest import (
    COMMITTEE,
    EIP712_DOMAIN_TYPE,
    NEXT_COMMITTEE,
    OUTSIDERS,
    THRESHOLD,
    address_of,
    domain,
    make_proof,
    typed_digest,
)

HOME = 10
HOME_ID = 3
AGENT_STATE_TYPE = [
    {"name": "homeChainId", "type": "uint256"},
    {"name": "registry", "type": "address"},
    {"name": "agentId", "type": "uint256"},
    {"name": "owner", "type": "address"},
    {"name": "wallet", "type": "address"},
    {"name": "status", "type": "uint8"},
    {"name": "generation", "type": "uint256"},
    {"name": "sequence", "type": "uint256"},
]
FIELDS = [f["name"] for f in AGENT_STATE_TYPE]


@pytest.fixture
def registry():
    return boa.load_partial(str(REGISTRY_SOURCE)).deploy()


@pytest.fixture
def owner():
    return boa.env.generate_address("agent-owner")


@pytest.fixture
def make_state(registry, owner):
    def _state(**changes):
        state = {
            "homeChainId": HOME,
            "registry": registry.address,
            "agentId": HOME_ID,
            "owner": owner,
            "wallet": owner,
            "status": STATUS_ACTIVE,
            "generation": 1,
            "sequence": 0,
        }
        state.update(changes)
        return state

    return _state


def digest(oracle, state, chain_id=None):
    return typed_digest(
        {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "AgentState": AGENT_STATE_TYPE},
            "primaryType": "AgentState",
            "domain": domain(boa.env.evm.patch.chain_id if chain_id is None else chain_id, oracle),
            "message": {k: (address_of(v) if k in ("registry", "owner", "wallet") else v) for k, v in state.items()},
        }
    )


def as_tuple(state):
    return tuple(state[f] for f in FIELDS)


def deliver(oracle, state, keys=COMMITTEE[:THRESHOLD], signed_state=None, answering=None):
    proof = make_proof(keys, digest(answering or oracle, signed_state or state))
    with boa.env.prank(boa.env.generate_address("anyone")):
        return oracle.represent(as_tuple(state), proof)


def represented_id(oracle):
    words = abi_encode(["address", "uint256", "uint256"], [address_of(oracle), HOME, HOME_ID])
    return int.from_bytes(keccak(words), "big")


def test_digest_matches(oracle, make_state):
    state = make_state(sequence=4)
    assert oracle.agentStateDigest(as_tuple(state)) == digest(oracle, state)


def test_attested_state_is_mirrored(oracle, registry, make_state, owner):
    agent_id = deliver(oracle, make_state(sequence=2))
    assert agent_id == represented_id(oracle) == registry.representedId(oracle.address, HOME, HOME_ID)
    assert registry.ownerOf(agent_id) == owner
    assert registry.isActive(agent_id)
    assert tuple(registry.homeOf(agent_id)) == (HOME, HOME_ID, oracle.address)
    deliver(oracle, make_state(status=STATUS_PAUSED, sequence=3))
    assert not registry.isActive(agent_id)
    # The resume that came first, delivered late (a replay of sequence 2): no effect.
    deliver(oracle, make_state(sequence=2))
    assert registry.statusOf(agent_id) == STATUS_PAUSED


@pytest.mark.parametrize(
    "keys",
    [COMMITTEE[:1], OUTSIDERS[:2], [COMMITTEE[0], OUTSIDERS[0]], NEXT_COMMITTEE[:3]],
    ids=["too-few", "outsiders", "one-outsider", "another-committee"],
)
def test_refused_without_the_committee(oracle, registry, make_state, keys):
    with boa.reverts("oracle: not attested"):
        deliver(oracle, make_state(), keys=keys)


@pytest.mark.parametrize("field", ["homeChainId", "agentId", "owner", "wallet", "status", "generation", "sequence"])
def test_refused_for_any_other_state(oracle, make_state, field):
    signed = make_state()
    other = dict(signed)
    other[field] = boa.env.generate_address("other") if field in ("owner", "wallet") else signed[field] + 1
    with boa.reverts("oracle: not attested"):
        deliver(oracle, other, signed_state=signed)


def test_refused_when_signed_for_another_chain(oracle, make_state):
    state = make_state()
    proof = make_proof(COMMITTEE[:THRESHOLD], digest(oracle, state, chain_id=boa.env.evm.patch.chain_id + 1))
    with boa.reverts("oracle: not attested"):
        oracle.represent(as_tuple(state), proof)


def test_refused_when_signed_for_another_oracle(oracle, deploy, make_state):
    other = deploy(COMMITTEE, THRESHOLD)
    with boa.reverts("oracle: not attested"):
        deliver(oracle, make_state(), answering=other)


def test_zero_and_empty_proofs_refused(oracle, make_state):
    for proof in (b"", b"\x00" * 65 * THRESHOLD):
        with boa.reverts("oracle: not attested"):
            oracle.represent(as_tuple(make_state()), proof)


def test_after_rotation_the_successor_attests_and_the_id_stays(oracle, rotated, registry, make_state):
    with boa.reverts("oracle: not attested"):
        deliver(oracle, make_state())  # the old committee's signatures no longer count
    agent_id = deliver(oracle, make_state(), keys=NEXT_COMMITTEE[:3], answering=rotated)
    assert agent_id == represented_id(oracle)
    # The successor answers its predecessor only.
    assert rotated.isAttestedFor(b"\x00" * 32, b"") is False
