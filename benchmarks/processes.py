"""Relayer and solver end to end: orders per minute, fills per block, fill-to-settled latency, memory.

    make bench            # among the others: the short profiles (1 s blocks, then 12 s blocks), ~4 min
    make bench-long       # 10,000 orders on 1 s blocks, ~15 min (or CHARTER_BENCH_LONG=1 make bench: both)
    python benchmarks/processes.py [--long] [--only 1s|12s] [--orders N] [--rate R] [--profile] [--out PATH]

Writes ``{"profiles": {name: figures}, "conditions", "machine", "targets":
[{check, measured, limit, met}]}`` to ``--out`` (default
``.build/bench/processes.json``, ``--long``: ``processes-long.json``;
``UPDATE=1``: the committed copies in benchmarks/results/, see
benchmarks/README.md) and prints them. Exits 1 if a target of issue 18 is
missed (every target here is a floor: ``measured >= limit``). The processes'
TOML files, logs and SQLite files stay in ``.build/bench/processes/<profile>/``.

Conditions (documented so numbers stay comparable across runs):

- two fresh anvils (chains 31701 and 31702) that mine **only** on their
  interval, as live chains do (``local_anvil(..., interval_only=True)``):
  every transaction waits for the next block, so figures per block mean
  something. The contracts are deployed with automine on (seconds instead
  of minutes on 12 s blocks); ``evm_setIntervalMining`` puts both chains
  back on their interval before the processes start;
- on both: the Charter suite (``Charter.deploy``) and a DemoToken; on the
  origin an AttesterOracle with a 2-of-3 committee (``deploy_oracle``); on the
  destination the solver's agent;
- the processes as an operator runs them: ``charter relay`` (the three
  committee keys, batches of 10) and ``charter solve`` (one route, the default
  ``max_pending`` of 50) as subprocesses with TOML files, ``confirmations =
  2`` on both chains, ``poll_interval`` 0.2 s (1 s blocks) or 0.5 s (12 s);
- the load: 8 users (each approved the settler once, up front) open
  one-input, one-output ERC-20 orders (no user agent, fill deadline an hour
  ahead) at a steady rate, round robin, each user's transactions back to
  back with consecutive nonces (signed locally, 300,000 gas, no estimate);
- everything is measured from chain state: per order the block and
  timestamp of ``Open`` (origin), ``Filled`` (destination) and ``Settled``
  (origin). ``settled_per_minute_steady``: the orders settled between
  ``WARMUP`` seconds after the first ``Open`` and the last ``Open`` (1 s
  blocks; the load is above the target, so this is what the processes
  keep up with); ``fill_to_settled``: in seconds (block timestamps, whole
  seconds, of two chains whose blocks are not aligned) and in origin blocks
  (from the first origin block at or after the fill's timestamp to the
  settlement's block); its floor is ``confirmations + 1`` blocks (the fill
  confirmed, then the settlement mined); ``fills_per_block``: in the
  busiest block (``max``) and over every block from the first fill to the
  last (``mean``, empty blocks between included);
- memory: the resident set (``VmRSS``; peak ``VmHWM``) and CPU seconds of
  each process (/proc/PID) once all of the profile's orders are settled
  (``--long``: also after every 1,000 settled orders).

Profiles: ``1s``: 1,000 orders at 14 a second (840 a minute, 40 % above the
target); ``12s``: a burst of 100 orders at 20 a second (one or two blocks),
twice the solver's ``max_pending``; ``--long`` (``1s-long``): 10,000 orders
at 14 a second on 1 s blocks.

``--profile`` runs each process under :func:`_probe`, which counts and
times every RPC request (eth_call and eth_estimateGas by function) and the
steps of the rounds, per worker thread; the figures go under ``probe``
(RPC requests per order, seconds per step, round times). It slows the
processes a little: the reference figures are taken without it.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from rich.console import Console
from rich.table import Table
from web3 import Web3

from charter import Charter, LocalSigner
from charter._core.artifacts import abi, init_code
from charter.devchain import DEV_KEYS, LocalChain, local_anvil
from charter.intents import Input, Output, deploy_oracle
from charter.intents.client import Intents

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / ".build" / "bench"
ORIGIN, DESTINATION = 31_701, 31_702
COMMITTEE = [Account.from_key(bytes([0x51 + i]) * 32) for i in range(3)]
USERS = [Account.from_key(bytes([0x71 + i]) * 32) for i in range(8)]
DEPLOYER, FILLER, RELAYER = DEV_KEYS[0], DEV_KEYS[2], DEV_KEYS[3]
AMOUNT = 10**15
OPEN_GAS = 300_000
WARMUP = 20.0
"""Seconds after the first Open before the steady-state window starts (confirmations, the first rounds)."""

TARGET_PER_MINUTE = 600
"""Issue 18: orders opened, filled, proven and settled per minute on 1 s blocks."""
TARGET_FILLS_PER_BLOCK = 10
"""Issue 18: fills per 12 s block."""


@dataclass
class Profile:
    name: str
    block_time: int
    orders: int
    rate: float
    """Orders opened per second."""
    poll_interval: float
    confirmations: int = 2
    rss_every: int = 0
    """Also record the processes' memory after every this many settled orders (0: only at the end)."""
    drain: float = 120.0
    """Seconds to wait, after the last order is sent, for every order to be settled."""


