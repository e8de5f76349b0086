"""Fixtures of the mainnet-fork tests (``make fork-test``; docs/fork.md).

They run on ``ethereum:mainnet-fork:foundry``: ape starts an anvil that forks
``$CHARTER_FORK_URL`` (tools/fork_upstream.py points it at a seeded local
``anvil --chain-id 1`` when none is given). Nothing here assumes a chain id or
uses anvil's development accounts: every actor is a fresh key funded with
``anvil_setBalance``, tokens come from the pre-existing token's holder through
``anvil_impersonateAccount``, and the suite is deployed by CREATE2 onto the
fork once per session (recorded in a temporary manifest, never the packaged
one). ape reverts each test's changes afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from charter import Charter, LocalSigner, NodeSigner
from charter.deployments import DeployResult, Manifest, ensure_deployed, packaged_manifest_path

from .upstream import (
    COUNTERPARTY,
    FORK_URL_ENV,
    NETWORK,
    VETERAN_KEY,
    holder_address,
    token_address,
)

ETHER = 10**18
TOKEN_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": name, "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": kind}]}
    for name, kind in (("decimals", "uint8"), ("symbol", "string"), ("totalSupply", "uint256"))
] + [
    {"type": "function", "name": "balanceOf", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "allowance", "stateMutability": "view",
     "inputs": [{"name": "owner", "type": "address"}, {"name": "spender", "type": "address"}],
     "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "function", "name": "transfer", "stateMutability": "nonpayable",
     "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
    {"type": "function", "name": "approve", "stateMutability": "nonpayable",
     "inputs": [{"name": "spender", "type": "address"}, {"name": "amount", "type": "uint256"}],
     "outputs": [{"name": "", "type": "bool"}]},
]


@dataclass(frozen=True)
class Fork:
    """The fork ape is connected to."""

    network: str  # ape's network choice, e.g. ethereum:mainnet-fork:foundry
    chain_id: int
    upstream: str  # the URL anvil forks
    block: int  # the fork point: the upstream's state up to here is on the fork


@dataclass(frozen=True)
class Veteran:
    """The EOA with history, before anything of Charter touched it."""

    signer: LocalSigner
    nonce: int
    tokens: int
    ether: int
    history_predates_fork: bool  # False on an upstream that never saw it: it was given a history on the fork


def pytest_configure(config: pytest.Config) -> None:
    network = str(config.getoption("network", "") or "")
    if "-fork" in network and not _env_url():
        raise pytest.UsageError(
            f"{network} forks ${FORK_URL_ENV}, which is unset: run `make fork-test` (a local upstream) "
            f"or set {FORK_URL_ENV} to an Ethereum mainnet RPC (docs/fork.md)"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    upstream = "$" + FORK_URL_ENV + (" (set)" if _env_url() else " (unset: run through `make fork-test`)")
    return [f"charter fork tests: network {config.getoption('network', NETWORK)}, upstream {upstream}"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from ape import networks

    provider = networks.active_provider
    if provider is not None and provider.is_connected and provider.network.name.endswith("-fork"):
        terminalreporter.write_line(
            f"charter fork tests ran on {provider.network.choice}:{provider.name} (chain id {provider.chain_id})"
        )


def _env_url() -> str:
    import os

    return os.environ.get(FORK_URL_ENV, "").strip()


def rpc(w3: Web3, method: str, *params: Any) -> Any:
    response = w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
    assert "error" not in response, f"{method}: {response['error']}"
    return response.get("result")


# ---------------------------------------------------------------- the fork


@pytest.fixture(scope="session")
def w3() -> Web3:
    """The web3 of the forked anvil ape started (skips every test here on any other network)."""
    from ape import networks

    provider = networks.active_provider
    assert provider is not None and provider.is_connected, "run these tests with `ape test`"
    if not provider.network.name.endswith("-fork"):
        pytest.skip(f"the fork tests run on {NETWORK} (`make fork-test`), not on {provider.network.choice}")
    web3: Web3 = provider.web3
    return web3


@pytest.fixture(scope="session")
def fork(w3: Web3) -> Fork:
    from ape import networks

    info = rpc(w3, "anvil_nodeInfo")
    config = info.get("forkConfig") or {}
    assert config.get("forkUrl"), f"ape's node is not a fork: {info}"
    provider = networks.active_provider
    assert provider is not None
    return Fork(network=f"{provider.network.choice}:{provider.name}", chain_id=int(w3.eth.chain_id),
                upstream=config["forkUrl"], block=int(config["forkBlockNumber"]))


@pytest.fixture(scope="session")
def fund(w3: Web3) -> Callable[[str, int], None]:
    """Set an address's ether balance on the fork (only the fork's state changes)."""

    def run(address: str, wei: int = 100 * ETHER) -> None:
        rpc(w3, "anvil_setBalance", Web3.to_checksum_address(address), hex(wei))

    return run


@pytest.fixture(scope="session")
def new_signer(fund: Callable[[str, int], None]) -> Callable[[], LocalSigner]:
    """Fresh funded keys: no account of the upstream is touched."""

    def make() -> LocalSigner:
        signer = LocalSigner(Account.create())
        fund(signer.address, 100 * ETHER)
        return signer

    return make


@pytest.fixture(scope="session")
def deployer(new_signer: Callable[[], LocalSigner]) -> LocalSigner:
    return new_signer()


@pytest.fixture(scope="session")
def manifest_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fork") / "manifest.json"


@pytest.fixture(scope="session")
def packaged_manifest() -> Iterator[bytes]:
    """The packaged manifest's bytes; checked unchanged when the session ends."""
    path = packaged_manifest_path()
    before = path.read_bytes()
    yield before
    assert path.read_bytes() == before, f"the fork tests changed {path}"


