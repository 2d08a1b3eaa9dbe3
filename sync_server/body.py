"""A deadline for reading request bodies.

A client that sends its body a byte at a time would otherwise hold one of the server's threads for as long
as it likes (a "slow loris"). The API reads each body itself; if the whole body has not arrived within the
deadline, a timer shuts the connection for reading, and the client gets a 408. Behind a buffering reverse
proxy (nginx, a load balancer) this never triggers.
"""

from __future__ import annotations

import io
import socket
import threading

from flask import Flask, request

from .errors import ApiError

BODY_DEADLINE_SECONDS = 10


def read_body_within_deadline() -> None:
    length = request.content_length
    connection = request.environ.get("gunicorn.socket")
    if not length or connection is None:
        return
    if request.max_content_length is not None and length > request.max_content_length:
        return  # refused as too large before anything is read
    expired = threading.Event()

    def stop_reading():
        expired.set()
        try:
            connection.shutdown(socket.SHUT_RD)
        except OSError:
            pass

    timer = threading.Timer(BODY_DEADLINE_SECONDS, stop_reading)
    timer.start()
    try:
        data = request.environ["wsgi.input"].read(length)
    except Exception:
        if not expired.is_set():
            raise
        data = b""
    finally:
        timer.cancel()
    if expired.is_set() or len(data) < length:
        request.environ["wsgi.input"] = io.BytesIO(b"")
        raise ApiError(408, "request_timeout", f"The request body did not arrive within {BODY_DEADLINE_SECONDS} seconds.",
                       close=True)
    request.environ["wsgi.input"] = io.BytesIO(data)


def init_app(app: Flask) -> None:
    app.before_request(read_body_within_deadline)
