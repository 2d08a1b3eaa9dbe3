"""SQLite store: one file, shared safely by several gunicorn workers.

Every change runs in a ``BEGIN IMMEDIATE`` transaction, which takes the database's write lock before
reading, so a claim's check of the proof and its erasure of the ciphertext are one atomic step across
processes. Writers first queue for a lock file (``flock``; and, within a process, a mutex): the kernel
hands that lock straight to the next writer, where SQLite's own busy handler would poll by sleeping for
growing intervals, which under load costs far more than the transaction itself.

WAL mode lets reads go on meanwhile. ``synchronous=NORMAL`` (the setting SQLite recommends with WAL)
makes an acknowledged write survive a crash or kill of the server process; only a power cut or an
operating-system crash may undo the last moments' writes. Set ``SYNC_SQLITE_SYNCHRONOUS=FULL`` to pay an
fsync per write for that too.
"""

from __future__ import annotations

import fcntl
import hmac
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from .base import MAX_WRONG_PROOFS, TOMBSTONE_GRACE_SECONDS, ClaimOutcome, ShareStatus, StoreUnavailable, effective_state

SCHEMA = """
CREATE TABLE IF NOT EXISTS shares (
    key TEXT PRIMARY KEY,
    ciphertext BLOB,
    claim_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'waiting',
    state_at INTEGER,
    wrong_proofs INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS shares_by_expiry ON shares (expires_at);
"""


class SQLiteStore:
    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()
        self._writer = threading.Lock()
        self._writer_file = None  # opened lazily, so each forked worker has its own descriptor
        self.synchronous = "FULL" if os.environ.get("SYNC_SQLITE_SYNCHRONOUS", "").upper() == "FULL" else "NORMAL"
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection(create=True).executescript(SCHEMA)
        except sqlite3.Error as error:
            raise StoreUnavailable(str(error)) from None

    def _connection(self, create: bool = False) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Only the first start may create the file: later, a missing database is an error to report,
            # not an empty one to start again in (which would silently lose every waiting share).
            mode = "rwc" if create else "rw"
            uri = f"file:{quote(Path(self.path).resolve().as_posix())}?mode={mode}"
            db = sqlite3.connect(uri, uri=True, timeout=10, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={self.synchronous}")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    @contextmanager
    def _writers_queue(self):
        with self._writer:
            if self._writer_file is None or self._writer_pid != os.getpid():
                self._writer_file = open(f"{self.path}.lock", "a+b")  # noqa: SIM115 (kept for the process)
                self._writer_pid = os.getpid()
            fcntl.flock(self._writer_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._writer_file, fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self):
        with self._writers_queue():
            try:
                db = self._connection()
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self._local.db = None
                raise StoreUnavailable(str(error)) from None
            try:
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as error:
                self._rollback(db)
                raise StoreUnavailable(str(error)) from None
            except BaseException:
                self._rollback(db)
                raise

    def _rollback(self, db):
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            self._local.db = None

    def create(self, key, ciphertext, claim_hash, now, expires_at):
        with self._transaction() as db:
            db.execute(
                "INSERT INTO shares (key, ciphertext, claim_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (key, ciphertext, claim_hash, now, expires_at),
            )

    def claim(self, key, claim_hash, now):
        with self._transaction() as db:
            row = db.execute(
                "SELECT ciphertext, claim_hash, created_at, expires_at, state, state_at, wrong_proofs "
                "FROM shares WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None or now >= row[3] + TOMBSTONE_GRACE_SECONDS:
                return ClaimOutcome("unknown")
            ciphertext, stored_hash, created_at, expires_at, state, state_at, wrong = row
            state = effective_state(state, expires_at, now)
            if state != "waiting":
                if state == "expired" and ciphertext is not None:
                    db.execute("UPDATE shares SET ciphertext = NULL WHERE key = ?", (key,))
                return ClaimOutcome("gone", status=ShareStatus(state, created_at, expires_at, state_at or expires_at))
            if not hmac.compare_digest(stored_hash, claim_hash):
                wrong += 1
                if wrong >= MAX_WRONG_PROOFS:
                    db.execute(
                        "UPDATE shares SET ciphertext = NULL, state = 'destroyed', state_at = ?, wrong_proofs = ? WHERE key = ?",
                        (now, wrong, key),
                    )
                else:
                    db.execute("UPDATE shares SET wrong_proofs = ? WHERE key = ?", (wrong, key))
                return ClaimOutcome("wrong_proof", attempts_left=MAX_WRONG_PROOFS - wrong)
            db.execute("UPDATE shares SET ciphertext = NULL, state = 'opened', state_at = ? WHERE key = ?", (now, key))
            return ClaimOutcome("ok", ciphertext=ciphertext, created_at=created_at)

    def status(self, key, now):
        try:
            row = self._connection().execute(
                "SELECT created_at, expires_at, state, state_at FROM shares WHERE key = ?", (key,)
            ).fetchone()
        except sqlite3.Error as error:
            self._local.db = None
            raise StoreUnavailable(str(error)) from None
        if row is None or now >= row[1] + TOMBSTONE_GRACE_SECONDS:
            return None
        created_at, expires_at, state, state_at = row
        state = effective_state(state, expires_at, now)
        return ShareStatus(state, created_at, expires_at, state_at if state != "expired" else expires_at)

    def revoke(self, key, now):
        with self._transaction() as db:
            db.execute(
                "UPDATE shares SET ciphertext = NULL, state = 'revoked', state_at = ? "
                "WHERE key = ? AND state = 'waiting' AND expires_at > ?",
                (now, key, now),
            )
        return self.status(key, now)

    def purge(self, now):
        """Erase the ciphertext of expired shares and drop tombstones past their grace period."""
        with self._transaction() as db:
            db.execute("UPDATE shares SET ciphertext = NULL WHERE expires_at <= ? AND ciphertext IS NOT NULL", (now,))
            return db.execute("DELETE FROM shares WHERE expires_at <= ?", (now - TOMBSTONE_GRACE_SECONDS,)).rowcount

    def ping(self):
        try:
            self._connection().execute("SELECT 1 FROM shares LIMIT 1").fetchall()
        except sqlite3.Error as error:
            self._local.db = None
            raise StoreUnavailable(str(error)) from None
