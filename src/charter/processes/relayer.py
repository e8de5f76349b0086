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
   origin in batches of up to ten, every batch of the round sent back to
   back (:class:`~charter.processes.sender.Pipeline`), and marked done only
   once the origin shows them settled or refunded at the confirmation
   depth (UNKNOWN, what a lagging backend shows, is never final); an order
   the settler skips (its receipt says why) is retried after a backoff
   while the rest of its batch is done, and a batch refused as a whole is
   sent again order by order (one bad order never holds back the others);
5. open orders past their fill deadline on the destination are recorded as
   unfilled there (``recordUnfilled``); orders past ``refundAfter`` on their
   origin are refunded without proof only when their destination (healthy,
   read past the fill deadline) holds no fill for them.

Orders that name a chain's HyperlaneOracle are proven over Hyperlane
instead of step 3: the relayer reports their confirmed records through the
destination's HyperlaneReporter (batched), verifies the dispatched message
against the destination's Merkle tree hook, signs its checkpoint with the
validator keys it holds and delivers it to the origin's Mailbox
(:mod:`charter.processes.hyperlane`); an order is proven once its origin oracle
holds the root of a message that reports its record (the proof is the
order's Merkle path in that message), whoever reported or delivered it.

Before any of that, each round carries kills (:mod:`charter.processes.propagate`,
M2): the confirmed home state of each agent it keeps represented is
delivered to every chain whose mirror lacks it (attested by its attester
keys, or reported over Hyperlane), and revocations accounts signed once for
every chain are applied on each chain it watches.

After the intent work, each round does the trust work of issue 21
(:mod:`charter.processes.receipts`, :mod:`charter.processes.validate`): the
receipt of each order the origin shows settled at the confirmation depth is
recorded in that chain's receipt-backed reputation registry (once; skipped
when someone recorded it), and validation requests naming one of its
attesters about a fill (``charter:fill:…``) are answered from that
attester's key once the order is final on its origin.

