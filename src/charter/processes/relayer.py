"""The relayer: prove fills and non-fills (with the committee, or over Hyperlane), then settle and refund.

    relayer = Relayer(RelayConfig(chains=[ChainConfig(31337, url1), ChainConfig(31338, url2)],
                                  oracles={31337: oracle1, 31338: oracle2},
                                  attester_keys=[k1, k2, k3], sender_key=key, db="relay.sqlite"))
    relayer.run()            # until SIGINT / SIGTERM; or relayer.step() for one round

Each round, for every chain, it reads what is at least `confirmations`
blocks deep (never the chain's head):

1. ``Open`` events on origins: orders whose oracle is one this relayer's
   attesters sign for, and whose destination it watches;
2. ``Filled`` and ``RecordedUnfilled`` events on destinations;
3. for each order with a confirmed record, every attester reads the record
   again from the destination's state at the confirmed block and signs
   only if it is there (a fill that a reorg removed is never attested);
4. proven orders are settled (fills) or refunded (non-fills) on their
   origin in batches of up to ten, and marked done only once the origin
   shows them settled or refunded; an order the settler skips (its
   receipt says why) is retried after a backoff while the rest of its
   batch is done, and a batch refused as a whole is sent again order by
   order in the same round (one bad order never holds back the others);
5. open orders past their fill deadline on the destination are recorded as
   unfilled there (``recordUnfilled``); orders past ``refundAfter`` on their
   origin are refunded without proof.

Orders that name a chain's HyperlaneOracle are proven over Hyperlane
instead of step 3: the relayer reports their confirmed records through the
destination's HyperlaneReporter (batched), verifies the dispatched message
against the destination's Merkle tree hook, signs its checkpoint with the
validator keys it holds and delivers it to the origin's Mailbox
(:mod:`charter.processes.hyperlane`); an order is proven once its origin oracle
holds the root of a message that reports its record (the proof is the
order's Merkle path in that message), whoever reported or delivered it.

Everything it learns is in SQLite (:class:`~charter.processes.store.Store`),
written with the scan cursor in one transaction, so a restart between a
fill and its settlement neither loses nor repeats anything. A failing RPC
holds back only its chain, with exponential backoff.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import TransactionNotFound

from .._core.deployments import create2_address
from .._core.signers import LocalSigner
from ..exceptions import CharterError, ContractRevert
from ..hyperlane.settlement import HyperlaneOracle, HyperlaneReporter
from ..intents.client import Intents
from ..intents.models import MAX_SETTLE, RECORD_FILLED, RECORD_UNFILLED, UNFILLED_RECORD, FillRecord, Order, OrderStatus
from ..intents.oracle import AttesterOracle, attest, fill_attestation
from .hyperlane import HyperlaneConfig, Lane, MessageRelay
from .loop import RoundLoop
from .store import Record, Store

log = logging.getLogger("charter.relay")

SCAN_SPAN = 2_000
"""Blocks read per ``eth_getLogs`` request."""
MAX_BACKOFF = 60.0


@dataclass
class ChainConfig:
    """One chain the relayer (or solver) watches."""

    chain_id: int
    rpc: str
    settler: str | None = None
    """The IntentSettler (default: the suite's CREATE2 address)."""
    confirmations: int = 2
    """Blocks a log must have below the head before it counts."""
    start_block: int = 0
    hyperlane: HyperlaneConfig | None = None
    """This chain's Mailbox, HyperlaneOracle and HyperlaneReporter, to settle over Hyperlane."""
    rpc_timeout: float = 10.0
    """Seconds any one RPC request may take before the chain counts as unreachable (no retries inside)."""
    min_inputs: dict[str, int] | None = None
    """(Relayer) When set, only orders opened on this chain with an input of a listed token (address,
    or NATIVE) of at least its amount are relayed: tiny or junk-token orders cost the relayer no gas."""


@dataclass
class RelayConfig:
    chains: list[ChainConfig]
    oracles: dict[int, str]
    """The AttesterOracle on each origin chain whose committee includes the attester keys (may be empty)."""
    attester_keys: list[str]
    """The committee members' keys this relayer signs attestations with (may be empty without `oracles`)."""
    sender_key: str
    """Pays for settle, refund and recordUnfilled transactions on every chain."""
    db: str = "relay.sqlite"
    poll_interval: float = 1.0
    batch: int = MAX_SETTLE
    record_unfilled: bool = True
    validator_keys: list[str] = field(default_factory=list)
    """Hyperlane validator keys: it signs checkpoints of the destination chains' Merkle tree hooks with them."""


@dataclass
class _Chain:
    config: ChainConfig
    w3: Web3
    intents: Intents
    oracle: AttesterOracle | None
    reporter: HyperlaneReporter | None = None
    hyperlane_oracle: HyperlaneOracle | None = None
    failures: int = 0
    retry_at: float = 0.0

    @property
    def chain_id(self) -> int:
        return self.config.chain_id


@dataclass
class StepReport:
    """What one round did."""

    opened: int = 0
    records: int = 0
    proven: int = 0
    settled: int = 0
    refunded: int = 0
    asked_unfilled: int = 0
    reported: int = 0
    """(Hyperlane) orders whose records were dispatched."""
    delivered: int = 0
    """(Hyperlane) messages delivered."""
    errors: list[str] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.opened or self.records or self.proven or self.settled or self.refunded or self.asked_unfilled
                    or self.reported or self.delivered)