SHORT = [Profile("1s", 1, 1_000, 14.0, 0.2, drain=60.0), Profile("12s", 12, 100, 20.0, 0.5, drain=240.0)]
LONG = [Profile("1s-long", 1, 10_000, 14.0, 0.2, rss_every=1_000, drain=120.0)]


# ---------------------------------------------------------------------- chains


@dataclass
class World:
    a: LocalChain
    b: LocalChain
    token_a: str
    token_b: str
    oracle: str
    filler_agent: int
    settler: str
    start: tuple[int, int]


def _rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    answer = w3.provider.make_request(method, params)  # type: ignore[arg-type]
    if "error" in answer:
        raise SystemExit(f"{method}: {answer['error']}")
    return answer.get("result")


def _token(w3: Web3, deployer: LocalSigner) -> Any:
    receipt = w3.eth.wait_for_transaction_receipt(deployer.send_transaction(w3, {"data": init_code("DemoToken")}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi("DemoToken"))


def _send(w3: Web3, signer: LocalSigner, fn: Any) -> None:
    tx = signer.send_transaction(w3, {"to": fn.address, "data": fn._encode_transaction_data()})
    if w3.eth.wait_for_transaction_receipt(tx)["status"] != 1:
        raise SystemExit(f"setup transaction reverted: {fn}")


def _setup(a: LocalChain, b: LocalChain, block_time: int) -> World:
    """Deploy and fund both chains with automine on, then leave them mining on their interval only."""
    deployer, filler = LocalSigner.from_key(DEPLOYER), LocalSigner.from_key(FILLER)
    w3a, w3b = a.w3, b.w3
    for w3 in (w3a, w3b):
        _rpc(w3, "evm_setAutomine", [True])
        Charter.deploy(w3, deployer)
    token_a, token_b = _token(w3a, deployer), _token(w3b, deployer)
    oracle = deploy_oracle(w3a, deployer, [m.address for m in COMMITTEE], 2)
    filler_agent = Charter.connect(w3b, signer=filler).registry.register("ipfs://bench/solver.json")
    settler = Charter.connect(w3a).intents.address
    _send(w3b, deployer, token_b.functions.mint(filler.address, 10**27))
    for user in USERS:
        _rpc(w3a, "anvil_setBalance", [user.address, hex(10**24)])
        _send(w3a, deployer, token_a.functions.mint(user.address, 10**27))
        _send(w3a, LocalSigner(user), token_a.functions.approve(settler, 2**256 - 1))
    for w3 in (w3a, w3b):
        _rpc(w3, "evm_setIntervalMining", [block_time])
    return World(a, b, token_a.address, token_b.address, oracle, filler_agent, settler,
                 (w3a.eth.block_number, w3b.eth.block_number))


# ---------------------------------------------------------------------- processes


@dataclass
class Running:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    _read: int = 0

    def dead_worker(self) -> str | None:
        """The traceback of a worker thread that died, if its log shows one (read incrementally)."""
        with self.log.open("rb") as f:
            f.seek(self._read)
            text = f.read().decode(errors="replace")
        at = text.find("Exception in thread ")
        if at < 0:
            self._read += len(text.encode()) - len(text.rsplit("\n", 1)[-1].encode())
            return None
        return text[at : at + 3_000]


def _chains_toml(world: World, profile: Profile) -> str:
    out = ""
    for chain_id, chain, start in ((ORIGIN, world.a, world.start[0]), (DESTINATION, world.b, world.start[1])):
        out += (f'[[chains]]\nchain_id = {chain_id}\nrpc = "{chain.url}"\nconfirmations = {profile.confirmations}\n'
                f"start_block = {start}\n")
        if chain_id == ORIGIN:
            out += f'oracle = "{world.oracle}"\n'
    return out


def _configs(world: World, profile: Profile, folder: Path) -> tuple[Path, Path]:
    relay = folder / "relay.toml"
    relay.write_text(
        f'db = "{folder / "relay.sqlite"}"\nsender_key_env = "BENCH_RELAYER"\n'
        f'attester_keys_env = ["BENCH_A0", "BENCH_A1", "BENCH_A2"]\npoll_interval = {profile.poll_interval}\n'
        + _chains_toml(world, profile)
    )
    solve = folder / "solve.toml"
    solve.write_text(
        f'db = "{folder / "solver.sqlite"}"\nkey_env = "BENCH_SOLVER"\nagent_id = {world.filler_agent}\n'
        f"poll_interval = {profile.poll_interval}\n"
        + _chains_toml(world, profile)
        + f'[[routes]]\norigin_chain = {ORIGIN}\ninput_token = "{world.token_a}"\n'
          f'dest_chain = {DESTINATION}\noutput_token = "{world.token_b}"\n'
    )
    return relay, solve


@contextmanager
def _processes(world: World, profile: Profile, folder: Path, probe: bool) -> Iterator[dict[str, Running]]:
    """`charter relay` and `charter solve` as subprocesses, up and past their start-up checks
    (`probe`: through :func:`_probe`, which times their RPC requests and rounds)."""
    relay_toml, solve_toml = _configs(world, profile, folder)
    env = {**os.environ, "BENCH_RELAYER": RELAYER, "BENCH_SOLVER": FILLER,
           **{f"BENCH_A{i}": m.key.hex() for i, m in enumerate(COMMITTEE)}}
    running: dict[str, Running] = {}
    try:
        for name, verb, toml, ready in (("relayer", "relay", relay_toml, "relaying on chains"),
                                        ("solver", "solve", solve_toml, "solving as")):
            log = folder / f"{name}.log"
            with log.open("wb") as err, (folder / f"{name}.out").open("wb") as out:
                command = ([sys.executable, __file__, "--probe", str(folder / f"{name}.probe.json"), "--"] if probe
                           else [sys.executable, "-m", "charter.cli"])
                process = subprocess.Popen([*command, verb, "--config", str(toml)],
                                           env=env, stdout=out, stderr=err, cwd=folder)
            running[name] = Running(name, process, log)
            deadline = time.monotonic() + 60
            while ready not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"`charter {verb}` did not start:\n{log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
        yield running
    finally:
        for r in running.values():
            if r.process.poll() is None:
                r.process.send_signal(signal.SIGTERM)
        for r in running.values():
            try:
                r.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                r.process.kill()
                r.process.wait()


def memory(pid: int) -> dict[str, float]:
    """Resident set now and its peak, in KiB (/proc/PID/status), and the CPU seconds used so far."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return {"rss_kib": out["VmRSS"], "peak_kib": out["VmHWM"], "cpu_s": round(cpu, 1)}


# ---------------------------------------------------------------------- load


class Load(threading.Thread):
    """Opens `count` orders at `rate` a second, round robin over USERS, consecutive nonces per user."""

    def __init__(self, world: World, count: int, rate: float) -> None:
        super().__init__(daemon=True, name="load")
        self.world, self.count, self.rate = world, count, rate
        self.w3 = Web3(Web3.HTTPProvider(world.a.url, request_kwargs={"timeout": 30}))
        self.intents = Intents(self.w3, world.settler, chain_id=ORIGIN)
        self.sent: list[str] = []
        self.errors: list[str] = []
        self.began = self.ended = 0.0
        self.lag = 0.0
        """The most the sending fell behind its schedule, in seconds."""

    def run(self) -> None:
        nonces = {u.address: int(self.w3.eth.get_transaction_count(u.address, "pending")) for u in USERS}
        chain_now = int(self.w3.eth.get_block("latest")["timestamp"])
        fees = {"maxFeePerGas": 100 * 10**9, "maxPriorityFeePerGas": 10**9}
        self.began = time.monotonic()
        for i in range(self.count):
            due = self.began + i / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                self.lag = max(self.lag, -wait)
            user = USERS[i % len(USERS)]
            order = self.intents.order(
                user=user.address, inputs=[Input(token=self.world.token_a, amount=AMOUNT)],
                outputs=[Output(token=self.world.token_b, amount=AMOUNT, recipient=user.address, chain_id=DESTINATION)],
                destination_chain_id=DESTINATION, oracle=self.world.oracle, fill_within=3_600,
                now=chain_now + int(time.monotonic() - self.began),
            )
            tx = {"to": self.world.settler, "data": self.intents.contract.encode_abi("open", [order.on_chain()]),
                  "gas": OPEN_GAS, "nonce": nonces[user.address], "chainId": ORIGIN, "value": 0, **fees}
            try:
                self.w3.eth.send_raw_transaction(user.sign_transaction(tx).raw_transaction)
            except Exception as exc:  # noqa: BLE001 - counted and reported; the nonce is read again
                self.errors.append(str(exc)[:200])
                nonces[user.address] = int(self.w3.eth.get_transaction_count(user.address, "pending"))
                continue
            nonces[user.address] += 1
            self.sent.append(order.order_id_hex)
        self.ended = time.monotonic()


# ---------------------------------------------------------------------- chain state


class Events:
    """Open, Filled and Settled events of the settler on both chains, read incrementally (topics only)."""

    def __init__(self, world: World) -> None:
        self.w3a, self.w3b = world.a.w3, world.b.w3
        self.settler = Web3.to_checksum_address(world.settler)
        contract = self.w3a.eth.contract(address=self.settler, abi=abi("IntentSettler"))
        self.topics = {name: getattr(contract.events, name)().topic for name in ("Open", "Filled", "Settled")}
        self.found: dict[str, dict[str, int]] = {"Open": {}, "Filled": {}, "Settled": {}}
        self.next = {ORIGIN: world.start[0] + 1, DESTINATION: world.start[1] + 1}

    def poll(self) -> None:
        for chain_id, w3, names in ((ORIGIN, self.w3a, ("Open", "Settled")), (DESTINATION, self.w3b, ("Filled",))):
            head = int(w3.eth.block_number)
            if head < self.next[chain_id]:
                continue
            by_topic = {self.topics[n]: n for n in names}
            logs = w3.eth.get_logs({"address": self.settler, "fromBlock": self.next[chain_id], "toBlock": head,
                                    "topics": [list(by_topic)]})
            for log in logs:
                name = by_topic["0x" + bytes(log["topics"][0]).hex()]
                self.found[name].setdefault("0x" + bytes(log["topics"][1]).hex(), int(log["blockNumber"]))
            self.next[chain_id] = head + 1

    def timestamps(self, chain_id: int) -> dict[int, int]:
        w3 = self.w3a if chain_id == ORIGIN else self.w3b
        first = self.next[chain_id] - 1
        blocks = range(min(self.found_blocks(chain_id), default=first), self.next[chain_id])
        return {n: int(w3.eth.get_block(n)["timestamp"]) for n in blocks}

    def found_blocks(self, chain_id: int) -> list[int]:
        names = ("Open", "Settled") if chain_id == ORIGIN else ("Filled",)
        return [b for n in names for b in self.found[n].values()]


def _percentile(values: Sequence[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def _per_block(blocks: list[int]) -> dict[str, float]:
    """Events per block: in the busiest block, and over every block from the first to the last with one."""
    if not blocks:
        return {"max": 0, "mean": 0.0, "blocks": 0}
    counts = Counter(blocks)
    span = max(counts) - min(counts) + 1
    return {"max": max(counts.values()), "mean": round(len(blocks) / span, 1), "blocks": span,
            "busy_blocks": len(counts)}


def analyse(events: Events, sent: list[str], profile: Profile) -> dict[str, Any]:
    ts_a, ts_b = events.timestamps(ORIGIN), events.timestamps(DESTINATION)
    opened, filled, settled = (events.found[n] for n in ("Open", "Filled", "Settled"))
    ours = [o for o in sent if o in opened]
    done = [o for o in ours if o in filled and o in settled]
    t_open = {o: ts_a[opened[o]] for o in ours}
    t_fill = {o: ts_b[filled[o]] for o in ours if o in filled}
    t_settle = {o: ts_a[settled[o]] for o in ours if o in settled}
    a_numbers = sorted(ts_a)
    a_times = [ts_a[n] for n in a_numbers]

    def a_block_at(ts: int) -> int:
        """The first origin block with a timestamp at or after `ts`."""
        return a_numbers[min(bisect.bisect_left(a_times, ts), len(a_numbers) - 1)]

    latency = [t_settle[o] - t_fill[o] for o in done]
    latency_blocks = [settled[o] - a_block_at(t_fill[o]) for o in done]
    to_fill = [t_fill[o] - t_open[o] for o in done]
    end_to_end = [t_settle[o] - t_open[o] for o in done]
    first_open, last_open = min(t_open.values(), default=0), max(t_open.values(), default=0)
    last_settle = max(t_settle.values(), default=0)
    window = (first_open + WARMUP, last_open)
    in_window = [o for o in done if window[0] <= t_settle[o] <= window[1]]
    span = window[1] - window[0]
    out: dict[str, Any] = {
        "block_time_s": profile.block_time,
        "orders_sent": len(sent),
        "opened": len(ours),
        "filled": len(t_fill),
        "settled": len(t_settle),
        "open_seconds": last_open - first_open,
        "opened_per_minute": round(len(ours) / (last_open - first_open + profile.block_time) * 60, 1),
        "settled_per_minute_overall": round(len(done) / max(1, last_settle - first_open) * 60, 1),
        "drain_s": last_settle - last_open,
        "opens_per_block": _per_block([opened[o] for o in ours]),
        "fills_per_block": _per_block([filled[o] for o in ours if o in filled]),
        "settles_per_block": _per_block([settled[o] for o in ours if o in settled]),
        "fill_to_settled_s": {"p50": _percentile(latency, 50), "p95": _percentile(latency, 95),
                              "max": max(latency, default=float("nan"))},
        "fill_to_settled_blocks": {"p50": _percentile(latency_blocks, 50), "p95": _percentile(latency_blocks, 95),
                                   "max": max(latency_blocks, default=float("nan"))},
        "open_to_fill_s": {"p50": _percentile(to_fill, 50), "p95": _percentile(to_fill, 95)},
        "open_to_settled_s": {"p50": _percentile(end_to_end, 50), "p95": _percentile(end_to_end, 95)},
    }
    if span >= 30:
        out["steady_window_s"] = span
        out["settled_per_minute_steady"] = round(len(in_window) / span * 60, 1)
    return out


# ---------------------------------------------------------------------- a profile


def run_profile(profile: Profile, console: Console, probe: bool = False) -> dict[str, Any]:
    folder = BENCH / "processes" / profile.name
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.sqlite*"):
        stale.unlink()
    with ExitStack() as stack:
        a = stack.enter_context(local_anvil(ORIGIN, block_time=profile.block_time, interval_only=True))
        b = stack.enter_context(local_anvil(DESTINATION, block_time=profile.block_time, interval_only=True))
        began = time.monotonic()
        world = _setup(a, b, profile.block_time)
        console.print(f"[{profile.name}] chains ready in {time.monotonic() - began:.0f} s; starting the processes")
        running = stack.enter_context(_processes(world, profile, folder, probe))
        events = Events(world)
        load = Load(world, profile.orders, profile.rate)
        load.start()
        memory_at: list[dict[str, Any]] = []
        next_rss = profile.rss_every or profile.orders
        progress_at = time.monotonic()
        deadline: float | None = None
        while True:
            time.sleep(1.0)
            events.poll()
            settled = sum(1 for o in load.sent if o in events.found["Settled"])
            for r in running.values():
                if r.process.poll() is not None:
                    raise SystemExit(f"{r.name} exited ({r.process.returncode}):\n"
                                     f"{r.log.read_text(errors='replace')[-2000:]}")
                if r.dead_worker():
                    raise SystemExit(f"{r.name}: a worker thread died (the process runs on without it): see "
                                     f"{r.log}:\n{r.dead_worker()}")
            while profile.rss_every and settled >= next_rss and next_rss < profile.orders:
                memory_at.append({"settled": next_rss, **{n: memory(r.process.pid) for n, r in running.items()}})
                next_rss += profile.rss_every
            if time.monotonic() - progress_at >= 10:
                progress_at = time.monotonic()
                console.print(f"[{profile.name}] sent {len(load.sent)}, opened {len(events.found['Open'])}, "
                              f"filled {len(events.found['Filled'])}, settled {settled}")
            if not load.is_alive():
                if deadline is None:
                    deadline = time.monotonic() + profile.drain
                if settled >= len(load.sent) or time.monotonic() > deadline:
                    break
        memory_at.append({"settled": settled, **{n: memory(r.process.pid) for n, r in running.items()}})
        figures = analyse(events, load.sent, profile)
        figures["offered_per_minute"] = round(profile.rate * 60, 1)
        figures["load_lag_s"] = round(load.lag, 2)
        figures["load_errors"] = len(load.errors)
        figures["memory_kib"] = memory_at
    if probe:
        figures["probe"] = _probe_summary(folder, figures["settled"])
    return figures


# ---------------------------------------------------------------------- diagnosis (--profile)

RELAYER_TIMED = ("round", "_phase_read", "_phase_prove", "_phase_send", "_scan", "_prove", "_submit", "_ask_unfilled",
                 "_open_on_origin", "_send_batches", "_settled", "_batch_data")
SOLVER_TIMED = ("round", "_phase_read", "_phase_fill", "_resolve_sent", "_refusal", "_inventory", "_approve",
                "_fill_all")


def _probe(out: Path, argv: list[str]) -> None:
    """Run ``charter <argv>`` with every RPC request (by method, and by function for eth_call and
    eth_estimateGas) and the rounds' steps counted and timed per thread; written to `out` at exit."""
    import atexit
    import inspect

    from web3.providers.rpc import HTTPProvider

    from charter.cli import cli
    from charter.intents.client import ERC20_ABI
    from charter.intents.models import Order
    from charter.processes.relayer import Relayer
    from charter.processes.sender import Pipeline
    from charter.processes.solver import Solver
    from charter.processes.store import Store

    selectors = {}
    for item in abi("IntentSettler") + abi("AttesterOracle") + ERC20_ABI:
        if item.get("type") == "function":
            signature = f"{item['name']}({','.join(_abi_type(i) for i in item['inputs'])})"
            selectors[Web3.keccak(text=signature)[:4].hex()] = item["name"]
    stats: dict[str, dict[str, list[float]]] = {}
    rounds: dict[str, list[float]] = {}
    lock = threading.Lock()

    def add(key: str, seconds: float) -> None:
        thread = threading.current_thread().name
        with lock:
            entry = stats.setdefault(thread, {}).setdefault(key, [0, 0.0])
            entry[0] += 1
            entry[1] += seconds

    request = HTTPProvider.make_request

    def make_request(self: Any, method: Any, params: Any) -> Any:
        began = time.perf_counter()
        try:
            return request(self, method, params)
        finally:
            key = f"rpc {method}"
            if method in ("eth_call", "eth_estimateGas") and params:
                data = str(params[0].get("data") or params[0].get("input") or "")
                key += " " + selectors.get(data[2:10], data[2:10])
            add(key, time.perf_counter() - began)

    HTTPProvider.make_request = make_request  # type: ignore[method-assign]

    def timed(owner: Any, name: str, label: str) -> None:
        static = inspect.getattr_static(owner, name)
        fn = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - began
                add(label, spent)
                if name == "round":
                    with lock:
                        rounds.setdefault(threading.current_thread().name, []).append(spent)

        setattr(owner, name, staticmethod(wrapper) if isinstance(static, (staticmethod, classmethod)) else wrapper)

    for owner, names in ((Relayer, RELAYER_TIMED), (Solver, SOLVER_TIMED)):
        for name in names:
            timed(owner, name, f"{owner.__name__}.{name}")
    for name in ("prepare", "send", "wait", "begin"):
        timed(Pipeline, name, f"Pipeline.{name}")
    for name in ("orders", "seen_orders", "seen_state", "mark_seen", "update", "record"):
        timed(Store, name, f"Store.{name}")
    timed(Order, "from_origin_data", "Order.from_origin_data")

    def dump() -> None:
        with lock:
            body = {"threads": {t: {k: [int(v[0]), round(v[1], 3)] for k, v in sorted(e.items())}
                                for t, e in stats.items()},
                    "rounds": {t: sorted(round(x, 4) for x in v) for t, v in rounds.items()}}
        out.write_text(json.dumps(body, indent=1))

    atexit.register(dump)
    cli.main(args=argv, prog_name="charter")


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in item["components"]) + ")" + str(item["type"])[5:]
    return str(item["type"])


