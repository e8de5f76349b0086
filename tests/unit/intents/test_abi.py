"""The compiled ABI speaks ERC-7683 v1 exactly (struct field names and
order, function signatures, the canonical Open topic computed from the
ABI), and the order data type is the keccak of CharterOrder's EIP-712 type
string."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from .helpers import CHARTER_ORDER_TYPE, ORDER_DATA_TYPE, ZERO_ADDRESS

CANONICAL_OPEN_TOPIC = "0x3448bbc2203c608599ad448eeb1007cea04b788ac631f9f558e8dd01a3c27b3d"
OLD_OPEN_TOPIC_PREFIX = "0xa576d0af"

# ERC-7683 v1, as frozen (../shared/INTENTS.md): (name, type) in order.
OUTPUT = [("token", "bytes32"), ("amount", "uint256"), ("recipient", "bytes32"), ("chainId", "uint256")]
FILL_INSTRUCTION = [("destinationChainId", "uint256"), ("destinationSettler", "bytes32"), ("originData", "bytes")]
ONCHAIN = [("fillDeadline", "uint32"), ("orderDataType", "bytes32"), ("orderData", "bytes")]
GASLESS = [
    ("originSettler", "address"),
    ("user", "address"),
    ("nonce", "uint256"),
    ("originChainId", "uint256"),
    ("openDeadline", "uint32"),
    ("fillDeadline", "uint32"),
    ("orderDataType", "bytes32"),
    ("orderData", "bytes"),
]
RESOLVED = [
    ("user", "address"),
    ("originChainId", "uint256"),
    ("openDeadline", "uint32"),
    ("fillDeadline", "uint32"),
    ("orderId", "bytes32"),
    ("maxSpent", OUTPUT, "[]"),
    ("minReceived", OUTPUT, "[]"),
    ("fillInstructions", FILL_INSTRUCTION, "[]"),
]


def _canonical(param: dict) -> str:
    """The canonical ABI type of a parameter (tuples expanded)."""
    typ = param["type"]
    if typ.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in param["components"]) + ")" + typ[len("tuple") :]
    return typ


def _shape(param: dict):
    """(name, type) or (name, components, array suffix), comparable with the tables above."""
    typ = param["type"]
    if typ.startswith("tuple"):
        return (param["name"], [_shape(c) for c in param["components"]], typ[len("tuple") :])
    return (param["name"], typ)


def _flat(table):
    return [(n, t) if len(rest) == 0 else (n, _flat(t), rest[0]) for n, t, *rest in table]


def _struct(table, suffix=""):
    return _flat(table), suffix


@pytest.fixture(scope="module")
def abi(world):
    return world.settler.abi


def _entry(abi, kind, name):
    (entry,) = [e for e in abi if e["type"] == kind and e.get("name") == name]
    return entry


def _signature(entry) -> str:
    return f"{entry['name']}({','.join(_canonical(p) for p in entry['inputs'])})"


def test_open(abi):
    entry = _entry(abi, "function", "open")
    assert _signature(entry) == "open((uint32,bytes32,bytes))"
    (order,) = entry["inputs"]
    assert _shape(order)[1:] == _struct(ONCHAIN)
    assert entry["outputs"] == []
    assert entry["stateMutability"] == "payable"


def test_open_for(abi):
    entry = _entry(abi, "function", "openFor")
    assert _signature(entry) == "openFor((address,address,uint256,uint256,uint32,uint32,bytes32,bytes),bytes,bytes)"
    order, signature, filler_data = entry["inputs"]
    assert _shape(order)[1:] == _struct(GASLESS)
    assert (_shape(signature), _shape(filler_data)) == (("signature", "bytes"), ("originFillerData", "bytes"))


def test_resolve(abi):
    entry = _entry(abi, "function", "resolve")
    assert _signature(entry) == "resolve((uint32,bytes32,bytes))"
    assert entry["stateMutability"] == "view"
    (out,) = entry["outputs"]
    assert _shape(out)[1:] == _struct(RESOLVED)


def test_resolve_for(abi):
    entry = _entry(abi, "function", "resolveFor")
    assert _signature(entry) == "resolveFor((address,address,uint256,uint256,uint32,uint32,bytes32,bytes),bytes)"
    assert entry["stateMutability"] == "view"
    order, filler_data = entry["inputs"]
    assert _shape(order)[1:] == _struct(GASLESS)
    assert _shape(filler_data) == ("originFillerData", "bytes")
    (out,) = entry["outputs"]
    assert _shape(out)[1:] == _struct(RESOLVED)


def test_fill(abi):
    entry = _entry(abi, "function", "fill")
    assert _signature(entry) == "fill(bytes32,bytes,bytes)"
    assert [_shape(p) for p in entry["inputs"]] == [
        ("orderId", "bytes32"),
        ("originData", "bytes"),
        ("fillerData", "bytes"),
    ]


def test_open_event_topic_from_the_abi(abi):
    entry = _entry(abi, "event", "Open")
    order_id, resolved = entry["inputs"]
    assert (order_id["name"], order_id["type"], order_id["indexed"]) == ("orderId", "bytes32", True)
    assert resolved["name"] == "resolvedOrder" and not resolved["indexed"]
    assert _shape(resolved)[1:] == _struct(RESOLVED)
    topic = "0x" + keccak(text=_signature(entry)).hex()
    assert topic == CANONICAL_OPEN_TOPIC
    assert not topic.startswith(OLD_OPEN_TOPIC_PREFIX)


def test_no_uint64_destination_chain_id(abi):
    """The pre-2025 FillInstruction had a uint64 destinationChainId."""
    text = repr(abi)
    assert "uint64" not in text


def test_order_data_type(settler):
    written_out = (
        "CharterOrder(uint256 nonce,uint256 agentId,uint32 refundAfter,address oracle,address exclusiveFiller,"
        "uint32 exclusivityDeadline,uint256 destinationChainId,bytes32 destinationSettler,Input[] inputs,"
        "Output[] outputs)Input(address token,uint256 amount)"
        "Output(bytes32 token,uint256 amount,bytes32 recipient,uint256 chainId)"
    )
    assert written_out == CHARTER_ORDER_TYPE
    assert settler.ORDER_DATA_TYPE() == keccak(text=written_out) == ORDER_DATA_TYPE


def test_eip712_domain(settler):
    fields, name, version, chain_id, verifying, salt, extensions = settler.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version, chain_id) == ("Charter IntentSettler", "1", 1)
    assert str(verifying) == str(settler.address)
    assert salt == b"\x00" * 32 and list(extensions) == []


def test_constructor_refuses_zero_addresses(world):
    for registry, sessions in ((ZERO_ADDRESS, world.manager.address), (world.registry.address, ZERO_ADDRESS)):
        with boa.reverts("intents: zero address"):
            world.settler_deployer.deploy(registry, sessions)


def test_immutables(settler, registry, manager):
    assert settler.REGISTRY() == registry.address
    assert settler.SESSIONS() == manager.address
