"""Shared pieces of the benchmarks: a server with a byte counter, Chromium, medians."""

from __future__ import annotations

import statistics
import threading
from pathlib import Path

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (Chromium as the tests run it)

ROOT = Path(__file__).resolve().parent.parent

# What Chromium sends over HTTPS, and what a client without brotli sends. Over plain HTTP (as here, on
# loopback) Chromium leaves brotli out, so the benchmark sets the header a person's browser sends.
ACCEPT_ENCODING = {"br": "gzip, deflate, br, zstd", "gzip": "gzip, deflate"}


class ByteCounter:
    """WSGI middleware counting the response bytes (headers and body) the server actually sends, per
    resource, as a client sending ``accept_encoding`` receives them."""

    def __init__(self, app):
        self.app, self.lock = app, threading.Lock()
        self.accept_encoding = ACCEPT_ENCODING["br"]
        self.resources: list[dict] = []

    def reset(self) -> int:
        """The bytes sent since the last reset, and forget them."""
        with self.lock:
            sent, self.resources = sum(r["bytes"] for r in self.resources), []
        return sent

    def take(self) -> list[dict]:
        """Every response since the last reset (path, status, encoding, bytes), and forget them."""
        with self.lock:
            taken, self.resources = self.resources, []
        return taken

    def __call__(self, environ, start_response):
        environ["HTTP_ACCEPT_ENCODING"] = self.accept_encoding
        record = {"path": environ.get("PATH_INFO", ""), "bytes": 0, "body_bytes": 0, "encoding": None, "status": None}

        def counting_start(status, headers, exc_info=None):
            record["bytes"] += len(status) + sum(len(k) + len(v) + 4 for k, v in headers) + 12
            record["status"] = int(status.split()[0])
            record["encoding"] = dict(headers).get("Content-Encoding")
            record["headers"] = [(":status", status.split()[0]), *((k.lower(), v) for k, v in headers)]
            return start_response(status, headers, exc_info)

        for chunk in self.app(environ, counting_start):
            record["bytes"] += len(chunk)
            record["body_bytes"] += len(chunk)
            yield chunk
        with self.lock:
            self.resources.append(record)


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


def http2_bytes(resources: list[dict]) -> int:
    """The same responses as one HTTP/2 connection carries them (what a browser gets through nginx or
    Caddy over HTTPS): bodies as sent, headers HPACK-encoded in order, so a header repeated on every
    response (the Content-Security-Policy) costs its full length once and a few bytes afterwards."""
    from hpack import Encoder

    encoder = Encoder()
    return sum(r["body_bytes"] + len(encoder.encode(r["headers"])) + 9 for r in resources)  # 9: frame header
