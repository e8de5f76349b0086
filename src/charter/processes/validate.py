"""The committee as validator: the relayer answers validation requests about fills (issue 21).

An agent that filled an order may ask a validator, in the ERC-8004
ValidationRegistry of any chain, to vouch for it: a ``ValidationRequest``
whose URI is a fill request (:func:`~charter.trust.client.fill_request`:
``charter:fill:<origin chain id>:0x<order id>``, its hash keccak256 of the
URI). A relayer holding attester keys answers the requests that name one of
its attesters as validator, **from that attester's key** (the key sends the
``validationResponse`` itself, so it needs a little gas on that chain: about
82,000 gas per answer; the relayer warns when it has none, and answers once
it is funded). Each round, for each chain with a ValidationRegistry:

1. ``ValidationRequest`` events naming one of its attesters are read at the
   confirmation depth (with the scan cursor, in one SQLite transaction).
   Requests that are not fill requests, whose hash is not keccak256 of their
   URI, or whose origin chain is not configured are ignored (logged once);
2. a fill request is answered once its order is final on its origin, read at
   the origin's confirmation depth; while it is open, or its settlement or
   refund is not that deep yet, nothing is sent (it is looked at again after a
   growing wait):

   - **100** when the order is settled, the destination holds (at its own
     confirmation depth) the very fill the origin settled with (its
     ``settlementReceipt`` equals ``Order.receipt(fill)`` for the fill read
     there: the relayer's own view agrees), and the requesting agent is that
     fill's agent: the same id when the request is on the destination chain,
     else the agent representing it there (``homeOf``) through an inbox the
     relayer trusts (that chain's ``agents_oracle``, its HyperlaneAgents, its
     committee ``oracle``, or the order's oracle when the request is on the
     origin);
   - **0** when the order was refunded, settled to another agent (or to
     none), or settled with a fill the destination does not hold;

   with tag ``charter-fill``, a response URI naming the evidence
   (``charter:settled:<origin>:0x<order>:<settle tx>`` or
   ``charter:refunded:<origin>:0x<order>:<refund tx>``) and its keccak256 as
   the response hash;
3. an answer is done once the registry shows it at the confirmation depth;
   its transaction's hash is written down before it is broadcast, so a
   restart neither answers twice nor forgets (a transaction a reorg dropped
   is sent again; an answer the registry already shows is never sent again,
   even from a fresh ``db``).

``answer_validations = false`` turns it off; a chain's ``validation_registry``
names its registry (default: the suite's ``ValidationRegistry`` when it is
deployed there) or ``false`` (none).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from eth_utils import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.types import BlockIdentifier

from .._core.artifacts import abi
from .._core.deployments import resolve_address
from .._core.revert import RevertContext, translate
from .._core.signers import LocalSigner
from ..exceptions import ContractRevert, InvalidInput, NotDeployed
from ..intents.models import RECORD_FILLED, FillRecord, Order, OrderStatus
from ..trust.client import parse_fill_request, request_hash_of
from .chain import ChainHalted
from .propagate import _tx_status
from .sender import Pipeline
from .store import Store, ValidationRow

if TYPE_CHECKING:
    from .relayer import Relayer, StepReport, _Chain

log = logging.getLogger("charter.relay")

TAG = "charter-fill"
"""The tag of the relayer's answers to fill requests."""
SETTLED_URI = "charter:settled:{chain_id}:0x{order_id}"
REFUNDED_URI = "charter:refunded:{chain_id}:0x{order_id}"
"""Response URIs: the order's origin chain and id, then ``:<tx hash>`` of its settlement or refund."""
SCAN_SPAN = 2_000


class _Later(Exception):
    """Nothing to answer this round (another chain cannot be read now, or the order is not final)."""


