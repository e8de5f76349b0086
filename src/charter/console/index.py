"""The console's cache: one principal's agents, accounts, grants and intents on every configured chain.

    index = ConsoleIndex("console.sqlite", principal, [(31337, w3_a), (31338, w3_b)])
    report = index.refresh()          # what is new since the last refresh (truthy when anything changed)
    index.grants(status="active")     # reads: SQLite only, no RPC
    index.agents(); index.accounts(); index.intents(); index.totals(); index.grant(chain_id, grant_hash)

What it follows, per chain:

- **agents** the principal owns (the registry's ``Transfer`` events to or from the principal,
  kept while ``ownerOf`` is the principal) and those its grants name; their status, owner,
  wallet, URI and card (:mod:`charter.console.cards`), and the chains where each is
  represented (``Represented`` events on the other configured chains whose home is this
  chain and agent);
- **accounts**: the principal's own address when it is a Charter account (EIP-7702), its
  deployed accounts (``account_address(principal, salt)`` for the configured salts) and any
  address given; kind, owner, epoch, maximum session length, native and token balances;
- **grants** of those accounts: ``GrantActivated`` / ``GrantRevoked`` / ``AllGrantsRevoked``
  events; each grant's body is recovered once from the activating transaction
  (``SessionsView.grants_in_input``); the state of every grant that can still change is read
  again each refresh (``grantState`` and ``tokenAllowance`` in JSON-RPC batches), and the
  standing allowances of the grants still in force every :data:`ALLOWANCE_RECHECK` seconds;
- **intents**: ``Open`` orders whose user is one of the accounts or whose agent the principal
  owns, with the order's state (origin, and destination when that chain is configured).

The file (SQLite, WAL) keeps per chain a cursor (the next block to read and the hash of the
block before it) and the last :data:`CHECKPOINTS` (block, hash) pairs read. Each refresh first
checks the cursor's block: if its hash changed (a reorg, or an ``evm_revert``), the newest
checkpoint whose block is unchanged is where the chain's history still holds; every row read
from a later block is rolled back (events, orders; grants and orders are read again) and the
blocks after it are read again. A chain whose genesis changed (reset) is read again from its
start. A refresh that sees the head change while it reads leaves the cursor where it was.

Reads (:meth:`agents`, :meth:`accounts`, :meth:`grants`, :meth:`grant`, :meth:`intents`,
:meth:`totals`, :meth:`chains`) come from the file only: the words and values are computed by
the refresh and stored, only the time words (time left, expiry) are brought up to date as read.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from .._core.checks import salt_bytes
from .._core.deployments import Manifest
from ..accounts.models import AccountKind
from ..client import Charter
from ..exceptions import CharterError, InvalidInput
from ..intents.models import NATIVE as INTENT_NATIVE
from ..intents.models import Order, OrderStatus
from ..processes.chain import describe as describe_error
from ..registry.models import AgentStatus
from ..sessions.allowances import Standing, candidate_tokens, spenders, standing_allowances
from ..sessions.calldata import GRANT_TYPE
from ..sessions.describe import GrantWords, TokenInfo, TokenLookup
from ..sessions.models import TOKEN_SELECTORS, Grant, GrantState, GrantStatus, SignedGrant
from ..sessions.view import grant_problem, grant_state
from .cards import AgentCard, fetch_card
from .words import (
    AT_RISK,
    ETH,
    NATIVE,
    BudgetRow,
    Names,
    Risk,
    add_up,
    agent_words,
    ago,
    budget_rows,
    combine,
    describe,
    short_address,
    value_at_risk,
    warnings,
    window_words,
)

log = logging.getLogger("charter.console")

SCHEMA_VERSION = 1
CHECKPOINTS = 64
"""How many (block, hash) pairs are kept per chain to find where a reorganised chain still holds."""
LOG_SPAN = 10_000
"""The most blocks one ``eth_getLogs`` covers."""
BATCH = 250
"""Requests per JSON-RPC batch."""
THREADS = 8
"""Requests in flight at once when a node takes no batches."""
ALLOWANCE_RECHECK = 600.0
"""Seconds between two looks for standing allowances of one grant in force."""

_GRANT_STATE = keccak(text=f"grantState({GRANT_TYPE})")[:4]
_TOKEN_ALLOWANCE = keccak(text=f"tokenAllowance({GRANT_TYPE},address)")[:4]
_BALANCE_OF = keccak(text="balanceOf(address)")[:4]
_FINAL = (GrantStatus.REVOKED, GrantStatus.REVOKED_ALL, GrantStatus.EXPIRED, GrantStatus.EXHAUSTED,
          GrantStatus.AGENT_TRANSFERRED)
"""Statuses a grant never leaves (short of a reorg)."""
_ORDER_FINAL = (OrderStatus.SETTLED, OrderStatus.REFUNDED)

STATUS_KEYS: dict[GrantStatus, str] = {
    GrantStatus.PENDING: "pending",
    GrantStatus.ACTIVE: "active",
    GrantStatus.REVOKED: "revoked",
    GrantStatus.REVOKED_ALL: "revoked all",
    GrantStatus.EXPIRED: "expired",
    GrantStatus.NOT_YET_VALID: "not yet valid",
    GrantStatus.AGENT_INACTIVE: "agent inactive",
    GrantStatus.EXHAUSTED: "exhausted",
    GrantStatus.AGENT_TRANSFERRED: "agent transferred",
}
"""A grant's status as the console names it (and filters by it)."""
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "revoked": ("revoked", "revoked all"),
    "usable": ("pending", "active"),
    "in force": ("pending", "active", "not yet valid", "agent inactive"),
}
"""Filter words that stand for several statuses."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (chain_id INTEGER PRIMARY KEY, next_block INTEGER NOT NULL, block_hash TEXT);
CREATE TABLE IF NOT EXISTS checkpoints (
    chain_id INTEGER NOT NULL, block INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (chain_id, block));
CREATE TABLE IF NOT EXISTS watched (
    chain_id INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (chain_id, kind, key));
CREATE TABLE IF NOT EXISTS transfers (
    chain_id INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, agent_id TEXT NOT NULL,
    from_address TEXT NOT NULL, to_address TEXT NOT NULL, PRIMARY KEY (chain_id, block, log_index));
CREATE TABLE IF NOT EXISTS represented (
    chain_id INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, agent_id TEXT NOT NULL,
    home_chain INTEGER NOT NULL, home_agent_id TEXT NOT NULL, inbox TEXT NOT NULL, status INTEGER NOT NULL,
    PRIMARY KEY (chain_id, block, log_index));
CREATE TABLE IF NOT EXISTS revoke_all (
    chain_id INTEGER NOT NULL, block INTEGER NOT NULL, log_index INTEGER NOT NULL, account TEXT NOT NULL,
    epoch INTEGER NOT NULL, PRIMARY KEY (chain_id, block, log_index));
CREATE TABLE IF NOT EXISTS grants (
    chain_id INTEGER NOT NULL,
    grant_hash TEXT NOT NULL,
    account TEXT NOT NULL,
    agent_id TEXT,
    session_key TEXT,
    valid_until INTEGER,
    activated_block INTEGER,
    log_index INTEGER,
    activated_tx TEXT,
    activated_at INTEGER,
    revoked_block INTEGER,
    revoked_by TEXT,
    tracked INTEGER NOT NULL DEFAULT 0,
    body TEXT,
    body_tried INTEGER NOT NULL DEFAULT 0,
    state TEXT,
    final INTEGER NOT NULL DEFAULT 0,
    standing TEXT,
    standing_at REAL NOT NULL DEFAULT 0,
    sort_time INTEGER NOT NULL DEFAULT 0,
    raw TEXT,
    inputs TEXT,
    status TEXT,
    view TEXT,
    PRIMARY KEY (chain_id, grant_hash)
);
CREATE INDEX IF NOT EXISTS grants_sort ON grants (sort_time DESC, chain_id, activated_block DESC, log_index DESC);
CREATE INDEX IF NOT EXISTS grants_live ON grants (chain_id, final);
CREATE TABLE IF NOT EXISTS accounts (
    chain_id INTEGER NOT NULL, address TEXT NOT NULL, view TEXT NOT NULL, PRIMARY KEY (chain_id, address));
CREATE TABLE IF NOT EXISTS balances (
    chain_id INTEGER NOT NULL, account TEXT NOT NULL, token TEXT NOT NULL, amount TEXT NOT NULL,
    PRIMARY KEY (chain_id, account, token));
CREATE TABLE IF NOT EXISTS tokens (
    chain_id INTEGER NOT NULL, token TEXT NOT NULL, decimals INTEGER, symbol TEXT, PRIMARY KEY (chain_id, token));
CREATE TABLE IF NOT EXISTS agents (
    chain_id INTEGER NOT NULL, agent_id TEXT NOT NULL, uri TEXT, view TEXT NOT NULL, PRIMARY KEY (chain_id, agent_id));
CREATE TABLE IF NOT EXISTS cards (uri TEXT PRIMARY KEY, card TEXT NOT NULL, fetched_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    origin_chain INTEGER NOT NULL,
    dest_chain INTEGER NOT NULL,
    block INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    origin_data BLOB NOT NULL,
    final INTEGER NOT NULL DEFAULT 0,
    fill TEXT,
    view TEXT
);
CREATE TABLE IF NOT EXISTS chains (chain_id INTEGER PRIMARY KEY, view TEXT NOT NULL);
"""


