"""What the SQLite store itself costs per create+claim pair, beside SQLite alone running the same statements.

bench/load.py measures the whole server, where a pair's CPU includes every thread's wait for the GIL and the
writer lock; this splits that out. Each case runs the same pairs (a 300-byte share made, then claimed with its
proof) for ``--seconds``:

- ``store``: ``SQLiteStore`` as the server uses it (writer queue, quota check, triggers, secure delete, the
  write-ahead log scrubbed every second);
- ``sqlite``: one ``sqlite3`` connection per thread running the store's own statements (``CREATE_WITHIN_QUOTA``,
  ``READ_FOR_CLAIM``, ``OPEN_IF_WAITING``) on the store's schema with the same pragmas, and nothing else: the
  floor for this work in SQLite from Python.

Each runs alone (one thread) and as the server runs (``--workers`` processes of ``threads`` threads each, from
``sync_server.__main__.GUNICORN_SETTINGS``). Reported: pairs/s, CPU µs per pair (user + system, all
processes), and context switches per pair (each is a thread giving way: for the GIL, the writer lock or SQLite's
busy wait).

    .venv/bin/python -m bench.store_cost [--seconds 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

from sync_server.__main__ import GUNICORN_SETTINGS
from sync_server.sqlite_files import connect
from sync_server.store.sqlite import CREATE_WITHIN_QUOTA, OPEN_IF_WAITING, READ_FOR_CLAIM, SQLiteStore

ROOT = Path(__file__).resolve().parent.parent

CIPHERTEXT = os.urandom(300)
ROOM = (10**9, 10**12)  # shares and bytes: the quota never refuses here


class StorePairs:
    """Pairs through the store as the API makes them."""

    def __init__(self, path: str):
        self.store = SQLiteStore(path, max_shares=ROOM[0], max_bytes=ROOM[1])

    def pair(self, key: str, proof: bytes, now: int) -> bool:
        self.store.create(key, CIPHERTEXT, proof, now, now + 3600)
        return self.store.claim(key, proof, now).kind == "ok"


class SQLitePairs:
    """The same statements on the same file, one connection per thread, nothing around them."""

    def __init__(self, path: str):
        SQLiteStore(path)  # the store's schema and pragmas, made the store's way
        self.path, self.local = Path(path), threading.local()

    def pair(self, key: str, proof: bytes, now: int) -> bool:
        db = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = connect(self.path, secure_delete=True)
        db.execute(CREATE_WITHIN_QUOTA, (key, CIPHERTEXT, proof, now, now + 3600, ROOM[0], len(CIPHERTEXT), ROOM[1]))
        row = db.execute(READ_FOR_CLAIM, (key,)).fetchone()
        return row is not None and db.execute(OPEN_IF_WAITING, (now, key, now)).rowcount == 1


def run_process(kind, path: str, threads: int, seconds: float, name: str, out: int) -> None:
    pairs = kind(path)
    counts, failures = [], []
    deadline = time.monotonic() + seconds

    def loop(thread: int) -> None:
        done = 0
        while time.monotonic() < deadline:
            key = f"{name}-{thread}-{done}"
            if not pairs.pair(key, hashlib.sha256(key.encode()).digest(), int(time.time())):
                failures.append(key)
            done += 1
        counts.append(done)

    workers = [threading.Thread(target=loop, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    os.write(out, f"{sum(counts)} {len(failures)}\n".encode())


def measure(kind, processes: int, threads: int, seconds: float) -> dict:
    """Run ``processes`` forked processes of ``threads`` threads on a fresh file; their pairs/s and costs."""
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "store.db")
        kind(path)  # made before the fork, as the server's master does
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        read_end, write_end = os.pipe()
        children = []
        for number in range(processes):
            pid = os.fork()
            if pid == 0:
                try:
                    run_process(kind, path, threads, seconds, f"p{number}", write_end)
                finally:
                    os._exit(0)
            children.append(pid)
        for pid in children:
            os.waitpid(pid, 0)
        os.close(write_end)
        with os.fdopen(read_end) as results:
            lines = [line.split() for line in results.read().splitlines()]
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pairs = sum(int(done) for done, _ in lines)
    failed = sum(int(failures) for _, failures in lines)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    switches = (after.ru_nvcsw - before.ru_nvcsw) + (after.ru_nivcsw - before.ru_nivcsw)
    return {
        "pairs_per_s": pairs / seconds,
        "cpu_us_per_pair": cpu / max(pairs, 1) * 1e6,
        "switches_per_pair": switches / max(pairs, 1),
        "failed": failed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    threads = GUNICORN_SETTINGS["threads"]
    shapes = {"alone (1 thread)": (1, 1), f"as served ({arguments.workers} × {threads} threads)": (arguments.workers, threads)}
    print("| case | what runs | pairs/s | CPU µs per pair | context switches per pair |")
    print("|---|---|---|---|---|")
    failed = 0
    for shape, (processes, thread_count) in shapes.items():
        for label, kind in (("the store", StorePairs), ("SQLite alone, same statements", SQLitePairs)):
            figures = measure(kind, processes, thread_count, arguments.seconds)
            failed += figures["failed"]
            print(
                f"| {shape} | {label} | {figures['pairs_per_s']:,.0f} | {figures['cpu_us_per_pair']:.0f} | "
                f"{figures['switches_per_pair']:.1f} |"
            )
    if failed:
        sys.exit(f"{failed} pairs did not open their share: the figures above do not count")


if __name__ == "__main__":
    main()
