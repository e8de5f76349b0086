"""Gas benchmarks: full-transaction gas of each Charter operation on a fresh anvil.

    make bench        # or: python benchmarks/gas.py [--out PATH]

Writes a JSON object {operation name: gas used} to benchmarks/results/gas.json
and prints the same as a table, with the cost targets of DESIGN.md. Exits 1
if an operation misses its target.

Conditions (documented so numbers stay comparable across runs):
- every "register" is the caller's first agent (its ERC-721 balance goes 0 -> 1);
- registry.register_uri uses a 59-character ipfs:// URI;
- registry.set_agent_uri replaces that URI with another 59-character one;
- registry.set_metadata writes a new 8-byte key with a 32-byte value;
- registry.set_agent_wallet is a first proof from a fresh EOA wallet;
- registry.transfer is transferFrom to an address that holds no agent.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.contract import Contract

from charter.artifacts import abi
from charter.deployments import Manifest, ensure_deployed
from charter.devchain import DEV_KEYS, local_anvil
from charter.signers import NodeSigner

RESULTS = Path(__file__).resolve().parent / "results" / "gas.json"
URI_59 = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa"
URI_59_B = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquv"
TARGETS = {"registry.register_uri": 140_000}


def _gas(w3: Web3, send: Callable[[], bytes]) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(send())
    if receipt["status"] != 1:
        raise SystemExit(f"benchmark transaction reverted: {receipt['transactionHash'].hex()}")
    return int(receipt["gasUsed"])


def bench_registry(w3: Web3, registry: Contract) -> dict[str, int]:
    a = [Account.from_key(k) for k in DEV_KEYS]
    fn = registry.functions
    out: dict[str, int] = {}
    out["registry.register"] = _gas(w3, lambda: fn.register().transact({"from": a[1].address}))
    out["registry.register_uri"] = _gas(
        w3, lambda: fn.register(URI_59).transact({"from": a[2].address})
    )
    agent_id = fn.totalSupply().call()
    owner = a[2].address
    out["registry.set_agent_uri"] = _gas(
        w3, lambda: fn.setAgentURI(agent_id, URI_59_B).transact({"from": owner})
    )
    out["registry.set_metadata"] = _gas(
        w3, lambda: fn.setMetadata(agent_id, "endpoint", b"\x42" * 32).transact({"from": owner})
    )
    wallet = a[3]
    deadline = w3.eth.get_block("latest")["timestamp"] + 240
    digest = fn.hashAgentWalletSet(agent_id, wallet.address, owner, deadline).call()
    signature = wallet.unsafe_sign_hash(digest).signature
    out["registry.set_agent_wallet"] = _gas(
        w3,
        lambda: fn.setAgentWallet(agent_id, wallet.address, deadline, signature).transact(
            {"from": owner}
        ),
    )
    out["registry.pause"] = _gas(w3, lambda: fn.pause(agent_id).transact({"from": owner}))
    out["registry.transfer"] = _gas(
        w3, lambda: fn.transferFrom(owner, a[4].address, agent_id).transact({"from": owner})
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="Charter gas benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    with local_anvil() as chain:
        w3 = chain.w3
        signer = NodeSigner(w3, w3.eth.accounts[0])
        [deployed] = ensure_deployed(w3, signer, manifest=Manifest(path=None))
        registry = w3.eth.contract(address=deployed.address, abi=abi("AgentRegistry"))
        results = bench_registry(w3, registry)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    table = Table(title="Charter gas (full transaction, fresh anvil)")
    table.add_column("operation")
    table.add_column("gas", justify="right")
    table.add_column("target", justify="right")
    missed = []
    for name, gas in results.items():
        target = TARGETS.get(name)
        mark = ""
        if target is not None:
            ok = gas <= target
            mark = f"≤ {target:,} {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(name)
        table.add_row(name, f"{gas:,}", mark)
    console = Console()
    console.print(table)
    console.print(f"wrote {args.out}")
    if missed:
        console.print(f"[red]targets missed: {', '.join(missed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