# ---------------------------------------------------------------- what the reads return


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Representation(_View):
    """An agent's mirror on another chain (its registry's ``Represented`` events)."""

    chain_id: int
    agent_id: int
    """Its id there (``representedId(inbox, home chain, home id)``)."""
    inbox: str
    status: str
    """``active``, ``paused`` or ``retired``, as last delivered."""
    block: int

    def __str__(self) -> str:
        return f"chain {self.chain_id}" + ("" if self.status == "active" else f" ({self.status})")


class AgentView(_View):
    """One agent the principal owns, or that one of the principal's grants names, on one chain."""

    chain_id: int
    agent_id: int
    label: str
    """``agent 3 (Trader)``: the card's name when there is one."""
    status: str
    """``active``, ``paused``, ``retired`` (``unknown``: the registry did not answer)."""
    owner: str | None = None
    wallet: str | None = None
    wallet_verified: bool = False
    uri: str | None = None
    owned: bool
    """The principal owns it now."""
    formerly_owned: bool = False
    """The principal owned it and transferred it away."""
    acts_for: list[str] = []
    """The principal's accounts (on this chain) whose grants name it."""
    name: str | None = None
    description: str | None = None
    card: AgentCard | None = None
    card_unverified: bool = False
    """The name and description come from a server (http), not from the chain."""
    home: str | None = None
    """For an agent represented here from another chain: ``chain 31337, agent 1``."""
    represented_on: list[Representation] = []
    grants_in_force: int = 0
    grants_total: int = 0


class Holding(_View):
    """What an account holds of one token (or of the native coin: `token` :data:`~.words.NATIVE`)."""

    token: str
    symbol: str | None = None
    decimals: int | None = None
    amount: int
    text: str

    @property
    def native(self) -> bool:
        return self.token == NATIVE

    def __str__(self) -> str:
        return self.text


class AccountView(_View):
    """One of the principal's accounts on one chain."""

    chain_id: int
    address: str
    label: str
    kind: str | None
    """``eip7702`` (the principal's EOA, delegated), ``deployed`` or None (not a Charter account)."""
    relation: str
    """``your address``, ``deployed, salt 0`` or ``given``."""
    owner: str | None = None
    epoch: int = 0
    max_session_length: int = 0
    revoked_all_at: int | None = None
    """The block of its last ``AllGrantsRevoked`` (None: never)."""
    balances: list[Holding] = []
    """Native first, then every token its grants budget or may move."""
    grants_in_force: int = 0
    grants_total: int = 0


class GrantView(_View):
    """One grant of one of the principal's accounts, ready for a page."""

    chain_id: int
    grant_hash: str
    account: str
    account_label: str
    agent_id: int | None
    agent_label: str
    session_key: str | None
    status: str
    """A :data:`STATUS_KEYS` value (``active``, ``expired``, ``revoked``...), or ``unknown`` when the
    grant's body could not be recovered from its transaction."""
    status_label: str
    """The status in words, with the reason a use would be refused anyway (`problem`)."""
    problem: str | None = None
    revocable: bool
    """Revoking it would change something (it is not revoked, expired, used up or void)."""
    known: bool
    """Its body is known (recovered from its transaction, or given): everything below is read."""
    tracked: bool = False
    """Signed off chain and given to the index (:meth:`ConsoleIndex.track`), maybe never used."""
    scope: list[str] = []
    """What it may call, one line per permission (conditions and value per call included)."""
    budget_lines: list[str] = []
    """Its budgets as granted (token budgets and guards, native)."""
    limits: list[str] = []
    """Call limit, minimum interval."""
    budgets: list[BudgetRow] = []
    """Each budget with what is spent and left (tokens, native, calls)."""
    unbounded: list[str] = []
    warnings: list[str] = []
    valid_after: int | None = None
    valid_until: int | None = None
    window: str = ""
    seconds_left: int | None = None
    calls_used: int = 0
    calls_left: str = "no limit"
    max_calls: int = 0
    last_call: int | None = None
    last_use: str = "never"
    risks: list[Risk] = []
    value_at_risk: list[str] = []
    """`risks` in words: ``70 USDC (what is left of its budget)``."""
    epoch: int | None = None
    activated_block: int | None = None
    activated_tx: str | None = None
    activated_at: int | None = None
    revoked_by: str | None = None


class IntentView(_View):
    """One order of the principal's accounts or agents."""

    order_id: str
    origin_chain: int
    destination_chain: int
    user: str
    agent_id: int
    relation: str
    """``your account`` or ``your agent``."""
    state: str
    """``open``, ``filled``, ``settled``, ``refunded``, ``expired`` (:class:`~charter.intents.OrderStatus`)."""
    origin_status: str
    destination: str
    """What the destination holds: ``filled by 0x… (agent 7)``, ``recorded unfilled``, ``nothing yet``,
    or ``not configured``."""
    filler: str | None = None
    filler_agent_id: int | None = None
    payout: str | None = None
    summary: str
    """``10 DEMO on 31337 for 9.9 DEMO on 31338``."""
    lines: list[str]
    fill_deadline: int
    refund_after: int
    opened_block: int
    opened_tx: str


class RiskTotal(_View):
    """What could still move out of one account, or through one agent, per token."""

    label: str
    address: str | None = None
    """The account (same address on every chain)."""
    agent_id: int | None = None
    chain_id: int | None = None
    """The agent's chain (agent ids are per chain)."""
    chains: list[int] = []
    risks: list[Risk] = []
    risk: list[str] = []
    """`risks` in words, one per chain and token: ``chain 31337: 70 USDC``."""


class Totals(_View):
    accounts: list[RiskTotal] = []
    agents: list[RiskTotal] = []


class ChainView(_View):
    """How far the index read one chain."""

    chain_id: int
    block: int | None = None
    """The last block read."""
    block_time: int | None = None
    refreshed_at: float | None = None
    error: str | None = None
    """Why the last refresh of this chain failed (None: it did not)."""
    reorgs: int = 0


@dataclass
class ChainRefresh:
    """What one refresh read of one chain."""

    chain_id: int
    from_block: int | None = None
    """The first block read (None: nothing new)."""
    to_block: int | None = None
    logs: int = 0
    reorg: bool = False
    rolled_back_to: int | None = None
    """After a reorg: the last block still held; every block after it was read again."""
    states_read: int = 0
    bodies_read: int = 0
    error: str | None = None


@dataclass
class RefreshReport:
    """What a refresh did; truthy when anything a page shows changed."""

    chains: list[ChainRefresh] = field(default_factory=list)
    changed: bool = False
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.changed

    @property
    def errors(self) -> list[str]:
        return [f"chain {c.chain_id}: {c.error}" for c in self.chains if c.error]

    def chain(self, chain_id: int) -> ChainRefresh:
        return next(c for c in self.chains if c.chain_id == chain_id)


# ---------------------------------------------------------------- the index


@dataclass
class _Chain:
    chain_id: int
    w3: Web3
    start_block: int = 0
    charter: Charter | None = None
    tokens: TokenLookup | None = None
    batch: bool = True
    """Whether its node takes JSON-RPC batches (else requests go in parallel threads)."""
    names: dict[str, str] = field(default_factory=dict)
    labels: Names | None = None


class _Retry(CharterError):
    """The chain moved while it was read: read it again next refresh."""


def _topic(address: str) -> str:
    return "0x" + bytes(HexBytes(address)).rjust(32, b"\x00").hex()