class Validations:
    """The relayer's validator (see the module): :meth:`attach` when a chain is checked,
    :meth:`round` once per round of each chain (as the registry's chain)."""

    def __init__(self, relayer: Relayer) -> None:
        self.relayer = relayer
        self.store: Store = relayer.store
        signers = [LocalSigner(a.account) for a in relayer.attesters]
        self.signers: dict[str, LocalSigner] = {signer.address: signer for signer in signers}
        """The attesters' keys, by address: each answers the requests naming it."""
        self.registries: dict[int, Contract | None] = {}
        """Each checked chain's ValidationRegistry (None: requests are not answered there)."""
        self.identities: dict[int, Contract] = {}
        """The identity registry each chain's ValidationRegistry is bound to (the requests' agents)."""

    @classmethod
    def configure(cls, relayer: Relayer) -> Validations | None:
        """The validator of `relayer`'s configuration, or None when it answers nothing."""
        config = relayer.config
        if (not config.answer_validations or not relayer.attesters
                or all(c.validation_registry is False for c in config.chains)):
            return None
        return cls(relayer)

    def attach(self, chain: _Chain) -> None:
        """Find `chain`'s ValidationRegistry and say which attesters cannot pay for an answer there
        (once the chain matches the configuration; raises what its RPC raises)."""
        setting = chain.config.validation_registry
        address: str | None = None
        if isinstance(setting, str):
            address = Web3.to_checksum_address(setting)
        elif setting is not False:
            try:
                with translate(chain.w3):
                    address = resolve_address(chain.w3, "ValidationRegistry")
            except NotDeployed:
                log.info("chain %s: no ValidationRegistry deployed: validation requests are not answered there",
                         chain.chain_id)
        if address is None:
            self.registries[chain.chain_id] = None
            return
        registry = chain.w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi("ValidationRegistry"))
        with translate(chain.w3):
            identity = Web3.to_checksum_address(registry.functions.getIdentityRegistry().call())
            broke = [s.address for s in self.signers.values() if int(chain.w3.eth.get_balance(s.address)) == 0]
        self.identities[chain.chain_id] = chain.w3.eth.contract(address=identity, abi=abi("AgentRegistry"))
        if chain.chain_id not in self.registries:
            log.info("chain %s: answering fill requests to attesters %s in %s", chain.chain_id,
                     ", ".join(self.signers), registry.address)
        for attester in broke:
            log.warning("chain %s: attester %s has no ETH here: it answers the validation requests naming it from "
                        "its own key (validationResponse, about 82,000 gas each); fund it to answer them "
                        "(answer_validations = false turns answering off)", chain.chain_id, attester)
        self.registries[chain.chain_id] = registry

    def progress(self) -> str:
        counts = self.store.validation_counts()
        return "validation requests: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet")

    # ------------------------------------------------------------ the round

    def round(self, chain: _Chain, report: StepReport) -> None:
        """Read `chain`'s new requests to our attesters and answer those whose order is final."""
        registry = self.registries.get(chain.chain_id)
        if registry is None:
            return
        self._scan(chain, registry, report)
        self._answer(chain, registry, report)

    def _scan(self, chain: _Chain, registry: Contract, report: StepReport) -> None:
        name = f"validations:{chain.chain_id}"
        while (span := chain.link.scan_range(name, chain.config.start_block, SCAN_SPAN)) is not None:
            start, end = span
            end_hash = chain.link.block_hash(end)
            with translate(chain.w3):
                events = registry.events.ValidationRequest().get_logs(
                    from_block=start, to_block=end, argument_filters={"validatorAddress": list(self.signers)})
            chain.link.unchanged(end, end_hash)
            rows = [self._request(chain, event) for event in events
                    if Web3.to_checksum_address(event.args.validatorAddress) in self.signers]
            with self.store.transaction() as db:
                for row in rows:
                    if not Store.add_validation(db, row):
                        continue
                    report.validations_seen += 1
                    if row.state == "ignored":
                        log.info("chain %s: validation request 0x%s to %s ignored: %s", chain.chain_id,
                                 row.request_hash.hex()[:8], row.validator, row.reason)
                    else:
                        log.info("chain %s: validation request 0x%s to %s: was order %s of chain %s filled by "
                                 "agent %s?", chain.chain_id, row.request_hash.hex()[:8], row.validator,
                                 "0x" + (row.order_id or b"").hex()[:8], row.origin_chain, row.agent_id)
                Store.set_cursor(db, name, end + 1, end_hash)

    def _request(self, chain: _Chain, event: Any) -> ValidationRow:
        """A request as read, classified: waiting (a fill request about a configured origin) or ignored."""
        uri = str(event.args.requestURI)
        request_hash = bytes(event.args.requestHash)
        parsed = parse_fill_request(uri)
        reason = None
        if parsed is None:
            reason = "not a fill request (charter:fill:<origin chain id>:0x<order id>)"
        elif request_hash != request_hash_of(uri):
            reason = "its request hash is not keccak256 of its URI"
        elif parsed[0] not in self.relayer.chains:
            reason = f"its origin chain {parsed[0]} is not configured"
        return ValidationRow(
            chain.chain_id, request_hash, Web3.to_checksum_address(event.args.validatorAddress),
            int(event.args.agentId), uri, parsed[0] if parsed else None, parsed[1] if parsed else None,
            int(event.blockNumber), "ignored" if reason else "waiting", reason)

    def _answer(self, chain: _Chain, registry: Contract, report: StepReport) -> None:
        rows = self.store.validations(chain.chain_id, "waiting", "sent", ready=True)
        if not rows:
            return
        safe = chain.link.safe_block()
        pipelines: dict[str, Pipeline] = {}
        sent: list[tuple[ValidationRow, str, int, str]] = []
        for row in rows:
            if row.state == "sent" and not self._settle_sent(chain, registry, row, safe):
                continue
            try:
                verdict = self._verdict(chain, row, safe, report)
            except _Later:
                continue
            if verdict is None:
                continue
            score, uri, why = verdict
            if _shown(registry, row.request_hash, score, uri, safe):  # answered before (a fresh db, a resync)
                self._answered(chain, row, score, uri, why)
                continue
            if _shown(registry, row.request_hash, score, uri, "latest"):
                self.store.update_validation(chain.chain_id, row.request_hash, state="sent", score=score,
                                             response_uri=uri, tx_hash=None)
                continue
            signer = self.signers[row.validator]
            if int(chain.w3.eth.get_balance(signer.address)) == 0:
                self._broke(chain, row, signer.address)
                continue
            pipeline = pipelines.setdefault(signer.address, Pipeline(chain.w3, signer, chain.chain_id))
            data = registry.encode_abi("validationResponse", [row.request_hash, score, uri, keccak(text=uri), TAG])
            ctx = RevertContext(action="answer the validation", chain_id=chain.chain_id, registry=registry.address)
            try:
                prepared = pipeline.prepare(registry.address, HexBytes(data), ctx)
            except ContractRevert as exc:
                self.store.validation_failed(chain.chain_id, row.request_hash, str(exc),
                                             self.relayer._backoff(row.attempts))
                report.errors.append(str(exc))
                log.warning("chain %s: the answer to request 0x%s is refused: %s; retrying after a backoff",
                            chain.chain_id, row.request_hash.hex()[:8], exc)
                continue
            self.store.update_validation(chain.chain_id, row.request_hash, state="sent", score=score,
                                         response_uri=uri, tx_hash=prepared.tx_hash)
            try:
                pipeline.send(prepared)
            except Exception as exc:
                if "insufficient funds" not in str(exc).lower():
                    raise
                self.store.update_validation(chain.chain_id, row.request_hash, state="waiting", tx_hash=None)
                self._broke(chain, row, signer.address)
                continue
            sent.append((row, prepared.tx_hash, score, why))
        for address, pipeline in pipelines.items():
            hashes = [h for r, h, _, _ in sent if r.validator == address]
            receipts = pipeline.wait(hashes, timeout=self.relayer._wait, stop=self.relayer.stopping)
            for row, tx_hash, score, why in sent:
                if row.validator != address:
                    continue
                receipt = receipts.get(tx_hash)
                if receipt is None or receipt["status"] != 1:
                    log.info("chain %s: the answer to request 0x%s (tx %s) is %s; looked at again next round",
                             chain.chain_id, row.request_hash.hex()[:8], tx_hash,
                             "not mined yet" if receipt is None else "reverted")
                    continue
                report.validations_answered += 1
                log.info("chain %s: %s answered request 0x%s (order %s of chain %s, agent %s): %s, %s (tx %s)",
                         chain.chain_id, address, row.request_hash.hex()[:8], "0x" + (row.order_id or b"").hex()[:8],
                         row.origin_chain, row.agent_id, score, why, tx_hash)

    def _settle_sent(self, chain: _Chain, registry: Contract, row: ValidationRow, safe: int) -> bool:
        """For an answer sent: mark it answered once shown at `safe`; whether to judge and send it again
        (its transaction was dropped or reverted)."""
        assert row.score is not None and row.response_uri is not None
        if _shown(registry, row.request_hash, row.score, row.response_uri, safe):
            self._answered(chain, row, row.score, row.response_uri, f"tx {row.tx_hash}" if row.tx_hash else "shown")
            return False
        if _shown(registry, row.request_hash, row.score, row.response_uri, "latest"):
            return False  # not yet `confirmations` deep
        if row.tx_hash:
            status = _tx_status(chain.w3, row.tx_hash)
            if status in ("pending", "mined"):
                return False
            if status == "reverted":
                self.store.update_validation(chain.chain_id, row.request_hash, state="waiting", tx_hash=None)
                self.store.validation_failed(chain.chain_id, row.request_hash, f"tx {row.tx_hash} reverted",
                                             self.relayer._backoff(row.attempts))
                log.warning("chain %s: the answer to request 0x%s (tx %s) reverted; retrying after a backoff",
                            chain.chain_id, row.request_hash.hex()[:8], row.tx_hash)
                return False
            log.warning("chain %s: the answer to request 0x%s (tx %s) is no longer known (a reorg?); answering "
                        "again", chain.chain_id, row.request_hash.hex()[:8], row.tx_hash)
        self.store.update_validation(chain.chain_id, row.request_hash, state="waiting", tx_hash=None)
        return True

    def _answered(self, chain: _Chain, row: ValidationRow, score: int, uri: str, how: str) -> None:
        self.store.update_validation(chain.chain_id, row.request_hash, state="answered", score=score,
                                     response_uri=uri, done_at=time.time())
        log.info("chain %s: request 0x%s is answered %s at the confirmation depth (%s)", chain.chain_id,
                 row.request_hash.hex()[:8], score, how)

    def _broke(self, chain: _Chain, row: ValidationRow, attester: str) -> None:
        self.relayer._warn_once(f"{chain.chain_id}:{attester}", "validator-gas",
                                f"chain {chain.chain_id}: attester {attester} cannot pay for its answers to "
                                "validation requests (no ETH): fund it; they are answered once it can")
        self.store.validation_failed(chain.chain_id, row.request_hash, f"{attester} has no ETH on chain "
                                     f"{chain.chain_id}", min(self.relayer._wait, self.relayer._backoff(row.attempts)))

    # ------------------------------------------------------------ judging

    def _verdict(self, chain: _Chain, row: ValidationRow, safe: int,
                 report: StepReport) -> tuple[int, str, str] | None:
        """(score, response URI, why) for `row`, or None when it is not answered now (ignored, or
        looked at again later); raises :class:`_Later` when another chain cannot be read now."""
        assert row.origin_chain is not None and row.order_id is not None
        origin = self.relayer.chains.get(row.origin_chain)
        if origin is None:
            self._ignore(chain, row, f"its origin chain {row.origin_chain} is not configured")
            return None
        order_id = row.order_id
        safe_o, status = self._read(chain, origin, report, lambda: _status(origin, order_id))
        if status == OrderStatus.REFUNDED:
            tx = self._read(chain, origin, report, lambda: _event_tx(origin, "Refunded", order_id, safe_o))
            return 0, _uri(REFUNDED_URI, origin.chain_id, order_id, tx), "refunded on its origin"
        if status != OrderStatus.SETTLED:  # open (or unknown) at the origin's confirmation depth: not yet
            wait = min(self.relayer._wait, self.relayer._backoff(row.attempts))
            self.store.validation_failed(chain.chain_id, row.request_hash, None, wait)
            return None
        settled = self._read(chain, origin, report, lambda: self._settled(origin, order_id, safe_o))
        if settled is None:
            self._ignore(chain, row, f"its Open and Settled logs are not on chain {origin.chain_id} from its "
                                     f"start_block {origin.config.start_block}: the fill cannot be checked")
            return None
        order, fill, tx = settled
        uri = _uri(SETTLED_URI, origin.chain_id, order_id, tx)
        dest = self.relayer.chains.get(order.data.destination_chain_id)
        if dest is None or dest.intents.address != order.data.destination_settler:
            self._ignore(chain, row, f"its destination (chain {order.data.destination_chain_id}, settler "
                                     f"{order.data.destination_settler}) is not watched: the fill cannot be checked")
            return None
        held = self._read(chain, dest, report,
                          lambda: dest.intents.record_of(order_id, block=dest.link.safe_block()))
        if held != fill.hash:
            log.warning("order 0x%s was settled on chain %s with a fill (payout %s, agent %s) that chain %s does not "
                        "hold at its confirmation depth: answering 0", order_id.hex()[:8], origin.chain_id,
                        fill.payout, fill.filler_agent_id, dest.chain_id)
            return 0, uri, f"settled with a fill chain {dest.chain_id} does not hold"
        if fill.filler_agent_id == 0:
            return 0, uri, "filled for no agent"
        if self._is_filler(chain, row.agent_id, dest.chain_id, fill.filler_agent_id, order, safe):
            return 100, uri, f"settled to its filler agent ({fill.filler_agent_id} of chain {dest.chain_id})"
        return 0, uri, f"settled to agent {fill.filler_agent_id} of chain {dest.chain_id}, not this one"

    def _read(self, chain: _Chain, other: _Chain, report: StepReport, read: Any) -> Any:
        """`read()` of `other`'s state: its failures are `other`'s (its backoff), not `chain`'s."""
        if other is chain:
            return read()
        if not other.link.ready or other.link.behind or other.chain_id not in self.relayer._checked:
            raise _Later
        try:
            return read()
        except ChainHalted:
            raise _Later from None
        except Exception as exc:  # noqa: BLE001 - the other chain's problem
            self.relayer._chain_failed(other, report, exc)
            raise _Later from None

    def _settled(self, origin: _Chain, order_id: bytes, safe: int) -> tuple[Order, FillRecord, str | None] | None:
        """The settled order, the fill it was settled with (the one the relayer read, when it did,
        checked against the origin's receipt), and its settlement's transaction."""
        held = origin.intents.settlement_receipt(order_id, block=safe)
        found: tuple[Order, FillRecord] | None = None
        row = self.store.order("0x" + order_id.hex())
        record = self.store.record("0x" + order_id.hex())
        if row is not None and record is not None and record.kind == RECORD_FILLED and record.payout is not None:
            order = Order.from_origin_data(row.origin_data)
            fill = FillRecord(payout=record.payout, filler_agent_id=record.filler_agent_id)
            if order.receipt(fill) == held:
                found = (order, fill)
        if found is None:
            try:
                found = origin.intents.settled(order_id, origin.config.start_block)
            except InvalidInput:
                return None
            if found is None:
                return None
        return found[0], found[1], _event_tx(origin, "Settled", order_id, safe)

    def _is_filler(self, chain: _Chain, agent_id: int, filler_chain: int, filler_agent: int, order: Order,
                   safe: int) -> bool:
        """Whether `agent_id` on `chain` is agent `filler_agent` of `filler_chain`: itself there, or
        elsewhere its representation through an inbox the relayer trusts."""
        if chain.chain_id == filler_chain:
            return agent_id == filler_agent
        with translate(chain.w3):
            home, home_id, inbox = self.identities[chain.chain_id].functions.homeOf(agent_id).call(
                block_identifier=safe)
        if (int(home), int(home_id)) != (filler_chain, filler_agent):
            return False
        return Web3.to_checksum_address(inbox) in self._inboxes(chain, order)

    def _inboxes(self, chain: _Chain, order: Order) -> set[str]:
        """The inboxes whose representations on `chain` the relayer trusts for `order`."""
        found = [chain.config.agents_oracle, self.relayer.config.oracles.get(chain.chain_id)]
        hl = chain.config.hyperlane
        if hl is not None:
            found.append(hl.agents)
        if order.origin_chain_id == chain.chain_id:
            found.append(order.data.oracle)  # the committee that proved it carries agents to its origin
        return {Web3.to_checksum_address(a) for a in found if a}

    def _ignore(self, chain: _Chain, row: ValidationRow, reason: str) -> None:
        self.store.update_validation(chain.chain_id, row.request_hash, state="ignored", reason=reason[:500])
        log.info("chain %s: validation request 0x%s ignored: %s", chain.chain_id, row.request_hash.hex()[:8], reason)


