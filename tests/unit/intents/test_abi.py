"""The settler's ABI speaks ERC-7683 v1 exactly (struct field names and
order, function signatures, the canonical Open topic computed from the
ABI), and the order data type is the keccak of CharterOrder's EIP-712 type
string. The settler answers `resolve`, `resolveFor` and `eip712Domain`
with the IntentView's code (its fallback): its ABI is its own plus those,
as the shipped artifact has it."""

from __future__ import annotations

import boa
import pytest
from eth.exceptions import Revert
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


def _merged(own: list[dict], delegated: list[dict]) -> list[dict]:
    have = {(e["type"], e.get("name")) for e in own}
    added = [e for e in delegated if e["type"] in ("function", "event") and (e["type"], e.get("name")) not in have]
    return [*own, *added]


@pytest.fixture(scope="module")
def abi(world):
    """What a caller of the settler sees: its ABI plus the IntentView's views."""
    return _merged(world.settler.abi, world.view.abi)


def test_the_view_adds_only_views(world):
    own = {e.get("name") for e in world.settler.abi if e["type"] == "function"}
    added = [e for e in world.view.abi if e["type"] == "function"]
    assert sorted(e["name"] for e in added) == ["eip712Domain", "resolve", "resolveFor"]
    assert all(e["stateMutability"] == "view" and e["name"] not in own for e in added)
    (fallback,) = [e for e in world.settler.abi if e["type"] == "fallback"]
    assert fallback["stateMutability"] == "nonpayable"


def test_the_shipped_abi_is_the_merged_one(world):
    from charter._core.artifacts import abi as shipped

    key = lambda e: (e["type"], e.get("name", ""))  # noqa: E731
    assert sorted(shipped("IntentSettler"), key=key) == sorted(_merged(world.settler.abi, world.view.abi), key=key)


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


def test_eip712_domain(settler, resolver):
    fields, name, version, chain_id, verifying, salt, extensions = resolver.eip712Domain()
    assert fields == b"\x0f"
    assert (name, version, chain_id) == ("Charter IntentSettler", "1", 1)
    assert str(verifying) == str(settler.address)
    assert salt == b"\x00" * 32 and list(extensions) == []


def test_constructor_refuses_zero_addresses(world):
    registry, manager, view = world.registry.address, world.manager.address, world.view.address
    for args in ((ZERO_ADDRESS, manager, view), (registry, ZERO_ADDRESS, view), (registry, manager, ZERO_ADDRESS)):
        with boa.reverts("intents: zero address"):
            world.settler_deployer.deploy(*args)
    with boa.reverts("intents: zero address"):  # a view without code
        world.settler_deployer.deploy(registry, manager, boa.env.generate_address("no-code"))


def test_immutables(settler, registry, manager, world):
    assert settler.REGISTRY() == registry.address
    assert settler.SESSIONS() == manager.address
    assert settler.VIEW() == world.view.address


def test_the_view_answers_only_through_a_settler(world, make_order, user):
    """Called directly, the IntentView would answer for itself as a
    settler: it refuses."""
    order = make_order()
    for call in (
        lambda: world.view.resolve(order.onchain(), sender=user),
        lambda: world.view.resolveFor(order.gasless(), b""),
        lambda: world.view.eip712Domain(),
    ):
        with boa.reverts("intents: call the settler"):
            call()


def test_the_fallback_passes_reverts_and_refuses_the_rest(world, settler, resolver, make_order, user):
    """A view's revert comes back as it is; an unknown selector, plain ETH
    and empty calldata revert."""
    order = make_order(fill_deadline=boa.env.timestamp)  # not in the future
    with boa.reverts("intents: fill deadline passed"):
        resolver.resolve(order.onchain(), sender=user)
    boa.env.set_balance(user, 10)
    for data, value in ((b"\x12\x34\x56\x78", 0), (b"", 0), (b"", 1)):
        with pytest.raises(Revert):
            boa.env.raw_call(str(settler.address), sender=user, data=data, value=value)
    assert boa.env.get_balance(str(settler.address)) == 0


def test_the_views_answer_to_a_staticcall(world, settler, make_order, deployer):
    """The fallback takes no reentrancy lock: a contract's STATICCALL of
    `resolve` gets the settler's answer."""
    caller = deployer("StaticResolver").deploy()
    order = make_order(user=caller.address)  # resolve's user is its caller
    assert caller.order_id(settler.address, order.onchain()) == order.id
