"""Fixtures for the AttesterOracle unit tests (titanoboa, in-process).

Everything that defines a proof is written here from the oracle's
specification, independently of the contract: the EIP-712 typed data of
attestations and rotations (full messages, hashed by eth_account's
`encode_typed_data`), signing with eth_account keys, the proof layout
(65-byte r ‖ s ‖ v signatures concatenated in ascending signer order) and
the CommitteeRotated event layout. The contract's own `attestationDigest` and
`hashRotation` are only ever compared against these.

The oracle is compiled once per session and deployed per test (2-of-3);
titanoboa's pytest plugin runs every test inside `boa.env.anchor()`, so
rotations, pranks and chain-id patches vanish after each test.
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

ORACLE_NAME = "Charter AttesterOracle"
ORACLE_VERSION = "1"
MAX_MEMBERS = 16
SIGNATURE_LENGTH = 65
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

# What the oracle refuses with (the SDK maps these).
BAD_COMMITTEE = "oracle: bad committee"
BAD_THRESHOLD = "oracle: bad threshold"
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
ROTATION_TYPE = [
    {"name": "members", "type": "address[]"},
    {"name": "threshold", "type": "uint256"},
    {"name": "epoch", "type": "uint256"},
]

EVENT_LAYOUTS = {
    "CommitteeRotated": [
        ("epoch", "uint256", True),
        ("members", "address[]", False),
        ("threshold", "uint256", False),
    ],
}

# A fill to attest: defaults for every attestation field but the origin.
DESTINATION_CHAIN_ID = 8_453
DESTINATION_SETTLER = bytes(12) + keccak(text="charter-unit-oracle-destination-settler")[-20:]
ORDER_ID = keccak(text="charter-unit-oracle-order-1")
RECORD_HASH = keccak(text="charter-unit-oracle-record-1")


# ---------------------------------------------------------------- keys


def fixed_key(label: str) -> Any:
    """A reproducible secp256k1 account from a label."""
    return Account.from_key(keccak(text=f"charter-unit-oracle-{label}"))


def by_address(keys: Sequence[Any]) -> list[Any]:
    """Keys in ascending order of their addresses (as uint160)."""
    return sorted(keys, key=lambda k: int(k.address, 16))


def addresses(keys: Sequence[Any]) -> list[str]:
    return [k.address for k in keys]


# The first committee (2-of-3), a second one for rotations, and outsiders.
COMMITTEE = by_address([fixed_key(f"member-{i}") for i in range(3)])
NEXT_COMMITTEE = by_address([fixed_key(f"next-member-{i}") for i in range(4)])
OUTSIDERS = by_address([fixed_key(f"outsider-{i}") for i in range(3)])
THRESHOLD = 2
# A pool for the property test: the committee is drawn from it, the rest are outsiders.
POOL = by_address([fixed_key(f"pool-{i}") for i in range(10)])


# ---------------------------------------------------------------- EIP-712


def domain(chain_id: int, oracle) -> dict:
    return {
        "name": ORACLE_NAME,
        "version": ORACLE_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(str(getattr(oracle, "address", oracle))),
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
    """The digest members sign. `chain_id` is the domain's chain (default:
    the current one) and `origin_chain_id` defaults to it, as the oracle
    builds it on the origin chain."""
    chain_id = boa.env.evm.patch.chain_id if chain_id is None else chain_id
    return typed_digest(
        {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Attestation": ATTESTATION_TYPE},
            "primaryType": "Attestation",
            "domain": domain(chain_id, oracle),
            "message": {
                "originChainId": chain_id if origin_chain_id is None else origin_chain_id,
                "originSettler": to_checksum_address(str(origin_settler)),
                "destinationChainId": destination_chain_id,
                "destinationSettler": destination_settler,
                "orderId": order_id,
                "recordHash": record_hash,
            },
        }
    )


def rotation_digest(oracle, members: Sequence[str], threshold: int, epoch: int, chain_id: int | None = None) -> bytes:
    return typed_digest(
        {
            "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, "Rotation": ROTATION_TYPE},
            "primaryType": "Rotation",
            "domain": domain(boa.env.evm.patch.chain_id if chain_id is None else chain_id, oracle),
            "message": {
                "members": [to_checksum_address(str(m)) for m in members],
                "threshold": threshold,
                "epoch": epoch,
            },
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


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def oracle_deployer():
    return boa.load_partial(str(ORACLE_SOURCE))


@pytest.fixture
def oracle(oracle_deployer):
    """A fresh 2-of-3 oracle (epoch 1)."""
    return oracle_deployer.deploy(addresses(COMMITTEE), THRESHOLD)


@pytest.fixture
def settler():
    """The origin settler that asks the oracle (settler A)."""
    return boa.env.generate_address("settler-a")


@pytest.fixture
def other_settler():
    """Another origin settler (settler B)."""
    return boa.env.generate_address("settler-b")


@pytest.fixture
def chain_id():
    return boa.env.evm.patch.chain_id


@pytest.fixture
def attest(oracle, settler) -> Callable[..., bytes]:
    """`attest(keys, **fields)`: a proof by `keys` of the default fill for
    `settler` on this chain; keyword arguments as `attestation_digest`."""

    def _attest(keys: Sequence[Any], *, ordered: bool = True, **fields) -> bytes:
        fields.setdefault("origin_settler", settler)
        return make_proof(keys, attestation_digest(oracle, **fields), ordered=ordered)

    return _attest


@pytest.fixture
def is_proven(oracle, settler) -> Callable[..., bool]:
    """`is_proven(proof, caller=settler, **fill)`: the oracle's answer when
    `caller` asks about the (default) fill."""

    def _is_proven(
        proof: bytes,
        *,
        caller=None,
        destination_chain_id: int = DESTINATION_CHAIN_ID,
        destination_settler: bytes = DESTINATION_SETTLER,
        order_id: bytes = ORDER_ID,
        record_hash: bytes = RECORD_HASH,
    ) -> bool:
        with boa.env.prank(settler if caller is None else caller):
            return oracle.isProven(destination_chain_id, destination_settler, order_id, record_hash, proof)

    return _is_proven


@pytest.fixture
def approve_rotation(oracle) -> Callable[..., bytes]:
    """`approve_rotation(keys, members, threshold, epoch=current)`: the
    rotation signatures of `keys`, ascending by signer."""

    def _approve(keys: Sequence[Any], members: Sequence[str], threshold: int, epoch: int | None = None, **kw) -> bytes:
        epoch = oracle.epoch() if epoch is None else epoch
        return make_proof(keys, rotation_digest(oracle, members, threshold, epoch), **kw)

    return _approve


@pytest.fixture
def rotated_events() -> Callable[..., list[tuple[int, list[str], int]]]:
    """The CommitteeRotated events of a contract's last call (or deployment)
    as (epoch, members, threshold)."""

    def _events(contract) -> list[tuple[int, list[str], int]]:
        return [
            (e.args["epoch"], [to_checksum_address(m) for m in e.args["members"]], e.args["threshold"])
            for e in decode_events(contract, layouts=EVENT_LAYOUTS)
        ]

    return _events
