"""The bounds Vyper needs, and what the registries do at and past them.

Storage-dependent bounds (clients per agent, records a view reads, results
returned, requests per agent or validator) are refused with a reason, never
silently truncated, and the paging extension reads past them. Input bounds
(address lists, tags, URIs) are ABI bounds: the decoder refuses longer
inputs without a reason. Each view stays under 30M gas at its bounds.
Counters past what transactions can reach in a unit test are written in
storage (`poke`), with entries that decode as real feedback."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from .conftest import (
    FEEDBACK_MAX,
    LIST_MAX,
    READ_MAX,
    TAG_INPUT_MAX,
    TAG_MAX,
    VALIDATION_READ_MAX,
    VALIDATORS_MAX,
    ZERO_ADDRESS,
    ZERO_HASH,
    call_raw,
    peek,
    poke,
    slot_of,
)

VIEW_GAS_CEILING = 30_000_000
TAG2 = "quality-of-service"


def _fill(reputation, agent: int, client: str, n: int, start: int = 2) -> None:
    """Make `client`'s entries `start`..`n` copies of its entry 1 (its
    packed word and its four tag words, consecutive slots) and its last
    index `n`."""
    keys = [("uint256", agent), ("address", client)]
    word = peek(reputation, "_feedback", [*keys, ("uint64", 1)])
    first = slot_of(reputation, "_tag_words", *keys, ("uint64", 1))
    tags = [int(boa.env.get_storage(reputation.address, first + i)) for i in range(4)]
    for index in range(start, n + 1):
        poke(reputation, "_feedback", [*keys, ("uint64", index)], word)
        base = slot_of(reputation, "_tag_words", *keys, ("uint64", index))
        for i, tag_word in enumerate(tags):
            boa.env.set_storage(reputation.address, base + i, tag_word)
    poke(reputation, "_last_index", keys, n)


@pytest.fixture
def seeded(give, client):
    """`client` gave one real entry (value 3, decimals 1, tags "starred" / TAG2:
    too long together to sit in the feedback word, so each visit with tag
    filters reads the stored tag words, the costlier case)."""
    give(client, 3, 1, "starred", TAG2)
    return client


# ---------------------------------------------------------------- reputation: clients per agent


def test_too_many_clients_for_the_whole_agent_views(reputation, agent, seeded):
    poke(reputation, "_client_count", [("uint256", agent)], LIST_MAX + 1)
    for view in (
        lambda: reputation.getClients(agent),
        lambda: reputation.readAllFeedback(agent, [], "", "", True),
        lambda: reputation.getResponseCount(agent, ZERO_ADDRESS, 0, []),
    ):
        with boa.reverts("reputation: too many clients"):
            view()
    # an explicit list and the pages still read everything
    assert reputation.getSummary(agent, [seeded], "", "") == (1, 3, 1)
    assert len(reputation.getClientsFrom(agent, 0)) == LIST_MAX
    assert reputation.getClientsFrom(agent, LIST_MAX) == [ZERO_ADDRESS]  # the poked count's unwritten slot


def test_exactly_list_max_clients(reputation, agent, seeded, gas_of):
    poke(reputation, "_client_count", [("uint256", agent)], LIST_MAX)
    clients = reputation.getClients(agent)
    assert len(clients) == LIST_MAX and clients[0] == seeded
    assert gas_of(reputation) < VIEW_GAS_CEILING
    # the other positions hold no client: they have no feedback to read
    assert reputation.getResponseCount(agent, ZERO_ADDRESS, 0, []) == 0


# ---------------------------------------------------------------- reputation: records per view


def test_read_budget_at_and_past_the_bound(reputation, agent, seeded, gas_of):
    _fill(reputation, agent, seeded, READ_MAX)
    assert reputation.getSummary(agent, [seeded], "starred", TAG2) == (READ_MAX, 3, 1)
    assert gas_of(reputation) < VIEW_GAS_CEILING
    assert reputation.getResponseCount(agent, seeded, 0, []) == 0
    assert gas_of(reputation) < VIEW_GAS_CEILING
    poke(reputation, "_last_index", [("uint256", agent), ("address", seeded)], READ_MAX + 1)
    with boa.reverts("reputation: too many to read"):
        reputation.getSummary(agent, [seeded], "", "")
    with boa.reverts("reputation: too many to read"):
        reputation.readAllFeedback(agent, [seeded], "no-such-tag", "", True)
    with boa.reverts("reputation: too many to read"):
        reputation.getResponseCount(agent, seeded, 0, [])
    # single entries stay readable
    assert reputation.readFeedback(agent, seeded, READ_MAX) == (3, 1, "starred", TAG2, False)


def test_read_budget_is_per_call_across_clients(reputation, agent, give, clients):
    first, second = clients[:2]
    give(first, 1)
    give(second, 1)
    _fill(reputation, agent, first, READ_MAX // 2)
    _fill(reputation, agent, second, READ_MAX // 2)
    assert reputation.getSummary(agent, [first, second], "", "")[0] == READ_MAX
    with boa.reverts("reputation: too many to read"):
        reputation.getSummary(agent, [first, second, first], "", "")


def test_response_counters_count_towards_the_budget(reputation, agent, give, client, stranger, respond):
    for _ in range(4):
        give(client, 1)
    respond(stranger, client, 1)
    # one client, all feedback: 4 entries + 4 x 511 counters = 2,048
    assert reputation.getResponseCount(agent, client, 0, [stranger] * 511) == 511
    with boa.reverts("reputation: too many to read"):
        reputation.getResponseCount(agent, client, 0, [stranger] * 512)
    # every responder's responses: one total per entry, whatever the number of responders
    assert reputation.getResponseCount(agent, client, 0, []) == 1


# ---------------------------------------------------------------- reputation: results


def test_read_all_feedback_results_bound(reputation, agent, seeded, gas_of):
    _fill(reputation, agent, seeded, FEEDBACK_MAX)
    result = reputation.readAllFeedback(agent, [], "", "", True)
    assert len(result[0]) == FEEDBACK_MAX
    assert result[4][-1] == "starred" and result[5][-1] == TAG2 and result[1][-1] == FEEDBACK_MAX
    assert gas_of(reputation) < VIEW_GAS_CEILING
    _fill(reputation, agent, seeded, FEEDBACK_MAX + 1, start=FEEDBACK_MAX + 1)
    with boa.reverts("reputation: too many results"):
        reputation.readAllFeedback(agent, [], "", "", True)
    # a filter that leaves FEEDBACK_MAX results passes
    with boa.env.prank(seeded):
        reputation.revokeFeedback(agent, 1)
    assert len(reputation.readAllFeedback(agent, [], "", "", False)[0]) == FEEDBACK_MAX


def test_read_all_feedback_worst_case(reputation, agent, seeded, gas_of):
    """READ_MAX entries visited with both tag filters, half of them matching
    tag1 and tag2's length but not tag2's word: FEEDBACK_MAX results."""
    _fill(reputation, agent, seeded, READ_MAX)
    for index in range(FEEDBACK_MAX + 1, READ_MAX + 1):
        tag2 = slot_of(reputation, "_tag_words", ("uint256", agent), ("address", seeded), ("uint64", index)) + 2
        boa.env.set_storage(reputation.address, tag2, int.from_bytes(TAG2.upper().encode().ljust(32, b"\x00"), "big"))
    result = reputation.readAllFeedback(agent, [], "starred", TAG2, True)
    assert len(result[0]) == FEEDBACK_MAX and result[1][-1] == FEEDBACK_MAX
    assert gas_of(reputation) < VIEW_GAS_CEILING
    assert reputation.readFeedback(agent, seeded, READ_MAX)[3] == TAG2.upper()


def test_filters_longer_than_any_stored_tag_match_nothing(reputation, validation, agent, seeded, validator,
                                                          request_validation, answer):
    """As the reference: a filter no stored tag can equal is not an error."""
    long_tag = "s" * TAG_INPUT_MAX
    assert reputation.getSummary(agent, [seeded], long_tag, "") == (0, 0, 0)
    assert reputation.getSummary(agent, [seeded], "", "starred" + "x" * TAG_MAX) == (0, 0, 0)
    assert reputation.readAllFeedback(agent, [], long_tag, "", True) == ([], [], [], [], [], [], [])
    answer(validator, request_validation(validator, "job"), 80, "t" * TAG_MAX)
    assert validation.getSummary(agent, [], "t" * TAG_MAX) == (1, 80)
    assert validation.getSummary(agent, [], "t" * (TAG_MAX + 1)) == (0, 0)


# ---------------------------------------------------------------- reputation: ABI bounds


def test_address_lists_past_their_abi_bound(reputation, agent, seeded):
    summary = "getSummary(uint256,address[],string,string)"
    ok = call_raw(reputation, summary, [agent, [seeded] * LIST_MAX, "", ""])
    assert not ok.is_error
    refused = call_raw(reputation, summary, [agent, [seeded] * (LIST_MAX + 1), "", ""])
    assert refused.is_error and refused.output == b""
    responses = "getResponseCount(uint256,address,uint64,address[])"
    refused = call_raw(reputation, responses, [agent, seeded, 1, [seeded] * (LIST_MAX + 1)])
    assert refused.is_error and refused.output == b""


# ---------------------------------------------------------------- validation


def test_request_lists_past_the_bound(validation, agent, validator, request_validation, gas_of):
    request = request_validation(validator, "job")
    poke(validation, "_agent_request_count", [("uint256", agent)], LIST_MAX)
    poke(validation, "_validator_request_count", [("address", validator)], LIST_MAX)
    assert len(validation.getAgentValidations(agent)) == LIST_MAX
    assert gas_of(validation) < VIEW_GAS_CEILING
    assert validation.getValidatorRequests(validator)[0] == request
    poke(validation, "_agent_request_count", [("uint256", agent)], LIST_MAX + 1)
    poke(validation, "_validator_request_count", [("address", validator)], LIST_MAX + 1)
    with boa.reverts("validation: too many requests"):
        validation.getAgentValidations(agent)
    with boa.reverts("validation: too many requests"):
        validation.getValidatorRequests(validator)
    assert validation.getAgentValidationsFrom(agent, 0)[0] == request
    assert len(validation.getAgentValidationsFrom(agent, 1)) == LIST_MAX
    assert len(validation.getValidatorRequestsFrom(validator, LIST_MAX)) == 1


def test_summary_read_bound(validation, agent, validator, validators, request_validation, answer, gas_of):
    request = request_validation(validator, "job")
    answer(validator, request, 50, "tag")
    word = peek(validation, "_status", [("bytes32", request)])
    for i in range(1, VALIDATION_READ_MAX):
        name = i.to_bytes(32, "big")
        poke(validation, "_agent_requests", [("uint256", agent), ("uint256", i)], i)
        poke(validation, "_status", [("bytes32", name)], word)
    poke(validation, "_agent_request_count", [("uint256", agent)], VALIDATION_READ_MAX)
    assert validation.getSummary(agent, [validator], "") == (VALIDATION_READ_MAX, 50)
    # the worst cases: every request compared with a full filter that misses,
    # or found last in it and then its tag read (the copies' tag words are
    # unwritten, so only the original matches)
    misses = [boa.env.generate_address(f"miss-{i}") for i in range(VALIDATORS_MAX)]
    assert validation.getSummary(agent, misses, "") == (0, 0)
    assert gas_of(validation) < VIEW_GAS_CEILING
    assert validation.getSummary(agent, [*misses[1:], validator], "tag") == (1, 50)
    assert gas_of(validation) < VIEW_GAS_CEILING
    poke(validation, "_agent_request_count", [("uint256", agent)], VALIDATION_READ_MAX + 1)
    with boa.reverts("validation: too many to read"):
        validation.getSummary(agent, [], "")


def test_validator_filter_past_its_abi_bound(validation, agent, validators):
    summary = "getSummary(uint256,address[],string)"
    assert not call_raw(validation, summary, [agent, [validators[0]] * VALIDATORS_MAX, ""]).is_error
    refused = call_raw(validation, summary, [agent, [validators[0]] * (VALIDATORS_MAX + 1), ""])
    assert refused.is_error and refused.output == b""


def test_validation_tags_and_uris_past_their_bounds(validation, agent, owner, validator, request_validation):
    request = request_validation(validator, "job")
    respond = "validationResponse(bytes32,uint8,string,bytes32,string)"
    assert not call_raw(validation, respond, [request, 1, "", ZERO_HASH, "t" * TAG_MAX], sender=validator).is_error
    for length in (TAG_MAX + 1, TAG_INPUT_MAX):
        with boa.reverts("validation: tag too long"), boa.env.prank(validator):
            validation.validationResponse(request, 1, "", ZERO_HASH, "t" * length)
    refused = call_raw(validation, respond, [request, 1, "", ZERO_HASH, "t" * (TAG_INPUT_MAX + 1)], sender=validator)
    assert refused.is_error and refused.output == b""
    ask = "validationRequest(address,uint256,string,bytes32)"
    refused = call_raw(validation, ask, [validator, agent, "u" * 4_097, keccak(text="x")], sender=owner)
    assert refused.is_error and refused.output == b""
