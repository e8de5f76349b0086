"""The relayer's kill carrier: agents' states and signed revocations, from where they change to every chain (M2).

An agent lives in the registry of its *home* chain; other chains mirror it
(:mod:`charter.registry.represent`). A pause, a retirement or a transfer at
home must reach every chain that mirrors the agent, and a revocation an
account signed once for every chain must be applied on each. The relayer
does both, **first in every round** (before any intent work), for each chain
it watches:

**Agents' states: reconciled, not replayed.** For each tracked agent and
each chain that mirrors it, the relayer reads the home registry's
:class:`~charter.registry.represent.AgentState` at the home chain's
confirmed block (head - ``confirmations``: never a state an unconfirmed
block shows, P1) and the destination's
:class:`~charter.registry.represent.MirrorState` at the destination's
confirmed block. If the home state is newer
(:meth:`~charter.registry.represent.AgentState.newer_than`: a higher
sequence, or a kill winning a tie), it is carried:

- ``committee``: the relayer's attester keys (the committee members' keys
  it holds for intents) attest the state in the domain of the answering
  AttesterOracle on the destination, and ``represent(state, proof)`` is
  sent there;
- ``hyperlane``: ``report(agentId, chainIds)`` on the home chain's
  HyperlaneAgents (once per state and destination: remembered in SQLite,
  so a restart does not pay twice), then the relayer's Hyperlane half
  (:class:`~charter.processes.hyperlane.MessageRelay`) verifies the
  dispatch once confirmed, signs its checkpoint with the validator keys and
  delivers it to the destination's Mailbox, agents' states before anything
  else.

A state is done once the destination shows it (or a newer one) at its own
confirmed block; while its transaction is pending or not yet deep enough,
nothing is sent again; a transaction that vanished (a reorg within the
confirmations) is sent again. Because each round compares states, a relayer
killed between a pause and its delivery delivers it once after a restart,
and a state that a reorg removed before it was confirmed is never carried.
A home chain reset or reorged deeper than its confirmations halts (P2:
:class:`~charter.processes.chain.Link`); an unreachable destination holds
back only itself (P3).

Which agents: those listed in the configuration (``[[agents]]``), and,
with ``discover_agents``, every agent some chain's registry shows
represented (``Represented`` events at the confirmation depth) by one of the
configured inboxes (the chain's ``agents_oracle``, or its HyperlaneAgents),
whose home chain the relayer watches.

**Signed revocations.** With ``forward_revocations``, the relayer reads each
chain's SessionManager ``RevokeAllSigned`` / ``RevokeGrantsSigned`` events at
the confirmation depth (written with the scan cursor in one transaction) and
sends the same ``revokeAllSigned(account, nonce, signature)`` /
``revokeGrantsSigned(account, grants, signature)`` on every other chain it
watches (:mod:`charter.sessions.revocations` signs them). It is done on a chain once that chain shows it applied at the
confirmation depth (the nonce's marker is set, or every listed grant is
revoked): a replay there would change nothing, so an echo (the event the
delivery logs, read back) ends at once. A chain that refuses it for good (its
SessionManager is another contract, so the signature is not for it) is
logged once and does not hold back the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import TransactionNotFound
from web3.types import BlockIdentifier

from .._core.artifacts import abi
from .._core.checks import check_address
from .._core.deployments import create2_address
from .._core.revert import RevertContext, translate
from ..exceptions import CharterError, ContractRevert, InvalidInput, UnknownAgent
from ..intents.oracle import AttesterOracle
from ..registry.client import Registry
from ..registry.models import AgentStatus
from ..registry.represent import AgentState, MirrorState, attest_agent_state, represented_id
from ..sessions.revocations import revocation_digest
from .chain import ChainHalted
from .sender import Pipeline
from .store import Revocation, RevocationTarget, Store

if TYPE_CHECKING:
    from .relayer import ChainConfig, Relayer, StepReport, _Chain

log = logging.getLogger("charter.relay")

VIAS = ("committee", "hyperlane")
"""How an agent's state travels: attested by the committee (an AttesterOracle on the destination), or over
Hyperlane (the HyperlaneAgents contract, the same address on every chain)."""
SCAN_SPAN = 2_000
COMMITTEE_TTL = 60.0
"""Seconds the answering committee of a destination's AttesterOracle is cached."""

_REVOKED = 2
"""A grant word's state byte once revoked."""


