"""Every size limit of the registry refuses with a reason, and a realistic agent card fits.

The limits (URI 20,480 bytes, keys 1..64 bytes, values up to 1,024 bytes,
16 entries in `register`) are checked by the contract with a reason. The
ABI bounds of the arguments are larger, so an input a little or a lot past
a limit gets that reason; only an input past the ABI bound itself (24,576
bytes for a URI, for instance) is refused by the ABI decoder, which gives
no reason: the last tests here pin where that happens.
"""

from __future__ import annotations

import base64
import json

import boa
import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector

from ..helpers import Event

URI_MAX = 20_480
KEY_MAX = 64
VALUE_MAX = 1_024
ENTRIES_MAX = 16
# The ABI bounds (what a call may carry before the decoder refuses it).
URI_INPUT_MAX = 24_576
ENTRIES_INPUT_MAX = 20
ENTRY_KEY_INPUT_MAX = 128
ENTRY_VALUE_INPUT_MAX = 1_280
KEY_INPUT_MAX = 1_024
VALUE_INPUT_MAX = 8_192


def uri_of(length: int) -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[(i * 7) % len(alphabet)] for i in range(length))


def agent_card(size: int = 16_384) -> str:
    """A `data:application/json;base64,` ERC-8004 registration file of at
    least `size` bytes (the first whole skill past it), as agent0-sdk and
    other clients build for on-chain agent cards."""
    card: dict[str, object] = {
        "type": "https://eips.ethereum.org/EIPS/eip-8004#registration-v1",
        "name": "Alice's trading agent",
        "description": "Quotes, fills and settles intents under a Charter session.",
        "image": "https://agents.example.org/trader/avatar.png",
        "services": [
            {"name": "MCP", "endpoint": "https://agents.example.org/trader/mcp", "version": "2025-06-18"},
            {"name": "A2A", "endpoint": "https://agents.example.org/trader/.well-known/agent-card.json"},
        ],
        "registrations": [{"agentId": 1, "agentRegistry": "eip155:31337:0x" + "00" * 20}],
        "supportedTrust": ["reputation"],
        "skills": [],
    }
    skills: list[dict[str, str]] = card["skills"]  # type: ignore[assignment]
    while True:
        uri = "data:application/json;base64," + base64.b64encode(json.dumps(card).encode()).decode()
        if len(uri) >= size:
            return uri
        skills.append({"id": f"fill-{len(skills)}", "description": "fills ERC-7683 intents on a supported chain"})


# ---------------------------------------------------------------- the URI


def test_sixteen_kib_agent_card_registers_and_reads_back(registry, owner, events):
    card = agent_card()
    assert 16_384 <= len(card) < 16_384 + 200
    with boa.env.prank(owner):
        agent_id = registry.register(card)
    logs = events(registry)
    assert registry.tokenURI(agent_id) == card
    assert logs[1] == Event("Registered", {"agentId": agent_id, "agentURI": card, "owner": owner})
    decoded = json.loads(base64.b64decode(registry.tokenURI(agent_id).split(",", 1)[1]))
    assert decoded["name"] == "Alice's trading agent"


def test_sixteen_kib_card_with_metadata(registry, owner):
    card = agent_card()
    with boa.env.prank(owner):
        agent_id = registry.register(card, [("agentName", b"trader.alice.eth")])
    assert registry.tokenURI(agent_id) == card
    assert registry.getMetadata(agent_id, "agentName") == b"trader.alice.eth"


def test_set_agent_uri_to_a_card_and_back(registry, agent, owner):
    card = agent_card()
    with boa.env.prank(owner):
        registry.setAgentURI(agent, card)
        assert registry.tokenURI(agent) == card
        registry.setAgentURI(agent, "ipfs://short")
        assert registry.tokenURI(agent) == "ipfs://short"
        registry.setAgentURI(agent, card[::-1])
    assert registry.tokenURI(agent) == card[::-1]


@pytest.mark.parametrize("length", [URI_MAX - 33, URI_MAX - 1, URI_MAX])
def test_uri_up_to_the_limit(registry, register_agent, owner, length):
    uri = uri_of(length)
    agent_id = register_agent(owner, uri)
    assert registry.tokenURI(agent_id) == uri
    with boa.env.prank(owner):
        registry.setAgentURI(agent_id, uri[::-1])
    assert registry.tokenURI(agent_id) == uri[::-1]


@pytest.mark.parametrize("length", [URI_MAX + 1, URI_MAX + 4_096, URI_INPUT_MAX])
def test_register_uri_too_long(registry, owner, length):
    with boa.env.prank(owner), boa.reverts("registry: uri too long"):
        registry.register(uri_of(length))
    with boa.env.prank(owner), boa.reverts("registry: uri too long"):
        registry.register(uri_of(length), [("k", b"v")])
    assert registry.totalSupply() == 0


@pytest.mark.parametrize("length", [URI_MAX + 1, URI_INPUT_MAX])
def test_set_agent_uri_too_long(registry, agent, owner, length):
    with boa.env.prank(owner), boa.reverts("registry: uri too long"):
        registry.setAgentURI(agent, uri_of(length))
    assert registry.tokenURI(agent) == "ipfs://agent-one"


