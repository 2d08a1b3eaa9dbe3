"""Gunicorn's threaded worker, made to hold slow clients without a thread each.

Gunicorn's gthread worker gives a connection a thread as soon as it is accepted, and the thread then reads
the request line, headers and body blocking, for as long as the client takes: 200 clients sending a byte
at a time hold every thread, and everyone else waits. Two layers here:

- ``BufferingWorker`` reads each request in the worker's event loop (non-blocking, beside gunicorn's own
  keep-alive polling) until it has all arrived: the headers, and the body its Content-Length announces
  (or a chunked body to its last chunk; the API refuses those at their headers), up to the API's size
  limit. Only then does a thread take it, and the thread's parser reads it from that buffer at once. A
  request not complete within the deadline gets a 408 from the event loop and its connection is closed;
  no thread ever waited on it. What it holds is bounded (``--max-buffered-bytes`` per worker): past it,
  the requests arriving longest are refused with a 503. It also caps how many connections one address
  may hold at once (``--max-connections-per-address``), so one client cannot take all of a worker's
  connection slots; behind a proxy every connection comes from the proxy, so the cap is then left to the
  proxy.
- ``HeaderDeadlineWorker`` (its base) still times what a thread reads of the headers, for a request
  handed over before they were complete (one larger than the buffer): past the deadline the connection is
  shut for reading and the thread is free again. Once the headers are in, the body deadline
  (``body.py``) takes over.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import re
import selectors
import socket
import time
from functools import partial

from gunicorn.workers.gthread import TConn, ThreadWorker

from . import MAX_REQUEST_BYTES
from .body import BODY_DEADLINE_SECONDS, watchdog
from .headers import static_headers

# The most a request may be to be read here whole: the app's own limit on request bodies, and room for the
# headers. A larger one is handed to a thread once its headers are in, and refused there before its body.
MAX_BUFFERED_BODY = MAX_REQUEST_BYTES
MAX_BUFFERED_HEAD = 64 * 1024
READ_BYTES = 64 * 1024
HEAD_END = b"\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)[ \t]*(?=\r\n|$)", re.IGNORECASE)
CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r\n]*chunked", re.IGNORECASE)
LAST_CHUNK = re.compile(rb"(?:^|\r\n)0[ \t;]*[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n")
# The API refuses a chunked body at its headers (body.py), before any of it is read: hand it over then.
API_REQUEST = re.compile(rb"^[A-Z]+ /api/")


def error_response(status: str, code: str, message: str) -> bytes:
    """An answer the event loop sends itself, JSON with the headers every API answer carries (``headers.py``)."""
    body = json.dumps({"error": code, "message": message}).encode()
    headers = {**static_headers("/api/"), "Cache-Control": "no-store", "Content-Type": "application/json"}
    lines = [f"{name}: {value}" for name, value in headers.items()]
    head = "\r\n".join([f"HTTP/1.1 {status}", *lines, "Connection: close", f"Content-Length: {len(body)}", "", ""])
    return head.encode() + body


TIMED_OUT = error_response(
    "408 REQUEST TIMEOUT", "request_timeout", f"The request did not arrive within {BODY_DEADLINE_SECONDS} seconds."
)
CROWDED_OUT = error_response(
    "503 SERVICE UNAVAILABLE",
    "server_busy",
    "The server is holding too many unfinished requests to wait for this one. Nothing was stored; please try again.",
)


def request_complete(buffer: bytes | bytearray) -> bool:
    """Whether ``buffer`` holds a whole request (or as much of one as is ever buffered here)."""
    end = buffer.find(HEAD_END)
    if end < 0:
        return len(buffer) > MAX_BUFFERED_HEAD  # too large to buffer: a thread's parser refuses it
    head, body = bytes(buffer[:end]), buffer[end + len(HEAD_END) :]
    if CHUNKED.search(head):
        if API_REQUEST.match(head):
            return True
        return len(body) > MAX_BUFFERED_BODY or LAST_CHUNK.search(bytes(body)) is not None
    length = CONTENT_LENGTH.search(head)
    expected = int(length.group(1)) if length else 0
    return expected > MAX_BUFFERED_BODY or len(body) >= expected


class BufferedSocket(socket.socket):
    """A client socket whose first reads return what the event loop has already read from it."""

    def __init__(self, original: socket.socket):
        super().__init__(original.family, original.type, original.proto, fileno=original.detach())
        self.buffered = bytearray()

    def read_available(self) -> bytes:
        """What the client has sent so far, without waiting: the event loop's read."""
        return super().recv(READ_BYTES)

    def recv(self, size: int, flags: int = 0) -> bytes:
        if self.buffered:
            data = bytes(self.buffered[:size])
            del self.buffered[:size]
            return data
        return super().recv(size, flags)

    def recv_into(self, target, size: int = 0, flags: int = 0) -> int:
        if self.buffered:
            data = self.recv(size or len(target))
            target[: len(data)] = data
            return len(data)
        return super().recv_into(target, size, flags)