class Attester:
    """One committee member: signs an attestation only for a record it reads itself, at a confirmed block."""

    def __init__(self, key: str | bytes) -> None:
        self.account: LocalAccount = Account.from_key(key)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def sign(self, oracle: str, order: Order, record_hash: bytes, destination: Intents, block: int) -> bytes | None:
        """The signature, or None if the destination does not hold `record_hash` at `block`."""
        if destination.record_of(order.order_id, block=block) != record_hash:
            return None
        return attest(self.account, oracle, fill_attestation(order, record_hash))


class Relayer(RoundLoop[StepReport]):
    """Charter's committee relayer (see the module's documentation)."""

    def __init__(self, config: RelayConfig, *, connect: Callable[[str], Web3] | None = None) -> None:
        if config.oracles and not config.attester_keys:
            raise CharterError("the relayer needs attester keys for the committee oracles it is configured with")
        hyperlane = [c for c in config.chains if c.hyperlane is not None]
        if any(c.hyperlane.oracle for c in hyperlane if c.hyperlane) and not config.validator_keys:
            raise CharterError("the relayer needs Hyperlane validator keys to settle over Hyperlane")
        if not config.oracles and not hyperlane:
            raise CharterError("nothing to relay: configure a committee oracle or a chain's Hyperlane contracts")
        if not 1 <= config.batch <= MAX_SETTLE:
            raise CharterError(f"the batch size is 1 to {MAX_SETTLE}, got {config.batch}")
        self.config = config
        self.store = Store(config.db)
        self.attesters = [Attester(k) for k in config.attester_keys]
        self.sender = LocalSigner.from_key(config.sender_key)
        make = connect or (lambda url: Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30})))
        self.chains: dict[int, _Chain] = {}
        for chain in config.chains:
            w3 = make(chain.rpc)
            settler = chain.settler or create2_address("IntentSettler")
            oracle = config.oracles.get(chain.chain_id)
            hl = chain.hyperlane
            self.chains[chain.chain_id] = _Chain(
                chain, w3, Intents(w3, settler, self.sender, chain_id=chain.chain_id),
                AttesterOracle(w3, oracle, chain_id=chain.chain_id) if oracle else None,
                HyperlaneReporter(w3, hl.reporter, chain_id=chain.chain_id) if hl and hl.reporter else None,
                HyperlaneOracle(w3, hl.oracle, chain_id=chain.chain_id) if hl and hl.oracle else None,
            )
        self._thresholds: dict[str, int] = {}  # by answering oracle
        lanes = {c.chain_id: Lane.connect(c.chain_id, self.chains[c.chain_id].w3, c.hyperlane, c.start_block)
                 for c in hyperlane if c.hyperlane is not None}
        validators = [Account.from_key(k) for k in config.validator_keys]
        self.messages = MessageRelay(self.store, self.sender, validators, lanes, self._backoff)
        super().__init__(config.poll_interval)

    # ------------------------------------------------------------ running

    def _starting(self) -> None:
        log.info("relaying on chains %s; state in %s", ", ".join(map(str, self.chains)), self.store.path)

    def _stopped(self) -> None:
        log.info("relayer stopped; %s", self.progress())

    def progress(self) -> str:
        counts = self.store.counts()
        return ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no orders yet"

    def close(self) -> None:
        self.store.close()

    def step(self) -> StepReport:
        """One round: scan every chain, prove, settle and refund what is ready."""
        report = StepReport()
        for chain in self.chains.values():
            self._guarded(chain, report, self._scan)
        self._prove(report)
        for chain in self.chains.values():
            if chain.chain_id in self.messages.lanes:
                self._guarded(chain, report, self._verify_messages)
                self._guarded(chain, report, self._report)
        for chain in self.chains.values():
            if chain.chain_id in self.messages.lanes:
                self._guarded(chain, report, self._deliver)
            self._guarded(chain, report, self._ask_unfilled)
            self._guarded(chain, report, self._submit)
        if report.busy:
            log.info("round: %s", self.progress())
        return report

    # ------------------------------------------------------------ scanning

    def _scan(self, chain: _Chain, report: StepReport) -> None:
        head = int(chain.w3.eth.block_number)
        safe = head - chain.config.confirmations
        start = self.store.cursor(f"relay:{chain.chain_id}", chain.config.start_block)
        while start <= safe:
            end = min(safe, start + SCAN_SPAN - 1)
            opened = chain.intents.opened(start, end)
            fills = chain.intents.fills(start, end)
            unfilled = chain.intents.unfilled(start, end)
            with self.store.transaction() as db:
                for found in opened:
                    order = found.order
                    if not self._relays(order):
                        continue
                    if Store.add_order(db, order.order_id_hex, order.origin_chain_id, order.data.destination_chain_id,
                                       order.origin_data, order.fill_deadline, order.data.refund_after):
                        report.opened += 1
                        log.info("chain %s: order %s opened (block %s), destination chain %s", chain.chain_id,
                                 order.order_id_hex[:10], found.block_number, order.data.destination_chain_id)
                now = time.time()
                for fill in fills:
                    record = Record("0x" + fill.order_id.hex(), chain.chain_id, RECORD_FILLED, fill.record.payout,
                                    fill.record.filler_agent_id, fill.record_hash, fill.block_number, now)
                    if Store.add_record(db, record):
                        report.records += 1
                        log.info("chain %s: order %s filled by %s (payout %s, agent %s)", chain.chain_id,
                                 record.order_id[:10], fill.filler, fill.record.payout, fill.record.filler_agent_id)
                for event in unfilled:
                    record = Record("0x" + event.order_id.hex(), chain.chain_id, RECORD_UNFILLED, None, 0,
                                    UNFILLED_RECORD, event.block_number, now)
                    if Store.add_record(db, record):
                        report.records += 1
                        log.info("chain %s: order %s recorded as not filled", chain.chain_id, record.order_id[:10])
                Store.set_cursor(db, f"relay:{chain.chain_id}", end + 1)
            start = end + 1

    def _relays(self, order: Order) -> bool:
        origin = self.chains.get(order.origin_chain_id)
        dest = self.chains.get(order.data.destination_chain_id)
        return (
            not order.is_local
            and origin is not None
            and dest is not None
            and order.data.destination_settler == dest.intents.address
            and self._via(order) is not None
        )

    def _via(self, order: Order) -> str | None:
        """How `order` is proven: "committee", "hyperlane" (its oracle and its destination's
        reporter are configured), or None (not by this relayer)."""
        origin = self.chains.get(order.origin_chain_id)
        dest = self.chains.get(order.data.destination_chain_id)
        if origin is None or dest is None:
            return None
        if origin.oracle is not None and order.data.oracle == origin.oracle.address:
            return "committee"
        if origin.hyperlane_oracle is not None and order.data.oracle == origin.hyperlane_oracle.address \
                and dest.reporter is not None:
            return "hyperlane"
        return None

    # ------------------------------------------------------------ proving

    def _prove(self, report: StepReport) -> None:
        answering: dict[int, tuple[AttesterOracle, int]] = {}  # per origin chain, read once per step
        for row in self.store.orders("open", "unfilled-asked"):
            record = self.store.record(row.order_id)
            if record is None:
                continue
            origin, dest = self.chains[row.origin_chain], self.chains[row.dest_chain]
            order = Order.from_origin_data(row.origin_data)
            if self._via(order) != "committee" or time.monotonic() < dest.retry_at:
                continue
            try:
                block = int(dest.w3.eth.block_number) - dest.config.confirmations
                if origin.chain_id not in answering:
                    answering[origin.chain_id] = self._committee(origin)
                oracle, threshold = answering[origin.chain_id]
                signatures: dict[str, bytes] = {}
                for attester in self.attesters:
                    signature = attester.sign(oracle.address, order, record.record_hash, dest.intents, block)
                    if signature is None:
                        break
                    signatures[attester.address] = signature
                    if len(signatures) == threshold:
                        break
            except Exception as exc:  # noqa: BLE001 - the chain's problem: back off, retry later
                self._chain_failed(dest, report, exc)
                continue
            if len(signatures) < threshold:
                if not signatures:
                    log.warning("order %s: the destination no longer holds the record seen in block %s (reorg?); "
                                "waiting for a new one", row.order_id[:10], record.block)
                    self.store.drop_record(row.order_id)
                continue
            proof = oracle.proof(signatures, threshold)
            state = "proven" if record.kind == RECORD_FILLED else "unfilled-proven"
            self.store.update(row.order_id, state=state, proof=proof)
            report.proven += 1
            log.info("order %s: %s attested by %s of the committee", row.order_id[:10],
                     "fill" if record.kind == RECORD_FILLED else "non-fill", len(signatures))

    def _committee(self, chain: _Chain) -> tuple[AttesterOracle, int]:
        """The oracle whose committee answers for `chain`'s configured oracle now (itself, or
        the successor it was handed over to) and its threshold."""
        assert chain.oracle is not None
        oracle = chain.oracle.current()
        if oracle.address not in self._thresholds:
            members = set(oracle.members())
            threshold = oracle.threshold()
            ours = [a.address for a in self.attesters if a.address in members]
            if len(ours) < threshold:
                handed = "" if oracle is chain.oracle else f" (it answers for {chain.oracle.address})"
                raise CharterError(
                    f"the oracle {oracle.address}{handed} on chain {chain.chain_id} needs {threshold} signatures "
                    f"and only {len(ours)} of this relayer's attester keys are members; configure more keys"
                )
            self.attesters.sort(key=lambda a: a.address not in members)
            self._thresholds[oracle.address] = threshold
        return oracle, self._thresholds[oracle.address]

    # ------------------------------------------------------------ Hyperlane

    def _verify_messages(self, chain: _Chain, report: StepReport) -> None:
        self.messages.scan(chain.chain_id, int(chain.w3.eth.block_number) - chain.config.confirmations)

    def _deliver(self, chain: _Chain, report: StepReport) -> None:
        report.delivered += self.messages.deliver(chain.chain_id)

    def _report(self, dest: _Chain, report: StepReport) -> None:
        """Dispatch, through `dest`'s reporter, the confirmed records of Hyperlane orders destined
        for it; mark proven those whose origin oracle holds the record (whoever reported it)."""
        batches: dict[int, list[tuple[Any, Order]]] = {}
        if dest.reporter is None:
            return
        for row in self.store.orders("open", "unfilled-asked", "reported", ready=True):
            record = self.store.record(row.order_id)
            order = Order.from_origin_data(row.origin_data)
            if record is None or row.dest_chain != dest.chain_id or self._via(order) != "hyperlane":
                continue
            origin = self.chains[row.origin_chain]
            assert origin.hyperlane_oracle is not None
            proof = next((p for _, r, p in self.store.reports(row.order_id) if r == record.record_hash
                          and origin.hyperlane_oracle.is_proven(order, r, p)), None)
            if proof is not None:
                state = "proven" if record.kind == RECORD_FILLED else "unfilled-proven"
                self.store.update(row.order_id, state=state, proof=proof)
                report.proven += 1
                log.info("order %s: %s delivered over Hyperlane", row.order_id[:10],
                         "fill" if record.kind == RECORD_FILLED else "non-fill")
            elif row.state != "reported":
                batches.setdefault(row.origin_chain, []).append((row, order))
            elif not self._mined(dest, row.tx_hash):
                log.warning("order %s: the report (tx %s) is no longer on chain %s (reorg?); reporting again",
                            row.order_id[:10], row.tx_hash, dest.chain_id)
                self.store.update(row.order_id, state="open", tx_hash=None)
        for origin_chain, items in batches.items():
            domain = self.messages.lanes[origin_chain].domain
            for i in range(0, len(items), self.config.batch):
                chunk = items[i : i + self.config.batch]
                try:
                    tx = dest.reporter.report(domain, [o for _, o in chunk], self.sender)
                except ContractRevert as exc:
                    for row, _ in chunk:
                        self.store.failed(row.order_id, str(exc), self._backoff(row.attempts))
                    report.errors.append(str(exc))
                    log.warning("chain %s: reporting %s orders refused: %s", dest.chain_id, len(chunk), exc)
                    continue
                for row, _ in chunk:
                    self.store.update(row.order_id, state="reported", tx_hash=tx.tx_hash)
                report.reported += len(chunk)
                log.info("chain %s: reported %s orders to chain %s in message %s (tx %s, %s gas)", dest.chain_id,
                         len(chunk), origin_chain, (tx.note or "")[:10], tx.tx_hash, f"{tx.gas_used:,}")

    @staticmethod
    def _mined(chain: _Chain, tx_hash: str | None) -> bool:
        if not tx_hash:
            return False
        try:
            return chain.w3.eth.get_transaction_receipt(tx_hash) is not None  # type: ignore[arg-type]
        except TransactionNotFound:
            return False

    # ------------------------------------------------------------ sending

    def _ask_unfilled(self, chain: _Chain, report: StepReport) -> None:
        """Record unfilled orders whose destination is `chain` and whose fill deadline passed there."""
        if not self.config.record_unfilled:
            return
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        for row in self.store.orders("open", ready=True):
            if row.dest_chain != chain.chain_id or row.fill_deadline >= now or self.store.record(row.order_id):
                continue
            order = Order.from_origin_data(row.origin_data)
            if any(chain.intents.record_of(order.order_id)):
                continue  # filled or recorded: the scan will see it once confirmed
            try:
                tx = chain.intents.record_unfilled(order, self.sender)
            except ContractRevert as exc:
                self.store.failed(row.order_id, str(exc), self._backoff(row.attempts))
                continue
            self.store.update(row.order_id, state="unfilled-asked", tx_hash=tx.tx_hash)
            report.asked_unfilled += 1
            log.info("chain %s: recorded order %s as not filled (tx %s)", chain.chain_id, row.order_id[:10],
                     tx.tx_hash)

    def _submit(self, chain: _Chain, report: StepReport) -> None:
        """Settle and refund, on `chain` as the origin, whatever is proven (or timed out)."""
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        proven = self.store.orders("proven", origin_chain=chain.chain_id, ready=True)
        refunds = self.store.orders("unfilled-proven", origin_chain=chain.chain_id, ready=True)
        refunds += [r for r in self.store.orders("open", "unfilled-asked", "reported", origin_chain=chain.chain_id,
                                                 ready=True)
                    if r.refund_after < now]
        for rows, settle in ((proven, True), (refunds, False)):
            pending = [r for r in rows if self._still_open(chain, r, report)]
            for i in range(0, len(pending), self.config.batch):
                self._send_batch(chain, pending[i : i + self.config.batch], settle, report)

    def _still_open(self, chain: _Chain, row: Any, report: StepReport, ours: bool = False) -> bool:
        """Whether the origin still holds `row` open; if not, mark what it shows (done by us
        when `ours`, else by anyone)."""
        status = chain.intents.origin_status(bytes.fromhex(row.order_id[2:]))
        if status == OrderStatus.OPEN:
            return True
        done = "settled" if status == OrderStatus.SETTLED else "refunded"
        self.store.update(row.order_id, state=done, done_at=time.time())
        if not ours:
            log.info("order %s is already %s on chain %s", row.order_id[:10], done, chain.chain_id)
        return False

    def _send_batch(self, chain: _Chain, rows: list[Any], settle: bool, report: StepReport) -> None:
        """Settle (or refund) `rows` in one transaction. One order that cannot land never
        holds back the others (I6): the settler skips it and the receipt says why (it is
        retried after a backoff, the others are done); a batch refused as a whole (none of
        it could land) is sent again order by order in this round, so each gets its own
        answer."""
        orders = [Order.from_origin_data(r.origin_data) for r in rows]
        what = "settlement" if settle else "refund"
        try:
            if settle:
                items = []
                for row, order in zip(rows, orders, strict=True):
                    record = self.store.record(row.order_id)
                    assert record is not None and record.payout is not None
                    items.append((order, FillRecord(payout=record.payout, filler_agent_id=record.filler_agent_id),
                                  bytes(row.proof or b"")))
                tx = chain.intents.settle(items, self.sender)
            else:
                tx = chain.intents.refund([(o, bytes(r.proof or b"") if r.state == "unfilled-proven" else b"")
                                           for r, o in zip(rows, orders, strict=True)], self.sender)
        except ContractRevert as exc:
            if len(rows) > 1:
                log.info("chain %s: the %s of %s orders was refused as a whole (%s); sending each alone",
                         chain.chain_id, what, len(rows), exc)
                for row in rows:
                    self._send_batch(chain, [row], settle, report)
                return
            self.store.failed(rows[0].order_id, str(exc), self._backoff(rows[0].attempts))
            report.errors.append(str(exc))
            log.warning("chain %s: %s of order %s refused: %s", chain.chain_id, what, rows[0].order_id[:10], exc)
            return
        outcome = chain.intents.outcome(tx)
        for row in rows:
            skipped = outcome.skipped.get(bytes.fromhex(row.order_id[2:]))
            if skipped is not None and not skipped.closed:
                error = f"the settler skipped order {row.order_id[:10]} ({skipped.name}) in tx {tx.tx_hash}"
                self.store.failed(row.order_id, error, self._backoff(row.attempts))
                report.errors.append(error)
                log.warning("chain %s: %s; retrying it later", chain.chain_id, error)
            else:
                self._still_open(chain, row, report, ours=skipped is None)  # marks each as the chain shows it
            self.store.update(row.order_id, tx_hash=tx.tx_hash)
        for credit in outcome.credits:
            log.info("chain %s: %s refused a payment of %s (token %s): credited to it (Intents.withdraw)",
                     chain.chain_id, credit.account, f"{credit.amount:,}", credit.token)
        if settle:
            report.settled += len(outcome.landed)
        else:
            report.refunded += len(outcome.landed)
        log.info("chain %s: %s %s of %s orders in tx %s (%s gas)", chain.chain_id,
                 "settled" if settle else "refunded", len(outcome.landed), len(rows), tx.tx_hash, f"{tx.gas_used:,}")

    # ------------------------------------------------------------ failures

    def _guarded(self, chain: _Chain, report: StepReport, work: Callable[[_Chain, StepReport], None]) -> None:
        if time.monotonic() < chain.retry_at:
            return
        try:
            work(chain, report)
            chain.failures = 0
        except Exception as exc:  # noqa: BLE001 - one chain's failure must not stop the others
            self._chain_failed(chain, report, exc)

    def _chain_failed(self, chain: _Chain, report: StepReport, exc: Exception) -> None:
        chain.failures += 1
        delay = self._backoff(chain.failures - 1)
        chain.retry_at = time.monotonic() + delay
        report.errors.append(f"chain {chain.chain_id}: {exc}")
        log.warning("chain %s: %s; retrying in %.1f s", chain.chain_id, exc, delay)

    def _backoff(self, attempts: int) -> float:
        return float(min(MAX_BACKOFF, self.config.poll_interval * 2 ** min(attempts, 10)))


__all__ = ["Attester", "ChainConfig", "RelayConfig", "Relayer", "StepReport"]
