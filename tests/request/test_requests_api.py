"""The request API through Flask's test client, on both stores: a therapist's request takes a bounded
number of sealed answers until it expires; only its manage token lists, fetches, deletes and closes."""

from __future__ import annotations

import base64
import os
import sqlite3
import threading

import pytest

from sync_server import envelope, requests_api
from sync_server.store.base import ANSWER_KEPT_SECONDS
from tests.support.shares_api import altered, b64, backend, create_body, public_key, sealed, stored_state


def make_request(client, kem="X25519", **fields):
    response = client.post("/api/requests", json={"public_key": public_key(kem), "kem": kem, **fields})
    assert response.status_code == 201, response.json
    return response.json


def managed(made: dict) -> dict:
    return {"Authorization": f"Bearer {made['manage_token']}"}


def respond(client, made, ciphertext=None, kem="X25519"):
    return client.post(f"/api/requests/{made['id']}/responses", json={"ciphertext": ciphertext or sealed(kem)})


@pytest.mark.parametrize("kem", ["X25519", "P-256"])
def test_a_request_takes_one_answer_which_only_its_manager_reads(client, kem):
    made = make_request(client, kem)
    status = client.get(f"/api/requests/{made['id']}").json
    assert status["state"] == "open" and status["kem"] == kem and status["responses_left"] == 1
    answer = sealed(kem)
    sent = respond(client, made, answer)
    assert sent.status_code == 201 and sent.json["number"] == 1
    full = {**status, "state": "full", "responses_left": 0, "message": requests_api.GONE_MESSAGES["full"]}
    assert client.get(f"/api/requests/{made['id']}").json == full
    listed = client.get(f"/api/requests/{made['id']}/responses", headers=managed(made)).json
    assert listed["state"] == "full" and listed["received"] == 1
    assert [(r["number"], r["size"]) for r in listed["responses"]] == [(1, len(envelope.decode_base64url(answer, "x")))]
    fetched = client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made))
    assert fetched.status_code == 200 and fetched.json["ciphertext"] == answer
    # Fetching does not erase (the therapist may open it again on their device); deleting does.
    assert client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 200
    assert client.delete(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 204
    assert client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404
    assert client.delete(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404


def test_the_same_answers_sent_again_take_no_second_place_or_copy(client, settings):
    """Captured answers replayed (or a retry of the same bytes) could fill a request's places with copies: a
    second copy is not stored, and the sender is told the first one's number and time, even once full."""
    made = make_request(client, max_responses=2)
    answer = sealed()
    first = respond(client, made, answer)
    stored = stored_state(settings)
    again = respond(client, made, answer)
    assert first.status_code == 201 and again.status_code == 200 and again.json == first.json
    assert stored_state(settings) == stored
    listed = client.get(f"/api/requests/{made['id']}/responses", headers=managed(made)).json
    assert [r["number"] for r in listed["responses"]] == [1] and listed["state"] == "open"
    assert respond(client, made).json["number"] == 2  # other answers still take the place left
    assert respond(client, made, answer).status_code == 200  # full now, and the copy is still no new answer


def test_a_full_request_refuses_more_with_a_clear_message(client):
    made = make_request(client, max_responses=2)
    assert respond(client, made).status_code == 201
    assert client.get(f"/api/requests/{made['id']}").json["responses_left"] == 1
    assert respond(client, made).status_code == 201
    refused = respond(client, made)
    assert refused.status_code == 410 and refused.json["reason"] == "full"
    assert "already been answered" in refused.json["message"]


def test_an_expired_request_refuses_and_its_answers_are_erased(client, clock, settings):
    made = make_request(client, expires_in=3600)
    answer = sealed()
    assert respond(client, made, answer).status_code == 201
    clock.now += 3600
    refused = respond(client, made)
    assert refused.status_code == 410 and refused.json["reason"] == "expired" and "expired" in refused.json["message"]
    assert client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404
    assert client.get(f"/api/requests/{made['id']}/responses", headers=managed(made)).json["responses"] == []
    if backend(settings) == "sqlite":
        client.post("/api/requests", json={"public_key": public_key(), "kem": "X25519"})  # a write purges
        rows = sqlite3.connect(settings.data_dir / "shares.sqlite3").execute("SELECT * FROM responses").fetchall()
        assert rows == []
    else:  # Redis erases the answers itself at the request's expiry
        import redis

        keys = redis.Redis.from_url(settings.store).keys("tsw:*:answers")
        assert [redis.Redis.from_url(settings.store).expiretime(key) for key in keys] == [clock.now]


def test_answers_are_kept_a_week_after_they_arrive_however_long_the_request_runs(client, clock, settings):
    """A month-long request is no month-long store: each answer is gone from every read a week after it came,
    and erased (SQLite: the next purge; Redis: the next answer's script, and the key a week after the newest)."""
    made = make_request(client, expires_in=requests_api.MAX_REQUEST_LIFETIME, max_responses=4)
    first, second = sealed(), sealed()
    assert respond(client, made, first).status_code == 201
    clock.now += 5 * 86_400
    assert respond(client, made, second).status_code == 201
    clock.now += ANSWER_KEPT_SECONDS - 5 * 86_400  # the first answer's week is over; the second has 5 days left
    listed = client.get(f"/api/requests/{made['id']}/responses", headers=managed(made)).json
    assert [r["number"] for r in listed["responses"]] == [2]
    assert client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404
    assert client.get(f"/api/requests/{made['id']}/responses/2", headers=managed(made)).status_code == 200
    assert respond(client, made, first).status_code == 201  # gone, so the same bytes again are a new answer
    if backend(settings) == "sqlite":
        client.post("/api/requests", json={"public_key": public_key(), "kem": "X25519"})  # a write purges
        db = sqlite3.connect(settings.data_dir / "shares.sqlite3")
        assert [row[0] for row in db.execute("SELECT number FROM responses ORDER BY number")] == [2, 3]
    else:
        import redis

        store = redis.Redis.from_url(settings.store)
        (key,) = store.keys("tsw:*:answers")
        assert sorted(store.hkeys(key)) == [b"at:2", b"at:3", b"ct:2", b"ct:3"]
        assert store.expiretime(key) == clock.now + ANSWER_KEPT_SECONDS


def test_closing_erases_the_answers_and_refuses_more(client):
    made = make_request(client, max_responses=3)
    respond(client, made)
    assert client.delete(f"/api/requests/{made['id']}", headers=managed(made)).status_code == 204
    assert client.get(f"/api/requests/{made['id']}").json["state"] == "closed"
    assert client.get(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404
    refused = respond(client, made)
    assert refused.status_code == 410 and refused.json["reason"] == "closed"


def test_an_answer_number_past_what_a_store_holds_is_not_found_not_an_error(client):
    made = make_request(client)
    for number in (2**63 - 1, 2**63, 10**20):
        for method in (client.get, client.delete):
            response = method(f"/api/requests/{made['id']}/responses/{number}", headers=managed(made))
            assert response.status_code == 404, (number, response.status_code)


def test_only_the_manage_token_of_that_request_opens_its_answers(client):
    first, second = make_request(client), make_request(client)
    respond(client, first)
    for headers in ({}, managed(second), {"Authorization": f"Bearer {altered(first['manage_token'])}"}):
        assert client.get(f"/api/requests/{first['id']}/responses", headers=headers).status_code == 401
        assert client.get(f"/api/requests/{first['id']}/responses/1", headers=headers).status_code == 401
        assert client.delete(f"/api/requests/{first['id']}/responses/1", headers=headers).status_code == 401
        assert client.delete(f"/api/requests/{first['id']}", headers=headers).status_code == 401
    # A share's id and token are no request's, and the reverse: the signatures are salted apart.
    share = client.post("/api/shares", json=create_body()[0]).json
    assert client.get(f"/api/requests/{share['id']}").status_code == 404
    assert client.get(f"/api/requests/{share['id']}/responses", headers=managed(share)).status_code == 404
    assert client.get(f"/api/shares/{first['id']}", headers=managed(first)).status_code == 404


def off_curve() -> str:
    """A real P-256 public key with its y moved by one: 65 bytes of the right shape, not on the curve."""
    point = bytearray(base64.urlsafe_b64decode(public_key("P-256") + "=="))
    point[-1] ^= 1
    return b64(bytes(point))


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"kem": "X25519"}, "malformed"),
        ({"public_key": public_key()}, "malformed"),
        ({"public_key": public_key(), "kem": "X448"}, "malformed"),
        ({"public_key": public_key(), "kem": {}}, "malformed"),  # found by the fuzzer: once a 500
        ({"public_key": ["x"], "kem": "X25519"}, "malformed"),
        ({"public_key": public_key("P-256"), "kem": "X25519"}, "malformed"),
        ({"public_key": b64(b"\x05" + os.urandom(64)), "kem": "P-256"}, "malformed"),
        ({"public_key": "not base64!", "kem": "X25519"}, "malformed"),
        # Points anyone could read answers to (RFC 7748, section 7), in every encoding X25519 accepts.
        *[({"public_key": b64(point), "kem": "X25519"}, "weak_key") for point in envelope.X25519_SMALL_ORDER],
        *[
            ({"public_key": b64(point[:31] + bytes([point[31] | 0x80])), "kem": "X25519"}, "weak_key")
            for point in envelope.X25519_SMALL_ORDER
        ],
        ({"public_key": off_curve(), "kem": "P-256"}, "malformed"),
        ({"public_key": b64(b"\x04" + b"\xff" * 64), "kem": "P-256"}, "malformed"),  # coordinates past the field
        ({"public_key": public_key(), "kem": "X25519", "expires_in": 60}, "malformed"),
        ({"public_key": public_key(), "kem": "X25519", "expires_in": 32 * 86_400}, "malformed"),
        ({"public_key": public_key(), "kem": "X25519", "max_responses": 0}, "malformed"),
        ({"public_key": public_key(), "kem": "X25519", "max_responses": True}, "malformed"),
        ({"public_key": public_key(), "kem": "X25519", "label": "Thursday"}, "malformed"),
    ],
)
def test_malformed_requests_get_specific_errors_and_store_nothing(client, settings, fields, code):
    before = stored_state(settings)
    response = client.post("/api/requests", json=fields)
    assert response.status_code == 400 and response.json["error"] == code and response.json["message"]
    assert stored_state(settings) == before


