"""The JSON API under ``/api/shares``: one-time encrypted shares.

The server only ever sees the envelope (``sync_server.envelope``), the SHA-256 of the claim token, and the
token itself at claim time; the key that decrypts the envelope stays in the link's fragment.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Blueprint, jsonify

from . import envelope
from .api_common import (
    MAX_TOKEN_CHARS,
    current_time,
    iso,
    json_body,
    managed_key,
    purge_now_and_then,
    storage_key,
    store,
    tokens,
    whole_number,
)
from .errors import ApiError
from .paths import API_PREFIX

bp = Blueprint("shares", __name__, url_prefix=f"{API_PREFIX}/shares")

DEFAULT_LIFETIME = 86_400
MIN_LIFETIME, MAX_LIFETIME = 300, 604_800
CLAIM_HASH_BYTES = 32
NO_SHARE = "There is no share with this id any more."
# What a share that can no longer be opened says, by its state: one wording for the server's message and the
# therapist's page (handed over in facts.mjs), each putting the moment ({at}) in its reader's time.
SHARE_GONE_MESSAGES = {
    "opened": "These answers were already opened on {at}. A link works only once. If it was not you (on this or "
    "another device), someone else who had the link opened it and may have read the answers: link previews in mail "
    "and chat apps cannot open it. Tell the person, so they know, and ask them to send a new link.",
    "expired": "This link expired on {at} before it was opened. Ask the person to send a new link.",
    "revoked": "The person who shared these answers cancelled the link on {at}.",
    "destroyed": "This link was destroyed on {at} after too many wrong passphrases. Ask the person to send a new link.",
}


def gone_message(state: str, at: int) -> str:
    """The message for a share gone in ``state`` at ``at``: the moment in UTC, which is all the server knows."""
    return SHARE_GONE_MESSAGES[state].format(at=dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _status_body(status) -> dict:
    return {
        "state": status.state,
        "expires_at": iso(status.expires_at),
        "opened_at": iso(status.state_at) if status.state == "opened" else None,
        "changed_at": iso(status.state_at),
    }


@bp.post("")
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


@bp.post("/<public_id>/claim")
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
        message = gone_message(status.state, status.state_at)
        raise ApiError(410, "gone", message, reason=status.state, at=iso(status.state_at))
    raise ApiError(404, "not_found", "There is no share with this id.")


@bp.get("/<public_id>")
def share_status(public_id: str):
    key = managed_key(public_id)
    status = store().status(key, current_time())
    if status is None:
        raise ApiError(404, "not_found", NO_SHARE)
    return jsonify(_status_body(status))


@bp.delete("/<public_id>")
def revoke_share(public_id: str):
    key = managed_key(public_id)
    status = store().revoke(key, current_time())
    if status is None:
        raise ApiError(404, "not_found", NO_SHARE)
    return "", 204
