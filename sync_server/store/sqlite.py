"""SQLite store: one file, shared safely by several gunicorn workers.

Every change is one atomic step across processes: a single statement, or a ``BEGIN IMMEDIATE``
transaction (which takes the database's write lock before reading) where it needs several. Writers wait
their turn in a ``WriterQueue`` (``sqlite_writers.py``), one at a time across threads and workers.

Time spent holding that lock is what limits throughput, and under load each statement inside it stretches
it (the thread must win back the GIL after every call into SQLite). So the common paths are one statement
each: creating a share is one INSERT; a claim with the right proof reads the share outside the lock, then
opens it with one conditional UPDATE that succeeds only if the share is still waiting (a compare-and-set);
revoking is one UPDATE. Such statements queue, and whichever thread holds the lock runs all those waiting
in one transaction (``WriterQueue.write``). Every other claim outcome, and a claim that lost a race, takes a
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

import hmac
import os
import sqlite3
import threading
import time
from pathlib import Path

from ..sqlite_files import connect, lock_path, prepare
from .base import (
    MAX_WRONG_PROOFS,
    TOMBSTONE_GRACE_SECONDS,
    ClaimOutcome,
    ShareStatus,
    StoreFull,
    StoreUnavailable,
    effective_state,
)
from .sqlite_requests import REQUESTS_SCHEMA, SQLiteRequests, upgrade_requests
from .sqlite_writers import WriterQueue

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
-- What the shares still holding ciphertext take, kept by triggers so that checking the quota costs one row
-- read. Its one row is made once (count_usage_once), counting what an earlier version left.
CREATE TABLE IF NOT EXISTS usage (id INTEGER PRIMARY KEY CHECK (id = 1), shares INTEGER NOT NULL, bytes INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS usage_on_insert AFTER INSERT ON shares WHEN NEW.ciphertext IS NOT NULL BEGIN
    UPDATE usage SET shares = shares + 1, bytes = bytes + length(NEW.ciphertext);
END;
CREATE TRIGGER IF NOT EXISTS usage_on_erase AFTER UPDATE OF ciphertext ON shares
    WHEN OLD.ciphertext IS NOT NULL AND NEW.ciphertext IS NULL BEGIN
    UPDATE usage SET shares = shares - 1, bytes = bytes - length(OLD.ciphertext);
END;
CREATE TRIGGER IF NOT EXISTS usage_on_delete AFTER DELETE ON shares WHEN OLD.ciphertext IS NOT NULL BEGIN
    UPDATE usage SET shares = shares - 1, bytes = bytes - length(OLD.ciphertext);
END;
"""
# A new share is stored only if it fits under the quota, checked in the same statement, so two workers
# creating at once can never both slip in over it.
CREATE_WITHIN_QUOTA = """
INSERT INTO shares (key, ciphertext, claim_hash, created_at, expires_at)
    SELECT ?, ?, ?, ?, ? FROM usage WHERE shares < ? AND bytes + ? <= ?
"""
NO_CAP = 2**62
# A claim with the right proof opens its share in one compare-and-set: only if it is still waiting.
OPEN_IF_WAITING = """
UPDATE shares SET ciphertext = NULL, state = 'opened', state_at = ?
    WHERE key = ? AND state = 'waiting' AND expires_at > ? AND ciphertext IS NOT NULL
"""
# The claim's read, outside the writers' queue (WAL lets it run beside a write).
READ_FOR_CLAIM = "SELECT ciphertext, claim_hash, created_at, expires_at, state FROM shares WHERE key = ?"


# How long after an erasure the write-ahead log is emptied (see SQLiteStore.scrub).
SCRUB_EVERY_SECONDS = 1
# A write refused at the quota purges expired data to make room at most this often, per process.
ROOM_PURGE_EVERY_SECONDS = 1


def count_usage_once(db) -> None:
    """Make the usage row, counting the shares an earlier version left, only when there is none. Decided
    here rather than by a WHERE in the schema's statement, so that no start's cost rests on the query
    planner skipping a count of the whole table."""
    if db.execute("SELECT 1 FROM usage").fetchone() is None:
        db.execute(
            "INSERT INTO usage (id, shares, bytes) SELECT 1, count(ciphertext), coalesce(sum(length(ciphertext)), 0) FROM shares"
        )


def upgrade(db) -> None:
    count_usage_once(db)
    upgrade_requests(db)


def prepare_file(path: str) -> None:
    """The store's first-start set-up, safe when every worker starts at once (``sqlite_files.prepare``)."""
    try:
        prepare(Path(path), SCHEMA + REQUESTS_SCHEMA, upgrade=upgrade)
    except sqlite3.Error as error:
        raise StoreUnavailable(str(error)) from None


