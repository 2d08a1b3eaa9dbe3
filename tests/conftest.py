"""Shared fixtures: the built site, real server processes, and Playwright on Debian's Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Root needs --no-sandbox; the background flags stop Chromium calling hosts this machine cannot reach,
# which would otherwise show up as foreign requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        # A session of its own, so a crash can be simulated by killing gunicorn and all its workers at once.
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        wait_until_serving(f"{self.url}/api/health", self.process)
        return self

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

    def __init__(self, folder: Path, persistent: bool = False):
        self.folder, self.persistent = folder, persistent
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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> RedisServer:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The site as `scripts/test.sh` built it; build it here when a test run starts without it."""
    from site_tools.build import build

    build()
    return SITE


@pytest.fixture(scope="session")
def live_server(built_site, tmp_path_factory) -> ServerProcess:
    server = ServerProcess(tmp_path_factory.mktemp("server-data")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def subpath_server(built_site) -> str:
    """The same app mounted under /worksheet/, as a reverse proxy with a path prefix would serve it."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Response

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            """No request log here either: it would name client addresses."""

    from sync_server import create_app
    from sync_server.config import Settings

    app = create_app(Settings(site_dir=built_site, data_dir=built_site.parent / "var" / "subpath-test"))
    wsgi = DispatcherMiddleware(Response("Not here", status=404), {"/worksheet": app})
    server = make_server("127.0.0.1", free_port(), wsgi, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/worksheet"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Service workers are tested on purpose in the offline tests; elsewhere they would hide requests.
    return {**browser_context_args, "service_workers": "block", "locale": "en-GB"}


class RequestLog:
    """Every request a page makes, and every console error or CSP violation it reports."""

    def __init__(self, page, allowed_origin: str):
        self.allowed = urlsplit(allowed_origin)
        self.requests: list = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def foreign(self) -> list[str]:
        own = (self.allowed.scheme, self.allowed.netloc)
        return [
            request.url
            for request in self.requests
            if (urlsplit(request.url).scheme, urlsplit(request.url).netloc) != own
            and urlsplit(request.url).scheme not in ("data", "blob")
        ]


@pytest.fixture
def watched_page(page, live_server):
    log = RequestLog(page, live_server.url)
    page.request_log = log
    yield page
    assert not log.foreign(), f"requests to other hosts: {log.foreign()}"


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now. Evaluated through the DevTools protocol, so the
    page's own Content-Security-Policy (which rightly forbids injected scripts) does not stop it."""
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]
