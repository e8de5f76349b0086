"""ReputationRegistry views: readAllFeedback, getSummary (the reference's
WAD averaging in the most frequent decimals), getResponseCount in its three
modes, getClients and the paging extension."""

from __future__ import annotations

import boa
import pytest

from .conftest import ZERO_ADDRESS, reference_summary


@pytest.fixture
def revoke(reputation, agent):
    def _revoke(client: str, index: int) -> None:
        with boa.env.prank(client):
            reputation.revokeFeedback(agent, index)

    return _revoke


# ---------------------------------------------------------------- readAllFeedback


def _rows(result) -> list[tuple]:
    """readAllFeedback's seven arrays as rows."""
    return list(zip(*result, strict=True))


@pytest.fixture
def mixed(give, revoke, clients):
    """c0: (10,0,"a","x"), (20,0,"b","x") revoked, (30,1,"a","y");
    c1: (-5,0,"a","x"); c2: (7,2,"","")."""
    c0, c1, c2 = clients[:3]
    give(c0, 10, 0, "a", "x")
    give(c0, 20, 0, "b", "x")
    give(c0, 30, 1, "a", "y")
    give(c1, -5, 0, "a", "x")
    give(c2, 7, 2)
    revoke(c0, 2)
    return c0, c1, c2


def test_read_all_feedback_of_every_client(reputation, agent, mixed):
    c0, c1, c2 = mixed
    assert _rows(reputation.readAllFeedback(agent, [], "", "", True)) == [
        (c0, 1, 10, 0, "a", "x", False),
        (c0, 2, 20, 0, "b", "x", True),
        (c0, 3, 30, 1, "a", "y", False),
        (c1, 1, -5, 0, "a", "x", False),
        (c2, 1, 7, 2, "", "", False),
    ]
    assert _rows(reputation.readAllFeedback(agent, [], "", "", False)) == [
        (c0, 1, 10, 0, "a", "x", False),
        (c0, 3, 30, 1, "a", "y", False),
        (c1, 1, -5, 0, "a", "x", False),
        (c2, 1, 7, 2, "", "", False),
    ]


def test_read_all_feedback_filters(reputation, agent, mixed):
    c0, c1, c2 = mixed
    assert [(r[0], r[1]) for r in _rows(reputation.readAllFeedback(agent, [], "a", "", True))] == [
        (c0, 1), (c0, 3), (c1, 1),
    ]
    assert [(r[0], r[1]) for r in _rows(reputation.readAllFeedback(agent, [], "", "x", True))] == [
        (c0, 1), (c0, 2), (c1, 1),
    ]
    assert [(r[0], r[1]) for r in _rows(reputation.readAllFeedback(agent, [], "a", "x", False))] == [
        (c0, 1), (c1, 1),
    ]
    assert _rows(reputation.readAllFeedback(agent, [], "b", "", False)) == []
    assert [(r[0], r[1]) for r in _rows(reputation.readAllFeedback(agent, [], "b", "", True))] == [(c0, 2)]
    # a tag that is a prefix, or longer, does not match
    assert _rows(reputation.readAllFeedback(agent, [], "aa", "", True)) == []
    assert _rows(reputation.readAllFeedback(agent, [], "", "xy", True)) == []


def test_read_all_feedback_of_given_clients_in_their_order(reputation, agent, mixed, stranger):
    c0, c1, c2 = mixed
    rows = _rows(reputation.readAllFeedback(agent, [c2, stranger, c1, c2], "", "", True))
    assert [(r[0], r[1]) for r in rows] == [(c2, 1), (c1, 1), (c2, 1)]  # as listed, duplicates included


def test_read_all_feedback_of_an_agent_without_feedback(reputation, agent):
    assert reputation.readAllFeedback(agent, [], "", "", True) == ([], [], [], [], [], [], [])
    assert reputation.readAllFeedback(77, [], "", "", True) == ([], [], [], [], [], [], [])


# ---------------------------------------------------------------- getSummary


