"""What the relayer and the solver keep across restarts: SQLite.

One file per process. Every scan of a block range writes what it found and
moves the chain's cursor in one transaction, so a restart resumes exactly
where the last committed scan ended: nothing is lost and nothing is seen
twice. Orders move through states (:data:`RELAY_STATES`); a settlement is
only marked done once the chain shows it. The relayer's kills
(:mod:`charter.processes.propagate`) keep the agents found represented, the
transaction sent for each agent's state (written before it is broadcast), and
each signed revocation with its state per destination (:data:`REVOCATION_STATES`).
Its trust work keeps each settled order's receipt to record in the backed
registry (:data:`RECEIPT_STATES`, :mod:`charter.processes.receipts`) and each
validation request to its attesters with its answer (:data:`VALIDATION_STATES`,
:mod:`charter.processes.validate`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import CharterError

log = logging.getLogger("charter.store")

SCHEMA_VERSION = 2
"""2: cursors keep the hash of the last block read (reorgs deeper than the confirmations are seen)."""

RELAY_STATES = (
    "open",  # seen opened on its origin, nothing proven yet
    "proven",  # a confirmed fill is attested: ready to settle
    "settling",  # our settlement is mined, not yet `confirmations` deep (sent again if a reorg drops it)
    "settled",  # the origin shows it settled (by us or anyone) at the confirmation depth
    "unfilled-asked",  # we sent recordUnfilled on the destination
    "unfilled-proven",  # a confirmed unfilled record is attested: ready to refund
    "refunding",  # our refund is mined, not yet `confirmations` deep
    "refunded",  # the origin shows it refunded at the confirmation depth
    "reported",  # (Hyperlane) we dispatched its record through the destination's reporter
)

MESSAGE_STATES = (
    "verified",  # (Hyperlane) dispatched at a confirmed block, in the Merkle tree the hook reports
    "delivered",  # the destination Mailbox shows it delivered (by us or anyone)
    "refused",  # it cannot be verified against its origin chain: never signed
)

REVOCATION_STATES = (
    "pending",  # to be carried to this chain (or checked there)
    "sent",  # our transaction is mined there, not yet `confirmations` deep
    "done",  # the chain shows it applied at the confirmation depth (by us or anyone), or it was seen there
    "refused",  # the chain refuses it for good (its SessionManager is another, or missing): logged once
)

RECEIPT_STATES = (
    "pending",  # settled at the confirmation depth: its receipt is to be recorded in the backed registry
    "sent",  # our recordReceipt is sent (its hash written first), not yet shown `confirmations` deep
    "recorded",  # the registry shows the receipt at the confirmation depth (recorded by us or by anyone)
    "refused",  # it cannot be recorded (the registry or the logs disagree with the settler): logged, left
)

VALIDATION_STATES = (
    "waiting",  # a fill request to one of our attesters, its order not settled or refunded (confirmed) yet
    "sent",  # our validationResponse is sent (its hash written first), not yet shown `confirmations` deep
    "answered",  # the registry shows our answer at the confirmation depth
    "ignored",  # not ours to answer (not a fill request, hash not of its URI, chain not configured): logged
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cursors (
    name TEXT PRIMARY KEY,
    next_block INTEGER NOT NULL,
    block_hash TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY,
    origin_chain INTEGER NOT NULL,
    dest_chain INTEGER NOT NULL,
    origin_data BLOB NOT NULL,
    fill_deadline INTEGER NOT NULL,
    refund_after INTEGER NOT NULL,
    state TEXT NOT NULL,
    proof BLOB,
    tx_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    opened_at REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS orders_state ON orders (state, origin_chain);
CREATE TABLE IF NOT EXISTS records (
    order_id TEXT PRIMARY KEY,
    dest_chain INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    payout TEXT,
    filler_agent_id TEXT,
    record_hash BLOB NOT NULL,
    block INTEGER NOT NULL,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS trees (
    chain_id INTEGER PRIMARY KEY,
    count INTEGER NOT NULL,
    branch BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    message_id BLOB PRIMARY KEY,
    origin_chain INTEGER NOT NULL,
    dest_chain INTEGER NOT NULL,
    message BLOB NOT NULL,
    leaf_index INTEGER NOT NULL,
    root BLOB NOT NULL,
    block INTEGER NOT NULL,
    state TEXT NOT NULL,
    tx_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    order_id TEXT NOT NULL,
    message_id BLOB NOT NULL,
    record_hash BLOB NOT NULL,
    proof BLOB NOT NULL,
    PRIMARY KEY (order_id, message_id)
);
CREATE TABLE IF NOT EXISTS agents (
    home_chain INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    dest_chain INTEGER NOT NULL,
    via TEXT NOT NULL,
    block INTEGER NOT NULL,
    PRIMARY KEY (home_chain, agent_id, dest_chain, via)
);
CREATE TABLE IF NOT EXISTS agent_sends (
    dest_chain INTEGER NOT NULL,
    via TEXT NOT NULL,
    home_chain INTEGER NOT NULL,
    agent_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    status INTEGER NOT NULL,
    tx_chain INTEGER NOT NULL,
    tx_hash TEXT NOT NULL,
    sent_at REAL NOT NULL,
    PRIMARY KEY (dest_chain, via, home_chain, agent_id, sequence, status)
);
CREATE TABLE IF NOT EXISTS revocations (
    revocation_id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    nonce TEXT,
    grants BLOB,
    signature BLOB NOT NULL,
    source_chain INTEGER NOT NULL,
    block INTEGER NOT NULL,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS revocation_targets (
    revocation_id BLOB NOT NULL,
    dest_chain INTEGER NOT NULL,
    state TEXT NOT NULL,
    tx_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at REAL,
    PRIMARY KEY (revocation_id, dest_chain)
);
CREATE INDEX IF NOT EXISTS revocation_targets_state ON revocation_targets (state, dest_chain);
CREATE TABLE IF NOT EXISTS receipts (
    order_id TEXT PRIMARY KEY,
    origin_chain INTEGER NOT NULL,
    state TEXT NOT NULL,
    tx_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS receipts_state ON receipts (state, origin_chain);
CREATE TABLE IF NOT EXISTS validations (
    chain_id INTEGER NOT NULL,
    request_hash BLOB NOT NULL,
    validator TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    request_uri TEXT NOT NULL,
    origin_chain INTEGER,
    order_id BLOB,
    block INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    score INTEGER,
    response_uri TEXT,
    tx_hash TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at REAL NOT NULL DEFAULT 0,
    last_error TEXT,
    seen_at REAL NOT NULL,
    done_at REAL,
    PRIMARY KEY (chain_id, request_hash)
);
CREATE INDEX IF NOT EXISTS validations_state ON validations (state, chain_id);
CREATE TABLE IF NOT EXISTS seen (
    order_id TEXT PRIMARY KEY,
    origin_chain INTEGER NOT NULL,
    origin_data BLOB NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    tx_hash TEXT,
    updated_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Row:
    """One order row."""

    order_id: str
    origin_chain: int
    dest_chain: int
    origin_data: bytes
    fill_deadline: int
    refund_after: int
    state: str
    proof: bytes | None
    tx_hash: str | None
    attempts: int
    retry_at: float
    last_error: str | None
    opened_at: float
    done_at: float | None


@dataclass(frozen=True)
class Record:
    """A destination record seen at a confirmed block (kind 1: filled, 2: not filled)."""

    order_id: str
    dest_chain: int
    kind: int
    payout: str | None
    filler_agent_id: int
    record_hash: bytes
    block: int
    seen_at: float


@dataclass(frozen=True)
class MessageRow:
    """A Hyperlane message the relayer verified (or refused) on its origin chain."""

    message_id: bytes
    origin_chain: int
    dest_chain: int
    message: bytes
    leaf_index: int
    root: bytes
    block: int
    state: str
    tx_hash: str | None = None
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class AgentSend:
    """A transaction sent to carry an agent's state: the chain it was sent on, its hash, when."""

    tx_chain: int
    tx_hash: str
    sent_at: float


