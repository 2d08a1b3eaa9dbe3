"""The share API under load beside its closest peer and a floor, with wrk (Debian's package) at 32
connections, every server under the same gunicorn settings (``sync_server.__main__.GUNICORN_SETTINGS``):

- floors (``bench/floor_app.py``), sent the same create body: a Flask POST that does nothing, and one that
  parses the JSON and answers 201 with JSON (the least any JSON API pays);
- Snappass 1.6.2 (PyPI; Flask and Redis), in a virtual environment of its own from ``bench/snappass.lock``,
  on the same Redis: its full flow, create, open and reveal (three requests);
- this project on Redis and on SQLite: create and claim (two requests); and on a store that keeps nothing,
  which splits a pair's cost into the app's own work and the store's (the same-work floor: target, the
  real stores at most 1.3× it; ``bench/store_cost.py`` splits the store's own work from the waiting around
  it). The server runs its own worker class (``BufferingWorker``); the same app on
  SQLite also runs under plain gthread, the class every peer runs under, so both are reported.

The Redis server's CPU counts with each system that uses it (Snappass and this project on Redis). A run in
which any request fails exits non-zero: its figures do not count.

    .venv/bin/python -m bench.load [--seconds 10] [--rounds 5] [--workers 2] [--balance-runs 10] [--soak 300]

Reports pairs (one secret made and retrieved) per second at saturation, and the latency at half that rate
(each connection pausing between requests, wrk's ``delay()``: what a person meets on a server that is busy
but not saturated), and the servers' CPU seconds per 1,000 pairs (user +
system time of gunicorn's whole process tree, from /proc: wrk shares the two cores, so CPU is the fairer
cost), and this project's CPU per pair over that of two floor requests. Each figure is the median of
``--rounds`` rounds in which the systems take turns. Balance: ``--balance-runs`` consecutive runs on 2 and on 4
workers, slowest ÷ median and the least busy worker's share of the CPU. Rate limits are off. Only loopback
addresses are used; wrk is installed with apt-get when missing. Writes bench/results/load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sync_server.__main__ import GUNICORN_SETTINGS
from tests.support.servers import RedisServer, ServerProcess, free_port, wait_until_serving
from tests.support.shares_api import create_body

ROOT = Path(__file__).resolve().parent.parent

CONNECTIONS = 32
# One connection per wrk thread: each thread's Lua state then sees its connection's responses in order, which
# a multi-step flow needs (with 16 connections to a state, Snappass's reveal could overtake its own "open").
WRK_THREADS = CONNECTIONS
SNAPPASS_VENV = ROOT / "bench" / ".venv-snappass"

WRK_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
    .. '"p50_ms": %.3f, "p99_ms": %.3f}\\n', summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""

# Every connection alternates: create a share, then claim one that this thread created. All shares use one
# claim token, so any id from the queue can be claimed with it; a 410 would mean a share was handed out twice.
WRK_CREATE_CLAIM = """
local ids = {}
local create_body = '%(create)s'
local claim_body = '%(claim)s'
request = function()
  if #ids > 0 then
    local id = table.remove(ids)
    return wrk.format("POST", "/api/shares/" .. id .. "/claim", {["Content-Type"] = "application/json"}, claim_body)
  end
  return wrk.format("POST", "/api/shares", {["Content-Type"] = "application/json"}, create_body)
end
response = function(status, headers, body)
  if status == 201 then
    local id = string.match(body, '"id":"([^"]+)"')
    if id then table.insert(ids, id) end
  end
end
"""


# The floor: the same create body, to an endpoint that ignores it.
WRK_FLOOR = """
local body = '%(create)s'
request = function()
  return wrk.format("POST", "/", {["Content-Type"] = "application/json"}, body)
