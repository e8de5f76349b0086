"""register() / register(string) / register(string,(string,bytes)[])."""

import boa
import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector as selector
from eth_utils import keccak

from ..helpers import (
    AGENT_WALLET_KEY,
    STATUS_ACTIVE,
    ZERO_ADDRESS,
    Event,
    metadata_set,
    packed,
)


def test_ids_start_at_one_and_increment(registry, register_agent, owner, other_owner):
    assert registry.totalSupply() == 0
    assert register_agent(owner) == 1
    assert register_agent(other_owner, "ipfs://two") == 2
    assert register_agent(owner, "ipfs://three", [("k", b"v")]) == 3
    assert registry.totalSupply() == 3
    assert registry.ownerOf(1) == owner
    assert registry.ownerOf(2) == other_owner
    assert registry.ownerOf(3) == owner
    assert registry.balanceOf(owner) == 2
    assert registry.balanceOf(other_owner) == 1


def test_register_without_arguments(registry, owner, events):
    with boa.env.prank(owner):
        agent_id = registry.register()
    logs = events(registry)
    assert agent_id == 1
    assert registry.tokenURI(agent_id) == ""
    assert registry.getAgentWallet(agent_id) == owner
    assert logs == [
        Event("Transfer", {"from": ZERO_ADDRESS, "to": owner, "tokenId": 1}),
        Event("Registered", {"agentId": 1, "agentURI": "", "owner": owner}),
        metadata_set(1, AGENT_WALLET_KEY, packed(owner)),
    ]


def test_register_with_uri(registry, owner, events):
    with boa.env.prank(owner):
        agent_id = registry.register("ipfs://bafy-card")
    logs = events(registry)
    assert registry.tokenURI(agent_id) == "ipfs://bafy-card"
    assert logs == [
        Event("Transfer", {"from": ZERO_ADDRESS, "to": owner, "tokenId": 1}),
        Event(
            "Registered", {"agentId": 1, "agentURI": "ipfs://bafy-card", "owner": owner}
        ),
        metadata_set(1, AGENT_WALLET_KEY, packed(owner)),
    ]


def test_register_with_metadata(registry, owner, events):
    entries = [
        ("model", b"gpt"),
        ("endpoint", b"https://a.example"),
        ("blob", bytes(range(256))),
    ]
    with boa.env.prank(owner):
        agent_id = registry.register("https://card.example/1.json", entries)
    logs = events(registry)
    for key, value in entries:
        assert registry.getMetadata(agent_id, key) == value
    assert logs == [
        Event("Transfer", {"from": ZERO_ADDRESS, "to": owner, "tokenId": 1}),
        Event(
            "Registered",
            {"agentId": 1, "agentURI": "https://card.example/1.json", "owner": owner},
        ),
        metadata_set(1, AGENT_WALLET_KEY, packed(owner)),
        *[metadata_set(1, key, value) for key, value in entries],
    ]


def test_register_metadata_duplicate_key_keeps_last(registry, owner):
    with boa.env.prank(owner):
        agent_id = registry.register("", [("k", b"first"), ("k", b"second")])
    assert registry.getMetadata(agent_id, "k") == b"second"


def test_register_metadata_at_size_limits(registry, owner):
    key, value = "k" * 64, b"\xab" * 1024
    with boa.env.prank(owner):
        agent_id = registry.register("", [(key, value)] * 16)
    assert registry.getMetadata(agent_id, key) == value


def test_new_agent_state(registry, register_agent, owner):
    agent_id = register_agent(owner, "ipfs://x")
    assert registry.statusOf(agent_id) == STATUS_ACTIVE
    assert registry.isActive(agent_id) is True
    # The owner is the default agent wallet but is not in the reverse lookup.
    assert registry.getAgentWallet(agent_id) == owner
    assert registry.getMetadata(agent_id, AGENT_WALLET_KEY) == packed(owner)
    assert registry.agentOfWallet(owner) == 0
    assert registry.getApproved(agent_id) == ZERO_ADDRESS


def test_one_owner_many_agents_all_default_to_owner(registry, register_agent, owner):
    ids = [register_agent(owner) for _ in range(3)]
    assert [registry.getAgentWallet(i) for i in ids] == [owner] * 3
    assert registry.agentOfWallet(owner) == 0


@pytest.mark.parametrize("key", [AGENT_WALLET_KEY, ""])
def test_register_refuses_reserved_or_empty_key(registry, owner, key):
    reason = "registry: reserved key" if key else "registry: empty key"
    with boa.env.prank(owner), boa.reverts(reason):
        registry.register("ipfs://x", [("ok", b"1"), (key, b"\x01" * 20)])
    assert registry.totalSupply() == 0
    assert registry.balanceOf(owner) == 0


def test_reserved_key_is_case_sensitive(registry, owner):
    # Only the exact ERC-8004 key is reserved.
    with boa.env.prank(owner):
        agent_id = registry.register("", [("AgentWallet", b"x"), ("agentwallet", b"y")])
    assert registry.getMetadata(agent_id, "AgentWallet") == b"x"
    assert registry.getMetadata(agent_id, "agentwallet") == b"y"
    assert registry.getMetadata(agent_id, AGENT_WALLET_KEY) == packed(owner)


def test_contract_can_register(registry, receiver):
    # Minting to msg.sender does not call onERC721Received.
    with boa.env.prank(receiver.address):
        agent_id = registry.register()
    assert registry.ownerOf(agent_id) == receiver.address
    assert receiver.received() == 0


def test_balance_of_zero_address_reverts(registry):
    with boa.reverts("erc721: zero address"):
        registry.balanceOf(ZERO_ADDRESS)


def test_owner_of_unknown_reverts(registry):
    with boa.reverts("erc721: invalid token ID"):
        registry.ownerOf(1)


@pytest.mark.parametrize(
    ("signature", "types", "args"),
    [
        ("register()", [], []),
        ("register(string)", ["string"], ["ipfs://raw"]),
        (
            "register(string,(string,bytes)[])",
            ["string", "(string,bytes)[]"],
            ["ipfs://raw", [("k", b"v")]],
        ),
    ],
)
def test_erc8004_register_selectors(registry, owner, signature, types, args):
    """The three ERC-8004 overloads exist under their standard selectors."""
    data = selector(signature) + encode(types, args)
    out = boa.env.raw_call(registry.address, sender=owner, data=data)
    assert decode(["uint256"], out.output) == (1,)
    assert registry.ownerOf(1) == owner
    if args:
        assert registry.tokenURI(1) == "ipfs://raw"
    if len(args) == 2:
        assert registry.getMetadata(1, "k") == b"v"


def test_registered_event_topic_is_erc8004(registry, owner):
    with boa.env.prank(owner):
        registry.register()
    topics = [entry[2][0] for entry in registry._computation.get_raw_log_entries()]
    expected = keccak(text="Registered(uint256,string,address)")
    assert int.from_bytes(expected, "big") in topics
