"""getMetadata / setMetadata and the reserved `agentWallet` key."""

import boa
import pytest

from ..helpers import AGENT_WALLET_KEY, metadata_set, packed


def set_meta(registry, caller, agent_id, key, value):
    with boa.env.prank(caller):
        registry.setMetadata(agent_id, key, value)


def test_set_get(registry, agent, owner, events):
    set_meta(registry, owner, agent, "endpoint", b"https://agent.example")
    logs = events(registry)
    assert registry.getMetadata(agent, "endpoint") == b"https://agent.example"
    assert logs == [metadata_set(agent, "endpoint", b"https://agent.example")]


def test_overwrite_longer_then_shorter(registry, agent, owner):
    set_meta(registry, owner, agent, "k", b"\x01" * 1024)
    set_meta(registry, owner, agent, "k", b"\x02" * 3)
    assert registry.getMetadata(agent, "k") == b"\x02" * 3
    set_meta(registry, owner, agent, "k", b"\x03" * 100)
    assert registry.getMetadata(agent, "k") == b"\x03" * 100


def test_empty_value_deletes(registry, agent, owner, events):
    set_meta(registry, owner, agent, "k", b"value")
    set_meta(registry, owner, agent, "k", b"")
    logs = events(registry)
    assert registry.getMetadata(agent, "k") == b""
    assert logs == [metadata_set(agent, "k", b"")]


def test_unset_key_reads_empty(registry, agent):
    assert registry.getMetadata(agent, "never-set") == b""


def test_unknown_agent_reads_empty(registry, agent):
    assert registry.getMetadata(agent + 1, "k") == b""
    assert registry.getMetadata(agent + 1, AGENT_WALLET_KEY) == b""
    assert registry.getMetadata(0, AGENT_WALLET_KEY) == b""


def test_metadata_is_per_agent(registry, register_agent, owner, agent):
    second = register_agent(owner)
    set_meta(registry, owner, agent, "k", b"one")
    assert registry.getMetadata(second, "k") == b""
    set_meta(registry, owner, second, "k", b"two")
    assert registry.getMetadata(agent, "k") == b"one"


def test_keys_are_exact(registry, agent, owner):
    set_meta(registry, owner, agent, "k", b"1")
    assert registry.getMetadata(agent, "K") == b""
    assert registry.getMetadata(agent, "k ") == b""


def test_size_limits(registry, agent, owner):
    key, value = "x" * 64, bytes(range(256)) * 4
    set_meta(registry, owner, agent, key, value)
    assert registry.getMetadata(agent, key) == value


def test_operator_sets(registry, agent, as_operator):
    set_meta(registry, as_operator, agent, "k", b"op")
    assert registry.getMetadata(agent, "k") == b"op"


def test_approved_sets(registry, agent, as_approved):
    set_meta(registry, as_approved, agent, "k", b"ap")
    assert registry.getMetadata(agent, "k") == b"ap"


def test_stranger_refused(registry, agent, owner, stranger):
    set_meta(registry, owner, agent, "k", b"mine")
    with boa.env.prank(stranger), boa.reverts("registry: not authorized"):
        registry.setMetadata(agent, "k", b"theirs")
    assert registry.getMetadata(agent, "k") == b"mine"


def test_unknown_agent_refused(registry, owner):
    with boa.env.prank(owner), boa.reverts("registry: unknown agent"):
        registry.setMetadata(1, "k", b"v")


@pytest.mark.parametrize("value", [b"", b"\x00" * 20, b"anything"])
def test_reserved_key_refused(registry, agent, owner, value):
    with boa.env.prank(owner), boa.reverts("registry: reserved key"):
        registry.setMetadata(agent, AGENT_WALLET_KEY, value)
    assert registry.getAgentWallet(agent) == owner


def test_empty_key_refused(registry, agent, owner):
    with boa.env.prank(owner), boa.reverts("registry: empty key"):
        registry.setMetadata(agent, "", b"v")


def test_agent_wallet_key_reads_current_wallet(
    registry, agent, owner, wallet, set_wallet
):
    # Default: the owner, as 20 packed bytes.
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == packed(owner)
    # Proved wallet.
    set_wallet(wallet, agent, owner)
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == packed(wallet.address)
    # Unset: empty.
    with boa.env.prank(owner):
        registry.unsetAgentWallet(agent)
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == b""


def test_agent_wallet_key_empty_after_transfer(registry, agent, owner, other_owner):
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    assert registry.getMetadata(agent, AGENT_WALLET_KEY) == b""


def test_metadata_editable_when_paused_and_retired(registry, agent, owner):
    with boa.env.prank(owner):
        registry.pause(agent)
    set_meta(registry, owner, agent, "status", b"paused")
    assert registry.getMetadata(agent, "status") == b"paused"
    with boa.env.prank(owner):
        registry.retire(agent)
    set_meta(registry, owner, agent, "status", b"retired")
    assert registry.getMetadata(agent, "status") == b"retired"
