"""Fixtures for the ERC-8004 Reputation and Validation registry unit tests
(titanoboa, in-process).

Both registries are deployed on the real AgentRegistry (the `registry`
fixture of tests/unit/conftest.py, with its `owner`, `operator`, `approved`,
`stranger` and `agent`). Everything that defines the expected behaviour is
written here from the ERC-8004 reference deployment (erc-8004-contracts
2.0.0), independently of the contracts: the event layouts, the reasons, and
`reference_summary`, the reference's getSummary arithmetic in Python.

Bounds beyond what a unit test can reach by transactions in reasonable time
(more than 1,024 clients, 2,048 feedback entries) are set up by writing the
registry's counters in storage (`poke`), at slots computed from the
compiled contract's own storage layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import boa
import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from ..helpers import decode_events

ROOT = Path(__file__).resolve().parents[3]
REPUTATION_SOURCE = ROOT / "contracts" / "ReputationRegistry.vy"
VALIDATION_SOURCE = ROOT / "contracts" / "ValidationRegistry.vy"

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
ZERO_HASH = b"\x00" * 32

# Documented bounds (contracts' NatSpec; docs/trust.md).
TAG_MAX = 64
TAG_INPUT_MAX = 256  # the tag arguments' ABI bound
URI_MAX = 4_096
LIST_MAX = 1_024
READ_MAX = 2_048
FEEDBACK_MAX = 1_024
VALIDATORS_MAX = 64
VALIDATION_READ_MAX = 2_048
MAX_ABS_VALUE = 10**38
INT128_MIN, INT128_MAX = -(2**127), 2**127 - 1

# ERC-8004 event layouts (reference 2.0.0): (name, type, indexed).
REPUTATION_EVENTS: dict[str, list[tuple[str, str, bool]]] = {
    "NewFeedback": [
        ("agentId", "uint256", True),
        ("clientAddress", "address", True),
        ("feedbackIndex", "uint64", False),
        ("value", "int128", False),
        ("valueDecimals", "uint8", False),
        ("indexedTag1", "string", True),
        ("tag1", "string", False),
        ("tag2", "string", False),
        ("endpoint", "string", False),
        ("feedbackURI", "string", False),
        ("feedbackHash", "bytes32", False),
    ],
    "FeedbackRevoked": [
        ("agentId", "uint256", True),
        ("clientAddress", "address", True),
        ("feedbackIndex", "uint64", True),
    ],
    "ResponseAppended": [
        ("agentId", "uint256", True),
        ("clientAddress", "address", True),
        ("feedbackIndex", "uint64", False),
        ("responder", "address", True),
        ("responseURI", "string", False),
        ("responseHash", "bytes32", False),
    ],
}
VALIDATION_EVENTS: dict[str, list[tuple[str, str, bool]]] = {
    "ValidationRequest": [
        ("validatorAddress", "address", True),
        ("agentId", "uint256", True),
        ("requestURI", "string", False),
        ("requestHash", "bytes32", True),
    ],
    "ValidationResponse": [
        ("validatorAddress", "address", True),
        ("agentId", "uint256", True),
        ("requestHash", "bytes32", True),
        ("response", "uint8", False),
        ("responseURI", "string", False),
        ("responseHash", "bytes32", False),
        ("tag", "string", False),
    ],
}


# ---------------------------------------------------------------- the reference's arithmetic


def _quot(a: int, b: int) -> int:
    """Signed division rounding toward zero (Solidity's and the EVM's SDIV)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def reference_summary(entries: Sequence[tuple[int, int]]) -> tuple[int, int, int] | None:
    """getSummary of the reference over the counted (value, decimals) entries:
    (count, summaryValue, summaryValueDecimals), or None where the reference's
    int128 cast would cut the average (the Charter registry refuses it)."""
    if not entries:
        return (0, 0, 0)
    total = sum(value * 10 ** (18 - decimals) for value, decimals in entries)
    frequency = [0] * 19
    for _, decimals in entries:
        frequency[decimals] += 1
    mode = max(range(19), key=lambda d: (frequency[d], -d))
    average = _quot(_quot(total, len(entries)), 10 ** (18 - mode))
    if not INT128_MIN <= average <= INT128_MAX:
        return None
    return (len(entries), average, mode)


# ---------------------------------------------------------------- contracts


@pytest.fixture(scope="session")
def reputation_deployer():
    return boa.load_partial(str(REPUTATION_SOURCE))


@pytest.fixture(scope="session")
def validation_deployer():
    return boa.load_partial(str(VALIDATION_SOURCE))


@pytest.fixture
def reputation(reputation_deployer, registry):
    return reputation_deployer.deploy(registry.address, ZERO_ADDRESS)


@pytest.fixture
def validation(validation_deployer, registry):
    return validation_deployer.deploy(registry.address)


