"""Page weight and speed in Debian's Chromium, as a person gets them: service worker on, every byte counted.

    .venv/bin/python -m bench.pages [--runs 5]

Prints tables and writes bench/results/pages.json.

- Bytes: a first visit to each page in a fresh browser profile, counted at the server (headers and bodies,
  the service worker's fetches included) until the page and its service worker are done; then a return
  visit. Once as a browser on HTTPS receives them (brotli offered) and once with gzip only, per resource
  with its Content-Encoding.
- Python ready: the worksheet (service worker allowed, a real visit) against a bare page that boots the
  same self-hosted Pyodide in a module worker and does nothing else, each stamping the moment it hears
  "ready" and the answer to its first call the same way (performance marks). Cold (a fresh profile), warm
  (the same profile again, once the first visit kept Python's memory) and cold at 10 Mbit/s; the two pages
  take turns going first, --runs times: medians, every run, and the ratios per run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import ACCEPT_ENCODING, CHROMIUM, CHROMIUM_ARGS, ROOT, http2_bytes, median, serve_site
from site_tools.pyodide_pin import PYODIDE_VERSION
from tests.support.worksheet_page import KEPT_MEMORY_PREFIX, SEARCH_KEPT_MEMORY

BARE_PAGE = """<!doctype html><html lang="en"><title>Bare Pyodide</title><script type="module" src="boot.mjs"></script></html>"""
# Stamps "python-ready" and "python-first-call" as the worksheet's python.mjs does: when the page hears.
BARE_BOOT = """const worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
worker.onmessage = ({ data }) => {
  if (data === "ready") { performance.mark("python-ready"); worker.postMessage("call"); }
  else performance.mark("python-first-call");
};"""
# The same runtime, started as the worksheet starts it (core/python-boot.mjs): no package, no lock file.
BARE_WORKER = f"""import {{ loadPyodide }} from "../pyodide/{PYODIDE_VERSION}/pyodide.mjs";
import {{ PYODIDE_LOCK_INFO }} from "../assets/js/core/facts.mjs";
const pyodide = await loadPyodide({{
  indexURL: new URL("../pyodide/{PYODIDE_VERSION}/", import.meta.url).href,
  lockFileContents: {{ info: PYODIDE_LOCK_INFO, packages: {{}} }},
}});
onmessage = () => postMessage(pyodide.runPython("1 + 1"));
postMessage("ready");"""
# The two pages whose Python start is compared, by their addresses.
PYTHON_PAGES = {"worksheet": "/worksheets/building-trust-and-safety/", "bare": "/bench-bare/"}
# The cases: a first visit (fresh profile), a return visit (the same profile), a first visit at 10 Mbit/s.
CASES = ("cold", "warm", "cold_10mbit")
MARK = "performance.getEntriesByName('{}')[0]?.startTime"
# The wire of the throttled case: 10 Mbit/s down, 5 up, 20 ms each way.
THROTTLED = {"offline": False, "latency": 40, "downloadThroughput": 10e6 / 8, "uploadThroughput": 5e6 / 8}


def wait_for(page, expression: str, timeout: float = 120) -> float:
    """Poll an expression through the DevTools protocol (the page's CSP forbids eval) until it is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.01)
    raise TimeoutError(expression)


def python_times(page, url: str) -> dict:
    """Milliseconds from navigation to Python ready and to the first bridge call's answer, as the page
    stamped them (the same marks on the worksheet and the bare page)."""
    page.goto(url, wait_until="commit")
    return {
        "ready": round(wait_for(page, MARK.format("python-ready")), 1),
        "first_call": round(wait_for(page, MARK.format("python-first-call")), 1),
    }


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
      if ((localStorage.getItem("trust-safety-worksheet/worksheets/building-trust-and-safety/answers") || "").includes("first words")) {
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


PAGES = {"home": "/", "article": "/article/", "privacy": "/privacy/", "worksheet": "/worksheets/building-trust-and-safety/"}
TARGETS = {"worksheet": {"br": 4_000_000, "gzip": 5_000_000}, "article": {"br": 150_000}}
# Done: the page's own work (Python ready on the worksheet) and the service worker installed and active.
SETTLED = """async () => {
  const registration = await navigator.serviceWorker.getRegistration();
  return Boolean(registration?.active && !registration.installing && !registration.waiting);
}"""


def load(page, url: str, worksheet: bool) -> None:
    """The page's own work done: loaded, and on the worksheet Python ready and its memory kept."""
    if worksheet:
        python_times(page, url)
        wait_for(page, "document.querySelector('article')?.dataset.pythonMemory")
    else:
        page.goto(url, wait_until="load")


def visit(page, url: str, worksheet: bool) -> None:
    load(page, url, worksheet)
    wait_for(page, SETTLED)
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)  # the worker's own last fetches (runtime kept from the HTTP cache) land


def weigh(fresh, url: str, counter) -> dict:
    """Bytes of a first and a return visit to every page, per resource."""
    weights = {}
    for name, path in PAGES.items():
        context = fresh(service_workers="allow")
        page = context.pages[0] if context.pages else context.new_page()
        counter.reset()
        visit(page, url + path, name == "worksheet")
        first = counter.take()
        visit(page, url + path, name == "worksheet")
        again = counter.take()
        context.close()
        # The page alone, without the service worker's keeping of the rest of the site for offline use.
        context = fresh(service_workers="block")
        page = context.pages[0] if context.pages else context.new_page()
        counter.reset()
        load(page, url + path, name == "worksheet")
        page.wait_for_load_state("networkidle")
        alone = counter.take()
        context.close()
        weights[name] = {
            "page_alone_http2_bytes": http2_bytes(alone),
            "first_visit_bytes": sum(r["bytes"] for r in first),
            "first_visit_http2_bytes": http2_bytes(first),
            "first_visit_body_bytes": sum(r["body_bytes"] for r in first),
            "return_visit_bytes": sum(r["bytes"] for r in again),
            "return_visit_pyodide_bytes": sum(
                r["bytes"] for r in again if r["path"].startswith("/pyodide/") and r["status"] == 200
            ),
            "resources": [{key: value for key, value in r.items() if key != "headers"} for r in first],
        }
    return weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--what", choices=("all", "bytes", "python"), default="all", help="measure only part")
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

            def fresh(service_workers="allow"):
                # A persistent profile, as a person's browser has: its HTTP cache keeps large files such as
                # the WebAssembly module, which an in-memory (incognito) cache may drop.
                made.append(
                    playwright.chromium.launch_persistent_context(
                        f"{profiles.name}/{len(made)}",
                        executable_path=CHROMIUM,
                        args=CHROMIUM_ARGS,
                        service_workers=service_workers,
                    )
                )
                return made[-1]

            results["bytes"] = {}
            for encoding, header in ACCEPT_ENCODING.items() if arguments.what != "python" else ():
                counter.accept_encoding = header
                results["bytes"][encoding] = weigh(fresh, url, counter)
            counter.accept_encoding = ACCEPT_ENCODING["br"]

            samples: dict = {f"{kind}_{case}": [] for kind in ("worksheet", "bare") for case in CASES}
            samples["first_save"], samples["kept_memory"] = [], []
            for run in range(arguments.runs if arguments.what != "bytes" else 0):
                # Turn about: the worksheet first in even runs, the bare page first in odd ones.
                kinds = ("worksheet", "bare") if run % 2 == 0 else ("bare", "worksheet")
                for kind in kinds:
                    address = url + PYTHON_PAGES[kind]
                    context = fresh(service_workers="allow")
                    page = context.pages[0] if context.pages else context.new_page()
                    samples[f"{kind}_cold"].append(python_times(page, address))
                    if kind == "worksheet":
                        wait_for(page, SETTLED)  # a return visit comes after the first one has finished
                        wait_for(page, "document.querySelector('article')?.dataset.pythonMemory")
                        samples["kept_memory"].append(page.evaluate(SEARCH_KEPT_MEMORY, [KEPT_MEMORY_PREFIX, []]))
                    page.wait_for_load_state("networkidle")
                    samples[f"{kind}_warm"].append(python_times(page, address))
                    context.close()
                for kind in kinds:
                    address = url + PYTHON_PAGES[kind]
                    context = fresh(service_workers="allow")
                    page = context.pages[0] if context.pages else context.new_page()
                    context.new_cdp_session(page).send("Network.emulateNetworkConditions", THROTTLED)
                    samples[f"{kind}_cold_10mbit"].append(python_times(page, address))
                    context.close()
                samples["first_save"].append(
                    first_change_saved(lambda: fresh("allow"), url + "/worksheets/building-trust-and-safety/")
                )
            stop()
            profiles.cleanup()
    finally:
        for file in bare.iterdir():
            file.unlink()
        bare.rmdir()

    if samples["worksheet_cold"]:
        results["python"] = summarise_python(samples)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "pages.json").write_text(json.dumps(results, indent=2))
    report(results)


