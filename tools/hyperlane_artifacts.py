"""Extract the ABI and creation bytecode of Hyperlane's contracts from the pinned npm package.

`@hyperlane-xyz/core` (package.json, package-lock.json) ships them in its
typechain factories (JavaScript modules: ``const _abi = [...]`` and
``const _bytecode = "0x..."``). This reads those two constants, without
running the modules (they import ethers, which is not installed), and writes
``.build/hyperlane/<Name>.json`` = {"abi", "bytecode", "source", "version"}.
Nothing of Hyperlane's is committed; ``make setup`` runs this.

    python tools/hyperlane_artifacts.py [--node-modules DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "@hyperlane-xyz/core"
FACTORIES = "dist/typechain/factories/contracts"
CONTRACTS = {
    "Mailbox": "Mailbox__factory.js",
    "MerkleTreeHook": "hooks/MerkleTreeHook__factory.js",
    "StorageMessageIdMultisigIsm": "isms/multisig/StorageMultisigIsm.sol/StorageMessageIdMultisigIsm__factory.js",
    "TestPostDispatchHook": "test/TestPostDispatchHook__factory.js",
    "TestRecipient": "test/TestRecipient__factory.js",
}

_ABI = re.compile(r"const _abi = (\[.*?\n\]);", re.S)
_BYTECODE = re.compile(r'const _bytecode = "(0x[0-9a-fA-F]+)";')
_KEY = re.compile(r"^(\s*)([A-Za-z_$][\w$]*):", re.M)
_TRAILING_COMMA = re.compile(r",(\s*[\]}])")


def js_literal_to_json(text: str) -> object:
    """The JSON value of a JavaScript array literal as typechain writes it
    (unquoted keys, double-quoted strings, trailing commas)."""
    return json.loads(_TRAILING_COMMA.sub(r"\1", _KEY.sub(r'\1"\2":', text)))


def extract(source: Path) -> dict[str, object]:
    text = source.read_text()
    abi, bytecode = _ABI.search(text), _BYTECODE.search(text)
    if abi is None or bytecode is None:
        raise ValueError(f"{source}: no `_abi` / `_bytecode` constant (has the package's layout changed?)")
    if "__$" in bytecode.group(1):
        raise ValueError(f"{source}: the bytecode needs linked libraries")
    return {"abi": js_literal_to_json(abi.group(1)), "bytecode": bytecode.group(1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node-modules", type=Path, default=ROOT / "node_modules")
    parser.add_argument("--out", type=Path, default=ROOT / ".build" / "hyperlane")
    args = parser.parse_args(argv)
    package = args.node_modules / PACKAGE
    manifest = package / "package.json"
    if not manifest.exists():
        print(f"{PACKAGE} is not installed in {args.node_modules}: run `npm ci` (make setup)", file=sys.stderr)
        return 1
    version = json.loads(manifest.read_text())["version"]
    args.out.mkdir(parents=True, exist_ok=True)
    for name, relative in CONTRACTS.items():
        artifact = extract(package / FACTORIES / relative)
        artifact.update(source=f"{PACKAGE}@{version}/{FACTORIES}/{relative}", version=version)
        (args.out / f"{name}.json").write_text(json.dumps(artifact))
    print(f"wrote {len(CONTRACTS)} Hyperlane artifacts ({PACKAGE}@{version}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