@dataclass(frozen=True)
class Revocation:
    """A revocation an account signed once for every chain, seen applied on `source_chain`:
    ``revokeAllSigned(account, nonce, signature)`` (kind ``all``) or
    ``revokeGrantsSigned(account, grants, signature)`` (kind ``grants``)."""

    revocation_id: bytes
    kind: str
    account: str
    nonce: int | None
    grants: tuple[bytes, ...] | None
    signature: bytes
    source_chain: int
    block: int
    seen_at: float = 0.0


@dataclass(frozen=True)
class RevocationTarget:
    """A revocation to carry to `dest_chain`, and how far it got there."""

    revocation: Revocation
    dest_chain: int
    state: str
    tx_hash: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class ReceiptRow:
    """A settled order whose receipt is to be recorded in its origin's backed registry."""

    order_id: str
    origin_chain: int
    origin_data: bytes
    state: str
    tx_hash: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class ValidationRow:
    """A ``ValidationRequest`` naming one of the relayer's attesters, read at the confirmation depth
    on `chain_id`'s ValidationRegistry; a fill request names its order (`origin_chain`, `order_id`)."""

    chain_id: int
    request_hash: bytes
    validator: str
    agent_id: int
    request_uri: str
    origin_chain: int | None
    order_id: bytes | None
    block: int
    state: str
    reason: str | None = None
    score: int | None = None
    response_uri: str | None = None
    tx_hash: str | None = None
    attempts: int = 0
    last_error: str | None = None


