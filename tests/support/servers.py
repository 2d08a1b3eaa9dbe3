"""Real processes for the tests: the sync server (``python -m sync_server``) and ``redis-server``, each on a
free loopback port with a folder of its own."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SITE = ROOT / "site"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen | None = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


class ServerProcess:
    """``python -m sync_server`` as a real process on a free loopback port, with its own data folder."""

    def __init__(self, data_dir: Path, *extra: str, env: dict | None = None):
        self.port = free_port()
        self.data_dir = data_dir
        self.log_path = data_dir / "server.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "sync_server", "--port", str(self.port), "--data-dir", str(data_dir), *extra]
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen | None = None

    def start(self) -> ServerProcess:
        self.launch()
        wait_until_serving(f"{self.url}/api/health", self.process)
        return self

    def launch(self) -> ServerProcess:
        """Start the process without waiting for it to serve."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A session of its own, so a crash can be simulated by killing gunicorn and all its workers at once.
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        return self

    def wait_for_workers(self, count: int, timeout: float = 30) -> None:
        """Until ``count`` workers have said they are ready (``sync_server.__main__.worker_ready``); fails at
        once if the server stops meanwhile, as gunicorn does when a worker fails to boot."""
        deadline = time.monotonic() + timeout
        while len(re.findall(r"worker \d+ ready", self.log())) < count:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} workers were not ready within {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        """Stop gracefully, or with ``kill`` as a crash would: SIGKILL to the arbiter and every worker."""
        if self.process and self.process.poll() is None:
            if kill:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.terminate()
            self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def damage_database(data_dir: Path) -> bytes:
    """Overwrite a running server's SQLite file with junk, as a failing disk or a bad restore would (after
    moving everything from the write-ahead log into it); return its good bytes, to put them back."""
    import sqlite3

    database = data_dir / "shares.sqlite3"
    sqlite3.connect(database).execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    good = database.read_bytes()
    database.write_bytes(b"this is not a database " * (len(good) // 23 + 1))
    return good


class RedisServer:
    """A real ``redis-server`` on a free loopback port, in its own folder; ``persistent`` turns on the
    append-only file so a restart keeps the data."""

    def __init__(self, folder: Path, persistent: bool = False, extra: tuple[str, ...] = ()):
        self.folder, self.persistent, self.extra = folder, persistent, extra
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        import redis

        self.folder.mkdir(parents=True, exist_ok=True)
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--dir",
                str(self.folder),
                "--protected-mode",
                "yes",
                *persistence,
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError as error:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from error
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=15)