def report(results: dict) -> None:
    if results["bytes"]:
        report_bytes(results)
    if "python" in results:
        report_python(results)


def report_bytes(results: dict) -> None:
    print("First visit: bytes on the wire as HTTP/1.1 sends them (every header in full), as one HTTP/2")
    print("connection sends them (headers HPACK-compressed), and the bodies alone. Then the return visit, and")
    print("the page alone: its own first visit with the service worker blocked (what it needs to show).")
    print(
        f"{'page':10} {'encoding':8} {'HTTP/1.1':>11} {'HTTP/2':>11} {'bodies':>11} {'target':>10} {'return':>8} {'Pyodide':>8}"
        f" {'page alone, HTTP/2':>19}"
    )
    for encoding, pages in results["bytes"].items():
        for name, weight in pages.items():
            target = TARGETS.get(name, {}).get(encoding)
            print(
                f"{name:10} {encoding:8} {weight['first_visit_bytes']:>11,} {weight['first_visit_http2_bytes']:>11,} "
                f"{weight['first_visit_body_bytes']:>11,} {target or '':>10} {weight['return_visit_bytes']:>8,} "
                f"{weight['return_visit_pyodide_bytes']:>8,} {weight['page_alone_http2_bytes']:>19,}"
            )
    print("\nworksheet first visit (br), largest resources:")
    largest = sorted(results["bytes"]["br"]["worksheet"]["resources"], key=lambda r: -r["bytes"])[:12]
    for resource in largest:
        print(f"  {resource['bytes']:>10,}  {resource['encoding'] or 'identity':8} {resource['status']} {resource['path']}")
    print()


