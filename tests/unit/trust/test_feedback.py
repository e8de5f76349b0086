"""ReputationRegistry writes: giveFeedback, revokeFeedback, appendResponse,
and the single-entry reads (getLastIndex, readFeedback) that show them."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from ..helpers import Event
from .conftest import MAX_ABS_VALUE, TAG_INPUT_MAX, TAG_MAX, URI_MAX, ZERO_ADDRESS, ZERO_HASH, call_raw, slot_of

DIGEST = keccak(text="feedback file")


# ---------------------------------------------------------------- deployment


def test_deployment_binds_the_identity_registry(reputation, registry):
    assert reputation.getIdentityRegistry() == registry.address
    assert reputation.getVersion() == "2.0.0"


def test_deployment_refuses_an_identity_registry_without_code(reputation_deployer, stranger):
    with boa.reverts("reputation: no identity registry"):
        reputation_deployer.deploy(stranger, ZERO_ADDRESS)
    with boa.reverts("reputation: no identity registry"):
        reputation_deployer.deploy(ZERO_ADDRESS, ZERO_ADDRESS)


def test_no_owner_no_upgrade(reputation):
    names = {entry.get("name") for entry in reputation.abi}
    for name in ("owner", "initialize", "upgradeToAndCall", "transferOwnership", "renounceOwnership"):
        assert name not in names


# ---------------------------------------------------------------- giveFeedback


def test_give_feedback_stores_and_logs(reputation, agent, client, reputation_events):
    with boa.env.prank(client):
        reputation.giveFeedback(agent, 87, 0, "starred", "quality", "https://agent.example/mcp", "ipfs://fb", DIGEST)
    assert reputation_events() == [
        Event(
            "NewFeedback",
            {
                "agentId": agent,
                "clientAddress": client,
                "feedbackIndex": 1,
                "value": 87,
                "valueDecimals": 0,
                "indexedTag1": keccak(text="starred"),
                "tag1": "starred",
                "tag2": "quality",
                "endpoint": "https://agent.example/mcp",
                "feedbackURI": "ipfs://fb",
                "feedbackHash": DIGEST,
            },
        )
    ]
    assert reputation.getLastIndex(agent, client) == 1
    assert reputation.readFeedback(agent, client, 1) == (87, 0, "starred", "quality", False)
    assert reputation.getClients(agent) == [client]


def test_indexes_count_from_one_per_agent_and_client(reputation, registry, give, agent, clients, other_owner):
    second_agent = registry.register(sender=other_owner)
    assert [give(clients[0], v) for v in (1, 2, 3)] == [1, 2, 3]
    assert give(clients[1], 4) == 1
    assert give(clients[0], 5, agent_id=second_agent) == 1
    assert reputation.getLastIndex(agent, clients[0]) == 3
    assert reputation.getLastIndex(agent, clients[1]) == 1
    assert reputation.getLastIndex(second_agent, clients[0]) == 1
    assert reputation.getLastIndex(second_agent, clients[1]) == 0
    assert [reputation.readFeedback(agent, clients[0], i)[0] for i in (1, 2, 3)] == [1, 2, 3]
    # clients are listed once each, in order of their first feedback
    assert reputation.getClients(agent) == [clients[0], clients[1]]
    assert reputation.getClients(second_agent) == [clients[0]]
    assert reputation.getClients(99) == []


@pytest.mark.parametrize(
    "value, decimals",
    [
        (0, 0),
        (-1, 0),
        (9977, 2),
        (-32, 1),
        (MAX_ABS_VALUE, 0),
        (-MAX_ABS_VALUE, 18),
        (1, 18),
        (2**64, 7),
    ],
)
def test_values_round_trip(reputation, give, agent, client, value, decimals):
    give(client, value, decimals)
    assert reputation.readFeedback(agent, client, 1)[:2] == (value, decimals)


@pytest.mark.parametrize(
    "tag1, tag2",
    [
        ("", ""),
        ("a", ""),
        ("", "b"),
        ("x" * 31, "y" * 32),
        ("x" * 33, "z" * TAG_MAX),
        ("ü✓ unicode", "tradingYield"),
        ("\x00lead", "trail\x00"),
    ],
)
def test_tags_round_trip(reputation, give, agent, client, tag1, tag2):
    give(client, 1, 0, tag1, tag2)
    assert reputation.readFeedback(agent, client, 1)[2:4] == (tag1, tag2)


@pytest.mark.parametrize(
    "tag1, tag2, inline",
    [
        ("starred", "", True),
        ("x" * 12, "", True),
        ("", "y" * 12, True),
        ("abcdef", "ghijkl", True),
        ("ü" * 6, "", True),
        ("x" * 12, "y", False),
        ("x" * 13, "", False),
        ("ü" * 6, "a", False),
        ("tradingYield", "day", False),
    ],
)
def test_short_tags_live_in_the_feedback_word(reputation, give, agent, client, tag1, tag2, inline):
    """Tags of at most 12 bytes together sit in the feedback word (no tag
    word written); longer ones in tag words. Reads and filters see no
    difference."""
    give(client, 1, 0, tag1, tag2)
    assert reputation.readFeedback(agent, client, 1)[2:4] == (tag1, tag2)
    base = slot_of(reputation, "_tag_words", ("uint256", agent), ("address", client), ("uint64", 1))
    words = [int(boa.env.get_storage(reputation.address, base + i)) for i in range(4)]
    assert (words == [0] * 4) == inline
    assert reputation.getSummary(agent, [client], tag1, tag2) == (1, 1, 0)
    for tag in (tag1, tag2):
        if tag:
            other = tag[:-1] + chr(ord(tag[-1]) ^ 1)  # same length, one byte off
            query = (other, tag2) if tag is tag1 else (tag1, other)
            assert reputation.getSummary(agent, [client], *query)[0] == 0
            assert reputation.getSummary(agent, [client], tag[:-1] or "?", "")[0] == 0


def test_shorter_tags_after_longer_ones_read_back_exactly(reputation, give, agent, client):
    give(client, 1, 0, "x" * TAG_MAX, "y" * TAG_MAX)
    give(client, 2, 0, "ab", "")
    assert reputation.readFeedback(agent, client, 1)[2:4] == ("x" * TAG_MAX, "y" * TAG_MAX)
    assert reputation.readFeedback(agent, client, 2)[2:4] == ("ab", "")


def test_long_endpoint_and_uri_are_logged(reputation, agent, client, reputation_events):
    endpoint, uri = "e" * URI_MAX, "data:application/json;base64," + "A" * (URI_MAX - 29)
    with boa.env.prank(client):
        reputation.giveFeedback(agent, 1, 0, "", "", endpoint, uri, ZERO_HASH)
    (event,) = reputation_events()
    assert event.args["endpoint"] == endpoint and event.args["feedbackURI"] == uri
    assert event.args["indexedTag1"] == keccak(b"")


@pytest.mark.parametrize("decimals", [19, 255])
def test_too_many_decimals(reputation, agent, client, decimals):
    with boa.reverts("reputation: too many decimals"), boa.env.prank(client):
        reputation.giveFeedback(agent, 1, decimals, "", "", "", "", ZERO_HASH)


@pytest.mark.parametrize("value", [MAX_ABS_VALUE + 1, -MAX_ABS_VALUE - 1, 2**127 - 1, -(2**127)])
def test_value_too_large(reputation, agent, client, value):
    with boa.reverts("reputation: value too large"), boa.env.prank(client):
        reputation.giveFeedback(agent, value, 0, "", "", "", "", ZERO_HASH)


def test_decimals_are_checked_before_the_value(reputation, agent, client):
    with boa.reverts("reputation: too many decimals"), boa.env.prank(client):
        reputation.giveFeedback(agent, MAX_ABS_VALUE + 1, 19, "", "", "", "", ZERO_HASH)


def test_no_self_feedback(reputation, agent, authorized):
    """The owner, an operator of the owner and the approved address are refused."""
    with boa.reverts("reputation: self-feedback"), boa.env.prank(authorized):
        reputation.giveFeedback(agent, 100, 0, "", "", "", "", ZERO_HASH)
    assert reputation.getLastIndex(agent, authorized) == 0


def test_former_owner_may_review_after_a_transfer(reputation, registry, agent, owner, other_owner, give):
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    assert give(owner, 10) == 1
    with boa.reverts("reputation: self-feedback"), boa.env.prank(other_owner):
        reputation.giveFeedback(agent, 1, 0, "", "", "", "", ZERO_HASH)


def test_the_agent_wallet_is_not_the_owner(reputation, agent, owner, wallet, set_wallet, give):
    """As in the reference: only owner / operator / approved are refused; a
    verified agent wallet that is none of those may review."""
    set_wallet(wallet, agent, owner)
    assert give(wallet.address, 1) == 1


def test_unknown_agent(reputation, client):
    with boa.reverts("registry: unknown agent"), boa.env.prank(client):
        reputation.giveFeedback(42, 1, 0, "", "", "", "", ZERO_HASH)


def test_paused_and_retired_agents_can_still_be_reviewed(reputation, registry, agent, owner, give):
    with boa.env.prank(owner):
        registry.pause(agent)
    assert give(boa.env.generate_address(), 1) == 1
    with boa.env.prank(owner):
        registry.retire(agent)
    assert give(boa.env.generate_address(), 1) == 1


GIVE = "giveFeedback(uint256,int128,uint8,string,string,string,string,bytes32)"


@pytest.mark.parametrize(
    "tag1, tag2", [("x" * (TAG_MAX + 1), ""), ("", "y" * (TAG_MAX + 1)), ("z" * TAG_INPUT_MAX, "")]
)
def test_tag_too_long(reputation, agent, client, tag1, tag2):
    """Tags are stored up to 64 bytes; longer ones, up to the 256-byte ABI
    bound, are refused with a reason."""
    with boa.reverts("reputation: tag too long"), boa.env.prank(client):
        reputation.giveFeedback(agent, 1, 0, tag1, tag2, "", "", ZERO_HASH)


@pytest.mark.parametrize(
    "tag1, tag2, endpoint, uri",
    [
        ("x" * (TAG_INPUT_MAX + 1), "", "", ""),
        ("", "y" * (TAG_INPUT_MAX + 1), "", ""),
        ("", "", "e" * (URI_MAX + 1), ""),
        ("", "", "", "u" * (URI_MAX + 1)),
    ],
)
def test_inputs_past_their_abi_bound_are_refused_by_the_decoder(reputation, agent, client, tag1, tag2, endpoint, uri):
    """Past their ABI bounds (tags 256 bytes, URIs 4,096) the decoder
    refuses inputs without a reason; URIs at the bound pass."""
    refused = call_raw(reputation, GIVE, [agent, 1, 0, tag1, tag2, endpoint, uri, ZERO_HASH], sender=client)
    assert refused.is_error and refused.output == b""
    at_bound = [agent, 1, 0, tag1[:TAG_MAX], tag2[:TAG_MAX], endpoint[:URI_MAX], uri[:URI_MAX], ZERO_HASH]
    assert not call_raw(reputation, GIVE, at_bound, sender=client).is_error


# ---------------------------------------------------------------- revokeFeedback


def test_revoke_own_feedback(reputation, give, agent, client, reputation_events):
    give(client, 5, 1, "t")
    with boa.env.prank(client):
        reputation.revokeFeedback(agent, 1)
    assert reputation_events() == [
        Event("FeedbackRevoked", {"agentId": agent, "clientAddress": client, "feedbackIndex": 1})
    ]
    assert reputation.readFeedback(agent, client, 1) == (5, 1, "t", "", True)
    assert reputation.getLastIndex(agent, client) == 1  # nothing is deleted


def test_revoke_refusals(reputation, give, agent, clients):
    give(clients[0], 1)
    with boa.env.prank(clients[0]):
        with boa.reverts("reputation: index zero"):
            reputation.revokeFeedback(agent, 0)
        with boa.reverts("reputation: index out of bounds"):
            reputation.revokeFeedback(agent, 2)
        reputation.revokeFeedback(agent, 1)
        with boa.reverts("reputation: already revoked"):
            reputation.revokeFeedback(agent, 1)
    # only one's own: another client has no index 1 on this agent
    with boa.reverts("reputation: index out of bounds"), boa.env.prank(clients[1]):
        reputation.revokeFeedback(agent, 1)


def test_revoke_only_the_named_entry(reputation, give, agent, client):
    for v in (1, 2, 3):
        give(client, v)
    with boa.env.prank(client):
        reputation.revokeFeedback(agent, 2)
    assert [reputation.readFeedback(agent, client, i)[4] for i in (1, 2, 3)] == [False, True, False]


# ---------------------------------------------------------------- appendResponse


def test_append_response(reputation, give, agent, client, stranger, owner, reputation_events):
    give(client, 1)
    for responder in (stranger, owner, client):
        with boa.env.prank(responder):
            reputation.appendResponse(agent, client, 1, "ipfs://answer", DIGEST)
        assert reputation_events() == [
            Event(
                "ResponseAppended",
                {
                    "agentId": agent,
                    "clientAddress": client,
                    "feedbackIndex": 1,
                    "responder": responder,
                    "responseURI": "ipfs://answer",
                    "responseHash": DIGEST,
                },
            )
        ]
    assert reputation.getResponseCount(agent, client, 1, []) == 3


def test_responses_to_revoked_feedback_are_allowed(reputation, give, agent, client, stranger, respond):
    give(client, 1)
    with boa.env.prank(client):
        reputation.revokeFeedback(agent, 1)
    respond(stranger, client, 1)
    assert reputation.getResponseCount(agent, client, 1, []) == 1


def test_append_response_refusals(reputation, give, agent, client, stranger):
    give(client, 1)
    with boa.env.prank(stranger):
        with boa.reverts("reputation: index zero"):
            reputation.appendResponse(agent, client, 0, "ipfs://a", ZERO_HASH)
        with boa.reverts("reputation: empty URI"):
            reputation.appendResponse(agent, client, 1, "", ZERO_HASH)
        with boa.reverts("reputation: index out of bounds"):
            reputation.appendResponse(agent, client, 2, "ipfs://a", ZERO_HASH)
        with boa.reverts("reputation: index out of bounds"):
            reputation.appendResponse(agent, stranger, 1, "ipfs://a", ZERO_HASH)
        with boa.reverts("reputation: index out of bounds"):
            reputation.appendResponse(agent + 1, client, 1, "ipfs://a", ZERO_HASH)
        # as the reference: the index is checked before the URI
        with boa.reverts("reputation: index zero"):
            reputation.appendResponse(agent, client, 0, "", ZERO_HASH)


# ---------------------------------------------------------------- readFeedback


def test_read_feedback_refusals(reputation, give, agent, client, stranger):
    give(client, 1)
    with boa.reverts("reputation: index zero"):
        reputation.readFeedback(agent, client, 0)
    with boa.reverts("reputation: index out of bounds"):
        reputation.readFeedback(agent, client, 2)
    with boa.reverts("reputation: index out of bounds"):
        reputation.readFeedback(agent, stranger, 1)
    with boa.reverts("reputation: index out of bounds"):
        reputation.readFeedback(12345, client, 1)