_VALIDATION_COLUMNS = "chain_id, request_hash, validator, agent_id, request_uri, origin_chain, order_id, block, " \
    "state, reason, score, response_uri, tx_hash, attempts, last_error"


def _validation_row(r: Any) -> ValidationRow:
    return ValidationRow(int(r[0]), bytes(r[1]), str(r[2]), int(r[3]), str(r[4]), r[5],
                         None if r[6] is None else bytes(r[6]), *r[7:])


def _revocation(r: Any) -> Revocation:
    grants = bytes(r[4]) if r[4] is not None else None
    return Revocation(bytes(r[0]), str(r[1]), str(r[2]), None if r[3] is None else int(r[3]),
                      tuple(grants[i : i + 32] for i in range(0, len(grants), 32)) if grants is not None else None,
                      bytes(r[5]), int(r[6]), int(r[7]), float(r[8]))


_MESSAGE_COLUMNS = "message_id, origin_chain, dest_chain, message, leaf_index, root, block, state, tx_hash, " \
    "attempts, last_error"


def _message_row(r: Any) -> MessageRow:
    return MessageRow(bytes(r[0]), r[1], r[2], bytes(r[3]), r[4], bytes(r[5]), *r[6:])


class _Rows:
    """A statement's rows, all read while the connection's lock was held: a cursor stepped
    after the lock is released interleaves with the other threads' statements on the shared
    connection and reads torn results (rows counted twice, a NULL state)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._rows: list[Any] = cursor.fetchall()
        self.rowcount = cursor.rowcount

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


class _Locked:
    """The connection, used by one thread at a time: a process's chains work in threads of
    their own, and a transaction holds the lock from BEGIN to COMMIT."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db = db
        self.lock = lock

    def execute(self, sql: str, args: Any = ()) -> _Rows:
        with self.lock:
            return _Rows(self._db.execute(sql, args))

    def executescript(self, sql: str) -> sqlite3.Cursor:
        with self.lock:
            cursor: sqlite3.Cursor = self._db.executescript(sql)
            return cursor

    def close(self) -> None:
        with self.lock:
            self._db.close()


