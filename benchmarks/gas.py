"""Gas benchmarks: full-transaction gas of each Charter operation on a fresh anvil.

    make bench        # or: python benchmarks/gas.py [--out PATH]

Writes ``{"gas": {operation: gas used}, "targets": [{check, measured, limit,
met}]}`` to ``--out`` (default ``.build/bench/gas.json``, untracked; ``make
bench UPDATE=1`` writes the reference copy, benchmarks/results/gas.json, see
benchmarks/README.md) and prints both as tables. Exits 1
if a cost target of DESIGN.md is missed. Session conditions are described in
``benchmarks/sessions.py``, intent conditions (two anvils) and the relayer's
speed in ``benchmarks/intents.py``, the ERC-8004 trust registries' in
``benchmarks/trust.py``.

Conditions (documented so numbers stay comparable across runs):
- every "register" is the caller's first agent (its ERC-721 balance goes 0 -> 1);
- registry.register_uri uses a 59-character ipfs:// URI;
- registry.register_uri_16k registers a 16,384-byte agent card inlined as a
  ``data:application/json;base64,`` URI, registry.register_uri_max a URI of
  URI_MAX (20,480) bytes: both must fit EIP-7825's 2**24 gas cap on one
  transaction;
- registry.set_agent_uri replaces that URI with another 59-character one;
- registry.set_metadata writes a new 8-byte key with a 32-byte value;
- registry.set_agent_wallet is a first proof from a fresh EOA wallet;
- registry.transfer is transferFrom to an address that holds no agent.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3
from web3.contract import Contract

from charter import NodeSigner
from charter._core.artifacts import abi, init_code
from charter._core.deployments import CONTRACT_OF, CONTRACTS
from charter.deployments import Manifest, create2_address, ensure_deployed
from charter.devchain import DEV_KEYS, local_anvil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hyperlane import hyperlane_checks
from intents import bench_intents, intent_checks
from sessions import bench_sessions, derived, session_checks
from trust import bench_trust

RESULTS = Path(__file__).resolve().parent.parent / ".build" / "bench" / "gas.json"
URI_59 = "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa"
URI_59_B = "ipfs://bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquv"
URI_MAX = 20_480
TX_GAS_CAP = 2**24  # EIP-7825: the most gas one transaction may use


def data_uri(size: int) -> str:
    """A ``data:application/json;base64,`` agent card of exactly `size` bytes."""
    prefix = "data:application/json;base64,"
    body = base64.b64encode(json.dumps({"name": "agent", "description": "x" * size}).encode()).decode()
    return (prefix + body)[:size]


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
    # The deployer's and a fresh account's first agents: cards inlined on chain.
    out["registry.register_uri_16k"] = _gas(
        w3, lambda: fn.register(data_uri(16_384)).transact({"from": a[0].address, "gas": TX_GAS_CAP})
    )
    big = w3.eth.account.create()
    funding = w3.eth.send_transaction({"from": a[0].address, "to": big.address, "value": 10**18})
    w3.eth.wait_for_transaction_receipt(funding)
    out["registry.register_uri_max"] = _gas(
        w3, lambda: w3.eth.send_raw_transaction(big.sign_transaction({
            "to": registry.address, "data": fn.register(data_uri(URI_MAX))._encode_transaction_data(),
            "gas": TX_GAS_CAP, "gasPrice": w3.eth.gas_price * 2, "nonce": 0, "chainId": w3.eth.chain_id,
        }).raw_transaction)
    )
    return out


EIP170_LIMIT = 24_576
SIZE_MARGIN = 4_000
# Suite entry deployed for each contract (AgentAccount: the EIP-7702 delegate).
DEPLOYED_AS = {CONTRACT_OF[entry]: entry for entry in CONTRACTS}


def contract_sizes(w3: Web3) -> dict[str, dict[str, int]]:
    """Runtime code (as deployed) and init code size of every deployable contract."""
    sizes = {}
    for name, entry in DEPLOYED_AS.items():
        runtime = len(w3.eth.get_code(create2_address(entry)))
        sizes[name] = {"runtime": runtime, "init": len(init_code(name)), "margin": EIP170_LIMIT - runtime}
    return sizes


def size_checks(sizes: dict[str, dict[str, int]]) -> list[tuple[str, int, int]]:
    """Each contract keeps at least SIZE_MARGIN bytes below the EIP-170 limit."""
    return [(f"size.{name}.runtime", s["runtime"], EIP170_LIMIT - SIZE_MARGIN) for name, s in sizes.items()]


def registry_checks(r: dict[str, int]) -> list[tuple[str, int, int]]:
    return [
        ("registry.register_uri", r["registry.register_uri"], 140_000),
        ("registry.register_uri_max", r["registry.register_uri_max"], TX_GAS_CAP),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Charter gas benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    with local_anvil() as chain:
        w3 = chain.w3
        signer = NodeSigner(w3, w3.eth.accounts[0])
        ensure_deployed(w3, signer, manifest=Manifest(path=None))
        registry = w3.eth.contract(address=create2_address("AgentRegistry"), abi=abi("AgentRegistry"))
        sizes = contract_sizes(w3)
        results = bench_registry(w3, registry)
        sessions = bench_sessions(w3)
        results.update(bench_trust(w3))
    results.update(sessions)
    results.update(derived(sessions))
    intents = bench_intents()
    oracle_size = intents.pop("size.AttesterOracle")
    sizes["AttesterOracle"] = {
        "runtime": oracle_size, "init": len(init_code("AttesterOracle")), "margin": EIP170_LIMIT - oracle_size,
    }
    relay = {k: intents.pop(k) for k in list(intents) if k.startswith("relay.")}
    results.update(intents)
    checks = registry_checks(results) + session_checks(results) + intent_checks(results) + hyperlane_checks(results)
    checks += size_checks(sizes)
    body = {
        "gas": results,
        "relay": relay,
        "sizes": sizes,
        "targets": [
            {"check": what, "measured": measured, "limit": limit, "met": measured <= limit}
            for what, measured, limit in checks
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")

    console = Console()
    table = Table(title="Charter gas (full transaction, fresh anvil)")
    table.add_column("operation")
    table.add_column("gas", justify="right")
    for name, gas in results.items():
        table.add_row(name, f"{gas:,}")
    console.print(table)
    for name, value in relay.items():
        console.print(f"{name}: {value}")
    targets = Table(title="Cost targets (DESIGN.md)")
    targets.add_column("check")
    targets.add_column("measured", justify="right")
    targets.add_column("limit", justify="right")
    targets.add_column("")
    missed = []
    for what, measured, limit in checks:
        ok = measured <= limit
        if not ok:
            missed.append(what)
        targets.add_row(what, f"{measured:,}", f"{limit:,}", "ok" if ok else "[red]MISSED[/red]")
    console.print(targets)
    console.print(f"wrote {args.out}")
    if missed:
        console.print(f"[red]targets missed: {', '.join(missed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
