"""Fixtures for the AttesterOracle unit tests (titanoboa, in-process).

Everything that defines a proof is written here from the oracle's
specification, independently of the contract: the EIP-712 typed data of
attestations and rotations (full messages, hashed by eth_account's
`encode_typed_data`), signing with eth_account keys, the proof layout
(65-byte r ‖ s ‖ v signatures concatenated in ascending signer order) and
the CommitteeInstalled / Rotated event layouts. The contract's own
`attestationDigest` and `hashRotation` are only ever compared against these.

The committee is immutable: a rotation is a one-time hand-over from an
oracle to a successor deployed with `predecessor` = that oracle, approved by
`threshold` of the old members over `Rotation(address successor)` in the old
oracle's domain. `oracle` is a first 2-of-3 committee (epoch 1) and
`successor` a 3-of-4 committee deployed to succeed it (not yet handed over).

The oracle is compiled once per session and deployed per test; titanoboa's
pytest plugin runs every test inside `boa.env.anchor()`, so rotations,
pranks and chain-id patches vanish after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address

from ..helpers import decode_events

ROOT = Path(__file__).resolve().parents[3]
ORACLE_SOURCE = ROOT / "contracts" / "AttesterOracle.vy"
TOKEN_SOURCE = ROOT / "tests" / "mocks" / "Token.vy"

ORACLE_NAME = "Charter AttesterOracle"
ORACLE_VERSION = "1"
MAX_MEMBERS = 16
SIGNATURE_LENGTH = 65
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# What the oracle refuses with (the SDK maps these).
BAD_COMMITTEE = "oracle: bad committee"
BAD_THRESHOLD = "oracle: bad threshold"
BAD_PREDECESSOR = "oracle: bad predecessor"
ROTATED = "oracle: rotated"
BAD_SUCCESSOR = "oracle: bad successor"
NOT_APPROVED = "oracle: not approved"

EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
ATTESTATION_TYPE = [
    {"name": "originChainId", "type": "uint256"},
    {"name": "originSettler", "type": "address"},
    {"name": "destinationChainId", "type": "uint256"},
    {"name": "destinationSettler", "type": "bytes32"},
    {"name": "orderId", "type": "bytes32"},
    {"name": "recordHash", "type": "bytes32"},
]
ROTATION_TYPE = [{"name": "successor", "type": "address"}]

EVENT_LAYOUTS = {
    "CommitteeInstalled": [
        ("epoch", "uint256", True),
        ("members", "address[]", False),
        ("threshold", "uint256", False),
        ("predecessor", "address", False),
    ],
    "Rotated": [
        ("successor", "address", True),
        ("epoch", "uint256", False),
    ],
}

# A fill to attest: defaults for every attestation field but the origin.
DESTINATION_CHAIN_ID = 8_453
DESTINATION_SETTLER = bytes(12) + keccak(text="charter-unit-oracle-destination-settler")[-20:]
ORDER_ID = keccak(text="charter-unit-oracle-order-1")
RECORD_HASH = keccak(text="charter-unit-oracle-record-1")
FILL = (DESTINATION_CHAIN_ID, DESTINATION_SETTLER, ORDER_ID, RECORD_HASH)


# ---------------------------------------------------------------- keys


def fixed_key(label: str) -> Any:
    """A reproducible secp256k1 account from a label."""
    return Account.from_key(keccak(text=f"charter-unit-oracle-{label}"))


def by_address(keys: Sequence[Any]) -> list[Any]:
    """Keys in ascending order of their addresses (as uint160)."""
    return sorted(keys, key=lambda k: int(k.address, 16))


def addresses(keys: Sequence[Any]) -> list[str]:
    return [k.address for k in keys]


# The first committee (2-of-3), the next (3-of-4), a third (2-of-3) for
# two-hop chains, and outsiders.
COMMITTEE = by_address([fixed_key(f"member-{i}") for i in range(3)])
THRESHOLD = 2
NEXT_COMMITTEE = by_address([fixed_key(f"next-member-{i}") for i in range(4)])
NEXT_THRESHOLD = 3
THIRD_COMMITTEE = by_address([fixed_key(f"third-member-{i}") for i in range(3)])
THIRD_THRESHOLD = 2
OUTSIDERS = by_address([fixed_key(f"outsider-{i}") for i in range(3)])
# A pool for the property test: the committee is drawn from it, the rest are outsiders.
POOL = by_address([fixed_key(f"pool-{i}") for i in range(10)])


# ---------------------------------------------------------------- EIP-712


def address_of(contract_or_address) -> str:
    return to_checksum_address(str(getattr(contract_or_address, "address", contract_or_address)))


def domain(chain_id: int, oracle) -> dict:
    return {
        "name": ORACLE_NAME,
        "version": ORACLE_VERSION,
        "chainId": chain_id,
        "verifyingContract": address_of(oracle),
    }


def typed_digest(typed: dict) -> bytes:
    signable = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def attestation_digest(
    oracle,
    *,
    origin_settler,
    origin_chain_id: int | None = None,
    chain_id: int | None = None,
    destination_chain_id: int = DESTINATION_CHAIN_ID,
    destination_settler: bytes = DESTINATION_SETTLER,
    order_id: bytes = ORDER_ID,
    record_hash: bytes = RECORD_HASH,
) -> bytes:
    """The digest members sign, in `oracle`'s domain. `chain_id` is the
    domain's chain (default: the current one) and `origin_chain_id`
    defaults to it, as the oracle builds it on the origin chain."""
    chain_id = boa.env.evm.patch.chain_id if chain_id is None else chain_id
    return typed_digest(
        {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Attestation": ATTESTATION_TYPE},
            "primaryType": "Attestation",
            "domain": domain(chain_id, oracle),
            "message": {
                "originChainId": chain_id if origin_chain_id is None else origin_chain_id,
                "originSettler": address_of(origin_settler),
                "destinationChainId": destination_chain_id,
                "destinationSettler": destination_settler,
                "orderId": order_id,
                "recordHash": record_hash,
            },
        }
    )


def rotation_digest(oracle, successor, chain_id: int | None = None) -> bytes:
    """The digest `oracle`'s members sign to hand it over to `successor`."""
    return typed_digest(
        {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Rotation": ROTATION_TYPE},
            "primaryType": "Rotation",
            "domain": domain(boa.env.evm.patch.chain_id if chain_id is None else chain_id, oracle),
            "message": {"successor": address_of(successor)},
        }
    )