def _uint_topic(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def _hex(value: Any) -> str:
    return HexBytes(value).to_0x_hex()


class ConsoleIndex:
    """One principal's agents, accounts, grants and intents on several chains, in one SQLite file.

    `chains`: (chain id, Web3) per chain. `accounts`: more account addresses to follow (on every
    chain) besides the principal's own address and its deployed accounts for `salts`.
    `address_book`: names for addresses. `tokens`: token addresses (any chain) whose balances
    to show even when no grant names them. `start_blocks`: where to start reading a chain
    (default 0). `manifest`: where the suite is, when not at its CREATE2 addresses. `reader`:
    ``batch`` (JSON-RPC batches; a node that refuses them gets ``threads``) or ``threads``.
    """

    def __init__(
        self,
        db_path: str | Path,
        principal: str,
        chains: Sequence[tuple[int, Web3]],
        accounts: Iterable[str] = (),
        address_book: dict[str, str] | None = None,
        *,
        salts: Iterable[int | bytes | str] = (0,),
        tokens: Iterable[str] = (),
        start_blocks: dict[int, int] | None = None,
        manifest: Manifest | None = None,
        reader: Literal["batch", "threads"] = "batch",
        fetch_cards: bool = True,
    ) -> None:
        self.path = Path(db_path)
        self.principal = Web3.to_checksum_address(principal)
        ids = [chain_id for chain_id, _ in chains]
        if len(set(ids)) != len(ids) or not ids:
            raise InvalidInput(f"the console needs distinct chains, got {ids}")
        starts = start_blocks or {}
        self._chains = [_Chain(chain_id, w3, starts.get(chain_id, 0), batch=reader == "batch")
                        for chain_id, w3 in chains]
        self.extra_accounts: list[str] = [Web3.to_checksum_address(a) for a in accounts]
        self.salts = [salt_bytes(s) for s in salts]
        self.address_book: dict[str, str] = {Web3.to_checksum_address(a): n for a, n in (address_book or {}).items()}
        self.watch_tokens: list[str] = [Web3.to_checksum_address(t) for t in tokens]
        self.manifest = manifest
        self.fetch_cards = fetch_cards
        self._local = threading.local()
        self._refresh_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._cache: tuple[str | None, list[GrantView]] | None = None
        self._bodies: dict[tuple[int, str], _Body] = {}
        """Each grant's body, parsed once, with what never changes about it (calldata, words)."""
        if str(db_path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        db = self._db()
        db.executescript(_SCHEMA)
        version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        known = db.execute("SELECT value FROM meta WHERE key = 'principal'").fetchone()
        if version is not None and int(version[0]) != SCHEMA_VERSION:
            raise CharterError(f"{db_path} was written by another version of the console; use a new file")
        if known is not None and known[0] != self.principal:
            raise CharterError(f"{db_path} holds the console of {known[0]}, not of {self.principal}: use one file per "
                               "principal")
        with self._write() as w:
            w.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            w.execute("INSERT OR IGNORE INTO meta VALUES ('principal', ?)", (self.principal,))

    # ------------------------------------------------------------ the file

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (WAL: readers see the last committed refresh while one runs)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    def _write(self) -> _Transaction:
        return _Transaction(self._db())

    def close(self) -> None:
        """Close every connection the index opened."""
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _meta(self, key: str) -> str | None:
        row = self._db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    # ------------------------------------------------------------ off-chain grants

    def track(self, signed: SignedGrant) -> str:
        """Follow a grant signed off chain (it leaves no trace on chain until its first use): its
        state and value at risk are read from the next refresh on. Returns its hash (0x-hex)."""
        chain = self._chain(signed.chain_id)
        grant_hash = "0x" + signed.hash.hex()
        g = signed.grant
        with self._write() as w:
            w.execute(
                "INSERT INTO grants (chain_id, grant_hash, account, agent_id, session_key, valid_until, tracked, body, "
                "body_tried, sort_time) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 1, ?) ON CONFLICT(chain_id, grant_hash) DO "
                "UPDATE SET tracked = 1, body = excluded.body, final = 0",
                (chain.chain_id, grant_hash, g.account, str(g.agent_id), g.session_key, g.valid_until,
                 g.model_dump_json(), g.valid_after))
            w.execute("INSERT OR IGNORE INTO watched VALUES (?, 'account', ?)", (chain.chain_id, g.account))
        self._bump()
        return grant_hash

    def _chain(self, chain_id: int) -> _Chain:
        for c in self._chains:
            if c.chain_id == chain_id:
                return c
        raise InvalidInput(f"chain {chain_id} is not one of the console's chains "
                           f"({', '.join(str(c.chain_id) for c in self._chains)})")

    # ------------------------------------------------------------ refresh

    def refresh(self) -> RefreshReport:
        """Read what is new on every chain (one chain failing does not stop the others; its error
        is in the report and in :meth:`chains`). Returns a report, truthy when anything changed."""
        with self._refresh_lock:
            started = time.monotonic()
            report = RefreshReport()
            for c in self._chains:
                step = ChainRefresh(c.chain_id)
                report.chains.append(step)
                try:
                    report.changed |= self._refresh_chain(c, step)
                    error = None
                except _Retry as exc:
                    error = step.error = str(exc)
                except Exception as exc:  # noqa: BLE001 - one chain's failure must not stop the others
                    error = step.error = describe_error(exc)
                    log.warning("console: chain %s: %s", c.chain_id, error, exc_info=log.isEnabledFor(logging.DEBUG))
                self._chain_status(c.chain_id, error, step.reorg)
            try:
                report.changed |= self._refresh_orders()
            except Exception as exc:  # noqa: BLE001 - the orders wait for the next refresh
                log.warning("console: orders: %s", describe_error(exc))
            if report.changed or any(c.reorg for c in report.chains):
                self._bump()
            report.seconds = time.monotonic() - started
            return report

    def _bump(self) -> None:
        """Mark the file changed: readers parse the grants again."""
        with self._write() as w:
            w.execute("INSERT INTO meta VALUES ('version', '1') ON CONFLICT(key) DO UPDATE SET "
                      "value = CAST(value AS INTEGER) + 1")

    def _chain_status(self, chain_id: int, error: str | None, reorg: bool) -> None:
        row = self._db().execute("SELECT view FROM chains WHERE chain_id = ?", (chain_id,)).fetchone()
        view = ChainView.model_validate_json(row[0]) if row else ChainView(chain_id=chain_id)
        block_row = self._db().execute("SELECT next_block FROM cursors WHERE chain_id = ?", (chain_id,)).fetchone()
        clock = self._meta(f"time:{chain_id}")
        view = view.model_copy(update={
            "block": int(block_row[0]) - 1 if block_row else None,
            "block_time": int(clock.split(",")[0]) if clock else None,
            "refreshed_at": time.time() if error is None else view.refreshed_at,
            "error": error, "reorgs": view.reorgs + int(reorg)})
        with self._write() as w:
            w.execute("INSERT INTO chains VALUES (?, ?) ON CONFLICT(chain_id) DO UPDATE SET view = excluded.view",
                      (chain_id, view.model_dump_json()))

    def _connect(self, c: _Chain) -> Charter:
        if c.charter is None:
            answered = int(c.w3.eth.chain_id)
            if answered != c.chain_id:
                raise CharterError(f"the RPC given for chain {c.chain_id} answers for chain {answered}")
            c.charter = Charter.connect(c.w3, manifest=self.manifest)
            sessions = c.charter.sessions
            c.names = {
                c.charter.registry.address: "AgentRegistry", sessions.address: "SessionManager",
                sessions.view_address: "SessionView", c.charter.accounts.delegate: "AccountDelegate",
                c.charter.intents.address: "IntentSettler",
            }
            known: dict[str, TokenInfo] = {r[0]: TokenInfo(r[1], r[2]) for r in self._db().execute(
                "SELECT token, decimals, symbol FROM tokens WHERE chain_id = ?", (c.chain_id,))}
            c.tokens = TokenLookup(c.w3, known)
        return c.charter

    def _refresh_chain(self, c: _Chain, step: ChainRefresh) -> bool:
        charter = self._connect(c)
        changed = self._check_genesis(c, step)
        head = c.w3.eth.get_block("latest")
        head_number, head_hash = int(head["number"]), _hex(head["hash"])
        with self._write() as w:
            w.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      (f"time:{c.chain_id}", f"{int(head['timestamp'])},{time.time()}"))
        changed |= self._check_reorg(c, step, head_number)
        kinds = self._accounts_of(c, charter)
        accounts = list(kinds)
        changed |= self._catch_up(c, accounts)
        next_block = self._cursor(c)[0]
        if next_block <= head_number:
            step.from_block, step.to_block = next_block, head_number
            rows = _Rows()
            for lo in range(next_block, head_number + 1, LOG_SPAN):
                hi = min(head_number, lo + LOG_SPAN - 1)
                step.logs += self._read_events(c, lo, hi, accounts, self._owned_agents(c, rows), rows)
            if _hex(c.w3.eth.get_block(head_number)["hash"]) != head_hash:
                raise _Retry(f"block {head_number} changed while it was read (a reorg): read again next refresh")
            self._timestamps(c, rows)
            with self._write() as w:
                rows.write(w, c.chain_id)
                w.execute("INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT(chain_id) DO UPDATE SET "
                          "next_block = excluded.next_block, block_hash = excluded.block_hash",
                          (c.chain_id, head_number + 1, head_hash))
                w.execute("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)", (c.chain_id, head_number, head_hash))
                w.execute("DELETE FROM checkpoints WHERE chain_id = ? AND block NOT IN (SELECT block FROM checkpoints "
                          "WHERE chain_id = ? ORDER BY block DESC LIMIT ?)", (c.chain_id, c.chain_id, CHECKPOINTS))
            changed |= bool(rows)
        now = int(head["timestamp"])
        step.bodies_read = self._read_bodies(c, charter)
        step.states_read = self._read_states(c, charter, kinds, head_number)
        self._read_standing(c, now)
        changed |= self._read_accounts(c, charter, kinds, head_number)
        changed |= self._read_agents(c, charter)
        changed |= self._render(c, now)
        self._save_tokens(c)
        return changed

    # ------------------------------------------------------------ identity, cursor, reorgs

    def _check_genesis(self, c: _Chain, step: ChainRefresh) -> bool:
        genesis = _hex(c.w3.eth.get_block(0)["hash"])
        known = self._meta(f"genesis:{c.chain_id}")
        if known == genesis:
            return False
        with self._write() as w:
            if known is not None:
                log.warning("console: chain %s has a new genesis (reset): reading it again from block %s",
                            c.chain_id, c.start_block)
                self._rollback(w, c, c.start_block - 1)
                step.reorg, step.rolled_back_to = True, c.start_block - 1
            w.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      (f"genesis:{c.chain_id}", genesis))
        return known is not None

    def _cursor(self, c: _Chain) -> tuple[int, str | None]:
        row = self._db().execute("SELECT next_block, block_hash FROM cursors WHERE chain_id = ?",
                                 (c.chain_id,)).fetchone()
        return (int(row[0]), row[1]) if row else (c.start_block, None)

    def _hash_of(self, c: _Chain, number: int) -> str | None:
        try:
            block = c.w3.eth.get_block(number)
        except Exception:  # noqa: BLE001 - a block past the head (the chain went back) has no hash
            return None
        return _hex(block["hash"]) if block is not None else None

    def _check_reorg(self, c: _Chain, step: ChainRefresh, head: int) -> bool:
        """If the last block read is no longer the chain's, roll back to the newest checkpoint that
        still is (or the start) and say so."""
        next_block, anchor = self._cursor(c)
        if anchor is None or (next_block - 1 <= head and self._hash_of(c, next_block - 1) == anchor):
            return False
        good = c.start_block - 1
        for block, known in self._db().execute(
                "SELECT block, hash FROM checkpoints WHERE chain_id = ? ORDER BY block DESC", (c.chain_id,)).fetchall():
            if block <= head and self._hash_of(c, block) == known:
                good = int(block)
                break
        log.warning("console: chain %s reorganised: block %s is no longer the one read; reading again after "
                    "block %s", c.chain_id, next_block - 1, good)
        with self._write() as w:
            self._rollback(w, c, good)
        step.reorg, step.rolled_back_to = True, good
        return True

    def _rollback(self, w: sqlite3.Connection, c: _Chain, good: int) -> None:
        """Forget what was read of `c` after block `good`: its events and orders go, its grants'
        and orders' states are read again; the cursor goes back to block `good + 1`."""
        chain = c.chain_id
        for table in ("transfers", "represented", "revoke_all"):
            w.execute(f"DELETE FROM {table} WHERE chain_id = ? AND block > ?", (chain, good))  # noqa: S608
        w.execute("DELETE FROM grants WHERE chain_id = ? AND activated_block > ? AND tracked = 0", (chain, good))
        w.execute("UPDATE grants SET activated_block = NULL, log_index = NULL, activated_tx = NULL, "
                  "activated_at = NULL WHERE chain_id = ? AND activated_block > ?", (chain, good))
        w.execute("UPDATE grants SET revoked_block = NULL, revoked_by = NULL WHERE chain_id = ? AND revoked_block > ?",
                  (chain, good))
        w.execute("DELETE FROM grants WHERE chain_id = ? AND activated_block IS NULL AND revoked_block IS NULL "
                  "AND tracked = 0", (chain,))
        w.execute("UPDATE grants SET final = 0, standing_at = 0, raw = NULL, inputs = NULL WHERE chain_id = ?",
                  (chain,))
        w.execute("DELETE FROM orders WHERE origin_chain = ? AND block > ?", (chain, good))
        w.execute("UPDATE orders SET final = 0, fill = NULL WHERE origin_chain = ? OR dest_chain = ?", (chain, chain))
        w.execute("DELETE FROM checkpoints WHERE chain_id = ? AND block > ?", (chain, good))
        anchor = self._hash_of(c, good) if good >= c.start_block else None
        w.execute("INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT(chain_id) DO UPDATE SET "
                  "next_block = excluded.next_block, block_hash = excluded.block_hash", (chain, good + 1, anchor))

    # ------------------------------------------------------------ events

    def _accounts_of(self, c: _Chain, charter: Charter) -> dict[str, AccountKind | None]:
        """The accounts to follow on `c` and their kind: the principal's address if it is a Charter
        account, its deployed accounts, the given ones and those of tracked grants."""
        found: list[str] = [self.principal, *(charter.accounts.address_of(self.principal, s) for s in self.salts)]
        found += self.extra_accounts
        found += [r[0] for r in self._db().execute(
            "SELECT key FROM watched WHERE chain_id = ? AND kind = 'account'", (c.chain_id,))]
        out: dict[str, AccountKind | None] = {}
        for address in dict.fromkeys(Web3.to_checksum_address(a) for a in found):
            kind = charter.accounts.kind(address)
            if kind is not None or address in self.extra_accounts:
                out[address] = kind
        return out

    def _owned_agents(self, c: _Chain, rows: _Rows | None = None) -> set[int]:
        """The agents the principal owns on `c` by the transfers read (and those of `rows`, not written yet)."""
        owner: dict[int, tuple[int, int, str]] = {}
        transfers = self._db().execute(
            "SELECT block, log_index, agent_id, to_address FROM transfers WHERE chain_id = ?", (c.chain_id,)).fetchall()
        pending = [(block, index, agent, to) for block, index, agent, _, to in (rows.transfers if rows else [])]
        for block, index, agent, to in [*transfers, *pending]:
            key = int(agent)
            if key not in owner or owner[key][:2] < (block, index):
                owner[key] = (block, index, to)
        return {agent for agent, (_, _, to) in owner.items() if to == self.principal}

    def _catch_up(self, c: _Chain, accounts: list[str]) -> bool:
        """Read the grant events of accounts followed since the last refresh from the chain's start
        to the cursor (later blocks are read with the others)."""
        next_block, _ = self._cursor(c)
        watched = {r[0] for r in self._db().execute(
            "SELECT key FROM watched WHERE chain_id = ? AND kind = 'scanned'", (c.chain_id,))}
        new = [a for a in accounts if a not in watched]
        if not new:
            return False
        rows = _Rows()
        if next_block > c.start_block:
            for lo in range(c.start_block, next_block, LOG_SPAN):
                hi = min(next_block - 1, lo + LOG_SPAN - 1)
                self._grant_events(c, lo, hi, new, rows)
                self._order_events(c, lo, hi, set(new), set(), rows)
            self._timestamps(c, rows)
        with self._write() as w:
            rows.write(w, c.chain_id)
            w.executemany("INSERT OR IGNORE INTO watched VALUES (?, 'scanned', ?)", [(c.chain_id, a) for a in new])
        return bool(rows)

    def _logs(self, c: _Chain, address: str, lo: int, hi: int, topics: list[Any]) -> list[Any]:
        return list(c.w3.eth.get_logs({"address": Web3.to_checksum_address(address), "fromBlock": lo, "toBlock": hi,
                                       "topics": topics}))

    def _read_events(self, c: _Chain, lo: int, hi: int, accounts: list[str], owned: set[int], rows: _Rows) -> int:
        assert c.charter is not None
        registry = c.charter.registry.contract
        transfer = registry.events.Transfer()
        me = _topic(self.principal)
        count = 0
        found = {(int(x["blockNumber"]), int(x["logIndex"])): x  # a transfer to oneself answers both
                 for topics in ([transfer.topic, me], [transfer.topic, None, me])
                 for x in self._logs(c, registry.address, lo, hi, topics)}
        for (block, index), log_ in sorted(found.items()):
            args = transfer.process_log(log_)["args"]
            rows.transfers.append((block, index, str(int(args["tokenId"])), Web3.to_checksum_address(args["sender"]),
                                   Web3.to_checksum_address(args["receiver"])))
            count += 1
        homes = [_uint_topic(o.chain_id) for o in self._chains if o.chain_id != c.chain_id]
        if homes:
            represented = registry.events.Represented()
            for log_ in self._logs(c, registry.address, lo, hi, [represented.topic, None, homes]):
                args = represented.process_log(log_)["args"]
                rows.represented.append((int(log_["blockNumber"]), int(log_["logIndex"]), str(int(args["agentId"])),
                                         int(args["homeChainId"]), str(int(args["homeAgentId"])),
                                         Web3.to_checksum_address(args["inbox"]), int(args["status"])))
                count += 1
        count += self._grant_events(c, lo, hi, accounts, rows)
        owned_now = owned | self._owned_agents(c, rows)
        count += self._order_events(c, lo, hi, set(accounts), owned_now, rows)
        return count

    def _grant_events(self, c: _Chain, lo: int, hi: int, accounts: list[str], rows: _Rows) -> int:
        if not accounts:
            return 0
        assert c.charter is not None
        events = c.charter.sessions.contract.events
        activated, revoked, revoke_all = events.GrantActivated(), events.GrantRevoked(), events.AllGrantsRevoked()
        address = c.charter.sessions.address
        topics = [_topic(a) for a in accounts]
        count = 0
        for log_ in self._logs(c, address, lo, hi, [[activated.topic, revoked.topic], None, topics]):
            block, index = int(log_["blockNumber"]), int(log_["logIndex"])
            if HexBytes(log_["topics"][0]) == HexBytes(activated.topic):
                args = activated.process_log(log_)["args"]
                rows.activated.append((_hex(args["grantHash"]), Web3.to_checksum_address(args["account"]),
                                       str(int(args["agentId"])), Web3.to_checksum_address(args["sessionKey"]),
                                       int(args["validUntil"]), block, index, _hex(log_["transactionHash"])))
            else:
                args = revoked.process_log(log_)["args"]
                rows.revoked.append((_hex(args["grantHash"]), Web3.to_checksum_address(args["account"]), block,
                                     Web3.to_checksum_address(args["revokedBy"])))
            count += 1
        for log_ in self._logs(c, address, lo, hi, [revoke_all.topic, topics]):
            args = revoke_all.process_log(log_)["args"]
            rows.revoke_all.append((int(log_["blockNumber"]), int(log_["logIndex"]),
                                    Web3.to_checksum_address(args["account"]), int(args["epoch"])))
            count += 1
        return count

    def _order_events(self, c: _Chain, lo: int, hi: int, users: set[str], agents: set[int], rows: _Rows) -> int:
        assert c.charter is not None
        count = 0
        for opened in c.charter.intents.opened(lo, hi):
            order = opened.order
            if order.user not in users and (not order.data.agent_id or order.data.agent_id not in agents):
                continue
            rows.orders.append((order.order_id_hex, c.chain_id, order.data.destination_chain_id, opened.block_number,
                                opened.log_index, opened.tx_hash, order.origin_data))
            count += 1
        return count

    def _timestamps(self, c: _Chain, rows: _Rows) -> None:
        """The time of each block a grant was activated in (grants sort newest first across chains)."""
        blocks = sorted({r[5] for r in rows.activated})
        answers = self._requests(c, [("eth_getBlockByNumber", [hex(b), False]) for b in blocks])
        rows.times = {b: int(a["timestamp"], 16) for b, a in zip(blocks, answers, strict=True) if a}

    # ------------------------------------------------------------ raw requests

    def _requests(self, c: _Chain, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """The results of raw JSON-RPC `calls` (None for an error answer): in batches of :data:`BATCH`
        when the node takes them, else :data:`THREADS` at a time."""
        if not calls:
            return []
        provider: Any = c.w3.provider
        if c.batch and hasattr(provider, "make_batch_request"):
            out: list[Any] = []
            try:
                for i in range(0, len(calls), BATCH):
                    answers = provider.make_batch_request(list(calls[i:i + BATCH]))
                    if not isinstance(answers, list):
                        raise CharterError(f"batch refused: {answers}")
                    out += [a.get("result") if "error" not in a else None for a in answers]
                return out
            except Exception as exc:  # noqa: BLE001 - a node that takes no batches gets one request at a time
                log.info("console: chain %s takes no JSON-RPC batches (%s): requests go one by one",
                         c.chain_id, describe_error(exc))
                c.batch = False

        def one(call: tuple[str, list[Any]]) -> Any:
            answer = provider.make_request(call[0], call[1])
            return answer.get("result") if "error" not in answer else None

        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(one, calls))

    def _eth_calls(self, c: _Chain, calls: Sequence[tuple[str, bytes]], block: int) -> list[bytes | None]:
        answers = self._requests(c, [("eth_call", [{"to": to, "data": "0x" + data.hex()}, hex(block)])
                                     for to, data in calls])
        return [bytes(HexBytes(a)) if isinstance(a, str) else None for a in answers]

    # ------------------------------------------------------------ accounts

    def _tokens_of(self, c: _Chain, account: str) -> list[str]:
        """The tokens whose balance matters for `account`: those its grants budget, may move or leave
        to a standing allowance, and the ones configured."""
        tokens: dict[str, None] = {t: None for t in self.watch_tokens}
        for grant_hash, body, standing in self._db().execute(
                "SELECT grant_hash, body, standing FROM grants WHERE chain_id = ? AND account = ? AND body IS NOT NULL",
                (c.chain_id, account)):
            tokens.update(dict.fromkeys(self._body(c, grant_hash, body).tokens))
            tokens.update({s["token"]: None for s in json.loads(standing or "[]")})
        tokens.pop(NATIVE, None)
        return list(tokens)

    def _body(self, c: _Chain, grant_hash: str, body: str) -> _Body:
        """The grant `body` (JSON) of `grant_hash`, parsed once."""
        key = (c.chain_id, grant_hash)
        known = self._bodies.get(key)
        if known is None:
            known = self._bodies[key] = _Body(Grant.model_validate_json(body))
        return known

    def _read_accounts(self, c: _Chain, charter: Charter, accounts: dict[str, AccountKind | None], block: int) -> bool:
        changed = False
        views: list[tuple[str, str]] = []
        holdings: list[tuple[str, str, int]] = []
        calls: list[tuple[str, bytes]] = []
        owners: list[tuple[str, str]] = []
        for address in accounts:
            for token in self._tokens_of(c, address):
                calls.append((token, _BALANCE_OF + abi_encode(["address"], [address])))
                owners.append((address, token))
        answers = self._eth_calls(c, calls, block)
        for (address, token), answer in zip(owners, answers, strict=True):
            if answer is not None and len(answer) >= 32:
                holdings.append((address, token, int.from_bytes(answer[:32], "big")))
        revoked_at = dict(self._db().execute(
            "SELECT account, MAX(block) FROM revoke_all WHERE chain_id = ? GROUP BY account", (c.chain_id,)).fetchall())
        assert c.tokens is not None
        for address, kind in accounts.items():
            native = int(c.w3.eth.get_balance(Web3.to_checksum_address(address), block))
            holdings.append((address, NATIVE, native))
            info = charter.accounts.info(address) if kind is not None else None
            balances = [Holding(token=NATIVE, symbol=ETH.symbol, decimals=ETH.decimals, amount=native,
                                text=ETH.short(native))]
            for owner, token, amount in holdings:
                if owner == address and token != NATIVE:
                    t = c.tokens(token)
                    balances.append(Holding(token=token, symbol=t.symbol, decimals=t.decimals, amount=amount,
                                            text=f"{t.short(amount)}" + ("" if t.symbol else f" of {token}")))
            relation = ("your address" if address == self.principal else
                        next((f"deployed, salt {int.from_bytes(s, 'big')}" for s in self.salts
                              if charter.accounts.address_of(self.principal, s) == address), "given"))
            label = self.address_book.get(address) or (f"{short_address(address)} ({relation})")
            view = AccountView(
                chain_id=c.chain_id, address=address, label=label,
                kind=None if kind is None else ("eip7702" if kind is AccountKind.EIP7702 else "deployed"),
                relation=relation, owner=info.owner if info else None, epoch=info.epoch if info else 0,
                max_session_length=info.max_session_length if info else 0,
                revoked_all_at=revoked_at.get(address), balances=balances)
            views.append((address, view.model_dump_json()))
        with self._write() as w:
            before = dict(w.execute("SELECT account || ':' || token, amount FROM balances WHERE chain_id = ?",
                                    (c.chain_id,)).fetchall())
            after = {f"{a}:{t}": str(n) for a, t, n in holdings}
            changed |= before != after
            w.execute("DELETE FROM balances WHERE chain_id = ?", (c.chain_id,))
            w.executemany("INSERT INTO balances VALUES (?, ?, ?, ?)",
                          [(c.chain_id, a, t, str(n)) for a, t, n in holdings])
            old = dict(w.execute("SELECT address, view FROM accounts WHERE chain_id = ?", (c.chain_id,)).fetchall())
            w.execute("DELETE FROM accounts WHERE chain_id = ?", (c.chain_id,))
            w.executemany("INSERT INTO accounts VALUES (?, ?, ?)", [(c.chain_id, a, v) for a, v in views])
            changed |= old != dict(views)
        return changed

    # ------------------------------------------------------------ grants

    def _read_bodies(self, c: _Chain, charter: Charter) -> int:
        """Recover the body of every grant seen activated whose body is not known yet, once: one
        transaction fetched per transaction hash (a batch of grants issued together comes back whole)."""
        rows = self._db().execute(
            "SELECT DISTINCT activated_tx FROM grants WHERE chain_id = ? AND body IS NULL AND body_tried = 0 "
            "AND activated_tx IS NOT NULL", (c.chain_id,)).fetchall()
        txs = [r[0] for r in rows]
        answers = self._requests(c, [("eth_getTransactionByHash", [tx]) for tx in txs])
        bodies: dict[str, str] = {}
        for answer in answers:
            if answer and answer.get("input"):
                for grant_hash, grant in charter.sessions.grants_in_input(bytes(HexBytes(answer["input"]))).items():
                    bodies[grant_hash] = grant.model_dump_json()
        with self._write() as w:
            for tx in txs:
                w.execute("UPDATE grants SET body_tried = 1 WHERE chain_id = ? AND activated_tx = ?", (c.chain_id, tx))
            w.executemany("UPDATE grants SET body = ? WHERE chain_id = ? AND grant_hash = ?",
                          [(body, c.chain_id, h) for h, body in bodies.items()])
        return len(bodies)

    def _account_facts(self, c: _Chain, charter: Charter, kinds: dict[str, AccountKind | None],
                       block: int) -> dict[str, tuple[int, int, bool]]:
        """(epoch, maximum session length, is a Charter account) of each account at `block`."""
        manager = charter.sessions.contract.functions
        accounts = list(kinds)
        answers = self._eth_calls(c, [(charter.sessions.address, bytes(HexBytes(fn(a)._encode_transaction_data())))
                                      for a in accounts for fn in (manager.epochOf, manager.maxSessionLengthOf)], block)
        out = {}
        for i, address in enumerate(accounts):
            epoch, limit = answers[2 * i], answers[2 * i + 1]
            if epoch is not None and limit is not None:
                out[address] = (int.from_bytes(epoch[:32], "big"), int.from_bytes(limit[:32], "big"),
                                kinds[address] is not None)
        return out

    def _read_states(self, c: _Chain, charter: Charter, kinds: dict[str, AccountKind | None], block: int) -> int:
        """Read the state of every grant that can still change, in batches (``grantState`` and one
        ``tokenAllowance`` per budget)."""
        rows = self._db().execute(
            "SELECT grant_hash, body, raw FROM grants WHERE chain_id = ? AND body IS NOT NULL AND final = 0",
            (c.chain_id,)).fetchall()
        if not rows:
            return 0
        view = charter.sessions.view_address
        grants = [(h, self._body(c, h, b), raw) for h, b, raw in rows]
        calls: list[tuple[str, bytes]] = []
        for _, body, _ in grants:
            calls += [(view, data) for data in body.state_calls()]
        answers = iter(self._eth_calls(c, calls, block))
        facts = self._account_facts(c, charter, kinds, block)
        updates = []
        for grant_hash, body, before in grants:
            g = body.grant
            raw = next(answers)
            lefts = [next(answers) for _ in g.token_budgets]
            if raw is None or len(raw) < 9 * 32 or any(a is None for a in lefts):
                continue
            epoch, limit, has_code = facts.get(g.account, (g.epoch, g.valid_until - g.valid_after, True))
            key = f"{raw.hex()}:{':'.join(a.hex() for a in lefts if a is not None)}:{epoch}:{limit}:{has_code}"
            if key == before:
                continue  # nothing changed since it was last read
            # stored at block 0: the same state reads the same (the chain's block is in `chains`)
            state = grant_state(g, bytes(HexBytes(grant_hash)), abi_decode(["uint256"] * 9, raw),
                                [int.from_bytes(a[:32], "big") for a in lefts if a is not None], 0,
                                problem=grant_problem(g, epoch, limit, has_code))
            final = int(state.status in _FINAL)
            updates.append((state.model_dump_json(), key, final, c.chain_id, grant_hash))
        with self._write() as w:
            w.executemany("UPDATE grants SET state = ?, raw = ?, final = ? WHERE chain_id = ? AND grant_hash = ?",
                          updates)
        return len(rows)

    def _read_standing(self, c: _Chain, now: int) -> None:
        """Look for standing allowances from the account to the allowed targets of each grant in force
        (over tokens it neither budgets nor guards), every :data:`ALLOWANCE_RECHECK` seconds."""
        due = time.time() - ALLOWANCE_RECHECK
        rows = self._db().execute(
            "SELECT grant_hash, body, state FROM grants WHERE chain_id = ? AND body IS NOT NULL AND final = 0 "
            "AND state IS NOT NULL AND standing_at < ?", (c.chain_id, due)).fetchall()
        # grants of one account with the same targets and unbounded tokens have the same answer: asked once
        shapes: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[tuple[str, Grant]]] = {}
        for h, b, state in rows:
            if GrantState.model_validate_json(state).status in AT_RISK:
                g = self._body(c, h, b).grant
                shapes.setdefault((g.account, tuple(candidate_tokens(g)), tuple(spenders(g))), []).append((h, g))
        if not shapes:
            return

        def look(grants: list[tuple[str, Grant]]) -> list[tuple[str, str]]:
            try:
                found = json.dumps([asdict(s) for s in standing_allowances(c.w3, grants[0][1], now=now)])
            except Exception:  # noqa: BLE001 - looked at again next time
                return []
            return [(h, found) for h, _ in grants]

        with ThreadPoolExecutor(THREADS) as pool:
            found = [item for items in pool.map(look, shapes.values()) for item in items]
        stamp = time.time()
        with self._write() as w:
            w.executemany("UPDATE grants SET standing = ?, standing_at = ? WHERE chain_id = ? AND grant_hash = ?",
                          [(standing, stamp, c.chain_id, h) for h, standing in found])

    # ------------------------------------------------------------ agents

    def _read_agents(self, c: _Chain, charter: Charter) -> bool:
        owned = self._owned_agents(c)
        transferred = {int(r[0]) for r in self._db().execute(
            "SELECT agent_id FROM transfers WHERE chain_id = ? AND from_address = ?", (c.chain_id, self.principal))}
        acting: dict[int, list[str]] = {}
        for agent, account in self._db().execute(
                "SELECT DISTINCT agent_id, account FROM grants WHERE chain_id = ? AND agent_id IS NOT NULL",
                (c.chain_id,)):
            acting.setdefault(int(agent), []).append(account)
        views = []
        for agent_id in sorted(owned | transferred | set(acting)):
            views.append(self._agent_view(c, charter, agent_id, agent_id in owned, agent_id in transferred,
                                          acting.get(agent_id, [])))
        with self._write() as w:
            old = dict(w.execute("SELECT agent_id, view FROM agents WHERE chain_id = ?", (c.chain_id,)).fetchall())
            w.execute("DELETE FROM agents WHERE chain_id = ?", (c.chain_id,))
            w.executemany("INSERT INTO agents VALUES (?, ?, ?, ?)",
                          [(c.chain_id, str(v.agent_id), v.uri, v.model_dump_json()) for v in views])
        return old != {str(v.agent_id): v.model_dump_json() for v in views}

    def _agent_view(self, c: _Chain, charter: Charter, agent_id: int, owned: bool, transferred: bool,
                    acts_for: list[str]) -> AgentView:
        try:
            info = charter.registry.agent(agent_id)
            home = charter.registry.home_of(agent_id)
        except CharterError:
            return AgentView(chain_id=c.chain_id, agent_id=agent_id, label=agent_words(agent_id), status="unknown",
                             owned=owned, formerly_owned=transferred and not owned, acts_for=acts_for)
        card = self._card(info.uri) if info.uri else None
        name = card.name if card else None
        return AgentView(
            chain_id=c.chain_id, agent_id=agent_id, label=agent_words(agent_id) + (f" ({name})" if name else ""),
            status=AgentStatus(info.status).name.lower(), owner=info.owner, wallet=info.wallet,
            wallet_verified=info.wallet_verified, uri=info.uri, owned=info.owner == self.principal,
            formerly_owned=transferred and info.owner != self.principal, acts_for=sorted(set(acts_for)), name=name,
            description=card.description if card else None, card=card,
            card_unverified=card is not None and card.name is not None and not card.verified,
            home=(f"chain {home[0]}, agent {home[1]}" if home is not None and home[0] != c.chain_id else None))

    def _card(self, uri: str) -> AgentCard | None:
        row = self._db().execute("SELECT card FROM cards WHERE uri = ?", (uri,)).fetchone()
        if row is not None:
            return AgentCard.model_validate_json(row[0])
        if not self.fetch_cards and not uri.startswith("data:"):
            return None
        card = fetch_card(uri)
        with self._write() as w:
            w.execute("INSERT OR REPLACE INTO cards VALUES (?, ?, ?)", (uri, card.model_dump_json(), time.time()))
        return card

    # ------------------------------------------------------------ words and values

    def _names(self, c: _Chain) -> Names:
        if c.labels is None:
            c.labels = Names(book=self.address_book, contracts=c.names, tokens=c.tokens)
        return c.labels

    def _render(self, c: _Chain, now: int) -> bool:
        """Build the page view of every grant whose inputs changed since it was last built (its state,
        its standing allowances, the balances of the tokens it can move, its agent's and account's
        names), with its value at risk against the balances just read."""
        assert c.tokens is not None
        names = self._names(c)
        tokens = c.tokens
        balances: dict[str, dict[str, int]] = {}
        for account, token, amount in self._db().execute(
                "SELECT account, token, amount FROM balances WHERE chain_id = ?", (c.chain_id,)):
            balances.setdefault(account, {})[token] = int(amount)
        accounts = {a: AccountView.model_validate_json(v).label for a, v in self._db().execute(
            "SELECT address, view FROM accounts WHERE chain_id = ?", (c.chain_id,))}
        agents = {int(a): AgentView.model_validate_json(v).label for a, v in self._db().execute(
            "SELECT agent_id, view FROM agents WHERE chain_id = ?", (c.chain_id,))}
        rows = self._db().execute(
            "SELECT grant_hash, account, agent_id, session_key, valid_until, activated_block, activated_tx, "
            "activated_at, revoked_block, revoked_by, tracked, body, state, standing, inputs "
            "FROM grants WHERE chain_id = ?", (c.chain_id,)).fetchall()
        updates = []
        for (grant_hash, account, agent_id, key, valid_until, block_on, tx, at, revoked_block, revoked_by, tracked,
             body_json, state_json, standing_json, before) in rows:
            body = self._body(c, grant_hash, body_json) if body_json is not None else None
            held = {t: balances.get(account, {}).get(t, 0) for t in (body.tokens if body else ())}
            agent = agents.get(int(agent_id)) if agent_id is not None else None
            common: dict[str, Any] = {
                "chain_id": c.chain_id, "grant_hash": grant_hash, "account": account,
                "account_label": accounts.get(account) or names(account),
                "agent_id": int(agent_id) if agent_id is not None else None,
                "agent_label": agent or (agent_words(agent_id) if agent_id is not None else "agent ?"),
                "session_key": key, "activated_block": block_on, "activated_tx": tx, "activated_at": at,
                "revoked_by": revoked_by, "tracked": bool(tracked),
            }
            inputs = json.dumps([common, state_json, standing_json, held, revoked_block, valid_until,
                                 body is None and valid_until is not None and now > valid_until])
            if inputs == before:
                continue
            if body is None:
                view = self._unknown_view(common, valid_until, revoked_block is not None, now)
            else:
                state = GrantState.model_validate_json(state_json) if state_json else None
                view = self._grant_view(common, body, state, standing_json, held, tokens, names, now)
            updates.append((view.model_dump_json(), view.status, inputs, c.chain_id, grant_hash))
        with self._write() as w:
            w.executemany("UPDATE grants SET view = ?, status = ?, inputs = ? WHERE chain_id = ? AND grant_hash = ?",
                          updates)
            w.execute("UPDATE grants SET sort_time = COALESCE(activated_at, sort_time) WHERE chain_id = ?",
                      (c.chain_id,))
        return bool(updates)

    def _unknown_view(self, common: dict[str, Any], valid_until: int | None, revoked: bool, now: int) -> GrantView:
        status = "revoked" if revoked else ("expired" if valid_until is not None and now > valid_until else "unknown")
        return GrantView(
            **common, status=status,
            status_label=status if status != "unknown" else "activated; its terms could not be read from its "
            "transaction (issued through another contract?)",
            revocable=status == "unknown", known=False, valid_until=valid_until,
            window=window_words(0, valid_until, now) if valid_until else "")

    def _grant_view(self, common: dict[str, Any], body: _Body, state: GrantState | None, standing_json: str | None,
                    held: dict[str, int], tokens: TokenLookup, names: Names, now: int) -> GrantView:
        g = body.grant
        standing = [Standing(**s) for s in json.loads(standing_json or "[]")]
        words, cautions = body.words(standing_json or "[]", lambda: (
            describe(g, tokens=tokens, names=names),
            [w.text for w in warnings(g, standing=standing, names=names, tokens=tokens)]))
        status = state.status if state is not None else GrantStatus.PENDING
        problem = state.problem if state is not None else None
        label = status.label + (f", but {problem}" if problem else "")
        risks = value_at_risk(g, state, held, standing=standing, tokens=tokens, chain_id=common["chain_id"])
        calls_left = state.calls_left if state is not None else (g.max_calls or None)
        return GrantView(
            **common, status=STATUS_KEYS[status], status_label=label, problem=problem,
            revocable=status not in _FINAL, known=True, scope=words.permissions, budget_lines=words.budgets,
            limits=words.limits, budgets=budget_rows(g, state, tokens=tokens, names=names),
            unbounded=words.unbounded,
            warnings=cautions,
            valid_after=g.valid_after, valid_until=g.valid_until,
            window=window_words(g.valid_after, g.valid_until, now),
            seconds_left=max(0, g.valid_until - now), calls_used=state.calls_used if state else 0,
            calls_left="no limit" if calls_left is None else f"{calls_left:,} of {g.max_calls:,}",
            max_calls=g.max_calls, last_call=state.last_call if state else None,
            last_use=ago(state.last_call if state else None, now), risks=risks,
            value_at_risk=[str(r) for r in risks], epoch=g.epoch)

    def _save_tokens(self, c: _Chain) -> None:
        assert c.tokens is not None
        with self._write() as w:
            w.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?)",
                          [(c.chain_id, t, i.decimals, i.symbol) for t, i in c.tokens.known().items()])

    # ------------------------------------------------------------ orders

    def _refresh_orders(self) -> bool:
        rows = self._db().execute(
            "SELECT order_id, origin_chain, dest_chain, block, tx_hash, origin_data, fill, view FROM orders "
            "WHERE final = 0").fetchall()
        changed = False
        updates = []
        accounts = {(r[0], r[1]) for r in self._db().execute("SELECT chain_id, address FROM accounts")}
        for order_id, origin_chain, dest_chain, block, tx, data, fill_json, old in rows:
            origin = self._chain(origin_chain)
            if origin.charter is None:
                continue
            order = Order.from_origin_data(bytes(data))
            dest = next((c for c in self._chains if c.chain_id == dest_chain and c.charter is not None), None)
            destination = dest.charter.intents if dest is not None and dest.charter is not None else None
            try:
                status = origin.charter.intents.status(order, destination)
                origin_status = origin.charter.intents.origin_status(order.order_id)
            except CharterError:
                continue
            fill = json.loads(fill_json) if fill_json else None
            if fill is None and dest is not None and status in (OrderStatus.FILLED, OrderStatus.SETTLED):
                fill = self._fill_of(dest, order)
            relation = "your account" if (origin_chain, order.user) in accounts else "your agent"
            view = self._intent_view(order, status, origin_status, fill, destination is not None, block, tx, relation)
            text = view.model_dump_json()
            changed |= text != old
            updates.append((text, int(status in _ORDER_FINAL), json.dumps(fill) if fill else None, order_id))
        with self._write() as w:
            w.executemany("UPDATE orders SET view = ?, final = ?, fill = ? WHERE order_id = ?", updates)
        return changed

    def _fill_of(self, dest: _Chain, order: Order) -> dict[str, Any] | None:
        assert dest.charter is not None
        logs = dest.charter.intents.contract.events.Filled().get_logs(
            from_block=dest.start_block, argument_filters={"orderId": order.order_id})
        if not logs:
            return None
        args = logs[-1]["args"]
        return {"filler": Web3.to_checksum_address(args["filler"]), "payout": Web3.to_checksum_address(args["payout"]),
                "filler_agent_id": int(args["fillerAgentId"]), "block": int(logs[-1]["blockNumber"])}

    def _amounts(self, chain_id: int, items: Iterable[tuple[str, int]]) -> str:
        c = next((x for x in self._chains if x.chain_id == chain_id and x.tokens is not None), None)
        parts = []
        for token, amount in items:
            if token == INTENT_NATIVE:
                parts.append(ETH.short(amount))
                continue
            info = c.tokens(token) if c is not None and c.tokens is not None else TokenInfo()
            parts.append(info.short(amount) + ("" if info.symbol else f" of {short_address(token)}"))
        return " + ".join(parts)

    def _intent_view(self, order: Order, status: OrderStatus, origin_status: OrderStatus, fill: dict[str, Any] | None,
                     configured: bool, block: int, tx: str, relation: str) -> IntentView:
        d = order.data
        if not configured:
            destination = f"chain {d.destination_chain_id} is not configured"
        elif fill is not None:
            agent = f" (agent {fill['filler_agent_id']})" if fill["filler_agent_id"] else ""
            destination = f"filled by {fill['filler']}{agent}, paid to {fill['payout']}, block {fill['block']}"
        elif status == OrderStatus.EXPIRED:
            destination = "not filled by its deadline"
        elif status == OrderStatus.FILLED:
            destination = "filled"
        else:
            destination = "nothing yet"
        gives = self._amounts(order.origin_chain_id, ((i.token, i.amount) for i in d.inputs))
        wants = self._amounts(d.destination_chain_id, ((o.token, o.amount) for o in d.outputs))
        return IntentView(
            order_id=order.order_id_hex, origin_chain=order.origin_chain_id, destination_chain=d.destination_chain_id,
            user=order.user, agent_id=d.agent_id, relation=relation, state=status.name.lower(),
            origin_status=origin_status.name.lower(), destination=destination,
            filler=fill["filler"] if fill else None, filler_agent_id=fill["filler_agent_id"] if fill else None,
            payout=fill["payout"] if fill else None,
            summary=f"{gives} on {order.origin_chain_id} for {wants} on {d.destination_chain_id}",
            lines=order.describe(), fill_deadline=order.fill_deadline, refund_after=d.refund_after,
            opened_block=block, opened_tx=tx)

    # ------------------------------------------------------------ reads

    def _now(self) -> dict[int, int]:
        """Each chain's time now: its last block's time plus the time since it was read."""
        out = {}
        for c in self._chains:
            clock = self._meta(f"time:{c.chain_id}")
            if clock:
                chain_time, wall = clock.split(",")
                out[c.chain_id] = int(chain_time) + max(0, int(time.time() - float(wall)))
        return out

    @staticmethod
    def _aged(view: GrantView, now: int | None) -> GrantView:
        """`view` with its time words as of `now`, and expired if its window ended since it was read."""
        if now is None or view.valid_until is None:
            return view
        update: dict[str, Any] = {
            "window": window_words(view.valid_after or 0, view.valid_until, now),
            "seconds_left": max(0, view.valid_until - now),
            "last_use": ago(view.last_call, now),
        }
        if now > view.valid_until and view.status in ("pending", "active", "not yet valid", "agent inactive",
                                                      "unknown"):
            update.update(status="expired", status_label=GrantStatus.EXPIRED.label, revocable=False, risks=[],
                          value_at_risk=[])
        return view.model_copy(update=update)

    def _views(self) -> list[GrantView]:
        """Every grant's stored view, newest first, parsed once per change of the file."""
        version = self._meta("version")
        cached = self._cache
        if cached is not None and cached[0] == version:
            return cached[1]
        views = [GrantView.model_validate_json(v) for (v,) in self._db().execute(
            "SELECT view FROM grants WHERE view IS NOT NULL "
            "ORDER BY sort_time DESC, chain_id, activated_block DESC, log_index DESC")]
        self._cache = (version, views)
        return views

    def grants(self, status: str | None = None, agent: int | None = None, session_key: str | None = None,
               chain: int | None = None) -> list[GrantView]:
        """The grants of the principal's accounts, newest first (by the time of the block that
        activated them; grants tracked but never used by their start). Filters: `status` (a
        :data:`STATUS_KEYS` value, a :class:`GrantStatus` name, or ``revoked`` for both kinds,
        ``usable``, ``in force``), `agent` (its id), `session_key`, `chain`."""
        key = None
        if session_key:
            try:
                key = Web3.to_checksum_address(session_key.strip())
            except ValueError:
                return []
        wanted = _statuses(status) if status else None
        now = self._now()
        out = []
        for v in self._views():
            if (chain is not None and v.chain_id != chain) or (agent is not None and v.agent_id != agent) or \
                    (key is not None and v.session_key != key):
                continue
            aged = self._aged(v, now.get(v.chain_id))
            if wanted is None or aged.status in wanted:
                out.append(aged)
        return out

    def grant(self, chain_id: int, grant_hash: str) -> GrantView | None:
        """One grant (`grant_hash` 0x-hex, any case), or None when the index does not hold it."""
        text = grant_hash.strip().lower()
        text = text if text.startswith("0x") else "0x" + text
        row = self._db().execute("SELECT view FROM grants WHERE chain_id = ? AND grant_hash = ? AND view IS NOT NULL",
                                 (int(chain_id), text)).fetchone()
        if row is None:
            return None
        return self._aged(GrantView.model_validate_json(row[0]), self._now().get(int(chain_id)))

    def agents(self) -> list[AgentView]:
        """The agents the principal owns (or owned) and those its grants name, per chain, with the
        chains where each is represented and how many of its grants are in force."""
        represented: dict[tuple[int, int], dict[tuple[int, int], Representation]] = {}
        for chain, block, _, agent, home_chain, home_agent, inbox, status in self._db().execute(
                "SELECT * FROM represented ORDER BY block, log_index"):
            mirrors = represented.setdefault((int(home_chain), int(home_agent)), {})
            mirrors[(int(chain), int(agent))] = Representation(
                chain_id=int(chain), agent_id=int(agent), inbox=inbox, status=AgentStatus(status).name.lower(),
                block=int(block))
        counts = self._grant_counts("agent_id")
        out = []
        for chain, agent, view in self._db().execute("SELECT chain_id, agent_id, view FROM agents "
                                                     "ORDER BY chain_id, CAST(agent_id AS INTEGER)"):
            a = AgentView.model_validate_json(view)
            in_force, total = counts.get((chain, agent), (0, 0))
            out.append(a.model_copy(update={
                "represented_on": sorted(represented.get((int(chain), int(agent)), {}).values(),
                                         key=lambda r: r.chain_id),
                "grants_in_force": in_force, "grants_total": total}))
        return out

    def _grant_counts(self, column: str) -> dict[tuple[int, str], tuple[int, int]]:
        counts: dict[tuple[int, str], tuple[int, int]] = {}
        now = self._now()
        for v in self._views():
            v = self._aged(v, now.get(v.chain_id))
            key = (v.chain_id, str(v.agent_id) if column == "agent_id" else v.account)
            in_force, total = counts.get(key, (0, 0))
            counts[key] = (in_force + int(v.revocable), total + 1)
        return counts

    def accounts(self) -> list[AccountView]:
        """The principal's accounts on every chain, with balances and how many grants are in force."""
        counts = self._grant_counts("account")
        out = []
        for chain, address, view in self._db().execute("SELECT chain_id, address, view FROM accounts "
                                                       "ORDER BY address, chain_id"):
            in_force, total = counts.get((chain, address), (0, 0))
            out.append(AccountView.model_validate_json(view).model_copy(
                update={"grants_in_force": in_force, "grants_total": total}))
        return out

    def intents(self) -> list[IntentView]:
        """The orders of the principal's accounts and agents, newest first (per chain)."""
        return [IntentView.model_validate_json(v) for (v,) in self._db().execute(
            "SELECT view FROM orders WHERE view IS NOT NULL ORDER BY block DESC, log_index DESC")]

    def totals(self, grants: Sequence[GrantView] | None = None) -> Totals:
        """What could still move, per account (the sum of its grants' value at risk per chain and
        token, never more than it holds) and per agent (the same over the grants naming it, added
        up across the accounts it acts for). `grants`: those of :meth:`grants` (read if not given)."""
        views = list(grants) if grants is not None else self.grants()
        held: dict[tuple[str, int, str], int] = {}
        for chain, account, token, amount in self._db().execute(
                "SELECT chain_id, account, token, amount FROM balances"):
            held[(account, int(chain), token)] = int(amount)
        labels = {address: label for address, label in self._db().execute("SELECT address, view FROM accounts")}
        by_account: dict[str, list[Risk]] = {}
        by_agent_account: dict[tuple[int, int, str], list[Risk]] = {}
        chains_of: dict[str, set[int]] = {}
        for address, chain in self._db().execute("SELECT address, chain_id FROM accounts"):
            chains_of.setdefault(address, set()).add(int(chain))
        for v in views:
            by_account.setdefault(v.account, []).extend(v.risks)
            if v.agent_id is not None:
                by_agent_account.setdefault((v.chain_id, v.agent_id, v.account), []).extend(v.risks)

        def capped(account: str, risks: list[Risk]) -> list[Risk]:
            return add_up(risks, {(r.chain_id, r.token): held.get((account, r.chain_id, r.token), r.held)
                                  for r in risks})

        accounts = []
        for address in sorted(set(chains_of) | set(by_account)):
            risks = capped(address, by_account.get(address, []))
            label = AccountView.model_validate_json(labels[address]).label if address in labels else address
            accounts.append(RiskTotal(label=label, address=address, chains=sorted(chains_of.get(address, set())),
                                      risks=risks, risk=[f"chain {r.chain_id}: {r}" for r in risks]))
        agent_labels = {(int(c), int(a)): AgentView.model_validate_json(v).label
                        for c, a, v in self._db().execute("SELECT chain_id, agent_id, view FROM agents")}
        per_agent: dict[tuple[int, int], list[Risk]] = {}
        for (chain, agent, account), risks in by_agent_account.items():
            per_agent.setdefault((chain, agent), []).extend(capped(account, risks))
        agents = []
        for (chain, agent) in sorted(set(per_agent) | set(agent_labels)):
            risks = combine(per_agent.get((chain, agent), []))
            agents.append(RiskTotal(label=f"{agent_labels.get((chain, agent), f'agent {agent}')} on chain {chain}",
                                    agent_id=agent, chain_id=chain, chains=[chain], risks=risks,
                                    risk=[f"chain {r.chain_id}: {r}" for r in risks]))
        return Totals(accounts=accounts, agents=agents)

    def chains(self) -> list[ChainView]:
        """How far each chain was read, and the last error."""
        known = {int(c): ChainView.model_validate_json(v) for c, v in self._db().execute("SELECT * FROM chains")}
        return [known.get(c.chain_id, ChainView(chain_id=c.chain_id)) for c in self._chains]


