"""Several server instances on one Redis: one store, one rate-limit budget, and one-time still means once."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from tests.support.servers import RedisServer, ServerProcess
from tests.support.shares_api import call, create_body


@pytest.fixture
def redis_pair(tmp_path):
    """A persistent Redis and two server instances (two workers each) using it."""
    redis = RedisServer(tmp_path / "redis", persistent=True).start()
    servers = [
        ServerProcess(
            tmp_path / f"instance-{n}",
            "--workers",
            "2",
            "--store",
            redis.url,
            "--rate-limits",
            "off",
            "--secret-keys",
            "shared-secret-for-both-instances-0123456789",
        ).start()
        for n in (1, 2)
    ]
    yield redis, servers
    for server in servers:
        server.stop()
    redis.stop()


def create_on(server):
    body, token = create_body()
    status, created = call(f"{server.url}/api/shares", "POST", body)
    assert status == 201, created
    return created, token


def test_create_on_one_instance_claim_on_the_other(redis_pair):
    _, (first, second) = redis_pair
    created, token = create_on(first)
    assert call(f"{second.url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})[0] == 200
    status, body = call(f"{first.url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})
    assert status == 410 and body["reason"] == "opened"


def test_a_hundred_simultaneous_claims_across_instances_give_one_success(redis_pair):
    _, servers = redis_pair
    created, token = create_on(servers[0])
    claimers = 100
    start = Barrier(claimers)

    def claim(n):
        start.wait()
        return call(f"{servers[n % 2].url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})[0]

    with ThreadPoolExecutor(claimers) as pool:
        statuses = sorted(pool.map(claim, range(claimers)))
    assert statuses == [200] + [410] * (claimers - 1)


def test_redis_restart_with_persistence_keeps_waiting_shares(redis_pair):
    redis, (first, _) = redis_pair
    waiting = [create_on(first) for _ in range(5)]
    redis.stop(kill=True)
    status, body = call(f"{first.url}/api/shares", "POST", create_body()[0])
    assert status == 503 and body["error"] == "store_unavailable"  # unreachable: a clear answer, no crash
    redis.start()
    for created, token in waiting:
        assert call(f"{first.url}/api/shares/{created['id']}/claim", "POST", {"claim_token": token})[0] == 200


def test_instances_share_one_rate_limit_budget(tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    servers = [
        ServerProcess(
            tmp_path / f"instance-{n}",
            "--store",
            redis.url,
            "--rate-limits",
            "create=3/minute",
            "--secret-keys",
            "shared-secret-for-both-instances-0123456789",
        ).start()
        for n in (1, 2)
    ]
    try:
        statuses = [call(f"{servers[n % 2].url}/api/shares", "POST", create_body()[0])[0] for n in range(5)]
        assert statuses == [201, 201, 201, 429, 429]
    finally:
        for server in servers:
            server.stop()
        redis.stop()


@pytest.mark.browser
def test_site_hosted_apart_from_the_api(browser, tmp_path, monkeypatch):
    """The static site on one origin (any static host), the API on another that allows it."""
    import subprocess
    import sys

    from playwright.sync_api import expect

    from site_tools.build import build
    from tests.support.servers import free_port, wait_until_serving
    from tests.support.worksheet_page import PYTHON_TIMEOUT, open_worksheet

    static_port = free_port()
    static_origin = f"http://127.0.0.1:{static_port}"
    api = ServerProcess(tmp_path / "api", "--allowed-origin", static_origin, "--site-dir", str(tmp_path / "none")).start()
    monkeypatch.setenv("SYNC_API_URL", f"{api.url}/api/")
    build(site=tmp_path / "static-site")
    static = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(static_port), "--bind", "127.0.0.1"],
        cwd=tmp_path / "static-site",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(f"{static_origin}/")
        context = browser.new_context(service_workers="block")
        person = context.new_page()
        open_worksheet(person, static_origin)
        person.get_by_label("What does trust mean to you?").fill("Across origins")
        person.get_by_role("button", name="Create a one-time link").click()
        link = person.get_by_label("Link for your therapist")
        expect(link).to_have_value(re.compile(rf"^{static_origin}/open/#id="), timeout=30_000)
        therapist = browser.new_context(service_workers="block").new_page()
        therapist.goto(link.input_value())
        therapist.get_by_role("button", name="Reveal answers").click()
        expect(therapist.locator("#ws-open-answers")).to_contain_text("Across origins", timeout=PYTHON_TIMEOUT)
        context.close()
    finally:
        static.terminate()
        api.stop()
