"""Opening the server's SQLite files (the shares and the rate limiter's counters), safe when several
workers and several instances start on one data folder at once.

A file's first start creates it, switches it to write-ahead logging and creates its tables. Two processes
doing that together collide in a way no busy timeout helps: switching the journal mode needs an exclusive
lock, and when two connections that each hold a shared lock both ask for it, SQLite answers one of them
``database is locked`` at once instead of waiting (waiting would deadlock). A worker that meets that fails
to boot, and gunicorn then stops the whole server. So each file's set-up (``prepare``) runs under a lock
file of its own (``flock``), one process at a time, however many start together; every connection is
opened with its busy timeout already set, before any statement, and makes no journal-mode change of its own
(write-ahead logging is kept in the file itself once ``prepare`` has set it).
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from .config import private_database, private_file, private_folder

# How long a statement waits for another process's write lock before giving up with "database is locked".
BUSY_TIMEOUT_SECONDS = 10


def lock_path(path: Path) -> Path:
    """The lock file beside a database: its set-up, and (for the shares) its writers, queue on it."""
    return Path(f"{path}.lock")


def connect(path: Path, *, create: bool = False, synchronous: str = "NORMAL", secure_delete: bool = False) -> sqlite3.Connection:
    """A connection to ``path`` in autocommit mode, usable from any thread that owns it. Only ``prepare``
    creates a file: later, a missing database is an error to report, not an empty one to start again in
    (which would silently lose every waiting share)."""
    uri = f"file:{quote(path.resolve().as_posix())}?mode={'rwc' if create else 'rw'}"
    # sqlite3.connect sets the busy timeout as it opens the file, before the first statement.
    db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
    db.execute(f"PRAGMA synchronous={synchronous}")
    if secure_delete:
        db.execute("PRAGMA secure_delete=ON")
    return db


def prepare(path: Path, schema: str, upgrade: Callable[[sqlite3.Connection], None] | None = None) -> None:
    """Create ``path`` if need be (owner-only from its first byte), switch it to write-ahead logging and run
    ``schema`` (statements that are safe to repeat), then ``upgrade`` (which brings a file from an earlier
    version up to the schema), one process at a time. Cheap when already done."""
    if not path.parent.exists():
        private_folder(path.parent)
    private_database(path)
    with open(private_file(lock_path(path)), "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
        db = connect(path, create=True)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"{path.name} cannot use write-ahead logging (journal mode {mode})")
            db.executescript(schema)
            if upgrade is not None:
                upgrade(db)
        finally:
            db.close()