def _statuses(status: str) -> tuple[str, ...]:
    text = status.strip().lower().replace("_", " ")
    if text in STATUS_GROUPS:
        return STATUS_GROUPS[text]
    by_name = {s.name.lower().replace("_", " "): key for s, key in STATUS_KEYS.items()}
    return (by_name.get(text, text),)


class _Body:
    """A grant's body, parsed once, and what never changes about it: the calldata that reads its
    state, the tokens whose balances bound its value at risk, its words (per standing allowances)."""

    def __init__(self, grant: Grant) -> None:
        self.grant = grant
        movable = [p.target for p in grant.permissions if bytes(p.selector) in TOKEN_SELECTORS]
        self.tokens: list[str] = list(dict.fromkeys(
            ([NATIVE] if grant.native_budget else []) + [b.token for b in grant.token_budgets if not b.guarded]
            + movable))
        self._calls: list[bytes] | None = None
        self._words: dict[str, tuple[GrantWords, list[str]]] = {}

    def state_calls(self) -> list[bytes]:
        """``grantState(grant)`` and ``tokenAllowance(grant, token)`` per budget, encoded once."""
        if self._calls is None:
            encoded = abi_encode([GRANT_TYPE], [self.grant.as_tuple()])
            head = (64).to_bytes(32, "big")  # (grant, token): the grant's offset, then the token
            self._calls = [_GRANT_STATE + encoded] + [
                _TOKEN_ALLOWANCE + head + bytes(HexBytes(b.token)).rjust(32, b"\x00") + encoded[32:]
                for b in self.grant.token_budgets]
        return self._calls

    def words(self, standing: str, make: Callable[[], tuple[GrantWords, list[str]]]) -> tuple[GrantWords, list[str]]:
        if standing not in self._words:
            self._words[standing] = make()
        return self._words[standing]


