"""Shared fixtures: the built site, real server processes, and Playwright on Debian's Chromium. What they
are made from is in ``support/``."""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path

import pytest

from sync_server import create_app
from sync_server.config import Settings
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, RequestLog, separate_page
from tests.support.servers import SITE, RedisServer, ServerProcess, free_port


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what it will
def pytest_collection_modifyitems(config, items):
    """Under xdist, Schemathesis's generated tests report a pass without running: refuse to run them there
    rather than pass them (scripts/test.sh runs them in a pass of their own).

    Files with the most browser tests go first: scripts/test.sh hands whole files to the workers in this
    order (``--no-loadscope-reorder``), so the long ones start early and the short ones fill the gaps at the
    end, instead of one worker finishing a long browser file alone while the other waits."""
    if os.environ.get("PYTEST_XDIST_WORKER") and any(item.get_closest_marker("serial") for item in items):
        raise pytest.UsageError(
            "tests marked serial cannot run under xdist: deselect them (-m 'not serial') and run them with -n 0"
        )
    browser_tests = collections.Counter(item.path for item in items if item.get_closest_marker("browser"))
    items.sort(key=lambda item: -browser_tests[item.path])  # stable: a file's own order is kept


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> RedisServer:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The site as `scripts/test.sh` built it; build it here when a test run starts without it."""
    from site_tools.build import build

    build()
    return SITE


@pytest.fixture(scope="session")
def live_server(built_site, tmp_path_factory) -> ServerProcess:
    server = ServerProcess(tmp_path_factory.mktemp("server-data")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def subpath_server(built_site) -> str:
    """The same app mounted under /worksheet/, as a reverse proxy with a path prefix would serve it."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware
    from werkzeug.serving import WSGIRequestHandler, make_server
    from werkzeug.wrappers import Response

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            """No request log here either: it would name client addresses."""

    from sync_server import create_app
    from sync_server.config import Settings

    app = create_app(Settings(site_dir=built_site, data_dir=built_site.parent / "var" / "subpath-test"))
    wsgi = DispatcherMiddleware(Response("Not here", status=404), {"/worksheet": app})
    server = make_server("127.0.0.1", free_port(), wsgi, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/worksheet"
    server.shutdown()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Service workers are tested on purpose in the offline tests; elsewhere they would hide requests.
    return {**browser_context_args, "service_workers": "block", "locale": "en-GB"}


@pytest.fixture
def watched_page(page, live_server):
    log = RequestLog(page, live_server.url)
    page.request_log = log
    yield page
    assert not log.foreign(), f"requests to other hosts: {log.foreign()}"


# --- the API through Flask's test client, against both store backends ---------------------------------


@pytest.fixture(params=["sqlite", "redis"])
def settings(request, tmp_path):
    """Every API test runs against both store backends."""
    store = ""
    if request.param == "redis":
        import redis

        server = request.getfixturevalue("redis_server")
        redis.Redis.from_url(server.url).flushdb()
        store = server.url
    return Settings(site_dir=tmp_path / "no-site", data_dir=tmp_path / "data", rate_limits="off", store=store)


@pytest.fixture
def app(settings):
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


class Clock:
    """The API's idea of now, moved by a test to try expiry without sleeping (the app's clock)."""

    def __init__(self):
        self.now = int(time.time())

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock(app):
    app.extensions["clock"] = Clock()
    return app.extensions["clock"]


def separate_browser(browser, live_server, request):
    """The person's browser and the therapist's, each a context of its own. The person's has the service
    worker on, as a real visit does: the request modules it does not keep offline must still arrive."""
    service_workers = "allow" if request.fixturename == "person" else "block"
    with separate_page(browser, live_server.url, service_workers) as page:
        yield page


person = pytest.fixture(separate_browser, name="person")
therapist = pytest.fixture(separate_browser, name="therapist")
