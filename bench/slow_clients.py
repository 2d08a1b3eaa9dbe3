"""Slow clients against the server as the README runs it (2 workers, SQLite), while another person's health
check and create+claim run every quarter second on new connections. Target: every one answers within 1 s,
none fails.

Two crowds, each measured against each worker class in turn:
- one address (127.0.0.2), 200 connections sending their requests a byte at a time, every kind in
  ``tests/support/slow_clients.py`` (slow headers, slow bodies, chunked bodies, chunked bodies to a page,
  a fake last chunk, nine 8 KB headers never ended), opened again as soon as the server closes them;
- many addresses: 2,400 such connections from 30 addresses, 80 each, under the cap of 100 per address,
  more than the 2 × 1,000 connections the workers hold.

The worker classes: gunicorn's own gthread (a thread per connection from accept on), and the worker the
server runs (``BufferingWorker``: each request framed whole by llhttp in the event loop before a thread takes
it, the slowest connections shed near the connection limit).

    .venv/bin/python -m bench.slow_clients [--seconds 20] [--only BufferingWorker] [--crowd one|many]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT
from tests.support.servers import free_port, wait_until_serving
from tests.support.slow_clients import SlowClients, measure_meanwhile

WORKERS = {"gthread": "gthread", "BufferingWorker": "sync_server.worker.BufferingWorker"}
# Each crowd: how many slow connections, from which addresses.
CROWDS = {
    "one": (200, ("127.0.0.2",)),
    "many": (2400, tuple(f"127.0.3.{n}" for n in range(1, 31))),
}
RESULTS = ROOT / "bench" / "results"


def serve(worker_class: str, port: int, data_dir: str) -> None:
    """Run the server as ``python -m sync_server`` does, with another worker class."""
    from sync_server.__main__ import Server
    from sync_server.config import Settings

    class BenchServer(Server):
        def load_config(self):
            super().load_config()
            self.cfg.set("worker_class", worker_class)

    settings = Settings(port=port, data_dir=Path(data_dir), rate_limits="off")
    settings.ensure_secret_keys()
    BenchServer(settings).run()


def run(name: str, crowd: str, seconds: float) -> dict:
    clients, sources = CROWDS[crowd]
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.slow_clients", "--serve", WORKERS[name], "--port", str(port), "--data-dir", data_dir],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_serving(f"{url}/api/health", process)
            with SlowClients(port, clients, sources) as attack:
                time.sleep(3)  # let the slow clients take what they can first
                held = attack.held()
                found = measure_meanwhile(url, seconds)
                opened, refused = attack.opened, attack.refused
        finally:
            process.terminate()
            process.wait(timeout=30)
    every = [*found.health, *found.share]
    finite = [value for value in every if value != float("inf")]
    return {
        "crowd": f"{clients} from {len(sources)}",
        "worker": name,
        "slow connections held": held,
        "slow connections opened": opened,
        "refused": refused,
        "calls": len(every),
        "over 1 s": sum(value > 1 for value in every),
        "failed": len(found.failures),
        "median ms": round(statistics.median(finite) * 1000, 1) if finite else None,
        "worst ms": (round(max(every) * 1000, 1) if max(every) != float("inf") else "timed out") if every else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--only", choices=WORKERS)
    parser.add_argument("--crowd", choices=CROWDS)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, arguments.port, arguments.data_dir)
        return
    results = [
        run(name, crowd, arguments.seconds)
        for crowd in CROWDS
        if arguments.crowd in (None, crowd)
        for name in WORKERS
        if arguments.only in (None, name)
    ]
    columns = list(results[0])
    print(f"slow clients; health + create+claim from 127.0.0.1 every 0.25 s for {arguments.seconds:g} s")
    print("  ".join(f"{column:>22}" for column in columns))
    for row in results:
        print("  ".join(f"{str(row[column]):>22}" for column in columns))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "slow_clients.json").write_text(json.dumps(results, indent=2))
    if any(row["worker"] == "BufferingWorker" and (row["failed"] or row["over 1 s"]) for row in results):
        sys.exit("the server's worker missed the target")


if __name__ == "__main__":
    main()