def test_uri_limit_counts_utf8_bytes(registry, owner):
    uri = "data:," + "\U0001f916" * 5_200  # 5,206 characters, 20,806 bytes
    assert len(uri) < URI_MAX < len(uri.encode()) <= URI_INPUT_MAX
    with boa.env.prank(owner), boa.reverts("registry: uri too long"):
        registry.register(uri)


# ---------------------------------------------------------------- metadata


def test_set_metadata_key_too_long(registry, agent, owner):
    for key in ("k" * (KEY_MAX + 1), "k" * KEY_INPUT_MAX):
        with boa.env.prank(owner), boa.reverts("registry: key too long"):
            registry.setMetadata(agent, key, b"v")


def test_set_metadata_value_too_long(registry, agent, owner):
    for value in (b"\x01" * (VALUE_MAX + 1), b"\x01" * VALUE_INPUT_MAX):
        with boa.env.prank(owner), boa.reverts("registry: value too long"):
            registry.setMetadata(agent, "k", value)
    assert registry.getMetadata(agent, "k") == b""


def test_set_metadata_at_the_limits(registry, agent, owner):
    key, value = "k" * KEY_MAX, b"\x02" * VALUE_MAX
    with boa.env.prank(owner):
        registry.setMetadata(agent, key, value)
    assert registry.getMetadata(agent, key) == value


def test_get_metadata_with_a_key_no_value_can_have(registry, agent):
    assert registry.getMetadata(agent, "k" * (KEY_MAX + 1)) == b""
    assert registry.getMetadata(agent, "k" * KEY_INPUT_MAX) == b""


def test_register_too_many_entries(registry, owner):
    for count in (ENTRIES_MAX + 1, ENTRIES_INPUT_MAX):
        with boa.env.prank(owner), boa.reverts("registry: too many entries"):
            registry.register("ipfs://x", [(f"k{i}", b"v") for i in range(count)])
    assert registry.totalSupply() == 0


def test_register_entry_key_too_long(registry, owner):
    for key in ("k" * (KEY_MAX + 1), "k" * ENTRY_KEY_INPUT_MAX):
        with boa.env.prank(owner), boa.reverts("registry: key too long"):
            registry.register("ipfs://x", [("ok", b"1"), (key, b"v")])
    assert registry.totalSupply() == 0


def test_register_entry_value_too_long(registry, owner):
    for value in (b"\x01" * (VALUE_MAX + 1), b"\x01" * ENTRY_VALUE_INPUT_MAX):
        with boa.env.prank(owner), boa.reverts("registry: value too long"):
            registry.register("ipfs://x", [("k", value)])
    assert registry.totalSupply() == 0


def test_register_at_every_limit(registry, owner):
    entries = [(f"{i:02d}" + "k" * (KEY_MAX - 2), bytes([i]) * VALUE_MAX) for i in range(ENTRIES_MAX)]
    card = uri_of(URI_MAX)
    with boa.env.prank(owner):
        agent_id = registry.register(card, entries)
    assert registry.tokenURI(agent_id) == card
    for key, value in entries:
        assert registry.getMetadata(agent_id, key) == value


# ---------------------------------------------------------------- past the ABI bounds


def _raw_call(registry, owner, signature: str, types: list[str], args: list[object]):
    data = function_signature_to_4byte_selector(signature) + encode(types, args)
    return boa.env.execute_code(to_address=registry.address, sender=owner, data=data)


def _reason(output: bytes) -> str:
    assert output[:4] == function_signature_to_4byte_selector("Error(string)"), output[:4]
    return str(decode(["string"], output[4:])[0])


def test_past_the_abi_bounds_the_decoder_refuses_without_a_reason(registry, agent, owner):
    """At an ABI bound: the limit's reason. One past it: the decoder's bare revert."""
    uri_at, uri_past = uri_of(URI_INPUT_MAX), uri_of(URI_INPUT_MAX + 1)
    value_at, value_past = b"\x01" * VALUE_INPUT_MAX, b"\x01" * (VALUE_INPUT_MAX + 1)
    entries_at, entries_past = [("k", b"v")] * ENTRIES_INPUT_MAX, [("k", b"v")] * (ENTRIES_INPUT_MAX + 1)
    cases = [
        ("register(string)", ["string"], [uri_at], [uri_past], "registry: uri too long"),
        ("setAgentURI(uint256,string)", ["uint256", "string"], [agent, uri_at], [agent, uri_past],
         "registry: uri too long"),
        ("setMetadata(uint256,string,bytes)", ["uint256", "string", "bytes"], [agent, "k", value_at],
         [agent, "k", value_past], "registry: value too long"),
        ("register(string,(string,bytes)[])", ["string", "(string,bytes)[]"], ["ipfs://x", entries_at],
         ["ipfs://x", entries_past], "registry: too many entries"),
    ]
    for signature, types, at_args, past_args, reason in cases:
        at = _raw_call(registry, owner, signature, types, at_args)
        assert at.is_error and _reason(at.output) == reason, signature
        past = _raw_call(registry, owner, signature, types, past_args)
        assert past.is_error and past.output == b"", signature
    assert registry.totalSupply() == 1