class SQLiteStore(SQLiteRequests):
    def __init__(self, path: str, synchronous: str = "NORMAL", max_shares: int = 0, max_bytes: int = 0):
        self.path = path
        self.synchronous = synchronous  # NORMAL or FULL: see the module's docstring
        self.max_shares, self.max_bytes = max_shares or NO_CAP, max_bytes or NO_CAP  # 0: no cap
        self._local = threading.local()
        self._writers = WriterQueue(lock_path(Path(path)), self._connection, self._forget_connection)
        self._erased = threading.Event()  # set when ciphertext was erased and the log may still hold it
        self._scrubber_pid = None  # the scrubbing thread does not survive a fork: each worker starts its own
        self._scrubber_start = threading.Lock()
        self._last_room_purge = -ROOM_PURGE_EVERY_SECONDS  # when (the store's now) a refused write last purged
        prepare_file(path)

    def _connection(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = connect(Path(self.path), synchronous=self.synchronous, secure_delete=True)
            self._local.db = db
        return db

    def _forget_connection(self) -> None:
        self._local.db = None

    def _read(self, sql: str, parameters: tuple):
        try:
            return self._connection().execute(sql, parameters).fetchone()
        except sqlite3.Error as error:
            self._forget_connection()
            raise StoreUnavailable(str(error)) from None

    def create(self, key, ciphertext, claim_hash, now, expires_at):
        parameters = (key, ciphertext, claim_hash, now, expires_at, self.max_shares, len(ciphertext), self.max_bytes)
        if self._writers.write(CREATE_WITHIN_QUOTA, parameters):
            return
        # Expired shares keep their ciphertext until the next purge; make room from them before refusing, at
        # most once a second (a flood at the quota would otherwise cost a purge's write per refusal).
        if not self._purged_for_room(now) or not self._writers.write(CREATE_WITHIN_QUOTA, parameters):
            shares, stored = self.usage()
            raise StoreFull(f"{shares:,} shares, {stored:,} bytes held; the quota is {self._quota()}")

    def _purged_for_room(self, now: int) -> bool:
        """Purge expired data to make room for a write refused at the quota, unless this process did so less
        than a second ago (then the refusal stands at once). Whether it purged."""
        if abs(now - self._last_room_purge) < ROOM_PURGE_EVERY_SECONDS:
            return False
        self._last_room_purge = now
        self.purge(now)
        return True

    def usage(self) -> tuple[int, int]:
        """How many shares hold ciphertext, and how many bytes of it."""
        return tuple(self._read("SELECT shares, bytes FROM usage", ()))

    def fullness(self) -> float:
        shares, stored = self.usage()
        return max(shares / self.max_shares, stored / self.max_bytes)

    def _quota(self) -> str:
        caps = [
            f"{self.max_shares:,} shares" if self.max_shares != NO_CAP else "",
            f"{self.max_bytes:,} bytes" if self.max_bytes != NO_CAP else "",
        ]
        return " and ".join(cap for cap in caps if cap)

    def claim(self, key, claim_hash, now):
        row = self._read(READ_FOR_CLAIM, (key,))
        if row is not None and row[4] == "waiting" and now < row[3] and hmac.compare_digest(row[1], claim_hash):
            opened = self._writers.write(OPEN_IF_WAITING, (now, key, now))
            if opened:  # the ciphertext read above is the one erased now: it never changes while waiting
                self._scrub_soon()
                return ClaimOutcome("ok", ciphertext=row[0], created_at=row[2])
        outcome = self._claim_in_transaction(key, claim_hash, now)
        self._scrub_soon()
        return outcome

    def _claim_in_transaction(self, key, claim_hash, now):
        with self._writers.transaction() as db:
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
        self._writers.write(
            "UPDATE shares SET ciphertext = NULL, state = 'revoked', state_at = ? "
            "WHERE key = ? AND state = 'waiting' AND expires_at > ?",
            (now, key, now),
        )
        self._scrub_soon()
        return self.status(key, now)

    def purge(self, now):
        """Erase the ciphertext of expired shares and requests' answers; drop tombstones past their grace period."""
        with self._writers.transaction() as db:
            db.execute("UPDATE shares SET ciphertext = NULL WHERE expires_at <= ? AND ciphertext IS NOT NULL", (now,))
            dropped = db.execute("DELETE FROM shares WHERE expires_at <= ?", (now - TOMBSTONE_GRACE_SECONDS,)).rowcount
            dropped += self.purge_requests(db, now)
        self._scrub_soon()
        return dropped

    def _scrub_soon(self) -> None:
        """Have the write-ahead log emptied shortly: at most once a second per process, however many shares
        are erased, so a busy server pays one checkpoint a second rather than one per claim."""
        self._erased.set()
        if self._scrubber_pid != os.getpid():
            with self._scrubber_start:
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
        with self._writers.exclusive():
            try:
                self._connection().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as error:
                self._forget_connection()
                raise StoreUnavailable(str(error)) from None

    def ping(self):
        self._read("SELECT 1 FROM shares LIMIT 1", ())