def test_summary_requires_clients(reputation, agent, mixed):
    with boa.reverts("reputation: clients required"):
        reputation.getSummary(agent, [], "", "")


def test_summary_of_plain_scores(reputation, agent, give, clients):
    for client, score in zip(clients, (80, 90, 100, 75), strict=False):
        give(client, score)
    assert reputation.getSummary(agent, clients[:4], "", "") == (4, 86, 0)  # 345 / 4 = 86.25


def test_summary_excludes_revoked_and_filters_tags(reputation, agent, mixed):
    c0, c1, c2 = mixed
    everyone = [c0, c1, c2]
    # counted: 10 (d0), 3.0 (30,d1), -5 (d0), 0.07 (7,d2): mode 0, average 8.07 / 4 = 2.0175
    assert reputation.getSummary(agent, everyone, "", "") == (4, 2, 0)
    assert reputation.getSummary(agent, everyone, "", "") == reference_summary([(10, 0), (30, 1), (-5, 0), (7, 2)])
    # tag1 "a": 10, 3.0, -5 -> 8 / 3 = 2.666.. in decimals 0 -> 2
    assert reputation.getSummary(agent, everyone, "a", "") == (3, 2, 0)
    # tag2 "x": the revoked 20 is out: 10, -5 -> 2.5 -> 2
    assert reputation.getSummary(agent, everyone, "", "x") == (2, 2, 0)
    assert reputation.getSummary(agent, everyone, "a", "y") == (1, 30, 1)
    assert reputation.getSummary(agent, everyone, "b", "") == (0, 0, 0)


def test_summary_in_the_most_frequent_decimals(reputation, agent, give, clients):
    give(clients[0], 9977, 2)  # 99.77
    give(clients[1], 9950, 2)  # 99.50
    give(clients[2], 98, 0)  # 98
    assert reputation.getSummary(agent, clients[:3], "", "") == (3, 9909, 2)  # 99.09


def test_summary_tie_takes_the_fewest_decimals(reputation, agent, give, clients):
    give(clients[0], 15, 1)  # 1.5
    give(clients[1], 3, 0)  # 3
    assert reputation.getSummary(agent, clients[:2], "", "") == (2, 2, 0)  # 2.25 -> 2


def test_summary_rounds_toward_zero(reputation, agent, give, clients):
    give(clients[0], -7, 0)
    give(clients[1], -8, 0)
    assert reputation.getSummary(agent, clients[:2], "", "") == (2, -7, 0)  # -7.5 -> -7
    give(clients[2], -1, 3)  # mode still 0
    assert reputation.getSummary(agent, clients[:3], "", "") == reference_summary([(-7, 0), (-8, 0), (-1, 3)])


def test_summary_counts_a_client_listed_twice_twice(reputation, agent, give, clients):
    give(clients[0], 10)
    give(clients[1], 40)
    assert reputation.getSummary(agent, [clients[0], clients[0], clients[1]], "", "") == (3, 20, 0)


def test_summary_ignores_clients_without_feedback(reputation, agent, give, clients, stranger):
    give(clients[0], 10)
    assert reputation.getSummary(agent, [stranger], "", "") == (0, 0, 0)
    assert reputation.getSummary(agent, [stranger, clients[0]], "", "") == (1, 10, 0)


def test_summary_of_extreme_values(reputation, agent, give, clients):
    give(clients[0], 10**38, 18)
    give(clients[1], 10**38, 18)
    assert reputation.getSummary(agent, clients[:2], "", "") == (2, 10**38, 18)
    give(clients[2], -(10**38), 0)
    give(clients[3], -(10**38), 0)
    give(clients[4], -(10**38), 0)
    expected = reference_summary([(10**38, 18)] * 2 + [(-(10**38), 0)] * 3)
    assert expected is not None
    assert reputation.getSummary(agent, clients, "", "") == expected