@dataclass
class _Rows:
    """Event rows read from a block range, written with the cursor in one transaction."""

    transfers: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    represented: list[tuple[int, int, str, int, str, str, int]] = field(default_factory=list)
    activated: list[tuple[str, str, str, str, int, int, int, str]] = field(default_factory=list)
    revoked: list[tuple[str, str, int, str]] = field(default_factory=list)
    revoke_all: list[tuple[int, int, str, int]] = field(default_factory=list)
    orders: list[tuple[str, int, int, int, int, str, bytes]] = field(default_factory=list)
    times: dict[int, int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any((self.transfers, self.represented, self.activated, self.revoked, self.revoke_all, self.orders))

    def write(self, w: sqlite3.Connection, chain_id: int) -> None:
        w.executemany("INSERT OR IGNORE INTO transfers VALUES (?, ?, ?, ?, ?, ?)",
                      [(chain_id, *r) for r in self.transfers])
        w.executemany("INSERT OR IGNORE INTO represented VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      [(chain_id, *r) for r in self.represented])
        w.executemany("INSERT OR IGNORE INTO revoke_all VALUES (?, ?, ?, ?, ?)",
                      [(chain_id, *r) for r in self.revoke_all])
        w.executemany(
            "INSERT INTO grants (chain_id, grant_hash, account, agent_id, session_key, valid_until, activated_block, "
            "log_index, activated_tx, activated_at, sort_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(chain_id, grant_hash) DO UPDATE SET activated_block = excluded.activated_block, "
            "log_index = excluded.log_index, activated_tx = excluded.activated_tx, "
            "activated_at = excluded.activated_at, sort_time = excluded.sort_time, final = 0",
            [(chain_id, h, account, agent, key, until, block, index, tx, self.times.get(block),
              self.times.get(block, 0)) for h, account, agent, key, until, block, index, tx in self.activated])
        for grant_hash, account, block, by in self.revoked:
            w.execute("INSERT INTO grants (chain_id, grant_hash, account) VALUES (?, ?, ?) "
                      "ON CONFLICT(chain_id, grant_hash) DO NOTHING", (chain_id, grant_hash, account))
            w.execute("UPDATE grants SET revoked_block = ?, revoked_by = ?, final = 0 WHERE chain_id = ? "
                      "AND grant_hash = ?", (block, by, chain_id, grant_hash))
        if self.revoke_all:
            w.execute("UPDATE grants SET final = 0 WHERE chain_id = ?", (chain_id,))
        w.executemany("INSERT OR IGNORE INTO orders (order_id, origin_chain, dest_chain, block, log_index, tx_hash, "
                      "origin_data) VALUES (?, ?, ?, ?, ?, ?, ?)", self.orders)


class _Transaction:
    """``with index._write() as w``: BEGIN IMMEDIATE … COMMIT (ROLLBACK on an error)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")


__all__ = [
    "ALLOWANCE_RECHECK",
    "CHECKPOINTS",
    "STATUS_GROUPS",
    "STATUS_KEYS",
    "AccountView",
    "AgentView",
    "ChainRefresh",
    "ChainView",
    "ConsoleIndex",
    "GrantView",
    "Holding",
    "IntentView",
    "RefreshReport",
    "Representation",
    "RiskTotal",
    "Totals",
]
