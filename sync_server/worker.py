"""Gunicorn's threaded worker, made to hold slow clients without a thread each.

Gunicorn's gthread worker gives a connection a thread as soon as it is accepted, and the thread then reads
the request line, headers and body blocking, for as long as the client takes: 200 clients sending a byte
at a time hold every thread, and everyone else waits. ``BufferingWorker`` reads each request in the
worker's event loop instead (non-blocking, beside gunicorn's own keep-alive polling) until it has all
arrived, where it ends decided by a real HTTP/1.1 parser (``framing.py``: llhttp). Only then does a thread
take it, and the thread's parser reads it, in one plain form, from memory at once. So no thread ever
waits on a client, on any path:

- a request not whole within the deadline gets a 408 from the event loop and its connection is closed;
- one llhttp will not parse, with headers over the limit, with a chunked body or a body larger than any the
  API takes is refused from the event loop as it arrives (400, 431, 411, 413), never logged with its
  address or request line;
- ``Expect: 100-continue`` is answered from the event loop, so such a client sends its body at once.

What it holds is bounded: past ``--max-buffered-bytes`` per worker the requests arriving longest are refused
with a 503. Connection slots are bounded too, two ways. One address (an IPv6 /64 counts as one:
``networks.py``) may hold at most ``--max-connections-per-address`` at once (left to the proxy behind one, where every connection is the
proxy's). And whatever the number of addresses, when a worker's connections near gunicorn's
``worker_connections``, each new one sheds the connection that has sent least for longest (an idle
kept-alive one first, then the slowest still arriving), so a crowd of slow connections cannot keep a
person whose request arrives in moments from being accepted.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import json
import selectors
import socket
import time
from functools import partial
from http import HTTPStatus

from gunicorn.workers.gthread import TConn, ThreadWorker

from .framing import CONTINUE, Refusal, RequestFramer
from .headers import static_headers
from .networks import client_network
from .paths import API_PREFIX

READ_BYTES = 64 * 1024
# How long a request (its headers and body) may take to arrive before the event loop answers 408.
REQUEST_DEADLINE_SECONDS = 10
# Shedding starts this close to gunicorn's worker_connections (a tenth of it), so the worker keeps accepting.
SHED_MARGIN = 0.1
SHED_AFTER_SECONDS = 1.0


def error_response(status: int, code: str, message: str) -> bytes:
    """An answer the event loop sends itself, JSON with the headers every API answer carries (``headers.py``)."""
    body = json.dumps({"error": code, "message": message}).encode()
    headers = {**static_headers(f"{API_PREFIX}/"), "Cache-Control": "no-store", "Content-Type": "application/json"}
    lines = [f"{name}: {value}" for name, value in headers.items()]
    head = "\r\n".join(
        [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", *lines, "Connection: close", f"Content-Length: {len(body)}", "", ""]
    )
    return head.encode() + body


TIMED_OUT = error_response(408, "request_timeout", f"The request did not arrive within {REQUEST_DEADLINE_SECONDS} seconds.")
CROWDED_OUT = error_response(
    503,
    "server_busy",
    "The server is holding too many unfinished requests to wait for this one. Nothing was stored; please try again.",
)


class BufferedSocket(socket.socket):
    """A client socket whose reads return the whole request the event loop has already read from it."""

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


class BufferingWorker(ThreadWorker):
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
        address = client_network(client_addr[0] if isinstance(client_addr, tuple) else str(client_addr))
        if self.max_per_address and self.per_address[address] >= self.max_per_address:
            client_sock.close()  # over the cap: refused before it costs anything but the accept
            return
        self._shed_if_crowded()
        self.per_address[address] += 1
        self.nr_conns += 1
        conn = TConn(self.cfg, BufferedSocket(client_sock), client_addr, listener.getsockname())
        conn.address = address
        conn.accepted_at = time.monotonic()
        conn.framer = RequestFramer()
        self._await_request(conn)

    def _crowded(self) -> bool:
        return self.nr_conns >= self.worker_connections * (1 - SHED_MARGIN)

    def _shed_if_crowded(self) -> bool:
        """Near the connection limit, make room: close the connection that has sent least for longest. An idle
        kept-alive connection goes first (closing it is ordinary HTTP), then the request arriving slowest, by
        bytes a second since its connection was accepted. Whether one was closed."""
        if not self._crowded():
            return False
        if self.keepalived_conns:
            self._drop(self.keepalived_conns.popleft())
            return True
        # A connection accepted a moment ago has had no chance to send yet (its bytes may be waiting to be
        # read in this very loop): only those older than SHED_AFTER_SECONDS are judged.
        now = time.monotonic()
        judged = [conn for conn in self.arriving if now - conn.accepted_at >= SHED_AFTER_SECONDS]
        if not judged:
            return False
        self._refuse(min(judged, key=lambda conn: conn.framer.held / (now - conn.accepted_at)), CROWDED_OUT)
        return True

    def _await_request(self, conn) -> None:
        conn.sock.setblocking(False)
        self.arriving[conn] = time.monotonic() + REQUEST_DEADLINE_SECONDS
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_request_bytes, conn))
        request = conn.framer.next_request()  # sent whole with the one before it
        if request is not None:
            self._hand_over(conn, request)

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
        self._take(conn, data)

    def _take(self, conn, data: bytes) -> None:
        """Read the client's next bytes into its request; hand the request to a thread once it is whole."""
        framer = conn.framer
        held, waited_for_continue = framer.held, framer.wants_continue
        try:
            request = framer.feed(data)
        except Refusal as refusal:
            self._refuse(conn, error_response(refusal.status, refusal.code, refusal.message))
            return
        self.held_bytes += framer.held - held
        if request is not None:
            self._hand_over(conn, request)
            return
        if framer.wants_continue and not waited_for_continue:
            with contextlib.suppress(OSError):
                conn.sock.send(CONTINUE)
        if self.buffer_budget and self.held_bytes > self.buffer_budget:
            self._crowd_out(spare=conn)

    def _hand_over(self, conn, request: bytes) -> None:
        """A whole request, to a thread, which reads it from memory at once."""
        self.poller.unregister(conn.sock)
        del self.arriving[conn]
        conn.sock.buffered[:] = request
        conn.data_ready = True
        self.enqueue_req(conn)

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
        """Gunicorn's sweep of idle connections, the deadline of requests still arriving, and room made under
        the connection limit: at the limit gunicorn stops accepting, and the connections waiting to be
        accepted (a person's among them) would wait for slow ones to finish."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [conn for conn, deadline in self.arriving.items() if deadline <= now]:
            self._refuse(conn, TIMED_OUT)
        while self._shed_if_crowded():
            pass

    def _refuse(self, conn, answer: bytes) -> None:
        with contextlib.suppress(OSError):
            conn.sock.send(answer)
        self._drop(conn)

    def _drop(self, conn) -> None:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)
        if self.arriving.pop(conn, None) is not None:
            self.held_bytes -= conn.framer.held
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
        client sent already (pipelined) was read with this one: it is handed over from there."""
        before = self.nr_conns
        super().finish_request(conn, fs)
        if self.nr_conns < before:
            self._forget(conn)
        elif conn in self.keepalived_conns and conn.framer.waiting:
            self.poller.unregister(conn.sock)
            self.keepalived_conns.remove(conn)
            self._await_request(conn)

    def murder_keepalived(self, force=False):
        """Gunicorn's, and the address's count goes down for each idle connection it closed."""
        kept = list(self.keepalived_conns)
        super().murder_keepalived(force)
        still_kept = set(self.keepalived_conns)
        for conn in kept:
            if conn not in still_kept:
                self._forget(conn)
