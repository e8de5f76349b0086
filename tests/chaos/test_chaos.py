"""The short chaos run (in `make test`): each fault of issue 18 once, the checker after each.

One world for the module (two anvils with a block a second, a proxy per
process and chain, `charter relay` and `charter solve` as processes); the
scenarios run in this order and each opens its own orders. After each, the
checker proves from chain state alone that nothing was paid twice or
wrongly, that the escrow is whole and that no process exited on its own;
a violation is blamed on the scenario that first saw it. Logs, TOML files,
databases, ``timeline.log`` and the checker's ``figures.txt`` after each
scenario are in a folder of the run's own, ``.build/chaos/short-<date>-<time>-<random>/``
(two runs in one checkout never share one). The long run
with random faults is `make chaos` (tools/chaos.py).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from charter.intents import OrderStatus
from charter.intents.models import MIN_REFUND_DELAY

from .harness import Chaos, Placed

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / ".build" / "chaos"
SETTLED, REFUNDED = OrderStatus.SETTLED, OrderStatus.REFUNDED
STOP_WITHIN = 5.0
"""Seconds a process may take to exit after SIGTERM (with its summary printed)."""
MAX_GAP = 5.0
"""Seconds a process may leave a healthy chain unpolled while the other chain hangs."""
STARTING = 3.0
"""Seconds a process is given to start (Python, imports) before its polling is measured."""


@pytest.fixture(scope="module")
def chaos() -> Iterator[Chaos]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob("short-*"):  # earlier runs' (a day old: never a run going on beside this one)
        if old.stat().st_mtime < time.time() - 86_400:
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=time.strftime("short-%Y%m%d-%H%M%S-"), dir=FOLDER))
    with Chaos(folder) as world:
        yield world


class Scenario:
    """Collects a scenario's problems, then the checker's new violations, and fails once with all of them."""

    def __init__(self, chaos: Chaos, name: str) -> None:
        self.chaos = chaos
        self.name = name
        self.marks = chaos.log_marks()
        self.problems: list[str] = []
        chaos.note(f"---- scenario: {name}")

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)

    def logged(self, verb: str) -> str:
        return self.chaos.logged(verb, self.marks[verb])

    def statuses(self, placed: list[Placed], want: OrderStatus, what: str, statuses: list[OrderStatus]) -> None:
        wrong = [f"{p.order.order_id_hex[:10]} {s.name}" for p, s in zip(placed, statuses, strict=True) if s != want]
        self.expect(not wrong, f"{what}: expected {want.name}, got {', '.join(wrong)}")

    def done(self) -> None:
        figures = self.chaos.check()
        new = self.chaos.new_violations(figures)
        self.chaos.note(f"---- {self.name}: {len(self.problems)} problems, {len(new)} new violations")
        report = f"{self.name} ({self.chaos.elapsed():.0f} s into the run):\n{figures}\n"
        print(f"\n{report}(logs in {self.chaos.folder})")
        with (self.chaos.folder / "figures.txt").open("a") as out:
            out.write(report + "".join(f"  problem: {p}\n" for p in self.problems) + "\n")
        problems = self.problems + [f"checker: {v.text}" for v in new]
        if problems:
            excerpt = "\n".join(f"--- {verb}.log since the scenario began (last lines):\n"
                                + "\n".join(self.logged(verb).splitlines()[-12:]) for verb in ("relay", "solve"))
            pytest.fail(f"{self.name}:\n- " + "\n- ".join(problems) + f"\n{excerpt}\n(all logs: {self.chaos.folder})",
                        pytrace=False)


def test_kill9_of_each_process(chaos: Chaos) -> None:
    """Both processes are killed (-9) mid-work, twice each: every order is settled or refunded once."""
    s = Scenario(chaos, "kill -9 of each process")
    fillable = [chaos.orders.open(True, 45) for _ in range(3)]
    unfillable = [chaos.orders.open(False, 6) for _ in range(2)]
    time.sleep(1.5)
    chaos.kill9("solve")  # before it fills
    chaos.wait(lambda: any(chaos.filled(p) for p in fillable), 15)
    chaos.kill9("relay")  # before it settles
    fillable += [chaos.orders.open(True, 45) for _ in range(2)]
    chaos.wait(lambda: any(chaos.filled(p) for p in fillable[3:]), 15)
    chaos.kill9("solve")
    chaos.wait(lambda: SETTLED in chaos.statuses(fillable), 15)
    chaos.kill9("relay")
    statuses = chaos.settle_wait(fillable + unfillable, 40)
    s.statuses(fillable, SETTLED, "fillable orders", statuses[:len(fillable)])
    s.statuses(unfillable, REFUNDED, "orders nobody fills", statuses[len(fillable):])
    s.done()


@pytest.mark.parametrize("mode", ["lag", "lb-lag", "call-lag"])
def test_lagging_origin_rpc(chaos: Chaos, mode: str) -> None:
    """Finding 1: the relayer's origin RPC answers 30 blocks behind (a lagging node; reads behind a load
    balancer; only state reads behind, logs fresh) from the moment it has read the new orders' Open events
    on, while they are filled, proven and settled. A status read there says UNKNOWN: the orders must not be
    given up as refunded but settled once the lag ends."""
    s = Scenario(chaos, f"origin RPC {mode} 30")
    placed = [chaos.orders.open(True, 60) for _ in range(2)]
    opened = chaos.a.head()
    s.expect(chaos.wait(lambda: chaos.has_read("relay", "A", opened), 15, step=0.05),
             "harness: the relayer did not read the orders' Open events within 15 s")
    with chaos.fault("A", mode, 30, who=("relay",)):
        s.expect(chaos.wait(lambda: all(chaos.filled(p) for p in placed), 20),
                 "the solver did not fill both orders")
        time.sleep(6)  # the relayer sees the fills confirmed on B, proves them, and reads A 30 blocks behind
        s.expect(SETTLED not in chaos.statuses(placed),
                 "harness: an order was settled before the relayer read A behind (the scenario tested nothing)")
    statuses = chaos.settle_wait(placed, 20)
    s.statuses(placed, SETTLED, f"filled orders after the {mode} ended", statuses)
    s.done()


def test_partition_of_the_destination(chaos: Chaos) -> None:
    """Finding 4: B is unreachable (connections refused) for 10 s while orders arrive. Both processes keep
    running (no exit), `--once` exits non-zero, and the orders are filled and settled afterwards."""
    s = Scenario(chaos, "partition of the destination")
    placed = [chaos.orders.open(True, 50)]
    with chaos.fault("B", "down"):
        started = time.monotonic()
        time.sleep(1.0)
        placed += [chaos.orders.open(True, 50) for _ in range(2)]
        once = chaos.run_once("relay", timeout=40)
        time.sleep(max(0.0, 10 - (time.monotonic() - started)))
    s.expect(once.returncode != 0, "`charter relay --once` exited 0 while chain B was unreachable")
    statuses = chaos.settle_wait(placed, 40)
    s.statuses(placed, SETTLED, "orders opened around the partition", statuses)
    for verb in ("relay", "solve"):
        s.expect(chaos.processes[verb].alive, f"{verb} is not running after the partition")
    s.done()


def test_hanging_destination_rpc(chaos: Chaos) -> None:
    """Finding 5: B's RPC accepts connections and never answers for 20 s. Each process keeps polling A
    (one chain never stalls the other, at start-up neither: the relayer is restarted during the hang),
    the relayer stops within 5 s of SIGTERM with its summary, and the orders are settled once B answers."""
    s = Scenario(chaos, "hanging destination RPC")
    placed = [chaos.orders.open(True, 60)]
    with chaos.fault("B", "hang"):
        began = time.monotonic()
        time.sleep(2.0)
        placed += [chaos.orders.open(True, 60)]
        time.sleep(5.0)
        stopped = time.monotonic()
        stop = chaos.terminate("relay", timeout=STOP_WITHIN + 3)  # and started again, B still hanging
        restarted = time.monotonic()
        time.sleep(max(0.0, 20 - (restarted - began)))
        ended = time.monotonic()
    for verb, since, until in (("relay", began + 1, stopped), ("relay", restarted + STARTING, ended),
                               ("solve", began + 1, ended)):
        gap = chaos.polling_gap(verb, "A", since, until)
        s.expect(gap <= MAX_GAP, f"{verb} sent nothing to chain A for {gap:.1f} s while B hung "
                 f"({since - began:.0f}-{until - began:.0f} s into the hang)")
    s.expect(stop.returncode is not None and stop.seconds <= STOP_WITHIN,
             f"the relayer took {stop.seconds:.1f} s to stop after SIGTERM"
             + (" and was killed" if stop.returncode is None else ""))
    s.expect(stop.returncode in (None, 0), f"the relayer exited with code {stop.returncode} after SIGTERM")
    s.expect(stop.returncode is None or "relayer:" in stop.summary,
             f"the relayer printed no summary on SIGTERM (stdout: {stop.summary[-200:]!r})")
    statuses = chaos.settle_wait(placed, 40)
    s.statuses(placed, SETTLED, "orders opened around the hang", statuses)
    for verb in ("relay", "solve"):
        s.expect(chaos.processes[verb].alive, f"{verb} is not running after the hang")
    s.done()


def test_reorg_deeper_than_the_confirmations(chaos: Chaos) -> None:
    """Finding 2 (reorg): B replaces blocks deeper than the confirmation depth, taking fills the relayer
    built on. The relayer reports it (a log line with "halted"), stops acting on B, keeps running."""
    s = Scenario(chaos, "reorg of the destination deeper than the confirmations")
    placed = [chaos.orders.open(True, 60) for _ in range(2)]
    try:
        s.expect(chaos.wait(lambda: all(chaos.filled(p) for p in placed), 20), "the solver did not fill the orders")
        first = min(f.block_number for f in chaos.fills_of(placed)) if chaos.fills_of(placed) else chaos.b.head()
        chaos.wait(lambda: chaos.b.head() >= first + chaos.confirmations + 2, 10)
        chaos.wait(lambda: SETTLED in chaos.statuses(placed), 8)  # the relayer built on them
        s.expect(chaos.has_read("relay", "B", first),
                 f"harness: the relayer has not read block {first} yet: the reorg would replace nothing it read")
        head = chaos.b.head()
        replaced = chaos.reorg("B", first)
        s.expect(replaced <= first and head - replaced + 1 > chaos.confirmations,
                 f"harness: the reorg replaced blocks {replaced} to {head}, not from the fills' block {first}")
        s.expect(chaos.wait(lambda: "halted" in s.logged("relay"), 15),
                 "the relayer did not report the reorg (no log line with 'halted' within 15 s)")
        chaos.note(f"solver after the reorg: {'halted' if 'halted' in s.logged('solve') else 'no halted line'}")
        for verb in ("relay", "solve"):
            s.expect(chaos.processes[verb].alive, f"{verb} is not running after the reorg")
        s.done()
    finally:
        chaos.resync("B")


def test_destination_reset(chaos: Chaos) -> None:
    """Finding 2: B's node is killed (-9) and a fresh chain starts on its port (a new genesis, block
    numbers from zero), with the suite, token and agent redeployed, at the moment the relayer has just
    sent a transaction there (its `recordUnfilled` of an expired order: mined on the old chain, the
    answer held back until the reset is done). Both processes notice (a log line with "halted") and stop
    acting on B. A day later (past refundAfter) every order that was open on B's account is still open on
    A (recoverable once the operator resyncs), and none is refunded that the new B shows filled."""
    s = Scenario(chaos, "destination reset")
    before = [chaos.orders.open(True, 60) for _ in range(2)]
    try:
        # the processes built state on the old B: fills seen, proven and settled
        chaos.settle_wait(before, 25)
        sent, release = chaos.proxies["relay", "B"].hold_next_send()
        expired = chaos.orders.open(False, 5)  # its deadline passes: the relayer records it unfilled on B
        try:
            caught = sent.wait(timeout=25)
            chaos.note("the relayer's transaction on B is mined, its answer held: resetting B now" if caught
                       else "harness: no transaction of the relayer on B within 25 s; resetting B anyway")
            s.expect(caught, "harness: the relayer sent nothing on B to reset under")
            chaos.reset_destination()
        finally:
            release.set()
        after = [chaos.orders.open(True, 40) for _ in range(3)]
        chaos.wait(lambda: all("halted" in s.logged(v) for v in ("relay", "solve"))
                   or any(chaos.filled(p) for p in after), 15)
        chaos.quiesce(15)
        chaos.warp(MIN_REFUND_DELAY + 120)
        time.sleep(8)  # the processes' turn on the warped chains
        for verb in ("relay", "solve"):
            s.expect("halted" in s.logged(verb), f"{verb} did not report the reset of chain B (no 'halted' line)")
            s.expect(chaos.processes[verb].alive, f"{verb} is not running after the reset")
        left = [expired, *after]
        s.statuses(left, OrderStatus.OPEN, "orders open on B's account when it was reset, a day later",
                   chaos.statuses(left))
        s.done()
    finally:
        chaos.resync("B")
