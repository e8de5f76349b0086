"""An ERC-8004 client that knows nothing about Charter works against the registry.

Everything here uses only web3.py, eth-account and the hand-written ERC-8004
Identity Registry ABI (interfaces/IERC8004IdentityRegistry.json): no `charter`
import, no Charter ABI. The registry's address comes from the shared fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD

ABI_PATH = Path(__file__).resolve().parents[2] / "interfaces" / "IERC8004IdentityRegistry.json"
ZERO = "0x0000000000000000000000000000000000000000"


@pytest.fixture
def erc8004(w3: Web3, registry_address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(registry_address), abi=json.loads(ABI_PATH.read_text()))


@pytest.fixture
def owner(w3: Web3) -> str:
    return Web3.to_checksum_address(list(w3.eth.accounts)[6])


def _send(w3: Web3, fn: Any, sender: str) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
    assert receipt["status"] == 1
    return receipt


def _registered_id(erc8004: Contract, receipt: Any, owner: str, uri: str) -> int:
    (event,) = erc8004.events.Registered().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["owner"] == owner and event["args"]["agentURI"] == uri
    return int(event["args"]["agentId"])


def test_abi_has_exactly_the_erc8004_surface() -> None:
    abi = json.loads(ABI_PATH.read_text())
    functions = sorted(
        f"{e['name']}({','.join(_type(i) for i in e['inputs'])})" for e in abi if e["type"] == "function"
    )
    assert functions == sorted([
        "register()", "register(string)", "register(string,(string,bytes)[])",
        "setAgentURI(uint256,string)", "tokenURI(uint256)",
        "getMetadata(uint256,string)", "setMetadata(uint256,string,bytes)",
        "setAgentWallet(uint256,address,uint256,bytes)", "getAgentWallet(uint256)",
        "unsetAgentWallet(uint256)", "isAuthorizedOrOwner(address,uint256)", "ownerOf(uint256)",
    ])
    events = sorted(f"{e['name']}({','.join(_type(i) for i in e['inputs'])})" for e in abi if e["type"] == "event")
    assert events == [
        "MetadataSet(uint256,string,string,bytes)",
        "Registered(uint256,string,address)",
        "URIUpdated(uint256,string,address)",
    ]


def _type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        return "(" + ",".join(_type(c) for c in param["components"]) + ")" + param["type"][5:]
    return str(param["type"])


def test_register_with_each_overload(w3: Web3, erc8004: Contract, owner: str) -> None:
    receipt = _send(w3, erc8004.get_function_by_signature("register()")(), owner)
    bare = _registered_id(erc8004, receipt, owner, "")
    assert erc8004.functions.ownerOf(bare).call() == owner
    assert erc8004.functions.tokenURI(bare).call() == ""

    receipt = _send(w3, erc8004.get_function_by_signature("register(string)")("ipfs://erc8004-card"), owner)
    with_uri = _registered_id(erc8004, receipt, owner, "ipfs://erc8004-card")
    assert with_uri == bare + 1
    assert erc8004.functions.tokenURI(with_uri).call() == "ipfs://erc8004-card"

    entries = [("name", b"compat-agent"), ("x402", b"\x01")]
    fn = erc8004.get_function_by_signature("register(string,(string,bytes)[])")
    receipt = _send(w3, fn("https://example.org/card.json", entries), owner)
    full = _registered_id(erc8004, receipt, owner, "https://example.org/card.json")
    assert erc8004.functions.getMetadata(full, "name").call() == b"compat-agent"
    assert erc8004.functions.getMetadata(full, "x402").call() == b"\x01"
    # ERC-8004: the new agent's wallet is its owner, announced as agentWallet metadata.
    sets = erc8004.events.MetadataSet().process_receipt(receipt, errors=DISCARD)
    assert [(e["args"]["metadataKey"], e["args"]["metadataValue"]) for e in sets] == [
        ("agentWallet", bytes.fromhex(owner[2:])),
        ("name", b"compat-agent"),
        ("x402", b"\x01"),
    ]
    assert all(e["args"]["indexedMetadataKey"] == keccak(text=e["args"]["metadataKey"]) for e in sets)
    assert erc8004.functions.getAgentWallet(full).call() == owner


def test_uri_and_metadata(w3: Web3, erc8004: Contract, owner: str) -> None:
    receipt = _send(w3, erc8004.get_function_by_signature("register(string)")("ipfs://v1"), owner)
    agent_id = _registered_id(erc8004, receipt, owner, "ipfs://v1")

    receipt = _send(w3, erc8004.functions.setAgentURI(agent_id, "ipfs://v2"), owner)
    (updated,) = erc8004.events.URIUpdated().process_receipt(receipt, errors=DISCARD)
    assert updated["args"]["agentId"] == agent_id
    assert updated["args"]["newURI"] == "ipfs://v2" and updated["args"]["updatedBy"] == owner
    assert erc8004.functions.tokenURI(agent_id).call() == "ipfs://v2"

    receipt = _send(w3, erc8004.functions.setMetadata(agent_id, "endpoint", b"https://a2a.example"), owner)
    (event,) = erc8004.events.MetadataSet().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["metadataKey"] == "endpoint"
    assert event["args"]["metadataValue"] == b"https://a2a.example"
    assert erc8004.functions.getMetadata(agent_id, "endpoint").call() == b"https://a2a.example"

    assert erc8004.functions.isAuthorizedOrOwner(owner, agent_id).call() is True
    assert erc8004.functions.isAuthorizedOrOwner(list(w3.eth.accounts)[7], agent_id).call() is False


def test_set_and_unset_agent_wallet_with_a_spec_proof(w3: Web3, erc8004: Contract, owner: str) -> None:
    receipt = _send(w3, erc8004.get_function_by_signature("register()")(), owner)
    agent_id = _registered_id(erc8004, receipt, owner, "")
    wallet = Account.create()
    deadline = int(w3.eth.get_block("pending")["timestamp"]) + 120
    # The typed data exactly as ERC-8004 specifies it.
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "AgentWalletSet": [
                {"name": "agentId", "type": "uint256"},
                {"name": "newWallet", "type": "address"},
                {"name": "owner", "type": "address"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "AgentWalletSet",
        "domain": {
            "name": "ERC8004IdentityRegistry",
            "version": "1",
            "chainId": w3.eth.chain_id,
            "verifyingContract": erc8004.address,
        },
        "message": {"agentId": agent_id, "newWallet": wallet.address, "owner": owner, "deadline": deadline},
    }
    signature = wallet.sign_message(encode_typed_data(full_message=typed)).signature

    receipt = _send(w3, erc8004.functions.setAgentWallet(agent_id, wallet.address, deadline, signature), owner)
    (event,) = erc8004.events.MetadataSet().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["metadataKey"] == "agentWallet"
    assert event["args"]["metadataValue"] == bytes.fromhex(wallet.address[2:])
    assert erc8004.functions.getAgentWallet(agent_id).call() == wallet.address
    assert erc8004.functions.getMetadata(agent_id, "agentWallet").call() == bytes.fromhex(wallet.address[2:])

    _send(w3, erc8004.functions.unsetAgentWallet(agent_id), owner)
    assert erc8004.functions.getAgentWallet(agent_id).call() == ZERO
    assert erc8004.functions.getMetadata(agent_id, "agentWallet").call() == b""
