"""Storage quotas: a cap on what the store holds and a daily budget per person. When full, creating answers
a clear 507 (or 429 for the budget), logs why, and stores nothing; claims and cancellations go on and make
room again. Both stores: SQLite counts with triggers, Redis is capped by its own maxmemory."""

from __future__ import annotations

import sqlite3
import time

import pytest
import redis

from sync_server import create_app, shares_api
from sync_server.config import Settings
from sync_server.limits import HELD_AT_MOST_SECONDS, PRESSURE_ALLOWANCES, PRESSURE_MESSAGE
from sync_server.networks import SITE_BUDGET_PEOPLE, client_network, site_network
from sync_server.store import StoreFull
from sync_server.store.base import ANSWER_KEPT_SECONDS
from sync_server.store.redis_store import RedisStore
from sync_server.store.sqlite import SQLiteStore
from tests.support.servers import RedisServer
from tests.support.shares_api import create_body, public_key, sealed

CLAIM_HASH = b"h" * 32


def make_app(tmp_path, **options):
    defaults = {"site_dir": tmp_path / "no-site", "data_dir": tmp_path / "data", "rate_limits": "off"}
    return create_app(Settings(**{**defaults, **options}))


def post_share(client, body_bytes=300, address="192.0.2.1"):
    body, token = create_body(body_bytes=body_bytes)
    return client.post("/api/shares", json=body, environ_base={"REMOTE_ADDR": address}), token


def rows(data_dir) -> int:
    return sqlite3.connect(data_dir / "shares.sqlite3").execute("SELECT count(*) FROM shares").fetchone()[0]


def test_a_full_sqlite_store_answers_507_stores_nothing_and_a_claim_makes_room(tmp_path, caplog):
    client = make_app(tmp_path, max_stored_shares=3).test_client()
    made = [post_share(client) for _ in range(3)]
    assert [response.status_code for response, _ in made] == [201, 201, 201]
    refused, _ = post_share(client)
    assert refused.status_code == 507
    assert refused.json == {
        "error": "storage_full",
        "message": "The server has no room for new shares right now. Nothing was stored; please try again later.",
    }
    assert rows(tmp_path / "data") == 3
    assert "share store full in POST /api/shares: 3 shares, " in caplog.text and "the quota is 3 shares" in caplog.text
    (first, token) = made[0]
    assert client.post(f"/api/shares/{first.json['id']}/claim", json={"claim_token": token}).status_code == 200
    assert post_share(client)[0].status_code == 201


def test_the_byte_cap_counts_ciphertext(tmp_path):
    client = make_app(tmp_path, max_stored_bytes=10_000).test_client()
    assert post_share(client, body_bytes=6_000)[0].status_code == 201
    assert post_share(client, body_bytes=6_000)[0].status_code == 507
    assert post_share(client, body_bytes=3_000)[0].status_code == 201  # what still fits is taken


def test_expired_shares_make_room_before_anything_is_refused(tmp_path):
    store = SQLiteStore(str(tmp_path / "s.sqlite3"), max_shares=2)
    store.create("a", b"x" * 100, CLAIM_HASH, now=0, expires_at=100)
    store.create("b", b"x" * 100, CLAIM_HASH, now=0, expires_at=1_000)
    with pytest.raises(StoreFull):
        store.create("c", b"x" * 100, CLAIM_HASH, now=50, expires_at=1_000)
    store.create("c", b"x" * 100, CLAIM_HASH, now=150, expires_at=1_000)  # a expired at 100
    assert store.usage() == (2, 200)


