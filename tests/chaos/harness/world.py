"""Chaos: two chains, a proxy per process and chain, the relayer and the solver as processes, and the faults.

    with Chaos(tmp_path) as chaos:
        placed = chaos.orders.open()              # or chaos.orders.start_stream(rate, rng)
        chaos.kill9("solve")                      # restarted at once, as systemd would
        with chaos.fault("A", "lb-lag", 30, who=("relay",)):
            ...
        chaos.reset_destination()                 # kill -9 anvil B, a fresh one on its port, redeploy
        chaos.reorg("B", block)                   # from `block` to the head, replaced
        figures = chaos.check()                   # from chain state alone

Each process reaches each chain through its own proxy (`relay-A`, `relay-B`,
`solve-A`, `solve-B`), so a fault can hit one process's view of a chain or
the chain for everyone. A supervisor restarts a process that exits on its
own (after a second, as ``Restart=always`` would) and records the exit with
what was being done to the chains at that moment: the checker reports it.
Everything is written to `folder`: the nodes', processes' and proxies' logs
(``proxy-<process>-<chain>.log``: each request, its mode, outcome and time),
the TOML files and databases, and ``timeline.log`` (what was done when).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from charter.intents import FillEvent, Intents, OrderStatus
from charter.intents.models import UNFILLED_RECORD

from .chains import CHAIN_A, CHAIN_B, Anvil, Deployed, deploy_destination, deploy_origin
from .checker import Figures, Violation, check
from .orders import Orders, Placed
from .processes import Endpoints, Exit, Process, Stop, relay_toml, solve_toml
from .proxy import RpcProxy, free_port

WHO = ("relay", "solve")
CHAINS = ("A", "B")


class Chaos:
    """The world of a chaos run (see the module's documentation)."""

    def __init__(self, folder: Path, *, confirmations: int = 2, poll_interval: float = 0.5,
                 block_time: float = 1.0, echo: Callable[[str], None] | None = None) -> None:
        self.folder = folder
        self.confirmations = confirmations
        self.poll_interval = poll_interval
        self.echo = echo
        self.a = Anvil("A", CHAIN_A, free_port(), folder / "anvil-A.log", block_time)
        self.b = Anvil("B", CHAIN_B, free_port(), folder / "anvil-B.log", block_time)
        self.processes = {verb: Process(verb, folder) for verb in WHO}
        self.proxies: dict[tuple[str, str], RpcProxy] = {}
        self.timeline: list[str] = []
        self.exits: list[Exit] = []
        self.origin: Deployed
        self.destination: Deployed
        self.orders: Orders
        self._t0 = time.monotonic()
        self._faults: dict[str, str] = {}
        self._held: set[str] = set()
        self._restart_at: dict[str, float] = {}
        self._reported: set[str] = set()
        self._start = (0, 0)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._supervisor: threading.Thread | None = None

    # ------------------------------------------------------------ life

    def __enter__(self) -> Chaos:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.a.start()
        self.b.start()
        self.origin = deploy_origin(self.a)
        self.destination = deploy_destination(self.b)
        for verb in WHO:
            for name, chain in (("A", self.a), ("B", self.b)):
                self.proxies[verb, name] = RpcProxy(f"{verb}-{name}", chain.url,
                                                    log=self.folder / f"proxy-{verb}-{name}.log")
        self.orders = Orders(self.a, self.origin, self.destination)
        self.note(f"chains up: A {self.a.url} (genesis {self.a.genesis()[:10]}), B {self.b.url} "
                  f"(genesis {self.b.genesis()[:10]}); settler {self.origin.settler}, oracle {self.origin.oracle}, "
                  f"solver agent {self.destination.agent}")
        self._start = (self.a.head(), self.b.head())
        self._write_configs()
        for process in self.processes.values():
            process.start()
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self._supervisor.start()

    def close(self) -> None:
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        if hasattr(self, "orders"):
            self.orders.stop_stream()
        for process in self.processes.values():
            if process.alive:
                process.terminate(timeout=5)
        for proxy in self.proxies.values():
            proxy.close()
        self.a.stop()
        self.b.stop()

    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def note(self, text: str) -> None:
        line = f"{self.elapsed():7.1f}s  {text}"
        self.timeline.append(line)
        with (self.folder / "timeline.log").open("a") as log:
            log.write(line + "\n")
        if self.echo is not None:
            self.echo(line)

    # ------------------------------------------------------------ processes

    def _write_configs(self) -> None:
        start = self._start
        for verb, process in self.processes.items():
            rpc = Endpoints(self.proxies[verb, "A"].url, self.proxies[verb, "B"].url)
            db = self.folder / f"{verb}.sqlite"
            text = (relay_toml(db, rpc, start, self.origin, self.confirmations, self.poll_interval) if verb == "relay"
                    else solve_toml(db, rpc, start, self.origin, self.destination, self.confirmations,
                                    self.poll_interval))
            process.config.write_text(text)

    def _supervise(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                for verb, process in self.processes.items():
                    if verb in self._held:
                        continue
                    code = process.exited()
                    if code is not None and verb not in self._restart_at:
                        gone = Exit(verb, code, self.elapsed(), self.faults(), process.tail(8))
                        self.exits.append(gone)
                        self.note(f"{verb} EXITED on its own (code {code}) while {gone.faults or 'no fault'}: "
                                  f"{gone.last.splitlines()[-1:] or ''}; restarting it in 1 s")
                        self._restart_at[verb] = time.monotonic() + 1.0
                    elif verb in self._restart_at and time.monotonic() >= self._restart_at[verb]:
                        del self._restart_at[verb]
                        process.start()

    def kill9(self, verb: str) -> None:
        """``kill -9`` the process, and start it again at once."""
        with self._lock:
            process = self.processes[verb]
            process.kill9()
            self._restart_at.pop(verb, None)
            process.start()
        self.note(f"kill -9 {verb}; restarted")

    def terminate(self, verb: str, timeout: float = 10.0) -> Stop:
        """SIGTERM the process, wait for it (``kill -9`` after `timeout` s), and start it again."""
        with self._lock:
            self._held.add(verb)
        try:
            stop = self.processes[verb].terminate(timeout)
            self.note(f"SIGTERM {verb}: " + (f"exited (code {stop.returncode}) after {stop.seconds:.1f} s"
                      if stop.returncode is not None else f"still running after {timeout:.0f} s: killed"))
        finally:
            with self._lock:
                self._held.discard(verb)
                self._restart_at.pop(verb, None)
                self.processes[verb].start()
        return stop

    def resync(self, chain: str = "B") -> None:
        """What an operator does after a process halted `chain` (reset, deep reorg), as
        docs/intents.md says: stop both processes, and start each once with ``--resync CHAIN_ID``,
        which reads the chain again from its `start_block` (set to 0: a reset chain starts there)."""
        chain_id = CHAIN_A if chain == "A" else CHAIN_B
        with self._lock:
            self._held.update(WHO)
            for process in self.processes.values():
                if process.alive:
                    process.terminate(timeout=10)
            self._start = (0, self._start[1]) if chain == "A" else (self._start[0], 0)
            self._write_configs()
            for verb, process in self.processes.items():
                self._held.discard(verb)
                self._restart_at.pop(verb, None)
                process.start("--resync", str(chain_id))
        self.note(f"operator: both processes restarted with --resync {chain_id} (chain {chain} read again from "
                  "block 0)")

    def run_once(self, verb: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        """`charter <verb> --once` on a copy of its file with a database of its own."""
        process = self.processes[verb]
        config = self.folder / f"{verb}-once.toml"
        db = self.folder / f"{verb}-once.sqlite"
        lines = process.config.read_text().splitlines()
        config.write_text("\n".join(f'db = "{db}"' if line.startswith("db = ") else line for line in lines) + "\n")
        done = subprocess.run(process.command("--once", config=config), env=process.env(), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        self.note(f"{verb} --once exited with code {done.returncode}")
        return done

    def logged(self, verb: str, since: int) -> str:
        return self.processes[verb].log_text(since)

    def log_marks(self) -> dict[str, int]:
        return {verb: p.log_size() for verb, p in self.processes.items()}

    # ------------------------------------------------------------ faults

    def faults(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self._faults.items()))

    def rpc(self, chain: str, mode: str, behind: int = 0, who: tuple[str, ...] = WHO) -> None:
        """Switch the proxies of `chain` seen by `who` to `mode` (pass: back to normal)."""
        for verb in who:
            self.proxies[verb, chain].set(mode, behind)
        key = f"chain {chain} for {'+'.join(who)}:"
        label = self.proxies[who[0], chain].label()
        if mode == "pass":
            self._faults.pop(key, None)
        else:
            self._faults[key] = label
        self.note(f"rpc of chain {chain} for {', '.join(who)}: {label}")

    @contextmanager
    def fault(self, chain: str, mode: str, behind: int = 0, who: tuple[str, ...] = WHO) -> Iterator[None]:
        self.rpc(chain, mode, behind, who)
        try:
            yield
        finally:
            self.rpc(chain, "pass", 0, who)

    def reset_destination(self) -> None:
        """``kill -9`` B's node, start a fresh one on the same port and redeploy there (same addresses)."""
        old = self.b.genesis()
        self._faults["chain B node:"] = "reset"
        self.note("destination reset: kill -9 anvil B")
        try:
            self.b.kill9()
            self.b.start()
            deploy_destination(self.b, expected=self.destination)
            self.align_clocks()
        finally:
            self._faults.pop("chain B node:", None)
        self.note(f"destination reset: fresh anvil B on port {self.b.port} (genesis {old[:10]} -> "
                  f"{self.b.genesis()[:10]}, head {self.b.head()}), suite, token and agent "
                  f"{self.destination.agent} redeployed at the same addresses")

    def reorg(self, chain: str, down_to: int, extra: int = 0) -> int:
        """Replace `chain`'s blocks from `down_to` (minus `extra` more) to its head by empty ones;
        the first block that was actually replaced (read back: blocks keep coming while it happens)."""
        node = self.a if chain == "A" else self.b
        low = max(1, down_to - extra)
        before = {n: node.block(n)["hash"] for n in range(max(1, low - 2), node.head() + 1)}
        read = {verb: self.proxies[verb, chain].read_to for verb in WHO}
        head = node.head()
        node.reorg(head - low + 1)
        first = min((n for n, h in before.items() if node.block(n).get("hash") != h), default=head + 1)
        self.note(f"reorg of chain {chain}: blocks {first} to {head} replaced by empty ones (logs read up to: "
                  + ", ".join(f"{verb} {n}" for verb, n in read.items()) + ")")
        return first

    def has_read(self, verb: str, chain: str, block: int) -> bool:
        """Whether `verb` has read `chain`'s logs up to `block` (seen from its proxy)."""
        return self.proxies[verb, chain].read_to >= block

    def warp(self, seconds: int) -> None:
        """Move both chains' clocks forward by `seconds`."""
        self.a.warp(seconds)
        self.b.warp(seconds)
        self.align_clocks()
        self.note(f"both chains warped {seconds:,} s forward")

    def align_clocks(self) -> None:
        """Bring the chain that is behind to the other's time (a fresh node starts at the wall clock)."""
        gap = self.a.now() - self.b.now()
        if gap > 1:
            self.b.warp(gap)
        elif gap < -1:
            self.a.warp(-gap)

    # ------------------------------------------------------------ observing

    def status(self, placed: Placed) -> OrderStatus:
        return Intents(self.a.w3, self.origin.settler, chain_id=CHAIN_A).origin_status(placed.id)

    def filled(self, placed: Placed) -> bool:
        record = Intents(self.b.w3, self.destination.settler, chain_id=CHAIN_B).record_of(placed.id)
        return any(record) and record != UNFILLED_RECORD

    def fills_of(self, placed: list[Placed]) -> list[FillEvent]:
        """B's ``Filled`` events of these orders."""
        ids = {p.id for p in placed}
        return [f for f in Intents(self.b.w3, self.destination.settler, chain_id=CHAIN_B).fills(0) if f.order_id in ids]

    def statuses(self, placed: list[Placed]) -> list[OrderStatus]:
        return [self.status(p) for p in placed]

    def wait(self, predicate: Callable[[], Any], timeout: float, step: float = 0.25) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return True
            except Exception:  # noqa: BLE001 - a node restarting: ask again
                pass
            if time.monotonic() > deadline:
                return False
            time.sleep(step)

    def settle_wait(self, placed: list[Placed], timeout: float) -> list[OrderStatus]:
        """Wait until every order is settled or refunded (or `timeout`); their statuses."""
        final = (OrderStatus.SETTLED, OrderStatus.REFUNDED)
        self.wait(lambda: all(s in final for s in self.statuses(placed)), timeout, step=0.5)
        return self.statuses(placed)

    def polling_gap(self, verb: str, chain: str, since: float, until: float) -> float:
        """The longest time (s) `verb` sent nothing to `chain` between `since` and `until` (monotonic)."""
        times = [since, *self.proxies[verb, chain].seen(since, until), until]
        return max(b - a for a, b in zip(times, times[1:], strict=False))

    def quiesce(self, timeout: float = 20.0) -> bool:
        """Before a warp past refundAfter: wait until B has held no new fill for a few seconds and every
        fill it holds is settled on A (a fill still in flight must not be overtaken by the warp)."""
        b = Intents(self.b.w3, self.destination.settler, chain_id=CHAIN_B)
        a = Intents(self.a.w3, self.origin.settler, chain_id=CHAIN_A)
        last = {"count": -1, "since": time.monotonic()}

        def calm() -> bool:
            fills = b.fills(0)
            if len(fills) != last["count"]:
                last.update(count=len(fills), since=time.monotonic())
            if time.monotonic() - last["since"] < 3:
                return False
            return all(a.origin_status(f.order_id) != OrderStatus.OPEN for f in fills)

        return self.wait(calm, timeout, step=0.5)

    def check(self) -> Figures:
        figures = check(self.a, self.b, self.origin, self.destination, self.exits)
        figures.starts = {verb: p.starts for verb, p in self.processes.items()}
        figures.kills = {verb: p.kills for verb, p in self.processes.items()}
        return figures

    def new_violations(self, figures: Figures) -> list[Violation]:
        """The violations not reported by an earlier call (each fault is blamed on the scenario that saw it)."""
        new = [v for v in figures.violations if v.key not in self._reported]
        self._reported.update(v.key for v in new)
        return new


__all__ = ["CHAINS", "WHO", "Chaos"]
