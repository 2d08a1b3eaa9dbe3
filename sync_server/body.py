"""A deadline for reading request bodies.

A client that sends its body a byte at a time would otherwise hold one of the server's threads for as long
as it likes (a "slow loris"). The API reads each body itself; if the whole body has not arrived within the
deadline, a watchdog shuts the connection for reading, and the client gets a 408. A chunked body (no
length) is refused on the API with a 411 before any of it is read. Behind a buffering reverse proxy (nginx,
a load balancer) neither ever triggers.

One watchdog thread per process keeps every deadline, and it looks at them once a tick rather than being
woken for each new body: a thread started per request, and then a thread woken per request (a condition
variable's notify and the GIL hand-over that follows), each cost more than the rest of creating a share.
"""

from __future__ import annotations

import collections
import contextlib
import io
import os
import socket
import threading
import time

from flask import Flask, request

from .errors import ApiError

BODY_DEADLINE_SECONDS = 10
# How often the watchdog looks: a body is cut off between its deadline and one tick later.
WATCHDOG_TICK_SECONDS = 1


def shut_for_reading(connection: socket.socket) -> None:
    """End what the server reads from a connection: a blocked read returns at once, and gunicorn closes the
    connection after the answer instead of waiting for the rest of the request."""
    with contextlib.suppress(OSError):  # the client may already have gone
        connection.shutdown(socket.SHUT_RD)


class Watch:
    """One body being read: ``expired`` is set if the watchdog cut its connection off."""

    __slots__ = ("connection", "deadline", "done", "expired")

    def __init__(self, connection: socket.socket, deadline: float):
        self.connection, self.deadline = connection, deadline
        self.done = self.expired = False


class Watchdog:
    """Shuts connections whose body is still arriving at their deadline.

    Request threads only append to a queue (a deque, safe to append to from any thread) and mark their
    watch done; the watchdog thread alone takes watches out. ``_lock`` is held only while a watch is
    decided, so a body that is finished just as its deadline passes is either cut off and reported as
    such, or left alone; never cut off after its request has moved on.
    """

    def __init__(self, seconds: float, tick: float = WATCHDOG_TICK_SECONDS):
        self.seconds, self.tick = seconds, tick
        self._queue: collections.deque[Watch] = collections.deque()
        self._lock = threading.Lock()
        self._owner_pid = None  # the watchdog thread does not survive a fork: each worker starts its own

    def watch(self, connection: socket.socket) -> Watch:
        if self._owner_pid != os.getpid():
            self._start()
        watch = Watch(connection, time.monotonic() + self.seconds)
        self._queue.append(watch)
        return watch

    def finish(self, watch: Watch) -> None:
        with self._lock:
            watch.done = True

    def _start(self) -> None:
        with self._lock:
            if self._owner_pid != os.getpid():
                self._owner_pid = os.getpid()
                self._queue.clear()
                threading.Thread(target=self._run, name="body-deadlines", daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(self.tick)
            self.sweep(time.monotonic())

    def sweep(self, now: float) -> None:
        """Drop finished watches, cut off those past their deadline and keep the rest. Only the watches
        queued before the sweep began are looked at, each exactly once."""
        for _ in range(len(self._queue)):
            watch = self._queue.popleft()
            if watch.done:
                continue
            if watch.deadline > now:
                self._queue.append(watch)
                continue
            with self._lock:
                if watch.done:
                    continue
                watch.expired = True
                shut_for_reading(watch.connection)


# The process's one watchdog: it times request bodies here, and request headers in ``worker.py``.
watchdog = Watchdog(BODY_DEADLINE_SECONDS)


def read_body_within_deadline() -> None:
    # A chunked body has no length to read against the deadline, and nothing the API takes needs one: the
    # browser always sends Content-Length. Refuse it at once, before a thread waits on any of it.
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and request.path.startswith("/api/"):
        connection = request.environ.get("gunicorn.socket")
        if connection is not None:
            shut_for_reading(connection)  # gunicorn would otherwise keep the connection to read the rest
        raise ApiError(
            411, "length_required", "Send the body with a Content-Length header; chunked bodies are not accepted.", close=True
        )
    length = request.content_length
    connection = request.environ.get("gunicorn.socket")
    if not length or connection is None:
        return
    if request.max_content_length is not None and length > request.max_content_length:
        return  # refused as too large before anything is read
    watch = watchdog.watch(connection)
    try:
        data = request.environ["wsgi.input"].read(length)
    except Exception:
        if not watch.expired:
            raise
        data = b""
    finally:
        watchdog.finish(watch)
    if watch.expired or len(data) < length:
        request.environ["wsgi.input"] = io.BytesIO(b"")
        raise ApiError(
            408, "request_timeout", f"The request body did not arrive within {BODY_DEADLINE_SECONDS} seconds.", close=True
        )
    request.environ["wsgi.input"] = io.BytesIO(data)


def init_app(app: Flask) -> None:
    app.before_request(read_body_within_deadline)
