"""The queue SQLite writers wait in: one at a time across threads and worker processes, statements batched.

Writers first queue for a lock file (``flock``; and, within a process, a mutex): the kernel hands that lock
straight to the next writer, where SQLite's own busy handler would poll by sleeping for growing intervals,
which under load costs far more than the transaction itself.

Single statements are flat-combined: each joins a queue, and the thread holding the writer lock runs all
those waiting in one transaction. Under load, requests that arrive together then share one lock hand-over
and one commit instead of waiting for the lock one by one, each hand-over costing a wake-up and a wait for
the GIL.
"""

from __future__ import annotations

import collections
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from contextlib import contextmanager

from .base import StoreUnavailable


class _PendingWrite:
    """One statement queued for whichever thread holds the writer lock."""

    __slots__ = ("sql", "parameters", "rowcount", "error", "done")

    def __init__(self, sql: str, parameters: tuple):
        self.sql, self.parameters = sql, parameters
        self.rowcount, self.error = 0, None
        self.done = threading.Lock()
        self.done.acquire()  # released by the thread that runs the statement


class WriterQueue:
    """Serialises the writers of one SQLite file. ``connection()`` gives the calling thread's connection;
    ``forget_connection()`` drops it after an error, so the next call opens a fresh one."""

    def __init__(self, lock_path: str, connection: Callable[[], sqlite3.Connection], forget_connection: Callable[[], None]):
        self.lock_path = lock_path
        self._connection = connection
        self._forget_connection = forget_connection
        self._mutex = threading.Lock()
        self._pending: collections.deque[_PendingWrite] = collections.deque()
        self._lock_file = None  # opened lazily, so each forked worker has its own descriptor
        self._lock_file_pid = None

    @contextmanager
    def _across_processes(self):
        """Hold the lock file, which queues this process's writer behind other workers' writers."""
        if self._lock_file is None or self._lock_file_pid != os.getpid():
            self._lock_file = open(self.lock_path, "a+b")  # noqa: SIM115 (kept for the process)
            self._lock_file_pid = os.getpid()
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    @contextmanager
    def exclusive(self):
        """Be the only writer, in this process and in every other, for the ``with`` block."""
        try:
            with self._mutex, self._across_processes():
                yield
        finally:
            self._combine()  # statements queued meanwhile found the lock taken: someone must run them

    @contextmanager
    def transaction(self):
        """A ``BEGIN IMMEDIATE`` transaction as the only writer; SQLite errors become StoreUnavailable."""
        with self.exclusive():
            try:
                db = self._connection()
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self._forget_connection()
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

    def write(self, sql: str, parameters: tuple) -> int:
        """Run one statement that changes something, perhaps batched with others; return how many rows it
        changed."""
        write = _PendingWrite(sql, parameters)
        self._pending.append(write)
        self._combine()
        write.done.acquire()
        if write.error is not None:
            raise write.error
        return write.rowcount

    def _combine(self):
        """Run queued statements, unless another thread holds the writer lock (it runs them when done)."""
        while self._pending and self._mutex.acquire(blocking=False):
            try:
                while self._pending:
                    self._commit([self._pending.popleft() for _ in range(len(self._pending))])
            finally:
                self._mutex.release()

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
                self._forget_connection()
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

    def _rollback(self, db):
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            self._forget_connection()
