"""The body watchdog on its own (the end-to-end slow-loris test is in test_hostile_http.py)."""

from __future__ import annotations

import socket
import time

from sync_server.body import Watchdog


def wait_until(predicate, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_a_body_still_arriving_at_its_deadline_is_cut_off():
    watchdog = Watchdog(0.2, tick=0.05)
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        watch = watchdog.watch(server_side)
        assert wait_until(lambda: watch.expired)
        server_side.settimeout(1)
        assert server_side.recv(10) == b""  # shut for reading: a blocked read returns at once


def test_finished_bodies_are_never_cut_off_and_leave_the_queue():
    watchdog = Watchdog(0.3, tick=3600)  # a thread that never wakes here: the test sweeps by hand
    pairs = [socket.socketpair() for _ in range(50)]
    try:
        watches = [watchdog.watch(server_side) for server_side, _ in pairs]
        for watch in watches[1:]:
            watchdog.finish(watch)
        watchdog.sweep(time.monotonic())
        assert list(watchdog._queue) == [watches[0]]  # only the body still arriving is kept
        watchdog.sweep(time.monotonic() + 1)
        assert watches[0].expired and not watchdog._queue
        assert not any(watch.expired for watch in watches[1:])
        pairs[1][1].sendall(b"still open")
        assert pairs[1][0].recv(10) == b"still open"
    finally:
        for server_side, client_side in pairs:
            server_side.close()
            client_side.close()


def test_deadlines_fall_due_in_order_and_each_within_a_tick():
    tick = 0.05
    watchdog = Watchdog(0.3, tick=tick)
    pairs = [socket.socketpair() for _ in range(3)]
    try:
        started = time.monotonic()
        watches = []
        for server_side, _ in pairs:
            watches.append(watchdog.watch(server_side))
            time.sleep(0.1)
        expired_at = []
        for watch in watches:
            assert wait_until(lambda watch=watch: watch.expired)
            expired_at.append(time.monotonic() - started)
        assert expired_at == sorted(expired_at)
        assert 0.3 <= expired_at[0] < 0.3 + tick + 0.2  # a loaded machine's scheduling gets 0.2 s
        assert expired_at[-1] >= 0.5
    finally:
        for server_side, client_side in pairs:
            server_side.close()
            client_side.close()
