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
and fills it on the destination naming its payout address and agent. An
order is marked ``filled`` only once the destination emitted ``Filled``
for it; one whose fill failed is retried while it can still be filled.
Settlement is the relayer's job: the solver's escrow arrives at `payout`
once the fill is proven.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from web3 import Web3

from .._core.deployments import create2_address
from .._core.signers import LocalSigner
from ..exceptions import CharterError
from ..intents.client import ERC20_ABI, Intents
from ..intents.models import MIN_REFUND_DELAY, NATIVE, FillRecord, Order
from .loop import RoundLoop
from .relayer import ChainConfig
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
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.seen or self.filled)


class Solver(RoundLoop[SolveReport]):
    """Charter's reference filler (see the module's documentation)."""

    def __init__(self, config: SolverConfig, *, connect: Callable[[str], Web3] | None = None) -> None:
        self.config = config
        self.store = Store(config.db)
        self.signer = LocalSigner.from_key(config.key)
        self.payout = Web3.to_checksum_address(config.payout or self.signer.address)
        make = connect or (lambda url: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})))
        self.chains: dict[int, tuple[ChainConfig, Intents]] = {}
        for chain in config.chains:
            w3 = make(chain.rpc)
            settler = chain.settler or create2_address("IntentSettler")
            self.chains[chain.chain_id] = (chain, Intents(w3, settler, self.signer, chain_id=chain.chain_id))
        self._retry_at: dict[int, float] = {}
        super().__init__(config.poll_interval)

    def close(self) -> None:
        self.store.close()

    def _starting(self) -> None:
        log.info("solving as %s (agent %s, payout %s)", self.signer.address, self.config.agent_id, self.payout)

    def _stopped(self) -> None:
        log.info("solver stopped; %s", self.store.seen_counts())

    def step(self) -> SolveReport:
        report = SolveReport()
        for chain_id, (config, intents) in self.chains.items():
            if time.monotonic() < self._retry_at.get(chain_id, 0):
                continue
            try:
                self._scan(config, intents, report)
            except Exception as exc:  # noqa: BLE001 - a chain's failure holds back only that chain
                self._retry_at[chain_id] = time.monotonic() + min(60.0, self.config.poll_interval * 4)
                report.errors.append(f"chain {chain_id}: {exc}")
                log.warning("chain %s: %s", chain_id, exc)
        for order_id, origin_data in self.store.seen_orders("new", "retry"):
            self._try(order_id, Order.from_origin_data(origin_data), report)
        return report

    # ------------------------------------------------------------ internals

    def _scan(self, config: ChainConfig, intents: Intents, report: SolveReport) -> None:
        safe = int(intents.w3.eth.block_number) - config.confirmations
        start = self.store.cursor(f"solve:{config.chain_id}", config.start_block)
        if start > safe:
            return
        opened = intents.opened(start, safe)
        with self.store.transaction() as db:
            for found in opened:
                if Store.add_seen(db, found.order.order_id_hex, config.chain_id, found.order.origin_data):
                    report.seen += 1
            Store.set_cursor(db, f"solve:{config.chain_id}", safe + 1)

    def _try(self, order_id: str, order: Order, report: SolveReport) -> None:
        reason = self._refusal(order)
        if reason is not None:
            final = not reason.startswith("retry:")
            self.store.mark_seen(order_id, "skipped" if final else "retry", reason)
            if final:
                report.skipped += 1
                log.info("order %s skipped: %s", order_id[:10], reason)
            return
        _, dest = self.chains[order.data.destination_chain_id]
        try:
            tx = dest.fill(order, FillRecord(payout=self.payout, filler_agent_id=self.config.agent_id), self.signer)
        except CharterError as exc:
            self.store.mark_seen(order_id, "retry", f"fill failed: {exc}")
            report.errors.append(str(exc))
            log.warning("order %s: fill failed: %s", order_id[:10], exc)
            return
        self.store.mark_seen(order_id, "filled", None, tx.tx_hash)
        report.filled += 1
        log.info("order %s filled on chain %s in tx %s (%s gas)", order_id[:10], order.data.destination_chain_id,
                 tx.tx_hash, f"{tx.gas_used:,}")

    def _refusal(self, order: Order) -> str | None:
        """Why the solver does not fill `order` (``retry:`` when it may later), or None to fill it."""
        policy = self.config.policy
        d = order.data
        if d.destination_chain_id not in self.chains:
            return f"destination chain {d.destination_chain_id} is not watched"
        _, dest = self.chains[d.destination_chain_id]
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
        now = int(dest.w3.eth.get_block("latest")["timestamp"])
        if order.fill_deadline - now < policy.min_time_left:
            return "too close to (or past) the fill deadline"
        if d.exclusive_filler not in (NATIVE, self.signer.address) and now <= d.exclusivity_deadline:
            return f"retry: exclusive to {d.exclusive_filler} until {d.exclusivity_deadline}"
        if any(dest.record_of(order.order_id)):
            return "already filled (or recorded unfilled) on the destination"
        for token, amount in self._needs(order).items():
            have = self._balance(dest, token)
            if have < amount:
                return f"retry: inventory of {token} on chain {d.destination_chain_id} is {have:,}, needs {amount:,}"
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