@dataclass(frozen=True)
class AgentRoute:
    """An agent to keep represented: ``[[agents]]`` of the relayer's file."""

    home_chain: int
    agent_id: int
    to: tuple[int, ...] = ()
    """The chains that mirror it; empty: every other configured chain with an inbox for each of `via`."""
    via: tuple[str, ...] = ("committee",)
    """``committee`` (the chains' ``agents_oracle``) and/or ``hyperlane`` (their HyperlaneAgents)."""


@dataclass(frozen=True)
class _Route:
    """One agent, one destination, one way."""

    home_chain: int
    agent_id: int
    dest_chain: int
    via: str


# ---------------------------------------------------------------- signed revocations


def revocation_id(kind: str, account: str, nonce: int | None, grants: Iterable[bytes] | None) -> bytes:
    """What identifies a signed revocation on every chain (its content, not where it was seen)."""
    if kind == "all":
        body = abi_encode(["address", "uint256"], [check_address(account, "account"), int(nonce or 0)])
    else:
        body = abi_encode(["address", "bytes32[]"], [check_address(account, "account"), list(grants or ())])
    return bytes(keccak(kind.encode() + b"\x00" + body))


# ---------------------------------------------------------------- the carrier


class Propagation:
    """The relayer's kill work (see the module): one :meth:`round` per chain, before its intent work."""

    def __init__(self, relayer: Relayer, routes: list[_Route]) -> None:
        self.relayer = relayer
        self.config = relayer.config
        self.store: Store = relayer.store
        self.routes = routes
        """The configured routes (discovered ones are in the store)."""
        self._registries: dict[int, Registry] = {}
        self._managers: dict[int, Contract] = {}
        self._committees: dict[int, tuple[str, int, set[str], float]] = {}
        self._retry: dict[tuple[Any, ...], float] = {}  # a refused or reverted delivery, held back until
        self._done: dict[_Route, tuple[int, int]] = {}  # the state each route's mirror shows confirmed
        self._homes: dict[tuple[int, int], tuple[int, AgentState | None]] = {}  # (home, agent): (block, state)
        self._lock = threading.Lock()
        if self.config.forward_revocations:
            self.store.add_revocation_targets(list(relayer.chains))

    @classmethod
    def configure(cls, relayer: Relayer) -> Propagation | None:
        """The carrier of `relayer`'s configuration, or None when it carries nothing."""
        config = relayer.config
        routes = expand_routes(config.agents, {c: chain.config for c, chain in relayer.chains.items()})
        if not (routes or config.discover_agents or config.forward_revocations):
            return None
        return cls(relayer, routes)

    # ------------------------------------------------------------ the round

    def round(self, chain: _Chain, report: StepReport) -> None:
        """Everything kill-related `chain` does this round (raises what its own RPC raises)."""
        self._scan(chain, report)
        if self.config.forward_revocations:
            self._forward(chain, report)
        self._deliver(chain, report)
        self._report(chain, report)
        lane = self.relayer.messages.lanes.get(chain.chain_id)
        if lane is not None and lane.config.agents:
            self.relayer.messages.scan(chain.chain_id, chain.link.safe_block())
            report.delivered += self.relayer.messages.deliver(chain.chain_id, agents_only=True)

    def progress(self) -> str:
        """What the kills stand at, in a few words (the relayer's summary)."""
        text = f"{len({(r.home_chain, r.agent_id) for r in self.all_routes()})} agent(s) kept represented"
        if self.config.forward_revocations:
            counts = self.store.revocation_counts()
            text += ", revocations: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet")
        return text

    def all_routes(self) -> list[_Route]:
        """The configured routes and the discovered ones (whose home chain is watched)."""
        routes = list(self.routes)
        known = set(routes)
        for home, agent_id, dest, via in self.store.agents():
            route = _Route(home, agent_id, dest, via)
            if route not in known and home in self.relayer.chains and home != dest:
                routes.append(route)
                known.add(route)
        return routes

    # ------------------------------------------------------------ scanning

    def _scan(self, chain: _Chain, report: StepReport) -> None:
        """Read `chain`'s signed revocations and represented agents at the confirmation depth."""
        discover = self.config.discover_agents and self._inboxes(chain)
        if not (self.config.forward_revocations or discover):
            return
        name = f"kills:{chain.chain_id}"
        others = [c for c in self.relayer.chains if c != chain.chain_id]
        while (span := chain.link.scan_range(name, chain.config.start_block, SCAN_SPAN)) is not None:
            start, end = span
            end_hash = chain.link.block_hash(end)
            revocations = self._revocations(chain, start, end) if self.config.forward_revocations else []
            found = self._represented(chain, start, end) if discover else []
            chain.link.unchanged(end, end_hash)
            with self.store.transaction() as db:
                for revocation in revocations:
                    if Store.add_revocation(db, revocation, others):
                        report.revocations_seen += 1
                        log.info("chain %s: %s signed by %s (block %s); carrying it to chains %s", chain.chain_id,
                                 _describe(revocation), revocation.account, revocation.block,
                                 ", ".join(map(str, others)) or "(none)")
                for home, agent_id, via, block in found:
                    if Store.add_agent(db, home, agent_id, chain.chain_id, via, block):
                        log.info("chain %s: agent %s of chain %s is represented here (%s); keeping it up to date",
                                 chain.chain_id, agent_id, home, via)
                Store.set_cursor(db, name, end + 1, end_hash)

    def _revocations(self, chain: _Chain, start: int, end: int) -> list[Revocation]:
        manager = self._manager(chain)
        found: list[Revocation] = []
        with translate(chain.w3):
            events = [*manager.events.RevokeAllSigned().get_logs(from_block=start, to_block=end),
                      *manager.events.RevokeGrantsSigned().get_logs(from_block=start, to_block=end)]
        for event in sorted(events, key=lambda e: (e.blockNumber, e.logIndex)):
            account = Web3.to_checksum_address(event.args.account)
            if event.event == "RevokeAllSigned":
                nonce, grants = int(event.args.nonce), None
                kind = "all"
            else:
                nonce, grants = None, tuple(bytes(g) for g in event.args.grants)
                kind = "grants"
            found.append(Revocation(revocation_id(kind, account, nonce, grants), kind, account, nonce, grants,
                                    bytes(event.args.signature), chain.chain_id, int(event.blockNumber)))
        return found

    def _represented(self, chain: _Chain, start: int, end: int) -> list[tuple[int, int, str, int]]:
        inboxes = self._inboxes(chain)
        registry = self._registry(chain).contract
        with translate(chain.w3):
            events = registry.events.Represented().get_logs(from_block=start, to_block=end,
                                                             argument_filters={"inbox": list(inboxes)})
        found = []
        for event in events:
            via = inboxes.get(Web3.to_checksum_address(event.args.inbox))
            home = int(event.args.homeChainId)
            if via is None:
                continue
            if home not in self.relayer.chains:
                self.relayer._warn_once(f"{home}:{event.args.homeAgentId}", "home",
                                        f"chain {chain.chain_id}: agent {event.args.homeAgentId} of chain {home} is "
                                        f"represented here ({via}), but chain {home} is not configured: not "
                                        "keeping it up to date")
                continue
            found.append((home, int(event.args.homeAgentId), via, int(event.blockNumber)))
        return found

    def _inboxes(self, chain: _Chain) -> dict[str, str]:
        """The inboxes that write mirrors on `chain`: address -> via."""
        inboxes: dict[str, str] = {}
        if chain.config.agents_oracle:
            inboxes[Web3.to_checksum_address(chain.config.agents_oracle)] = "committee"
        hl = chain.config.hyperlane
        if hl is not None and hl.agents:
            inboxes[Web3.to_checksum_address(hl.agents)] = "hyperlane"
        return inboxes

    # ------------------------------------------------------------ agents: the committee

    def _deliver(self, dest: _Chain, report: StepReport) -> None:
        """Deliver, attested by the committee, the confirmed home state of each agent `dest` mirrors
        through its AttesterOracle that is newer than the mirror there."""
        routes = [r for r in self.all_routes() if r.dest_chain == dest.chain_id and r.via == "committee"]
        if not routes or not dest.config.agents_oracle:
            return
        inbox = Web3.to_checksum_address(dest.config.agents_oracle)
        states = _States(self)
        pipeline: Pipeline | None = None
        sent: list[tuple[_Route, AgentState, str]] = []
        safe: int | None = None
        for route in routes:
            state = states.get(route.home_chain, route.agent_id, report)
            if state is None:
                continue
            if safe is None:
                safe = dest.link.safe_block()
            if not self._due(dest, route, inbox, state, safe):
                continue
            committee = self._committee(dest)
            if committee is None or not states.verify(route.home_chain, report):
                continue
            proof = self._proof(committee, dest.chain_id, state)
            pipeline = pipeline or Pipeline(dest.w3, self.relayer.sender, dest.chain_id)
            data = HexBytes(self._oracle(dest).encode_abi("represent", [state.as_tuple(), proof]))
            ctx = RevertContext(action="deliver the state of", agent_id=route.agent_id, chain_id=dest.chain_id)
            try:
                prepared = pipeline.prepare(inbox, data, ctx)
            except ContractRevert as exc:
                self._refused(route, state, exc)
                continue
            self.store.set_agent_send(dest.chain_id, "committee", route.home_chain, route.agent_id, state.sequence,
                                      int(state.status), dest.chain_id, prepared.tx_hash)
            pipeline.send(prepared)
            sent.append((route, state, prepared.tx_hash))
        if pipeline is None or not sent:
            return
        receipts = pipeline.wait([h for _, _, h in sent], timeout=self.relayer._wait, stop=self.relayer.stopping)
        for route, state, tx_hash in sent:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                log.warning("chain %s: the state of agent %s of chain %s (tx %s) is not mined yet; looked at again "
                            "next round", dest.chain_id, route.agent_id, route.home_chain, tx_hash)
            elif receipt["status"] != 1:
                self._reverted(route, state, tx_hash)
            else:
                report.agents_delivered += 1
                log.info("chain %s: agent %s of chain %s is now %s here (sequence %s, generation %s) as %s (tx %s, "
                         "%s gas)", dest.chain_id, route.agent_id, route.home_chain, _status(state), state.sequence,
                         state.generation, _short(represented_id(inbox, route.home_chain, route.agent_id)), tx_hash,
                         f"{int(receipt['gasUsed']):,}")

    def _committee(self, dest: _Chain) -> tuple[str, int, list[LocalAccount]] | None:
        """The answering AttesterOracle of `dest`'s ``agents_oracle``, its threshold and the relayer's
        attesters among its members (a threshold of them), or None (warned once) if it holds too few."""
        assert dest.config.agents_oracle is not None
        with self._lock:
            cached = self._committees.get(dest.chain_id)
        if cached is None or time.monotonic() - cached[3] > COMMITTEE_TTL:
            oracle = AttesterOracle(dest.w3, dest.config.agents_oracle, chain_id=dest.chain_id).current()
            cached = (oracle.address, oracle.threshold(), set(oracle.members()), time.monotonic())
            with self._lock:
                self._committees[dest.chain_id] = cached
        answering, threshold, members, _ = cached
        ours = [a.account for a in self.relayer.attesters if a.address in members]
        if len(ours) < threshold:
            self.relayer._warn_once(str(dest.chain_id), "agents-committee",
                                    f"chain {dest.chain_id}: `agents_oracle` {dest.config.agents_oracle} (answered "
                                    f"by {answering}) needs {threshold} signatures and {len(ours)} of the attester "
                                    "keys are members: agents' states are not delivered there; configure its "
                                    "members' keys")
            return None
        return answering, threshold, ours[:threshold]

    @staticmethod
    def _proof(committee: tuple[str, int, list[LocalAccount]], chain_id: int, state: AgentState) -> bytes:
        answering, _, members = committee
        signed = sorted((int(m.address, 16), attest_agent_state(m, answering, chain_id, state)) for m in members)
        return b"".join(signature for _, signature in signed)

    def _oracle(self, dest: _Chain) -> Contract:
        assert dest.config.agents_oracle is not None
        return dest.w3.eth.contract(address=Web3.to_checksum_address(dest.config.agents_oracle),
                                    abi=abi("AttesterOracle"))

    # ------------------------------------------------------------ agents: Hyperlane

    def _report(self, home: _Chain, report: StepReport) -> None:
        """Report through `home`'s HyperlaneAgents the confirmed state of each of its agents that a
        destination's mirror lacks (once per state and destination), in one transaction per agent."""
        routes = [r for r in self.all_routes() if r.home_chain == home.chain_id and r.via == "hyperlane"]
        hl = home.config.hyperlane
        if not routes or hl is None or not hl.agents:
            return
        inbox = Web3.to_checksum_address(hl.agents)
        by_agent: dict[int, list[_Route]] = {}
        for route in routes:
            by_agent.setdefault(route.agent_id, []).append(route)
        states = _States(self)
        pipeline: Pipeline | None = None
        sent: list[tuple[int, AgentState, list[_Route], str]] = []
        contract = home.w3.eth.contract(address=inbox, abi=abi("HyperlaneAgents"))
        for agent_id, agent_routes in by_agent.items():
            state = states.get(home.chain_id, agent_id, report, own=True)
            if state is None:
                continue
            due: list[_Route] = []
            for route in agent_routes:
                dest = self.relayer.chains.get(route.dest_chain)
                if dest is None or not dest.link.ready or route.dest_chain not in self.relayer.messages.lanes:
                    continue  # (a destination without its lane yet: its message would not be verified)
                try:
                    if self._due(dest, route, inbox, state, dest.link.safe_block()):
                        due.append(route)
                except ChainHalted:
                    continue
                except Exception as exc:  # noqa: BLE001 - the destination's problem, not the home chain's
                    self.relayer._chain_failed(dest, report, exc)
            if not due:
                continue
            home.link.verify()
            chains = [r.dest_chain for r in due]
            with translate(home.w3):
                fee = int(contract.functions.quoteReport(agent_id, chains).call())
            pipeline = pipeline or Pipeline(home.w3, self.relayer.sender, home.chain_id)
            ctx = RevertContext(action="report the state of", agent_id=agent_id, chain_id=home.chain_id)
            try:
                prepared = pipeline.prepare(inbox, HexBytes(contract.encode_abi("report", [agent_id, chains])), ctx,
                                            value=fee)
            except ContractRevert as exc:
                for route in due:
                    self._refused(route, state, exc)
                continue
            for route in due:
                self.store.set_agent_send(route.dest_chain, "hyperlane", home.chain_id, agent_id, state.sequence,
                                          int(state.status), home.chain_id, prepared.tx_hash)
            pipeline.send(prepared)
            sent.append((agent_id, state, due, prepared.tx_hash))
        if pipeline is None or not sent:
            return
        receipts = pipeline.wait([s[3] for s in sent], timeout=self.relayer._wait, stop=self.relayer.stopping)
        for agent_id, state, due, tx_hash in sent:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                log.warning("chain %s: the report of agent %s (tx %s) is not mined yet; looked at again next round",
                            home.chain_id, agent_id, tx_hash)
            elif receipt["status"] != 1:
                for route in due:
                    self._reverted(route, state, tx_hash)
            else:
                report.agents_reported += len(due)
                log.info("chain %s: agent %s (%s, sequence %s) reported to chains %s over Hyperlane (tx %s, %s gas)",
                         home.chain_id, agent_id, _status(state), state.sequence,
                         ", ".join(str(r.dest_chain) for r in due), tx_hash, f"{int(receipt['gasUsed']):,}")

    # ------------------------------------------------------------ agents: shared

    def _due(self, dest: _Chain, route: _Route, inbox: str, state: AgentState, safe: int) -> bool:
        """Whether `state` must be sent now for `route`: the mirror on `dest` lacks it at the
        confirmation depth and at its head, no transaction of ours for it is pending or mined (a
        report's message is on its way), and it is not held back after a refusal."""
        held = (state.sequence, int(state.status))
        if self._done.get(route) == held:
            return False  # seen done (a mirror only moves forward, and a deep reorg halts the chain)
        registry = self._registry(dest)
        mirror = represented_id(inbox, route.home_chain, route.agent_id)
        if not state.newer_than(MirrorState.read(registry, mirror, block=safe)):
            self._done[route] = held
            return False  # done: the destination shows it (or newer) at the confirmation depth
        if not state.newer_than(MirrorState.read(registry, mirror)):
            return False  # delivered, not yet deep enough
        key = (route, state.sequence, int(state.status))
        with self._lock:
            if self._retry.get(key, 0.0) > time.monotonic():
                return False
        send = self.store.agent_send(route.dest_chain, route.via, route.home_chain, route.agent_id, state.sequence,
                                     int(state.status))
        if send is None:
            return True
        chain = self.relayer.chains.get(send.tx_chain)
        if chain is None:
            return True
        status = _tx_status(chain.w3, send.tx_hash)
        if status == "pending" or status == "mined":
            return False  # ours is on its way (over Hyperlane: the message, once the report is confirmed)
        if status == "reverted":
            self._reverted(route, state, send.tx_hash)
            return False
        log.warning("chain %s: tx %s (the state of agent %s of chain %s, sequence %s) is no longer known there (a "
                    "reorg, or never sent); sending it again", send.tx_chain, send.tx_hash, route.agent_id,
                    route.home_chain, state.sequence)
        self.store.drop_agent_send(route.dest_chain, route.via, route.home_chain, route.agent_id, state.sequence,
                                   int(state.status))
        return True

    def _refused(self, route: _Route, state: AgentState, exc: Exception) -> None:
        key = (route, state.sequence, int(state.status))
        with self._lock:
            self._retry[key] = time.monotonic() + self.relayer._backoff(3)
        self.relayer._warn_once(f"{route}:{state.sequence}:{int(state.status)}", "agent-refused",
                                f"chain {route.dest_chain}: the state of agent {route.agent_id} of chain "
                                f"{route.home_chain} (sequence {state.sequence}, {route.via}) is refused: {exc}; "
                                "retrying with backoff")

    def _reverted(self, route: _Route, state: AgentState, tx_hash: str) -> None:
        log.warning("chain %s: tx %s carrying agent %s of chain %s reverted; retrying after a backoff",
                    route.dest_chain, tx_hash, route.agent_id, route.home_chain)
        self.store.drop_agent_send(route.dest_chain, route.via, route.home_chain, route.agent_id, state.sequence,
                                   int(state.status))
        with self._lock:
            self._retry[(route, state.sequence, int(state.status))] = time.monotonic() + self.relayer._backoff(2)

    def _registry(self, chain: _Chain) -> Registry:
        registry = self._registries.get(chain.chain_id)
        if registry is None:
            address = chain.config.registry or create2_address("AgentRegistry")
            registry = Registry(chain.w3, address, chain_id=chain.chain_id, timeout=self.relayer._wait)
            self._registries[chain.chain_id] = registry
        return registry

    # ------------------------------------------------------------ signed revocations

    def _manager(self, chain: _Chain) -> Contract:
        manager = self._managers.get(chain.chain_id)
        if manager is None:
            address = Web3.to_checksum_address(chain.config.session_manager or create2_address("SessionManager"))
            manager = chain.w3.eth.contract(address=address, abi=abi("SessionManager"))
            self._managers[chain.chain_id] = manager
        return manager

    def _forward(self, dest: _Chain, report: StepReport) -> None:
        """Apply on `dest` the signed revocations seen on the other chains that it does not show applied."""
        targets = self.store.revocation_targets(dest.chain_id, "pending", "sent", ready=True)
        if not targets:
            return
        manager = self._manager(dest)
        with translate(dest.w3):
            if len(dest.w3.eth.get_code(manager.address)) == 0:
                for target in targets:
                    self._revocation_refused(dest, target, f"no SessionManager at {manager.address}")
                return
        safe = dest.link.safe_block()
        pipeline: Pipeline | None = None
        sent: list[tuple[RevocationTarget, str]] = []
        for target in targets:
            revocation = target.revocation
            if self._applied(manager, revocation, safe):
                self.store.update_revocation_target(revocation.revocation_id, dest.chain_id, state="done",
                                                    done_at=time.time())
                log.info("chain %s: %s of %s is applied here (%s)", dest.chain_id, _describe(revocation),
                         revocation.account, f"tx {target.tx_hash}" if target.tx_hash else "seen applied")
                continue
            if self._applied(manager, revocation, "latest"):
                continue  # applied, not yet deep enough
            if target.tx_hash:
                status = _tx_status(dest.w3, target.tx_hash)
                if status == "pending":
                    continue
                if status == "mined":
                    self._revocation_refused(dest, target, f"tx {target.tx_hash} was mined and the SessionManager "
                                             "does not show it applied")
                    continue
            pipeline = pipeline or Pipeline(dest.w3, self.relayer.sender, dest.chain_id)
            if revocation.kind == "all":
                data = manager.encode_abi("revokeAllSigned", [revocation.account, revocation.nonce,
                                                              revocation.signature])
            else:
                data = manager.encode_abi("revokeGrantsSigned", [revocation.account, list(revocation.grants or ()),
                                                                 revocation.signature])
            ctx = RevertContext(action="apply a signed revocation of", account=revocation.account,
                                chain_id=dest.chain_id)
            try:
                prepared = pipeline.prepare(manager.address, HexBytes(data), ctx)
            except ContractRevert as exc:
                self._revocation_refused(dest, target, str(exc))
                continue
            self.store.update_revocation_target(revocation.revocation_id, dest.chain_id, state="sent",
                                                tx_hash=prepared.tx_hash)
            pipeline.send(prepared)
            sent.append((target, prepared.tx_hash))
        if pipeline is None or not sent:
            return
        receipts = pipeline.wait([h for _, h in sent], timeout=self.relayer._wait, stop=self.relayer.stopping)
        for target, tx_hash in sent:
            revocation = target.revocation
            receipt = receipts.get(tx_hash)
            if receipt is None:
                log.warning("chain %s: tx %s (%s of %s) is not mined yet; looked at again next round", dest.chain_id,
                            tx_hash, _describe(revocation), revocation.account)
            elif receipt["status"] != 1:
                self.store.update_revocation_target(revocation.revocation_id, dest.chain_id, state="pending",
                                                    tx_hash=None)
                self.store.revocation_failed(revocation.revocation_id, dest.chain_id, f"tx {tx_hash} reverted",
                                             self.relayer._backoff(target.attempts))
                log.warning("chain %s: tx %s (%s of %s) reverted; retrying after a backoff", dest.chain_id, tx_hash,
                            _describe(revocation), revocation.account)
            else:
                report.revocations_forwarded += 1
                log.info("chain %s: %s of %s (seen on chain %s) sent here (tx %s, %s gas)", dest.chain_id,
                         _describe(revocation), revocation.account, revocation.source_chain, tx_hash,
                         f"{int(receipt['gasUsed']):,}")

    @staticmethod
    def _applied(manager: Contract, revocation: Revocation, block: BlockIdentifier) -> bool:
        """Whether `manager` shows `revocation` applied at `block` (a replay would change nothing)."""
        with translate(manager.w3):
            state_of = manager.functions.stateOf
            if revocation.kind == "all":
                assert revocation.nonce is not None
                digest = revocation_digest(manager.address, revocation.account, nonce=revocation.nonce)
                return int(state_of(revocation.account, digest).call(block_identifier=block)) != 0
            return all(int(state_of(revocation.account, g).call(block_identifier=block)) & 255 == _REVOKED
                       for g in revocation.grants or ())

    def _revocation_refused(self, dest: _Chain, target: RevocationTarget, reason: str) -> None:
        revocation = target.revocation
        self.store.update_revocation_target(revocation.revocation_id, dest.chain_id, state="refused",
                                            last_error=reason[:500])
        log.error("chain %s refuses %s of %s seen on chain %s: %s; not sending it there again (the other chains go "
                  "on; --resync %s tries again)", dest.chain_id, _describe(revocation), revocation.account,
                  revocation.source_chain, reason, dest.chain_id)


