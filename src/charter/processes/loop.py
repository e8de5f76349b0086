"""The round loop the relayer and the solver share.

:meth:`RoundLoop.run` gives each chain a worker thread of its own that runs
that chain's rounds (every `poll_interval` seconds, at once again while a
round found work): a chain that lags, hangs or is down holds back only its
own work, never another chain's. SIGINT or SIGTERM stops it: the workers
finish the step they are in (each RPC request is bounded by the chain's
``rpc_timeout``), and :meth:`run` returns within :data:`STOP_GRACE` seconds
whatever they are doing, with the summary logged. What a worker was doing
when stopped is safe to abandon: state moves only in SQLite transactions,
and a transaction sent is found again by its hash on restart.

:meth:`RoundLoop.step` runs one round of every chain in turn (``--once``,
``--rounds``, tests).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from ..exceptions import CharterError, InvalidInput
from .chain import describe

log = logging.getLogger("charter.loop")

STOP_GRACE = 3.0
"""Seconds :meth:`RoundLoop.run` waits for the workers after a stop before returning."""
CHECK_WAIT = 3.0
"""Seconds the start-up checks wait for a chain before leaving it to its worker (which checks it first)."""


class _Report(Protocol):
    @property
    def busy(self) -> bool: ...


R = TypeVar("R", bound=_Report)


class RoundLoop(ABC, Generic[R]):
    """Subclasses define :meth:`step`, :meth:`round` (one chain's round), `lanes`, and what to log."""

    config: Any
    """The process's configuration (its `chains` have `chain_id` and `start_block`)."""
    store: Any
    """Its :class:`~charter.processes.store.Store`."""

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self._stop = threading.Event()
        self._report_lock = threading.Lock()
        self.workers: list[threading.Thread] = []

    @abstractmethod
    def step(self) -> R:
        """One round of every chain; its report says whether it found work (`busy`)."""

    @abstractmethod
    def round(self, chain_id: int) -> R:
        """One round of one chain's work."""

    @abstractmethod
    def lanes(self) -> list[int]:
        """The chains that get a worker each."""

    @abstractmethod
    def _starting(self) -> None:
        """Log what the run is about to do."""

    @abstractmethod
    def _stopped(self) -> None:
        """Log where the run stopped."""

    name = "process"

    @abstractmethod
    def _check_chain(self, chain_id: int) -> list[str]:
        """What is wrong with one chain's configuration, read from the chain (raises if unreachable)."""

    @abstractmethod
    def _unreachable(self, chain_id: int, exc: Exception) -> float:
        """Count a failure of the chain's RPC; the seconds until it is tried again."""

    def check(self) -> None:
        """Check every reachable chain against the configuration now, all at once (a chain that
        hangs delays start-up by its ``rpc_timeout``, not one per chain): raises
        :class:`InvalidInput` listing what is wrong; unreachable chains are checked when they answer."""
        chains = self.lanes()
        problems: list[list[str]] = [[] for _ in chains]

        def one(i: int) -> None:
            try:
                problems[i] = self._check_chain(chains[i])
            except Exception as exc:  # noqa: BLE001 - unreachable now: checked when it answers
                delay = self._unreachable(chains[i], exc)
                log.warning("chain %s: unreachable at start-up (%s); checking it when it answers, in %.0f s",
                            chains[i], describe(exc), delay)

        threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(chains))]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + CHECK_WAIT
        for i, thread in enumerate(threads):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():  # a hanging RPC: its worker checks it before acting on it
                log.warning("chain %s: no answer within %.0f s at start-up; checking it when it answers",
                            chains[i], CHECK_WAIT)
        found = [line for i, lines in enumerate(problems) if not threads[i].is_alive() for line in lines]
        if found:
            raise InvalidInput(f"the {self.name}'s configuration does not match the chains:\n" + "\n".join(found))

    def serve(self, *, once: bool = False, rounds: int | None = None, resync: tuple[int, ...] = (),
              on_round: Callable[[R], None] | None = None) -> R | None:
        """What ``charter relay`` / ``charter solve`` (and ``ape run relay``) do: read again the
        chains in `resync` from their `start_block`, check the configuration against the chains,
        then run (until stopped, or one round, or `rounds` rounds of every chain). A bounded run
        raises :class:`CharterError` when a chain failed in its last round; returns that round's report."""
        previous = self._install_signals()  # a SIGTERM during the start-up checks still stops cleanly
        try:
            return self._serve(once, rounds, resync, on_round)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _serve(self, once: bool, rounds: int | None, resync: tuple[int, ...],
               on_round: Callable[[R], None] | None) -> R | None:
        config, store = self.config, self.store
        for chain_id in resync:
            chain = next((c for c in config.chains if c.chain_id == chain_id), None)
            if chain is None:
                raise InvalidInput(f"--resync {chain_id}: not a chain of the configuration "
                                   f"({', '.join(str(c.chain_id) for c in config.chains)})")
            reset = store.resync(chain_id, chain.start_block)
            log.warning("chain %s is read again from block %s (%s reset)", chain_id, chain.start_block,
                        ", ".join(f"{n} {what}" for what, n in reset.items()))
        self.check()
        last: list[R] = []

        def record(report: R) -> None:
            last[:] = [report]
            if on_round is not None:
                on_round(report)

        max_rounds = 1 if once else rounds
        self.run(max_rounds=max_rounds, on_round=record)
        failed = getattr(last[0], "failed_chains", []) if last else []
        if max_rounds is not None and failed:
            errors = "; ".join(getattr(last[0], "errors", []))
            raise CharterError(f"chain {', '.join(map(str, failed))} failed in the last round: {errors[:500]}")
        return last[0] if last else None

    @property
    def stopping(self) -> threading.Event:
        return self._stop

    def stop(self) -> None:
        """Ask :meth:`run` to return."""
        self._stop.set()

    def run(self, max_rounds: int | None = None, on_round: Callable[[R], None] | None = None) -> None:
        """Run until :meth:`stop`, SIGINT or SIGTERM (or `max_rounds` rounds of every chain, in
        turn, without threads); `on_round` sees each round's report."""
        previous = self._install_signals()
        try:
            self._starting()
            if max_rounds is not None:
                self._serial(max_rounds, on_round)
            else:
                self._threaded(on_round)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stopped()

    def _serial(self, max_rounds: int, on_round: Callable[[R], None] | None) -> None:
        for done in range(max_rounds):
            report = self.step()
            if on_round is not None:
                on_round(report)
            if self._stop.is_set() or done + 1 == max_rounds:
                return
            if not report.busy:
                self._stop.wait(self.poll_interval)

    def _threaded(self, on_round: Callable[[R], None] | None) -> None:
        self.workers = [threading.Thread(target=self._work, args=(chain_id, on_round), daemon=True,
                                         name=f"chain-{chain_id}") for chain_id in self.lanes()]
        for worker in self.workers:
            worker.start()
        self._stop.wait()
        for worker in self.workers:
            worker.join(STOP_GRACE / max(1, len(self.workers)))
        busy = [w.name for w in self.workers if w.is_alive()]
        if busy:
            log.warning("stopping without waiting for %s (in an RPC request; nothing is lost)", ", ".join(busy))

    def _work(self, chain_id: int, on_round: Callable[[R], None] | None) -> None:
        while not self._stop.is_set():
            try:
                report = self.round(chain_id)
                if on_round is not None:
                    with self._report_lock:
                        on_round(report)
            except Exception:  # noqa: BLE001 - a bug in one chain's round must not end its worker
                log.exception("chain %s: unexpected error in a round; retrying", chain_id)
                self._stop.wait(self.poll_interval * 5)
                continue
            if not report.busy:
                self._stop.wait(self.poll_interval)

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: self._stop.set())
        return previous


__all__ = ["STOP_GRACE", "RoundLoop"]
