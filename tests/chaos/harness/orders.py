"""Users opening orders on A for B: one at a time, or a stream at a given rate.

A fillable order asks B's token, which the solver has a route for; an
unfillable one asks a token nobody delivers (an address without code), so
it expires, the relayer records it unfilled on B and refunds it on A.
Refunds without proof come ``MIN_REFUND_DELAY`` after the fill deadline (the
shortest the settler accepts): :meth:`Chaos.warp` reaches them.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from charter import LocalSigner
from charter.intents import Input, Intents, Order, Output

from .chains import CHAIN_B, USER, Anvil, Deployed

NOBODYS_TOKEN = "0x00000000000000000000000000000000DeaDBeef"
"""An output token the solver has no route for."""


@dataclass(frozen=True)
class Placed:
    order: Order
    fillable: bool
    at: float
    """Monotonic seconds when it was opened."""

    @property
    def id(self) -> bytes:
        return self.order.order_id


class Orders:
    """The user's orders on A (thread-safe: the stream and a scenario may open at the same time)."""

    def __init__(self, chain: Anvil, origin: Deployed, destination: Deployed) -> None:
        self.user = LocalSigner.from_key(USER)
        self.intents = Intents(chain.w3, origin.settler, self.user, chain_id=chain.chain_id)
        self.origin = origin
        self.destination = destination
        self.placed: list[Placed] = []
        self.failed: list[str] = []
        self._lock = threading.Lock()
        self._stream: threading.Thread | None = None
        self._stop = threading.Event()

    def open(self, fillable: bool = True, window: int = 60, amount: int = 10**18) -> Placed:
        """Open one order whose fill deadline is `window` seconds after A's latest block."""
        output = Output(token=self.destination.token if fillable else NOBODYS_TOKEN, amount=amount * 99 // 100,
                        recipient=self.user.address, chain_id=CHAIN_B)
        with self._lock:
            order = self.intents.order(user=self.user.address, inputs=[Input(token=self.origin.token, amount=amount)],
                                       outputs=[output], destination_chain_id=CHAIN_B, oracle=self.origin.oracle,
                                       fill_within=window)
            self.intents.open(order)
            placed = Placed(order, fillable, time.monotonic())
            self.placed.append(placed)
        return placed

    def start_stream(self, rate: float, rng: random.Random, unfillable: float = 0.15,
                     windows: tuple[int, int] = (20, 60)) -> None:
        """Open about `rate` orders a second (a share `unfillable` of them unfillable) until :meth:`stop_stream`."""
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(rng.expovariate(rate)):
                fillable = rng.random() >= unfillable
                window = rng.randint(*windows) if fillable else rng.randint(5, 15)
                try:
                    self.open(fillable, window, rng.randint(1, 50) * 10**17)
                except Exception as exc:  # noqa: BLE001 - a failed open is counted, the stream goes on
                    self.failed.append(f"{type(exc).__name__}: {exc}"[:200])

        self._stream = threading.Thread(target=run, name="order-stream", daemon=True)
        self._stream.start()

    def stop_stream(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.join(timeout=30)
            self._stream = None


__all__ = ["NOBODYS_TOKEN", "Orders", "Placed"]
