"""Load on the share API with wrk (Debian's package): create-and-claim against a trivial endpoint of the same
app, for the SQLite and Redis stores under gunicorn, at several concurrency levels; and the server's memory.

    .venv/bin/python bench/load.py [--seconds 10] [--rounds 3] [--concurrency 8 32 64] [--soak 300]

Installs wrk with apt-get when it is missing. Only loopback addresses are used. Writes
bench/results/load.json and prints a Markdown table (the README shows the latest one).
The cost ratio is (time per create + claim pair) / (time per health request) = 2 x health rps / mixed rps.
wrk runs on the same two cores, so it is also given as server CPU time (the gunicorn processes' user +
system time, from /proc) per pair over server CPU time per health request. Each figure is the median of
``--rounds`` alternating runs; the cost ratio of every round is listed too, to show the spread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import RedisServer, ServerProcess  # noqa: E402  (the tests' real-process helpers)
from shares import create_body  # noqa: E402

WRK_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
    .. '"p50_ms": %.3f, "p99_ms": %.3f}\\n', summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""

# The trivial endpoint is driven through the same Lua callbacks (a request() building each request and a
# response() reading each body), so wrk spends as much of the shared CPU per request on both sides of the ratio.
WRK_HEALTH = """
request = function()
  return wrk.format("GET", "/api/health")
end
response = function(status, headers, body)
  local ok = string.match(body, '"status":"([^"]+)"')
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


def wrk(url: str, script: str, connections: int, seconds: int, server_pid: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script + WRK_DONE)
    cpu_before = cpu_seconds(server_pid)
    try:
        output = subprocess.run(
            ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", file.name, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(file.name)
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["server_cpu_us_per_request"] = round((cpu_seconds(server_pid) - cpu_before) / result["requests"] * 1e6, 1)
    return result


def create_claim_script() -> str:
    body, token = create_body()
    return WRK_CREATE_CLAIM % {"create": json.dumps(body), "claim": json.dumps({"claim_token": token})}


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def measure(backend: str, server: ServerProcess, levels: list[int], seconds: int, rounds: int) -> list[dict]:
    """Health and create-and-claim alternate, ``rounds`` times per level; the medians are reported, so one
    round disturbed by the machine (the two cores are shared with wrk and everything else) moves nothing."""
    rows = []
    sampler = MemorySampler(server.process.pid)
    sampler.start()
    pid = server.process.pid
    # Warm up both paths first: worker threads, statement caches, and the store's files grown to size.
    wrk(server.url, WRK_HEALTH, 8, 2, pid)
    wrk(server.url, create_claim_script(), 8, 2, pid)
    for connections in levels:
        runs = [(wrk(server.url, WRK_HEALTH, connections, seconds, pid), wrk(server.url, create_claim_script(), connections, seconds, pid))
                for _ in range(rounds)]

        def typical(side: int, figure: str) -> float:
            return round(median([run[side][figure] for run in runs]), 3)

        health_rps, mixed_rps = typical(0, "rps"), typical(1, "rps")
        health_cpu, mixed_cpu = typical(0, "server_cpu_us_per_request"), typical(1, "server_cpu_us_per_request")
        rows.append({
            "backend": backend, "connections": connections, "rounds": rounds,
            "health_rps": health_rps, "health_p50_ms": typical(0, "p50_ms"), "health_p99_ms": typical(0, "p99_ms"),
            "create_claim_rps": mixed_rps, "create_claim_p50_ms": typical(1, "p50_ms"), "create_claim_p99_ms": typical(1, "p99_ms"),
            "cost_ratio": round(2 * health_rps / mixed_rps, 2),
            "cost_ratio_per_round": [round(2 * health["rps"] / mixed["rps"], 2) for health, mixed in runs],
            "health_server_cpu_us": health_cpu,
            "create_claim_server_cpu_us": mixed_cpu,
            "server_cpu_ratio": round(2 * mixed_cpu / health_cpu, 2),
            "errors": sum(side["non_2xx"] + side["socket_errors"] for run in runs for side in run),
        })
    sampler.running = False
    sampler.join()
    rows[-1]["rss_mib_min_max"] = [round(min(sampler.samples) / 1024, 1), round(max(sampler.samples) / 1024, 1)]
    return rows


def soak(server: ServerProcess, seconds: int) -> dict:
    """Steady create-and-claim load at concurrency 32, sampling memory every 5 s."""
    sampler = MemorySampler(server.process.pid, every=5)
    sampler.start()
    result = wrk(server.url, create_claim_script(), 32, seconds, server.process.pid)
    sampler.running = False
    sampler.join()
    mib = [round(sample / 1024, 1) for sample in sampler.samples]
    quarter = max(1, len(mib) // 4)
    return {"seconds": seconds, "rps": result["rps"], "errors": result["non_2xx"] + result["socket_errors"],
            "rss_mib_first_quarter_avg": round(sum(mib[:quarter]) / quarter, 1),
            "rss_mib_last_quarter_avg": round(sum(mib[-quarter:]) / quarter, 1), "rss_mib_max": max(mib)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating health / create-and-claim runs per level")
    parser.add_argument("--soak", type=int, default=0, help="also run a steady load this long, per backend")
    arguments = parser.parse_args()
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    results: dict = {"rows": [], "soak": {}}
    with tempfile.TemporaryDirectory() as folder:
        redis = RedisServer(Path(folder) / "redis").start()
        for backend, store in (("sqlite", ""), ("redis", redis.url)):
            extra = ["--workers", str(arguments.workers), "--rate-limits", "off"] + (["--store", store] if store else [])
            server = ServerProcess(Path(folder) / backend, *extra).start()
            try:
                results["rows"] += measure(backend, server, arguments.concurrency, arguments.seconds, arguments.rounds)
                if arguments.soak:
                    results["soak"][backend] = soak(server, arguments.soak)
            finally:
                server.stop()
        redis.stop()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "load.json").write_text(json.dumps(results, indent=2))
    print("| store | concurrency | health req/s | create+claim req/s | create+claim p50 / p99 ms | cost ratio (rounds) | "
          "server CPU µs per request: health / create+claim | server CPU ratio | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in results["rows"]:
        print(f"| {row['backend']} | {row['connections']} | {row['health_rps']:,} | {row['create_claim_rps']:,} | "
              f"{row['create_claim_p50_ms']:.1f} / {row['create_claim_p99_ms']:.1f} | {row['cost_ratio']} "
              f"({', '.join(map(str, row['cost_ratio_per_round']))}) | "
              f"{row['health_server_cpu_us']:.0f} / {row['create_claim_server_cpu_us']:.0f} | {row['server_cpu_ratio']} | {row['errors']} |")
    for row in results["rows"]:
        if "rss_mib_min_max" in row:
            print(f"{row['backend']}: server memory during the run {row['rss_mib_min_max'][0]}–{row['rss_mib_min_max'][1]} MiB")
    for backend, figures in results["soak"].items():
        print(f"{backend} soak {figures['seconds']} s: {figures['rps']} req/s, {figures['errors']} errors, memory "
              f"{figures['rss_mib_first_quarter_avg']} MiB (first quarter) → {figures['rss_mib_last_quarter_avg']} MiB "
              f"(last quarter), max {figures['rss_mib_max']} MiB")


if __name__ == "__main__":
    main()
