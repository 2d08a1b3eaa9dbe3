"""Server faults: a crash under load, a full disk, an unreachable store. Nothing acknowledged is lost,
nothing claimed comes back, and every failure is a clear JSON answer, never a crash."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.servers import ServerProcess, damage_database
from tests.support.shares_api import call, create_body


def claim(server, share_id, token):
    return call(f"{server.url}/api/shares/{share_id}/claim", "POST", {"claim_token": token})


def test_sigkill_under_load_loses_no_acknowledged_share_and_revives_no_claim(tmp_path):
    server = ServerProcess(tmp_path / "data", "--workers", "2", "--rate-limits", "off").start()
    created: list[tuple[str, str]] = []  # acknowledged with 201
    claimed: set[str] = set()  # acknowledged with 200
    in_flight_claims: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            try:
                body, token = create_body()
                status, answer = call(f"{server.url}/api/shares", "POST", body)
                if status == 201:
                    with lock:
                        created.append((answer["id"], token))
                        to_claim = created[len(created) // 2] if len(created) > 4 else None
                        if to_claim and to_claim[0] not in claimed and to_claim[0] not in in_flight_claims:
                            in_flight_claims.add(to_claim[0])
                        else:
                            to_claim = None
                    if to_claim:
                        status, _ = claim(server, *to_claim)
                        with lock:
                            in_flight_claims.discard(to_claim[0])
                            if status == 200:
                                claimed.add(to_claim[0])
            except Exception:  # noqa: BLE001  the server is gone: refused, reset or cut off mid-answer
                return

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    server.stop(kill=True)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(created) > 20 and claimed, "the load did not get going before the kill"

    database = tmp_path / "data" / "shares.sqlite3"
    assert sqlite3.connect(database).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = ServerProcess(tmp_path / "data", "--rate-limits", "off").start()
    try:
        for share_id, token in created:
            status, answer = claim(restarted, share_id, token)
            if share_id in claimed:
                assert status == 410 and answer["reason"] == "opened", share_id  # no claimed share comes back
            else:
                assert status in (200, 410), (share_id, status)  # 410 only if its claim was cut off mid-way
                assert status == 200 or answer["reason"] == "opened"
            assert claim(restarted, share_id, token)[0] == 410  # and then exactly once
    finally:
        restarted.stop()


def test_sigterm_under_load_finishes_requests_in_flight_and_loses_no_acknowledged_share(tmp_path):
    """A deploy or a restart stops the server with SIGTERM. Requests under way are answered (here one whose
    body is still arriving when the signal comes), new connections are refused, and every share the
    server acknowledged is there after the restart."""
    server = ServerProcess(tmp_path / "data", "--workers", "2", "--rate-limits", "off").start()
    created: list[tuple[str, str]] = []
    refused = threading.Event()
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            body, token = create_body()
            try:
                status, answer = call(f"{server.url}/api/shares", "POST", body)
            except Exception:  # noqa: BLE001  refused or reset: the server has stopped listening
                refused.set()
                return
            assert status == 201, answer  # a graceful stop never answers a request with an error
            created.append((answer["id"], token))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    slow_body, slow_token = create_body()
    payload = json.dumps(slow_body).encode()
    slow = socket.create_connection(("127.0.0.1", server.port))
    slow.sendall(
        b"POST /api/shares HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload) + payload[:100]
    )
    time.sleep(0.5)
    server.process.terminate()
    time.sleep(1)
    slow.sendall(payload[100:])
    answer = b""
    while chunk := slow.recv(65536):
        answer += chunk
    slow.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201"), answer[:200]
    created.append((json.loads(body)["id"], slow_token))
    assert server.process.wait(timeout=30) == 0
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert refused.is_set() and len(created) > 20, "the load did not run up to the stop"

    restarted = ServerProcess(tmp_path / "data", "--rate-limits", "off").start()
    try:
        for share_id, token in created:
            assert claim(restarted, share_id, token)[0] == 200, share_id
    finally:
        restarted.stop()
    assert "Traceback" not in server.log()


@pytest.fixture
def small_disk(tmp_path):
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as stream:
        try:
            while True:
                stream.write(b"\0" * 65536)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError:
            pass
    return filler


def test_full_disk_gives_clear_errors_and_loses_nothing(small_disk):
    server = ServerProcess(small_disk / "data", "--rate-limits", "off")
    server.log_path = small_disk.parent / "server.log"  # keep the log off the full disk
    server.start()
    try:
        made = []
        for _ in range(10):
            body, token = create_body()
            status, answer = call(f"{server.url}/api/shares", "POST", body)
            assert status == 201
            made.append((answer["id"], token))
        filler = fill(small_disk)
        statuses = set()
        for _ in range(30):
            status, answer = call(f"{server.url}/api/shares", "POST", create_body(body_bytes=60_000)[0])
            statuses.add(status)
            assert status in (201, 503), answer
            if status == 503:
                assert answer["error"] == "store_unavailable" and "Nothing was changed" in answer["message"]
        assert 503 in statuses
        assert "share store unavailable in POST /api/shares: database or disk is full" in server.log()  # and why
        first_id, first_token = made[0]
        status, _ = claim(server, first_id, first_token)
        assert status in (200, 503)  # a claim may need room to write; it never half-happens
        filler.unlink()
        assert call(f"{server.url}/api/shares", "POST", create_body()[0])[0] == 201  # recovers
        for share_id, token in made:
            outcome = claim(server, share_id, token)[0]
            assert outcome == 200 or (share_id == first_id and status == 200 and outcome == 410)
    finally:
        server.stop()


def test_damaged_store_is_a_clear_503_and_recovers(tmp_path):
    """The database file overwritten under a running server (a failing disk, a bad restore): every request
    gets a clear 503, the server keeps running, and it recovers when the file is good again.
    (An unreachable Redis is tested the same way in test_scale_out.py.)"""
    server = ServerProcess(tmp_path / "data", "--workers", "1", "--rate-limits", "off").start()
    try:
        body, token = create_body()
        status, created = call(f"{server.url}/api/shares", "POST", body)
        assert status == 201
        good = damage_database(tmp_path / "data")
        status, answer = call(f"{server.url}/api/shares", "POST", create_body()[0])
        assert (status, answer["error"]) == (503, "store_unavailable")
        assert call(f"{server.url}/api/ready")[0] == 503
        assert call(f"{server.url}/api/health")[0] == 200  # the process itself is fine: no restart wanted
        (tmp_path / "data" / "shares.sqlite3").write_bytes(good)
        assert call(f"{server.url}/api/ready")[0] == 200
        assert claim(server, created["id"], token)[0] == 200
        assert "Traceback" not in server.log()
    finally:
        server.stop()


def ciphertext_left_in(folder: Path, envelope: bytes) -> list[str]:
    """The files under ``folder`` that still hold any 24 bytes of the envelope's body."""
    pieces = [envelope[start : start + 24] for start in range(14, len(envelope) - 24, 24)]
    return [path.name for path in folder.rglob("*") if path.is_file() and any(piece in path.read_bytes() for piece in pieces)]


