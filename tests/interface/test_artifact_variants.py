"""Every deployable artifact accounts for every EVM version the SDK can deploy: either the shipped
`bytecode` is that version's build (`evmVersions`) or the artifact carries the build
(`bytecodeByEvmVersion`). `tools/build_artifacts.py --check` (test_artifacts.py) recompiles each
variant; this checks the SDK and the build tool agree on the versions."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from charter.deployments import CONTRACT_OF, DEFAULT_EVM_VERSION, EVM_VERSIONS, contract_init_code

ROOT = Path(__file__).resolve().parents[2]


def _build_tool():
    spec = importlib.util.spec_from_file_location("build_artifacts", ROOT / "tools" / "build_artifacts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_tool_and_sdk_agree_on_evm_versions():
    tool = _build_tool()
    assert tuple(tool.EVM_VERSIONS) == EVM_VERSIONS
    assert tool.DEFAULT_EVM_VERSION == DEFAULT_EVM_VERSION
    assert set(CONTRACT_OF.values()) <= set(tool.DEPLOYABLE)


def test_every_deployable_artifact_covers_every_evm_version():
    tool = _build_tool()
    for name in tool.DEPLOYABLE:
        artifact = json.loads((ROOT / "src" / "charter" / "abi" / f"{name}.json").read_text())
        assert artifact["evmVersion"] == DEFAULT_EVM_VERSION
        same = set(artifact["evmVersions"])
        differing = set(artifact.get("bytecodeByEvmVersion", {}))
        assert DEFAULT_EVM_VERSION in same and not same & differing
        assert same | differing == set(EVM_VERSIONS), name
        for version in EVM_VERSIONS:
            code = contract_init_code(name, version).to_0x_hex()
            assert (code == artifact["bytecode"]) == (version in same), (name, version)
