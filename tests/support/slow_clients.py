"""Slow clients, as an attacker runs them, and the latency another person sees meanwhile: shared by
``tests/server/test_slow_clients.py`` and ``bench/slow_clients.py``."""

from __future__ import annotations

import http.client
import itertools
import socket
import threading
import time
from dataclasses import dataclass, field

from .shares_api import call, create_body

# Each kind of slow request: what is sent at once, and what is then sent a byte at a time, forever.
SLOW_REQUESTS = {
    "headers": (b"POST /api/shares HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nX-Slow: ", b"a"),
    "body": (
        b"POST /api/shares HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
        b"a",
    ),
    "chunked": (
        b"POST /api/shares HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"1\r\na\r\n",
    ),
    "static": (
        b"GET /worksheet/ HTTP/1.1\r\nHost: slow\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"1\r\na\r\n",
    ),
    # Chunk data that holds what looks like a last chunk, to a path that takes no body (issue 28).
    "fake last chunk": (
        b"POST /nothing HTTP/1.1\r\nHost: slow\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab\r\n0\r\n\r\n",
        b"a",
    ),
    # Nine 8 KB headers, each within gunicorn's own limits, never ended.
    "big headers": (
        b"GET /api/health HTTP/1.1\r\nHost: slow\r\n" + b"".join(b"X-Pad-%d: %s\r\n" % (n, b"a" * 8000) for n in range(9)),
        b"a",
    ),
}


class SlowClients:
    """``count`` connections from ``sources`` in turn (other loopback addresses than the person's), each
    sending one kind of slow request a byte every ``drip`` seconds, and opened again whenever the server
    closes it."""

    def __init__(self, port: int, count: int = 200, sources: tuple[str, ...] = ("127.0.0.2",), drip: float = 0.5):
        self.port, self.count, self.sources, self.drip = port, count, sources, drip
        self.kinds = list(itertools.islice(itertools.cycle(SLOW_REQUESTS), count))
        self.sockets: list[socket.socket | None] = [None] * count
        self.opened = self.refused = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowClients:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            if sock is not None:
                sock.close()

    def held(self) -> int:
        return sum(sock is not None for sock in self.sockets)

    def _open(self, index: int) -> None:
        try:
            sock = socket.socket()
            sock.bind((self.sources[index % len(self.sources)], 0))
            sock.settimeout(2)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(SLOW_REQUESTS[self.kinds[index]][0])
            sock.setblocking(False)
            self.sockets[index] = sock
            self.opened += 1
        except OSError:
            self.refused += 1
            self.sockets[index] = None

    def _drip(self, index: int) -> None:
        sock = self.sockets[index]
        try:
            if sock.recv(4096, socket.MSG_PEEK) == b"":  # closed by the server
                raise ConnectionResetError
        except BlockingIOError:
            pass  # nothing from the server: still waiting for the rest of our request
        except OSError:
            sock.close()
            self.sockets[index] = None
            return
        try:
            sock.send(SLOW_REQUESTS[self.kinds[index]][1])
        except OSError:
            sock.close()
            self.sockets[index] = None

    def _run(self) -> None:
        while not self._stop.is_set():
            for index in range(self.count):
                if self._stop.is_set():
                    return
                if self.sockets[index] is None:
                    self._open(index)
                else:
                    self._drip(index)
            self._stop.wait(self.drip)


@dataclass
class Latencies:
    """What another person meets meanwhile: each health check's and each create+claim's time, in seconds."""

    health: list[float] = field(default_factory=list)
    share: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def worst(self) -> float:
        return max([*self.health, *self.share], default=float("inf"))


def health_once(url: str, timeout: float = 5) -> float:
    start = time.perf_counter()
    connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=timeout)
    try:
        connection.request("GET", "/api/health")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise OSError(f"health answered {response.status}")
    finally:
        connection.close()
    return time.perf_counter() - start


def share_once(url: str) -> float:
    start = time.perf_counter()
    body, token = create_body()
    status, created = call(f"{url}/api/shares", "POST", body)
    if status != 201:
        raise OSError(f"create answered {status}")
    status, _ = call(f"{url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})
    if status != 200:
        raise OSError(f"claim answered {status}")
    return time.perf_counter() - start


def measure_meanwhile(url: str, seconds: float, every: float = 0.25) -> Latencies:
    """A health check and a create+claim every ``every`` seconds for ``seconds``, each on new connections."""
    found = Latencies()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for kind, measure in (("health", health_once), ("share", share_once)):
            try:
                getattr(found, kind).append(measure(url))
            except OSError as error:
                found.failures.append(f"{kind}: {error}")
                getattr(found, kind).append(float("inf"))
        time.sleep(every)
    return found
