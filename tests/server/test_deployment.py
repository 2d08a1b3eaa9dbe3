"""What an operator relies on when the server runs for real: gunicorn with several workers, the documented
limits, a store that can go away, a stop in the middle of traffic."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.servers import RedisServer, ServerProcess, damage_database
from tests.support.shares_api import call, create_body


@pytest.mark.parametrize("workers", [2, 4])
def test_the_documented_create_limit_holds_across_workers_in_sqlite_mode(tmp_path, workers):
    """Forty creates from one person, each on its own connection (so they land on every worker), eight at a
    time: exactly the documented 20 an hour get through."""
    server = ServerProcess(tmp_path / "data", "--workers", str(workers)).start()
    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _: call(f"{server.url}/api/shares", "POST", create_body()[0])[0], range(40)))
        assert sorted(statuses) == [201] * 20 + [429] * 20
        assert (tmp_path / "data" / "rate_limits.sqlite3").stat().st_mode & 0o777 == 0o600
    finally:
        server.stop()


def test_redis_that_goes_away_gives_clear_503s_and_the_server_recovers_without_a_restart(tmp_path):
    """With the documented limits on, so the limiter's counters are in the same Redis: while Redis is gone,
    creating and claiming answer 503 (not 500, and never let through uncounted) and readiness fails while
    liveness holds; when it is back, everything works again in the same server processes."""
    redis = RedisServer(tmp_path / "redis", persistent=True).start()
    server = ServerProcess(tmp_path / "data", "--store", redis.url, "--workers", "2").start()
    try:
        body, token = create_body()
        status, created = call(f"{server.url}/api/shares", "POST", body)
        assert status == 201
        deadline = time.monotonic() + 15
        while len(worker_pids(server)) < 2:  # the second worker may still be starting: it serves once it listens
            assert time.monotonic() < deadline, "the second worker never started"
            time.sleep(0.1)
        pids = set(worker_pids(server))
        redis.stop(kill=True)
        for path, method, payload in (
            ("/api/shares", "POST", create_body()[0]),
            (f"/api/shares/{created['id']}/claim", "POST", {"claim_token": token}),
            ("/api/ready", "GET", None),
        ):
            status, answer = call(f"{server.url}{path}", method, payload)
            assert (status, answer["error"]) == (503, "store_unavailable"), (path, answer)
        assert call(f"{server.url}/api/health") == (200, {"status": "ok"})
        redis.start()
        assert call(f"{server.url}/api/ready") == (200, {"status": "ready"})
        assert call(f"{server.url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})[0] == 200
        assert call(f"{server.url}/api/shares", "POST", create_body()[0])[0] == 201
        assert set(worker_pids(server)) == pids  # recovered in place: no worker was restarted
    finally:
        server.stop()
        redis.stop()
    log = server.log()
    # Creating reads the store's fullness first (it decides the day's allowance); claiming meets the limiter.
    assert "share store unavailable in POST /api/shares: ConnectionError" in log
    assert "rate-limit storage unavailable in POST /api/shares/<public_id>/claim: ConnectionError" in log
    assert "share store unavailable in GET /api/ready: ConnectionError" in log
    assert "Traceback" not in log and created["id"] not in log and token not in log


def worker_pids(server: ServerProcess) -> list[int]:
    with open(f"/proc/{server.process.pid}/task/{server.process.pid}/children") as children:
        return [int(pid) for pid in children.read().split()]


def test_json_logs_are_one_object_per_line_with_tracebacks_inside(tmp_path):
    """--log-format json: gunicorn's lines, the app's and a crash's traceback each come as one JSON object
    per line, which a log collector can take as it is; nothing of the request is in them."""
    server = ServerProcess(tmp_path / "data", "--log-format", "json", "--workers", "1", "--rate-limits", "off").start()
    try:
        body, token = create_body()
        status, created = call(f"{server.url}/api/shares", "POST", body)
        assert status == 201
        damage_database(tmp_path / "data")
        status, answer = call(f"{server.url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})
        assert (status, answer["error"]) == (503, "store_unavailable")
    finally:
        server.stop()
    log = server.log()
    lines = [json.loads(line) for line in log.splitlines()]  # every line is JSON
    assert {"time", "process", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"] == f"Serving on http://127.0.0.1:{server.port}" for line in lines)
    assert any(
        line["level"] == "ERROR"
        and line["message"] == "share store unavailable in POST /api/shares/<public_id>/claim: file is not a database"
        for line in lines
    )
    assert created["id"] not in log and token not in log and '127.0.0.1"' not in log

    crash = subprocess.run(
        [sys.executable, "-c", CRASH_WITH_JSON_LOGS, str(tmp_path / "crash")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    records = [json.loads(line) for line in crash.stderr.splitlines()]
    assert [record["message"] for record in records] == ["unexpected error in POST /api/shares"]
    assert records[0]["level"] == "ERROR" and "RuntimeError: boom" in records[0]["exc_info"]
    assert crash.stdout.strip() == "500"


ROOT = Path(__file__).resolve().parents[2]

# A real app under the JSON log configuration, with the envelope check made to crash.
CRASH_WITH_JSON_LOGS = """
import sys
from pathlib import Path
from sync_server import create_app, envelope, logs
from sync_server.config import Settings
sys.path.insert(0, "tests")
from tests.support.shares_api import create_body
logs.configure("json")
def crash(_value):
    raise RuntimeError("boom")
envelope.check = crash
app = create_app(Settings(data_dir=Path(sys.argv[1]), rate_limits="off"))
print(app.test_client().post("/api/shares", json=create_body()[0]).status_code)
"""
