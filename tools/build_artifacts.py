"""Compile the deployable contracts and write the SDK's artifacts.

    python tools/build_artifacts.py          # write src/charter/abi/<Name>.json
    python tools/build_artifacts.py --check  # exit 1 if they are stale

The artifacts (ABI + init code) ship with the `charter` package, so the SDK
and CLI work without a compiler, and the init code fixes the CREATE2 address
of every contract on every chain.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
OUT = ROOT / "src" / "charter" / "abi"
DEPLOYABLE = (
    "AgentRegistry", "SessionManager", "SessionView", "AgentAccount", "IntentSettler", "AttesterOracle",
    "HyperlaneReporter", "HyperlaneOracle",
)
# Not part of the suite: the ERC-20 `make demo` and `charter demo` deploy.
EXTRA = {"DemoToken": "tests/mocks/Token.vy"}


def _search_path() -> str:
    spec = importlib.util.find_spec("snekmate")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("snekmate is not installed: run `make setup` first")
    return str(Path(next(iter(spec.submodule_search_locations))).parent)


def compile_contract(name: str) -> dict:
    vyper = Path(sys.executable).parent / "vyper"
    source = EXTRA.get(name, f"contracts/{name}.vy")
    out = subprocess.run(
        [str(vyper), "-p", _search_path(), "-f", "abi,bytecode", source],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip().splitlines()
    return {
        "contractName": name,
        "compiler": "vyper-0.4.3",
        "abi": json.loads(out[0]),
        "bytecode": out[1],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, do not write")
    args = parser.parse_args()
    stale = []
    for name in (*DEPLOYABLE, *EXTRA):
        artifact = compile_contract(name)
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