class _States:
    """Home states read at each home chain's confirmed block, once per round of one chain."""

    def __init__(self, propagation: Propagation) -> None:
        self.propagation = propagation
        self.relayer = propagation.relayer
        self._safe: dict[int, int | None] = {}  # per home chain: its confirmed block this round
        self._hashes: dict[int, str] = {}
        self._states: dict[tuple[int, int], AgentState | None] = {}
        self._verified: set[int] = set()

    def get(self, home_chain: int, agent_id: int, report: StepReport, own: bool = False) -> AgentState | None:
        """The confirmed state of `agent_id` on `home_chain`; None when the home chain cannot be
        read now (halted, backing off, failing: counted against it) or does not hold the agent.
        With `own` (the home chain's own round), its failures are raised."""
        key = (home_chain, agent_id)
        if key in self._states:
            return self._states[key]
        home = self.relayer.chains.get(home_chain)
        state: AgentState | None = None
        if home is not None and home.link.ready:
            try:
                state = self._read(home, agent_id)
            except ChainHalted:
                if own:
                    raise
            except Exception as exc:  # noqa: BLE001 - the home chain's problem, not the destination's
                if own:
                    raise
                self.relayer._chain_failed(home, report, exc)
                self._safe[home_chain] = None
        self._states[key] = state
        return state

    def _read(self, home: _Chain, agent_id: int) -> AgentState | None:
        if home.chain_id not in self._safe:
            self._safe[home.chain_id] = home.link.safe_block()
        safe = self._safe[home.chain_id]
        if safe is None:
            return None
        cache = self.propagation._homes
        key = (home.chain_id, agent_id)
        cached = cache.get(key)
        if cached is not None and cached[0] == safe:
            return cached[1]  # read at this very block already (a block deeper than the confirmations stays)
        if home.chain_id not in self._hashes:
            self._hashes[home.chain_id] = home.link.block_hash(safe)
        state: AgentState | None = None
        try:
            state = AgentState.read(self.propagation._registry(home), agent_id, block=safe)
        except (InvalidInput, UnknownAgent) as exc:  # not registered there (at the confirmed block), or a mirror
            if not self.relayer._warned_before(f"{home.chain_id}:{agent_id}", "agent-home"):
                log.info("agent %s of chain %s is not carried (yet): %s", agent_id, home.chain_id,
                         str(exc).split(";")[0] if isinstance(exc, UnknownAgent) else exc)
        home.link.unchanged(safe, self._hashes[home.chain_id])  # the block read is still the chain's
        cache[key] = (safe, state)
        return state

    def verify(self, home_chain: int, report: StepReport) -> bool:
        """Before acting on a state read from `home_chain`: whether its RPC still serves the chain it
        was built on (a reset chain is halted, P2), checked now rather than on its worker's schedule
        (a failure counts against the home chain, not the destination)."""
        if home_chain not in self._verified:
            home = self.relayer.chains[home_chain]
            try:
                home.link.verify()
            except ChainHalted:
                return False
            except Exception as exc:  # noqa: BLE001 - the home chain's problem
                self.relayer._chain_failed(home, report, exc)
                return False
            self._verified.add(home_chain)
        return True