# ---------------------------------------------------------------- signatures


def sign(key, digest: bytes) -> bytes:
    """A 65-byte (r ‖ s ‖ v) signature of a raw digest: low s, v in {27, 28}."""
    signature = bytes(Account.unsafe_sign_hash(bytes(digest), key.key).signature)
    assert len(signature) == SIGNATURE_LENGTH and signature[64] in (27, 28)
    return signature


def make_proof(keys: Sequence[Any], digest: bytes, *, ordered: bool = True) -> bytes:
    """The signatures of `keys`, concatenated in ascending signer order (or
    in the order given when `ordered` is False)."""
    return b"".join(sign(k, digest) for k in (by_address(keys) if ordered else keys))


def approval(keys: Sequence[Any], oracle, successor, **kw) -> bytes:
    """`keys`' rotation signatures handing `oracle` over to `successor`."""
    chain_id = kw.pop("chain_id", None)
    return make_proof(keys, rotation_digest(oracle, successor, chain_id), **kw)


# ---------------------------------------------------------------- mocks

# A successor that is not an AttesterOracle: it names `predecessor` and
# answers `isProvenFor` according to `mode` (0: True for anything, 1:
# reverts, 2: a word that is not a bool, 3: False, 4: no return data, 5:
# True after writing storage, which fails under STATICCALL, 6: the single
# byte 0x01, too short for a bool, 7: reverts with the word True).
FAKE_SUCCESSOR = """
# pragma version 0.4.3
predecessor: public(address)
mode: public(uint256)
calls: public(uint256)

@deploy
def __init__(predecessor: address):
    self.predecessor = predecessor

@external
def set_mode(mode: uint256):
    self.mode = mode

@external
@view
def epoch() -> uint256:
    return 2

@external
@view
def current() -> address:
    return self

@external
@raw_return
def isProvenFor(
    originSettler: address,
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> Bytes[32]:
    if self.mode == 1:
        raise "fake: no"
    if self.mode == 2:
        return abi_encode(convert(2, uint256))
    if self.mode == 3:
        return abi_encode(False)
    if self.mode == 4:
        return b""
    if self.mode == 5:
        self.calls += 1
    if self.mode == 6:
        return b"\x01"
    if self.mode == 7:
        raw_revert(abi_encode(True))
    return abi_encode(True)
"""

# A contract that asks an oracle's `isProvenFor` (a stranger with code), and
# has an `epoch` so that an oracle can name it as its predecessor.
RELAY = """
# pragma version 0.4.3
interface IOracle:
    def isProvenFor(
        originSettler: address,
        destinationChainId: uint256,
        destinationSettler: bytes32,
        orderId: bytes32,
        recordHash: bytes32,
        proof: Bytes[1040],
    ) -> bool: view

@external
@view
def epoch() -> uint256:
    return 41

@external
@view
def ask(
    oracle: address,
    originSettler: address,
    destinationChainId: uint256,
    destinationSettler: bytes32,
    orderId: bytes32,
    recordHash: bytes32,
    proof: Bytes[1040],
) -> bool:
    return staticcall IOracle(oracle).isProvenFor(
        originSettler, destinationChainId, destinationSettler, orderId, recordHash, proof
    )
"""


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def oracle_deployer():
    return boa.load_partial(str(ORACLE_SOURCE))


