"""A first start on an empty data folder, with every worker and several servers racing to make it.

Seen before: two workers opening the fresh rate-limit file at once, one got "database is locked" from
switching it to write-ahead logging, failed to boot, and gunicorn stopped the whole server.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from sync_server.config import Settings
from sync_server.limit_storage import SQLiteLimitStorage
from sync_server.store import open_store
from tests.support.servers import ServerProcess, wait_until_serving

RACERS = 8
ROUNDS = 20


def _start_everything(folder: str, barrier, results) -> None:
    """What one worker does on its first start, released at the same instant as the others."""
    try:
        barrier.wait()
        settings = Settings(data_dir=Path(folder))
        keys = settings.ensure_secret_keys()
        store = open_store(settings.store_url)
        store.ping()
        SQLiteLimitStorage(settings.rate_limit_storage_url).incr("someone", 60)
        results.put(("ok", keys[0]))
    except Exception as error:  # noqa: BLE001  (reported to the test, which names it)
        results.put(("failed", f"{type(error).__name__}: {error}"))


def test_processes_starting_together_on_an_empty_folder_all_start_and_share_one_key(tmp_path):
    # Not "fork": this test process may have threads (other tests' stores) holding locks a child would inherit.
    context = multiprocessing.get_context("forkserver")
    failures, keys = [], set()
    for round_number in range(ROUNDS):
        folder = tmp_path / f"round-{round_number}"
        barrier, results = context.Barrier(RACERS), context.Queue()
        racers = [context.Process(target=_start_everything, args=(str(folder), barrier, results)) for _ in range(RACERS)]
        for racer in racers:
            racer.start()
        outcomes = [results.get(timeout=60) for _ in racers]
        for racer in racers:
            racer.join(timeout=30)
        failures += [detail for outcome, detail in outcomes if outcome == "failed"]
        round_keys = {detail for outcome, detail in outcomes if outcome == "ok"}
        assert len(round_keys) <= 1, "processes starting together must all read the one key that was made"
        keys |= round_keys
        for database in ("shares.sqlite3", "rate_limits.sqlite3"):
            mode = sqlite3.connect(folder / database).execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "wal", (database, mode)
    assert not failures, f"{len(failures)} of {ROUNDS * RACERS} first starts failed, e.g. {failures[:3]}"
    assert len(keys) == ROUNDS  # a fresh key for each fresh folder


def _booted_cleanly(server: ServerProcess, workers: int) -> None:
    try:
        server.wait_for_workers(workers)
        wait_until_serving(f"{server.url}/api/health", server.process)
    finally:
        server.stop()
    log = server.log()
    assert "Worker failed to boot" not in log and "database is locked" not in log and "Traceback" not in log, log


def test_a_server_with_four_workers_starts_on_an_empty_folder_every_time(tmp_path):
    for attempt in range(3):
        _booted_cleanly(ServerProcess(tmp_path / f"data-{attempt}", "--workers", "4").launch(), 4)


def test_two_servers_start_together_on_one_empty_folder(tmp_path):
    for attempt in range(2):
        folder = tmp_path / f"data-{attempt}"
        folder.mkdir()
        first = ServerProcess(folder, "--workers", "4")
        second = ServerProcess(folder, "--workers", "4")
        second.log_path = folder / "second.log"
        for server in (first, second):
            server.launch()
        try:
            _booted_cleanly(first, 4)
        finally:
            _booted_cleanly(second, 4)
        assert (folder / "secret_key").read_text().strip()
