"""Every Registry method against the deployed contract, with both kinds of signer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32, HexStr
from web3 import Web3
from web3.logs import DISCARD

from charter import (
    AgentInfo,
    AgentStatus,
    LocalSigner,
    MetadataEntry,
    NodeSigner,
    Registry,
    TxResult,
)
from charter.registry import DEFAULT_PROOF_LIFETIME


def _registered_events(w3: Web3, registry: Registry, tx: TxResult) -> list[int]:
    receipt = w3.eth.get_transaction_receipt(HexStr(tx.tx_hash))
    return [
        int(e["args"]["agentId"])
        for e in registry.contract.events.Registered().process_receipt(receipt, errors=DISCARD)
    ]


def test_register_without_uri_returns_new_id_owned_by_sender(registry: Registry, alice: LocalSigner) -> None:
    before = registry.total_agents()
    first = registry.register()
    second = registry.register()
    assert second == first + 1
    assert registry.total_agents() == before + 2
    assert registry.owner_of(first) == alice.address
    assert registry.uri(first) == ""
    assert registry.status(first) is AgentStatus.ACTIVE
    assert registry.is_active(first)


def test_register_tx_reports_receipt_and_id(w3: Web3, registry: Registry) -> None:
    tx = registry.register_tx("ipfs://card")
    assert tx.agent_id is not None and tx.agent_id >= 1
    assert _registered_events(w3, registry, tx) == [tx.agent_id]
    receipt = w3.eth.get_transaction_receipt(HexStr(tx.tx_hash))
    assert receipt["status"] == 1
    assert tx.block_number == receipt["blockNumber"]
    assert tx.gas_used == receipt["gasUsed"] > 21_000
    assert registry.uri(tx.agent_id) == "ipfs://card"


@pytest.mark.parametrize(
    "metadata",
    [
        {"name": "scout", "raw": b"\x00\xff"},
        [("name", "scout"), ("raw", b"\x00\xff")],
        [MetadataEntry(key="name", value=b"scout"), MetadataEntry.of("raw", b"\x00\xff")],
    ],
    ids=["mapping", "pairs", "entries"],
)
def test_register_with_metadata_in_every_accepted_shape(registry: Registry, metadata: object) -> None:
    agent_id = registry.register("https://example.org/card.json", metadata=metadata)  # type: ignore[arg-type]
    assert registry.get_metadata(agent_id, "name") == b"scout"
    assert registry.get_metadata(agent_id, "raw") == b"\x00\xff"
    assert registry.get_metadata(agent_id, "missing") == b""
    assert registry.uri(agent_id) == "https://example.org/card.json"


def test_register_at_the_size_limits(registry: Registry) -> None:
    # Each at its limit in turn: all of them at once is ~26M gas, more than the SDK's
    # estimate leaves room for in a 30M block.
    uri = "é" * 10_240  # 20,480 bytes of UTF-8
    agent_id = registry.register(uri, {"k" * 64: b"\x01" * 1_024})
    assert registry.uri(agent_id) == uri
    metadata = {f"k{i:02d}".ljust(64, "x"): bytes([i]) * 1_024 for i in range(16)}
    agent_id = registry.register("ipfs://bafkrei-card", metadata)
    for key, value in metadata.items():
        assert registry.get_metadata(agent_id, key) == value


def test_agent_info_fields(w3: Web3, registry: Registry, alice: LocalSigner, agent_id: int) -> None:
    info = registry.agent(agent_id)
    assert isinstance(info, AgentInfo)
    assert info.agent_id == agent_id
    assert info.owner == alice.address
    assert info.status is AgentStatus.ACTIVE and info.is_active
    assert info.uri == "ipfs://bafkrei-agent-card"
    # ERC-8004: a new agent's wallet is its owner, but that default is not a proved wallet.
    assert info.wallet == alice.address
    assert info.wallet_verified is False
    assert info.chain_id == registry.chain_id == w3.eth.chain_id
    assert info.registry == registry.address
    assert info.block is not None and info.block >= 1
    dumped = info.model_dump(mode="json")
    assert dumped["status"] == "ACTIVE" and dumped["agent_id"] == agent_id


def test_set_uri(registry: Registry, agent_id: int) -> None:
    tx = registry.set_uri(agent_id, "ipfs://new-card")
    assert tx.agent_id == agent_id
    assert registry.uri(agent_id) == "ipfs://new-card"
    registry.set_uri(agent_id, "")
    assert registry.uri(agent_id) == ""


def test_set_and_delete_metadata(registry: Registry, agent_id: int) -> None:
    registry.set_metadata(agent_id, "endpoint", "https://agent.example/a2a")
    assert registry.get_metadata(agent_id, "endpoint") == b"https://agent.example/a2a"
    registry.set_metadata(agent_id, "endpoint", b"\x01\x02")
    assert registry.get_metadata(agent_id, "endpoint") == b"\x01\x02"
    registry.set_metadata(agent_id, "endpoint", b"")
    assert registry.get_metadata(agent_id, "endpoint") == b""


def test_lifecycle_pause_resume_retire(registry: Registry, agent_id: int) -> None:
    registry.pause(agent_id)
    assert registry.status(agent_id) is AgentStatus.PAUSED
    assert not registry.is_active(agent_id)
    registry.resume(agent_id)
    assert registry.status(agent_id) is AgentStatus.ACTIVE
    assert registry.is_active(agent_id)
    registry.retire(agent_id)
    assert registry.status(agent_id) is AgentStatus.RETIRED
    assert registry.agent(agent_id).status is AgentStatus.RETIRED
    assert not registry.is_active(agent_id)


def test_retire_a_paused_agent(registry: Registry, agent_id: int) -> None:
    registry.pause(agent_id)
    registry.retire(agent_id)
    assert registry.status(agent_id) is AgentStatus.RETIRED


def test_is_active_is_false_for_unknown_agents(registry: Registry) -> None:
    assert registry.is_active(10**12) is False


def test_set_agent_wallet_with_a_local_account(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    tx = registry.set_agent_wallet(agent_id, wallet)
    assert tx.agent_id == agent_id
    info = registry.agent(agent_id)
    assert info.wallet == wallet.address and info.wallet_verified
    assert registry.agent_wallet(agent_id) == wallet.address
    assert registry.agent_id_of_wallet(wallet.address) == agent_id
    assert registry.get_metadata(agent_id, "agentWallet") == bytes.fromhex(wallet.address[2:])
    found = registry.agent_by_wallet(wallet.address)
    assert found is not None and found.agent_id == agent_id


def test_set_agent_wallet_with_a_node_signer_wallet(
    w3: Web3, registry: Registry, agent_id: int, dev_accounts: list[str]
) -> None:
    # The wallet signs its proof through the node (eth_signTypedData_v4).
    wallet = NodeSigner(w3, dev_accounts[5])
    registry.set_agent_wallet(agent_id, wallet)
    assert registry.agent_id_of_wallet(wallet.address) == agent_id
    assert registry.agent(agent_id).wallet_verified


def test_set_agent_wallet_sent_by_a_node_signer_owner(
    as_bob: Registry, bob: NodeSigner, new_wallet: Callable[[], LocalAccount]
) -> None:
    agent_id = as_bob.register("ipfs://bob")
    assert as_bob.owner_of(agent_id) == bob.address
    wallet = LocalSigner(new_wallet())
    as_bob.set_agent_wallet(agent_id, wallet)
    assert as_bob.agent(agent_id).wallet == wallet.address
    as_bob.pause(agent_id)
    assert as_bob.status(agent_id) is AgentStatus.PAUSED


def test_set_agent_wallet_with_a_presigned_proof(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    # The wallet signs elsewhere (another process, a hardware wallet...).
    signature, deadline = registry.sign_wallet_proof(wallet, agent_id)
    now = registry.chain_time()
    assert now < deadline <= now + DEFAULT_PROOF_LIFETIME + 5
    registry.set_agent_wallet(agent_id, wallet.address, signature="0x" + signature.hex(), deadline=deadline)
    assert registry.agent_id_of_wallet(wallet.address) == agent_id


def test_a_new_proof_moves_the_agent_to_another_wallet(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    first, second = new_wallet(), new_wallet()
    registry.set_agent_wallet(agent_id, first)
    registry.set_agent_wallet(agent_id, second)
    assert registry.agent_wallet(agent_id) == second.address
    assert registry.agent_id_of_wallet(first.address) is None
    assert registry.agent_by_wallet(first.address) is None


def test_unset_agent_wallet(registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]) -> None:
    wallet = new_wallet()
    registry.set_agent_wallet(agent_id, wallet)
    registry.unset_agent_wallet(agent_id)
    assert registry.agent_wallet(agent_id) is None
    assert registry.agent_id_of_wallet(wallet.address) is None
    info = registry.agent(agent_id)
    assert info.wallet is None and not info.wallet_verified


def test_unset_clears_the_owner_default_wallet(registry: Registry, agent_id: int) -> None:
    registry.unset_agent_wallet(agent_id)
    assert registry.agent_wallet(agent_id) is None


def test_transfer_moves_the_agent_and_clears_its_wallet(
    registry: Registry, as_bob: Registry, agent_id: int, bob: NodeSigner, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    registry.set_agent_wallet(agent_id, wallet)
    registry.transfer(agent_id, bob.address)
    assert registry.owner_of(agent_id) == bob.address
    assert registry.agent_wallet(agent_id) is None
    assert registry.agent_id_of_wallet(wallet.address) is None
    # The new owner controls it now.
    as_bob.pause(agent_id)
    assert registry.status(agent_id) is AgentStatus.PAUSED


def test_is_authorized(registry: Registry, agent_id: int, alice: LocalSigner, bob: NodeSigner) -> None:
    assert registry.is_authorized(alice.address, agent_id)
    assert not registry.is_authorized(bob.address, agent_id)


def test_wallet_digest_matches_what_the_wallet_signs(
    registry: Registry, agent_id: int, alice: LocalSigner, new_wallet: Callable[[], LocalAccount]
) -> None:
    wallet = new_wallet()
    deadline = registry.default_deadline()
    digest = registry.wallet_digest(agent_id, wallet.address, deadline)
    assert digest == registry.wallet_digest(agent_id, wallet.address, deadline, owner=alice.address)
    # A raw-digest signer (no EIP-712 support) signs the contract's digest directly.
    signature = bytes(wallet.unsafe_sign_hash(Hash32(digest)).signature)
    registry.set_agent_wallet(agent_id, wallet.address, signature=signature, deadline=deadline)
    assert registry.agent_id_of_wallet(wallet.address) == agent_id


def test_wallet_proof_typed_data_is_what_sign_wallet_proof_signs(
    registry: Registry, agent_id: int, new_wallet: Callable[[], LocalAccount]
) -> None:
    from eth_account.messages import encode_typed_data

    wallet = new_wallet()
    deadline = registry.default_deadline()
    typed = registry.wallet_proof_typed_data(agent_id, wallet.address, deadline)
    assert typed["message"]["agentId"] == agent_id
    assert typed["domain"]["verifyingContract"] == registry.address
    signature = bytes(wallet.sign_message(encode_typed_data(full_message=typed)).signature)
    assert registry.sign_wallet_proof(wallet, agent_id, deadline)[0] == signature


def test_reads_need_no_signer(w3: Web3, registry: Registry, agent_id: int) -> None:
    reader = Registry(w3, registry.address)
    assert reader.signer is None
    assert reader.agent(agent_id) == registry.agent(agent_id)
    assert "read-only" in repr(reader)


def test_the_registry_accepts_an_eth_account_local_account_as_signer(
    w3: Web3, registry: Registry, new_wallet: Callable[[], LocalAccount], dev_accounts: list[str]
) -> None:
    from eth_account import Account

    from .conftest import dev_key

    owner = Account.from_key(dev_key(4))
    direct = Registry(w3, registry.address, signer=owner)
    agent_id = direct.register("ipfs://direct")
    assert direct.owner_of(agent_id) == owner.address == dev_accounts[4]
