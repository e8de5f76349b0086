"""Builds per EVM version in the SDK (addresses, init-code hashes, the manifest's records) and the
deploy script's choices (EVM version precedence, manifest for forks, ape-etherscan detection).

No chain: the script's helpers are plain functions, loaded from scripts/deploy.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from eth_utils import keccak

from charter._core import deployments as core
from charter.deployments import (
    CONTRACTS,
    DEFAULT_EVM_VERSION,
    EVM_VERSIONS,
    Manifest,
    build_details,
    check_evm_version,
    contract_init_code,
    create2_address,
    deployment_code,
    init_code_hash,
)
from charter.exceptions import CharterError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("charter_deploy_script", ROOT / "scripts" / "deploy.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_evm_versions_are_checked() -> None:
    assert check_evm_version(None) == DEFAULT_EVM_VERSION == "prague"
    for version in EVM_VERSIONS:
        assert check_evm_version(version) == version
    with pytest.raises(CharterError, match="unknown EVM version 'shanghai'.*transient storage"):
        check_evm_version("shanghai")
    with pytest.raises(CharterError, match="unknown EVM version"):
        create2_address("AgentRegistry", evm_version="paris")


def test_every_shipped_build_gives_the_address_of_its_own_code() -> None:
    for version in EVM_VERSIONS:
        for name in CONTRACTS:
            code = bytes(deployment_code(name, version))
            assert init_code_hash(name, version) == keccak(code)
            expected = keccak(b"\xff" + bytes.fromhex(core.CREATE2_DEPLOYER[2:]) + core.SALT + keccak(code))[12:]
            assert create2_address(name, evm_version=version).lower() == "0x" + expected.hex()
            details = build_details(name, version)
            assert details["evm_version"] == version
            assert details["init_code_hash"] == "0x" + keccak(code).hex()


def _with_variant(monkeypatch: pytest.MonkeyPatch, contract: str, cancun_code: str | None) -> None:
    """Pretend `contract`'s cancun build differs from the shipped prague one (or is missing)."""
    real = core.load_artifact

    def fake(name: str) -> dict[str, Any]:
        artifact = dict(real(name))
        if name == contract:
            artifact["evmVersions"] = ["prague"]
            artifact["bytecodeByEvmVersion"] = {} if cancun_code is None else {"cancun": cancun_code}
        return artifact

    monkeypatch.setattr(core, "load_artifact", fake)


def test_a_differing_build_has_its_own_address_and_moves_its_dependents(monkeypatch: pytest.MonkeyPatch) -> None:
    prague = {name: create2_address(name) for name in CONTRACTS}
    registry_cancun = core.load_artifact("AgentRegistry")["bytecode"] + "00"  # any other init code
    _with_variant(monkeypatch, "AgentRegistry", registry_cancun)
    assert contract_init_code("AgentRegistry", "cancun").to_0x_hex() == registry_cancun
    assert contract_init_code("AgentRegistry", "prague").to_0x_hex() != registry_cancun
    cancun = {name: create2_address(name, evm_version="cancun") for name in CONTRACTS}
    assert cancun["AgentRegistry"] != prague["AgentRegistry"]
    # the manager (and so everything bound to it) is bound to the cancun registry: new addresses too;
    # the IntentView binds to nothing (no constructor arguments): only its own build moves it
    bound = [name for name in CONTRACTS if name != "IntentView"]
    assert all(cancun[name] != prague[name] for name in bound)
    assert cancun["IntentView"] == prague["IntentView"]
    assert {name: create2_address(name, evm_version="prague") for name in CONTRACTS} == prague


def test_a_missing_build_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _with_variant(monkeypatch, "SessionView", None)
    with pytest.raises(CharterError, match="no cancun build.*make artifacts"):
        create2_address("SessionView", evm_version="cancun")


def test_the_manifest_keeps_the_build_a_chain_got() -> None:
    manifest = Manifest(path=None)
    manifest.record(11155111, "AgentRegistry", create2_address("AgentRegistry"), block=7, transaction="0xab",
                    **build_details("AgentRegistry", "cancun"))
    entry = manifest.chains["11155111"]["AgentRegistry"]
    assert entry["evm_version"] == "cancun" and entry["block"] == 7
    assert entry["init_code_hash"] == init_code_hash("AgentRegistry", "cancun").to_0x_hex()


def test_evm_version_precedence(script: ModuleType) -> None:
    configured = {"ethereum:sepolia": "cancun", "84532": "cancun", "ethereum:holesky": "prague"}
    choose = script.choose_evm_version
    assert choose("prague", "ethereum", "sepolia", 11155111, configured) == ("prague", "--evm-version")
    assert choose(None, "ethereum", "sepolia", 11155111, configured)[0] == "cancun"
    assert choose(None, "ethereum", "sepolia-fork", 11155111, configured)[0] == "cancun"  # the upstream's entry
    assert choose(None, "base", "sepolia", 84532, configured) == (
        "cancun", "ape-config.yaml charter.evm_versions['84532']")
    assert choose(None, "ethereum", "mainnet", 1, configured) == ("prague", "default")
    with pytest.raises(CharterError, match="unknown EVM version 'berlin'"):
        choose("berlin", "ethereum", "sepolia", 11155111, configured)


