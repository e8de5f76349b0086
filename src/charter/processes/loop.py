"""The round loop the relayer and the solver share: a step every `poll_interval`
seconds (at once again while a step found work), until stopped, SIGINT or SIGTERM."""

from __future__ import annotations

import signal
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar


class _Report(Protocol):
    @property
    def busy(self) -> bool: ...


R = TypeVar("R", bound=_Report)


class RoundLoop(ABC, Generic[R]):
    """Subclasses define :meth:`step`, `poll_interval`, and what to log around the run."""

    def __init__(self, poll_interval: float) -> None:
        self.poll_interval = poll_interval
        self._stop = threading.Event()

    @abstractmethod
    def step(self) -> R:
        """One round; its report says whether it found work (`busy`)."""

    @abstractmethod
    def _starting(self) -> None:
        """Log what the run is about to do."""

    @abstractmethod
    def _stopped(self) -> None:
        """Log where the run stopped."""

    def stop(self) -> None:
        """Ask :meth:`run` to return after the current round."""
        self._stop.set()

    def run(self, max_rounds: int | None = None, on_round: Callable[[R], None] | None = None) -> None:
        """Run rounds until :meth:`stop`, SIGINT, SIGTERM or `max_rounds`; `on_round` sees each report."""
        previous = self._install_signals()
        rounds = 0
        try:
            self._starting()
            while not self._stop.is_set():
                report = self.step()
                if on_round is not None:
                    on_round(report)
                rounds += 1
                if max_rounds is not None and rounds >= max_rounds:
                    break
                if not report.busy:
                    self._stop.wait(self.poll_interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stopped()

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: self._stop.set())
        return previous


__all__ = ["RoundLoop"]