@pytest.fixture(scope="session")
def suite(w3: Web3, deployer: LocalSigner, manifest_path: Path, packaged_manifest: bytes) -> list[DeployResult]:
    """The Charter suite, deployed onto the fork by CREATE2 (or found there)."""
    return ensure_deployed(w3, deployer, manifest=Manifest.load(manifest_path))


@pytest.fixture(scope="session")
def connect(w3: Web3, suite: list[DeployResult], manifest_path: Path) -> Callable[[Any], Charter]:
    return lambda signer: Charter.connect(w3, signer=signer, manifest=Manifest.load(manifest_path))


# ---------------------------------------------------------------- what was there before the fork


@pytest.fixture(scope="session")
def token(w3: Web3, fork: Fork) -> Any:
    """The pre-existing token (USDC, or ``$CHARTER_FORK_TOKEN``)."""
    address = token_address()
    assert len(w3.eth.get_code(address, fork.block)) > 0, (
        f"the token {address} has no code at the fork point (block {fork.block} of {fork.upstream}): "
        "fork a chain that has it, or set $CHARTER_FORK_TOKEN"
    )
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=TOKEN_ABI)


@pytest.fixture(scope="session")
def unit(token: Any) -> int:
    """One whole token in its smallest units."""
    return int(10 ** token.functions.decimals().call())


@pytest.fixture(scope="session")
def give(w3: Web3, fork: Fork, token: Any, fund: Callable[[str, int], None]) -> Callable[[str, int], None]:
    """Move tokens from the holder (impersonated) to an address."""
    holder = holder_address()
    held = int(token.functions.balanceOf(holder).call(block_identifier=fork.block))
    assert held > 0, f"{holder} holds none of {token.address} at the fork point: set $CHARTER_FORK_HOLDER"
    if w3.eth.get_balance(holder) < ETHER:
        fund(holder, 10 * ETHER)

    def run(to: str, amount: int) -> None:
        rpc(w3, "anvil_impersonateAccount", holder)
        try:
            tx = NodeSigner(w3, holder).send_transaction(
                w3, {"to": token.address, "data": token.encode_abi("transfer", [to, amount])})  # type: ignore[typeddict-item]
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1, f"the holder could not send {amount}"
        finally:
            rpc(w3, "anvil_stopImpersonatingAccount", holder)

    return run


@pytest.fixture(scope="session")
def veteran(w3: Web3, fork: Fork, token: Any, unit: int, fund: Callable[[str, int], None],
            give: Callable[[str, int], None]) -> Veteran:
    """The EOA with history (the local upstream gave it one before the fork point; on an
    upstream that never saw the key, it gets one here, on the fork, first)."""
    signer = LocalSigner.from_key(VETERAN_KEY)
    predates = w3.eth.get_transaction_count(signer.address, fork.block) > 0
    if not predates:
        fund(signer.address, 10 * ETHER)
        give(signer.address, 5_000 * unit)
        for fields in ({"to": COUNTERPARTY, "value": 10**16},
                       {"to": token.address, "data": token.encode_abi("transfer", [COUNTERPARTY, unit])}):
            tx = signer.send_transaction(w3, fields)  # type: ignore[arg-type]
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    return Veteran(
        signer=signer,
        nonce=w3.eth.get_transaction_count(signer.address),
        tokens=int(token.functions.balanceOf(signer.address).call()),
        ether=w3.eth.get_balance(signer.address),
        history_predates_fork=predates,
    )