def test_answers_that_are_not_sealed_for_this_request_are_refused(client, settings):
    made = make_request(client, "X25519")
    before = stored_state(settings)
    share_envelope = create_body()[0]["ciphertext"]
    for ciphertext, code in (
        (share_envelope, "unsupported_version"),  # a share's envelope (version 1)
        (sealed("P-256"), "malformed"),  # sealed for another kind of key
        (b64(bytes([2, 0x20]) + os.urandom(20)), "malformed"),  # too short to hold a key and a tag
        (b64(bytes([2, 0x20]) + os.urandom(32) + b"my answers in plain text " * 20), "not_encrypted"),
    ):
        response = respond(client, made, ciphertext)
        assert response.status_code == 400 and response.json["error"] == code, (code, response.json)
    too_large = respond(client, made, sealed(body_bytes=envelope.MAX_BYTES))
    assert too_large.status_code == 413
    assert stored_state(settings) == before
    assert client.post(f"/api/requests/{altered(made['id'])}/responses", json={"ciphertext": sealed()}).status_code == 404


def test_the_public_view_tells_the_sender_nothing_of_the_answers(client):
    made = make_request(client, max_responses=2)
    respond(client, made)
    public = client.get(f"/api/requests/{made['id']}").json
    assert set(public) == {"state", "kem", "public_key", "expires_at", "responses_left"}
    respond(client, made)
    assert set(client.get(f"/api/requests/{made['id']}").json) == {*public, "message"}


