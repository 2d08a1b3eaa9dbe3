"""Slow clients against a real server as the README runs it: 200 connections from one address sending their
requests a byte at a time never keep another person waiting (bench/slow_clients.py measures the same, and
compares gunicorn's own worker, which fails it)."""

from __future__ import annotations

import socket
import time

import pytest

from support.servers import ServerProcess
from support.slow_clients import SlowClients, health_once, measure_meanwhile
from sync_server.worker import request_complete


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("slow-clients"), "--workers", "2", "--rate-limits", "off").start()
    yield server
    server.stop()


def test_two_hundred_slow_clients_keep_nobody_else_waiting(server):
    with SlowClients(server.port, 200) as attack:
        time.sleep(3)
        assert attack.held() >= 100, "the slow clients should hold their connections open"
        found = measure_meanwhile(server.url, seconds=14)  # past the 10-second deadline, so slow ones recycle
    assert not found.failures, found.failures
    assert len(found.health) >= 20 and len(found.share) >= 20
    assert found.worst() < 1.0, f"slowest answer {found.worst():.2f} s"


def test_a_request_still_arriving_at_the_deadline_gets_a_408_and_is_closed(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{")
        sock.settimeout(15)
        started = time.monotonic()
        answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408 ") and b"request_timeout" in answer
        assert 9 <= time.monotonic() - started <= 13
        assert sock.recv(4096) == b""  # and closed


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (whatever it sent before, such as the rest of an answer)."""
    sock.settimeout(0.2)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_one_address_cannot_take_every_connection(tmp_path):
    server = ServerProcess(tmp_path, "--workers", "1", "--rate-limits", "off", "--max-connections-per-address", "5").start()
    try:
        # The start's readiness probe came from this address too, and a connection is counted off only when
        # the worker's main loop closes it, after the client has its answer: wait for a closed one's end.
        with socket.create_connection(("127.0.0.1", server.port)) as probe:
            probe.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            probe.settimeout(10)
            while probe.recv(4096):
                pass
        held = []
        for _ in range(12):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finished
            held.append(sock)
        time.sleep(0.5)
        closed = [closed_by_server(sock) for sock in held]
        assert closed == [False] * 5 + [True] * 7, "connections past the fifth from one address are closed at once"
        # Another address is not affected, and the first address gets its slots back as it lets go.
        other = socket.socket()
        other.bind(("127.0.0.2", 0))
        other.connect(("127.0.0.1", server.port))
        other.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert other.recv(4096).startswith(b"HTTP/1.1 200 ")
        other.close()
        for sock in held:
            sock.close()
        time.sleep(0.5)
        # Every way a connection ends gives its slot back: answered and closed by the client, and left idle
        # after an answer until the keep-alive timeout closes it.
        for _ in range(10):
            assert health_once(server.url) < 1
        idle = []
        for _ in range(5):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
            idle.append(sock)
        time.sleep(3)  # past gunicorn's 2-second keep-alive
        assert all(closed_by_server(sock) for sock in idle)
        for _ in range(5):
            assert health_once(server.url) < 1
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("buffer", "complete"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"POST /api/shares HTTP/1.1\r\nContent-Length: 5\r\n\r\nabc", False),
        (b"POST /api/shares HTTP/1.1\r\ncontent-length:5\r\n\r\nabcde", True),
        (b"POST /api/shares HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n", True),  # refused by the app, unread
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n", False),
        (b"POST /api/shares HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n", True),  # 411 at once
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", True),
        (b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000, True),  # too large to buffer: the parser refuses it
    ],
)
def test_what_counts_as_a_whole_request(buffer, complete):
    assert request_complete(buffer) is complete


def test_past_the_buffer_budget_the_request_arriving_longest_is_refused(tmp_path):
    server = ServerProcess(tmp_path, "--workers", "1", "--rate-limits", "off", "--max-buffered-bytes", "200000").start()
    head = b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 300000\r\n\r\n"
    try:
        first = socket.create_connection(("127.0.0.1", server.port))
        first.sendall(head + b" " * 150_000)
        time.sleep(0.5)
        second = socket.create_connection(("127.0.0.1", server.port))
        second.sendall(head + b" " * 100_000)  # 250,000 bytes held: over the budget
        first.settimeout(5)
        answer = first.recv(4096)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"server_busy" in answer
        assert closed_by_server(first)
        assert not closed_by_server(second)  # the newer one is still waited for
        assert health_once(server.url) < 1
        second.close()
    finally:
        server.stop()


def test_pipelined_requests_are_each_answered(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n" * 2
            + b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        answers = b""
        while chunk := sock.recv(65536):
            answers += chunk
    assert answers.count(b"HTTP/1.1 200 ") == 3
