"""The relayer records settled orders' receipts in the receipt-backed registry of their origin (issue 21).

Receipt-backed feedback (``BackedReputationRegistry``, docs/trust.md) cites a
settled order whose receipt was first recorded in the registry with
``recordReceipt`` (anyone may, once; checked against the settler's
``settlementReceipt``). The relayer does it for every order it tracks, as
soon as the origin shows the order settled at the confirmation depth
(settled by the relayer or by anyone), so that both sides of the order can
review each other without paying for it (about 188,000 gas per order, paid
by the relayer's sender key):

- an order is written down ``settled`` and its receipt ``pending`` in one
  SQLite transaction (:meth:`~charter.processes.store.Store.finish_order`):
  a restart between the two finds both or neither;
- each round, for each pending receipt of a chain, the registry is read
  first: a receipt it shows at the confirmation depth is done (``recorded``,
  by the relayer or anyone: nothing is sent), one it shows only above that
  depth is waited for; otherwise ``recordReceipt(orderId, user,
  openerAgentId, fillerAgentId, fillerChainId, payout, inputs)`` is sent
  (one transaction per order, all of a round back to back from the sender
  key), its hash written down before it is broadcast;
- a receipt is marked recorded only once the registry shows it at the
  confirmation depth: a transaction a reorg dropped is sent again, one that
  reverted is retried after a backoff, and a refusal because someone
  recorded it meanwhile (``reputation: receipt recorded``) costs nothing and
  ends it next round.

The fields come from the order (its ``originData``, kept since it was seen
opened) and the fill the relayer read on the destination, checked against
the origin's ``settlementReceipt`` at the confirmation depth; when they do
not match (an order settled with a fill the relayer did not read) they are
read from the origin's ``Open`` and ``Settled`` logs
(:meth:`~charter.intents.client.Intents.settled`). Which registry: a chain's
``backed_reputation`` (an address, or ``false``: none), else the suite's
``BackedReputationRegistry`` when it is deployed there and bound to the
chain's settler (``record_receipts = false`` turns it off everywhere).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from hexbytes import HexBytes
from web3.types import BlockIdentifier

from .._core.deployments import resolve_address
from .._core.revert import RevertContext, translate
from ..exceptions import ContractRevert, InvalidInput, NotDeployed
from ..intents.models import RECORD_FILLED, FillRecord, Order
from ..trust.client import Reputation
from .propagate import _tx_status
from .sender import Pipeline
from .store import ReceiptRow

if TYPE_CHECKING:
    from .relayer import Relayer, StepReport, _Chain

log = logging.getLogger("charter.relay")

RECORDED = "reputation: receipt recorded"
"""The registry's refusal when the receipt is there already (recorded by someone else meanwhile)."""


