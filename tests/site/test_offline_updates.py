"""The service worker as a returning person meets it: the whole site offline after any first visit, a new
build on the next visit, answers untouched, only checked files kept, old runtimes cleared away."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from site_tools import build
from site_tools.compress import compress_site
from tests.support import worksheets
from tests.support.browser import eventually
from tests.support.servers import ServerProcess
from tests.support.worksheet_page import PYTHON_TIMEOUT, open_worksheet, stored
from tests.support.worksheets import TRUST_ID as WORKSHEET_ID

pytestmark = pytest.mark.browser

KEPT = "async () => (await Promise.all((await caches.keys()).map(async (k) => (await caches.open(k)).keys()))).flat().map((r) => new URL(r.url).pathname)"
ACTIVE = "async () => Boolean((await navigator.serviceWorker.getRegistration())?.active)"


def rebuild_with(site, change) -> None:
    """What a new build of a changed page gives: the page changed, then the build's own last steps (the
    service worker's file list and version, the compressed copies) made again."""
    change(site)
    shutil.copyfile(build.ROOT / "docs" / build.SERVICE_WORKER, site / build.SERVICE_WORKER)
    build.write_precache_manifest(site)
    compress_site(site, build.COMPRESSION_CACHE)


@pytest.fixture
def own_site(built_site, tmp_path):
    """A copy of the built site, served by a server of its own that can be restarted on the same port."""
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    server = ServerProcess(tmp_path / "data", "--site-dir", str(site)).start()
    server.args[server.args.index("--port") + 1] = str(server.port)
    yield site, server
    server.stop()


def test_a_new_build_reaches_a_returning_person_and_leaves_answers_alone(browser, own_site):
    site, server = own_site
    context = browser.new_context(service_workers="allow")
    page = context.new_page()
    open_worksheet(page, server.url)
    page.get_by_label("What does trust mean to you?").fill("Kept across the update")
    eventually(lambda: page.evaluate(ACTIVE), timeout=30)
    page.goto(f"{server.url}/article/")
    assert "A new paragraph of this build" not in page.locator("article").inner_text()

    server.stop()
    rebuild_with(
        site,
        lambda folder: (folder / "article" / "index.html").write_text(
            (folder / "article" / "index.html")
            .read_text()
            .replace("</article>", "<p>A new paragraph of this build.</p></article>")
        ),
    )
    server.start()
    page.goto(f"{server.url}/article/")  # the next visit
    expect(page.locator("article")).to_contain_text("A new paragraph of this build")
    open_worksheet(page, server.url)
    assert page.get_by_label("What does trust mean to you?").input_value() == "Kept across the update"
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Kept across the update"
    context.close()


def test_any_first_visit_keeps_the_whole_site_for_offline_use(browser, own_site):
    site, server = own_site
    context = browser.new_context(service_workers="allow")
    page = context.new_page()
    page.goto(f"{server.url}/article/")
    eventually(lambda: page.evaluate(ACTIVE), timeout=30)
    kept = set(page.evaluate(KEPT))
    assert {"/", "/worksheets/building-trust-and-safety/", "/privacy/", "/open/", "/assets/js/worksheet/worksheet.mjs"} <= kept
    assert not [path for path in kept if path.endswith((".map", ".br", ".gz")) or "/lunr/" in path]
    assert not [path for path in kept if path.startswith(("/pyodide/", "/py/"))]  # Python: not for a page not visited
    context.set_offline(True)
    for path, text in (("/privacy/", "Privacy"), ("/", "Trust and safety in therapy")):
        page.goto(f"{server.url}{path}")
        assert text in page.locator("h1").first.inner_text()
    page.goto(f"{server.url}/worksheets/building-trust-and-safety/")
    page.get_by_label("What does trust mean to you?").fill("Saved offline, without Python")
    assert stored(page)["answers"]["reflections.trust-meaning"] == "Saved offline, without Python"
    context.close()


def test_a_file_that_fails_its_check_is_never_kept(browser, own_site):
    """A response that differs from what the build recorded (damaged in transit, or a wrong server) makes
    the installation fail and be tried again, rather than being served on every later visit."""
    site, server = own_site
    context = browser.new_context(service_workers="allow")
    damaged = {"count": 0}

    def damage(route):
        damaged["count"] += 1
        route.fulfill(status=200, content_type="text/css", body="/* not the build's file */")

    context.route("**/assets/css/site.css", damage)
    page = context.new_page()
    page.goto(f"{server.url}/privacy/")
    # The page's copy; the worker's, refused, and again. (Playwright runs route handlers only while it is
    # called, hence the evaluate in the condition.)
    eventually(lambda: page.evaluate("1") and damaged["count"] >= 3, timeout=30)
    installing = "async () => Boolean((await navigator.serviceWorker.getRegistration())?.installing)"
    eventually(lambda: not page.evaluate(installing), timeout=30)  # the installation has given up
    assert not page.evaluate(ACTIVE)
    assert "/assets/css/site.css" not in page.evaluate(KEPT)
    context.unroute("**/assets/css/site.css")
    page.reload()
    eventually(lambda: page.evaluate(ACTIVE), timeout=30)
    assert "/assets/css/site.css" in page.evaluate(KEPT)
    context.close()