end
"""

# Snappass's full flow, as a person and the recipient go through it: create (asking for JSON, which Snappass
# offers), open the link (a page that asks "reveal?"), reveal (which deletes it). A 404 would mean a
# secret was lost.
WRK_SNAPPASS = """
local to_open, to_reveal = {}, {}
local body = 'password=%(secret)s&ttl=hour'
request = function()
  if #to_reveal > 0 then
    return wrk.format("POST", table.remove(to_reveal))
  end
  if #to_open > 0 then
    local path = table.remove(to_open)
    table.insert(to_reveal, path)
    return wrk.format("GET", path)
  end
  return wrk.format("POST", "/", {["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json"}, body)
end
response = function(status, headers, body)
  local path = string.match(body, '"link":"https?://[^/]+(/[^"]+)"')
  if path then table.insert(to_open, path) end
end
"""


def sum_over_process_tree(root_pid: int, read_one) -> float:
    """read_one(pid) summed over a process and all its descendants (gunicorn's arbiter and workers);
    processes that end meanwhile count for nothing."""
    total, pending = 0, [root_pid]
    while pending:
        pid = pending.pop()
        try:
            total += read_one(pid)
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, StopIteration, ProcessLookupError):
            continue
    return total


def _rss_kib_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def _cpu_ticks_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (in clock ticks)


def rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants."""
    return int(sum_over_process_tree(root_pid, _rss_kib_of))


def cpu_seconds(root_pid: int) -> float:
    """CPU time (user + system) used so far by a process and all its descendants."""
    return sum_over_process_tree(root_pid, _cpu_ticks_of) / os.sysconf("SC_CLK_TCK")


class MemorySampler(threading.Thread):
    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.running = pid, every, [], True

    def run(self):
        while self.running:
            self.samples.append(rss_kib(self.pid))
            time.sleep(self.every)


def wrk(url: str, script: str, connections: int, seconds: int, server_pid: int, store_pid: int | None = None) -> dict:
    """One wrk run; the server's CPU counts its store's too (the Redis server), where it has one of its own."""
    pids = [server_pid] + ([store_pid] if store_pid else [])
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + WRK_DONE)
    cpu_before = sum(cpu_seconds(pid) for pid in pids)
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                str(WRK_THREADS),
                "-c",
                str(connections),
                "-d",
                f"{seconds}s",
                "--timeout",
                "10s",
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    cpu_after = sum(cpu_seconds(pid) for pid in pids)
    result["server_cpu_us_per_request"] = round((cpu_after - cpu_before) / max(result["requests"], 1) * 1e6, 1)
    return result


def create_claim_script() -> str:
    body, token = create_body()
    return WRK_CREATE_CLAIM % {"create": json.dumps(body), "claim": json.dumps({"claim_token": token})}


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


class Gunicorn:
    """A WSGI app under gunicorn with this project's settings, from a given virtual environment."""

    def __init__(self, python: Path, app: str, workers: int, env: dict | None = None, folder: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        flags = []
        for name, value in GUNICORN_SETTINGS.items():
            flag = "--" + name.replace("_", "-")
            flags += [flag] if value is True else [flag, str(value)]
        self.args = [
            str(python),
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            *flags,
            "--log-level",
            "warning",
            app,
        ]
        self.env, self.folder = {**os.environ, **(env or {})}, folder
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.process = subprocess.Popen(
            self.args, cwd=self.folder, env=self.env, start_new_session=True, stdout=subprocess.DEVNULL
        )
        wait_until_serving(self.url + "/", self.process)
        return self

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)


def snappass_python() -> Path:
    """Snappass in a virtual environment of its own, installed once from its lock file (hashes checked)."""
    python = SNAPPASS_VENV / "bin" / "python"
    stamp = SNAPPASS_VENV / "installed.lock"
    lock = (ROOT / "bench" / "snappass.lock").read_text()
    if not (python.exists() and stamp.exists() and stamp.read_text() == lock):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SNAPPASS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--require-hashes", "-r", str(ROOT / "bench" / "snappass.lock")],
            check=True,
        )
        stamp.write_text(lock)
    return python


def same_gunicorn(python: Path) -> str:
    """Both environments must run the same gunicorn, or the comparison says nothing."""

    def version(interpreter: Path | str) -> str:
        command = [str(interpreter), "-c", "import gunicorn; print(gunicorn.__version__)"]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    ours, theirs = version(sys.executable), version(python)
    if ours != theirs:
        raise SystemExit(f"gunicorn differs: {ours} here, {theirs} for Snappass; update bench/snappass.in and its lock")
    return ours


