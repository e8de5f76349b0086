"""``charter mcp`` speed: a tool call to its confirmed receipt, and a grant request to the first action.

    make bench        # among the others (~40 s); or: python benchmarks/agents.py [--out PATH] [--calls N] [--grants N]

Writes ``{"calls": {mode: latency}, "overhead": {mode: against the SDK},
"grant_request": {approval: parts}, "startup_ms", "gas", "conditions",
"machine"}`` to ``--out`` (default ``.build/bench/agents.json``; ``UPDATE=1``:
the committed copy in benchmarks/results/, see benchmarks/README.md) and
prints it. No target is set: the script exits 1 only if something fails (a
refused call, a missing receipt, a balance that does not add up). The
server's stderr and its state (grant requests, approved grants) stay in
``.build/bench/agents/``.

Conditions (documented so numbers stay comparable across runs):

- one fresh anvil (chain 31801) that mines a block per transaction
  (``local_anvil``, automine), the Charter suite (``Charter.deploy``), and
  a 6-decimal USDC stand-in (``tests/agents/Usdc3009.vy``, compiled with
  ``vyper.compile_code``). The principal (dev key 1) is a Charter account
  (EIP-7702) holding the USDC, and owns the agent, so her grants need no
  separate consent. The recipient (dev key 2) already holds USDC;
- ``calls``: the same transfer, ``transfer(bob, 10000)`` (0.01 USDC, raw
  units) from the principal's account, each confirmed (its receipt read)
  before the next one starts, ``--calls`` times (default 200) in each mode,
  after 5 unmeasured warm-up calls per mode. The modes run interleaved (one
  call of each in turn), so a change of the machine's load falls on all
  three alike; each has its own session key (no shared nonces) and its own
  grant of the same shape: ``transfer(address to,uint256 amount)`` with
  ``to = bob``, a 1,000 USDC budget, valid for an hour:
  - ``stdio``: ``charter_call`` through ``charter mcp --config FILE``, the
    real command as a subprocess, driven by the ``mcp`` package's
    ``Client`` over stdio (``StdioServerParameters``), timed from the
    client's ``call_tool`` to its answer (which the server gives only with
    the receipt);
  - ``inprocess``: ``charter_call`` through ``Client(build_server(service))``
    in this process (the same tools without the pipes and the second
    process);
  - ``sdk``: ``Sessions.execute(signed, Call.to(token, "transfer(address,uint256)",
    bob, 10000), key=...)`` directly, on a ``Web3`` built as the server builds
    its own (``charter.processes.chain.connect``: HTTP, no retries). Every mode
    simulates, signs, sends and waits for the receipt the same way (the SDK's
    ``transact``);
  - ``overhead``: each server mode against ``sdk``, p50 difference and ratio;
  - the receipt: every mode waits with the SDK's ``wait_receipt``, which asks
    at once, then after 5, 10, 20, 40 and 80 ms, then every 0.1 s (a call
    takes ~12 ms: 13 RPC requests). ``at_least_100ms`` counts the calls that
    still took 100 ms or more (with web3's own wait, 0.1 s before the second
    look, 20-30 % of the calls did, and p95 sat ~100 ms above p50);
- ``grant_request``: on the stdio server, ``--grants`` times (default 10)
  for each of two approvals, alternating: ``charter_request_grant`` (a
  transfer to bob, 1 USDC budget, 30 minutes) returns the review URL; the
  principal approves it by script, either ``cli``: ``charter --rpc URL grant
  approve REQUEST_URL --yes`` as a subprocess (a fresh Python process: its
  start-up and imports are part of the figure, see ``startup_ms.cli``), or
  ``sdk``: the same steps in this process (``GET REQUEST_URL.json``,
  ``Sessions.sign`` of the requested grant, ``POST`` of the signature); then
  the first ``charter_call`` under the new grant (a transfer of 0.01 USDC to
  bob) is confirmed. Figures: the median of each part and of the total;
- ``startup_ms``: ``stdio_server``: from launching ``charter mcp`` to the
  end of the MCP initialization (connecting to the chain, loading the grant,
  starting the approvals page included); ``cli``: ``charter --help`` as a
  subprocess (the median of 3), the floor of any ``charter`` command.

Figures depend on the machine and its load (the anvil, the server and this
process share the cores): ``machine`` records the Python version, the CPU
count and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import requests
import vyper
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from rich.console import Console
from rich.table import Table
from web3 import Web3

from charter import Call, Charter, LocalSigner
from charter.agents.config import ChainSettings, load_agent_config, render_agent_config
from charter.agents.server import build_server
from charter.agents.service import AgentService
from charter.deployments import Manifest
from charter.devchain import DEV_KEYS, local_anvil
from charter.processes.chain import connect
from charter.sessions import Grant, SignedGrant, equals
from charter.sessions.describe import save_grant

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
RESULTS = BENCH / "agents.json"
WORK = BENCH / "agents"
TOKEN_SOURCE = ROOT / "tests" / "agents" / "Usdc3009.vy"

CHAIN_ID = 31_801
USDC = 10**6
AMOUNT = 10_000  # 0.01 USDC, raw units
WARMUP = 5
TRANSFER = "transfer(address,uint256)"
TRANSFER_NAMED = "transfer(address to,uint256 amount)"
POLL_MS = 100  # a call this slow had its receipt looked for more than five times
AGENT_URI = "https://agents.example.org/bench/agent-card.json"


def _percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank (as in processes.py)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def _stats(ms: Sequence[float]) -> dict[str, float]:
    """Percentiles, and how many calls took 100 ms or more."""
    return {"n": len(ms), "p50": round(_percentile(ms, 50), 2), "p95": round(_percentile(ms, 95), 2),
            "mean": round(statistics.fmean(ms), 2), "min": round(min(ms), 2), "max": round(max(ms), 2),
            "at_least_100ms": sum(1 for m in ms if m >= POLL_MS)}


def _key(label: str) -> LocalSigner:
    """A fixed key per role, so every run sends the same transactions."""
    return LocalSigner.from_key(bytes(Web3.keccak(text=f"charter bench agents {label}")))


def _key_hex(signer: LocalSigner) -> str:
    return "0x" + bytes(signer.account.key).hex()


class World:
    """The chain, the suite, the token, the principal (alice), her agent and the recipient (bob)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.w3 = connect(url, 10)
        self.deployer = LocalSigner.from_key(DEV_KEYS[0])
        self.alice = LocalSigner.from_key(DEV_KEYS[1])
        self.bob = LocalSigner.from_key(DEV_KEYS[2]).address
        self.manifest = Manifest(path=None)
        Charter.deploy(self.w3, self.deployer, manifest=self.manifest)
        charter = Charter.connect(self.w3, signer=self.alice, manifest=self.manifest)
        charter.accounts.upgrade(self.alice)
        self.agent_id = charter.registry.register(AGENT_URI)
        out = vyper.compile_code(TOKEN_SOURCE.read_text(), output_formats=["bytecode", "abi"])
        receipt = self._wait(self.deployer.send_transaction(self.w3, {"data": out["bytecode"]}))
        self.token = self.w3.eth.contract(address=receipt["contractAddress"], abi=out["abi"])
        self.send(self.token.functions.mint(self.alice.address, 1_000_000 * USDC))
        self.send(self.token.functions.mint(self.bob, 1 * USDC))  # bob already holds USDC
        assert self.token.functions.decimals().call() == 6

    def _wait(self, tx_hash: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise SystemExit(f"setup transaction reverted: {receipt['transactionHash'].hex()}")
        return receipt

    def send(self, fn: Any) -> None:
        self._wait(self.deployer.send_transaction(
            self.w3, {"to": fn.address, "data": fn._encode_transaction_data()}))

    def fund(self, key: LocalSigner) -> None:
        self._wait(self.deployer.send_transaction(self.w3, {"to": key.address, "value": 10**18}))

    def grant(self, key: LocalSigner, folder: Path) -> tuple[SignedGrant, Path]:
        """Alice's grant for `key`: transfers of USDC to bob, 1,000 USDC in all, for an hour; saved to a file."""
        sessions = Charter.connect(self.w3, manifest=self.manifest).sessions
        builder = (sessions.builder(self.alice.address, self.agent_id, key.address)
                   .allow(self.token.address, TRANSFER_NAMED, to=equals(self.bob))
                   .token_budget(self.token.address, cap=1_000 * USDC)
                   .valid_for(hours=1))
        signed = sessions.sign(sessions.prepare(builder), self.alice)
        path = folder / f"grant-{key.address[2:10].lower()}.json"
        save_grant(str(path), signed, [TRANSFER_NAMED])
        return signed, path

    def balance(self, who: str) -> int:
        return int(self.token.functions.balanceOf(who).call())


def write_config(world: World, folder: Path, grants: list[Path], approvals: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mcp.toml"
    path.write_text(render_agent_config(world.agent_id, [ChainSettings(CHAIN_ID, world.url)],
                                        account=world.alice.address, grants=grants, state_dir=folder / "state",
                                        approvals=approvals))
    return path


def _answer(result: Any, what: str) -> dict[str, Any]:
    data = dict(result.structured_content or {})
    if result.is_error or not data:
        raise SystemExit(f"{what} failed: {json.dumps(data) or result}")
    return data


def _transfer(grant: str, amount: int, bob: str, token: str) -> dict[str, Any]:
    return {"grant": grant, "calls": [{"target": token, "function": TRANSFER, "args": [bob, amount]}]}


def _timed_sync(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return (time.perf_counter() - start) * 1000, out


def _cli_startup() -> float:
    """Median of 3 runs of ``charter --help`` in a fresh interpreter (ms)."""
    runs = []
    for _ in range(3):
        ms, done = _timed_sync(lambda: subprocess.run([sys.executable, "-m", "charter.cli", "--help"],
                                                      capture_output=True, timeout=60))
        if done.returncode != 0:
            raise SystemExit(f"charter --help failed: {done.stderr.decode(errors='replace')}")
        runs.append(ms)
    return statistics.median(runs)


async def measure(world: World, calls: int, grant_rounds: int, console: Console) -> dict[str, Any]:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    keys = {mode: _key(mode) for mode in ("stdio", "inprocess", "sdk")}
    grants: dict[str, SignedGrant] = {}
    files: dict[str, Path] = {}
    for mode, key in keys.items():
        world.fund(key)
        grants[mode], files[mode] = world.grant(key, WORK)
    hashes = {mode: "0x" + g.hash.hex() for mode, g in grants.items()}
    token, bob = world.token.address, world.bob

    # the SDK, as an application holding the session key would call it
    sdk_sessions = Charter.connect(connect(world.url, 10), signer=keys["sdk"], manifest=world.manifest).sessions
    sdk_call = Call.to(token, TRANSFER, bob, AMOUNT)

    def sdk_transfer() -> Any:
        return sdk_sessions.execute(grants["sdk"], sdk_call, key=keys["sdk"])

    # the in-process server (no approvals page)
    inproc_config = write_config(world, WORK / "inprocess", [files["inprocess"]], "off")
    service = AgentService(load_agent_config(inproc_config), keys["inprocess"])

    # the real command over stdio; its stderr goes to a log file instead of this terminal
    stdio_config = write_config(world, WORK / "stdio", [files["stdio"]], "127.0.0.1:0")
    params = StdioServerParameters(command=sys.executable, args=["-m", "charter.cli", "mcp", "--config",
                                                                 str(stdio_config)],
                                   env={**os.environ, "CHARTER_SESSION_KEY": _key_hex(keys["stdio"])})
    bob_before = world.balance(bob)
    moved = 0
    samples: dict[str, list[float]] = {"stdio": [], "inprocess": [], "sdk": []}
    gas: dict[str, int] = {}

    async with AsyncExitStack() as stack:
        errlog = stack.enter_context(open(WORK / "stdio" / "mcp-stderr.log", "w"))
        start = time.perf_counter()
        stdio = await stack.enter_async_context(Client(stdio_client(params, errlog=errlog)))
        stdio_startup = (time.perf_counter() - start) * 1000
        inproc = await stack.enter_async_context(Client(build_server(service)))
        clients = {"stdio": stdio, "inprocess": inproc}

        async def server_transfer(mode: str, amount: int = AMOUNT, grant: str | None = None) -> tuple[float, dict]:
            start = time.perf_counter()
            result = await clients[mode].call_tool("charter_call", _transfer(grant or hashes[mode], amount, bob,
                                                                             token))
            ms = (time.perf_counter() - start) * 1000
            data = _answer(result, f"charter_call ({mode})")
            if not data.get("done") or not data.get("block"):
                raise SystemExit(f"charter_call ({mode}) answered without a receipt: {data}")
            return ms, data

        console.print(f"calls: {WARMUP} warm-up + {calls} measured per mode (stdio, inprocess, sdk), interleaved")
        for i in range(WARMUP + calls):
            for mode in ("stdio", "inprocess"):
                ms, data = await server_transfer(mode)
                if i >= WARMUP:
                    samples[mode].append(ms)
                gas[mode] = int(data["gas_used"])
            ms, result = _timed_sync(sdk_transfer)
            if i >= WARMUP:
                samples["sdk"].append(ms)
            gas["sdk"] = result.gas_used
            moved += 3 * AMOUNT

        console.print(f"grant requests: {grant_rounds} approved by `charter grant approve --yes`, "
                      f"{grant_rounds} by the SDK, alternating")
        chain_id = CHAIN_ID
        rounds: dict[str, list[dict[str, float]]] = {"cli": [], "sdk": []}
        principal_sessions = Charter.connect(connect(world.url, 10), manifest=world.manifest).sessions
        cli_env = {**os.environ, "CHARTER_PRIVATE_KEY": _key_hex(world.alice)}
        first_gas = 0

        def approve_cli(url: str) -> None:
            done = subprocess.run([sys.executable, "-m", "charter.cli", "--rpc", world.url, "grant", "approve", url,
                                   "--yes"], env=cli_env, capture_output=True, text=True, timeout=120)
            if done.returncode != 0:
                raise SystemExit(f"charter grant approve failed: {done.stderr}")

        def approve_sdk(url: str) -> None:
            record = requests.get(url + ".json", timeout=10).json()
            signed = principal_sessions.sign(Grant.model_validate(record["grant"]), world.alice)
            if "0x" + signed.hash.hex() != record["grant_hash"]:
                raise SystemExit("the requested grant does not hash to the grant_hash the server showed")
            answer = requests.post(url, json={"signature": "0x" + signed.signature.hex(),
                                              "agent_consent": "0x" + signed.agent_consent.hex()}, timeout=30)
            if answer.status_code != 200 or not answer.json().get("approved"):
                raise SystemExit(f"the server refused the signature: {answer.text[:300]}")

        approvals = {"cli": approve_cli, "sdk": approve_sdk}
        for i in range(2 * grant_rounds):
            how = "cli" if i % 2 == 0 else "sdk"
            start = time.perf_counter()
            request = _answer(await stdio.call_tool("charter_request_grant", {
                "chain_id": chain_id, "valid_for": "30m",
                "allow": [f"{token}:{TRANSFER_NAMED}:to={bob}"],
                "token_budgets": [f"{token}:{1 * USDC}"],
                "reason": f"benchmark round {i}"}), "charter_request_grant")
            asked = time.perf_counter()
            await anyio.to_thread.run_sync(approvals[how], request["url"])
            approved = time.perf_counter()
            _, data = await server_transfer("stdio", AMOUNT, request["grant_hash"])
            done = time.perf_counter()
            moved += AMOUNT
            first_gas = int(data["gas_used"])
            rounds[how].append({"request_ms": (asked - start) * 1000, "approve_ms": (approved - asked) * 1000,
                                "first_call_ms": (done - approved) * 1000, "total_ms": (done - start) * 1000})

    received = world.balance(bob) - bob_before
    if received != moved:
        raise SystemExit(f"bob received {received} raw units, the calls reported {moved}")

    stats = {mode: _stats(ms) for mode, ms in samples.items()}
    overhead = {
        mode: {"p50_ms": round(stats[mode]["p50"] - stats["sdk"]["p50"], 2),
               "p50_ratio": round(stats[mode]["p50"] / stats["sdk"]["p50"], 2),
               "p95_ms": round(stats[mode]["p95"] - stats["sdk"]["p95"], 2)}
        for mode in ("stdio", "inprocess")
    }
    grant_request = {
        how: {"runs": len(rs), **{part: round(statistics.median(r[part] for r in rs), 1)
                                  for part in ("request_ms", "approve_ms", "first_call_ms", "total_ms")},
              "total_ms_max": round(max(r["total_ms"] for r in rs), 1)}
        for how, rs in rounds.items()
    }
    return {
        "calls": stats,
        "overhead": overhead,
        "grant_request": grant_request,
        "startup_ms": {"stdio_server": round(stdio_startup, 1), "cli": round(_cli_startup(), 1)},
        "gas": {"transfer": gas["sdk"], "transfer_via_server": gas["stdio"], "first_call_new_grant": first_gas},
    }


def _print(console: Console, body: dict[str, Any]) -> None:
    t = Table(title="charter_call to confirmed receipt (ms, anvil automine)")
    for col in ("mode", "n", "p50", "p95", "mean", "min", "max", "≥ 100 ms", "p50 over sdk"):
        t.add_column(col, justify="left" if col == "mode" else "right")
    for mode, s in body["calls"].items():
        over = body["overhead"].get(mode)
        versus = f"+{over['p50_ms']:.1f} (×{over['p50_ratio']})" if over else ""
        t.add_row(mode, str(s["n"]), f"{s['p50']:.1f}", f"{s['p95']:.1f}", f"{s['mean']:.1f}", f"{s['min']:.1f}",
                  f"{s['max']:.1f}", str(s["at_least_100ms"]), versus)
    console.print(t)
    g = Table(title="Grant request to first action (ms, median)")
    for col in ("approved by", "runs", "request", "approve", "first call", "total", "total max"):
        g.add_column(col, justify="left" if col == "approved by" else "right")
    for how, r in body["grant_request"].items():
        g.add_row(how, str(r["runs"]), f"{r['request_ms']:.0f}", f"{r['approve_ms']:.0f}",
                  f"{r['first_call_ms']:.0f}", f"{r['total_ms']:.0f}", f"{r['total_ms_max']:.0f}")
    console.print(g)
    s = body["startup_ms"]
    console.print(f"start-up: charter mcp over stdio {s['stdio_server']:.0f} ms; charter --help {s['cli']:.0f} ms")
    console.print(f"gas: transfer {body['gas']['transfer']:,}, first call under a new grant "
                  f"{body['gas']['first_call_new_grant']:,}")


def main() -> int:
    parser = argparse.ArgumentParser(description="charter mcp: tool call latency, grant request to first action")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--calls", type=int, default=200, help="measured transfers per mode")
    parser.add_argument("--grants", type=int, default=10, help="grant requests per approval (cli, sdk)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows under make
    console = Console() if sys.stdout.isatty() else Console(width=120)
    load_before = os.getloadavg()
    began = time.perf_counter()
    with local_anvil(chain_id=CHAIN_ID) as chain:
        world = World(chain.url)
        figures = anyio.run(measure, world, args.calls, args.grants, console)
    body = {
        **figures,
        "conditions": {"calls_per_mode": args.calls, "warmup_calls": WARMUP, "grant_requests_per_approval":
                       args.grants, "amount_raw": AMOUNT, "token_decimals": 6, "mining": "automine",
                       "chain_id": CHAIN_ID},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "seconds": round(time.perf_counter() - began, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    _print(console, body)
    console.print(f"wrote {args.out} ({body['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
