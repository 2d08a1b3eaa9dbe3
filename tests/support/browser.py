"""Debian's Chromium for Playwright, and what the tests watch in it: foreign requests, console errors, axe."""

from __future__ import annotations

import contextlib
import time
from urllib.parse import urlsplit

from .servers import ROOT

AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# Root needs --no-sandbox; the background flags stop Chromium calling hosts this machine cannot reach,
# which would otherwise show up as foreign requests.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class RequestLog:
    """Every request a page makes, and every console error or CSP violation it reports."""

    def __init__(self, page, allowed_origin: str):
        self.allowed = urlsplit(allowed_origin)
        self.requests: list = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request))
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def bodies(self) -> list[str]:
        """What each request sent (empty for those that sent nothing)."""
        return [request.post_data or "" for request in self.requests]

    def foreign(self) -> list[str]:
        own = (self.allowed.scheme, self.allowed.netloc)
        return [
            request.url
            for request in self.requests
            if (urlsplit(request.url).scheme, urlsplit(request.url).netloc) != own
            and urlsplit(request.url).scheme not in ("data", "blob")
        ]


@contextlib.contextmanager
def separate_page(browser, server_url: str, service_workers: str = "block"):
    """A page in a browser context of its own (no storage, cache or IndexedDB shared with another page),
    its requests recorded in ``page.request_log``: the person's browser and the therapist's, side by side."""
    context = browser.new_context(service_workers=service_workers, locale="en-GB")
    try:
        page = context.new_page()
        page.request_log = RequestLog(page, server_url)
        yield page
    finally:
        context.close()


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now. Evaluated through the DevTools protocol, so the
    page's own Content-Security-Policy (which rightly forbids injected scripts) does not stop it."""
    page.evaluate(AXE_SOURCE.read_text())
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result]


def dispatched(page, check, timeout=10.0):
    """Wait for what Playwright's own events fill in (a held route, a request seen). Unlike `eventually`, it
    lets Playwright dispatch those events while it waits: the sync API runs handlers only inside its calls."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        page.wait_for_timeout(50)


def eventually(check, timeout=10.0):
    """Wait for a condition read from outside the page (the page's CSP forbids Playwright's string predicates)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
