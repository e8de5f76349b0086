"""Fixtures for the SDK, CLI and ERC-8004 compatibility tests (anvil through ape).

`ape test` starts anvil (ape-foundry, see ape-config.yaml) and wraps every
test in a chain snapshot that is reverted afterwards, so nothing here relies
on state left by another test: `registry_address` re-runs the idempotent
CREATE2 deployment for each test (one `eth_getCode` when the registry is
already there), agents are registered by the tests that use them and every
wallet proof is signed by a fresh key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from web3 import Web3

from charter import Charter, LocalSigner, NodeSigner, Registry
from charter.deployments import Manifest, create2_address, ensure_deployed

MNEMONIC = "test test test test test test test test test test test junk"
ROOT = Path(__file__).resolve().parents[2]
ERC8004_ABI_PATH = ROOT / "interfaces" / "IERC8004IdentityRegistry.json"

Account.enable_unaudited_hdwallet_features()


def dev_key(index: int) -> str:
    """The private key of anvil's development account `index`."""
    account = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account.key.to_0x_hex()


# ---------------------------------------------------------------- chain


@pytest.fixture(scope="session")
def w3() -> Web3:
    """The web3 instance of the anvil node ape started."""
    from ape import networks

    provider = networks.active_provider
    assert provider is not None and provider.is_connected, "run these tests with `ape test`"
    web3: Web3 = provider.web3
    return web3


@pytest.fixture(scope="session")
def rpc_url(w3: Web3) -> str:
    uri = getattr(w3.provider, "endpoint_uri", None)
    assert isinstance(uri, str) and uri.startswith("http"), uri
    return uri


@pytest.fixture(scope="session")
def dev_accounts(w3: Web3) -> list[ChecksumAddress]:
    """anvil's unlocked, funded development accounts (same mnemonic as `dev_key`)."""
    accounts = [Web3.to_checksum_address(a) for a in w3.eth.accounts]
    assert len(accounts) >= 6
    assert accounts[1] == Account.from_key(dev_key(1)).address
    return accounts


@pytest.fixture(scope="session")
def manifest_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("charter") / "manifest.json"


@pytest.fixture
def manifest(manifest_path: Path) -> Manifest:
    return Manifest.load(manifest_path)


@pytest.fixture
def deployer(w3: Web3, dev_accounts: list[ChecksumAddress]) -> NodeSigner:
    return NodeSigner(w3, dev_accounts[0])


@pytest.fixture
def registry_address(w3: Web3, deployer: NodeSigner, manifest: Manifest) -> ChecksumAddress:
    """The registry, deployed if this test's chain state does not have it yet."""
    result = ensure_deployed(w3, deployer, manifest=manifest)[0]
    assert result.address == create2_address("AgentRegistry")
    assert len(w3.eth.get_code(result.address)) > 0
    return result.address


# ---------------------------------------------------------------- roles


@pytest.fixture
def alice(w3: Web3) -> LocalSigner:
    """An agent owner signing locally (eth-account key)."""
    return LocalSigner.from_key(dev_key(1))


@pytest.fixture
def bob(w3: Web3, dev_accounts: list[ChecksumAddress]) -> NodeSigner:
    """An agent owner whose account the node holds (eth_sendTransaction)."""
    return NodeSigner(w3, dev_accounts[2])


@pytest.fixture
def mallory(dev_accounts: list[ChecksumAddress]) -> LocalSigner:
    """Someone who owns nothing here."""
    return LocalSigner.from_key(dev_key(3))


@pytest.fixture
def new_wallet() -> Callable[[], LocalAccount]:
    """Fresh wallets: each proof in a test is signed by a key no other test used."""
    return lambda: Account.create()


# ---------------------------------------------------------------- clients


@pytest.fixture
def charter(w3: Web3, registry_address: ChecksumAddress, manifest: Manifest, alice: LocalSigner) -> Charter:
    return Charter.connect(w3, signer=alice, manifest=manifest)


@pytest.fixture
def registry(charter: Charter) -> Registry:
    """The registry, sending as alice."""
    return charter.registry


@pytest.fixture
def as_bob(registry: Registry, bob: NodeSigner) -> Registry:
    return registry.with_signer(bob)


@pytest.fixture
def as_mallory(registry: Registry, mallory: LocalSigner) -> Registry:
    return registry.with_signer(mallory)


@pytest.fixture
def agent_id(registry: Registry) -> int:
    """A fresh Active agent owned by alice."""
    return registry.register("ipfs://bafkrei-agent-card")
