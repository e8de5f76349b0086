"""What a chaos run left behind, proven from chain state alone (events and views on both chains).

Nothing here reads the processes' databases or logs: the chains are the
truth, read directly from the nodes (not through the proxies), at one block
of each chain. The invariants:

1. every order opened on A is settled or refunded at most once, never both,
   and its status agrees with its events (else it is still OPEN: anyone can
   still settle it with a proof, or refund it after ``refundAfter``);
2. no order is REFUNDED on A while B (the current B) holds a ``Filled`` for
   it: a fill after the fill deadline is impossible, so the filler delivered
   in time and lost its escrow;
3. the settler's balance on A of each token is the inputs of its OPEN
   orders plus the credits it holds for refused payments;
4. no process exited on its own (the supervisor records each exit, with
   what was being done to the chains at the time).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from charter._core.artifacts import abi
from charter.intents import Intents, OrderStatus
from charter.intents.models import NATIVE

from .chains import Anvil, Deployed
from .processes import Exit


@dataclass(frozen=True)
class Violation:
    key: str
    """Stable across checks (the same fault is reported once as new)."""
    text: str


@dataclass
class Figures:
    opened: int = 0
    settled: int = 0
    refunded: int = 0
    open: int = 0
    open_filled: int = 0
    """Open on A, filled on B: waiting for its settlement."""
    open_recorded_unfilled: int = 0
    fills: int = 0
    """``Filled`` events on the current B."""
    recorded_unfilled: int = 0
    settled_not_filled_on_b: int = 0
    """Settled on A on a fill the current B no longer holds (a reset, or a reorg deeper than the confirmations)."""
    escrow: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """token -> (settler balance, open inputs, credits)."""
    starts: dict[str, int] = field(default_factory=dict)
    kills: dict[str, int] = field(default_factory=dict)
    exits: list[Exit] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    blocks: tuple[int, int] = (0, 0)

    def lines(self) -> list[str]:
        restarts = ", ".join(f"{n} {self.starts[n] - 1} (kill -9 {self.kills.get(n, 0)})" for n in sorted(self.starts))
        out = [
            f"orders opened {self.opened}: settled {self.settled}, refunded {self.refunded}, open {self.open} "
            f"(filled on B {self.open_filled}, recorded unfilled {self.open_recorded_unfilled})",
            f"chain B: fills {self.fills}, recorded unfilled {self.recorded_unfilled}; settled on A without a fill "
            f"on the current B {self.settled_not_filled_on_b}",
            "escrow on A: " + ("; ".join(f"{t[:10]} holds {b:,} = open {o:,} + credits {c:,}"
                                         for t, (b, o, c) in self.escrow.items()) or "nothing held"),
            f"process restarts: {restarts or 'none'}; exits on their own: {len(self.exits)}",
            f"violations: {len(self.violations)}",
        ]
        out += [f"  - {v.text}" for v in self.violations]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def check(a: Anvil, b: Anvil, origin: Deployed, destination: Deployed, exits: list[Exit] | None = None) -> Figures:
    """The figures and violations of both chains as they are now (see the module's documentation)."""
    figures = Figures()
    head_a, head_b = a.head(), b.head()
    figures.blocks = (head_a, head_b)
    settler_a = Intents(a.w3, origin.settler, chain_id=a.chain_id)
    settler_b = Intents(b.w3, destination.settler, chain_id=b.chain_id)
    events = settler_a.contract.events

    opened = settler_a.opened(0, head_a)
    settled = Counter(bytes(e["args"]["orderId"]) for e in events.Settled().get_logs(from_block=0, to_block=head_a))
    refunded = Counter(bytes(e["args"]["orderId"]) for e in events.Refunded().get_logs(from_block=0, to_block=head_a))
    fills = {f.order_id: f for f in settler_b.fills(0, head_b)}
    unfilled = {u.order_id for u in settler_b.unfilled(0, head_b)}
    figures.opened, figures.fills, figures.recorded_unfilled = len(opened), len(fills), len(unfilled)

    def violation(key: str, text: str) -> None:
        figures.violations.append(Violation(key, text))

    held: dict[str, int] = defaultdict(int)
    for found in opened:
        order = found.order
        oid = order.order_id
        short = order.order_id_hex[:10]
        status = settler_a.origin_status(oid, block=head_a)
        s, r = settled[oid], refunded[oid]
        if s > 1 or r > 1 or (s and r):
            violation(f"twice:{short}", f"order {short}: settled {s} and refunded {r} times")
        expected = OrderStatus.SETTLED if s else OrderStatus.REFUNDED if r else OrderStatus.OPEN
        if status != expected:
            violation(f"status:{short}", f"order {short}: status {status.name} but {s} Settled, {r} Refunded events")
        if status == OrderStatus.OPEN:
            figures.open += 1
            figures.open_filled += oid in fills
            figures.open_recorded_unfilled += oid in unfilled
            for item in order.data.inputs:
                held[item.token] += item.amount
        elif status == OrderStatus.SETTLED:
            figures.settled += 1
            figures.settled_not_filled_on_b += oid not in fills
        elif status == OrderStatus.REFUNDED:
            figures.refunded += 1
            if oid in fills:
                fill = fills[oid]
                violation(f"refunded-filled:{short}",
                          f"order {short}: REFUNDED on A although B holds its fill (block {fill.block_number}, "
                          f"tx {fill.tx_hash[:10]}): the filler delivered and lost the escrow")

    credits: dict[str, int] = defaultdict(int)
    owed = {(e["args"]["account"], e["args"]["token"])
            for e in events.Credited().get_logs(from_block=0, to_block=head_a)}
    for account, token in owed:
        credits[token] += settler_a.credits(account, token, block=head_a)
    for token in sorted(set(held) | set(credits) | {origin.token}):
        balance = _balance(a, token, origin.settler, head_a)
        figures.escrow[token] = (balance, held[token], credits[token])
        if balance != held[token] + credits[token]:
            violation(f"escrow:{token}", f"escrow of {token[:10]} on A: the settler holds {balance:,}, its open "
                      f"orders' inputs are {held[token]:,} and its credits {credits[token]:,}")

    for gone in exits or []:
        violation(f"exit:{gone.name}:{gone.at:.1f}",
                  f"{gone.name} exited (code {gone.returncode}) {gone.at:.0f} s into the run while "
                  f"{gone.faults or 'nothing was being done to the chains'}: {gone.last.splitlines()[-1:]}")
    figures.exits = list(exits or [])
    return figures


def _balance(chain: Anvil, token: str, holder: str, block: int) -> int:
    w3 = chain.w3
    if token == NATIVE:
        return int(w3.eth.get_balance(Web3.to_checksum_address(holder), block_identifier=block))
    erc20: Any = w3.eth.contract(address=Web3.to_checksum_address(token), abi=abi("DemoToken"))
    return int(erc20.functions.balanceOf(holder).call(block_identifier=block))


__all__ = ["Figures", "Violation", "check"]
