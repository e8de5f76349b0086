"""Property: over any set of feedback (values up to +-10**38, decimals 0..18,
tags, revocations, several clients) and any query (client list with
repeats and strangers, tag filters), getSummary equals the reference's
arithmetic modelled in Python (`reference_summary`: WAD sum, division
toward zero, average in the most frequent decimals, the fewest on a tie),
or refuses with "reputation: summary overflow" exactly where the
reference's int128 cast would cut the result; and readAllFeedback lists
exactly the model's matching entries, in client-then-index order."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from .conftest import MAX_ABS_VALUE, ZERO_HASH, reference_summary

TAGS = ["", "a", "b", "twelve-bytes", "x" * 40]  # inline (<= 12 bytes together) and in tag words
# Filters: mostly none, so that most queries count something.
FILTERS = st.one_of(st.just(""), st.just(""), st.sampled_from(TAGS))

values = st.one_of(
    st.integers(-100, 100),
    st.integers(-MAX_ABS_VALUE, MAX_ABS_VALUE),
    st.sampled_from([MAX_ABS_VALUE, -MAX_ABS_VALUE, 10**18, -(10**18), 1, -1]),
)
entry = st.tuples(
    values,
    st.one_of(st.sampled_from([0, 18]), st.integers(0, 18)),
    st.sampled_from(TAGS),
    st.sampled_from(TAGS),
    st.sampled_from([False, False, False, True]),  # revoked
)
feedback_sets = st.lists(st.lists(entry, min_size=1, max_size=5), min_size=1, max_size=4)  # per client


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    given_feedback=feedback_sets,
    picks=st.lists(st.integers(0, 4), min_size=1, max_size=6),  # reviewers; past the last one: a stranger
    tag1=FILTERS,
    tag2=FILTERS,
    include_revoked=st.booleans(),
)
def test_summary_matches_the_reference_model(
    reputation, agent, given_feedback, picks, tag1, tag2, include_revoked
):
    with boa.env.anchor():
        clients = [boa.env.generate_address(f"reviewer-{i}") for i in range(5)]
        for client, entries in zip(clients, given_feedback, strict=False):
            for value, decimals, t1, t2, revoked in entries:
                with boa.env.prank(client):
                    reputation.giveFeedback(agent, value, decimals, t1, t2, "", "", ZERO_HASH)
                    if revoked:
                        reputation.revokeFeedback(agent, reputation.getLastIndex(agent, client))
        query = [clients[min(i, len(given_feedback))] for i in picks]
        stored = dict(zip(clients, given_feedback, strict=False))

        def matching(with_revoked: bool) -> list[tuple]:
            return [
                (client, index, value, decimals, t1, t2, revoked)
                for client in query
                for index, (value, decimals, t1, t2, revoked) in enumerate(stored.get(client, []), start=1)
                if (with_revoked or not revoked) and tag1 in ("", t1) and tag2 in ("", t2)
            ]

        expected = reference_summary([(value, decimals) for _, _, value, decimals, _, _, _ in matching(False)])
        event("overflow" if expected is None else "empty" if expected[0] == 0 else "summary")
        if expected is None:
            with boa.reverts("reputation: summary overflow"):
                reputation.getSummary(agent, query, tag1, tag2)
        else:
            assert reputation.getSummary(agent, query, tag1, tag2) == expected

        listed = reputation.readAllFeedback(agent, query, tag1, tag2, include_revoked)
        assert list(zip(*listed, strict=True)) == matching(include_revoked)
