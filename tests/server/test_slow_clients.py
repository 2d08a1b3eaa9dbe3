"""Slow clients against a real server as the README runs it: 200 connections from one address sending their
requests a byte at a time never keep another person waiting (bench/slow_clients.py measures the same, and
compares gunicorn's own worker, which fails it)."""

from __future__ import annotations

import hashlib
import inspect
import select
import socket
import time

import gunicorn
import pytest
from gunicorn.workers import gthread

from sync_server.framing import Refusal, RequestFramer
from tests.support.servers import ServerProcess
from tests.support.slow_clients import SlowClients, health_once, measure_meanwhile


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("slow-clients"), "--workers", "2", "--rate-limits", "off").start()
    yield server
    server.stop()


def test_two_hundred_slow_clients_keep_nobody_else_waiting(server):
    with SlowClients(server.port, 200) as attack:
        time.sleep(3)
        # Slow headers and bodies are held until their deadline; every other kind is refused at once.
        waited_for = sum(kind in ("headers", "body") for kind in attack.kinds)
        assert attack.held() >= 0.9 * waited_for, "the slow clients should hold their connections open"
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


def test_slow_clients_from_many_addresses_cannot_fill_the_connection_slots(tmp_path):
    """Eight addresses, each under its cap of ten, hold 80 unfinished requests against a worker of 60 slots
    (2,400 from 30 addresses did this to 1,000). Near the limit each new connection sheds the one that has
    sent least for longest, so a person from another address is still served at once."""
    server = ServerProcess(
        tmp_path, "--workers", "1", "--rate-limits", "off", "--worker-connections", "60", "--max-connections-per-address", "10"
    ).start()
    held = []
    try:
        for n in range(80):
            sock = socket.socket()
            sock.bind((f"127.0.1.{n // 10 + 1}", 0))
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")  # never finished
            held.append(sock)
        time.sleep(1.5)  # a connection is judged once it has had a second to send
        waits = [health_once(server.url) for _ in range(10)]
        assert max(waits) < 1, waits
        shed = len(select.select(held, [], [], 0.5)[0])  # closed by the server: readable (at its end)
        assert shed >= 20, f"only {shed} of the slow connections were shed"
    finally:
        for sock in held:
            sock.close()
        server.stop()


# What BufferingWorker overrides, calls or relies on in gunicorn's gthread worker, as reviewed in gunicorn
# 27.0.1 (pyproject.toml allows 27.x only): the SHA-256 of each one's source, first 16 hex digits. A gunicorn
# that changes any of them fails here, to be read again before the pin moves.
REVIEWED_GTHREAD = {
    "ThreadWorker.__init__": "5681b8b542ea91bf",  # nr_conns, keepalived_conns, poller, worker_connections
    "ThreadWorker.run": "f92c7394d85715a4",  # stops accepting at worker_connections; sweeps every second
    "ThreadWorker.accept": "f8dcead3dce5c851",
    "ThreadWorker.on_client_socket_readable": "aead1a3ea7b7daff",
    "ThreadWorker.enqueue_req": "c9f428953d24acef",
    "ThreadWorker.handle": "ca85c9be3df75da4",  # skips its wait for data when data_ready is set
    "ThreadWorker.finish_request": "616e7bb15a009ff7",
    "ThreadWorker.murder_pending": "7bf11f46454296e1",
    "ThreadWorker.murder_keepalived": "4459960c4ccc36d4",
    "TConn": "e3a2878ba952710a",
}


def test_the_gunicorn_internals_the_worker_stands_on_are_the_reviewed_ones():
    found = {}
    for name in REVIEWED_GTHREAD:
        owner, _, attribute = name.partition(".")
        target = getattr(gthread, owner)
        source = inspect.getsource(getattr(target, attribute) if attribute else target)
        found[name] = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert found == REVIEWED_GTHREAD, f"gunicorn {gunicorn.__version__} changed what the worker stands on"


FAKE_LAST_CHUNK = b"POST /nothing HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab\r\n0\r\n\r\n\r\n"


@pytest.mark.parametrize(
    ("sent", "whole"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n", None),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
        (b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabc", None),
        (
            b"POST /api/shares HTTP/1.1\r\nHost: x\r\ncontent-length:5\r\n\r\nabcde",
            b"POST /api/shares HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nabcde",
        ),
        # The plain form a thread reads drops what is already dealt with: "100 Continue" was sent.
        (
            b"PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nz",
            b"PUT /x HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\n\r\nz",
        ),
        (b"POST /api/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n", 413),  # before the body
        (b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 411),  # at its headers, any path
        (FAKE_LAST_CHUNK, 411),  # chunk data that looks like a last chunk
        (b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 411),
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400),  # both: smuggling
        (b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: a\r\n" * 5000, 431),  # headers over 32 KiB, never ended
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),  # TLS spoken to the plain port
    ],
)
def test_a_real_parser_decides_where_a_request_ends(sent, whole):
    """llhttp frames each request (sync_server/framing.py): a thread gets only a whole request, in one plain
    form, and anything this server will not take is refused as it arrives, with its status."""
    framer = RequestFramer()
    if isinstance(whole, int):
        with pytest.raises(Refusal) as refused:
            framer.feed(sent)
        assert refused.value.status == whole
    else:
        assert framer.feed(sent) == whole


def test_a_pipelined_request_waits_whole_behind_the_first():
    framer = RequestFramer()
    first = framer.feed(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo")
    assert first.startswith(b"GET /a ") and framer.next_request() is None
    assert framer.feed(b"st: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"GET /b ")
    assert framer.next_request().startswith(b"GET /c ") and framer.next_request() is None


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
