"""Charter.connect / Charter.deploy: where the registry is found, and when it is not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3
from web3.providers.base import BaseProvider

from charter import (
    AgentStatus,
    Charter,
    CharterError,
    LocalSigner,
    Manifest,
    NodeSigner,
    NodeUnreachable,
    NotDeployed,
)
from charter._core.artifacts import init_code
from charter.deployments import CONTRACTS, check_recordable, create2_address, packaged_manifest_path
from charter.devchain import LocalChain, local_anvil
from charter.hyperlane import deploy_hyperlane_oracle, deploy_reporter

from .conftest import dev_key

EMPTY = "0x000000000000000000000000000000000000dEaD"


def _plain_deploy(w3: Web3, signer: NodeSigner) -> ChecksumAddress:
    """A second registry at a CREATE (not CREATE2) address."""
    tx_hash = signer.send_transaction(w3, {"data": init_code("AgentRegistry")})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 1
    address = receipt["contractAddress"]
    assert address is not None
    return Web3.to_checksum_address(address)


def test_connect_finds_the_deterministic_address(w3: Web3, registry_address: ChecksumAddress) -> None:
    charter = Charter.connect(w3, manifest=Manifest(path=None))
    assert charter.registry.address == registry_address == create2_address("AgentRegistry")
    assert charter.chain_id == w3.eth.chain_id == charter.registry.chain_id
    assert charter.signer is None and charter.registry.signer is None
    assert "AgentRegistry" in repr(charter)


def test_connect_prefers_the_manifest_entry(
    w3: Web3, registry_address: ChecksumAddress, deployer: NodeSigner, alice: LocalSigner, tmp_path: Path
) -> None:
    copy = _plain_deploy(w3, deployer)
    assert copy != registry_address
    manifest = Manifest.load(tmp_path / "m.json")
    manifest.record(w3.eth.chain_id, "AgentRegistry", copy)
    charter = Charter.connect(w3, signer=alice, manifest=manifest)
    assert charter.registry.address == copy
    # A fresh registry: its first agent is 1, whatever the main registry holds.
    assert charter.registry.register("ipfs://on-the-copy") == 1
    assert charter.registry.owner_of(1) == alice.address


def test_connect_reads_the_manifest_from_the_environment(
    w3: Web3, registry_address: ChecksumAddress, deployer: NodeSigner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _plain_deploy(w3, deployer)
    path = tmp_path / "env-manifest.json"
    manifest = Manifest.load(path)
    manifest.record(w3.eth.chain_id, "AgentRegistry", copy)
    manifest.save()
    monkeypatch.setenv("CHARTER_MANIFEST", str(path))
    assert Charter.connect(w3).registry.address == copy


def test_manifest_entry_without_code_falls_back_to_the_deterministic_address(
    w3: Web3, registry_address: ChecksumAddress
) -> None:
    manifest = Manifest(path=None)
    manifest.record(w3.eth.chain_id, "AgentRegistry", EMPTY)
    assert Charter.connect(w3, manifest=manifest).registry.address == registry_address


def test_deploy_is_idempotent_and_records_the_manifest(
    w3: Web3, registry_address: ChecksumAddress, deployer: NodeSigner, tmp_path: Path
) -> None:
    path = tmp_path / "deploy.json"
    results = Charter.deploy(w3, deployer, manifest=Manifest.load(path))
    assert [(r.name, r.address, r.deployed) for r in results] == [
        (name, create2_address(name), False) for name in CONTRACTS
    ]
    assert results[0].address == registry_address
    saved = json.loads(path.read_text())
    for name in CONTRACTS:
        assert saved["chains"][str(w3.eth.chain_id)][name]["address"] == create2_address(name)


def test_connect_to_an_unreachable_node() -> None:
    offline = Web3(Web3.HTTPProvider("http://127.0.0.1:1"))
    with pytest.raises(NodeUnreachable, match="http://127.0.0.1:1"):
        Charter.connect(offline, manifest=Manifest(path=None))


@pytest.fixture
def other_chain() -> Iterator[LocalChain]:
    """A second, empty anvil that claims to be chain 1."""
    with local_anvil(chain_id=1) as chain:
        yield chain


def test_not_deployed_on_another_chain_until_deployed_there(
    other_chain: LocalChain, registry_address: ChecksumAddress, manifest_path: Path, tmp_path: Path
) -> None:
    w3 = other_chain.w3
    assert w3.eth.chain_id == 1
    manifest = Manifest.load(tmp_path / "chains.json")
    with pytest.raises(NotDeployed) as refused:
        Charter.connect(w3, manifest=manifest)
    assert "chain 1" in str(refused.value) and "charter deploy" in str(refused.value)

    # An entry pointing at an address without code does not count as deployed.
    manifest.record(1, "AgentRegistry", EMPTY)
    with pytest.raises(NotDeployed, match=EMPTY):
        Charter.connect(w3, manifest=manifest)

    owner = LocalSigner.from_key(dev_key(1))
    results = Charter.deploy(w3, owner, manifest=manifest)
    assert results[0].deployed and results[0].transaction is not None
    # Same init code, same CREATE2 deployer and salt: the same address on every chain.
    assert results[0].address == registry_address
    saved = json.loads((tmp_path / "chains.json").read_text())
    assert saved["chains"]["1"]["AgentRegistry"]["address"] == registry_address

    charter = Charter.connect(w3, signer=owner, manifest=Manifest.load(tmp_path / "chains.json"))
    assert charter.chain_id == 1
    agent_id = charter.registry.register("ipfs://mainnet-lookalike")
    assert agent_id == 1
    info = charter.registry.agent(agent_id)
    assert info.chain_id == 1 and info.status is AgentStatus.ACTIVE


class _Node(BaseProvider):
    """A node that only says which chain and client it is (no network)."""

    def __init__(self, chain_id: int, client: str) -> None:
        super().__init__()
        self.answers = {"eth_chainId": hex(chain_id), "web3_clientVersion": client}

    def make_request(self, method: str, params: object) -> dict[str, object]:  # type: ignore[override]
        return {"jsonrpc": "2.0", "id": 1, "result": self.answers[method]}


def test_the_packaged_manifest_never_records_a_development_node(
    other_chain: LocalChain, registry_address: ChecksumAddress, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An anvil keeps chain id 1 here, as a mainnet fork does: still refused, before anything is sent."""
    w3 = other_chain.w3
    path = packaged_manifest_path()
    before = path.read_bytes()
    monkeypatch.setattr(Manifest, "save", lambda self: pytest.fail(f"about to write {self.path}"))
    owner = LocalSigner.from_key(dev_key(1))
    nonce = w3.eth.get_transaction_count(owner.address)
    with pytest.raises(CharterError, match=r"not recording chain 1 in the packaged manifest .*anvil") as refused:
        Charter.deploy(w3, owner, manifest=Manifest.load(path))
    assert "--manifest" in str(refused.value) and "\n" not in str(refused.value)
    assert w3.eth.get_transaction_count(owner.address) == nonce and path.read_bytes() == before
    # Any other manifest records it as usual.
    check_recordable(w3, Manifest(path=None))
    # The Hyperlane contracts are refused the same way, before the Mailbox is even asked.
    for deploy in (lambda m: deploy_reporter(w3, owner, registry_address, manifest=m),
                   lambda m: deploy_hyperlane_oracle(w3, owner, registry_address, None, [], manifest=m)):
        with pytest.raises(CharterError, match=r"not recording chain 1 in the packaged manifest"):
            deploy(Manifest.load(path))
    assert w3.eth.get_transaction_count(owner.address) == nonce and path.read_bytes() == before


@pytest.mark.parametrize(("chain_id", "client", "refused"), [
    (1, "Geth/v1.14.11-stable/linux-amd64/go1.22.8", False),
    (11155111, "Nethermind/v1.29.1", False),
    (1, "anvil/v1.7.1", True),
    (1, "HardhatNetwork/2.22.0/@ethereumjs/vm/0.0.0", True),
    (31337, "Geth/v1.14.11-stable", True),
    (1337, "Geth/v1.14.11-stable", True),
])
def test_which_nodes_the_packaged_manifest_records(chain_id: int, client: str, refused: bool) -> None:
    w3 = Web3(_Node(chain_id, client))
    packaged = Manifest.load(packaged_manifest_path())
    if refused:
        with pytest.raises(CharterError, match=f"not recording chain {chain_id}"):
            check_recordable(w3, packaged)
    else:
        check_recordable(w3, packaged)
    check_recordable(w3, Manifest(path=None))  # only the packaged file is guarded
