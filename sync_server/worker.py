"""Gunicorn's threaded worker with a deadline on request headers.

The gthread worker gives a connection a thread once its first bytes arrive, and the thread then reads the
request line and headers blocking, for as long as the client takes: a client sending its headers a byte
at a time holds a thread indefinitely. Here the same watchdog that times request bodies (``body.py``)
times the headers too: if they are not all in within the deadline, the connection is shut for reading, the
parser sees the end of the stream, and the thread is free again. Once the headers are in, the body
deadline takes over.

This bounds how long each slow client holds a thread; it does not stop many slow clients at once from
holding all of them for that long (issue 19): a buffering proxy in front does.
"""

from __future__ import annotations

from gunicorn.workers.gthread import ThreadWorker

from .body import watchdog


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
