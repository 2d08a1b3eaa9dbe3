"""Where each request ends, decided by a real HTTP/1.1 parser (h11) before any thread takes it.

The buffering worker (``worker.py``) reads every request in its event loop and hands a thread only a whole
one. Whether it is whole was once judged by regular expressions, and a request that fooled them (a chunk
whose data held ``0\\r\\n\\r\\n``) reached a thread that then waited on the rest for minutes. Here h11, a
sans-IO parser made for exactly this, reads the bytes; the thread's parser (gunicorn's) is then given the
request as h11 understood it, written out again in one plain form: one Content-Length, no Transfer-Encoding,
no Expect. So the two parsers cannot disagree about where a request ends, and a thread never waits on a
client.

What is refused here, at once, with the connection closed, never reaching a thread or the log:
- anything h11 will not parse (400), a request line and headers over ``MAX_HEAD_BYTES`` (431);
- any Transfer-Encoding (411): nothing this server takes needs a chunked body, and the browser never sends one;
- a Content-Length over what any request may carry (413), before its body is read.
"""

from __future__ import annotations

import h11

from . import MAX_REQUEST_BYTES
from .body import CHUNKED_REFUSAL

# The request line and headers together: the browser's are under 2 KiB, gunicorn's own limits allow about 800 KiB.
MAX_HEAD_BYTES = 32 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Refusal(Exception):
    """A request refused while it arrives: its status, the API's error code and the message for it."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, code, message)
        self.status, self.code, self.message = status, code, message


UNREADABLE = (400, "bad_request", "The request could not be read as HTTP/1.1.")
HEAD_TOO_LARGE = (431, "headers_too_large", f"The request line and headers may be at most {MAX_HEAD_BYTES // 1024} KiB.")
BODY_TOO_LARGE = (413, "too_large", f"A request body may be at most {MAX_REQUEST_BYTES // 1024} KiB.")
# Headers the plain form leaves out: the framing is already decided, and "100 Continue" already sent.
DROPPED_HEADERS = frozenset({b"transfer-encoding", b"expect"})


class RequestFramer:
    """One connection's bytes, read into whole requests, one at a time (a pipelined next one waits its turn)."""

    def __init__(self, leftover: bytes = b""):
        self._parser = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._head: h11.Request | None = None
        self._body = bytearray()
        self.held = 0  # bytes taken in so far
        self.wants_continue = False  # the client waits for "100 Continue" before it sends the body
        if leftover:
            self.feed(leftover)

    def feed(self, data: bytes) -> bytes | None:
        """Take the next bytes the client sent; return the request in its plain form once it is whole (None
        until then). Raises ``Refusal`` for a request this server will not take."""
        self.held += len(data)
        self._parser.receive_data(data)
        return self._advance()

    def _advance(self) -> bytes | None:
        while True:
            try:
                event = self._parser.next_event()
            except h11.RemoteProtocolError as error:
                # h11's hint: 431 for a head over the limit, 501 for a Transfer-Encoding it cannot read.
                refusal = {431: HEAD_TOO_LARGE, 501: CHUNKED_REFUSAL}.get(error.error_status_hint, UNREADABLE)
                raise Refusal(*refusal) from None
            if event is h11.NEED_DATA:
                return None
            if isinstance(event, h11.Request):
                self._take_head(event)
            elif isinstance(event, h11.Data):
                self._body += event.data
            elif isinstance(event, h11.EndOfMessage):
                return self._plain_form()
            else:  # a client's EOF is seen by the worker itself; nothing else can come before a request's end
                raise Refusal(*UNREADABLE)

    def _take_head(self, head: h11.Request) -> None:
        names = {name for name, _ in head.headers}
        if b"transfer-encoding" in names:
            raise Refusal(*CHUNKED_REFUSAL)
        length = next((int(value) for name, value in head.headers if name == b"content-length"), 0)
        if length > MAX_REQUEST_BYTES:
            raise Refusal(*BODY_TOO_LARGE)
        self.wants_continue = length > 0 and any(
            name == b"expect" and value.lower() == b"100-continue" for name, value in head.headers
        )
        self._head = head

    def _plain_form(self) -> bytes:
        head = self._head
        lines = [b"%s %s HTTP/%s" % (head.method, head.target, head.http_version)]
        lines += [b"%s: %s" % (name, value) for name, value in head.headers if name not in DROPPED_HEADERS]
        return b"\r\n".join(lines) + b"\r\n\r\n" + bytes(self._body)

    def leftover(self) -> bytes:
        """What the client sent after the request just completed (its next, pipelined request)."""
        return self._parser.trailing_data[0]