def run(system: dict, seconds: int) -> dict:
    result = wrk(
        system["server"].url, system["script"], CONNECTIONS, seconds, system["server"].process.pid, system.get("store_pid")
    )
    pairs = result["requests"] / system["requests_per_pair"]
    cpu = result["server_cpu_us_per_request"] * result["requests"] / 1e6
    return {
        "pairs_per_s": pairs / (result["duration_us"] / 1e6),
        "cpu_s_per_1000_pairs": cpu / pairs * 1000,
        "errors": result["non_2xx"] + result["socket_errors"],
        "p99_ms": result["p99_ms"],
    }


def compare(systems: dict, seconds: int, rounds: int) -> dict:
    """Each round runs every system once, in turn, so a disturbance of the machine touches all of them."""
    for system in systems.values():  # warm up: threads, connections, statement caches, files grown to size
        wrk(system["server"].url, system["script"], CONNECTIONS, 2, system["server"].process.pid, system.get("store_pid"))
    runs: dict[str, list[dict]] = {name: [] for name in systems}
    for _ in range(rounds):
        for name, system in systems.items():
            runs[name].append(run(system, seconds))
    table = {}
    for name, results in runs.items():
        table[name] = {
            figure: round(median([r[figure] for r in results]), 3) for figure in ("pairs_per_s", "cpu_s_per_1000_pairs", "p99_ms")
        }
        table[name]["pairs_per_s_per_round"] = [round(r["pairs_per_s"]) for r in results]
        table[name]["errors"] = sum(r["errors"] for r in results)
    for name, system in systems.items():  # and what a person meets when the server is not saturated
        paced = paced_latency(system, table[name]["pairs_per_s"] * PACED_SHARE, seconds)
        table[name].update(paced)
        table[name]["errors"] += paced.pop("paced_errors")
    return table


# Latency below saturation: every connection waits between its requests so that together they ask for this
# share of what the system managed at saturation (wrk's delay(); wrk has no fixed rate of its own).
PACED_SHARE = 0.5


def paced_latency(system: dict, pairs_per_s: float, seconds: int) -> dict:
    requests_per_s = pairs_per_s * system["requests_per_pair"]
    pause_ms = max(1, round(CONNECTIONS * 1000 / requests_per_s))
    script = system["script"] + f"\ndelay = function() return {pause_ms} end\n"
    result = wrk(system["server"].url, script, CONNECTIONS, seconds, system["server"].process.pid, system.get("store_pid"))
    return {
        "paced_pairs_per_s": round(result["rps"] / system["requests_per_pair"], 1),
        "paced_p50_ms": result["p50_ms"],
        "paced_p99_ms": result["p99_ms"],
        "paced_errors": result["non_2xx"] + result["socket_errors"],
    }


def worker_cpu(server_pid: int) -> dict[int, float]:
    with open(f"/proc/{server_pid}/task/{server_pid}/children") as children:
        return {int(pid): cpu_seconds(int(pid)) for pid in children.read().split()}


def balance(workers: int, runs: int, seconds: int, folder: Path) -> dict:
    """Consecutive runs on one server: each wrk run opens 32 new connections, which the kernel spreads over the
    workers' sockets. An idle worker would show as a slow run and as a tiny CPU share."""
    server = ServerProcess(folder / f"balance-{workers}", "--workers", str(workers), "--rate-limits", "off").start()
    script = create_claim_script()
    try:
        wrk(server.url, script, CONNECTIONS, 2, server.process.pid)
        rates, least_shares = [], []
        for _ in range(runs):
            before = worker_cpu(server.process.pid)
            rates.append(wrk(server.url, script, CONNECTIONS, seconds, server.process.pid)["rps"] / 2)
            spent = {pid: cpu - before.get(pid, 0) for pid, cpu in worker_cpu(server.process.pid).items()}
            least_shares.append(min(spent.values()) / sum(spent.values()) * workers)
    finally:
        server.stop()
    middle = median(rates)
    return {
        "workers": workers,
        "pairs_per_s_per_run": [round(rate) for rate in rates],
        "slowest_over_median": round(min(rates) / middle, 3),
        "least_busy_worker_share_of_even": round(min(least_shares), 3),
    }


