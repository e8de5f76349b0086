"""ABI compatibility with the ERC-8004 reference deployment
(erc-8004/erc-8004-contracts 2.0.0, abis/ReputationRegistry.json and
abis/ValidationRegistry.json).

The expectations are the reference ABI's ERC-8004 surface written out as
literals (signature -> selector, output types, state mutability; event
signature -> topic0, indexed flags), so the test runs offline. Every entry
must exist in the compiled contract with the same inputs, outputs and
mutability, the same selector or topic, and the same indexed arguments.
The reference's proxy and ownership surface is deliberately absent (Charter
contracts are immutable), and the only additions are the documented
read-only paging extension."""

from __future__ import annotations

from typing import Any

import boa
import pytest
from eth_utils import keccak

from .conftest import call_raw

# signature: (selector, outputs, stateMutability)
REPUTATION_FUNCTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "giveFeedback(uint256,int128,uint8,string,string,string,string,bytes32)": ("0x3c036a7e", (), "nonpayable"),
    "revokeFeedback(uint256,uint64)": ("0x4ab3ca99", (), "nonpayable"),
    "appendResponse(uint256,address,uint64,string,bytes32)": ("0xc2349ab2", (), "nonpayable"),
    "getLastIndex(uint256,address)": ("0xf2d81759", ("uint64",), "view"),
    "readFeedback(uint256,address,uint64)": ("0x232b0810", ("int128", "uint8", "string", "string", "bool"), "view"),
    "readAllFeedback(uint256,address[],string,string,bool)": (
        "0xd9d84224",
        ("address[]", "uint64[]", "int128[]", "uint8[]", "string[]", "string[]", "bool[]"),
        "view",
    ),
    "getSummary(uint256,address[],string,string)": ("0x81bbba58", ("uint64", "int128", "uint8"), "view"),
    "getResponseCount(uint256,address,uint64,address[])": ("0x6e04cacd", ("uint64",), "view"),
    "getClients(uint256)": ("0x42dd519c", ("address[]",), "view"),
    "getIdentityRegistry()": ("0xbc4d861b", ("address",), "view"),
    "getVersion()": ("0x0d8e6e2c", ("string",), "pure"),
}
# signature: (topic0, indexed flags)
REPUTATION_EVENTS: dict[str, tuple[str, tuple[bool, ...]]] = {
    "NewFeedback(uint256,address,uint64,int128,uint8,string,string,string,string,string,bytes32)": (
        "0x6a4a61743519c9d648a14e6493f47dbe3ff1aa29e7785c96c8326a205e58febc",
        (True, True, False, False, False, True, False, False, False, False, False),
    ),
    "FeedbackRevoked(uint256,address,uint64)": (
        "0x25156fd3288212246d8b008d5921fde376c71ed14ac2e072a506eb06fde6d09d",
        (True, True, True),
    ),
    "ResponseAppended(uint256,address,uint64,address,string,bytes32)": (
        "0xb1c6be0b5b8aef6539e2fac0fd131a2faa7b49edf8e505b5eb0ad487d56051d4",
        (True, True, False, True, False, False),
    ),
}
VALIDATION_FUNCTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "validationRequest(address,uint256,string,bytes32)": ("0xaaf400c4", (), "nonpayable"),
    "validationResponse(bytes32,uint8,string,bytes32,string)": ("0x3d659a96", (), "nonpayable"),
    "getValidationStatus(bytes32)": (
        "0xff2febfc",
        ("address", "uint256", "uint8", "bytes32", "string", "uint256"),
        "view",
    ),
    "getSummary(uint256,address[],string)": ("0x1b7cabd6", ("uint64", "uint8"), "view"),
    "getAgentValidations(uint256)": ("0x8d5d0c2d", ("bytes32[]",), "view"),
    "getValidatorRequests(address)": ("0x4bf3158c", ("bytes32[]",), "view"),
    "getIdentityRegistry()": ("0xbc4d861b", ("address",), "view"),
    "getVersion()": ("0x0d8e6e2c", ("string",), "pure"),
}
VALIDATION_EVENTS: dict[str, tuple[str, tuple[bool, ...]]] = {
    "ValidationRequest(address,uint256,string,bytes32)": (
        "0x530436c3634a98e1e626b0898be2f1e9980cc1bd2a78c07a0aba52d0a48a5059",
        (True, True, False, True),
    ),
    "ValidationResponse(address,uint256,bytes32,uint8,string,bytes32,string)": (
        "0xafddf629e874ccc3963b6a888c477bd464a6c8525024fc88759ea3b2326349ae",
        (True, True, True, False, False, False, False),
    ),
}
# In the reference ABIs, not here: its UUPS proxy and Ownable surface.
PROXY_FUNCTIONS = {
    "initialize(address)", "owner()", "proxiableUUID()", "renounceOwnership()", "transferOwnership(address)",
    "upgradeToAndCall(address,bytes)", "UPGRADE_INTERFACE_VERSION()",
}
PROXY_EVENTS = {"Initialized(uint64)", "OwnershipTransferred(address,address)", "Upgraded(address)"}
# Here, not in the reference: read-only paging past the list bounds.
REPUTATION_EXTENSIONS = {
    "getClientCount(uint256)", "getClientsFrom(uint256,uint256)",
    # the receipt-backed deployment (T1): its settler, receipts and what backs each feedback
    "SETTLER()", "recordReceipt(bytes32,address,uint256,uint256,uint256,address,tuple[])",
    "receiptOf(bytes32)", "backingOf(uint256,address,uint64)",
}
VALIDATION_EXTENSIONS = {
    "getAgentValidationCount(uint256)", "getAgentValidationsFrom(uint256,uint256)",
    "getValidatorRequestCount(address)", "getValidatorRequestsFrom(address,uint256)",
}