def test_summary_overflow_is_refused_not_cut(reputation, agent, give, clients):
    """10**38 with 0 decimals among entries whose mode is 18 decimals averages
    to ~3.3 * 10**55 units of 10**-18: beyond int128. The reference's cast
    keeps the low 128 bits; Charter refuses."""
    give(clients[0], 10**38, 0)
    give(clients[1], 1, 18)
    give(clients[2], 1, 18)
    assert reference_summary([(10**38, 0), (1, 18), (1, 18)]) is None
    with boa.reverts("reputation: summary overflow"):
        reputation.getSummary(agent, clients[:3], "", "")
    assert reputation.getSummary(agent, clients[:1], "", "") == (1, 10**38, 0)


# ---------------------------------------------------------------- getResponseCount


@pytest.fixture
def answered(give, respond, clients, stranger, owner):
    """c0 #1: stranger x2, owner x1; c0 #2: owner x1; c1 #1: stranger x1; c2 #1: none."""
    c0, c1, c2 = clients[:3]
    give(c0, 1)
    give(c0, 2)
    give(c1, 3)
    give(c2, 4)
    respond(stranger, c0, 1)
    respond(stranger, c0, 1)
    respond(owner, c0, 1)
    respond(owner, c0, 2)
    respond(stranger, c1, 1)
    return c0, c1, c2


def test_response_count_of_one_feedback(reputation, agent, answered, stranger, owner, operator):
    c0, c1, c2 = answered
    assert reputation.getResponseCount(agent, c0, 1, []) == 3
    assert reputation.getResponseCount(agent, c0, 1, [stranger]) == 2
    assert reputation.getResponseCount(agent, c0, 1, [owner]) == 1
    assert reputation.getResponseCount(agent, c0, 1, [operator]) == 0
    assert reputation.getResponseCount(agent, c0, 1, [stranger, stranger]) == 4  # listed twice, counted twice
    assert reputation.getResponseCount(agent, c2, 1, []) == 0
    assert reputation.getResponseCount(agent, c0, 9, []) == 0  # past the last index: none (as the reference)


def test_response_count_of_one_client(reputation, agent, answered, stranger, owner):
    c0, c1, c2 = answered
    assert reputation.getResponseCount(agent, c0, 0, []) == 4
    assert reputation.getResponseCount(agent, c0, 0, [owner]) == 2
    assert reputation.getResponseCount(agent, c1, 0, [owner]) == 0
    assert reputation.getResponseCount(agent, c2, 0, []) == 0


def test_response_count_of_every_client(reputation, agent, answered, stranger, owner):
    assert reputation.getResponseCount(agent, ZERO_ADDRESS, 0, []) == 5
    assert reputation.getResponseCount(agent, ZERO_ADDRESS, 1, []) == 5  # the index is ignored
    assert reputation.getResponseCount(agent, ZERO_ADDRESS, 0, [stranger]) == 3
    assert reputation.getResponseCount(agent, ZERO_ADDRESS, 0, [owner, stranger]) == 5
    assert reputation.getResponseCount(agent + 1, ZERO_ADDRESS, 0, []) == 0


def test_revoked_feedback_keeps_its_responses(reputation, agent, answered):
    c0, _, _ = answered
    with boa.env.prank(c0):
        reputation.revokeFeedback(agent, 1)
    assert reputation.getResponseCount(agent, c0, 1, []) == 3


# ---------------------------------------------------------------- clients and paging


def test_get_clients_and_pages(reputation, agent, give, clients):
    for client in reversed(clients):
        give(client, 1)
        give(client, 2)
    expected = list(reversed(clients))
    assert reputation.getClients(agent) == expected
    assert reputation.getClientCount(agent) == 5
    assert reputation.getClientsFrom(agent, 0) == expected
    assert reputation.getClientsFrom(agent, 3) == expected[3:]
    assert reputation.getClientsFrom(agent, 5) == []
    assert reputation.getClientsFrom(agent, 2**256 - 1) == []
    assert reputation.getClientCount(agent + 1) == 0
