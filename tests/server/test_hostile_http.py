"""Hostile HTTP against a real server process: slow bodies, header injection, token games, enumeration."""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
import threading
import time

import pytest

from sync_server.worker import REQUEST_DEADLINE_SECONDS as BODY_DEADLINE
from tests.support.servers import ServerProcess
from tests.support.shares_api import altered, call, create_body, new_claim
from tests.support.slow_clients import health_once


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("hostile"), "--rate-limits", "off").start()
    yield server
    server.stop()


def raw_request(server, data: bytes, timeout: float = 10, source: str = "127.0.0.1") -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout, source_address=(source, 0)) as connection:
        connection.sendall(data)
        chunks = []
        while True:
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_slow_bodies_do_not_stop_the_server_answering_others(server):
    """Ten clients dripping a body one byte at a time: each is cut off at the body deadline with a 408,
    and everyone else is served meanwhile."""
    stop = threading.Event()

    def drip():
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            connection.sendall(
                b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
            )
            connection.settimeout(0.2)
            while not stop.is_set():
                try:
                    connection.sendall(b" ")
                    answer = connection.recv(4096)
                    return answer.split(b"\r\n", 1)[0]  # the server gave up on this body
                except TimeoutError:
                    continue
                except OSError:
                    return b"closed"
            return b"still dripping"

    cut_off = []

    def drip_and_listen():
        cut_off.append(drip())

    drippers = [threading.Thread(target=drip_and_listen, daemon=True) for _ in range(10)]
    for dripper in drippers:
        dripper.start()
    time.sleep(0.5)
    try:
        started = time.monotonic()
        statuses = [call(f"{server.url}/api/health")[0] for _ in range(5)]
        assert statuses == [200] * 5
        assert time.monotonic() - started < 5
        for dripper in drippers:
            dripper.join(timeout=BODY_DEADLINE + 10)
        assert cut_off == [b"HTTP/1.1 408 Request Timeout"] * 10
    finally:
        stop.set()


def test_headers_dripped_past_the_deadline_are_cut_off(server):
    """A client sending its headers a line a second holds a thread only until the deadline: then the
    connection is shut and the thread is free (sync_server.worker)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=1) as connection:
        started = time.monotonic()
        connection.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        while time.monotonic() - started < BODY_DEADLINE + 5:
            try:
                connection.sendall(b"X-Slow: 1\r\n")
                if connection.recv(100) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - started
                break
    assert closed_after is not None, "the slow headers were never cut off"
    assert BODY_DEADLINE - 1 < closed_after < BODY_DEADLINE + 3


def test_a_chunked_body_is_refused_at_once_with_411_before_it_arrives(server):
    """A body with no length could be dripped past the body deadline; the API answers 411 at the headers
    and closes, while the rest of the body is still to come."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        started = time.monotonic()
        connection.sendall(
            b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n'
        )
        chunks = []
        while chunk := connection.recv(65536):  # until the server closes; still open after 5 s fails the test
            chunks.append(chunk)
        assert time.monotonic() - started < 2
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411")
    assert json.loads(body)["error"] == "length_required"


