"""The whole suite lands on the fork at the addresses it has everywhere, and a fork is
never recorded in the packaged manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import LegacyWebSocketProvider, Web3

from charter import Charter, CharterError, LocalSigner
from charter.deployments import (
    CONTRACTS,
    CREATE2_DEPLOYER,
    DeployResult,
    Manifest,
    create2_address,
    ensure_deployed,
    packaged_manifest_path,
)

from .conftest import Fork
from .upstream import USDC


def test_the_fork_keeps_the_upstream_chain(w3: Web3, fork: Fork) -> None:
    provider: Any = (Web3.HTTPProvider(fork.upstream, request_kwargs={"timeout": 30})
                     if fork.upstream.startswith("http") else LegacyWebSocketProvider(fork.upstream))
    upstream = Web3(provider)
    assert fork.network.startswith("ethereum:mainnet-fork:")
    assert fork.chain_id == upstream.eth.chain_id  # whatever it is: no test assumes one
    assert w3.eth.get_block(fork.block)["hash"] == upstream.eth.get_block(fork.block)["hash"]
    assert len(w3.eth.get_code(CREATE2_DEPLOYER, fork.block)) > 0  # the deployer was there before us


def test_suite_lands_at_the_create2_addresses(
    w3: Web3, fork: Fork, suite: list[DeployResult], manifest_path: Path
) -> None:
    assert [r.name for r in suite] == list(CONTRACTS)
    for result in suite:
        assert result.address == create2_address(result.name)
        assert len(w3.eth.get_code(result.address)) > 0
        if result.deployed:  # the upstream did not have this release: it is new on the fork only
            assert len(w3.eth.get_code(result.address, fork.block)) == 0
    recorded = json.loads(manifest_path.read_text())["chains"]
    assert list(recorded) == [str(fork.chain_id)]
    assert {name: entry["address"] for name, entry in recorded[str(fork.chain_id)].items()} == {
        name: create2_address(name) for name in CONTRACTS
    }


def test_deploying_again_sends_nothing(w3: Web3, suite: list[DeployResult], deployer: LocalSigner,
                                       tmp_path: Path) -> None:
    nonce = w3.eth.get_transaction_count(deployer.address)
    again = ensure_deployed(w3, deployer, manifest=Manifest.load(tmp_path / "again.json"))
    assert [(r.address, r.deployed) for r in again] == [(create2_address(r.name), False) for r in suite]
    assert w3.eth.get_transaction_count(deployer.address) == nonce


def test_the_sdk_finds_the_suite_without_a_manifest(w3: Web3, suite: list[DeployResult]) -> None:
    charter = Charter.connect(w3, manifest=Manifest(path=None))
    assert charter.registry.address == create2_address("AgentRegistry")
    assert charter.chain_id == w3.eth.chain_id


def test_the_packaged_manifest_is_refused_on_a_fork(
    w3: Web3, fork: Fork, suite: list[DeployResult], deployer: LocalSigner, packaged_manifest: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = packaged_manifest_path()

    def save(self: Manifest) -> None:  # were the guard gone, fail here instead of writing the checkout's file
        pytest.fail(f"the fork was about to be recorded in {self.path}")

    monkeypatch.setattr(Manifest, "save", save)
    nonce = w3.eth.get_transaction_count(deployer.address)
    with pytest.raises(CharterError, match=r"not recording chain \d+ in the packaged manifest .*fork") as refused:
        ensure_deployed(w3, deployer, manifest=Manifest.load(path))
    assert f"chain {fork.chain_id}" in str(refused.value) and "\n" not in str(refused.value)
    assert path.read_bytes() == packaged_manifest
    assert w3.eth.get_transaction_count(deployer.address) == nonce  # refused before sending anything


def test_a_fork_counts_as_a_development_chain_for_ape_scripts(w3: Web3) -> None:
    """`ape run deploy` records development chains only in a manifest named explicitly."""
    from charter.ape_extras import is_local

    assert is_local()


def test_the_pre_existing_token(w3: Web3, fork: Fork, token: Any, unit: int) -> None:
    if token.address == USDC:
        assert unit == 10**6  # USDC's 6 decimals, on mainnet and on the local upstream
    assert len(w3.eth.get_code(token.address, fork.block)) > 0
    assert token.functions.totalSupply().call(block_identifier=fork.block) > 0