# The receipt-backed deployment's own event, and its one function that writes.
RECEIPT_EVENTS = {"ReceiptRecorded(bytes32,uint256,uint256,uint256,address,uint256)"}
RECEIPT_WRITES = {"recordReceipt(bytes32,address,uint256,uint256,uint256,address,tuple[])"}

CASES = {
    "reputation": (REPUTATION_FUNCTIONS, REPUTATION_EVENTS, REPUTATION_EXTENSIONS),
    "validation": (VALIDATION_FUNCTIONS, VALIDATION_EVENTS, VALIDATION_EXTENSIONS),
}


def _signature(entry: dict[str, Any]) -> str:
    return f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"


def _ours(contract: Any) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    functions = {_signature(e): e for e in contract.abi if e["type"] == "function"}
    events = {_signature(e): e for e in contract.abi if e["type"] == "event"}
    return functions, events


@pytest.fixture(params=sorted(CASES))
def case(request, reputation, validation):
    contract = {"reputation": reputation, "validation": validation}[request.param]
    return (contract, *CASES[request.param])


def test_every_reference_function_with_its_selector_and_outputs(case):
    contract, expected, _, _ = case
    functions, _ = _ours(contract)
    for signature, (selector, outputs, mutability) in expected.items():
        assert "0x" + keccak(text=signature)[:4].hex() == selector, signature  # the literal is self-consistent
        assert signature in functions, f"missing {signature}"
        entry = functions[signature]
        assert tuple(o["type"] for o in entry["outputs"]) == outputs, signature
        assert entry["stateMutability"] == mutability, signature


def test_every_reference_event_with_its_topic_and_indexed_arguments(case):
    contract, _, expected, _ = case
    _, events = _ours(contract)
    for signature, (topic, indexed) in expected.items():
        assert "0x" + keccak(text=signature).hex() == topic, signature
        assert signature in events, f"missing {signature}"
        entry = events[signature]
        assert tuple(bool(i["indexed"]) for i in entry["inputs"]) == indexed, signature
        assert not entry.get("anonymous", False), signature


def test_only_the_documented_differences(case):
    contract, functions_expected, events_expected, extensions = case
    functions, events = _ours(contract)
    assert set(functions) == set(functions_expected) | extensions
    assert set(events) - RECEIPT_EVENTS == set(events_expected)
    assert not (PROXY_FUNCTIONS & set(functions)) and not (PROXY_EVENTS & set(events))
    for signature in extensions - RECEIPT_WRITES:
        assert functions[signature]["stateMutability"] == "view"


def test_event_argument_names_match_the_reference(reputation, validation):
    """Clients decode logs by name (web3's `args["value"]`)."""
    abi = [*reputation.abi, *validation.abi]
    names = {e["name"]: [i["name"] for i in e["inputs"]] for e in abi if e["type"] == "event"}
    assert names["NewFeedback"] == [
        "agentId", "clientAddress", "feedbackIndex", "value", "valueDecimals", "indexedTag1", "tag1", "tag2",
        "endpoint", "feedbackURI", "feedbackHash",
    ]
    assert names["FeedbackRevoked"] == ["agentId", "clientAddress", "feedbackIndex"]
    assert names["ResponseAppended"] == [
        "agentId", "clientAddress", "feedbackIndex", "responder", "responseURI", "responseHash",
    ]
    assert names["ValidationRequest"] == ["validatorAddress", "agentId", "requestURI", "requestHash"]
    assert names["ValidationResponse"] == [
        "validatorAddress", "agentId", "requestHash", "response", "responseURI", "responseHash", "tag",
    ]


def test_selectors_are_dispatched(reputation, validation):
    """The contract answers each reference selector (an unknown selector
    would revert with no data; these answer or give their own reason)."""
    assert not call_raw(reputation, "getVersion()", []).is_error
    assert not call_raw(reputation, "getClients(uint256)", [1]).is_error
    assert not call_raw(validation, "getAgentValidations(uint256)", [1]).is_error
    assert not call_raw(validation, "getIdentityRegistry()", []).is_error
    refused = call_raw(validation, "getValidationStatus(bytes32)", [b"\x00" * 32])
    assert refused.is_error and b"validation: unknown request" in refused.output
    unknown = boa.env.execute_code(to_address=reputation.address, data=keccak(text="owner()")[:4])
    assert unknown.is_error and unknown.output == b""
