"""The SQLite store's writer queue: statements that wait for the lock are run together by whichever
thread holds it, and none is lost, run twice, or failed by another's error."""

from __future__ import annotations

import sqlite3
import threading
import time

from sync_server.store.base import StoreUnavailable
from sync_server.store.sqlite import SQLiteStore

CIPHERTEXT, PROOF = b"c" * 40, b"p" * 32


def in_threads(count: int, work) -> list:
    """Run work(i) in count threads at once; return each result or exception."""
    results = [None] * count
    start = threading.Barrier(count)

    def run(i):
        start.wait()
        try:
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 (the test looks at it)
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a writer was never woken"
    return results


def rows(store: SQLiteStore) -> dict:
    with sqlite3.connect(store.path) as db:
        return {key: (ciphertext, state) for key, ciphertext, state in db.execute("SELECT key, ciphertext, state FROM shares")}


def test_writes_queued_behind_a_transaction_run_when_it_ends_and_one_failure_fails_alone(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.sqlite3"))
    store.create("taken", b"first" * 8, PROOF, 0, 1000)
    keys = ["taken"] + [f"k{i}" for i in range(7)]
    results = [None] * len(keys)

    def create(i):
        try:
            store.create(keys[i], CIPHERTEXT, PROOF, 0, 1000)
        except StoreUnavailable as error:
            results[i] = error

    threads = [threading.Thread(target=create, args=(i,), daemon=True) for i in range(len(keys))]
    with store._writers.exclusive():  # hold the writer lock, as a transaction does, while all eight queue
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(store._writers._pending) < len(keys) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(store._writers._pending) == len(keys)
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive(), "a queued write was never run"

    assert isinstance(results[0], StoreUnavailable)  # the duplicate key, and only it
    assert results[1:] == [None] * 7
    stored = rows(store)
    assert stored["taken"] == (b"first" * 8, "waiting")
    assert all(stored[key] == (CIPHERTEXT, "waiting") for key in keys[1:])


def test_simultaneous_claims_of_one_share_open_it_exactly_once(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.sqlite3"))
    store.create("k", CIPHERTEXT, PROOF, 0, 1000)
    outcomes = in_threads(32, lambda i: store.claim("k", PROOF, 1))
    assert sorted(outcome.kind for outcome in outcomes) == ["gone"] * 31 + ["ok"]
    assert next(outcome for outcome in outcomes if outcome.kind == "ok").ciphertext == CIPHERTEXT
    assert rows(store)["k"] == (None, "opened")


def test_many_threads_creating_and_claiming_lose_nothing(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.sqlite3"))

    def create_then_claim(i):
        kinds = []
        for n in range(40):
            key = f"{i}-{n}"
            store.create(key, CIPHERTEXT + key.encode(), PROOF, 0, 1000)
            outcome = store.claim(key, PROOF, 1)
            kinds.append((outcome.kind, outcome.ciphertext == CIPHERTEXT + key.encode()))
        return kinds

    results = in_threads(16, create_then_claim)
    assert all(result == [("ok", True)] * 40 for result in results), results
    stored = rows(store)
    assert len(stored) == 16 * 40
    assert set(stored.values()) == {(None, "opened")}
