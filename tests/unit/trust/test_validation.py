"""ValidationRegistry: requests by the agent's owner, operators and approved
address; responses by the named validator only (0..100, repeatable);
status, summary, the request lists and their paging extension."""

from __future__ import annotations

import boa
import pytest
from eth_utils import keccak

from ..helpers import Event
from .conftest import TAG_MAX, URI_MAX, ZERO_ADDRESS, ZERO_HASH

REQUEST = keccak(text="request file")
EVIDENCE = keccak(text="evidence file")


# ---------------------------------------------------------------- deployment


def test_deployment_binds_the_identity_registry(validation, registry):
    assert validation.getIdentityRegistry() == registry.address
    assert validation.getVersion() == "2.0.0"


def test_deployment_refuses_an_identity_registry_without_code(validation_deployer, stranger):
    with boa.reverts("validation: no identity registry"):
        validation_deployer.deploy(stranger)


# ---------------------------------------------------------------- validationRequest


def test_request_by_each_authorized_address(validation, agent, authorized, validator, validation_events):
    with boa.env.prank(authorized):
        validation.validationRequest(validator, agent, "ipfs://job", REQUEST)
    assert validation_events() == [
        Event(
            "ValidationRequest",
            {"validatorAddress": validator, "agentId": agent, "requestURI": "ipfs://job", "requestHash": REQUEST},
        )
    ]
    now = boa.env.timestamp
    assert validation.getValidationStatus(REQUEST) == (validator, agent, 0, ZERO_HASH, "", now)
    assert validation.getAgentValidations(agent) == [REQUEST]
    assert validation.getValidatorRequests(validator) == [REQUEST]


def test_request_refusals(validation, agent, owner, stranger, validator, request_validation):
    with boa.env.prank(owner):
        with boa.reverts("validation: bad validator"):
            validation.validationRequest(ZERO_ADDRESS, agent, "ipfs://job", REQUEST)
        with boa.reverts("registry: unknown agent"):
            validation.validationRequest(validator, agent + 1, "ipfs://job", REQUEST)
    with boa.reverts("validation: not authorized"), boa.env.prank(stranger):
        validation.validationRequest(validator, agent, "ipfs://job", REQUEST)
    with boa.reverts("validation: not authorized"), boa.env.prank(validator):
        validation.validationRequest(validator, agent, "ipfs://job", REQUEST)
    taken = request_validation(validator, "job")
    with boa.reverts("validation: request exists"), boa.env.prank(owner):
        validation.validationRequest(stranger, agent, "ipfs://other", taken)


def test_request_hashes_are_global(validation, registry, agent, other_owner, validator, request_validation):
    """As the reference: a hash taken for one agent cannot be used for another."""
    other = registry.register(sender=other_owner)
    taken = request_validation(validator, "shared")
    with boa.reverts("validation: request exists"), boa.env.prank(other_owner):
        validation.validationRequest(validator, other, "ipfs://x", taken)


def test_check_order_matches_the_reference(validation, agent, stranger, validator, request_validation):
    taken = request_validation(validator, "job")
    with boa.env.prank(stranger):
        # zero validator first, then the hash, then the agent, then the caller
        with boa.reverts("validation: bad validator"):
            validation.validationRequest(ZERO_ADDRESS, 999, "", taken)
        with boa.reverts("validation: request exists"):
            validation.validationRequest(validator, 999, "", taken)
        with boa.reverts("registry: unknown agent"):
            validation.validationRequest(validator, 999, "", REQUEST)


def test_former_owner_may_not_request(validation, registry, agent, owner, other_owner, validator):
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    with boa.reverts("validation: not authorized"), boa.env.prank(owner):
        validation.validationRequest(validator, agent, "", REQUEST)
    with boa.env.prank(other_owner):
        validation.validationRequest(validator, agent, "", REQUEST)


def test_zero_request_hash_and_long_uri(validation, agent, owner, validator, validation_events):
    with boa.env.prank(owner):
        validation.validationRequest(validator, agent, "u" * URI_MAX, ZERO_HASH)
    assert validation_events()[0].args["requestURI"] == "u" * URI_MAX
    assert validation.getValidationStatus(ZERO_HASH)[0] == validator


# ---------------------------------------------------------------- validationResponse


def test_response_by_the_validator(validation, agent, validator, request_validation, validation_events):
    request = request_validation(validator, "job")
    boa.env.time_travel(seconds=60)
    with boa.env.prank(validator):
        validation.validationResponse(request, 87, "ipfs://evidence", EVIDENCE, "zkml")
    assert validation_events() == [
        Event(
            "ValidationResponse",
            {
                "validatorAddress": validator,
                "agentId": agent,
                "requestHash": request,
                "response": 87,
                "responseURI": "ipfs://evidence",
                "responseHash": EVIDENCE,
                "tag": "zkml",
            },
        )
    ]
    assert validation.getValidationStatus(request) == (validator, agent, 87, EVIDENCE, "zkml", boa.env.timestamp)


