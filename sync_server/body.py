"""What the API says about request bodies it will not wait for.

Under the server's own worker (``worker.py``) every request is read whole in the event loop before a thread
takes it, and a request still arriving at its deadline is answered 408 there; a chunked body is
refused there at its headers (``framing.py``). The app refuses a chunked body too, with the same answer, so
that under any other WSGI server (``flask run``, a test client) the API still takes no body it cannot
measure: nothing it takes needs one, and the browser always sends a Content-Length.
"""

from __future__ import annotations

import contextlib
import socket

from flask import Flask, request

from .errors import ApiError
from .paths import is_api_path

# The API's answer to a chunked body, here and in the worker's framing, which refuses it first.
CHUNKED_REFUSAL = (411, "length_required", "Send the body with a Content-Length header; chunked bodies are not accepted.")


def refuse_chunked_bodies() -> None:
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower() and is_api_path(request.path):
        connection = request.environ.get("gunicorn.socket")
        if connection is not None:
            with contextlib.suppress(OSError):  # end what is read, rather than read the rest of the body
                connection.shutdown(socket.SHUT_RD)
        raise ApiError(*CHUNKED_REFUSAL, close=True)


def init_app(app: Flask) -> None:
    app.before_request(refuse_chunked_bodies)
