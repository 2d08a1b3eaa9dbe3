"""Time from the README's run command to the site being served, on a fresh clone and on a second run.

    .venv/bin/python -m bench.startup

A fresh clone is made in a temporary folder; pip's and npm's download caches are pointed at empty
folders, as on a fresh machine, so the first run downloads every package. Writes bench/results/startup.json.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def time_to_serving(checkout: Path, env: dict) -> float:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", "scripts/run.sh", "--port", str(port)],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"scripts/run.sh exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/worksheets/building-trust-and-safety/", timeout=2) as page:
                    if page.status == 200:
                        return round(time.monotonic() - started, 1)
            except OSError:
                time.sleep(0.1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        checkout = Path(folder) / "checkout"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(checkout)], check=True)
        env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "npm_config_cache": str(Path(folder) / "npm-cache")}
        results = {"fresh_clone_seconds": time_to_serving(checkout, env), "second_run_seconds": time_to_serving(checkout, env)}
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "startup.json").write_text(json.dumps(results, indent=2))
    print(f"run command to serving, fresh clone, empty caches: {results['fresh_clone_seconds']} s")
    print(f"run command to serving, second run:                {results['second_run_seconds']} s")


if __name__ == "__main__":
    main()