Everything it learns is in SQLite (:class:`~charter.processes.store.Store`),
written with the scan cursor in one transaction, so a restart between a
fill and its settlement neither loses nor repeats anything. Each chain is
a :class:`~charter.processes.chain.Link`: its RPC requests are bounded, a
failing RPC holds back only its chain (with exponential backoff), and a
chain reset or a reorg deeper than the confirmations halts that chain
until the operator resyncs it (docs/intents.md, "What each process does on
each fault").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import TransactionNotFound

from .._core.deployments import create2_address
from .._core.revert import RevertContext
from .._core.signers import LocalSigner
from ..exceptions import CharterError, ContractRevert
from ..hyperlane.settlement import HyperlaneOracle, HyperlaneReporter
from ..intents.client import Intents
from ..intents.models import MAX_SETTLE, RECORD_FILLED, RECORD_UNFILLED, UNFILLED_RECORD, Order, OrderStatus
from ..intents.oracle import AttesterOracle, attest, fill_attestation
from .chain import MAX_BACKOFF, ChainHalted, Link, chain_failed, guarded
from .chain import connect as connect_rpc
from .hyperlane import HyperlaneConfig, Lane, MessageRelay
from .loop import RoundLoop
from .preflight import check_relay_chain
from .propagate import AgentRoute, Propagation
from .receipts import Receipts
from .sender import Pipeline
from .store import Record, Store
from .validate import Validations

log = logging.getLogger("charter.relay")

SCAN_SPAN = 2_000
"""Blocks read per ``eth_getLogs`` request."""


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
    agents_oracle: str | None = None
    """(Relayer) The AttesterOracle that mirrors agents of other chains here (the committee's inbox):
    agents' states attested by the relayer's attester keys are delivered to it (:mod:`.propagate`)."""
    session_manager: str | None = None
    """(Relayer) The SessionManager whose signed revocations are carried (default: the suite's CREATE2 address)."""
    registry: str | None = None
    """(Relayer) The AgentRegistry agents are read from and mirrored in (default: the suite's CREATE2 address)."""
    backed_reputation: str | bool | None = None
    """(Relayer) The receipt-backed ReputationRegistry settled orders' receipts are recorded in: an address,
    False (none), or None / True (the suite's BackedReputationRegistry when deployed here)."""
    validation_registry: str | bool | None = None
    """(Relayer) The ValidationRegistry whose fill requests to the attesters are answered: an address,
    False (none), or None / True (the suite's ValidationRegistry when deployed here)."""


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
    agents: list[AgentRoute] = field(default_factory=list)
    """Agents whose home state is kept represented on other chains (:mod:`.propagate`)."""
    discover_agents: bool = False
    """Also keep up to date every agent a chain shows represented by one of the configured inboxes."""
    forward_revocations: bool = False
    """Carry the revocations accounts signed once for every chain (``revokeAllSigned``,
    ``revokeGrantsSigned``) from the chain where they were applied to every other chain."""
    record_receipts: bool = True
    """Record each settled order's receipt in its origin's receipt-backed registry (:mod:`.receipts`)."""
    answer_validations: bool = True
    """Answer fill requests naming one of the attesters in each chain's ValidationRegistry, from
    that attester's key (:mod:`.validate`; only with attester keys)."""


@dataclass
class _Chain:
    config: ChainConfig
    link: Link
    intents: Intents
    oracle: AttesterOracle | None
    reporter: HyperlaneReporter | None = None
    hyperlane_oracle: HyperlaneOracle | None = None

    @property
    def chain_id(self) -> int:
        return self.config.chain_id

    @property
    def w3(self) -> Web3:
        return self.link.w3


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
    agents_delivered: int = 0
    """Agents' states delivered by the committee (one per agent and chain)."""
    agents_reported: int = 0
    """Agents' states reported over Hyperlane (one per agent and chain)."""
    revocations_seen: int = 0
    """Signed revocations read for the first time."""
    revocations_forwarded: int = 0
    """Signed revocations applied on another chain by this relayer."""
    receipts_recorded: int = 0
    """Settled orders' receipts recorded by this relayer (mined)."""
    validations_seen: int = 0
    """Validation requests to the attesters read for the first time."""
    validations_answered: int = 0
    """Validation requests answered by the attesters (mined)."""
    errors: list[str] = field(default_factory=list)
    failed_chains: list[int] = field(default_factory=list)
    """Chains that could not be read or written this round (unreachable, behind, halted)."""

    @property
    def busy(self) -> bool:
        return bool(self.opened or self.records or self.proven or self.settled or self.refunded or self.asked_unfilled
                    or self.reported or self.delivered or self.agents_delivered or self.agents_reported
                    or self.revocations_seen or self.revocations_forwarded or self.receipts_recorded
                    or self.validations_seen or self.validations_answered)


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

    def __init__(self, config: RelayConfig, *, connect: Callable[[ChainConfig], Web3] | None = None) -> None:
        if config.oracles and not config.attester_keys:
            raise CharterError("the relayer needs attester keys for the committee oracles it is configured with")
        hyperlane = [c for c in config.chains if c.hyperlane is not None]
        if any(c.hyperlane.oracle for c in hyperlane if c.hyperlane) and not config.validator_keys:
            raise CharterError("the relayer needs Hyperlane validator keys to settle over Hyperlane")
        if any(c.hyperlane.agents for c in hyperlane if c.hyperlane) and not config.validator_keys:
            raise CharterError("the relayer needs Hyperlane validator keys to carry agents' states over Hyperlane")
        if any(c.agents_oracle for c in config.chains) and not config.attester_keys:
            raise CharterError("the relayer needs attester keys (members of the `agents_oracle` committees) to "
                               "deliver agents' states")
        kills = config.agents or config.discover_agents or config.forward_revocations
        if not config.oracles and not hyperlane and not kills:
            raise CharterError("nothing to relay: configure a committee oracle or a chain's Hyperlane contracts, "
                               "agents to keep represented, or forward_revocations")
        if not 1 <= config.batch <= MAX_SETTLE:
            raise CharterError(f"the batch size is 1 to {MAX_SETTLE}, got {config.batch}")
        if config.poll_interval <= 0:
            raise CharterError(f"poll_interval must be above 0 seconds, got {config.poll_interval}")
        self.config = config
        self._wait = min(30.0, max(5.0, config.poll_interval * 10))
        """Seconds a round waits for its own transactions' receipts (the rest is checked next round)."""
        self.store = Store(config.db)
        self.attesters = [Attester(k) for k in config.attester_keys]
        self.sender = LocalSigner.from_key(config.sender_key)
        make = connect or (lambda chain: connect_rpc(chain.rpc, chain.rpc_timeout))
        self.chains: dict[int, _Chain] = {}
        for chain in config.chains:
            w3 = make(chain)
            settler = chain.settler or create2_address("IntentSettler")
            oracle = config.oracles.get(chain.chain_id)
            hl = chain.hyperlane
            link = Link(chain.chain_id, chain.rpc, w3, self.store, chain.confirmations, config.poll_interval)
            self.chains[chain.chain_id] = _Chain(
                chain, link, Intents(w3, settler, self.sender, chain_id=chain.chain_id, timeout=self._wait),
                AttesterOracle(w3, oracle, chain_id=chain.chain_id) if oracle else None,
                HyperlaneReporter(w3, hl.reporter, chain_id=chain.chain_id) if hl and hl.reporter else None,
                HyperlaneOracle(w3, hl.oracle, chain_id=chain.chain_id) if hl and hl.oracle else None,
            )
        self._thresholds: dict[str, int] = {}  # by answering oracle
        self._committees: dict[int, tuple[AttesterOracle, int, float]] = {}  # per origin: (oracle, threshold, read at)
        self._checked: set[int] = set()  # chains whose configuration was checked against the chain
        self._warned: set[tuple[str, str]] = set()
        validators = [Account.from_key(k) for k in config.validator_keys]
        self.messages = MessageRelay(self.store, self.sender, validators, {}, self._backoff)
        self.propagation = Propagation.configure(self)
        """Agents' states and signed revocations, carried first in every round (None: nothing to carry)."""
        self.receipts = Receipts.configure(self)
        """Settled orders' receipts, recorded in the backed registries (None: not recorded)."""
        self.validations = Validations.configure(self)
        """Fill requests to the attesters, answered (None: not answered)."""
        super().__init__(config.poll_interval)

    # ------------------------------------------------------------ running

    def lanes(self) -> list[int]:
        return list(self.chains)

    def _starting(self) -> None:
        log.info("relaying on chains %s; state in %s", ", ".join(map(str, self.chains)), self.store.path)

    def _stopped(self) -> None:
        log.info("relayer stopped; %s", self.progress())

    def progress(self) -> str:
        counts = self.store.counts()
        text = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no orders yet"
        for part in (self.propagation, self.receipts, self.validations):
            if part is not None:
                text += f"; {part.progress()}"
        troubled = [f"chain {c.chain_id} {c.link.state}" for c in self.chains.values() if c.link.state != "ok"]
        return text + (f" ({', '.join(troubled)})" if troubled else "")

    def close(self) -> None:
        if not any(w.is_alive() for w in self.workers):
            self.store.close()

    def _phases(self) -> tuple[Callable[[_Chain, StepReport], None], ...]:
        phases: tuple[Callable[[_Chain, StepReport], None], ...] = (self._phase_read, self._phase_prove,
                                                                     self._phase_send)
        if self.receipts is not None or self.validations is not None:
            phases = (*phases, self._phase_trust)
        return phases if self.propagation is None else (self._phase_kill, *phases)

    name = "relayer"

    def _check_chain(self, chain_id: int) -> list[str]:
        return self._preflight(self.chains[chain_id])

    def _unreachable(self, chain_id: int, exc: Exception) -> float:
        return self.chains[chain_id].link.failed(exc)

    def _preflight(self, chain: _Chain) -> list[str]:
        if chain.chain_id in self._checked:
            return []
        index = list(self.chains).index(chain.chain_id)
        problems = check_relay_chain(chain.w3, chain.config, self.config, f"chains[{index}]")
        if not problems:
            chain.link.verify()
            hl = chain.config.hyperlane
            if hl is not None and chain.chain_id not in self.messages.lanes:
                self.messages.add_lane(Lane.connect(chain.chain_id, chain.w3, hl, chain.config.start_block))
            for trust in (self.receipts, self.validations):
                if trust is not None:
                    trust.attach(chain)
            self._checked.add(chain.chain_id)
        return problems

    def step(self) -> StepReport:
        """One round of every chain, phase by phase (kills first: agents' states and signed
        revocations; then scan all, prove, send)."""
        report = StepReport()
        for phase in self._phases():
            for chain in self.chains.values():
                self._guarded(chain, report, phase)
        if report.busy:
            log.info("round: %s", self.progress())
        return report

    def round(self, chain_id: int) -> StepReport:
        """One round of one chain's work (its worker thread in :meth:`run`)."""
        report = StepReport()
        chain = self.chains[chain_id]
        for phase in self._phases():
            self._guarded(chain, report, phase)
        if report.busy:
            log.info("chain %s round: %s", chain_id, self.progress())
        return report

    def _usable(self, chain: _Chain) -> None:
        """Check `chain` against the configuration (once) and its identity (now and then); raises if unusable."""
        if chain.chain_id not in self._checked:
            problems = self._preflight(chain)
            if problems:
                raise chain.link.halt("its configuration does not match the chain: " + "; ".join(problems))
        chain.link.verify(every=self.config.poll_interval * 5)

    def _phase_kill(self, chain: _Chain, report: StepReport) -> None:
        """Kills before anything else: agents' states and signed revocations (:mod:`.propagate`)."""
        assert self.propagation is not None
        self._usable(chain)
        self.propagation.round(chain, report)

    def _phase_read(self, chain: _Chain, report: StepReport) -> None:
        self._usable(chain)
        self._scan(chain, report)

    def _phase_prove(self, chain: _Chain, report: StepReport) -> None:
        self._prove(chain, report)
        if chain.chain_id in self.messages.lanes:
            self._verify_messages(chain, report)
            self._report(chain, report)

    def _phase_send(self, chain: _Chain, report: StepReport) -> None:
        if chain.chain_id in self.messages.lanes:
            self._deliver(chain, report)
        self._ask_unfilled(chain, report)
        self._submit(chain, report)

    def _phase_trust(self, chain: _Chain, report: StepReport) -> None:
        """After the intent work: receipts of orders settled here, answers to fill requests here."""
        if self.receipts is not None:
            self.receipts.round(chain, report)
        if self.validations is not None:
            self.validations.round(chain, report)

    # ------------------------------------------------------------ scanning

    def _scan(self, chain: _Chain, report: StepReport) -> None:
        name = f"relay:{chain.chain_id}"
        while (span := chain.link.scan_range(name, chain.config.start_block, SCAN_SPAN)) is not None:
            start, end = span
            end_hash = chain.link.block_hash(end)
            opened = chain.intents.opened(start, end)
            fills = chain.intents.fills(start, end)
            unfilled = chain.intents.unfilled(start, end)
            chain.link.unchanged(end, end_hash)
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
                Store.set_cursor(db, name, end + 1, end_hash)

    def _relays(self, order: Order) -> bool:
        origin = self.chains.get(order.origin_chain_id)
        dest = self.chains.get(order.data.destination_chain_id)
        return (
            not order.is_local
            and origin is not None
            and dest is not None
            and order.data.destination_settler == dest.intents.address
            and self._via(order) is not None
            and self._worth(origin, order)
        )

    def _worth(self, origin: _Chain, order: Order) -> bool:
        """Whether `order` clears the origin's `min_inputs` (always, when it sets none)."""
        minimums = origin.config.min_inputs
        if minimums is None:
            return True
        worth = any(item.amount >= minimums.get(item.token, 2**256) for item in order.data.inputs)
        if not worth:
            log.info("chain %s: order %s ignored: no input reaches `min_inputs`", origin.chain_id,
                     order.order_id_hex[:10])
        return worth

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

    def _prove(self, dest: _Chain, report: StepReport) -> None:
        """Attest the confirmed records read on `dest` of orders proven by the committee."""
        block: int | None = None
        for row in self.store.orders("open", "unfilled-asked"):
            if row.dest_chain != dest.chain_id:
                continue
            record = self.store.record(row.order_id)
            origin = self.chains.get(row.origin_chain)
            if record is None or origin is None:
                continue
            order = Order.from_origin_data(row.origin_data)
            if self._via(order) != "committee" or not origin.link.ready:
                continue
            try:
                oracle, threshold = self._committee(origin)
            except Exception as exc:  # noqa: BLE001 - the origin's problem, not this chain's
                self._chain_failed(origin, report, exc)
                continue
            if block is None:
                block = dest.link.safe_block()
            signatures: dict[str, bytes] = {}
            for attester in self.attesters:
                signature = attester.sign(oracle.address, order, record.record_hash, dest.intents, block)
                if signature is None:
                    break
                signatures[attester.address] = signature
                if len(signatures) == threshold:
                    break
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
        the successor it was handed over to) and its threshold (read again every minute)."""
        assert chain.oracle is not None
        cached = self._committees.get(chain.chain_id)
        if cached is not None and time.monotonic() - cached[2] < 60:
            return cached[0], cached[1]
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
        self._committees[chain.chain_id] = (oracle, self._thresholds[oracle.address], time.monotonic())
        return oracle, self._thresholds[oracle.address]

    # ------------------------------------------------------------ Hyperlane

    def _verify_messages(self, chain: _Chain, report: StepReport) -> None:
        self.messages.scan(chain.chain_id, chain.link.safe_block())

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
            if not origin.link.ready or row.origin_chain not in self.messages.lanes:
                continue
            assert origin.hyperlane_oracle is not None
            try:
                proof = next((p for _, r, p in self.store.reports(row.order_id) if r == record.record_hash
                              and origin.hyperlane_oracle.is_proven(order, r, p)), None)
            except Exception as exc:  # noqa: BLE001 - the origin's problem, not this chain's
                self._chain_failed(origin, report, exc)
                continue
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
            if row.tx_hash is not None:
                continue  # refunded (or settled) on its origin, waiting for the confirmations
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
        """Settle and refund, on `chain` as the origin, whatever is proven (or timed out and
        shown unfilled by its destination)."""
        now = int(chain.w3.eth.get_block("latest")["timestamp"])
        proven = self.store.orders("proven", "settling", origin_chain=chain.chain_id, ready=True)
        # a refund sent (refunding) is sent again, should a reorg drop it, on the same grounds: its
        # proof of non-fill (even an empty one: a one-order Hyperlane report), or the expiry
        refunds = [r for r in self.store.orders("unfilled-proven", "refunding", origin_chain=chain.chain_id,
                                                ready=True) if r.proof is not None]
        expired = [r for r in self.store.orders("open", "unfilled-asked", "reported", "refunding",
                                                origin_chain=chain.chain_id, ready=True, refundable_at=now)
                   if r.proof is None]
        refunds += [r for r in expired if self._unfilled_at_destination(r, report)]
        safe: list[int] = []
        settle = [r for r in proven if self._open_on_origin(chain, r, safe)]
        refund = [r for r in refunds if self._open_on_origin(chain, r, safe)]
        batches = [(settle[i : i + self.config.batch], True) for i in range(0, len(settle), self.config.batch)]
        batches += [(refund[i : i + self.config.batch], False) for i in range(0, len(refund), self.config.batch)]
        if batches:
            self._send_batches(chain, batches, report)

    def _open_on_origin(self, chain: _Chain, row: Any, safe: list[int]) -> bool:
        """Whether `row` is still open on its origin, so that settling or refunding it may land.

        Only a final state (settled, refunded) read at a block `confirmations` deep is taken as
        final and written down; a final state not that deep yet is waited for (it may be ours,
        just mined); UNKNOWN is never final: the RPC does not show the order that was seen
        opened (a lagging backend, or a reorg) and it is read again later."""
        order_id = bytes.fromhex(row.order_id[2:])
        status = chain.intents.origin_status(order_id)
        if status == OrderStatus.OPEN:
            return True
        if status == OrderStatus.UNKNOWN:
            self._warn_once(row.order_id, "unknown",
                            f"order {row.order_id[:10]}: chain {chain.chain_id}'s RPC does not show it open (a lagging "
                            "backend, or a reorg?); not acting on it until it does")
            self.store.failed(row.order_id, "not shown by the origin's RPC", self._backoff(row.attempts))
            return False
        if not safe:
            safe.append(chain.link.safe_block())
        if chain.intents.origin_status(order_id, block=safe[0]) == status:
            done = "settled" if status == OrderStatus.SETTLED else "refunded"
            self.store.finish_order(row.order_id, done, self.receipts is not None
                                    and self.receipts.records(chain.chain_id))
            log.info("order %s is %s on chain %s (%s)", row.order_id[:10], done, chain.chain_id,
                     f"tx {row.tx_hash}" if row.tx_hash else "by someone else")
        return False

    def _unfilled_at_destination(self, row: Any, report: StepReport) -> bool:
        """Whether an order past `refundAfter` may be refunded without proof: its destination,
        healthy and read at a block past the fill deadline, holds no fill for it. An order with
        a fill is settled, never refunded, whatever the time (the settler allows it)."""
        record = self.store.record(row.order_id)
        if record is not None and record.kind == RECORD_FILLED:
            self._warn_once(row.order_id, "late", f"order {row.order_id[:10]} is past refundAfter but was filled on "
                            f"chain {row.dest_chain}: settling it, not refunding")
            return False
        dest = self.chains.get(row.dest_chain)
        if dest is None or not dest.link.ready or dest.link.behind:
            return False
        try:
            dest.link.verify()  # now, not on its worker's schedule: a reset chain shows no fills at all
            block = dest.w3.eth.get_block("latest")
            if int(block["timestamp"]) <= row.fill_deadline:
                return False  # its RPC does not show the fill deadline passed yet
            held = dest.intents.record_of(bytes.fromhex(row.order_id[2:]), block=int(block["number"]))
        except ChainHalted:
            return False
        except Exception as exc:  # noqa: BLE001 - the destination's problem
            self._chain_failed(dest, report, exc)
            return False
        return held in (b"\0" * 32, UNFILLED_RECORD)

    def _send_batches(self, chain: _Chain, batches: list[tuple[list[Any], bool]], report: StepReport) -> None:
        """Settle (or refund) each batch in a transaction of its own, all sent back to back
        (consecutive nonces) and then awaited together. One order that cannot land never
        holds back the others (I6): the settler skips it and the receipt says why (it is
        retried after a backoff, the others are done); a batch refused as a whole (none of
        it could land) is sent again order by order, so each gets its own answer."""
        pipeline = Pipeline(chain.w3, self.sender, chain.chain_id)
        sent: list[tuple[list[Any], bool, str]] = []
        queue = list(batches)
        while queue:
            rows, settle = queue.pop(0)
            what = "settlement" if settle else "refund"
            try:
                prepared = pipeline.prepare(chain.intents.address, self._batch_data(chain, rows, settle),
                                            RevertContext(action="settle" if settle else "refund",
                                                          chain_id=chain.chain_id, order_id=rows[0].order_id))
            except ContractRevert as exc:
                if len(rows) > 1:
                    log.info("chain %s: the %s of %s orders was refused as a whole (%s); sending each alone",
                             chain.chain_id, what, len(rows), exc)
                    queue[:0] = [([row], settle) for row in rows]
                    continue
                self.store.failed(rows[0].order_id, str(exc), self._backoff(rows[0].attempts))
                report.errors.append(str(exc))
                log.warning("chain %s: %s of order %s refused: %s", chain.chain_id, what, rows[0].order_id[:10], exc)
                continue
            for row in rows:
                self.store.update(row.order_id, tx_hash=prepared.tx_hash)
            pipeline.send(prepared)
            sent.append((rows, settle, prepared.tx_hash))
        receipts = pipeline.wait([h for _, _, h in sent], timeout=self._wait, stop=self.stopping)
        for rows, settle, tx_hash in sent:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                log.warning("chain %s: tx %s not mined yet; its orders are checked again next round", chain.chain_id,
                            tx_hash)
                continue
            self._settled(chain, rows, settle, receipt, report)

    def _batch_data(self, chain: _Chain, rows: list[Any], settle: bool) -> bytes:
        orders = [Order.from_origin_data(r.origin_data) for r in rows]
        if settle:
            items = []
            for row, order in zip(rows, orders, strict=True):
                record = self.store.record(row.order_id)
                assert record is not None and record.payout is not None
                items.append((order.as_tuple(), record.payout, record.filler_agent_id, bytes(row.proof or b"")))
            return bytes(HexBytes(chain.intents.contract.encode_abi("settle", [items])))
        refunds = [(o.as_tuple(), bytes(r.proof or b"")) for r, o in zip(rows, orders, strict=True)]
        return bytes(HexBytes(chain.intents.contract.encode_abi("refund", [refunds])))

    def _settled(self, chain: _Chain, rows: list[Any], settle: bool, receipt: Any, report: StepReport) -> None:
        """Account for a mined settle (or refund) transaction: the orders stay as they are
        until the origin shows them done at the confirmation depth (:meth:`_open_on_origin`)."""
        tx_hash = receipt["transactionHash"].to_0x_hex()
        if receipt["status"] != 1:
            for row in rows:
                self.store.failed(row.order_id, f"tx {tx_hash} reverted", self._backoff(row.attempts))
            report.errors.append(f"chain {chain.chain_id}: tx {tx_hash} reverted")
            log.warning("chain %s: tx %s reverted (the state changed since it was simulated); retrying its %s "
                        "orders", chain.chain_id, tx_hash, len(rows))
            return
        outcome = chain.intents.outcome(tx_hash)
        for row in rows:
            skipped = outcome.skipped.get(bytes.fromhex(row.order_id[2:]))
            if skipped is not None and not skipped.closed:
                error = f"the settler skipped order {row.order_id[:10]} ({skipped.name}) in tx {tx_hash}"
                self.store.failed(row.order_id, error, self._backoff(row.attempts))
                report.errors.append(error)
                log.warning("chain %s: %s; retrying it later", chain.chain_id, error)
            elif skipped is not None:
                self.store.update(row.order_id, tx_hash=None)  # closed by someone else: marked when confirmed
            else:
                self.store.update(row.order_id, state="settling" if settle else "refunding")
        for credit in outcome.credits:
            log.info("chain %s: %s refused a payment of %s (token %s): credited to it (Intents.withdraw)",
                     chain.chain_id, credit.account, f"{credit.amount:,}", credit.token)
        if settle:
            report.settled += len(outcome.landed)
        else:
            report.refunded += len(outcome.landed)
        log.info("chain %s: %s %s of %s orders in tx %s (%s gas)", chain.chain_id,
                 "settled" if settle else "refunded", len(outcome.landed), len(rows), tx_hash,
                 f"{int(receipt['gasUsed']):,}")

    # ------------------------------------------------------------ failures

    def _guarded(self, chain: _Chain, report: StepReport, work: Callable[[_Chain, StepReport], None]) -> None:
        guarded(chain.link, report, lambda: work(chain, report))

    def _chain_failed(self, chain: _Chain, report: StepReport, exc: Exception) -> None:
        chain_failed(chain.link, report, exc)

    def _warn_once(self, subject: str, kind: str, message: str) -> None:
        if not self._warned_before(subject, kind):
            log.warning("%s", message)

    def _warned_before(self, subject: str, kind: str) -> bool:
        """Whether (subject, kind) was already reported (it is now)."""
        if (subject, kind) in self._warned:
            return True
        self._warned.add((subject, kind))
        return False

    def _backoff(self, attempts: int) -> float:
        return float(min(MAX_BACKOFF, self.config.poll_interval * 2 ** min(attempts, 10)))


__all__ = ["Attester", "ChainConfig", "RelayConfig", "Relayer", "StepReport"]