def summarise_python(samples: dict) -> dict:
    """Medians and every run, absolute and as the worksheet's ratio to the bare page in the same run."""
    cases = {}
    for case in CASES:
        worksheet, bare = samples[f"worksheet_{case}"], samples[f"bare_{case}"]
        cases[case] = {
            "worksheet_ready_ms": [run["ready"] for run in worksheet],
            "worksheet_first_call_ms": [run["first_call"] for run in worksheet],
            "bare_ready_ms": [run["ready"] for run in bare],
            "bare_first_call_ms": [run["first_call"] for run in bare],
            "ratio_ready": [round(w["ready"] / b["ready"], 2) for w, b in zip(worksheet, bare, strict=True)],
        }
    saves = samples["first_save"]
    return {
        "cases": cases,
        "kept_memory_bytes": samples["kept_memory"],
        "first_change": {
            visit: {
                "interactive_ms": median([s[visit]["interactive_ms"] for s in saves]),
                "saved_after_interactive_ms": median([s[visit]["saved_after_interactive_ms"] for s in saves]),
            }
            for visit in ("cold", "warm")
        },
    }


def report_python(results: dict) -> None:
    python = results["python"]
    print("Python ready and the first bridge call's answer, ms from navigation, as each page stamps them;")
    print("the worksheet and the bare page take turns going first. Median, then every run.")
    for case, figures in python["cases"].items():
        ready_ratio = round(statistics.median(figures["worksheet_ready_ms"]) / statistics.median(figures["bare_ready_ms"]), 3)
        print(f"\n{case}:")
        for key in ("worksheet_ready_ms", "bare_ready_ms", "worksheet_first_call_ms", "bare_first_call_ms"):
            print(f"  {key.replace('_', ' '):26} {median(figures[key]):>8}   runs {figures[key]}")
        print(f"  {'ready, worksheet / bare':26} {ready_ratio:>8}   of medians; runs {figures['ratio_ready']}")
    kept = [memory for memory in python["kept_memory_bytes"] if "unpacked" in memory]
    if kept:
        print(f"\nPython's kept memory: {kept[0]['unpacked']:,} bytes, kept as {median([m['packed'] for m in kept]):,.0f} (gzip)")
    for visit, first in python["first_change"].items():
        print(f"{'page interactive, ' + visit + ' (domInteractive, ms)':46} {first['interactive_ms']:>10}")
        print(f"{'first change saved after interactive, ' + visit + ' (ms)':46} {first['saved_after_interactive_ms']:>10}")


if __name__ == "__main__":
    main()
