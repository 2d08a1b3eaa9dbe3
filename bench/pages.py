"""Page weight and speed in Debian's Chromium: bytes transferred, first change saved, Python ready.

    .venv/bin/python bench/pages.py [--runs 5]

Prints a table and writes bench/results/pages.json. "Cold" is a fresh browser profile (empty cache);
"warm" is the same profile navigating again. The bare page boots the same self-hosted Pyodide in a
module worker and does nothing else: the worksheet's Python-ready time is compared with it in the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from common import CHROMIUM, CHROMIUM_ARGS, ROOT, median, serve_site

BARE_PAGE = """<!doctype html><html lang="en"><title>Bare Pyodide</title><script type="module" src="boot.mjs"></script></html>"""
BARE_BOOT = """const worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
worker.onmessage = () => { document.documentElement.dataset.ready = String(performance.now()); };"""
BARE_WORKER = """import { loadPyodide } from "../pyodide/314.0.7/pyodide.mjs";
const pyodide = await loadPyodide({ indexURL: new URL("../pyodide/314.0.7/", import.meta.url).href });
pyodide.runPython("1 + 1");
postMessage("ready");"""


def wait_for(page, expression: str, timeout: float = 120) -> float:
    """Poll an expression through the DevTools protocol (the page's CSP forbids eval) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.01)
    raise TimeoutError(expression)


def python_ready_ms(page, url: str) -> float:
    page.goto(url, wait_until="commit")
    return wait_for(page, "document.querySelector('article')?.dataset.python === 'ready' && performance.now()")


def bare_ready_ms(page, url: str) -> float:
    page.goto(url, wait_until="commit")
    return float(wait_for(page, "document.documentElement.dataset.ready"))


FIRST_CHANGE_PROBE = """
// Runs before the page's own scripts: from the moment the DOM is interactive, type into the first prompt
// and retry every few milliseconds until the change is in localStorage.
document.addEventListener("readystatechange", () => {
  if (document.readyState !== "interactive") return;
  const attempt = () => {
    const field = document.querySelector('[name="reflections.trust-meaning"]');
    if (field) {
      field.value = "first words";
      field.dispatchEvent(new Event("input", { bubbles: true }));
      if ((localStorage.getItem("trust-safety-worksheet/answers") || "").includes("first words")) {
        document.documentElement.dataset.firstSave = String(performance.now());
        return;
      }
    }
    setTimeout(attempt, 2);
  };
  attempt();
});
"""


def first_change_saved(browser_factory, url: str) -> dict:
    """Milliseconds from the page being interactive (domInteractive) to the first change being saved, on
    a first visit (cold) and on a return visit (warm)."""
    context = browser_factory()
    context.add_init_script(FIRST_CHANGE_PROBE)
    page = context.pages[0] if context.pages else context.new_page()
    result = {}
    for visit in ("cold", "warm"):
        page.goto(url, wait_until="commit")
        saved = float(wait_for(page, "document.documentElement.dataset.firstSave"))
        interactive = page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive")
        result[visit] = {"interactive_ms": interactive, "saved_after_interactive_ms": saved - interactive}
        page.evaluate("localStorage.clear()")
    context.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from site_tools.build import build

    build()
    site = ROOT / "site"
    bare = site / "bench-bare"
    bare.mkdir(exist_ok=True)
    (bare / "index.html").write_text(BARE_PAGE)
    (bare / "boot.mjs").write_text(BARE_BOOT)
    (bare / "worker.mjs").write_text(BARE_WORKER)
    results: dict = {"runs": arguments.runs}
    try:
        with tempfile.TemporaryDirectory() as data, sync_playwright() as playwright:
            url, counter, stop = serve_site(Path(data))

            profiles = tempfile.TemporaryDirectory()
            made = []

            def fresh():
                # A persistent profile, as a person's browser has: its HTTP cache keeps large files such as
                # the WebAssembly module, which an in-memory (incognito) cache may drop.
                made.append(playwright.chromium.launch_persistent_context(
                    f"{profiles.name}/{len(made)}", executable_path=CHROMIUM, args=CHROMIUM_ARGS, service_workers="block"))
                return made[-1]

            weights = {}
            for name, path in (("article", "/article/"), ("worksheet", "/worksheet/")):
                context = fresh()
                page = context.pages[0] if context.pages else context.new_page()
                counter.reset()
                if name == "worksheet":
                    python_ready_ms(page, url + path)
                else:
                    page.goto(url + path, wait_until="networkidle")
                cold = counter.reset()
                if name == "worksheet":
                    python_ready_ms(page, url + path)
                else:
                    page.goto(url + path, wait_until="networkidle")
                weights[name] = {"cold_bytes": cold, "warm_bytes": counter.reset()}
                context.close()
            results["bytes"] = weights

            samples = {"worksheet_cold": [], "worksheet_warm": [], "bare_cold": [], "bare_warm": [], "first_save": []}
            for _ in range(arguments.runs):
                for kind, address in (("worksheet", url + "/worksheet/"), ("bare", url + "/bench-bare/")):
                    context = fresh()
                    page = context.pages[0] if context.pages else context.new_page()
                    measure = python_ready_ms if kind == "worksheet" else bare_ready_ms
                    samples[f"{kind}_cold"].append(measure(page, address))
                    samples[f"{kind}_warm"].append(measure(page, address))
                    context.close()
                samples["first_save"].append(first_change_saved(fresh, url + "/worksheet/"))
            stop()
            profiles.cleanup()
    finally:
        for file in bare.iterdir():
            file.unlink()
        bare.rmdir()

    ready = {key: median(values) for key, values in samples.items() if key != "first_save"}
    saves = samples["first_save"]
    results["python_ready_ms"] = ready
    results["warm_ratio_worksheet_to_bare"] = round(ready["worksheet_warm"] / ready["bare_warm"], 2)
    results["cold_ratio_worksheet_to_bare"] = round(ready["worksheet_cold"] / ready["bare_cold"], 2)
    results["first_change"] = {
        visit: {
            "interactive_ms": median([s[visit]["interactive_ms"] for s in saves]),
            "saved_after_interactive_ms": median([s[visit]["saved_after_interactive_ms"] for s in saves]),
        }
        for visit in ("cold", "warm")
    }
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "pages.json").write_text(json.dumps(results, indent=2))
    print(f"{'measure':44} value")
    for name, weight in results["bytes"].items():
        print(f"{name + ' page, bytes transferred cold':44} {weight['cold_bytes']:>12,}")
        print(f"{name + ' page, bytes transferred warm':44} {weight['warm_bytes']:>12,}")
    for key, value in ready.items():
        print(f"{'Python ready, ' + key.replace('_', ' ') + ' (ms)':44} {value:>12}")
    print(f"{'warm ratio worksheet / bare (target <= 1.25)':44} {results['warm_ratio_worksheet_to_bare']:>12}")
    print(f"{'cold ratio worksheet / bare':44} {results['cold_ratio_worksheet_to_bare']:>12}")
    for visit, first in results["first_change"].items():
        print(f"{'page interactive, ' + visit + ' (domInteractive, ms)':44} {first['interactive_ms']:>12}")
        print(f"{'first change saved after interactive, ' + visit + ' (ms)':44} {first['saved_after_interactive_ms']:>12}")


if __name__ == "__main__":
    main()