def soak(server: ServerProcess, seconds: int) -> dict:
    """Steady create-and-claim load at 32 connections, sampling memory every 5 s."""
    sampler = MemorySampler(server.process.pid, every=5)
    sampler.start()
    result = wrk(server.url, create_claim_script(), CONNECTIONS, seconds, server.process.pid)
    sampler.running = False
    sampler.join()
    mib = [round(sample / 1024, 1) for sample in sampler.samples]
    quarter = max(1, len(mib) // 4)
    return {
        "seconds": seconds,
        "pairs_per_s": round(result["rps"] / 2, 1),
        "errors": result["non_2xx"] + result["socket_errors"],
        "rss_mib_first_quarter_avg": round(sum(mib[:quarter]) / quarter, 1),
        "rss_mib_last_quarter_avg": round(sum(mib[-quarter:]) / quarter, 1),
        "rss_mib_max": max(mib),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5, help="rounds in which every system runs once")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--balance-runs", type=int, default=10, help="consecutive runs on 2 and on 4 workers (0: skip)")
    parser.add_argument("--soak", type=int, default=0, help="also run a steady load this long on each store")
    parser.add_argument("--only", choices=["compare", "balance", "soak"], help="run one part")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    snappass = snappass_python()
    results: dict = {"gunicorn": same_gunicorn(snappass), "settings": {**GUNICORN_SETTINGS, "workers": arguments.workers}}
    body, _ = create_body()

    def project_under_gthread(factory: str, data_dir: Path) -> Gunicorn:
        """This project's app (``bench/floor_app.py``) under plain gthread, with a data folder of its own."""
        env = {"BENCH_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
        return Gunicorn(Path(sys.executable), factory, arguments.workers, env=env, folder=ROOT / "bench")

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        redis = RedisServer(folder / "redis").start()
        servers = {
            "floor": Gunicorn(Path(sys.executable), "floor_app:app", arguments.workers, folder=ROOT / "bench"),
            "json_floor": Gunicorn(Path(sys.executable), "floor_app:json_app", arguments.workers, folder=ROOT / "bench"),
            "ours_no_store": project_under_gthread("floor_app:project_without_store()", folder / "no-store-data"),
            "snappass": Gunicorn(
                snappass,
                "snappass.main:app",
                arguments.workers,
                folder=folder,
                env={"REDIS_URL": redis.url, "NO_SSL": "True", "SECRET_KEY": secrets.token_hex(16)},
            ),
            "ours_redis": ServerProcess(
                folder / "redis-data", "--workers", str(arguments.workers), "--rate-limits", "off", "--store", redis.url
            ),
            "ours_sqlite": ServerProcess(folder / "sqlite-data", "--workers", str(arguments.workers), "--rate-limits", "off"),
            # The same app under plain gthread, the worker class its peers run under: the buffering worker's cost.
            "ours_sqlite_gthread": project_under_gthread("floor_app:project()", folder / "gthread-data"),
        }
        systems = {
            "floor": {"script": WRK_FLOOR % {"create": json.dumps(body)}, "requests_per_pair": 1},
            "json_floor": {"script": WRK_FLOOR % {"create": json.dumps(body)}, "requests_per_pair": 1},
            "ours_no_store": {"script": create_claim_script(), "requests_per_pair": 2},
            "snappass": {"script": WRK_SNAPPASS % {"secret": secrets.token_hex(150)}, "requests_per_pair": 3},
            "ours_redis": {"script": create_claim_script(), "requests_per_pair": 2},
            "ours_sqlite": {"script": create_claim_script(), "requests_per_pair": 2},
            "ours_sqlite_gthread": {"script": create_claim_script(), "requests_per_pair": 2},
        }
        try:
            for name, server in servers.items():
                systems[name]["server"] = server.start()
            for name in ("snappass", "ours_redis"):  # the Redis server's work is theirs too
                systems[name]["store_pid"] = redis.process.pid
            if arguments.only in (None, "compare"):
                results["compare"] = compare(systems, arguments.seconds, arguments.rounds)
            if arguments.only in (None, "soak") and arguments.soak:
                results["soak"] = {name: soak(servers[name], arguments.soak) for name in ("ours_sqlite", "ours_redis")}
        finally:
            for server in servers.values():
                server.stop()
            redis.stop()
        if arguments.only in (None, "balance") and arguments.balance_runs:
            results["balance"] = [balance(workers, arguments.balance_runs, arguments.seconds, folder) for workers in (2, 4)]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    report(results)
    errors = sum(row["errors"] for row in results.get("compare", {}).values())
    errors += sum(figures["errors"] for figures in results.get("soak", {}).values())
    if errors:
        sys.exit(f"{errors} requests failed: the figures above do not count")


def report(results: dict) -> None:
    if "compare" in results:
        table = results["compare"]
        # A floor's "pair" is one request: a create+claim pair is measured against two of them.
        floor, json_floor = (2 * table[name]["cpu_s_per_1000_pairs"] for name in ("floor", "json_floor"))
        print(f"gunicorn {results['gunicorn']}, {results['settings']['workers']} workers, {CONNECTIONS} connections\n")
        print(
            "| system | flow (one pair) | pairs/s (median; rounds) | server CPU s per 1,000 pairs | "
            "÷ two no-op POSTs | ÷ two JSON POSTs | p99 ms | at half that rate: pairs/s, p50, p99 ms | errors |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        flows = {
            "floor": "one no-op POST",
            "json_floor": "one JSON POST, JSON 201",
            "snappass": "create, open, reveal",
            "ours_no_store": "create, claim; a store that keeps nothing",
            "ours_redis": "create, claim",
            "ours_sqlite": "create, claim",
            "ours_sqlite_gthread": "create, claim; plain gthread, as its peers",
        }
        for name, row in table.items():
            cpu = row["cpu_s_per_1000_pairs"]
            ratios = f"{cpu / floor:.2f} | {cpu / json_floor:.2f}" if name not in ("floor", "json_floor") else "| "
            print(
                f"| {name} | {flows[name]} | {row['pairs_per_s']:,.0f} ({', '.join(map(str, row['pairs_per_s_per_round']))}) | "
                f"{cpu:.2f} | {ratios} | {row['p99_ms']:.1f} | "
                f"{row['paced_pairs_per_s']:,.0f}, {row['paced_p50_ms']:.1f}, {row['paced_p99_ms']:.1f} | {row['errors']} |"
            )
        for name in ("ours_redis", "ours_sqlite"):
            print(
                f"{name}: {table[name]['pairs_per_s'] / table['snappass']['pairs_per_s']:.2f}× Snappass's pairs/s at "
                f"{table[name]['cpu_s_per_1000_pairs'] / table['snappass']['cpu_s_per_1000_pairs']:.2f}× its CPU per pair; "
                f"{table[name]['cpu_s_per_1000_pairs'] / table['ours_no_store']['cpu_s_per_1000_pairs']:.2f}× the same work "
                "with no store (target ≤ 1.3)"
            )
    for row in results.get("balance", []):
        print(
            f"balance, {row['workers']} workers: slowest run {row['slowest_over_median']} × the median "
            f"(pairs/s {row['pairs_per_s_per_run']}); least busy worker {row['least_busy_worker_share_of_even']} × an even share"
        )
    for name, figures in results.get("soak", {}).items():
        print(
            f"{name} soak {figures['seconds']} s: {figures['pairs_per_s']} pairs/s, {figures['errors']} errors, memory "
            f"{figures['rss_mib_first_quarter_avg']} MiB (first quarter) → {figures['rss_mib_last_quarter_avg']} MiB "
            f"(last quarter), max {figures['rss_mib_max']} MiB"
        )


if __name__ == "__main__":
    main()