class Store:
    """The SQLite file of a relayer or solver, used by one process at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock_file: Any = None
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._exclusive()
            self._orphans()
        try:
            raw = sqlite3.connect(str(path), isolation_level=None, timeout=30, check_same_thread=False)
            self.db = _Locked(raw, threading.RLock())
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            self._release()
            raise CharterError(f"cannot open the state file {path}: {exc}; check the path and its permissions") \
                from None
        version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None:
            self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(version[0]) == 1:  # cursors gain the hash of the last block read
            self.db.execute("ALTER TABLE cursors ADD COLUMN block_hash TEXT")
            self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
        elif int(version[0]) != SCHEMA_VERSION:
            self._release()
            raise CharterError(f"{path} was written by another version (schema {version[0]}); use a new file")

    def _exclusive(self) -> None:
        """Hold `<file>.lock` while open: two processes sharing one file (and, as configured,
        one key) would send each other's transactions twice and revert half of them."""
        import fcntl

        handle = open(f"{self.path}.lock", "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise CharterError(
                f"the state file {self.path} is in use by {owner}: run one process per file (give each "
                "its own `db`; two relayers with one file and key revert each other's transactions)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}")
        handle.flush()
        self._lock_file = handle

    def _orphans(self) -> None:
        """A `-wal` / `-shm` left beside a deleted file would make SQLite fail with "disk I/O
        error": without their file they hold nothing recoverable, so they go."""
        if self.path.exists():
            return
        for suffix in ("-wal", "-shm"):
            orphan = Path(f"{self.path}{suffix}")
            if orphan.exists():
                log.warning("%s has no database beside it (deleted?): removing it", orphan)
                orphan.unlink()

    def _release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def close(self) -> None:
        self.db.close()
        self._release()

    @contextmanager
    def transaction(self) -> Iterator[_Locked]:
        """All writes inside the block commit together, or none does."""
        with self.db.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # ------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (key, value))

    # ------------------------------------------------------------ cursors

    def cursor(self, name: str, default: int) -> int:
        return self.cursor_at(name, default)[0]

    def cursor_at(self, name: str, default: int) -> tuple[int, str | None]:
        """The next block to read for `name`, and the hash the block before it had when read."""
        row = self.db.execute("SELECT next_block, block_hash FROM cursors WHERE name = ?", (name,)).fetchone()
        return (int(row[0]), row[1]) if row else (default, None)

    @staticmethod
    def set_cursor(db: _Locked, name: str, next_block: int, block_hash: str | None = None) -> None:
        """Move `name` to `next_block`; `block_hash` is the hash of block `next_block - 1`, just read."""
        db.execute(
            "INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET next_block = excluded.next_block, "
            "block_hash = excluded.block_hash",
            (name, next_block, block_hash),
        )

    def resync(self, chain_id: int, from_block: int) -> dict[str, int]:
        """Forget what this file knows of `chain_id`'s blocks (its genesis, the hashes and
        positions of its cursors, the destination records read there and the proofs made of
        them) and read it again from `from_block`. What other chains show is kept; orders are
        never marked done by this. Returns what was reset."""
        with self.transaction() as db:
            db.execute("DELETE FROM meta WHERE key = ?", (f"genesis:{chain_id}",))
            cursors = db.execute("UPDATE cursors SET next_block = ?, block_hash = NULL WHERE name LIKE ?",
                                 (from_block, f"%:{chain_id}")).rowcount
            proofs = db.execute(
                "UPDATE orders SET state = 'open', proof = NULL, tx_hash = NULL WHERE dest_chain = ? "
                "AND state IN ('proven', 'unfilled-proven', 'unfilled-asked', 'reported', 'settling', 'refunding')",
                (chain_id,)).rowcount
            records = db.execute(
                "DELETE FROM records WHERE dest_chain = ? AND order_id IN (SELECT order_id FROM orders WHERE state "
                "NOT IN ('settled', 'refunded'))", (chain_id,)).rowcount
            db.execute("DELETE FROM trees WHERE chain_id = ?", (chain_id,))
            # what was sent to the chain, or seen done there, is looked at again (read from its state)
            sends = db.execute("DELETE FROM agent_sends WHERE dest_chain = ? OR tx_chain = ?",
                               (chain_id, chain_id)).rowcount
            revocations = db.execute(
                "UPDATE revocation_targets SET state = 'pending', tx_hash = NULL, done_at = NULL, attempts = 0, "
                "retry_at = 0 WHERE dest_chain = ? AND state != 'pending'", (chain_id,)).rowcount
            # receipts are looked at again (the registry is read before anything is sent); requests are
            # read again from the chain (an answer it shows already is not sent twice)
            receipts = db.execute(
                "UPDATE receipts SET state = 'pending', tx_hash = NULL, done_at = NULL, attempts = 0, retry_at = 0 "
                "WHERE origin_chain = ? AND state != 'pending'", (chain_id,)).rowcount
            validations = db.execute("DELETE FROM validations WHERE chain_id = ?", (chain_id,)).rowcount
        return {"cursors": cursors, "proofs": proofs, "records": records, "agent deliveries": sends,
                "revocations": revocations, "receipts": receipts, "validation requests": validations}

    # ------------------------------------------------------------ relayer orders

    @staticmethod
    def add_order(
        db: _Locked, order_id: str, origin_chain: int, dest_chain: int, origin_data: bytes,
        fill_deadline: int, refund_after: int,
    ) -> bool:
        """Record a newly seen order (False if it was already known)."""
        cur = db.execute(
            "INSERT OR IGNORE INTO orders (order_id, origin_chain, dest_chain, origin_data, fill_deadline, "
            "refund_after, state, opened_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)",
            (order_id, origin_chain, dest_chain, origin_data, fill_deadline, refund_after, time.time()),
        )
        return cur.rowcount == 1

    @staticmethod
    def add_record(db: _Locked, record: Record) -> bool:
        cur = db.execute(
            "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (record.order_id, record.dest_chain, record.kind, record.payout, str(record.filler_agent_id),
             record.record_hash, record.block, record.seen_at),
        )
        return cur.rowcount == 1

    def drop_record(self, order_id: str) -> None:
        self.db.execute("DELETE FROM records WHERE order_id = ?", (order_id,))

    def record(self, order_id: str) -> Record | None:
        row = self.db.execute("SELECT * FROM records WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            return None
        return Record(row[0], row[1], row[2], row[3], int(row[4] or 0), bytes(row[5]), row[6], row[7])

    def _select(self, columns: str, table: str, states: tuple[str, ...], order: str, ready: bool,
                **equal: Any) -> list[Any]:
        """Rows of `table` in one of `states`, whose columns equal the non-None `equal` values,
        due now if `ready` (retry_at passed), in `order`."""
        query = f"SELECT {columns} FROM {table} WHERE state IN ({', '.join('?' * len(states))})"
        args: list[Any] = list(states)
        for column, value in equal.items():
            if value is not None and column == "refundable_at":
                query += " AND refund_after < ?"
                args.append(value)
            elif value is not None:
                query += f" AND {column} = ?"
                args.append(value)
        if ready:
            query += " AND retry_at <= ?"
            args.append(time.time())
        return self.db.execute(f"{query} ORDER BY {order}", args).fetchall()

    def orders(self, *states: str, origin_chain: int | None = None, ready: bool = False,
               refundable_at: int | None = None) -> list[Row]:
        """Orders in `states`; with `refundable_at`, only those whose refundAfter is before it."""
        return [Row(*r) for r in self._select("*", "orders", states, "opened_at, order_id", ready,
                                              origin_chain=origin_chain, refundable_at=refundable_at)]

    def order(self, order_id: str) -> Row | None:
        row = self.db.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
        return Row(*row) if row else None

    def update(self, order_id: str, **fields: Any) -> None:
        if not fields:
            return
        names = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE orders SET {names} WHERE order_id = ?", (*fields.values(), order_id))

    def finish_order(self, order_id: str, state: str, record_receipt: bool = False) -> None:
        """Write an order down `state` (settled, refunded) and, for a settled one when
        `record_receipt`, its receipt as to be recorded, in one transaction: a restart between
        the two finds both or neither."""
        with self.transaction() as db:
            db.execute("UPDATE orders SET state = ?, done_at = ? WHERE order_id = ?", (state, time.time(), order_id))
            if record_receipt and state == "settled":
                db.execute("INSERT OR IGNORE INTO receipts (order_id, origin_chain, state) SELECT order_id, "
                           "origin_chain, 'pending' FROM orders WHERE order_id = ?", (order_id,))

    def failed(self, order_id: str, error: str, backoff: float) -> None:
        """Count a failed attempt and hold the order back for `backoff` seconds."""
        self.db.execute(
            "UPDATE orders SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE order_id = ?",
            (error[:500], time.time() + backoff, order_id),
        )

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM orders GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}

    # ------------------------------------------------------------ Hyperlane messages

    def tree(self, chain_id: int) -> tuple[int, bytes] | None:
        """(count, branch) of the Merkle tree rebuilt for `chain_id`'s hook, if any."""
        row = self.db.execute("SELECT count, branch FROM trees WHERE chain_id = ?", (chain_id,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    @staticmethod
    def set_tree(db: _Locked, chain_id: int, count: int, branch: bytes) -> None:
        db.execute(
            "INSERT INTO trees VALUES (?, ?, ?) ON CONFLICT(chain_id) DO UPDATE SET count = excluded.count, "
            "branch = excluded.branch",
            (chain_id, count, branch),
        )

    @staticmethod
    def add_message(db: _Locked, message: MessageRow) -> bool:
        cur = db.execute(
            "INSERT OR IGNORE INTO messages (message_id, origin_chain, dest_chain, message, leaf_index, root, block, "
            "state, last_error, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (message.message_id, message.origin_chain, message.dest_chain, message.message, message.leaf_index,
             message.root, message.block, message.state, message.last_error, time.time()),
        )
        return cur.rowcount == 1

    def messages(self, state: str, dest_chain: int | None = None, ready: bool = False) -> list[MessageRow]:
        return [_message_row(r) for r in self._select(_MESSAGE_COLUMNS, "messages", (state,),
                                                      "origin_chain, leaf_index", ready, dest_chain=dest_chain)]

    def message(self, message_id: bytes) -> MessageRow | None:
        row = self.db.execute(f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE message_id = ?",
                              (bytes(message_id),)).fetchone()
        return _message_row(row) if row else None

    @staticmethod
    def add_report(db: _Locked, order_id: str, message_id: bytes, record_hash: bytes, proof: bytes) -> None:
        """A verified message reports `record_hash` for `order_id`; `proof` is its Merkle path."""
        db.execute("INSERT OR IGNORE INTO reports VALUES (?, ?, ?, ?)", (order_id, message_id, record_hash, proof))

    def reports(self, order_id: str) -> list[tuple[bytes, bytes, bytes]]:
        """(message id, record hash, proof) of each verified message that reported `order_id`."""
        rows = self.db.execute("SELECT message_id, record_hash, proof FROM reports WHERE order_id = ?", (order_id,))
        return [(bytes(m), bytes(r), bytes(p)) for m, r, p in rows.fetchall()]

    def update_message(self, message_id: bytes, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE messages SET {names} WHERE message_id = ?", (*fields.values(), bytes(message_id)))

    def message_failed(self, message_id: bytes, error: str, backoff: float) -> None:
        self.db.execute(
            "UPDATE messages SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE message_id = ?",
            (error[:500], time.time() + backoff, bytes(message_id)),
        )

    # ------------------------------------------------------------ agents (propagation)

    @staticmethod
    def add_agent(db: _Locked, home_chain: int, agent_id: int, dest_chain: int, via: str, block: int) -> bool:
        """Keep agent `agent_id` of `home_chain` represented on `dest_chain` through `via` (False if it was)."""
        cur = db.execute("INSERT OR IGNORE INTO agents VALUES (?, ?, ?, ?, ?)",
                         (home_chain, str(agent_id), dest_chain, via, block))
        return cur.rowcount == 1

    def agents(self) -> list[tuple[int, int, int, str]]:
        """(home chain, agent id, destination chain, via) of every agent found represented."""
        rows = self.db.execute("SELECT home_chain, agent_id, dest_chain, via FROM agents ORDER BY home_chain, "
                               "CAST(agent_id AS INTEGER), dest_chain, via").fetchall()
        return [(int(h), int(a), int(d), str(v)) for h, a, d, v in rows]

    def agent_send(self, dest_chain: int, via: str, home_chain: int, agent_id: int, sequence: int,
                   status: int) -> AgentSend | None:
        """The transaction sent to deliver (or, over Hyperlane, report) this state to `dest_chain`, if any."""
        row = self.db.execute(
            "SELECT tx_chain, tx_hash, sent_at FROM agent_sends WHERE dest_chain = ? AND via = ? AND home_chain = ? "
            "AND agent_id = ? AND sequence = ? AND status = ?",
            (dest_chain, via, home_chain, str(agent_id), sequence, status)).fetchone()
        return AgentSend(int(row[0]), str(row[1]), float(row[2])) if row else None

    def set_agent_send(self, dest_chain: int, via: str, home_chain: int, agent_id: int, sequence: int, status: int,
                       tx_chain: int, tx_hash: str) -> None:
        """Remember the transaction (written before it is broadcast: a restart finds it by its hash)."""
        self.db.execute(
            "INSERT INTO agent_sends VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dest_chain, via, home_chain, "
            "agent_id, sequence, status) DO UPDATE SET tx_chain = excluded.tx_chain, tx_hash = excluded.tx_hash, "
            "sent_at = excluded.sent_at",
            (dest_chain, via, home_chain, str(agent_id), sequence, status, tx_chain, tx_hash, time.time()))

    def drop_agent_send(self, dest_chain: int, via: str, home_chain: int, agent_id: int, sequence: int,
                        status: int) -> None:
        self.db.execute(
            "DELETE FROM agent_sends WHERE dest_chain = ? AND via = ? AND home_chain = ? AND agent_id = ? AND "
            "sequence = ? AND status = ?", (dest_chain, via, home_chain, str(agent_id), sequence, status))

    # ------------------------------------------------------------ signed revocations (propagation)

    @staticmethod
    def add_revocation(db: _Locked, revocation: Revocation, chains: list[int]) -> bool:
        """Record a revocation seen applied on its `source_chain` (False if it was known), to be
        carried to every chain of `chains`; it is done on the chain it was seen on."""
        cur = db.execute(
            "INSERT OR IGNORE INTO revocations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (revocation.revocation_id, revocation.kind, revocation.account,
             None if revocation.nonce is None else str(revocation.nonce),
             b"".join(revocation.grants) if revocation.grants is not None else None, revocation.signature,
             revocation.source_chain, revocation.block, time.time()))
        for chain in chains:
            db.execute("INSERT OR IGNORE INTO revocation_targets (revocation_id, dest_chain, state) VALUES "
                       "(?, ?, 'pending')", (revocation.revocation_id, chain))
        db.execute(
            "INSERT INTO revocation_targets (revocation_id, dest_chain, state, done_at) VALUES (?, ?, 'done', ?) "
            "ON CONFLICT (revocation_id, dest_chain) DO UPDATE SET state = 'done', done_at = COALESCE(done_at, "
            "excluded.done_at)", (revocation.revocation_id, revocation.source_chain, time.time()))
        return cur.rowcount == 1

    def add_revocation_targets(self, chains: list[int]) -> int:
        """Give every known revocation a target on each of `chains` it has none on (a chain added
        to the configuration later); the number added."""
        added = 0
        with self.transaction() as db:
            for chain in chains:
                added += db.execute(
                    "INSERT OR IGNORE INTO revocation_targets (revocation_id, dest_chain, state) SELECT "
                    "revocation_id, ?, 'pending' FROM revocations", (chain,)).rowcount
        return added

    def revocation_targets(self, dest_chain: int, *states: str, ready: bool = False) -> list[RevocationTarget]:
        """The revocations to carry to `dest_chain` in `states` (due now if `ready`), oldest first."""
        query = (
            "SELECT r.revocation_id, r.kind, r.account, r.nonce, r.grants, r.signature, r.source_chain, r.block, "
            "r.seen_at, t.state, t.tx_hash, t.attempts, t.last_error FROM revocation_targets t JOIN revocations r "
            "ON r.revocation_id = t.revocation_id WHERE t.dest_chain = ? AND t.state IN "
            f"({', '.join('?' * len(states))})"
        )
        args: list[Any] = [dest_chain, *states]
        if ready:
            query += " AND t.retry_at <= ?"
            args.append(time.time())
        rows = self.db.execute(query + " ORDER BY r.seen_at, r.revocation_id", args).fetchall()
        return [RevocationTarget(_revocation(r[:9]), dest_chain, str(r[9]), r[10], int(r[11]), r[12]) for r in rows]

    def revocation_counts(self) -> dict[str, int]:
        """Targets (a revocation on one chain) by state."""
        rows = self.db.execute("SELECT state, COUNT(*) FROM revocation_targets GROUP BY state").fetchall()
        return {str(state): int(n) for state, n in rows}

    def revocation(self, revocation_id: bytes) -> Revocation | None:
        row = self.db.execute(
            "SELECT revocation_id, kind, account, nonce, grants, signature, source_chain, block, seen_at FROM "
            "revocations WHERE revocation_id = ?", (bytes(revocation_id),)).fetchone()
        return _revocation(row) if row else None

    def revocation_state(self, revocation_id: bytes, dest_chain: int) -> str | None:
        row = self.db.execute("SELECT state FROM revocation_targets WHERE revocation_id = ? AND dest_chain = ?",
                              (bytes(revocation_id), dest_chain)).fetchone()
        return str(row[0]) if row else None

    def update_revocation_target(self, revocation_id: bytes, dest_chain: int, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE revocation_targets SET {names} WHERE revocation_id = ? AND dest_chain = ?",
                        (*fields.values(), bytes(revocation_id), dest_chain))

    def revocation_failed(self, revocation_id: bytes, dest_chain: int, error: str, backoff: float) -> None:
        """Count a failed attempt on `dest_chain` and hold it back for `backoff` seconds."""
        self.db.execute(
            "UPDATE revocation_targets SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE "
            "revocation_id = ? AND dest_chain = ?",
            (error[:500], time.time() + backoff, bytes(revocation_id), dest_chain))

    # ------------------------------------------------------------ receipts (charter.processes.receipts)

    def receipts(self, origin_chain: int, *states: str, ready: bool = False) -> list[ReceiptRow]:
        """Settled orders of `origin_chain` whose receipt is in `states` (due now if `ready`), oldest first."""
        query = (
            "SELECT r.order_id, r.origin_chain, o.origin_data, r.state, r.tx_hash, r.attempts, r.last_error FROM "
            "receipts r JOIN orders o ON o.order_id = r.order_id WHERE r.origin_chain = ? AND r.state IN "
            f"({', '.join('?' * len(states))})"
        )
        args: list[Any] = [origin_chain, *states]
        if ready:
            query += " AND r.retry_at <= ?"
            args.append(time.time())
        rows = self.db.execute(query + " ORDER BY o.done_at, r.order_id", args).fetchall()
        return [ReceiptRow(str(r[0]), int(r[1]), bytes(r[2]), str(r[3]), r[4], int(r[5]), r[6]) for r in rows]

    def receipt_state(self, order_id: str) -> str | None:
        row = self.db.execute("SELECT state FROM receipts WHERE order_id = ?", (order_id,)).fetchone()
        return str(row[0]) if row else None

    def receipt_tx(self, order_id: str) -> str | None:
        """The hash of the recordReceipt this relayer sent for `order_id` (None: none, or recorded by someone else)."""
        row = self.db.execute("SELECT tx_hash FROM receipts WHERE order_id = ?", (order_id,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def update_receipt(self, order_id: str, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE receipts SET {names} WHERE order_id = ?", (*fields.values(), order_id))

    def receipt_failed(self, order_id: str, error: str, backoff: float) -> None:
        """Count a failed attempt and hold the receipt back for `backoff` seconds."""
        self.db.execute(
            "UPDATE receipts SET attempts = attempts + 1, last_error = ?, retry_at = ? WHERE order_id = ?",
            (error[:500], time.time() + backoff, order_id))

    def receipt_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM receipts GROUP BY state").fetchall()
        return {str(state): int(n) for state, n in rows}

    # ------------------------------------------------------------ validation requests (charter.processes.validate)

    @staticmethod
    def add_validation(db: _Locked, row: ValidationRow) -> bool:
        """Record a request read on `row.chain_id` (False if it was known)."""
        cur = db.execute(
            f"INSERT OR IGNORE INTO validations ({_VALIDATION_COLUMNS}, seen_at) VALUES "
            f"({', '.join('?' * 16)})",
            (row.chain_id, row.request_hash, row.validator, str(row.agent_id), row.request_uri, row.origin_chain,
             row.order_id, row.block, row.state, row.reason, row.score, row.response_uri, row.tx_hash, row.attempts,
             row.last_error, time.time()))
        return cur.rowcount == 1

    def validations(self, chain_id: int, *states: str, ready: bool = False) -> list[ValidationRow]:
        """The requests read on `chain_id` in `states` (due now if `ready`), in the order they were made."""
        return [_validation_row(r) for r in self._select(_VALIDATION_COLUMNS, "validations", states,
                                                         "block, request_hash", ready, chain_id=chain_id)]

    def validation(self, chain_id: int, request_hash: bytes) -> ValidationRow | None:
        row = self.db.execute(f"SELECT {_VALIDATION_COLUMNS} FROM validations WHERE chain_id = ? AND "
                              "request_hash = ?", (chain_id, bytes(request_hash))).fetchone()
        return _validation_row(row) if row else None

    def update_validation(self, chain_id: int, request_hash: bytes, **fields: Any) -> None:
        names = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE validations SET {names} WHERE chain_id = ? AND request_hash = ?",
                        (*fields.values(), chain_id, bytes(request_hash)))

    def validation_failed(self, chain_id: int, request_hash: bytes, error: str | None, backoff: float) -> None:
        """Count an attempt (a failure, or a look that found nothing to answer yet: `error` None) and
        hold the request back for `backoff` seconds."""
        self.db.execute(
            "UPDATE validations SET attempts = attempts + 1, last_error = COALESCE(?, last_error), retry_at = ? "
            "WHERE chain_id = ? AND request_hash = ?",
            (None if error is None else error[:500], time.time() + backoff, chain_id, bytes(request_hash)))

    def validation_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM validations GROUP BY state").fetchall()
        return {str(state): int(n) for state, n in rows}

    # ------------------------------------------------------------ solver

    def seen_state(self, order_id: str) -> str | None:
        row = self.db.execute("SELECT state FROM seen WHERE order_id = ?", (order_id,)).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def add_seen(db: _Locked, order_id: str, origin_chain: int, origin_data: bytes) -> bool:
        """Record an order the solver has not seen before (False if it had)."""
        cur = db.execute(
            "INSERT OR IGNORE INTO seen VALUES (?, ?, ?, 'new', NULL, NULL, ?)",
            (order_id, origin_chain, origin_data, time.time()),
        )
        return cur.rowcount == 1

    def mark_seen(self, order_id: str, state: str, reason: str | None = None, tx_hash: str | None = None) -> None:
        self.db.execute(
            "UPDATE seen SET state = ?, reason = ?, tx_hash = COALESCE(?, tx_hash), updated_at = ? "
            "WHERE order_id = ?",
            (state, reason, tx_hash, time.time(), order_id),
        )

    def seen_tx(self, order_id: str) -> str | None:
        row = self.db.execute("SELECT tx_hash FROM seen WHERE order_id = ?", (order_id,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def seen_orders(self, *states: str) -> list[tuple[str, bytes]]:
        rows = self.db.execute(
            f"SELECT order_id, origin_data FROM seen WHERE state IN ({', '.join('?' * len(states))}) "
            "ORDER BY updated_at, order_id",
            states,
        )
        return [(str(r[0]), bytes(r[1])) for r in rows.fetchall()]

    def seen_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, COUNT(*) FROM seen GROUP BY state").fetchall()
        return {state: int(n) for state, n in rows}


__all__ = ["MESSAGE_STATES", "RECEIPT_STATES", "RELAY_STATES", "REVOCATION_STATES", "VALIDATION_STATES", "AgentSend",
           "MessageRow", "ReceiptRow", "Record", "Revocation", "RevocationTarget", "Row", "Store", "ValidationRow"]