def _probe_summary(folder: Path, orders: int) -> dict[str, Any]:
    """Per process: RPC requests per order (by kind), seconds in each timed step, round times per chain."""
    out: dict[str, Any] = {}
    for name in ("relayer", "solver"):
        path = folder / f"{name}.probe.json"
        if not path.exists():
            continue
        data = json.loads(path.read_text())
        per_thread = {}
        for thread, entries in data["threads"].items():
            calls = sum(c for k, (c, _) in entries.items() if k.startswith("rpc "))
            rpc_s = sum(s for k, (_, s) in entries.items() if k.startswith("rpc "))
            laps = data["rounds"].get(thread, [])
            per_thread[thread] = {
                "rpc_calls": calls, "rpc_calls_per_order": round(calls / max(1, orders), 2), "rpc_s": round(rpc_s, 1),
                "rounds": len(laps),
                "round_s": {"p50": _percentile(laps, 50), "p95": _percentile(laps, 95), "max": max(laps, default=0)},
                "per_order": {k: round(c / max(1, orders), 2) for k, (c, _) in entries.items() if k.startswith("rpc ")},
                "seconds": {k: s for k, (_, s) in sorted(entries.items(), key=lambda e: -e[1][1])},
                "calls": {k: c for k, (c, _) in entries.items()},
            }
        out[name] = per_thread
    return out