# ---------------------------------------------------------------- accounts


@pytest.fixture
def clients() -> list[str]:
    """Five reviewers that hold no agent."""
    return [boa.env.generate_address(f"client-{i}") for i in range(5)]


@pytest.fixture
def client(clients) -> str:
    return clients[0]


@pytest.fixture
def validator() -> str:
    return boa.env.generate_address("validator")


@pytest.fixture
def validators() -> list[str]:
    return [boa.env.generate_address(f"validator-{i}") for i in range(3)]


# ---------------------------------------------------------------- helpers as fixtures


@pytest.fixture
def reputation_events(reputation) -> Callable[[], list[Any]]:
    """The reputation registry's events of the last call made to it."""
    return lambda: decode_events(reputation, layouts=REPUTATION_EVENTS)


@pytest.fixture
def validation_events(validation) -> Callable[[], list[Any]]:
    return lambda: decode_events(validation, layouts=VALIDATION_EVENTS)


@pytest.fixture
def give(reputation, agent) -> Callable[..., int]:
    """`give(client, value, decimals=0, tag1="", tag2="", agent_id=agent, ...)`:
    give feedback as `client`; returns the index it got."""

    def _give(
        client: str,
        value: int,
        decimals: int = 0,
        tag1: str = "",
        tag2: str = "",
        agent_id: int | None = None,
        endpoint: str = "",
        uri: str = "",
        digest: bytes = ZERO_HASH,
    ) -> int:
        target = agent if agent_id is None else agent_id
        with boa.env.prank(client):
            reputation.giveFeedback(target, value, decimals, tag1, tag2, endpoint, uri, digest)
        return int(reputation.getLastIndex(target, client))

    return _give


@pytest.fixture
def respond(reputation, agent) -> Callable[..., None]:
    """`respond(responder, client, index, uri="ipfs://response")`."""

    def _respond(responder: str, client: str, index: int, uri: str = "ipfs://response", agent_id: int | None = None):
        with boa.env.prank(responder):
            reputation.appendResponse(agent if agent_id is None else agent_id, client, index, uri, ZERO_HASH)

    return _respond


@pytest.fixture
def request_validation(validation, agent, owner) -> Callable[..., bytes]:
    """`request_validation(validator, name, caller=owner, agent_id=agent)`:
    returns the request hash keccak256(name)."""

    def _request(validator: str, name: str, caller: str | None = None, agent_id: int | None = None) -> bytes:
        request_hash = keccak(text=name)
        with boa.env.prank(owner if caller is None else caller):
            validation.validationRequest(
                validator, agent if agent_id is None else agent_id, f"ipfs://{name}", request_hash
            )
        return request_hash

    return _request


@pytest.fixture
def answer(validation) -> Callable[..., None]:
    """`answer(validator, request_hash, response, tag="")`."""

    def _answer(validator: str, request_hash: bytes, response: int, tag: str = "", digest: bytes = ZERO_HASH):
        with boa.env.prank(validator):
            validation.validationResponse(request_hash, response, "ipfs://evidence", digest, tag)

    return _answer


# ---------------------------------------------------------------- storage pokes


def slot_of(contract: Any, variable: str, *keys: tuple[str, Any]) -> int:
    """The storage slot of `variable[key0][key1]...` (Vyper: keccak256(slot ++ key))."""
    slot = int(contract.compiler_data.storage_layout["storage_layout"][variable]["slot"])
    for typ, key in keys:
        slot = int.from_bytes(keccak(abi_encode(["uint256", typ], [slot, key])), "big")
    return slot


def poke(contract: Any, variable: str, keys: Sequence[tuple[str, Any]], value: int) -> None:
    boa.env.set_storage(contract.address, slot_of(contract, variable, *keys), value)


def peek(contract: Any, variable: str, keys: Sequence[tuple[str, Any]]) -> int:
    return int(boa.env.get_storage(contract.address, slot_of(contract, variable, *keys)))


def call_raw(contract: Any, signature: str, args: Sequence[Any], sender: str | None = None) -> Any:
    """Call `signature` (e.g. ``f(uint256,string)``) on `contract` with
    `args` encoded by eth_abi, not by the contract's own ABI, so inputs past
    the contract's bounds reach it; returns the computation (`is_error`,
    `output`) without raising."""
    name, _, rest = signature.partition("(")
    types = [t for t in rest[:-1].split(",") if t]
    data = keccak(text=signature)[:4] + abi_encode(types, list(args))
    return boa.env.execute_code(to_address=contract.address, sender=sender, data=data)


@pytest.fixture
def gas_of() -> Callable[[Any], int]:
    """Gas the last call made to `contract` used (execution, without the 21k base)."""
    return lambda contract: int(contract._computation.get_gas_used())
