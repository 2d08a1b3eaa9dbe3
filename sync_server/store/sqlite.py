"""SQLite store: one file, shared safely by several gunicorn workers.

Every change is one atomic step across processes: a single statement, or a ``BEGIN IMMEDIATE``
transaction (which takes the database's write lock before reading) where it needs several. Writers first
queue for a lock file (``flock``; and, within a process, a mutex): the kernel hands that lock straight to
the next writer, where SQLite's own busy handler would poll by sleeping for growing intervals, which under
load costs far more than the transaction itself.

Time spent holding that lock is what limits throughput, and under load each statement inside it stretches
it (the thread must win back the GIL after every call into SQLite). So the common paths are one statement
each: creating a share is one INSERT; a claim with the right proof reads the share outside the lock, then
opens it with one conditional UPDATE that succeeds only if the share is still waiting (a compare-and-set);
revoking is one UPDATE. Such statements queue, and whichever thread holds the lock runs all those waiting
in one transaction (``_write``). Every other claim outcome, and a claim that lost a race, takes a
transaction of its own.

Erased means erased: ``secure_delete`` is on, so SQLite overwrites with zeros what a claim, a revocation
or an expiry removes, and the write-ahead log, which still holds the page as it was written, is checkpointed
into the database and truncated to nothing within a second or two of any erasure (``_scrub_soon``); the
share's bytes then exist nowhere in the data folder.

WAL mode lets reads go on meanwhile. ``synchronous=NORMAL`` (the setting SQLite recommends with WAL)
makes an acknowledged write survive a crash or kill of the server process; only a power cut or an
operating-system crash may undo the last moments' writes. Set ``--sqlite-synchronous FULL`` to pay an
fsync per write for that too.
"""

from __future__ import annotations

import collections
import fcntl
import hmac
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ..config import private_database, private_file, private_folder
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


# How long after an erasure the write-ahead log is emptied (see SQLiteStore.scrub).
SCRUB_EVERY_SECONDS = 1


class _PendingWrite:
    """One statement queued for whichever thread holds the writer lock (see ``SQLiteStore._write``)."""

    __slots__ = ("sql", "parameters", "rowcount", "error", "done")

    def __init__(self, sql: str, parameters: tuple):
        self.sql, self.parameters = sql, parameters
        self.rowcount, self.error = 0, None
        self.done = threading.Lock()
        self.done.acquire()  # released by the thread that runs the statement


