"""Shared pieces of the benchmarks: a server with a byte counter, Chromium, medians."""

from __future__ import annotations

import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class ByteCounter:
    """WSGI middleware counting the response bytes (headers and body) the server actually sends."""

    def __init__(self, app):
        self.app, self.sent, self.lock = app, 0, threading.Lock()

    def reset(self) -> int:
        with self.lock:
            sent, self.sent = self.sent, 0
        return sent

    def __call__(self, environ, start_response):
        def counting_start(status, headers, exc_info=None):
            self._add(len(status) + sum(len(k) + len(v) + 4 for k, v in headers) + 12)
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, counting_start):
            self._add(len(chunk))
            yield chunk

    def _add(self, count: int) -> None:
        with self.lock:
            self.sent += count


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            """No request log: it would name client addresses and share ids."""

    return Quiet


def serve_site(data_dir: Path):
    """The real app on a free port, in this process, behind the byte counter. Returns (url, counter, stop)."""
    from werkzeug.serving import make_server

    from sync_server import create_app
    from sync_server.config import Settings

    counter = ByteCounter(create_app(Settings(data_dir=data_dir, rate_limits="off")).wsgi_app)
    server = make_server("127.0.0.1", 0, counter, threaded=True, request_handler=_quiet_handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", counter, server.shutdown


def median(values):
    return round(statistics.median(values), 1)