# ---------------------------------------------------------------- helpers


def expand_routes(agents: list[AgentRoute], chains: dict[int, ChainConfig]) -> list[_Route]:
    """The configured agents as (agent, destination, via) routes over `chains` (by chain id);
    :class:`CharterError` names what is wrong (``agents[i]``)."""
    routes: list[_Route] = []
    for i, agent in enumerate(agents):
        where = f"agents[{i}] (agent {agent.agent_id} of chain {agent.home_chain})"
        if agent.home_chain not in chains:
            raise CharterError(f"{where}: its home chain is not one of the configured chains")
        if agent.agent_id <= 0:
            raise CharterError(f"{where}: an agent id is an integer ≥ 1")
        if not agent.via or any(v not in VIAS for v in agent.via):
            raise CharterError(f"{where}: `via` is one or both of {', '.join(VIAS)}, got {list(agent.via)}")
        for dest in agent.to:
            if dest == agent.home_chain:
                raise CharterError(f"{where}: `to` names its home chain {dest}: an agent is mirrored elsewhere")
            if dest not in chains:
                raise CharterError(f"{where}: `to` names chain {dest}, which is not configured")
        home = chains[agent.home_chain]
        for via in agent.via:
            if via == "hyperlane" and not _hyperlane_agents(home):
                raise CharterError(f"{where}: chain {agent.home_chain} has no HyperlaneAgents (`agents` in its "
                                   "[chains.hyperlane] table) to report its state through")
            dests = agent.to or tuple(c for c in chains if c != agent.home_chain and _inbox(chains[c], via))
            if not dests:
                raise CharterError(f"{where}: no other chain has an inbox for `via` = \"{via}\" (`agents_oracle`, "
                                   "or `agents` in [chains.hyperlane])")
            for dest in dests:
                if not _inbox(chains[dest], via):
                    key = "agents_oracle" if via == "committee" else "agents (in its [chains.hyperlane] table)"
                    raise CharterError(f"{where}: chain {dest} has no `{key}` to deliver the state {via} way")
                if via == "hyperlane" and _hyperlane_agents(chains[dest]) != _hyperlane_agents(home):
                    raise CharterError(f"{where}: chain {dest}'s HyperlaneAgents is not at the home chain's address: "
                                       "the contract takes messages from its own address only")
                route = _Route(agent.home_chain, agent.agent_id, dest, via)
                if route not in routes:
                    routes.append(route)
    return routes