class HeaderDeadlineWorker(ThreadWorker):
    def handle(self, conn):
        conn.header_watch = watchdog.watch(conn.sock)
        try:
            return super().handle(conn)
        finally:
            watchdog.finish(conn.header_watch)  # when no request came of it (deferred, closed, malformed)

    def handle_request(self, req, conn):
        watchdog.finish(conn.header_watch)  # the headers are in: from here the body deadline applies
        return super().handle_request(req, conn)


class BufferingWorker(HeaderDeadlineWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        settings = self.app.settings
        self.buffer_budget = settings.max_buffered_bytes
        self.held_bytes = 0  # bytes held for requests still arriving, across this worker's connections
        # Behind a proxy every connection is the proxy's: a cap per address would cap everyone together.
        self.max_per_address = 0 if settings.proxy_count else settings.max_connections_per_address
        self.per_address: collections.Counter[str] = collections.Counter()
        self.arriving: dict[TConn, float] = {}  # connections whose request is still arriving, and their deadline

    def accept(self, listener):
        try:
            client_sock, client_addr = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED):  # taken by another worker, or left
                return
            raise
        address = client_addr[0] if isinstance(client_addr, tuple) else str(client_addr)
        if self.max_per_address and self.per_address[address] >= self.max_per_address:
            client_sock.close()  # over the cap: refused before it costs anything but the accept
            return
        self.per_address[address] += 1
        self.nr_conns += 1
        conn = TConn(self.cfg, BufferedSocket(client_sock), client_addr, listener.getsockname())
        conn.address = address
        self._await_request(conn)

    def _await_request(self, conn) -> None:
        conn.sock.setblocking(False)
        self.arriving[conn] = time.monotonic() + BODY_DEADLINE_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_bytes, conn))

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection has bytes: buffer its next request here too, not in a thread."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn)

    def on_request_bytes(self, conn, client):
        try:
            data = conn.sock.read_available()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away before its request was complete
            self._drop(conn)
            return
        conn.sock.buffered += data
        self.held_bytes += len(data)
        self._hand_over_if_complete(conn)

    def _hand_over_if_complete(self, conn) -> None:
        if request_complete(conn.sock.buffered):
            self.poller.unregister(conn.sock)
            del self.arriving[conn]
            self.held_bytes -= len(conn.sock.buffered)
            conn.data_ready = True
            self.enqueue_req(conn)
        elif self.buffer_budget and self.held_bytes > self.buffer_budget:
            self._crowd_out(spare=conn)

    def _crowd_out(self, spare) -> None:
        """Over the worker's budget of buffered bytes: give up on the requests that have been arriving longest
        (a slow client's, most likely; a person's request arrives in moments) until it holds again."""
        for conn in list(self.arriving):
            if self.held_bytes <= self.buffer_budget:
                return
            if conn is not spare:
                self._refuse(conn, CROWDED_OUT)
        if self.held_bytes > self.buffer_budget:
            self._refuse(spare, CROWDED_OUT)

    def murder_pending(self):
        """Gunicorn's sweep of idle connections, and the deadline of requests still arriving."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [conn for conn, deadline in self.arriving.items() if deadline <= now]:
            self._refuse(conn, TIMED_OUT)

    def _refuse(self, conn, answer: bytes) -> None:
        with contextlib.suppress(OSError):
            conn.sock.send(answer)
        self._drop(conn)

    def _drop(self, conn) -> None:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        if self.arriving.pop(conn, None) is not None:
            self.held_bytes -= len(conn.sock.buffered)
        self.nr_conns -= 1
        conn.close()
        self._forget(conn)

    def _forget(self, conn) -> None:
        address = getattr(conn, "address", None)
        if address is not None:
            self.per_address[address] -= 1
            if self.per_address[address] <= 0:
                del self.per_address[address]
            conn.address = None

    def finish_request(self, conn, fs):
        """Gunicorn's, and the address's count goes down when the connection is closed. A next request the
        client sent already (pipelined) may be in the buffer rather than on the socket: it is taken from there."""
        before = self.nr_conns
        super().finish_request(conn, fs)
        if self.nr_conns < before:
            self._forget(conn)
        elif conn in self.keepalived_conns and conn.sock.buffered:
            self.poller.unregister(conn.sock)
            self.keepalived_conns.remove(conn)
            self._await_request(conn)
            self.held_bytes += len(conn.sock.buffered)
            self._hand_over_if_complete(conn)

    def murder_keepalived(self, force=False):
        """Gunicorn's, and the address's count goes down for each idle connection it closed."""
        kept = list(self.keepalived_conns)
        super().murder_keepalived(force)
        still_kept = set(self.keepalived_conns)
        for conn in kept:
            if conn not in still_kept:
                self._forget(conn)