def test_crlf_in_the_path_injects_no_header(server):
    response = raw_request(
        server, b"GET /worksheet%0d%0aSet-Cookie:%20stolen=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    head = response.split(b"\r\n\r\n", 1)[0].lower()
    assert b"set-cookie" not in head
    assert head.startswith(b"http/1.1 404") or head.startswith(b"http/1.1 302")


def answer_and_close(connection: socket.socket, then_drip: bool = False) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took; with ``then_drip`` the client goes
    on sending a byte every 0.2 s meanwhile, as an attacker holding the connection would."""
    started, received = time.monotonic(), b""
    connection.settimeout(0.2)
    while time.monotonic() - started < 20:
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            if then_drip:
                with contextlib.suppress(OSError):
                    connection.sendall(b"x")
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        received += chunk
    return received, time.monotonic() - started


@pytest.mark.parametrize(
    ("sent", "status"),
    [
        # Chunk data holding what looks like a last chunk: the old pattern took it for the end, a thread took
        # the request and then waited on the rest for as long as the client dripped it.
        (b"POST /nothing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab\r\n0\r\n\r\n", 411),
        # Headers over the buffer, never ended: they went to a thread to be read.
        (b"GET /api/health HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: a\r\n" * 5000, 431),
        # A body larger than any the API takes: refused before a byte of it is read.
        (b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9999999\r\n\r\n{", 413),
    ],
    ids=["fake last chunk", "headers over the buffer", "body over the limit"],
)
def test_requests_no_thread_should_wait_on_are_refused_as_they_arrive(server, sent, status):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(sent)
        answer, took = answer_and_close(connection, then_drip=True)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
    assert took < 1.5, f"closed after {took:.1f} s"
    assert health_once(server.url) < 1


def test_expect_100_continue_is_answered_at_once(server):
    """curl and .NET send "Expect: 100-continue" with larger bodies and wait for it: the body followed only
    after a second's timeout, or never, and the request then ran into the 10-second deadline."""
    body, _ = create_body()
    data = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(
            b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(data)
        )
        started = time.monotonic()
        assert connection.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        assert time.monotonic() - started < 1
        connection.sendall(data)
        answer, _ = answer_and_close(connection)
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:80]
    assert answer.count(b"100 Continue") == 0  # and not a second time from the thread


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_malformed_request_leaves_no_address_or_request_line_in_the_log(tmp_path, log_format):
    """Each kind of malformed request carries a known share id: none of them, and no client address, reaches
    the log, in either format. Most are refused by the worker's own parser and never logged; one that only
    gunicorn's stricter parser refuses (a request line over its 4,094 bytes) is logged by our logger
    without its address or line."""
    server = ServerProcess(tmp_path, "--log-format", log_format, "--workers", "1", "--rate-limits", "off").start()
    marker, client = "sharemarker4d2f", "127.0.0.77"
    malformed = [
        f"GET /api/shares/{marker} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        f"GET /open/{marker}\x01 HTTP/9.9\r\n\r\n",
        f"POST /api/shares/{marker}/claim HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        f"POST /api/shares/{marker}/claim HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        f"GET /api/shares/{marker} HTTP/1.1\r\nHost: x\r\nX: {'a' * 40_000}",
        f"GET /api/shares/{marker}?{'a' * 5000} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    try:
        answers = [raw_request(server, request.encode(), timeout=3, source=client) for request in malformed]
        assert all(answer.startswith((b"HTTP/1.1 4", b"HTTP/1.0 4")) for answer in answers), [a[:40] for a in answers]
        deadline = time.monotonic() + 5
        while "Invalid request refused" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = server.log()
    finally:
        server.stop()
    assert "Invalid request refused" in log  # gunicorn's own refusal is there, for an operator to see
    assert marker not in log and "ip=" not in log and client not in log, log


def test_redirects_never_point_at_the_host_the_client_claims(server):
    response = raw_request(server, b"GET /worksheet HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    head = response.split(b"\r\n\r\n", 1)[0]
    assert b"302" in head.split(b"\r\n")[0]
    location = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"location:"))
    assert b"evil.example" not in location and location.split(b":", 1)[1].strip() == b"worksheet/"  # relative


def test_invalid_utf8_and_control_bytes_in_paths_are_json_404s(server):
    response = raw_request(
        server,
        b"POST /api/shares/%ff%fe.%00/claim HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    assert response.startswith(b"HTTP/1.1 404") and b'"error":"not_found"' in response.replace(b" ", b"")


def test_a_claim_token_of_one_share_does_not_open_another(server):
    first_body, first_token = create_body()
    second_body, second_token = create_body()
    _, first = call(f"{server.url}/api/shares", "POST", first_body)
    _, second = call(f"{server.url}/api/shares", "POST", second_body)
    status, answer = call(f"{server.url}/api/shares/{second['id']}/claim", "POST", {"claim_token": first_token})
    assert status == 403 and answer["attempts_left"] == 4
    assert call(f"{server.url}/api/shares/{second['id']}/claim", "POST", {"claim_token": second_token})[0] == 200
    # Replaying a token that worked gets nothing more.
    assert call(f"{server.url}/api/shares/{second['id']}/claim", "POST", {"claim_token": second_token})[0] == 410
    assert call(f"{server.url}/api/shares/{first['id']}/claim", "POST", {"claim_token": first_token})[0] == 200


def test_enumerating_ids_learns_nothing(server):
    """Guessed ids, well-formed or not, all get the same answer, and none reaches the store."""
    _, real = call(f"{server.url}/api/shares", "POST", create_body()[0])
    raw, signature = real["id"].split(".")
    guesses = [
        f"{altered(raw)}.{signature}",
        f"{raw}.{altered(signature)}",
        raw,
        "x" * 40,
        "AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ]
    answers = {
        call(f"{server.url}/api/shares/{guess}/claim", "POST", {"claim_token": new_claim()[0]})
        == (404, {"error": "not_found", "message": "There is no share with this id."})
        for guess in guesses
    }
    assert answers == {True}


def test_wrong_proofs_are_compared_in_constant_time(monkeypatch, tmp_path):
    """The stored hash is compared with hmac.compare_digest, whose time does not depend on how many
    leading bytes match. (The Redis store compares inside Lua; what leaks there is how much of SHA-256 of
    the attacker's own token matches, which says nothing about a token that would match.)"""
    from sync_server.store import sqlite as sqlite_store

    compared = []
    original = hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(sqlite_store.hmac, "compare_digest", spy)
    store = sqlite_store.SQLiteStore(str(tmp_path / "s.sqlite3"))
    store.create("k", b"x" * 40, b"h" * 32, 0, 1000)
    assert store.claim("k", b"h" * 31 + b"x", 1).kind == "wrong_proof"
    assert store.claim("k", b"h" * 32, 1).kind == "ok"
    # Both decisions went through it (a claim may compare twice: once on its fast path, once in the transaction).
    assert set(compared) == {(b"h" * 32, b"h" * 31 + b"x"), (b"h" * 32, b"h" * 32)}