def test_forks_and_dev_chains_never_default_to_the_packaged_manifest(
    script: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CHARTER_MANIFEST", raising=False)
    packaged = script.PACKAGED_MANIFEST
    assert packaged == ROOT / "src" / "charter" / "deployments" / "manifest.json" and packaged.exists()
    assert script.manifest_path(None, local=False, fork=False) == packaged
    assert script.manifest_path(None, local=True, fork=False) is None
    assert script.manifest_path(None, local=False, fork=True) is None  # even where is_local() says otherwise
    assert script.manifest_path(str(tmp_path / "m.json"), local=False, fork=True) == tmp_path / "m.json"
    with pytest.raises(CharterError, match="packaged manifest.*fork"):
        script.manifest_path(str(packaged), local=False, fork=True)
    monkeypatch.setenv("CHARTER_MANIFEST", str(packaged))
    with pytest.raises(CharterError, match="packaged manifest"):
        script.manifest_path(None, local=True, fork=True)


class _Explorer:
    pass


def test_ape_etherscan_detection(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    network = SimpleNamespace(choice="ethereum:sepolia", explorer=None)

    def installed(present: bool) -> None:
        monkeypatch.setattr(script.importlib.util, "find_spec",
                            lambda name, *a: (object() if present else None) if name == "ape_etherscan"
                            else real_find_spec(name, *a))

    installed(False)
    monkeypatch.setenv("ETHERSCAN_API_KEY", "key")
    explorer, reason = script.etherscan(network)
    assert explorer is None and "not installed" in reason and "pip install ape-etherscan==0.8.7" in reason

    installed(True)
    monkeypatch.delenv("ETHERSCAN_API_KEY")
    explorer, reason = script.etherscan(network)
    assert explorer is None and "$ETHERSCAN_API_KEY is not set" in reason

    monkeypatch.setenv("ETHERSCAN_API_KEY", "key")
    explorer, reason = script.etherscan(network)
    assert explorer is None and "no explorer for network ethereum:sepolia" in reason
    network.explorer = _Explorer()  # an explorer from another plugin
    assert script.etherscan(network)[0] is None

    etherscan_explorer = type("Etherscan", (), {"__module__": "ape_etherscan.explorer"})()
    network.explorer = etherscan_explorer
    assert script.etherscan(network) == (etherscan_explorer, "")


class _Client:
    def __init__(self, answers: list[str], fail: str | None = None) -> None:
        self.answers = answers
        self.fail = fail
        self.submitted: list[dict[str, Any]] = []

    def verify_source_code(self, standard_json: dict, version: str, **kwargs: Any) -> str:
        if self.fail:
            raise RuntimeError(self.fail)
        self.submitted.append({"json": standard_json, "version": version, **kwargs})
        return "guid-1"

    def check_verify_status(self, guid: str) -> str:
        return self.answers.pop(0)


def test_submission_to_an_etherscan_explorer(script: ModuleType, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(script.time, "sleep", lambda _: None)
    (tmp_path / "SessionView.json").write_text('{"language": "Vyper"}')
    (tmp_path / "AgentRegistry.json").write_text('{"language": "Vyper"}')
    index = {
        "SessionView": {"address": "0x1", "contract": "contracts/SessionView.vy:SessionView",
                        "evm_version": "cancun", "standard_json": "SessionView.json", "constructor_args": "ab"},
        "AgentRegistry": {"address": "0x2", "contract": "contracts/AgentRegistry.vy:AgentRegistry",
                          "evm_version": "cancun", "standard_json": "AgentRegistry.json", "constructor_args": ""},
    }
    clients = {"0x1": _Client(["Pending in queue", "Pass - Verified"]),
               "0x2": _Client([], fail="Fail - Unable to verify: bytecode mismatch")}
    explorer = SimpleNamespace(_client_factory=SimpleNamespace(get_contract_client=clients.__getitem__))
    assert script.submit(explorer, tmp_path, index) == ["AgentRegistry"]
    (sent,) = clients["0x1"].submitted
    assert sent["json"] == {"language": "Vyper"} and sent["version"] == "0.4.3" and sent["language"] == "vyper"
    assert sent["contract_name"] == "contracts/SessionView.vy:SessionView"
    assert sent["constructor_arguments"] == "ab" and sent["evm_version"] == "cancun"

    already = {"0x1": _Client([], fail="Contract source code already verified"), "0x2": _Client(["Pass - ok"])}
    explorer = SimpleNamespace(_client_factory=SimpleNamespace(get_contract_client=already.__getitem__))
    assert script.submit(explorer, tmp_path, index) == []