def test_claimed_cancelled_destroyed_and_expired_shares_leave_no_ciphertext_on_disk(tmp_path):
    """After a share is opened, cancelled, destroyed by wrong proofs or expired, its bytes are nowhere in
    the data folder: not in the database (secure_delete), not in the write-ahead log (emptied soon after)."""
    import base64

    server = ServerProcess(tmp_path / "data", "--rate-limits", "off").start()
    try:
        made = []
        for _ in range(3):
            body, token = create_body(body_bytes=2000)
            status, answer = call(f"{server.url}/api/shares", "POST", body)
            assert status == 201
            made.append((answer, token, base64.urlsafe_b64decode(body["ciphertext"] + "==")))
        kept_body, kept_token = create_body(body_bytes=2000)
        assert call(f"{server.url}/api/shares", "POST", kept_body)[0] == 201
        kept = base64.urlsafe_b64decode(kept_body["ciphertext"] + "==")
        (opened, opened_token, opened_bytes), (cancelled, _, cancelled_bytes), (destroyed, _, destroyed_bytes) = made
        assert ciphertext_left_in(tmp_path / "data", opened_bytes), "the test cannot see stored bytes"
        assert claim(server, opened["id"], opened_token)[0] == 200
        assert (
            call(
                f"{server.url}/api/shares/{cancelled['id']}",
                "DELETE",
                headers={"Authorization": f"Bearer {cancelled['manage_token']}"},
            )[0]
            == 204
        )
        for _ in range(5):
            claim(server, destroyed["id"], create_body()[1])
        deadline = time.monotonic() + 5
        while any(ciphertext_left_in(tmp_path / "data", data) for data in (opened_bytes, cancelled_bytes, destroyed_bytes)):
            assert time.monotonic() < deadline, "ciphertext still on disk 5 s after the share ended"
            time.sleep(0.2)
        assert ciphertext_left_in(tmp_path / "data", kept), "a waiting share must still be there"
    finally:
        server.stop()


def test_expired_shares_leave_no_ciphertext_on_disk(tmp_path):
    from sync_server.store.sqlite import SQLiteStore

    store = SQLiteStore(str(tmp_path / "shares.sqlite3"))
    data = os.urandom(3000)
    store.create("expiring", data, b"h" * 32, now=1000, expires_at=1300)
    assert ciphertext_left_in(tmp_path, data)
    store.purge(now=1300)
    deadline = time.monotonic() + 5
    while ciphertext_left_in(tmp_path, data):
        assert time.monotonic() < deadline, "ciphertext still on disk 5 s after the share expired"
        time.sleep(0.2)
