"""A storage for the ``limits`` library in one SQLite file, so that every gunicorn worker (and every instance
on the same machine) spends one rate-limit budget without a Redis.

``limits`` keeps the strategy (Flask-Limiter's default fixed window); this class only keeps its counters,
each change one atomic statement: an UPSERT that starts a new window when the old one has run out and
otherwise adds to it, returning the new count. SQLite's write lock makes that statement one step across
processes, so forty creates from one person at once still let exactly the limit through.

Importing this module registers the ``sqlite:///PATH`` scheme with ``limits.storage.storage_from_string``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

from .sqlite_files import connect, prepare

SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID;
"""

INCREMENT = """
INSERT INTO counters (key, count, expires_at) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END,
    expires_at = CASE WHEN expires_at <= :now THEN :now + :expiry ELSE expires_at END
RETURNING count
"""

# Counters whose window has passed are dropped at most this often per process; they are ignored meanwhile.
PURGE_EVERY_SECONDS = 60


def prepare_limit_storage(url: str) -> None:
    """The counters' file's first-start set-up, for the arbiter to do once before the workers start (each
    worker's storage repeats it safely). Other storages (Redis) need none."""
    if url.startswith("sqlite:///"):
        prepare(Path(url.removeprefix("sqlite:///")), SCHEMA)


class SQLiteLimitStorage(Storage):
    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.removeprefix("sqlite:///"))
        self._local = threading.local()
        self._last_purge = 0.0
        prepare_limit_storage(uri)  # safe when every worker starts at once (sqlite_files)

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and per process: a connection must not cross a gunicorn fork."""
        db = getattr(self._local, "db", None)
        if db is None or self._local.pid != os.getpid():
            db = connect(self.path)  # synchronous=NORMAL: a counter lost to a power cut only returns a little budget
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        if now - self._last_purge >= PURGE_EVERY_SECONDS:
            self._last_purge = now
            self._connection().execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
        row = self._connection().execute(INCREMENT, {"key": key, "amount": amount, "now": now, "expiry": expiry}).fetchone()
        return row[0]

    def get(self, key: str) -> int:
        row = (
            self._connection()
            .execute("SELECT count FROM counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._connection().execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now)).fetchone()
        )
        return row[0] if row else now

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1 FROM counters LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
