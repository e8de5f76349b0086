"""A reference solver: a filler agent that fills what its policy allows.

    solver = Solver(SolverConfig(chains=[ChainConfig(31337, url1), ChainConfig(31338, url2)],
                                 key=filler_key, agent_id=9, payout=filler_address,
                                 policy=Policy(routes=[Route(31337, usdc1, 31338, usdc2)],
                                               oracles={31337: oracle1}), db="solver.sqlite"))
    solver.run()

Each round it reads ``Open`` events at least `confirmations` deep on every
origin it watches, once per order (de-duplicated in SQLite), checks the
order against its policy and against the destination (not filled yet, the
fill deadline ahead, not exclusive to someone else, its own inventory),
and fills it on the destination naming its payout address and agent:
every fill of a round is sent back to back (consecutive nonces, up to
``max_pending``), with the inventory of those in flight set aside and the
settler approved for exactly what they deliver. A fill is kept as
``sending`` with its hash before it leaves, so a restart finds it; an
order is marked ``filled`` only once the destination holds its record,
and one whose fill failed is retried while it can still be filled.
Settlement is the relayer's job: the solver's escrow arrives at `payout`
once the fill is proven.

Trust between agents (docs/trust.md): the policy may require the order's
opener agent to have been reviewed for at least `min_opener_orders` settled
orders in the origin's receipt-backed registry, each of at least
`min_backing_value`, with an average of at least `min_opener_score`
(anyone else's say-so counts for nothing there: every review cites a settled
order and comes from its other side). With `rate_openers` set, the solver
reviews the opener's agent once each order it filled is settled (from its
payout, the order's counterparty), which is how openers earn that record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from web3 import Web3

from .._core.deployments import create2_address, resolve_address
from .._core.revert import RevertContext
from .._core.signers import LocalSigner
from .._core.tx import send_checked
from ..exceptions import CharterError, ContractRevert, ReceiptUsed
from ..intents.client import ERC20_ABI, Intents
from ..intents.models import MIN_REFUND_DELAY, NATIVE, FillRecord, Order
from ..trust.client import Reputation
from ..trust.models import BackedSummary
from .chain import Link, guarded
from .chain import connect as connect_rpc
from .loop import RoundLoop
from .preflight import check_solver_chain
from .relayer import SCAN_SPAN, ChainConfig
from .sender import Pipeline
from .store import Store

log = logging.getLogger("charter.solve")


@dataclass(frozen=True)
class Route:
    """The solver takes `input_token` on `origin_chain` for `output_token` on `dest_chain`, one for one
    in base units (same decimals). :data:`~charter.intents.models.NATIVE` stands for native value."""

    origin_chain: int
    input_token: str
    dest_chain: int
    output_token: str
    max_amount: int = 2**256 - 1


@dataclass
class Policy:
    routes: list[Route]
    oracles: dict[int, str | list[str]]
    """The settlement oracles it trusts on each origin chain (one, or several: a committee's and a
    HyperlaneOracle); it must be able to have its fills proven by them."""
    min_reward_bps: int = 0
    """How much more the escrow must be than the outputs, in basis points."""
    min_proof_window: int = MIN_REFUND_DELAY
    """Seconds between the fill deadline and refundAfter it needs to have its fill proven."""
    min_time_left: int = 30
    """Seconds before the fill deadline below which it does not start a fill."""
    min_opener_orders: int = 0
    """Settled orders the opener's agent must have been reviewed for in the origin chain's
    receipt-backed registry (0: no requirement; an order opened for no agent then has none)."""
    min_opener_score: Decimal | None = None
    """The least average of those reviews (None: any); an agent without reviews passes only when
    `min_opener_orders` is 0."""
    min_backing_value: int = 0
    """Only reviews backed by an order that moved at least this much (its first input, in base
    units) count: dust orders between Sybils count for nothing."""
    rate_openers: int | None = None
    """When set (0 to 100), the score it gives the opener's agent once an order it filled is
    settled: receipt-backed feedback from its payout (which must be its own address)."""

    @property
    def checks_openers(self) -> bool:
        return self.min_opener_orders > 0 or self.min_opener_score is not None


@dataclass
class SolverConfig:
    chains: list[ChainConfig]
    key: str
    policy: Policy
    agent_id: int = 0
    payout: str | None = None
    """Where its escrow goes on the origin (default: its own address)."""
    db: str = "solver.sqlite"
    poll_interval: float = 1.0
    max_pending: int = 50
    """Fills sent per round without waiting for the previous ones to be mined (consecutive nonces)."""


@dataclass
class SolveReport:
    seen: int = 0
    filled: int = 0
    skipped: int = 0
    rated: int = 0
    errors: list[str] = field(default_factory=list)
    failed_chains: list[int] = field(default_factory=list)
    """Chains that could not be read or written this round (unreachable, behind, halted)."""

    @property
    def busy(self) -> bool:
        return bool(self.seen or self.filled)


class Solver(RoundLoop[SolveReport]):
    """Charter's reference filler (see the module's documentation)."""

    def __init__(self, config: SolverConfig, *, connect: Callable[[ChainConfig], Web3] | None = None) -> None:
        if config.poll_interval <= 0:
            raise CharterError(f"poll_interval must be above 0 seconds, got {config.poll_interval}")
        if not 1 <= config.max_pending <= 500:
            raise CharterError(f"max_pending is 1 to 500, got {config.max_pending}")
        self.config = config
        self._wait = min(30.0, max(5.0, config.poll_interval * 10))
        """Seconds a round waits for its fills' receipts (the rest is resolved next round)."""
        self.store = Store(config.db)
        self.signer = LocalSigner.from_key(config.key)
        self.payout = Web3.to_checksum_address(config.payout or self.signer.address)
        make = connect or (lambda chain: connect_rpc(chain.rpc, chain.rpc_timeout))
        self.chains: dict[int, tuple[ChainConfig, Intents]] = {}
        self.links: dict[int, Link] = {}
        for chain in config.chains:
            w3 = make(chain)
            settler = chain.settler or create2_address("IntentSettler")
            self.chains[chain.chain_id] = (chain, Intents(w3, settler, self.signer, chain_id=chain.chain_id,
                                                          timeout=self._wait))
            self.links[chain.chain_id] = Link(chain.chain_id, chain.rpc, w3, self.store, chain.confirmations,
                                              config.poll_interval)
        self._checked: set[int] = set()
        self._short: dict[str, str] = {}  # order id -> the last inventory shortfall logged
        self._decoded: dict[int, dict[str, Order]] = {}  # per chain's worker: the pending orders, decoded once
        self._record = FillRecord(payout=self.payout, filler_agent_id=config.agent_id)
        policy = config.policy
        if policy.rate_openers is not None:
            if not 0 <= policy.rate_openers <= 100:
                raise CharterError(f"rate_openers is a score from 0 to 100, got {policy.rate_openers}")
            if self.payout != self.signer.address:
                raise CharterError("rate_openers needs the payout to be the solver's own address: only the order's "
                                   "counterparty (the payout) may review the opener's agent")
        self._reputations: dict[int, Reputation] = {}
        self._opener_cache: dict[tuple[int, int], tuple[float, BackedSummary]] = {}
        super().__init__(config.poll_interval)

    def close(self) -> None:
        if not any(w.is_alive() for w in self.workers):
            self.store.close()

    def lanes(self) -> list[int]:
        return list(self.chains)

    def _starting(self) -> None:
        log.info("solving as %s (agent %s, payout %s)", self.signer.address, self.config.agent_id, self.payout)

    def _stopped(self) -> None:
        log.info("solver stopped; %s", self.progress())

    def progress(self) -> str:
        counts = self.store.seen_counts()
        text = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no orders yet"
        troubled = [f"chain {i} {link.state}" for i, link in self.links.items() if link.state != "ok"]
        return text + (f" ({', '.join(troubled)})" if troubled else "")

    name = "solver"

    def _check_chain(self, chain_id: int) -> list[str]:
        return self._preflight(chain_id)

    def _unreachable(self, chain_id: int, exc: Exception) -> float:
        return self.links[chain_id].failed(exc)

    def _preflight(self, chain_id: int) -> list[str]:
        if chain_id in self._checked:
            return []
        config, intents = self.chains[chain_id]
        problems = check_solver_chain(intents.w3, config, self.config, f"chains[{list(self.chains).index(chain_id)}]")
        if not problems:
            self.links[chain_id].verify()
            self._checked.add(chain_id)
        return problems

    def step(self) -> SolveReport:
        """One round of every chain: read new orders on each, then fill on each."""
        report = SolveReport()
        for phase in self._phases():
            for chain_id in self.chains:
                self._guarded(chain_id, report, phase)
        return report

    def round(self, chain_id: int) -> SolveReport:
        report = SolveReport()
        for phase in self._phases():
            self._guarded(chain_id, report, phase)
        return report

    def _phases(self) -> tuple[Callable[[int, SolveReport], None], ...]:
        if self.config.policy.rate_openers is None:
            return (self._phase_read, self._phase_fill)
        return (self._phase_read, self._phase_fill, self._phase_rate)

    def _guarded(self, chain_id: int, report: SolveReport, work: Callable[[int, SolveReport], None]) -> None:
        guarded(self.links[chain_id], report, lambda: work(chain_id, report))

    # ------------------------------------------------------------ reading

    def _phase_read(self, chain_id: int, report: SolveReport) -> None:
        link = self.links[chain_id]
        if chain_id not in self._checked:
            problems = self._preflight(chain_id)
            if problems:
                raise link.halt("its configuration does not match the chain: " + "; ".join(problems))
        link.verify(every=self.config.poll_interval * 5)
        config, intents = self.chains[chain_id]
        name = f"solve:{chain_id}"
        while (span := link.scan_range(name, config.start_block, SCAN_SPAN)) is not None:
            start, end = span
            end_hash = link.block_hash(end)
            opened = intents.opened(start, end)
            link.unchanged(end, end_hash)
            with self.store.transaction() as db:
                for found in opened:
                    if Store.add_seen(db, found.order.order_id_hex, chain_id, found.order.origin_data):
                        report.seen += 1
                Store.set_cursor(db, name, end + 1, end_hash)

    # ------------------------------------------------------------ filling

    def _phase_fill(self, chain_id: int, report: SolveReport) -> None:
        """Fill, on `chain_id` as the destination, every order that may be filled now: all sent
        back to back (consecutive nonces), with the inventory of the fills in flight set aside."""
        _, dest = self.chains[chain_id]
        link = self.links[chain_id]
        if link.behind:
            return
        known = self._decoded.get(chain_id, {})
        decoded = {i: known.get(i) or Order.from_origin_data(d) for i, d in self.store.seen_orders("new", "retry",
                                                                                                   "sending")}
        self._decoded[chain_id] = decoded  # only what is still pending is kept
        pending = [(i, o) for i, o in decoded.items() if o.data.destination_chain_id == chain_id]
        if not pending:
            return
        self._resolve_sent(dest, [i for i, _ in pending if self.store.seen_state(i) == "sending"], report)
        now = int(dest.w3.eth.get_block("latest")["timestamp"])
        reserved: dict[str, int] = {}
        balances: dict[str, int] = {}
        chosen: list[tuple[str, Order]] = []
        for order_id, order in pending:
            if len(chosen) >= self.config.max_pending:
                break
            if self.store.seen_state(order_id) not in ("new", "retry"):
                continue
            reason = self._refusal(order, dest, now)
            if reason is None:
                reason = self._inventory(order, dest, balances, reserved)
            if reason is not None:
                self._refused(order_id, reason, report)
                continue
            chosen.append((order_id, order))
        if chosen:
            self._fill_all(dest, chosen, reserved, report)

    def _refused(self, order_id: str, reason: str, report: SolveReport) -> None:
        if reason.startswith("filled by us"):
            self.store.mark_seen(order_id, "filled", None)
            report.filled += 1
            log.info("order %s: %s", order_id[:10], reason)
            return
        final = not reason.startswith("retry:")
        self.store.mark_seen(order_id, "skipped" if final else "retry", reason)
        if final:
            report.skipped += 1
            log.info("order %s skipped: %s", order_id[:10], reason)
        elif reason.startswith("retry: inventory") and self._short.get(order_id) != reason:
            self._short[order_id] = reason
            log.warning("order %s waits: %s", order_id[:10], reason[len("retry: "):])

    def _resolve_sent(self, dest: Intents, order_ids: list[str], report: SolveReport) -> None:
        """Settle what became of fills sent earlier (by this process, or by one killed after
        sending): filled, still pending (left alone), or lost (tried again)."""
        pipeline = Pipeline(dest.w3, self.signer, dest.chain_id)
        for order_id in order_ids:
            tx_hash = self.store.seen_tx(order_id)
            held = dest.record_of(bytes.fromhex(order_id[2:]))
            if held == self._record.hash:
                self.store.mark_seen(order_id, "filled", None)
                report.filled += 1
                log.info("order %s filled on chain %s (tx %s)", order_id[:10], dest.chain_id, tx_hash)
            elif any(held):
                self.store.mark_seen(order_id, "skipped", "filled by someone else meanwhile")
                report.skipped += 1
            elif tx_hash is not None and pipeline.known(tx_hash):
                receipts = pipeline.wait([tx_hash], timeout=0)
                if tx_hash in receipts and receipts[tx_hash]["status"] != 1:
                    self.store.mark_seen(order_id, "retry", f"fill tx {tx_hash} reverted")
                # else still pending: wait for it
            else:
                self.store.mark_seen(order_id, "retry", f"fill tx {tx_hash} was dropped")

    def _fill_all(self, dest: Intents, chosen: list[tuple[str, Order]], reserved: dict[str, int],
                  report: SolveReport) -> None:
        pipeline = Pipeline(dest.w3, self.signer, dest.chain_id)
        self._approve(dest, reserved)
        sent: list[tuple[str, Order, str]] = []
        for order_id, order in chosen:
            data = dest.contract.encode_abi("fill", [order.order_id, order.origin_data, self._record.filler_data()])
            try:
                prepared = pipeline.prepare(dest.address, data, RevertContext(action="fill", chain_id=dest.chain_id,
                                                                             order_id=order_id), value=order.native_out)
            except ContractRevert as exc:
                self.store.mark_seen(order_id, "retry", f"fill refused: {exc}")
                report.errors.append(str(exc))
                log.warning("order %s: fill refused: %s", order_id[:10], exc)
                continue
            self.store.mark_seen(order_id, "sending", None, prepared.tx_hash)  # before it leaves: found on restart
            pipeline.send(prepared)
            sent.append((order_id, order, prepared.tx_hash))
        receipts = pipeline.wait([h for _, _, h in sent], timeout=self._wait, stop=self.stopping)
        for order_id, _order, tx_hash in sent:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                continue  # resolved next round
            if receipt["status"] != 1:
                self.store.mark_seen(order_id, "retry", f"fill tx {tx_hash} reverted")
                report.errors.append(f"fill tx {tx_hash} reverted")
                log.warning("order %s: fill tx %s reverted; trying again", order_id[:10], tx_hash)
                continue
            self.store.mark_seen(order_id, "filled", None, tx_hash)
            report.filled += 1
            log.info("order %s filled on chain %s in tx %s (%s gas)", order_id[:10], dest.chain_id, tx_hash,
                     f"{int(receipt['gasUsed']):,}")

    def _approve(self, dest: Intents, needs: dict[str, int]) -> None:
        """Let the settler take exactly what this round's fills deliver of each ERC-20 (no
        standing allowance beyond the fills in flight)."""
        for token, amount in needs.items():
            if token == NATIVE or amount == 0:
                continue
            erc20: Any = dest.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)
            allowance = int(erc20.functions.allowance(self.signer.address, dest.address).call())
            if allowance >= amount:
                continue
            data = erc20.encode_abi("approve", [dest.address, amount])
            receipt = send_checked(dest.w3, self.signer, erc20.address, data, RevertContext(action="approve"),
                                   timeout=self._wait)
            log.info("chain %s: approved the settler for %s of %s (tx %s)", dest.chain_id, f"{amount:,}", token,
                     receipt["transactionHash"].to_0x_hex())

    def _refusal(self, order: Order, dest: Intents, now: int) -> str | None:
        """Why the solver does not fill `order` (``retry:`` when it may later), or None to fill it."""
        policy = self.config.policy
        d = order.data
        if d.destination_settler != dest.address:
            return f"destination settler {d.destination_settler} is not the one watched"
        trusted = policy.oracles.get(order.origin_chain_id, [])
        if not order.is_local and d.oracle not in ([trusted] if isinstance(trusted, str) else trusted):
            return f"oracle {d.oracle} is not trusted on chain {order.origin_chain_id}"
        if d.refund_after - order.fill_deadline < policy.min_proof_window:
            return "too little time between the fill deadline and refundAfter to prove a fill"
        if len(d.inputs) != len(d.outputs):
            return "the reference solver fills orders with one output per input"
        reward_ok = True
        for item, output in zip(d.inputs, d.outputs, strict=True):
            route = next((r for r in policy.routes if r.origin_chain == order.origin_chain_id
                          and Web3.to_checksum_address(r.input_token) == item.token
                          and r.dest_chain == d.destination_chain_id
                          and Web3.to_checksum_address(r.output_token) == output.token), None)
            if route is None:
                return f"no route from {item.token} on chain {order.origin_chain_id} to {output.token}"
            if output.amount > route.max_amount:
                return f"output {output.amount:,} is above the route's maximum {route.max_amount:,}"
            if item.amount * 10_000 < output.amount * (10_000 + policy.min_reward_bps):
                reward_ok = False
        if not reward_ok:
            return f"the escrow does not pay the minimum reward of {policy.min_reward_bps} bps"
        if policy.checks_openers and (short := self._opener_short(order)) is not None:
            return short
        held = dest.record_of(order.order_id)
        if held == self._record.hash:
            return "filled by us already (a fill sent before a restart)"
        if any(held):
            return "already filled (or recorded unfilled) on the destination"
        if order.fill_deadline - now < policy.min_time_left:
            return "too close to (or past) the fill deadline"
        if d.exclusive_filler not in (NATIVE, self.signer.address) and now <= d.exclusivity_deadline:
            return f"retry: exclusive to {d.exclusive_filler} until {d.exclusivity_deadline}"
        return None

    # ------------------------------------------------------------ trust

    def _reputation(self, chain_id: int) -> Reputation:
        """The receipt-backed registry of `chain_id` (an origin), as the solver's signer."""
        if chain_id not in self._reputations:
            _, intents = self.chains[chain_id]
            address = resolve_address(intents.w3, "BackedReputationRegistry")
            self._reputations[chain_id] = Reputation(intents.w3, address, self.signer, chain_id=chain_id,
                                                     timeout=self._wait)
        return self._reputations[chain_id]

    def _opener_record(self, chain_id: int, agent_id: int) -> BackedSummary:
        """The opener agent's backed record on its chain, read at most every 30 s."""
        key = (chain_id, agent_id)
        cached = self._opener_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < 30:
            return cached[1]
        summary = self._reputation(chain_id).backed_summary(agent_id, min_value=self.config.policy.min_backing_value)
        self._opener_cache[key] = (time.monotonic(), summary)
        return summary

    def _opener_short(self, order: Order) -> str | None:
        """Why the opener's backed record does not meet the policy, or None."""
        policy = self.config.policy
        agent = order.data.agent_id
        if agent == 0:
            return "opened for no agent: no backed reputation to check"
        record = self._opener_record(order.origin_chain_id, agent)
        counted = (f"review(s) backed by settled orders of at least {policy.min_backing_value:,}"
                   if policy.min_backing_value else "review(s) backed by settled orders")
        if record.count < policy.min_opener_orders:
            return (f"opener agent {agent} has {record.count} {counted} on chain {order.origin_chain_id}, the "
                    f"policy needs {policy.min_opener_orders}")
        if policy.min_opener_score is not None and record.average is not None \
                and record.average < policy.min_opener_score:
            return (f"opener agent {agent} averages {record.average:.2f} over {record.count} {counted}, the "
                    f"policy needs {policy.min_opener_score}")
        return None

    def _phase_rate(self, chain_id: int, report: SolveReport) -> None:
        """Review the opener's agent of every order this solver filled from `chain_id` (the origin)
        once it is settled there: receipt-backed feedback from the payout, once per order."""
        link = self.links[chain_id]
        if link.behind:
            return
        _, origin = self.chains[chain_id]
        score = self.config.policy.rate_openers
        assert score is not None
        for order_id, data in self.store.seen_orders("filled"):
            order = Order.from_origin_data(data)
            if order.origin_chain_id != chain_id:
                continue
            status = origin.origin_status(order.order_id)
            if status.name == "REFUNDED":
                self.store.mark_seen(order_id, "refunded", "refunded on its origin")
                continue
            if status.name != "SETTLED":
                continue
            if order.data.agent_id == 0:
                self.store.mark_seen(order_id, "settled", "settled; opened for no agent: nobody to review")
                continue
            try:
                done = self._reputation(chain_id).give_for_order(order.order_id, score, about="opener",
                                                                 from_block=self.chains[chain_id][0].start_block)
            except ReceiptUsed as exc:
                if exc.reason != "reputation: receipt used":
                    report.errors.append(str(exc))
                    continue
                done = None  # reviewed before a restart
            except CharterError as exc:
                report.errors.append(str(exc))
                log.warning("order %s: reviewing its opener refused: %s", order_id[:10], exc)
                continue
            self.store.mark_seen(order_id, "settled", f"opener agent {order.data.agent_id} reviewed {score}",
                                 done.tx_hash if done is not None else None)
            report.rated += 1
            if done is not None:
                log.info("order %s settled: reviewed opener agent %s with %s (tx %s)", order_id[:10],
                         order.data.agent_id, score, done.tx_hash)

    def _inventory(self, order: Order, dest: Intents, balances: dict[str, int], reserved: dict[str, int]) -> str | None:
        """Set aside what `order` delivers, or say what is missing (with the fills in flight counted)."""
        needs = self._needs(order)
        for token, amount in needs.items():
            if token not in balances:
                balances[token] = self._balance(dest, token)
            free = balances[token] - reserved.get(token, 0)
            if free < amount:
                return (f"retry: inventory of {token} on chain {dest.chain_id} is {free:,} after the fills in "
                        f"flight, needs {amount:,}")
        for token, amount in needs.items():
            reserved[token] = reserved.get(token, 0) + amount
        return None

    @staticmethod
    def _needs(order: Order) -> dict[str, int]:
        needs: dict[str, int] = {}
        for output in order.data.outputs:
            needs[output.token] = needs.get(output.token, 0) + output.amount
        return needs

    def _balance(self, dest: Intents, token: str) -> int:
        if token == NATIVE:
            return int(dest.w3.eth.get_balance(self.signer.address)) - 10**16  # keep some for gas
        erc20: Any = dest.w3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)
        return int(erc20.functions.balanceOf(self.signer.address).call())


__all__ = ["Policy", "Route", "SolveReport", "Solver", "SolverConfig"]