def _hyperlane_agents(chain: ChainConfig) -> str | None:
    hl = chain.hyperlane
    return Web3.to_checksum_address(hl.agents) if hl is not None and hl.agents else None


def _inbox(chain: ChainConfig, via: str) -> str | None:
    if via == "committee":
        return chain.agents_oracle
    return _hyperlane_agents(chain)


def _tx_status(w3: Web3, tx_hash: str) -> str:
    """``mined`` (succeeded), ``reverted``, ``pending`` or ``unknown`` (never sent, or dropped by a reorg)."""
    try:
        receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    except TransactionNotFound:
        receipt = None
    if receipt is not None:
        return "mined" if receipt["status"] == 1 else "reverted"
    try:
        return "pending" if w3.eth.get_transaction(tx_hash) is not None else "unknown"  # type: ignore[arg-type]
    except TransactionNotFound:
        return "unknown"


def _status(state: AgentState) -> str:
    return AgentStatus(int(state.status)).name.lower()


def _short(agent_id: int) -> str:
    text = f"{agent_id:#x}"
    return text if len(text) <= 14 else f"{text[:10]}…"


def _describe(revocation: Revocation) -> str:
    if revocation.kind == "all":
        return f"revoke-all (nonce {revocation.nonce})"
    return f"revocation of {len(revocation.grants or ())} grant(s)"


__all__ = ["VIAS", "AgentRoute", "Propagation", "expand_routes", "revocation_id"]