class SQLiteStore:
    def __init__(self, path: str, synchronous: str = "NORMAL"):
        self.path = path
        self.synchronous = synchronous  # NORMAL or FULL: see the module's docstring
        self._local = threading.local()
        self._writer = threading.Lock()
        self._pending = collections.deque()
        self._writer_file = None  # opened lazily, so each forked worker has its own descriptor
        self._erased = threading.Event()  # set when ciphertext was erased and the log may still hold it
        self._scrubber_pid = None  # the scrubbing thread does not survive a fork: each worker starts its own
        folder = Path(path).parent
        if not folder.exists():
            private_folder(folder)
        private_database(Path(path))  # owner-only from the first byte
        private_file(Path(f"{path}.lock"))
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
            db.execute("PRAGMA secure_delete=ON")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    @contextmanager
    def _across_processes(self):
        """Hold the lock file, which queues this process's writer behind other workers' writers."""
        if self._writer_file is None or self._writer_pid != os.getpid():
            self._writer_file = open(f"{self.path}.lock", "a+b")  # noqa: SIM115 (kept for the process)
            self._writer_pid = os.getpid()
        fcntl.flock(self._writer_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._writer_file, fcntl.LOCK_UN)

    @contextmanager
    def _writers_queue(self):
        try:
            with self._writer, self._across_processes():
                yield
        finally:
            self._combine()  # statements queued meanwhile found the lock taken: someone must run them

    def _write(self, sql: str, parameters: tuple) -> int:
        """Run one statement that changes something; return how many rows it changed.

        Flat combining: the statement joins a queue, and the thread holding the writer lock runs everything
        queued, several statements in one transaction. Under load, requests that arrive together then share
        one lock hand-over and one commit instead of waiting for the lock one by one, each hand-over costing
        a wake-up and a wait for the GIL.
        """
        write = _PendingWrite(sql, parameters)
        self._pending.append(write)
        self._combine()
        write.done.acquire()
        if write.error is not None:
            raise write.error
        return write.rowcount

    def _combine(self):
        """Run queued statements, unless another thread holds the writer lock (it runs them when done)."""
        while self._pending and self._writer.acquire(blocking=False):
            try:
                while self._pending:
                    self._commit([self._pending.popleft() for _ in range(len(self._pending))])
            finally:
                self._writer.release()

    def _commit(self, batch: list[_PendingWrite]):
        """Run a batch and wake its threads; if a shared transaction fails, each statement runs again alone,
        so a statement that cannot run fails only its own request."""
        try:
            with self._across_processes():
                self._execute(batch)
        except Exception as error:
            if len(batch) > 1:
                for write in batch:
                    self._commit([write])
                return
            if isinstance(error, (sqlite3.Error, OSError)):
                self._local.db = None
                error = StoreUnavailable(str(error))
            batch[0].error = error
        for write in batch:
            write.done.release()

    def _execute(self, batch: list[_PendingWrite]):
        db = self._connection()
        if len(batch) == 1:
            batch[0].rowcount = db.execute(batch[0].sql, batch[0].parameters).rowcount
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            for write in batch:
                write.rowcount = db.execute(write.sql, write.parameters).rowcount
            db.execute("COMMIT")
        except BaseException:
            self._rollback(db)
            raise

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

    def _read(self, sql: str, parameters: tuple):
        try:
            return self._connection().execute(sql, parameters).fetchone()
        except sqlite3.Error as error:
            self._local.db = None
            raise StoreUnavailable(str(error)) from None

    def _rollback(self, db):
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            self._local.db = None

    def create(self, key, ciphertext, claim_hash, now, expires_at):
        self._write(
            "INSERT INTO shares (key, ciphertext, claim_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (key, ciphertext, claim_hash, now, expires_at),
        )

    def claim(self, key, claim_hash, now):
        row = self._read("SELECT ciphertext, claim_hash, created_at, expires_at, state FROM shares WHERE key = ?", (key,))
        if row is not None and row[4] == "waiting" and now < row[3] and hmac.compare_digest(row[1], claim_hash):
            opened = self._write(
                "UPDATE shares SET ciphertext = NULL, state = 'opened', state_at = ? "
                "WHERE key = ? AND state = 'waiting' AND expires_at > ? AND ciphertext IS NOT NULL",
                (now, key, now),
            )
            if opened:  # the ciphertext read above is the one erased now: it never changes while waiting
                self._scrub_soon()
                return ClaimOutcome("ok", ciphertext=row[0], created_at=row[2])
        outcome = self._claim_in_transaction(key, claim_hash, now)
        self._scrub_soon()
        return outcome

    def _claim_in_transaction(self, key, claim_hash, now):
        with self._transaction() as db:
            row = db.execute(
                "SELECT ciphertext, claim_hash, created_at, expires_at, state, state_at, wrong_proofs FROM shares WHERE key = ?",
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
        row = self._read("SELECT created_at, expires_at, state, state_at FROM shares WHERE key = ?", (key,))
        if row is None or now >= row[1] + TOMBSTONE_GRACE_SECONDS:
            return None
        created_at, expires_at, state, state_at = row
        state = effective_state(state, expires_at, now)
        return ShareStatus(state, created_at, expires_at, state_at if state != "expired" else expires_at)

    def revoke(self, key, now):
        self._write(
            "UPDATE shares SET ciphertext = NULL, state = 'revoked', state_at = ? "
            "WHERE key = ? AND state = 'waiting' AND expires_at > ?",
            (now, key, now),
        )
        self._scrub_soon()
        return self.status(key, now)

    def purge(self, now):
        """Erase the ciphertext of expired shares and drop tombstones past their grace period."""
        with self._transaction() as db:
            db.execute("UPDATE shares SET ciphertext = NULL WHERE expires_at <= ? AND ciphertext IS NOT NULL", (now,))
            dropped = db.execute("DELETE FROM shares WHERE expires_at <= ?", (now - TOMBSTONE_GRACE_SECONDS,)).rowcount
        self._scrub_soon()
        return dropped

    def _scrub_soon(self) -> None:
        """Have the write-ahead log emptied shortly: at most once a second per process, however many shares
        are erased, so a busy server pays one checkpoint a second rather than one per claim."""
        self._erased.set()
        if self._scrubber_pid != os.getpid():
            with self._writer:
                if self._scrubber_pid != os.getpid():
                    self._scrubber_pid = os.getpid()
                    threading.Thread(target=self._scrub_forever, name="wal-scrubber", daemon=True).start()

    def _scrub_forever(self) -> None:
        while True:
            self._erased.wait()
            time.sleep(SCRUB_EVERY_SECONDS)
            self._erased.clear()
            try:
                self.scrub()
            except StoreUnavailable:
                self._erased.set()  # try again next time; the requests themselves report the store's state

    def scrub(self) -> None:
        """Move the write-ahead log into the database and truncate it to zero bytes. Taken in the writers'
        queue, so no writer of any worker is kept waiting on SQLite's busy handler meanwhile."""
        with self._writers_queue():
            try:
                self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:
                self._local.db = None
                raise StoreUnavailable(str(error)) from None

    def ping(self):
        self._read("SELECT 1 FROM shares LIMIT 1", ())
