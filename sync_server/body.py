"""A deadline for reading request bodies.

A client that sends its body a byte at a time would otherwise hold one of the server's threads for as long
as it likes (a "slow loris"). The API reads each body itself; if the whole body has not arrived within the
deadline, a watchdog shuts the connection for reading, and the client gets a 408. Behind a buffering
reverse proxy (nginx, a load balancer) this never triggers.

One watchdog thread per process keeps every deadline: starting a timer thread per request cost more than
the rest of creating a share.
"""

from __future__ import annotations

import collections
import io
import os
import socket
import threading
import time

from flask import Flask, request

from .errors import ApiError

BODY_DEADLINE_SECONDS = 10


class Watch:
    """One body being read: ``expired`` is set if the watchdog cut its connection off."""

    __slots__ = ("connection", "deadline", "done", "expired")

    def __init__(self, connection: socket.socket, deadline: float):
        self.connection, self.deadline = connection, deadline
        self.done = self.expired = False


class Watchdog:
    """Shuts connections whose body is still arriving at their deadline.

    Every deadline is the same length from the moment it is set, so deadlines fall due in the order they
    were set: a queue is enough, and a new watch never needs to wake the thread unless the queue was empty.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._queue: collections.deque[Watch] = collections.deque()
        self._lock = threading.Condition()
        self._owner_pid = None  # the watchdog thread does not survive a fork: each worker starts its own

    def watch(self, connection: socket.socket) -> Watch:
        watch = Watch(connection, time.monotonic() + self.seconds)
        with self._lock:
            if self._owner_pid != os.getpid():
                self._owner_pid = os.getpid()
                self._queue.clear()
                threading.Thread(target=self._run, name="body-deadlines", daemon=True).start()
            while self._queue and self._queue[0].done:
                self._queue.popleft()  # finished bodies leave at once, so the queue holds only those in flight
            self._queue.append(watch)
            if len(self._queue) == 1:
                self._lock.notify()
        return watch

    def finish(self, watch: Watch) -> None:
        with self._lock:
            watch.done = True

    def _run(self) -> None:
        with self._lock:
            while True:
                if not self._queue:
                    self._lock.wait()
                    continue
                watch = self._queue[0]
                if watch.done:
                    self._queue.popleft()
                    continue
                delay = watch.deadline - time.monotonic()
                if delay > 0:
                    self._lock.wait(delay)
                    continue
                self._queue.popleft()
                watch.expired = True
                try:
                    watch.connection.shutdown(socket.SHUT_RD)
                except OSError:
                    pass


_watchdog = Watchdog(BODY_DEADLINE_SECONDS)


def read_body_within_deadline() -> None:
    length = request.content_length
    connection = request.environ.get("gunicorn.socket")
    if not length or connection is None:
        return
    if request.max_content_length is not None and length > request.max_content_length:
        return  # refused as too large before anything is read
    watch = _watchdog.watch(connection)
    try:
        data = request.environ["wsgi.input"].read(length)
    except Exception:
        if not watch.expired:
            raise
        data = b""
    finally:
        _watchdog.finish(watch)
    if watch.expired or len(data) < length:
        request.environ["wsgi.input"] = io.BytesIO(b"")
        raise ApiError(408, "request_timeout", f"The request body did not arrive within {BODY_DEADLINE_SECONDS} seconds.",
                       close=True)
    request.environ["wsgi.input"] = io.BytesIO(data)


def init_app(app: Flask) -> None:
    app.before_request(read_body_within_deadline)