@pytest.fixture(scope="session")
def fake_deployer():
    return boa.loads_partial(FAKE_SUCCESSOR, name="FakeSuccessor")


@pytest.fixture(scope="session")
def relay_deployer():
    return boa.loads_partial(RELAY, name="Relay")


@pytest.fixture
def deploy(oracle_deployer) -> Callable[..., Any]:
    """`deploy(keys, threshold, predecessor=zero)`: a new AttesterOracle."""

    def _deploy(keys: Sequence[Any], threshold: int, predecessor=ZERO_ADDRESS):
        return oracle_deployer.deploy(addresses(keys), threshold, address_of(predecessor))

    return _deploy


@pytest.fixture
def oracle(deploy):
    """A fresh first 2-of-3 oracle (epoch 1)."""
    return deploy(COMMITTEE, THRESHOLD)


@pytest.fixture
def successor(deploy, oracle):
    """A 3-of-4 oracle deployed to succeed `oracle` (epoch 2), not yet handed over."""
    return deploy(NEXT_COMMITTEE, NEXT_THRESHOLD, oracle)


@pytest.fixture
def hand_over() -> Callable[..., None]:
    """`hand_over(old, new, keys)`: `keys` (members of `old`) sign and a
    stranger sends `old.rotate(new, ...)`."""

    def _hand_over(old, new, keys: Sequence[Any]) -> None:
        with boa.env.prank(boa.env.generate_address("rotation-sender")):
            old.rotate(address_of(new), approval(keys, old, new))

    return _hand_over


@pytest.fixture
def rotated(oracle, successor, hand_over):
    """`oracle` handed over to `successor` by 2 of its 3 members; the successor."""
    hand_over(oracle, successor, COMMITTEE[:THRESHOLD])
    return successor


@pytest.fixture
def settler():
    """The origin settler that asks the oracle (settler A)."""
    return boa.env.generate_address("settler-a")


@pytest.fixture
def other_settler():
    """Another origin settler (settler B)."""
    return boa.env.generate_address("settler-b")


@pytest.fixture
def stranger():
    return boa.env.generate_address("stranger")


@pytest.fixture
def chain_id():
    return boa.env.evm.patch.chain_id


@pytest.fixture
def attest(oracle, settler) -> Callable[..., bytes]:
    """`attest(keys, at=oracle, **fields)`: a proof by `keys` of the default
    fill for `settler` on this chain, signed in `at`'s domain; keyword
    arguments as `attestation_digest`."""

    def _attest(keys: Sequence[Any], *, at=None, ordered: bool = True, **fields) -> bytes:
        fields.setdefault("origin_settler", settler)
        return make_proof(keys, attestation_digest(oracle if at is None else at, **fields), ordered=ordered)

    return _attest


@pytest.fixture
def is_proven(oracle, settler) -> Callable[..., bool]:
    """`is_proven(proof, caller=settler, via=oracle, **fill)`: what `via`
    answers when `caller` asks about the (default) fill."""

    def _is_proven(
        proof: bytes,
        *,
        caller=None,
        via=None,
        destination_chain_id: int = DESTINATION_CHAIN_ID,
        destination_settler: bytes = DESTINATION_SETTLER,
        order_id: bytes = ORDER_ID,
        record_hash: bytes = RECORD_HASH,
    ) -> bool:
        target = oracle if via is None else via
        with boa.env.prank(settler if caller is None else address_of(caller)):
            return target.isProven(destination_chain_id, destination_settler, order_id, record_hash, proof)

    return _is_proven


@pytest.fixture
def is_proven_for(settler) -> Callable[..., bool]:
    """`is_proven_for(oracle, caller, proof, origin_settler=settler)`: what
    `oracle.isProvenFor` answers `caller` about the default fill."""

    def _is_proven_for(oracle, caller, proof: bytes, origin_settler=None) -> bool:
        with boa.env.prank(address_of(caller)):
            return oracle.isProvenFor(address_of(origin_settler or settler), *FILL, proof)

    return _is_proven_for


@pytest.fixture
def events() -> Callable[..., list[tuple[str, dict]]]:
    """The CommitteeInstalled / Rotated events `contract` logged in its last
    call (or deployment), as (name, args) with addresses checksummed."""

    def _events(contract) -> list[tuple[str, dict]]:
        out = []
        for e in decode_events(contract, layouts=EVENT_LAYOUTS):
            args = dict(e.args)
            if "members" in args:
                args["members"] = [to_checksum_address(m) for m in args["members"]]
            out.append((e.name, args))
        return out

    return _events
