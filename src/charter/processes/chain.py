"""One chain as a long-running process sees it: a bounded RPC, the chain's identity, and whether to act on it.

Production RPCs lag behind load balancers, hang, get reset and get
mistyped. A :class:`Link` makes each of those visible instead of silent:

- every request has a deadline (``rpc_timeout``) and no hidden retries
  (web3's own retry loop multiplied a 30 s timeout into 150 s stalls);
  the process retries a failed chain with backoff, one chain at a time;
- the chain's identity (``eth_chainId`` and its genesis block hash) is
  learned on first contact and kept in the process's SQLite file: an RPC
  that now answers for another chain, or a chain reset behind the same URL
  (a new genesis), **halts** the link: the process stops acting on that
  chain, says why, and keeps serving the others;
- each scan cursor keeps the hash of the last block it read: if that block
  changed (a reorg deeper than the confirmation depth), the link halts too,
  and the error says so; a head below the cursor (a lagging backend) makes
  the link wait without acting.

A halted link stays halted across restarts (the identity and the hashes are
in the file) until the operator, having looked, runs the process once with
``--resync CHAIN_ID`` (:meth:`Store.resync`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from web3 import Web3

from ..exceptions import CharterError
from .store import Store

log = logging.getLogger("charter.chain")

MAX_BACKOFF = 60.0


class ChainHalted(CharterError):
    """The chain is not the one the process's state was built on (another chain id, a new
    genesis, a block it read replaced by a reorg deeper than its confirmations)."""


class ChainBehind(CharterError):
    """The RPC shows the chain behind what the process already read: wait, act on nothing."""


def connect(url: str, timeout: float) -> Web3:
    """A Web3 over HTTP whose every request gives up after `timeout` seconds, once."""
    provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
    w3 = Web3(provider)
    # web3's validation middleware asks eth_chainId twice for every eth_call, eth_estimateGas and
    # transaction (40 % of the processes' requests); the processes sign with an explicit chain id
    # and Link.verify checks the chain's identity on its own schedule
    w3.middleware_onion.remove("validation")
    return w3


def describe(exc: BaseException) -> str:
    """One line for an RPC failure (requests' own messages run to several lines of pool details)."""
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    if "Timeout" in name or "timed out" in text:
        return f"no answer in time ({name})"
    if "ConnectionError" in name or "Connection refused" in text:
        return "connection refused or reset (is the node up?)"
    return text[:300] or name


@dataclass
class Link:
    """One configured chain of a process: its RPC, identity checks and failure state."""

    chain_id: int
    rpc: str
    w3: Web3
    store: Store
    confirmations: int
    poll_interval: float = 1.0
    failures: int = 0
    retry_at: float = 0.0
    halted: str | None = None
    """Why the process stopped acting on this chain (None: it acts)."""
    behind: str | None = None
    """Why it is waiting for the RPC to catch up (None: it is not)."""
    identity_checked_at: float = 0.0

    # ------------------------------------------------------------ health

    @property
    def ready(self) -> bool:
        """Whether the process may act on this chain now (not halted, not backing off)."""
        return self.halted is None and time.monotonic() >= self.retry_at

    @property
    def state(self) -> str:
        if self.halted:
            return "halted"
        if self.failures:
            return "unreachable"
        if self.behind:
            return "behind"
        return "ok"

    def halt(self, reason: str) -> ChainHalted:
        """Stop acting on this chain (once, loudly) and return the exception to raise."""
        if self.halted is None:
            self.halted = reason
            log.error("chain %s halted: %s; the process no longer acts on it (the other chains go on). "
                      "Once you have checked the chain, resume it with --resync %s", self.chain_id, reason,
                      self.chain_id)
        return ChainHalted(f"chain {self.chain_id} halted: {reason}")

    def wait(self, reason: str) -> ChainBehind:
        """Act on nothing of this chain until its RPC catches up (warned once per episode);
        the exception to raise."""
        if self.behind is None:
            log.warning("chain %s: %s", self.chain_id, reason)
        self.behind = reason
        return ChainBehind(f"chain {self.chain_id}: {reason}")

    def failed(self, exc: BaseException) -> float:
        """Count a failure of this chain's RPC; the seconds until it is tried again."""
        self.failures += 1
        delay = float(min(MAX_BACKOFF, self.poll_interval * 2 ** min(self.failures - 1, 10)))
        self.retry_at = time.monotonic() + delay
        return delay

    def succeeded(self) -> None:
        if self.failures:
            log.info("chain %s: reachable again after %s failures", self.chain_id, self.failures)
        self.failures = 0

    # ------------------------------------------------------------ identity

    def verify(self, every: float = 0.0) -> None:
        """Check (at most every `every` seconds) that the RPC still answers for the chain the
        state was built on: its chain id and its genesis block. Raises :class:`ChainHalted`."""
        if self.halted is not None:
            raise ChainHalted(f"chain {self.chain_id} halted: {self.halted}")
        now = time.monotonic()
        if every and now - self.identity_checked_at < every:
            return
        answered = int(self.w3.eth.chain_id)
        if answered != self.chain_id:
            raise self.halt(f"its RPC {self.rpc} answers for chain id {answered}, not {self.chain_id} "
                            "(swapped or mistyped rpc?)")
        genesis = self.w3.eth.get_block(0)["hash"].to_0x_hex()
        known = self.store.meta(f"genesis:{self.chain_id}")
        if known is None:
            self.store.set_meta(f"genesis:{self.chain_id}", genesis)
        elif known != genesis:
            raise self.halt(f"its genesis block is now {genesis[:12]}…, not {known[:12]}… as when this state "
                            "was built: the chain was reset, or the RPC serves another chain")
        self.identity_checked_at = now

    # ------------------------------------------------------------ scanning

    def head(self) -> int:
        return int(self.w3.eth.block_number)

    def scan_range(self, cursor: str, start_block: int, span: int) -> tuple[int, int] | None:
        """The next confirmed block range (first, last) to read for `cursor`, or None when
        nothing new is confirmed. Checks that the last block read is still the chain's:
        raises :class:`ChainHalted` after a reorg deeper than the confirmations, and
        :class:`ChainBehind` while the RPC is behind the cursor (a lagging backend)."""
        start, anchor = self.store.cursor_at(cursor, start_block)
        head = self.head()
        if start - 1 > head:
            self.verify()  # a reset chain shows a new genesis: halted, not merely behind
            raise self.wait(f"its RPC's head {head} is below block {start - 1}, already read "
                            "(a lagging backend?); waiting for it")
        if anchor is not None:
            block = self.w3.eth.get_block(start - 1)
            if block is None:
                raise self.wait(f"its RPC does not serve block {start - 1} yet; waiting for it")
            now = block["hash"].to_0x_hex()
            if now != anchor:
                self.verify()
                raise self.halt(f"block {start - 1} is now {now[:12]}…, not {anchor[:12]}… as when it was read: "
                                f"a reorg deeper than its {self.confirmations} confirmations")
        self.behind = None
        safe = head - self.confirmations
        if start > safe:
            return None
        return start, min(safe, start + span - 1)

    def block_hash(self, number: int) -> str:
        block = self.w3.eth.get_block(number)
        if block is None:
            raise ChainBehind(f"chain {self.chain_id}: its RPC does not serve block {number}")
        return str(block["hash"].to_0x_hex())

    def unchanged(self, number: int, block_hash: str) -> None:
        """Raise :class:`ChainBehind` (read the range again next round) if block `number` is no
        longer `block_hash`: the chain reorganised while its logs were read, and they may belong
        to either history. A reorg below the range is then seen by the cursor's own check."""
        now = self.block_hash(number)
        if now != block_hash:
            raise ChainBehind(f"chain {self.chain_id}: block {number} changed while its range was read "
                              "(a reorg); reading it again")

    def safe_block(self) -> int:
        """The newest block at the confirmation depth."""
        return max(0, self.head() - self.confirmations)


class ChainReport(Protocol):
    """What a round of the relayer or the solver reports of its chains."""

    errors: list[str]
    failed_chains: list[int]


def guarded(link: Link, report: ChainReport, work: Callable[[], None]) -> None:
    """Run one chain's `work` unless the chain is halted or backing off: a lagging RPC makes it
    wait, a halt stops it, any other failure backs it off; never raises (one chain's failure
    must not stop the others)."""
    if not link.ready:
        report_failed(report, link.chain_id)
        return
    try:
        work()
        link.succeeded()
    except ChainBehind as exc:
        report.errors.append(str(exc))
    except ChainHalted as exc:
        report.errors.append(str(exc))
        report_failed(report, link.chain_id)
    except Exception as exc:  # noqa: BLE001 - one chain's failure must not stop the others
        chain_failed(link, report, exc)


def chain_failed(link: Link, report: ChainReport, exc: Exception) -> None:
    """Count `exc` against `link` (backoff) and say so, in the report and the log."""
    delay = link.failed(exc)
    report.errors.append(f"chain {link.chain_id}: {exc}")
    report_failed(report, link.chain_id)
    log.warning("chain %s: %s; retrying in %.1f s", link.chain_id, describe(exc), delay)


def report_failed(report: ChainReport, chain_id: int) -> None:
    if chain_id not in report.failed_chains:
        report.failed_chains.append(chain_id)


__all__ = ["MAX_BACKOFF", "ChainBehind", "ChainHalted", "ChainReport", "Link", "chain_failed", "connect", "describe",
           "guarded"]