def test_two_senders_at_once_cannot_both_take_the_last_place(client, app):
    made = make_request(client, max_responses=1)
    outcomes = []
    start = threading.Barrier(8)

    def send():
        local = app.test_client()
        start.wait()
        outcomes.append(respond(local, made).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [201] + [410] * 7


def test_answers_count_in_the_store_quota(tmp_path):
    from sync_server import create_app
    from sync_server.config import Settings

    app = create_app(Settings(site_dir=tmp_path / "none", data_dir=tmp_path / "data", rate_limits="off", max_stored_shares=2))
    client = app.test_client()
    made = make_request(client, max_responses=5)
    assert client.post("/api/shares", json=create_body()[0]).status_code == 201
    assert respond(client, made).status_code == 201
    full = respond(client, made)
    assert full.status_code == 507 and full.json["error"] == "storage_full"
    assert client.get(f"/api/requests/{made['id']}").json["responses_left"] == 4  # nothing half-counted
    db = sqlite3.connect(tmp_path / "data" / "shares.sqlite3")
    assert db.execute("SELECT shares FROM usage").fetchone()[0] == 2


def test_default_lifetime_and_limits_are_as_documented(client, clock):
    made = make_request(client)
    assert made["expires_at"] == requests_api.iso(clock.now + requests_api.DEFAULT_REQUEST_LIFETIME)
    schema = client.get("/api/openapi.json").json["components"]["schemas"]["CreateRequest"]["properties"]
    assert schema["expires_in"]["default"] == requests_api.DEFAULT_REQUEST_LIFETIME
    assert schema["expires_in"]["maximum"] == requests_api.MAX_REQUEST_LIFETIME
    assert schema["max_responses"]["maximum"] == requests_api.MAX_RESPONSES
    assert schema["max_responses"]["default"] == requests_api.DEFAULT_MAX_RESPONSES


def test_deleting_an_answer_gives_its_place_back_and_numbers_are_never_reused(client):
    """A forged answer (anyone with the link can send one) must not use up the request: the therapist deletes
    it and the person's real answer still fits."""
    made = make_request(client)
    assert respond(client, made).status_code == 201
    assert respond(client, made).json["reason"] == "full"
    assert client.delete(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 204
    status = client.get(f"/api/requests/{made['id']}").json
    assert status["state"] == "open" and status["responses_left"] == 1
    again = respond(client, made)
    assert again.status_code == 201 and again.json["number"] == 2
    listed = client.get(f"/api/requests/{made['id']}/responses", headers=managed(made)).json
    assert listed["state"] == "full" and listed["received"] == 1 and [r["number"] for r in listed["responses"]] == [2]
    assert (
        client.delete(f"/api/requests/{made['id']}/responses/1", headers=managed(made)).status_code == 404
    )  # gone twice: no place back twice
    assert client.get(f"/api/requests/{made['id']}").json["state"] == "full"


def test_a_database_from_before_deletions_gave_places_back_is_brought_up_to_date(tmp_path):
    from sync_server.store.sqlite import SQLiteStore

    path = tmp_path / "old.sqlite3"
    SQLiteStore(str(path)).create_request("k", b"p" * 32, "X25519", 1, now=0, expires_at=1_000)
    with sqlite3.connect(path) as db:  # what the version before this one left: no `deleted` column
        db.execute("ALTER TABLE requests DROP COLUMN deleted")
    store = SQLiteStore(str(path))
    assert store.respond("k", b"x" * 64, now=1).kind == "ok"
    assert store.delete_response("k", 1)
    assert store.request_status("k", now=2).state == "open"
