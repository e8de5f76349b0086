"""Compile the deployable contracts and write the SDK's artifacts.

    python tools/build_artifacts.py          # write src/charter/abi/<Name>.json
    python tools/build_artifacts.py --check  # exit 1 if they are stale

The artifacts (ABI + init code) ship with the `charter` package, so the SDK
and CLI work without a compiler, and the init code fixes the CREATE2 address
of every contract on every chain.

Each deployable contract is compiled for every EVM version the suite supports
(:data:`EVM_VERSIONS`: the contracts use transient storage, so ``cancun`` is
the oldest). ``bytecode`` is the build for :data:`DEFAULT_EVM_VERSION`
(vyper 0.4.3's default, ``prague``); ``evmVersions`` lists the versions whose
build is byte-for-byte that same bytecode, and ``bytecodeByEvmVersion`` holds
the build of every version whose bytecode differs (absent when none does).
``--check`` compiles every variant, so a stale variant fails it too.

:func:`standard_json` gives the compiler's standard-JSON input of a contract
(its source and every module and snekmate file it imports), the file an
explorer needs to verify a deployment.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OUT = ROOT / "src" / "charter" / "abi"
DEPLOYABLE = (
    "AgentRegistry", "SessionActivator", "SessionExtension", "SessionManager", "SessionView", "AgentAccount",
    "IntentView", "IntentSettler", "AttesterOracle", "HyperlaneReporter", "HyperlaneOracle", "HyperlaneAgents",
    "ReputationRegistry", "ValidationRegistry",
)
# A contract whose fallback runs another's code on its own storage
# (DELEGATECALL) answers that contract's functions and emits its events too:
# its shipped ABI lists them, so callers use one ABI at one address.
RUNS_CODE_OF = {
    "SessionExtension": "SessionActivator", "SessionManager": "SessionExtension", "IntentSettler": "IntentView",
}
# Not part of the suite: the ERC-20 `make demo` and `charter demo` deploy.
EXTRA = {"DemoToken": "tests/mocks/Token.vy"}
COMPILER = "vyper-0.4.3"
# Keep in step with charter._core.deployments.EVM_VERSIONS / DEFAULT_EVM_VERSION.
EVM_VERSIONS = ("cancun", "prague")
DEFAULT_EVM_VERSION = "prague"


def _search_path() -> str:
    spec = importlib.util.find_spec("snekmate")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("snekmate is not installed: run `make setup` first")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


def _vyper(*args: str) -> str:
    vyper = Path(sys.executable).parent / "vyper"
    return subprocess.run(
        [str(vyper), "-p", _search_path(), *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def source_of(name: str) -> str:
    """The source path (relative to the repository) of contract `name`."""
    return EXTRA.get(name, f"contracts/{name}.vy")


def bytecode(name: str, evm_version: str) -> str:
    """The init code of contract `name` compiled for `evm_version`."""
    return _vyper("--evm-version", evm_version, "-f", "bytecode", source_of(name))


def compile_contract(name: str) -> dict[str, Any]:
    """The artifact of contract `name` (every EVM version for a deployable one)."""
    out = _vyper("--evm-version", DEFAULT_EVM_VERSION, "-f", "abi,bytecode", source_of(name)).splitlines()
    artifact: dict[str, Any] = {
        "contractName": name,
        "compiler": COMPILER,
        "abi": json.loads(out[0]),
        "bytecode": out[1],
        "evmVersion": DEFAULT_EVM_VERSION,
    }
    if name in DEPLOYABLE:
        others = [v for v in EVM_VERSIONS if v != DEFAULT_EVM_VERSION]
        builds = dict(zip(others, (bytecode(name, v) for v in others), strict=True))
        artifact["evmVersions"] = sorted([DEFAULT_EVM_VERSION, *(v for v, b in builds.items() if b == out[1])])
        differing = {v: b for v, b in builds.items() if b != out[1]}
        if differing:
            artifact["bytecodeByEvmVersion"] = differing
    return artifact


def merged_abi(own: list[dict[str, Any]], delegated: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`own` plus the functions and events of `delegated` it does not already have."""
    have = {(entry["type"], entry.get("name")) for entry in own}
    extra = [
        entry for entry in delegated
        if entry["type"] in ("function", "event") and (entry["type"], entry.get("name")) not in have
    ]
    return [*own, *extra]


def standard_json(name: str, evm_version: str = DEFAULT_EVM_VERSION) -> dict[str, Any]:
    """The standard-JSON input vyper compiles contract `name` from, for `evm_version`.

    Sources are keyed by their import path (``contracts/...``, ``snekmate/...``)
    with the search path ``.``, so the file compiles anywhere: it needs no
    checkout and no installed snekmate (``vyper-json < Name.json``)."""
    if evm_version not in EVM_VERSIONS:
        raise ValueError(f"unknown EVM version {evm_version!r}; choose one of {', '.join(EVM_VERSIONS)}")
    data: dict[str, Any] = json.loads(_vyper("--evm-version", evm_version, "-f", "solc_json", source_of(name)))
    prefixes = sorted(
        {str(p).rstrip("/") + "/" for p in data["settings"].get("search_paths", []) if str(p) not in (".", "")},
        key=len, reverse=True,
    )

    def key(path: str) -> str:
        for prefix in prefixes:
            if path.startswith(prefix):
                return path[len(prefix):]
        return path

    sources = {key(path): body for path, body in data["sources"].items()}
    target = key(source_of(name))
    return {
        "language": "Vyper",
        "sources": dict(sorted(sources.items())),
        "settings": {
            "evmVersion": evm_version,
            "search_paths": ["."],
            "outputSelection": {target: ["*"]},
        },
        "compiler_version": data.get("compiler_version"),
        "integrity": data.get("integrity"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, do not write")
    args = parser.parse_args()
    names = (*DEPLOYABLE, *EXTRA)
    with ThreadPoolExecutor(max_workers=2) as pool:
        artifacts = list(pool.map(compile_contract, names))
    by_name = dict(zip(names, artifacts, strict=True))
    for name, other in RUNS_CODE_OF.items():
        by_name[name]["abi"] = merged_abi(by_name[name]["abi"], by_name[other]["abi"])
    stale = []
    for name, artifact in zip(names, artifacts, strict=True):
        path = OUT / f"{name}.json"
        text = json.dumps(artifact, indent=1, sort_keys=True) + "\n"
        if path.exists() and path.read_text() == text:
            continue
        if args.check:
            stale.append(name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print(f"stale artifacts: {', '.join(stale)}; run `make artifacts`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
