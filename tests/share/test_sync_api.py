"""The share API through Flask's test client: every endpoint, error and security property."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from itsdangerous import Signer

from sync_server import create_app, shares_api
from sync_server.api_common import iso
from sync_server.config import Settings
from sync_server.openapi import DOCUMENT, FROM_CODE, SHAPE, field_schema
from sync_server.store import base as store_base
from tests.support.shares_api import altered, b64, backend, create_body, fake_envelope, new_claim, stored_state


def create(client, **kwargs):
    body, token = create_body(**kwargs)
    response = client.post("/api/shares", json=body)
    assert response.status_code == 201, response.json
    return response.json, token, body


def claim(client, share_id, token):
    return client.post(f"/api/shares/{share_id}/claim", json={"claim_token": token})


def status(client, created):
    return client.get(f"/api/shares/{created['id']}", headers={"Authorization": f"Bearer {created['manage_token']}"})


# --- the happy path -------------------------------------------------------------------------------------


def test_create_claim_once_then_gone(client):
    created, token, body = create(client)
    assert set(created) == {"id", "manage_token", "expires_at"} and created["expires_at"].endswith("Z")
    first = claim(client, created["id"], token)
    assert first.status_code == 200
    assert first.json["ciphertext"] == body["ciphertext"]  # opaque: handed back byte for byte
    second = claim(client, created["id"], token)
    assert second.status_code == 410
    assert second.json["reason"] == "opened" and second.json["at"].endswith("Z")
    assert status(client, created).json["state"] == "opened"
    # The page's wording (facts.mjs hands it SHARE_GONE_MESSAGES), with the moment in UTC.
    at = dt.datetime.fromisoformat(second.json["at"])
    opened = shares_api.SHARE_GONE_MESSAGES["opened"].format(at=f"{at:%Y-%m-%d %H:%M} UTC")
    assert second.json["message"] == opened


def test_default_and_chosen_lifetimes(client, clock):
    created, _, _ = create(client)
    assert created["expires_at"] == iso(clock.now + 86_400)
    created, _, _ = create(client, expires_in=3600)
    assert created["expires_at"] == iso(clock.now + 3600)


# --- proofs ---------------------------------------------------------------------------------------------


def test_wrong_proof_keeps_the_share_and_counts_down(client):
    created, token, _ = create(client)
    wrong, _ = new_claim()
    for left in (4, 3):
        response = claim(client, created["id"], wrong)
        assert response.status_code == 403 and response.json["attempts_left"] == left
    assert claim(client, created["id"], token).status_code == 200


def test_missing_proof_is_malformed_and_burns_nothing(client):
    created, token, _ = create(client)
    for body in ({}, {"claim_token": ""}, {"claim_token": 5}, {"claim_token": "not base64!"}):
        assert client.post(f"/api/shares/{created['id']}/claim", json=body).status_code == 400
    assert claim(client, created["id"], token).status_code == 200


def test_fifth_wrong_proof_destroys_the_share(client):
    created, token, _ = create(client)
    wrong, _ = new_claim()
    responses = [claim(client, created["id"], wrong) for _ in range(5)]
    assert [r.json["attempts_left"] for r in responses] == [4, 3, 2, 1, 0]
    final = claim(client, created["id"], token)
    assert final.status_code == 410 and final.json["reason"] == "destroyed"
    assert status(client, created).json["state"] == "destroyed"


# --- ids and tokens -------------------------------------------------------------------------------------


def test_forged_and_altered_ids_are_refused_before_any_lookup(client, app, monkeypatch):
    created, token, _ = create(client)
    looked_up = []
    store = app.extensions["share_store"]
    monkeypatch.setattr(store, "claim", lambda *a: looked_up.append(a))
    raw, signature = created["id"].split(".")
    for forged in (
        f"{raw}.{'A' * len(signature)}",
        f"{altered(raw)}.{signature}",
        f"{raw}.{altered(signature)}",
        raw,
        "x",
        "a.b.c",
    ):
        response = claim(client, forged, token)
        assert response.status_code == 404 and response.json["error"] == "not_found"
    assert looked_up == []


def test_ids_and_manage_tokens_are_plain_itsdangerous_signatures(app):
    """Keys derived once give the signatures a default itsdangerous Signer gives, so links made before that
    change (or by another implementation of the same scheme) stay valid."""
    secret = app.config["SETTINGS"].secret_keys[0]
    key, public_id, manage_token = app.extensions["share_tokens"].new("share")
    assert public_id == Signer(secret, salt="share-id").sign(key).decode()
    assert manage_token == Signer(secret, salt="share-manage").get_signature(key).decode()


def test_manage_token_is_needed_and_bound_to_its_share(client):
    first, _, _ = create(client)
    second, _, _ = create(client)
    assert client.get(f"/api/shares/{first['id']}").status_code == 401
    swapped = client.get(f"/api/shares/{first['id']}", headers={"Authorization": f"Bearer {second['manage_token']}"})
    assert swapped.status_code == 401
    assert client.delete(f"/api/shares/{first['id']}", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert status(client, first).json["state"] == "waiting"


def test_the_id_is_not_the_manage_token(client):
    created, _, _ = create(client)
    raw = created["id"].split(".")[0]
    assert created["manage_token"] not in created["id"]
    assert client.get(f"/api/shares/{created['id']}", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_rotated_secret_still_verifies_old_ids_and_signs_with_the_new(settings, tmp_path):
    old_settings = Settings(**{**vars(settings), "secret_keys": ["old-secret-key-0123456789"]})
    old_client = create_app(old_settings).test_client()
    created, token, _ = create(old_client)
    rotated = create_app(
        Settings(**{**vars(settings), "secret_keys": ["new-secret-key-9876543210", "old-secret-key-0123456789"]})
    ).test_client()
    assert status(rotated, created).json["state"] == "waiting"
    new, _, _ = create(rotated)
    assert status(old_client, new).status_code == 404  # the old key alone cannot verify new ids
    dropped = create_app(Settings(**{**vars(settings), "secret_keys": ["new-secret-key-9876543210"]})).test_client()
    assert claim(dropped, created["id"], token).status_code == 404
    assert claim(rotated, created["id"], token).status_code == 200


def test_secret_is_generated_once_with_owner_only_permissions(settings):
    create_app(settings)
    key_file = settings.data_dir / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = key_file.read_text()
    create_app(Settings(site_dir=settings.site_dir, data_dir=settings.data_dir))
    assert key_file.read_text() == first and len(first) >= 40


# --- expiry, revocation, GET never mutates ---------------------------------------------------------------


def test_expired_share_can_never_be_claimed_and_is_purged(client, clock, app):
    created, token, _ = create(client, expires_in=300)
    clock.now += 301
    response = claim(client, created["id"], token)
    assert response.status_code == 410 and response.json["reason"] == "expired"
    assert status(client, created).json["state"] == "expired"
    clock.now += store_base.TOMBSTONE_GRACE_SECONDS
    create(client)  # creating purges old tombstones
    assert status(client, created).status_code == 404


def test_expired_ciphertext_is_erased(client, clock, app, settings):
    created, token, _ = create(client, expires_in=300)
    clock.now += 301
    if backend(settings) == "redis":
        import redis

        client_redis = redis.Redis.from_url(settings.store)
        key = app.extensions["share_tokens"].storage_key(created["id"])
        assert client_redis.ttl(f"tsw:{{{key}}}:ct") <= 300  # Redis itself deletes the ciphertext at expiry
        claim(client, created["id"], token)
        assert not client_redis.exists(f"tsw:{{{key}}}:ct")
        return
    import sqlite3

    create(client)  # every create purges
    db = sqlite3.connect(settings.data_dir / "shares.sqlite3")
    rows = db.execute("SELECT ciphertext IS NULL, state FROM shares ORDER BY created_at, expires_at").fetchall()
    assert (1, "waiting") in rows  # the expired one: tombstone only


def test_revoke_then_claim_is_refused(client):
    created, token, _ = create(client)
    response = client.delete(f"/api/shares/{created['id']}", headers={"Authorization": f"Bearer {created['manage_token']}"})
    assert response.status_code == 204
    refused = claim(client, created["id"], token)
    assert refused.status_code == 410 and refused.json["reason"] == "revoked"
    assert status(client, created).json["state"] == "revoked"


def test_nothing_mutates_on_get(client, settings):
    created, token, _ = create(client)
    before = stored_state(settings)
    for path in (f"/api/shares/{created['id']}", f"/api/shares/{created['id']}/claim", "/open/", f"/open/#{created['id']}"):
        client.get(path)
        client.head(path)
    status(client, created)
    assert stored_state(settings) == before
    assert claim(client, created["id"], token).status_code == 200


# --- bad input --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, status_code, code",
    [
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "extra": 1}, 400, "malformed"),
        ({"claim_hash": new_claim()[1]}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": "short"}, 400, "malformed"),
        ({"ciphertext": "not+base64/", "claim_hash": new_claim()[1]}, 400, "malformed"),
        ({"ciphertext": b64(b"\x01\x00" + b"x" * 20), "claim_hash": new_claim()[1]}, 400, "malformed"),
        ({"ciphertext": fake_envelope(version=2), "claim_hash": new_claim()[1]}, 400, "unsupported_version"),
        ({"ciphertext": fake_envelope(flags=0b10), "claim_hash": new_claim()[1]}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "expires_in": 299}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "expires_in": 604_801}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "expires_in": "3600"}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "expires_in": True}, 400, "malformed"),
        ({"ciphertext": fake_envelope(), "claim_hash": new_claim()[1], "expires_in": 10**400}, 400, "malformed"),
        ({"ciphertext": fake_envelope(body_bytes=256 * 1024), "claim_hash": new_claim()[1]}, 413, "too_large"),
    ],
)
def test_malformed_creates_get_specific_json_errors(client, body, status_code, code):
    response = client.post("/api/shares", json=body)
    assert response.status_code == status_code, response.json
    assert response.json["error"] == code and response.json["message"]


ARTICLE_TEXT = (Path(__file__).resolve().parents[2] / "docs" / "article.md").read_text()


@pytest.mark.parametrize(
    "plaintext",
    [
        json.dumps({"reflections.trust-meaning": "I feel unheard when my therapist looks at the clock " * 10}).encode(),
        ARTICLE_TEXT[:100].encode(),  # short, never-repeating prose
        ARTICLE_TEXT.encode(),  # long: only its start is sampled, which is still text
        json.dumps(
            {"answers": {"r": "Мне нужно чувствовать, что меня слушают, и знать, что сказанное останется между нами."}},
            ensure_ascii=False,
        ).encode(),
    ],
    ids=["repetitive", "short-prose", "long-prose", "non-latin"],
)
def test_plaintext_is_refused_even_in_a_well_formed_envelope(client, plaintext):
    body = {"ciphertext": b64(b"\x01\x00" + bytes(12) + plaintext), "claim_hash": new_claim()[1]}
    response = client.post("/api/shares", json=body)
    assert response.status_code == 400 and response.json["error"] == "not_encrypted"


@pytest.mark.parametrize("size", [17, 64, 100, 1023, 1024, 5000, 256 * 1024 - 14])
def test_random_payloads_of_every_size_are_accepted(client, size):
    """Ciphertext is random to the server: no size may trip the plaintext check by chance."""
    for _ in range(20):
        body = {"ciphertext": fake_envelope(size), "claim_hash": new_claim()[1]}
        assert client.post("/api/shares", json=body).status_code == 201


@pytest.mark.parametrize(
    "data, content_type, status_code",
    [
        ("{not json", "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ('"text"', "application/json", 400),
        ("ciphertext=x", "application/x-www-form-urlencoded", 415),
        (b"\xff\xfe\xfa", "application/json", 400),
        ("[" * 50_000 + "]" * 50_000, "application/json", 400),
    ],
)
def test_broken_bodies_are_json_errors_never_500(client, data, content_type, status_code):
    response = client.post("/api/shares", data=data, content_type=content_type)
    assert response.status_code == status_code
    assert response.is_json and set(response.json) >= {"error", "message"}


def test_oversize_body_is_refused_before_reading(client):
    response = client.post("/api/shares", data="x" * (400 * 1024), content_type="application/json")
    assert response.status_code == 413 and response.json["error"] == "request_entity_too_large"


def test_wrong_method_is_json(client):
    response = client.put("/api/shares")
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"


# --- headers, CORS, rate limits, robots -----------------------------------------------------------------


def test_api_responses_are_never_cached_nor_indexed(client):
    response = client.get("/api/health")
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_only_for_the_configured_origin(settings):
    client = create_app(Settings(**{**vars(settings), "allowed_origin": "https://worksheet.example"})).test_client()
    allowed = client.options(
        "/api/shares", headers={"Origin": "https://worksheet.example", "Access-Control-Request-Method": "POST"}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://worksheet.example"
    other = client.get("/api/health", headers={"Origin": "https://elsewhere.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_rate_limits_answer_429_keyed_by_a_hash_of_the_address(settings):
    app = create_app(Settings(**{**vars(settings), "rate_limits": "create=2/minute,claim=3/minute"}))
    client = app.test_client()
    for _ in range(2):
        body, _ = create_body()
        assert client.post("/api/shares", json=body).status_code == 201
    body, _ = create_body()
    limited = client.post("/api/shares", json=body)
    assert limited.status_code == 429 and limited.json["error"] == "too_many_requests"
    other = client.post("/api/shares", json=create_body()[0], environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 201  # another client has its own budget
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.9.8.7"}):
        from sync_server.limits import client_fingerprint

        assert "10.9.8.7" not in client_fingerprint() and len(client_fingerprint()) == 32


def test_rate_limit_setting_is_checked():
    from sync_server.limits import parse_rate_limits

    assert parse_rate_limits("off") == {}
    assert parse_rate_limits("create=5/minute;20/day,claim=9/hour") == {"create": "5/minute;20/day", "claim": "9/hour"}
    with pytest.raises(ValueError, match="rate limits look like"):
        parse_rate_limits("upload=5/minute")


# --- the OpenAPI document --------------------------------------------------------------------------------


def test_openapi_document_is_served_and_matches_the_routes(client, app):
    served = client.get("/api/openapi.json")
    assert served.status_code == 200 and served.json == DOCUMENT
    routes = {
        (rule.rule.replace("<public_id>", "{id}").replace("<int:number>", "{number}"), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in DOCUMENT["paths"].items() for method in item if method != "parameters"}
    assert routes == documented


def test_the_documents_facts_are_the_codes_and_the_file_states_none_of_them():
    """Every limit, default and list of values in the served document comes from the code that enforces it;
    openapi.json holds the shape only, so there is no copy to drift."""
    shape = json.loads(SHAPE.read_text())
    for (schema, field), facts in FROM_CODE.items():
        assert not set(facts) & set(field_schema(shape, schema, field)), (schema, field)
        assert {key: field_schema(DOCUMENT, schema, field)[key] for key in facts} == facts
    assert field_schema(DOCUMENT, "CreateRequest", "max_responses")["maximum"] == 10  # as the API refuses 11
    assert field_schema(DOCUMENT, "CreateShare", "claim_hash")["maxLength"] == 43  # base64url of 32 bytes


def test_store_unreachable_is_a_clear_503(client, app, monkeypatch):
    from sync_server.store import StoreUnavailable

    def unavailable(*_args):
        raise StoreUnavailable("disk I/O error")

    monkeypatch.setattr(app.extensions["share_store"], "create", unavailable)
    monkeypatch.setattr(app.extensions["share_store"], "ping", unavailable)
    body, _ = create_body()
    response = client.post("/api/shares", json=body)
    assert response.status_code == 503 and response.json["error"] == "store_unavailable"
    assert client.get("/api/ready").status_code == 503
    assert client.get("/api/health").status_code == 200


def test_behind_a_trusted_proxy_each_person_has_their_own_budget(settings):
    """With --proxy-count 1 the limits count the address the proxy saw; without it, X-Forwarded-For is
    ignored, and a client that forges one, or prepends hops, gains nothing."""

    def creates(app, forwarded_for):
        client = app.test_client()
        return [
            client.post(
                "/api/shares",
                json=create_body()[0],
                environ_base={"REMOTE_ADDR": "10.0.0.1"},
                headers={"X-Forwarded-For": forwarded_for},
            ).status_code
            for _ in range(3)
        ]

    limited = {**vars(settings), "rate_limits": "create=2/minute"}
    proxied = create_app(Settings(**{**limited, "proxy_count": 1}))
    assert creates(proxied, "203.0.113.5") == [201, 201, 429]
    assert creates(proxied, "203.0.113.6") == [201, 201, 429]  # another person behind the same proxy
    assert creates(proxied, "198.51.100.1, 203.0.113.6") == [429] * 3  # a forged first hop is not trusted
    direct = create_app(Settings(**{**limited, "data_dir": settings.data_dir.parent / "direct", "proxy_count": 0}))
    assert creates(direct, "203.0.113.7") == [201, 201, 429]
    assert creates(direct, "203.0.113.8") == [429] * 3  # forging the header buys nothing


def test_an_unexpected_error_is_logged_with_its_traceback_and_no_request_data(app, client, caplog, monkeypatch):
    body, _ = create_body()
    made = client.post("/api/shares", json=body).json

    def broken(*args, **kwargs):
        raise RuntimeError("the store broke in a way nobody planned for")

    monkeypatch.setattr(app.extensions["share_store"], "status", broken)
    with caplog.at_level("ERROR"):
        response = client.get(f"/api/shares/{made['id']}", headers={"Authorization": f"Bearer {made['manage_token']}"})
    assert response.status_code == 500 and response.json["error"] == "internal_error"
    assert "the store broke" not in response.get_data(as_text=True)
    logged = "\n".join(f"{record.getMessage()}\n{record.exc_text or ''}" for record in caplog.records)
    assert "Traceback" in logged and "RuntimeError: the store broke" in logged
    assert "unexpected error in GET /api/shares/<public_id>" in logged
    for secret in (made["id"], made["manage_token"], body["ciphertext"][:40]):
        assert secret not in logged
