"""The published site in a real browser: texts, privacy, accessibility, no-JS reading and sub-path hosting."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import RequestLog, run_axe

pytestmark = pytest.mark.browser

PAGES = {
    "": (
        "Trust and safety in therapy",
        ["Your answers stay in your browser.", "A shared link works once.", "end"],
    ),
    "article/": (
        "The transformative power of safety within the therapeutic relationship",
        [
            "Therapy is a safe place. It takes time to develop this safety",
            "The timing of a weekly 50-minute session agreed upon between the therapist and client",
            "Originally written for and published by Allison Stein, LCSW on www.ccns.org",
        ],
    ),
    "worksheets/building-trust-and-safety/": (
        "Building Trust and Safety in Therapy",
        [
            "To increase trust and feelings of safety in therapy and identify ways to foster a deep connection",
            "Trust is the cornerstone of the therapeutic relationship.",
            "You withhold essential information or present a curated version of yourself",
            "You frequently cancel or reschedule therapy appointments",
            "engaging in recommended therapeutic homework or exercises.",
            "Celebrate progress.",
        ],
    ),
    "worksheets/": (
        "Worksheets",
        ["Each worksheet saves your answers in this browser only", "Building Trust and Safety in Therapy"],
    ),
    "privacy/": ("Privacy, in plain language", ["the key never reaches us", "The link works once"]),
}
PAGES[""][1][-1] = "encrypted on your device before they leave it"


@pytest.mark.parametrize("path", PAGES)
def test_page_shows_its_title_and_text(watched_page, live_server, path):
    title, sentences = PAGES[path]
    watched_page.goto(f"{live_server.url}/{path}")
    assert watched_page.locator("h1").first.inner_text() == title
    body = watched_page.locator("article").inner_text()
    for sentence in sentences:
        assert sentence in re.sub(r"\s+", " ", body)
    assert not watched_page.request_log.errors


def test_article_drops_the_source_sites_leftovers(watched_page, live_server):
    watched_page.goto(f"{live_server.url}/article/")
    text = watched_page.locator("article").inner_text()
    assert "Previous" not in text and "Next" not in text
    assert "panic attacks" not in text and "Emerald" not in text


@pytest.mark.parametrize("path", PAGES)
def test_no_request_leaves_for_another_host(watched_page, live_server, path):
    watched_page.goto(f"{live_server.url}/{path}")
    watched_page.wait_for_load_state("networkidle")
    if path == "worksheets/building-trust-and-safety/":
        watched_page.wait_for_selector("[data-python=ready]", timeout=60_000)
    log = watched_page.request_log
    assert log.requests, "the request log recorded nothing"
    assert log.foreign() == []


@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(watched_page, live_server, path):
    watched_page.goto(f"{live_server.url}/{path}")
    watched_page.wait_for_load_state("networkidle")
    assert run_axe(watched_page) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_clean_in_both_palettes(watched_page, live_server, scheme):
    watched_page.emulate_media(color_scheme=scheme)
    watched_page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    watched_page.wait_for_selector("[data-python=ready]", timeout=60_000)
    expected = "slate" if scheme == "dark" else "default"
    assert watched_page.locator("body").get_attribute("data-md-color-scheme") == expected
    assert run_axe(watched_page) == []


@pytest.mark.parametrize("path", PAGES)
def test_every_text_reads_without_javascript(browser, live_server, path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/{path}")
    title, sentences = PAGES[path]
    assert page.locator("h1").first.inner_text() == title
    body = re.sub(r"\s+", " ", page.locator("article").inner_text())
    for sentence in sentences:
        assert sentence in body
    context.close()


def test_pyodide_boots_from_the_sites_own_files(watched_page, live_server):
    watched_page.goto(f"{live_server.url}/worksheets/building-trust-and-safety/")
    watched_page.wait_for_selector("[data-python=ready]", timeout=60_000)
    pyodide_requests = [r.url for r in watched_page.request_log.requests if "/pyodide/" in r.url]
    assert any(url.endswith("/pyodide.asm.wasm") for url in pyodide_requests)
    assert all(url.startswith(live_server.url) for url in pyodide_requests)
    # A line of Python, run by the page's own worker: the summary it writes comes from py_client.
    version = watched_page.evaluate(
        """async () => {
            const { PythonWorker } = await import('../../assets/js/core/python.mjs');
            const worker = new PythonWorker();
            return (await worker.ready).version;
        }"""
    )
    assert version.startswith("3.14")


def test_site_works_under_a_sub_path(browser, subpath_server):
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    log = RequestLog(page, subpath_server)
    page.goto(f"{subpath_server}/")
    assert page.locator("h1").first.inner_text() == PAGES[""][0]
    page.get_by_role("link", name="Building Trust and Safety in Therapy").first.click()
    page.wait_for_url(f"{subpath_server}/worksheets/building-trust-and-safety/")
    page.wait_for_selector("[data-python=ready]", timeout=60_000)
    assert all(urlsplit_path(r.url).startswith("/worksheet/") for r in log.requests)  # the sub-path the site is under
    assert log.foreign() == []
    assert not log.errors
    context.close()


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
