"""The JSON API under ``/api``: one-time encrypted shares.

The server only ever sees the envelope (``sync_server.envelope``), the SHA-256 of the claim token, and the
token itself at claim time; the key that decrypts the envelope stays in the link's fragment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request, send_file

from . import envelope
from .errors import ApiError

bp = Blueprint("api", __name__, url_prefix="/api")
OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")

DEFAULT_LIFETIME = 86_400
MIN_LIFETIME, MAX_LIFETIME = 300, 604_800
CLAIM_HASH_BYTES = 32
MAX_TOKEN_CHARS = 128


def current_time() -> int:
    return int(time.time())


def iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


def store():
    return current_app.extensions["share_store"]


PURGE_EVERY_SECONDS = 60


def purge_now_and_then(now: int) -> None:
    """Erase expired data at most once a minute per process: often enough that nothing outlives its expiry
    by more than a minute (claims check expiry themselves), rarely enough to cost nothing under load."""
    last = current_app.extensions.setdefault("share_last_purge", {"at": None})
    if last["at"] is None or abs(now - last["at"]) >= PURGE_EVERY_SECONDS:
        last["at"] = now
        store().purge(now)


def tokens():
    return current_app.extensions["share_tokens"]


def json_body(allowed: set[str]) -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "Send the request body as JSON (Content-Type: application/json).")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise ApiError(400, "malformed", "The JSON is nested too deeply.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed", "The request body must be a JSON object.")
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(400, "malformed", f"Unknown field(s): {', '.join(sorted(unknown))[:100]}.")
    return body


def whole_number(body: dict, name: str, default: int, low: int, high: int, unit: str = "") -> int:
    """A field that must be a whole number (not a boolean, which JSON's true would pass as) from low to high."""
    value = body.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ApiError(400, "malformed", f"{name} must be a whole number{unit} from {low} to {high}.")
    return value


def storage_key(public_id: str, kind: str = "share") -> str:
    key = tokens().storage_key(public_id, kind)
    if key is None:
        raise ApiError(404, "not_found", f"There is no {kind} with this id.")
    return key


def managed_key(public_id: str, kind: str = "share") -> str:
    """The storage key of a share or request whose manage token the request carries (else 401)."""
    key = storage_key(public_id, kind)
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if (
        scheme.lower() != "bearer"
        or not token
        or len(token) > MAX_TOKEN_CHARS
        or not tokens().manage_token_matches(key, token.strip(), kind)
    ):
        raise ApiError(401, "unauthorized", "A valid manage token is needed (Authorization: Bearer <manage_token>).")
    return key


def _status_body(status) -> dict:
    return {
        "state": status.state,
        "expires_at": iso(status.expires_at),
        "opened_at": iso(status.state_at) if status.state == "opened" else None,
        "changed_at": iso(status.state_at),
    }


@bp.get("/health")
def health():
    """Liveness: the process answers. It touches nothing, so a load balancer may call it as often as it likes."""
    return jsonify(status="ok")


@bp.get("/ready")
def ready():
    """Readiness: the store answers too (503 ``store_unavailable`` otherwise), for a load balancer to send
    shares only to instances that can keep them."""
    store().ping()
    return jsonify(status="ready")


@bp.post("/shares")
def create_share():
    body = json_body({"ciphertext", "claim_hash", "expires_in"})
    data = envelope.check(body.get("ciphertext"))
    claim_hash = envelope.decode_base64url(body.get("claim_hash"), "claim_hash")
    if len(claim_hash) != CLAIM_HASH_BYTES:
        raise ApiError(400, "malformed", "claim_hash must be the 32-byte SHA-256 of the claim token.")
    lifetime = whole_number(body, "expires_in", DEFAULT_LIFETIME, MIN_LIFETIME, MAX_LIFETIME, unit=" of seconds")
    now = current_time()
    key, public_id, manage_token = tokens().new("share")
    purge_now_and_then(now)
    store().create(key, data, claim_hash, now, now + lifetime)
    response = jsonify(id=public_id, manage_token=manage_token, expires_at=iso(now + lifetime))
    response.status_code = 201
    return response


@bp.post("/shares/<public_id>/claim")
def claim_share(public_id: str):
    key = storage_key(public_id)
    body = json_body({"claim_token"})
    token = body.get("claim_token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise ApiError(400, "malformed", "claim_token is required: the base64url token derived from the link's key.")
    token_bytes = envelope.decode_base64url(token, "claim_token")
    outcome = store().claim(key, hashlib.sha256(token_bytes).digest(), current_time())
    if outcome.kind == "ok":
        return jsonify(ciphertext=envelope.encode_base64url(outcome.ciphertext), created_at=iso(outcome.created_at))
    if outcome.kind == "wrong_proof":
        message = "The proof does not match this share (a wrong passphrase or a damaged link). " + (
            f"{outcome.attempts_left} attempt(s) left." if outcome.attempts_left else "The share has been destroyed."
        )
        raise ApiError(403, "wrong_proof", message, attempts_left=outcome.attempts_left)
    if outcome.kind == "gone":
        status = outcome.status
        messages = {
            "opened": "This share has already been opened.",
            "expired": "This share has expired.",
            "revoked": "This share was cancelled by the person who made it.",
            "destroyed": "This share was destroyed after too many wrong attempts.",
        }
        raise ApiError(410, "gone", messages[status.state], reason=status.state, at=iso(status.state_at))
    raise ApiError(404, "not_found", "There is no share with this id.")


@bp.get("/shares/<public_id>")
def share_status(public_id: str):
    key = managed_key(public_id)
    status = store().status(key, current_time())
    if status is None:
        raise ApiError(404, "not_found", "There is no share with this id any more.")
    return jsonify(_status_body(status))


@bp.delete("/shares/<public_id>")
def revoke_share(public_id: str):
    key = managed_key(public_id)
    status = store().revoke(key, current_time())
    if status is None:
        raise ApiError(404, "not_found", "There is no share with this id any more.")
    return "", 204


@bp.get("/openapi.json")
def openapi():
    return send_file(OPENAPI_DOCUMENT, mimetype="application/json", max_age=0)