# ---------------------------------------------------------------------- report


def checks(profiles: dict[str, dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(check, measured, minimum): every target is a floor."""
    out: list[tuple[str, float, float]] = []
    for name, p in profiles.items():
        out.append((f"{name}.settled (of {p['orders_sent']} sent)", p["settled"], p["orders_sent"]))
        if p["block_time_s"] == 1 and "settled_per_minute_steady" in p:
            out.append((f"{name}.settled_per_minute_steady", p["settled_per_minute_steady"], TARGET_PER_MINUTE))
        elif p["block_time_s"] == 1:  # too short a run for a steady window (--orders): the whole run
            out.append((f"{name}.settled_per_minute_overall", p["settled_per_minute_overall"], TARGET_PER_MINUTE))
        if p["block_time_s"] == 12:
            out.append((f"{name}.fills_per_block.mean", p["fills_per_block"]["mean"], TARGET_FILLS_PER_BLOCK))
    return out


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {v}" for k, v in value.items() if k != "busy_blocks")
    return "" if value is None else str(value)


def _print(console: Console, profiles: dict[str, dict[str, Any]], targets: list[tuple[str, float, float]]) -> None:
    table = Table(title="charter relay + charter solve on two interval-mined anvils (chain state)")
    table.add_column("figure")
    for name in profiles:
        table.add_column(name, justify="right")
    rows = ["block_time_s", "orders_sent", "settled", "offered_per_minute", "opened_per_minute",
            "settled_per_minute_steady", "settled_per_minute_overall", "drain_s", "opens_per_block",
            "fills_per_block", "settles_per_block", "fill_to_settled_s", "fill_to_settled_blocks",
            "open_to_fill_s", "open_to_settled_s"]
    for row in rows:
        table.add_row(row, *[_cell(p.get(row)) for p in profiles.values()])
    for proc in ("relayer", "solver"):
        table.add_row(f"{proc}: MiB resident (peak), CPU s, after N settled",
                      *[f"{m[proc]['rss_kib'] / 1024:.0f} ({m[proc]['peak_kib'] / 1024:.0f}), {m[proc]['cpu_s']} s, "
                        f"N={m['settled']:,}" for m in (p["memory_kib"][-1] for p in profiles.values())])
    console.print(table)
    for name, p in profiles.items():
        if len(p["memory_kib"]) > 1:
            console.print(f"{name}: MiB resident after N settled: " + ", ".join(
                f"{m['settled']:,}: relayer {m['relayer']['rss_kib'] / 1024:.0f} solver "
                f"{m['solver']['rss_kib'] / 1024:.0f}" for m in p["memory_kib"]))
        for proc, threads in p.get("probe", {}).items():
            for thread, t in threads.items():
                if thread == "MainThread":
                    continue
                top = ", ".join(f"{k} {v}" for k, v in sorted(t["per_order"].items(), key=lambda e: -e[1])[:6])
                console.print(f"{name} {proc} {thread}: {t['rpc_calls_per_order']} RPC requests per order ({top}); "
                              f"{t['rounds']} rounds, {_cell(t['round_s'])} s; {t['rpc_s']} s waiting for RPC")
    t = Table(title="Targets (issue 18)")
    t.add_column("check")
    t.add_column("measured", justify="right")
    t.add_column("at least", justify="right")
    t.add_column("")
    for what, measured, limit in targets:
        t.add_row(what, f"{measured:,}", f"{limit:,}", "ok" if measured >= limit else "[red]MISSED[/red]")
    console.print(t)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":  # a process of a --profile run (see _processes)
        _probe(Path(sys.argv[2]), sys.argv[4:])
        return 0
    parser = argparse.ArgumentParser(description="Charter relayer + solver benchmark")
    parser.add_argument("--long", action="store_true", help="10,000 orders on 1 s blocks (make bench-long)")
    parser.add_argument("--only", choices=["1s", "12s"], help="run one profile of the short run")
    parser.add_argument("--orders", type=int, help="orders of each profile run")
    parser.add_argument("--rate", type=float, help="orders opened per second")
    parser.add_argument("--out", type=Path, help="where to write the JSON")
    parser.add_argument("--profile", action="store_true",
                        help="time the processes' RPC requests and rounds (slower; figures under `probe`)")
    args = parser.parse_args()
    profiles = LONG if args.long else [p for p in SHORT if args.only in (None, p.name)]
    for p in profiles:
        p.orders = args.orders or p.orders
        p.rate = args.rate or p.rate
    out = args.out or BENCH / ("processes-long.json" if args.long else "processes.json")
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress shows under make
    console = Console() if sys.stdout.isatty() else Console(width=120)
    load_before = os.getloadavg()
    results = {p.name: run_profile(p, console, args.profile) for p in profiles}
    targets = checks(results)
    body = {
        "profiles": results,
        "conditions": {"profiles": [vars(p) for p in profiles], "warmup_s": WARMUP, "users": len(USERS),
                       "open_gas": OPEN_GAS},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "targets": [{"check": what, "measured": measured, "limit": limit, "met": measured >= limit}
                    for what, measured, limit in targets],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    _print(console, results, targets)
    console.print(f"wrote {out}")
    missed = [what for what, measured, limit in targets if measured < limit]
    if missed:
        console.print(f"[red]targets missed: {', '.join(missed)}[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