class Receipts:
    """The relayer's receipt recording (see the module): :meth:`attach` when a chain is checked,
    :meth:`round` once per round of each chain (as an origin)."""

    def __init__(self, relayer: Relayer) -> None:
        self.relayer = relayer
        self.store = relayer.store
        self.registries: dict[int, Reputation | None] = {}
        """Each checked chain's backed registry (None: receipts are not recorded there)."""

    @classmethod
    def configure(cls, relayer: Relayer) -> Receipts | None:
        """The recorder of `relayer`'s configuration, or None when it records nothing."""
        config = relayer.config
        if not config.record_receipts or all(c.backed_reputation is False for c in config.chains):
            return None
        return cls(relayer)

    def attach(self, chain: _Chain) -> None:
        """Find `chain`'s backed registry (once the chain matches the configuration; raises what its RPC raises)."""
        setting = chain.config.backed_reputation
        registry: Reputation | None = None
        if isinstance(setting, str):  # named: checked against the settler by the preflight
            registry = Reputation(chain.w3, setting, chain_id=chain.chain_id, timeout=self.relayer._wait)
        elif setting is not False:
            try:
                with translate(chain.w3):
                    address = resolve_address(chain.w3, "BackedReputationRegistry")
            except NotDeployed:
                log.info("chain %s: no BackedReputationRegistry deployed: settled orders' receipts are not recorded "
                         "there", chain.chain_id)
            else:
                registry = Reputation(chain.w3, address, chain_id=chain.chain_id, timeout=self.relayer._wait)
                if registry.settler != chain.intents.address:
                    log.warning("chain %s: the BackedReputationRegistry %s is bound to the settler %s, not this "
                                "chain's %s: receipts are not recorded there (name the registry bound to it in "
                                "`backed_reputation`)", chain.chain_id, address, registry.settler,
                                chain.intents.address)
                    registry = None
        if registry is not None and chain.chain_id not in self.registries:
            log.info("chain %s: recording settled orders' receipts in %s", chain.chain_id, registry.address)
        self.registries[chain.chain_id] = registry

    def records(self, chain_id: int) -> bool:
        """Whether receipts of orders settled on `chain_id` are recorded."""
        return self.registries.get(chain_id) is not None

    def progress(self) -> str:
        counts = self.store.receipt_counts()
        return "receipts: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none yet")

    # ------------------------------------------------------------ the round

    def round(self, chain: _Chain, report: StepReport) -> None:
        """Record the pending receipts of orders settled on `chain` (raises what its RPC raises)."""
        registry = self.registries.get(chain.chain_id)
        if registry is None:
            return
        rows = self.store.receipts(chain.chain_id, "pending", "sent", ready=True)
        if not rows:
            return
        safe = chain.link.safe_block()
        pipeline: Pipeline | None = None
        sent: list[tuple[ReceiptRow, str]] = []
        for row in rows:
            order_id = bytes.fromhex(row.order_id[2:])
            if _shown(registry, order_id, safe):
                self.store.update_receipt(row.order_id, state="recorded", done_at=time.time())
                log.info("order %s: its receipt is recorded in chain %s's backed registry (%s)", row.order_id[:10],
                         chain.chain_id, f"tx {row.tx_hash}" if row.tx_hash else "by someone else")
                continue
            if _shown(registry, order_id, "latest"):
                continue  # recorded (by us or anyone), not yet `confirmations` deep
            if row.tx_hash:
                status = _tx_status(chain.w3, row.tx_hash)
                if status in ("pending", "mined"):
                    continue
                self.store.update_receipt(row.order_id, state="pending", tx_hash=None)
                if status == "reverted":
                    self.store.receipt_failed(row.order_id, f"tx {row.tx_hash} reverted",
                                              self.relayer._backoff(row.attempts))
                    log.warning("chain %s: recordReceipt of order %s (tx %s) reverted; retrying after a backoff",
                                chain.chain_id, row.order_id[:10], row.tx_hash)
                    continue
                log.warning("chain %s: recordReceipt of order %s (tx %s) is no longer known (a reorg?); sending it "
                            "again", chain.chain_id, row.order_id[:10], row.tx_hash)
            fields = self._fields(chain, row, safe)
            if fields is None:
                continue
            pipeline = pipeline or Pipeline(chain.w3, self.relayer.sender, chain.chain_id)
            ctx = RevertContext(action="record the receipt of", chain_id=chain.chain_id, order_id=row.order_id,
                                registry=registry.address)
            try:
                prepared = pipeline.prepare(registry.address,
                                            HexBytes(registry.contract.encode_abi("recordReceipt", fields)), ctx)
            except ContractRevert as exc:
                if exc.reason == RECORDED:
                    continue  # recorded by someone meanwhile: seen as such next round, nothing spent
                self.store.receipt_failed(row.order_id, str(exc), self.relayer._backoff(row.attempts))
                report.errors.append(str(exc))
                log.warning("chain %s: the receipt of order %s is refused: %s; retrying after a backoff",
                            chain.chain_id, row.order_id[:10], exc)
                continue
            self.store.update_receipt(row.order_id, state="sent", tx_hash=prepared.tx_hash)
            pipeline.send(prepared)
            sent.append((row, prepared.tx_hash))
        if pipeline is None or not sent:
            return
        receipts = pipeline.wait([h for _, h in sent], timeout=self.relayer._wait, stop=self.relayer.stopping)
        for row, tx_hash in sent:
            receipt = receipts.get(tx_hash)
            if receipt is None:
                log.info("chain %s: recordReceipt of order %s (tx %s) not mined yet; looked at again next round",
                         chain.chain_id, row.order_id[:10], tx_hash)
            elif receipt["status"] != 1:
                log.warning("chain %s: recordReceipt of order %s (tx %s) reverted; looked at again next round",
                            chain.chain_id, row.order_id[:10], tx_hash)
            else:
                report.receipts_recorded += 1
                log.info("chain %s: recorded the receipt of order %s (tx %s, %s gas)", chain.chain_id,
                         row.order_id[:10], tx_hash, f"{int(receipt['gasUsed']):,}")

    def _fields(self, chain: _Chain, row: ReceiptRow, safe: int) -> tuple[Any, ...] | None:
        """``recordReceipt``'s arguments for `row`, checked against the origin's receipt at `safe`;
        None when it cannot be recorded now (held back) or at all (refused)."""
        order = Order.from_origin_data(row.origin_data)
        held = chain.intents.settlement_receipt(order.order_id, block=safe)
        if held is None:  # written down settled at this depth: only a reorg deeper than it (halted) undoes that
            self.store.receipt_failed(row.order_id, "the origin does not show it settled",
                                      self.relayer._backoff(row.attempts))
            return None
        record = self.store.record(row.order_id)
        fill = None
        if record is not None and record.kind == RECORD_FILLED and record.payout is not None:
            fill = FillRecord(payout=record.payout, filler_agent_id=record.filler_agent_id)
        if fill is None or order.receipt(fill) != held:  # settled with a fill we did not read: the logs say
            try:
                found = chain.intents.settled(order.order_id, chain.config.start_block)
            except InvalidInput as exc:
                self._refused(chain, row, str(exc))
                return None
            if found is None:
                self.store.receipt_failed(row.order_id, "the origin does not show it settled",
                                          self.relayer._backoff(row.attempts))
                return None
            order, fill = found
        return (order.order_id, order.user, order.data.agent_id, fill.filler_agent_id,
                order.data.destination_chain_id, fill.payout, [i.as_tuple() for i in order.data.inputs])

    def _refused(self, chain: _Chain, row: ReceiptRow, reason: str) -> None:
        self.store.update_receipt(row.order_id, state="refused", last_error=reason[:500])
        log.error("chain %s: the receipt of order %s cannot be recorded: %s; left (--resync %s looks again)",
                  chain.chain_id, row.order_id[:10], reason, chain.chain_id)


def _shown(registry: Reputation, order_id: bytes, block: BlockIdentifier) -> bool:
    """Whether `registry` holds the receipt of `order_id` at `block`."""
    with translate(registry.w3):
        user = registry.contract.functions.receiptOf(order_id).call(block_identifier=block)[0]
    return int(user, 16) != 0


__all__ = ["Receipts"]
