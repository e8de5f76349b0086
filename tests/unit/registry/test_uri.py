"""setAgentURI / tokenURI, including the raw-word packing of the URI."""

import boa
import pytest

from ..helpers import Event

EDGE_LENGTHS = [0, 1, 31, 32, 33, 63, 64, 65, 4096, 4097, 20_479, 20_480]
URI_MAX = 20_480


def uri_of(length: int, fill: str = "a") -> str:
    """A URI of `length` bytes whose characters differ by position, so a
    word read from the wrong place or a stale tail shows up."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[(i * 7 + ord(fill)) % len(alphabet)] for i in range(length))


def set_uri(registry, caller, agent_id, uri):
    with boa.env.prank(caller):
        registry.setAgentURI(agent_id, uri)


def test_owner_sets_uri(registry, agent, owner, events):
    set_uri(registry, owner, agent, "https://new.example/card.json")
    logs = events(registry)
    assert registry.tokenURI(agent) == "https://new.example/card.json"
    assert logs == [
        Event(
            "URIUpdated",
            {
                "agentId": agent,
                "newURI": "https://new.example/card.json",
                "updatedBy": owner,
            },
        )
    ]


def test_operator_sets_uri(registry, agent, as_operator, events):
    set_uri(registry, as_operator, agent, "ipfs://by-operator")
    logs = events(registry)
    assert registry.tokenURI(agent) == "ipfs://by-operator"
    assert logs[0].args["updatedBy"] == as_operator


def test_approved_sets_uri(registry, agent, as_approved, events):
    set_uri(registry, as_approved, agent, "ipfs://by-approved")
    logs = events(registry)
    assert registry.tokenURI(agent) == "ipfs://by-approved"
    assert logs[0].args["updatedBy"] == as_approved


def test_stranger_refused(registry, agent, stranger):
    with boa.env.prank(stranger), boa.reverts("registry: not authorized"):
        registry.setAgentURI(agent, "ipfs://evil")
    assert registry.tokenURI(agent) == "ipfs://agent-one"


def test_operator_of_someone_else_refused(registry, agent, other_owner, stranger):
    with boa.env.prank(other_owner):
        registry.setApprovalForAll(stranger, True)
    with boa.env.prank(stranger), boa.reverts("registry: not authorized"):
        registry.setAgentURI(agent, "ipfs://evil")


def test_revoked_operator_refused(registry, agent, owner, as_operator):
    with boa.env.prank(owner):
        registry.setApprovalForAll(as_operator, False)
    with boa.env.prank(as_operator), boa.reverts("registry: not authorized"):
        registry.setAgentURI(agent, "ipfs://late")


def test_approval_is_per_agent(registry, register_agent, owner, approved, agent):
    second = register_agent(owner, "ipfs://two")
    with boa.env.prank(owner):
        registry.approve(approved, agent)
    with boa.env.prank(approved), boa.reverts("registry: not authorized"):
        registry.setAgentURI(second, "ipfs://nope")


def test_unknown_agent_refused(registry, owner):
    with boa.env.prank(owner), boa.reverts("registry: unknown agent"):
        registry.setAgentURI(1, "ipfs://x")


def test_token_uri_of_unknown_reverts(registry, agent):
    with boa.reverts("registry: unknown agent"):
        registry.tokenURI(agent + 1)
    with boa.reverts("registry: unknown agent"):
        registry.tokenURI(0)


@pytest.mark.parametrize("length", EDGE_LENGTHS)
def test_register_uri_lengths_read_back(registry, register_agent, owner, length):
    uri = uri_of(length)
    agent_id = register_agent(owner, uri)
    assert registry.tokenURI(agent_id) == uri


@pytest.mark.parametrize("length", EDGE_LENGTHS)
def test_longer_shorter_longer(registry, agent, owner, length):
    """Shrinking leaves stale words behind; they must never be read back."""
    long_uri = uri_of(URI_MAX, "x")
    set_uri(registry, owner, agent, long_uri)
    assert registry.tokenURI(agent) == long_uri

    short_uri = uri_of(length, "s")
    set_uri(registry, owner, agent, short_uri)
    assert registry.tokenURI(agent) == short_uri

    medium_uri = uri_of(min(length + 33, URI_MAX), "m")
    set_uri(registry, owner, agent, medium_uri)
    assert registry.tokenURI(agent) == medium_uri


def test_every_edge_length_in_sequence(registry, agent, owner):
    for length in [*EDGE_LENGTHS, *reversed(EDGE_LENGTHS)]:
        uri = uri_of(length, chr(ord("a") + length % 26))
        set_uri(registry, owner, agent, uri)
        assert registry.tokenURI(agent) == uri, length


def test_uri_is_per_agent(registry, register_agent, owner):
    first = register_agent(owner, uri_of(65, "p"))
    second = register_agent(owner, uri_of(33, "q"))
    set_uri(registry, owner, first, uri_of(URI_MAX, "r"))
    assert registry.tokenURI(second) == uri_of(33, "q")
    assert registry.tokenURI(first) == uri_of(URI_MAX, "r")


def test_utf8_uri(registry, agent, owner):
    uri = 'data:application/json,{"name":"agent \u00e9\u4e2d\U0001f916"}'
    set_uri(registry, owner, agent, uri)
    assert registry.tokenURI(agent) == uri


def test_uri_change_keeps_status_and_wallet(registry, agent, owner):
    with boa.env.prank(owner):
        registry.pause(agent)
    set_uri(registry, owner, agent, uri_of(URI_MAX))
    assert registry.statusOf(agent) == 1
    assert registry.getAgentWallet(agent) == owner
    set_uri(registry, owner, agent, "")
    assert registry.statusOf(agent) == 1
    assert registry.getAgentWallet(agent) == owner
    assert registry.tokenURI(agent) == ""