def _status(origin: _Chain, order_id: bytes) -> tuple[int, OrderStatus]:
    """The origin's confirmed block and the order's status there."""
    safe = origin.link.safe_block()
    return safe, origin.intents.origin_status(order_id, block=safe)


def _event_tx(origin: _Chain, event: str, order_id: bytes, safe: int) -> str | None:
    """The transaction of the order's last `event` (Settled, Refunded) on its origin, up to `safe`."""
    with translate(origin.w3):
        logs = origin.intents.contract.events[event]().get_logs(
            from_block=origin.config.start_block, to_block=safe, argument_filters={"orderId": order_id})
    return logs[-1]["transactionHash"].to_0x_hex() if logs else None


def _uri(template: str, chain_id: int, order_id: bytes, tx: str | None) -> str:
    uri = template.format(chain_id=chain_id, order_id=order_id.hex())
    return f"{uri}:{tx}" if tx else uri


def _shown(registry: Contract, request_hash: bytes, score: int, uri: str, block: BlockIdentifier) -> bool:
    """Whether `registry` shows, at `block`, the answer (score, keccak256 of `uri`, our tag) to the request."""
    try:
        _, _, response, response_hash, tag, _ = registry.functions.getValidationStatus(request_hash).call(
            block_identifier=block)
    except ContractLogicError:  # not there (yet) at that block
        return False
    return tag == TAG and int(response) == score and bytes(response_hash) == keccak(text=uri)


__all__ = ["REFUNDED_URI", "SETTLED_URI", "TAG", "Validations"]