def test_an_old_runtime_is_cleared_away_and_the_current_one_kept(browser, own_site):
    site, server = own_site
    context = browser.new_context(service_workers="allow")
    page = context.new_page()
    page.goto(f"{server.url}/privacy/")
    page.evaluate("""async () => {
        const old = await caches.open("trust-safety-site-0000000000000000");
        await old.put("/pyodide/0.0.1/pyodide.asm.wasm", new Response("an old runtime"));
    }""")
    open_worksheet(page, server.url)
    eventually(lambda: any(p.endswith(f"/{build.PYODIDE_VERSION}/pyodide.asm.wasm") for p in page.evaluate(KEPT)), timeout=60)
    assert not [p for p in page.evaluate(KEPT) if "/0.0.1/" in p]
    assert "trust-safety-site-0000000000000000" not in page.evaluate("caches.keys()")
    context.set_offline(True)
    page.reload()
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)  # offline, from the kept runtime
    # Any worksheet, first opened offline: its page and the same runtime were kept.
    page.goto(f"{server.url}{worksheets.page_path(worksheets.FIXTURE)}")
    page.wait_for_selector("article[data-python=ready]", timeout=PYTHON_TIMEOUT)
    page.get_by_label("A free-text question of the fixture?", exact=True).fill("Written offline")
    expect(page.locator("#ws-status")).to_contain_text("Saved")
    context.close()


def test_every_python_operation_runs_on_the_trimmed_standard_library(page, live_server):
    """Every py_client entry point, on good and bad input, through the page's own worker, in Chromium, on
    the published (trimmed) standard library: a module missing at run time fails here, never a person."""
    page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    outcomes = page.evaluate("""async () => {
        const { python } = await import("../../assets/js/core/python.mjs");
        const doc = { format: "trust-safety-worksheet", version: 2, saved_at: null,
          answers: { "reflections.trust-meaning": "=1+1 <b>é</b>", "signs.limited-disclosure": true, "exercise.helpfulness": "7" },
          sessions: [{ id: "s1", date: "2026-01-12", topic: "Work", trust: "6", safety: "7", therapist_role: "Listen" }] };
        const call = (operation, payload) => python().call(operation, payload);
        const exported = await call("exports", { document: doc, utc_offset_minutes: 0 });
        const made = await call("snapshot", { document: doc, sections: ["signs", "sessions"], created_at: "2026-01-12T10:00:00Z", note: "From Sam" });
        return {
          view: await call("view", { document: doc }),
          old: await call("view", { document: { format: "trust-safety-worksheet", version: 1, answers: {}, sessions: [] } }),
          invalid: await call("view", { document: { ...doc, sessions: [{ date: "0002-13-45" }] } }),
          exported,
          imported: await call("import", { text: exported.ok.json, worksheet: "building-trust-and-safety" }),
          broken: await call("import", { text: "{not json", worksheet: "building-trust-and-safety" }),
          preview: await call("preview", { document: doc, sections: ["reflections"], created_at: "2026-01-12T10:00:00Z", utc_offset_minutes: 0 }),
          opened: await call("open_snapshot", { text: made.ok.snapshot, utc_offset_minutes: 0 }),
          unknown: await call("no-such-operation", {}),
        };
    }""")
    assert outcomes["view"]["ok"]["chart"].startswith("<svg") and "1 session logged" in outcomes["view"]["ok"]["description"]
    assert outcomes["old"]["ok"]["document"]["version"] == 3 and outcomes["old"]["ok"]["document"]["worksheet"] == WORKSHEET_ID
    assert outcomes["invalid"]["error"] and outcomes["broken"]["error"]
    assert "=1+1" in outcomes["exported"]["ok"]["markdown"] and "Work" in outcomes["exported"]["ok"]["csv"]
    assert outcomes["imported"]["ok"]["document"]["answers"]["exercise.helpfulness"] == 7
    assert outcomes["preview"]["ok"]["sections"][0]["id"] == "reflections"
    assert outcomes["opened"]["ok"]["note"] == "From Sam" and outcomes["opened"]["ok"]["chart"].startswith("<svg")
    assert outcomes["unknown"]["error"][0].startswith("Python failed:")  # reported, with the traceback module present
