"""The long chaos run (`make chaos`): a stream of orders and random faults, then the checker's figures.

    python tools/chaos.py [--seed N] [--minutes 6] [--rate 1.0] [--folder DIR]

Two anvils (a block a second), `charter relay` and `charter solve` as real
processes behind RPC proxies, a user opening about `rate` orders a second on
A for B (15 % that nobody fills: they are refunded), and every 8-20 s a
fault drawn with the printed seed (the same seed draws the same faults
and orders, at about the same moments):
kill -9 of either process, a lagging or load-balanced-lagging RPC, a hanging
RPC, a partition, a load balancer answering 502, a reorg of B deeper than
the confirmations, a reset of B (a fresh node on its port, redeployed; then,
once the fills B holds are settled, both chains a day later, past
refundAfter). After a reorg or a reset the operator restarts both processes
with ``--resync`` of B, as docs/intents.md says (Chaos.resync).
At the end: no fault, no new order, up to two minutes for the open orders
to settle, then the checker (tests/chaos/harness/checker.py) proves from
chain state alone what happened and prints the figures. The exit status is
1 if it found a violation, or if a process that had read a block a reorg
replaced (or any, after a reset) did not report it ("halted"). Logs and ``timeline.log``: ``.build/chaos/long-<seed>/``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from chaos.harness import Chaos  # noqa: E402 - the harness lives with the tests
from charter.intents.models import MIN_REFUND_DELAY  # noqa: E402


def _echo(line: str) -> None:
    print(line, flush=True)


class Faults:
    """The random faults of a long run, drawn from one seeded generator."""

    def __init__(self, chaos: Chaos, rng: random.Random, stream: random.Random, rate: float) -> None:
        self.chaos = chaos
        self.rng = rng
        self.stream = stream
        self.rate = rate
        self.done: Counter[str] = Counter()
        # (how many of each in a deck, name, what it does): faults are dealt from shuffled decks, so
        # every kind comes up in the first ones of a run (a 6-minute run deals about a deck and a half)
        self.menu: list[tuple[int, str, Callable[[], None]]] = [
            (2, "kill -9 relay", lambda: chaos.kill9("relay")),
            (2, "kill -9 solve", lambda: chaos.kill9("solve")),
            (1, "lag", lambda: self._rpc("lag", rng.choice((5, 30)))),
            (1, "lb-lag", lambda: self._rpc("lb-lag", rng.choice((5, 30)))),
            (1, "call-lag", lambda: self._rpc("call-lag", rng.choice((5, 30)))),
            (1, "hang", lambda: self._rpc("hang")),
            (1, "down", lambda: self._rpc("down")),
            (1, "error 502", lambda: self._rpc("error")),
            (1, "reorg B", self._reorg),
            (1, "reset B", self._reset),
        ]
        self.deck: list[tuple[str, Callable[[], None]]] = []
        self.halted: list[str] = []
        self.missed: list[str] = []
        """Halts a process should have reported and did not (they fail the run, as violations do)."""

    def one(self) -> None:
        if not self.deck:
            self.deck = [(name, fault) for n, name, fault in self.menu for _ in range(n)]
            self.rng.shuffle(self.deck)
        name, fault = self.deck.pop()
        self.done[name] += 1
        fault()

    def _rpc(self, mode: str, behind: int = 0) -> None:
        chain = self.rng.choice(("A", "B"))
        who = self.rng.choice((("relay", "solve"), ("relay",), ("solve",)))
        with self.chaos.fault(chain, mode, behind, who):
            time.sleep(self.rng.uniform(5, 15))

    def _reorg(self) -> None:
        chaos = self.chaos
        marks = chaos.log_marks()
        # from below the last block both processes read (seen from their proxies): deeper than the
        # confirmations, and replacing blocks each of them built on
        read_to = min(chaos.proxies[verb, "B"].read_to for verb in marks)
        down_to = read_to if read_to >= 0 else chaos.b.head() - chaos.confirmations - 2
        first = chaos.reorg("B", down_to, extra=self.rng.randint(0, 3))
        read = {verb: chaos.has_read(verb, "B", first) for verb in marks}  # else nothing it read changed
        time.sleep(10)  # the processes' turn: those that read a replaced block should report it ("halted")
        self._halted(marks, "the reorg", read)
        chaos.resync("B")

    def _reset(self) -> None:
        chaos = self.chaos
        chaos.orders.stop_stream()
        time.sleep(2)
        marks = chaos.log_marks()
        chaos.reset_destination()
        chaos.orders.start_stream(self.rate, self.stream)
        time.sleep(15)  # orders on the new B: the processes should stop acting on it ("halted")
        chaos.orders.stop_stream()
        calm = chaos.quiesce(30)
        chaos.note(f"before the warp: {'every fill on B is settled' if calm else 'fills on B still unsettled'}")
        chaos.warp(MIN_REFUND_DELAY + 120)  # a day later: refundAfter has passed for every open order
        time.sleep(10)
        self._halted(marks, "the reset", {verb: True for verb in marks})
        chaos.resync("B")
        chaos.orders.start_stream(self.rate, self.stream)

    def _halted(self, marks: dict[str, int], fault: str, expected: dict[str, bool]) -> None:
        """Note which process reported `fault` (a log line with "halted"); those `expected` to must."""
        said = {verb: "halted" in self.chaos.logged(verb, mark) for verb, mark in marks.items()}
        words = []
        for verb, ok in said.items():
            if ok:
                words.append(f"{verb} halted")
            elif expected[verb]:
                words.append(f"{verb} did NOT report it")
                self.missed.append(f"{verb} did not report {fault} at {self.chaos.elapsed():.0f} s")
            else:
                words.append(f"{verb} had read none of the replaced blocks (nothing to report)")
        self.halted.append(f"{fault} at {self.chaos.elapsed():.0f} s: " + ", ".join(words))
        self.chaos.note(self.halted[-1])


def drain(chaos: Chaos, timeout: float = 120.0, still: float = 20.0) -> None:
    """Wait until the open orders stop getting fewer for `still` seconds (at most `timeout`)."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        try:
            figures = chaos.check()
        except Exception:  # noqa: BLE001 - a node busy: ask again
            time.sleep(2)
            continue
        if figures.open != last:
            last, since = figures.open, time.monotonic()
        if figures.open == 0 or time.monotonic() - since >= still:
            break
        time.sleep(2)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=None, help="draws the faults and orders (default: random)")
    parser.add_argument("--minutes", type=float, default=6.0, help="how long faults are injected")
    parser.add_argument("--rate", type=float, default=1.0, help="orders opened per second")
    parser.add_argument("--folder", type=Path, default=None, help="logs (default .build/chaos/long-<seed>)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    folder = args.folder or ROOT / ".build" / "chaos" / f"long-{seed}"
    shutil.rmtree(folder, ignore_errors=True)
    print(f"chaos: seed {seed}, {args.minutes:g} min of faults, {args.rate:g} orders/s; logs in {folder}", flush=True)
    rng, stream = random.Random(seed), random.Random(seed + 1)  # faults; orders (their own thread)
    with Chaos(folder, echo=_echo) as chaos:
        faults = Faults(chaos, rng, stream, args.rate)
        chaos.orders.start_stream(args.rate, stream)
        end = time.monotonic() + args.minutes * 60
        while time.monotonic() < end:
            time.sleep(rng.uniform(8, 20))
            faults.one()
        chaos.orders.stop_stream()
        chaos.note("faults over, no new orders: draining")
        drain(chaos)
        figures = chaos.check()
        print(f"\nchaos: seed {seed}; faults: " + ", ".join(f"{n} x{c}" for n, c in sorted(faults.done.items())))
        print(f"chaos: orders that failed to open: {len(chaos.orders.failed)}")
        for line in faults.halted:
            print(f"chaos: after {line}")
        print("\n".join(f"chaos: {line}" for line in figures.lines()))
        print(f"chaos: logs in {folder}; re-run with --seed {seed}")
    for line in faults.missed:
        print(f"chaos: MISSED: {line}")
    return 1 if figures.violations or faults.missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