def test_a_flood_of_refusals_at_the_quota_purges_at_most_once_a_second(tmp_path, monkeypatch):
    """Each refused create ran a whole purge (a write transaction) before refusing: a flood at the quota
    cost as much as real traffic. Now a refusal purges only if none did in the same second."""
    store = SQLiteStore(str(tmp_path / "s.sqlite3"), max_shares=1)
    store.create("a", b"x" * 100, CLAIM_HASH, now=0, expires_at=1_000)
    purges = []
    real_purge = store.purge
    monkeypatch.setattr(store, "purge", lambda now: purges.append(now) or real_purge(now))
    for n in range(50):
        with pytest.raises(StoreFull):
            store.create(f"b{n}", b"x" * 100, CLAIM_HASH, now=100 + n // 25, expires_at=1_000)
    assert purges == [100, 101]


def test_the_usage_count_follows_every_way_ciphertext_goes(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = SQLiteStore(str(path))
    for n, key in enumerate("abcdef"):
        store.create(key, b"x" * (100 + n), CLAIM_HASH, now=0, expires_at=1_000 if key != "f" else 10)
    store.claim("a", CLAIM_HASH, now=1)  # opened
    store.revoke("b", now=1)  # cancelled
    for _ in range(5):
        store.claim("c", b"w" * 32, now=1)  # destroyed by wrong proofs
    store.purge(now=20)  # f expired
    actual = sqlite3.connect(path).execute(
        "SELECT count(*), coalesce(sum(length(ciphertext)), 0) FROM shares WHERE ciphertext IS NOT NULL"
    )
    assert store.usage() == actual.fetchone() == (2, 103 + 104)


def test_a_database_from_before_the_quota_is_counted_on_first_start(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = SQLiteStore(str(path))
    store.create("a", b"x" * 100, CLAIM_HASH, now=0, expires_at=1_000)
    store.create("b", b"x" * 50, CLAIM_HASH, now=0, expires_at=1_000)
    with sqlite3.connect(path) as db:  # what an older version left: no usage table, no triggers
        db.executescript(
            "DROP TRIGGER usage_on_insert; DROP TRIGGER usage_on_erase; DROP TRIGGER usage_on_delete; DROP TABLE usage;"
        )
    assert SQLiteStore(str(path)).usage() == (2, 150)


def test_a_start_reads_no_shares_once_they_are_counted(tmp_path):
    """Every worker's start repeats the set-up: it must not walk the whole table each time (1.7 s at 1M shares)."""
    path = tmp_path / "s.sqlite3"
    SQLiteStore(str(path))
    with sqlite3.connect(path) as db:
        db.executemany(
            "INSERT INTO shares (key, ciphertext, claim_hash, created_at, expires_at) VALUES (?, ?, ?, 0, 10)",
            ((f"k{n}", b"x", CLAIM_HASH) for n in range(50_000)),
        )
    steps = []
    original = sqlite3.connect

    def counting_connect(*args, **kwargs):
        db = original(*args, **kwargs)
        db.set_progress_handler(lambda: steps.append(1), 100)  # called every 100 virtual-machine steps
        return db

    sqlite3.connect = counting_connect
    try:
        store = SQLiteStore(str(path))
    finally:
        sqlite3.connect = original
    assert store.usage() == (50_000, 50_000)  # the triggers counted the rows as they were inserted
    assert len(steps) < 100, f"a start ran {len(steps) * 100:,} steps: it scanned the table"


def test_one_persons_daily_budget_is_spent_by_bytes_and_leaves_others_alone(tmp_path):
    client = make_app(
        tmp_path, rate_limits="create=100/hour,claim=100/hour", daily_bytes_per_person=3_000, max_stored_shares=0
    ).test_client()
    statuses = [post_share(client, body_bytes=600)[0].status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]  # each body is about 900 bytes of JSON
    refused, _ = post_share(client, body_bytes=600)
    assert refused.json["message"].startswith("You have shared as much as one person may today.")
    assert post_share(client, body_bytes=600, address="192.0.2.2")[0].status_code == 201


@pytest.mark.parametrize(
    ("address", "client", "site"),
    [
        ("192.0.2.7", "192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7", "192.0.2.7"),
        ("2001:db8:aa:bb:1:2:3:4", "2001:db8:aa:bb::/64", "2001:db8:aa::/48"),
        ("::1", "::/64", "::/48"),
        ("unix-socket-peer", "unix-socket-peer", "unix-socket-peer"),
    ],
)
def test_what_counts_as_one_client_and_one_site(address, client, site):
    """The one grouping the limits, the daily budget and the worker's connection cap all use."""
    assert (client_network(address), site_network(address)) == (client, site)


def test_budgets_count_networks_as_they_are_handed_out_not_addresses(tmp_path):
    """One IPv6 home holds a /64 (2^64 addresses): its addresses share one person's budget. Other /64s of
    the same /48 have their own, up to SITE_BUDGET_PEOPLE budgets for the whole /48; another /48 is not
    touched. An IPv4 client on a dual-stack socket counts as its IPv4 address."""
    client = make_app(
        tmp_path, rate_limits="create=1000/hour,claim=1000/hour", daily_bytes_per_person=3_000, max_stored_shares=0
    ).test_client()
    home = [post_share(client, 600, f"2001:db8:1:1::{n:x}")[0].status_code for n in range(1, 5)]
    assert home == [201, 201, 201, 429]  # four addresses, one /64, one budget
    others = [f"2001:db8:1:{n:x}::1" for n in range(2, 2 + SITE_BUDGET_PEOPLE + 4)]
    stored = sum(post_share(client, 600, address)[0].status_code == 201 for address in others for _ in range(3))
    assert 3 * (SITE_BUDGET_PEOPLE - 2) < stored < 3 * len(others)  # the /48 ran out before its /64s did
    assert post_share(client, 600, "2001:db8:2:1::1")[0].status_code == 201
    mapped = [post_share(client, 600, address)[0].status_code for address in ["192.0.2.9", "::ffff:192.0.2.9"] * 2]
    assert mapped == [201, 201, 201, 429]


def test_a_crowd_from_many_networks_leaves_room_for_a_person_and_for_answers_already_asked_for(tmp_path):
    """Sixteen networks (each in a /16 of its own) store until each is refused. As the store fills, each one's
    allowance shrinks (PRESSURE_ALLOWANCES), so together they stop short of full; a newcomer still shares, and
    an answer to a request made before the crowd still arrives. With one allowance the crowd fills it (16 ×
    20,000 bytes is 1.6 times the store)."""
    client = make_app(
        tmp_path,
        rate_limits="create=10000/hour,claim=10000/hour",
        daily_bytes_per_person=20_000,
        max_stored_bytes=200_000,
        max_stored_shares=0,
    ).test_client()
    waiting = client.post("/api/requests", json={"public_key": public_key(), "kem": "X25519"}).json
    crowd = [f"10.{n}.0.1" for n in range(1, 17)]
    statuses, refusals = [], set()
    while crowd:
        for address in list(crowd):
            response = post_share(client, body_bytes=600, address=address)[0]
            statuses.append(response.status_code)
            if response.status_code != 201:
                refusals.add(response.json["message"].split(".")[0])
                crowd.remove(address)
    store = client.application.extensions["share_store"]
    assert statuses.count(429) == 16 and 507 not in statuses
    assert refusals == {PRESSURE_MESSAGE.split(".")[0]}
    assert 0.9 > store.fullness() >= PRESSURE_ALLOWANCES[1][0]  # under pressure, and room is left
    assert post_share(client, body_bytes=600, address="10.200.0.1")[0].status_code == 201
    answer = client.post(
        f"/api/requests/{waiting['id']}/responses", json={"ciphertext": sealed()}, environ_base={"REMOTE_ADDR": "10.201.0.1"}
    )
    assert answer.status_code == 201


def test_every_item_counts_at_least_its_fair_share_of_the_store(tmp_path):
    """With 100 places and 1,000,000 bytes, an item counts at least 10,000 bytes, so small items cannot fill
    the store's count faster than its bytes: a 200,000-byte allowance takes 20 of them."""
    client = make_app(
        tmp_path,
        rate_limits="create=10000/hour,claim=10000/hour",
        daily_bytes_per_person=200_000,
        max_stored_bytes=1_000_000,
        max_stored_shares=100,
    ).test_client()
    statuses = [post_share(client, body_bytes=300)[0].status_code for _ in range(21)]
    assert statuses == [201] * 20 + [429]


def test_settings_that_leave_a_person_nothing_under_pressure_stop_the_start(tmp_path):
    with pytest.raises(ValueError, match="less than one item counts"):
        make_app(tmp_path, rate_limits="create=10/hour", daily_bytes_per_person=100_000, max_stored_shares=10_000)


@pytest.fixture
def small_redis(tmp_path):
    server = RedisServer(tmp_path / "redis", extra=("--maxmemory", "3mb", "--maxmemory-policy", "noeviction")).start()
    yield server
    server.stop()


def test_a_redis_at_its_maxmemory_refuses_creating_with_507_but_claims_go_on(small_redis, tmp_path, caplog):
    store = RedisStore(small_redis.url)
    stored = []
    with pytest.raises(StoreFull):
        for n in range(200):  # 200 × 64 KiB is far over 3 MB
            store.create(f"k{n}", bytes(64 * 1024), CLAIM_HASH, now=0, expires_at=10**10)
            stored.append(f"k{n}")
    assert 10 < len(stored) < 200
    assert store.fullness() > 0.9  # what the daily allowances shrink by
    assert redis.Redis.from_url(small_redis.url).exists(f"tsw:{{k{len(stored)}}}:meta") == 0  # nothing half-written
    for key in stored[:5]:  # opening frees memory, even at the limit
        assert store.claim(key, CLAIM_HASH, now=1).kind == "ok"
    store.create("after", bytes(64 * 1024), CLAIM_HASH, now=1, expires_at=10**10)

    client = make_app(tmp_path, store=small_redis.url).test_client()
    while (response := post_share(client, body_bytes=60_000)[0]).status_code == 201:
        pass
    assert response.status_code == 507 and response.json["error"] == "storage_full"
    assert "share store full in POST /api/shares: Redis is at its maxmemory" in caplog.text


def test_under_pressure_an_allowance_lasts_as_long_as_anything_stored_is_kept(tmp_path):
    """A calm store's allowance is a day's; under pressure it runs over the longest time a share or an answer
    is held, so a network that keeps at it day after day holds no more than it was allowed once."""
    app = make_app(tmp_path, rate_limits="create=100/hour,claim=100/hour", max_stored_bytes=100_000, max_stored_shares=0)
    client = app.test_client()
    assert post_share(client, address="192.0.2.1")[0].status_code == 201  # calm
    app.extensions["share_store"].create("filler", bytes(60_000), bytes(32), now=int(time.time()), expires_at=2**40)
    assert post_share(client, address="192.0.2.2")[0].status_code == 201  # under pressure
    counters = sqlite3.connect(tmp_path / "data" / "rate_limits.sqlite3").execute("SELECT key, expires_at FROM counters")
    windows = {key.split("/")[2]: round(expires_at - time.time(), -2) for key, expires_at in counters if "daily-bytes" in key}
    assert windows == {
        "daily-bytes-0": 86_400,
        "daily-bytes-site-0": 86_400,
        "daily-bytes-1": HELD_AT_MOST_SECONDS,
        "daily-bytes-site-1": HELD_AT_MOST_SECONDS,
    }
    assert max(ANSWER_KEPT_SECONDS, shares_api.MAX_LIFETIME) <= HELD_AT_MOST_SECONDS