def test_progressive_responses_replace_the_last(validation, agent, validator, request_validation, answer):
    request = request_validation(validator, "job")
    answer(validator, request, 40, "x" * TAG_MAX, EVIDENCE)
    boa.env.time_travel(seconds=5)
    answer(validator, request, 100, "soft")
    assert validation.getValidationStatus(request) == (validator, agent, 100, ZERO_HASH, "soft", boa.env.timestamp)
    answer(validator, request, 0, "")
    assert validation.getValidationStatus(request) == (validator, agent, 0, ZERO_HASH, "", boa.env.timestamp)
    assert validation.getSummary(agent, [], "") == (1, 0)  # answered with 0 still counts


def test_response_refusals(validation, agent, owner, validator, stranger, request_validation):
    request = request_validation(validator, "job")
    for caller in (owner, stranger):
        with boa.reverts("validation: not validator"), boa.env.prank(caller):
            validation.validationResponse(request, 50, "", ZERO_HASH, "")
    with boa.env.prank(validator):
        with boa.reverts("validation: unknown request"):
            validation.validationResponse(REQUEST, 50, "", ZERO_HASH, "")
        with boa.reverts("validation: response over 100"):
            validation.validationResponse(request, 101, "", ZERO_HASH, "")
        with boa.reverts("validation: response over 100"):
            validation.validationResponse(request, 255, "", ZERO_HASH, "")
        validation.validationResponse(request, 100, "", ZERO_HASH, "")


def test_responses_survive_a_transfer_of_the_agent(validation, registry, agent, owner, other_owner, validator,
                                                    request_validation, answer):
    request = request_validation(validator, "job")
    with boa.env.prank(owner):
        registry.transferFrom(owner, other_owner, agent)
    answer(validator, request, 70)
    assert validation.getSummary(agent, [], "") == (1, 70)


def test_unknown_request_status(validation):
    with boa.reverts("validation: unknown request"):
        validation.getValidationStatus(REQUEST)


# ---------------------------------------------------------------- getSummary


@pytest.fixture
def scored(agent, validators, request_validation, answer):
    """v0: 80 "a", 91 "b"; v1: 60 "a", one unanswered; v2: 100 "" then re-answered 20 "a"."""
    v0, v1, v2 = validators
    answer(v0, request_validation(v0, "r1"), 80, "a")
    answer(v0, request_validation(v0, "r2"), 91, "b")
    answer(v1, request_validation(v1, "r3"), 60, "a")
    request_validation(v1, "r4")
    r5 = request_validation(v2, "r5")
    answer(v2, r5, 100, "")
    answer(v2, r5, 20, "a")
    return v0, v1, v2


def test_summary(validation, agent, scored, stranger):
    v0, v1, v2 = scored
    assert validation.getSummary(agent, [], "") == (4, 62)  # (80 + 91 + 60 + 20) / 4 = 62.75
    assert validation.getSummary(agent, [v0], "") == (2, 85)  # 85.5 rounds down
    assert validation.getSummary(agent, [v1], "") == (1, 60)  # the unanswered request is out
    assert validation.getSummary(agent, [v1, v2], "") == (2, 40)
    assert validation.getSummary(agent, [v0, v0], "") == (2, 85)  # a validator listed twice counts once
    assert validation.getSummary(agent, [], "a") == (3, 53)  # 160 / 3
    assert validation.getSummary(agent, [v0], "b") == (1, 91)
    assert validation.getSummary(agent, [stranger], "") == (0, 0)
    assert validation.getSummary(agent, [], "ab") == (0, 0)
    assert validation.getSummary(agent + 1, [], "") == (0, 0)


# ---------------------------------------------------------------- lists and paging


def test_lists_and_pages(validation, registry, agent, other_owner, validators, request_validation):
    other = registry.register(sender=other_owner)
    v0, v1, _ = validators
    mine = [request_validation(v0, "m0"), request_validation(v1, "m1"), request_validation(v0, "m2")]
    theirs = request_validation(v0, "t0", caller=other_owner, agent_id=other)
    assert validation.getAgentValidations(agent) == mine
    assert validation.getAgentValidations(other) == [theirs]
    assert validation.getValidatorRequests(v0) == [mine[0], mine[2], theirs]
    assert validation.getValidatorRequests(v1) == [mine[1]]
    assert validation.getAgentValidationCount(agent) == 3
    assert validation.getValidatorRequestCount(v0) == 3
    assert validation.getAgentValidationsFrom(agent, 1) == mine[1:]
    assert validation.getAgentValidationsFrom(agent, 3) == []
    assert validation.getValidatorRequestsFrom(v0, 2) == [theirs]
    assert validation.getValidatorRequestsFrom(v0, 2**256 - 1) == []
    assert validation.getAgentValidations(999) == []
    assert validation.getValidatorRequests(ZERO_ADDRESS) == []
