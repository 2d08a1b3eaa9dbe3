"""What an operator relies on when the server runs for real: gunicorn with several workers, the documented
limits, a store that can go away, a stop in the middle of traffic."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ServerProcess
from shares import call, create_body


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
