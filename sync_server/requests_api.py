"""The JSON API under ``/api/requests``: a therapist asks for answers, sealed to a key only they hold.

The therapist's browser makes a key pair and keeps the private key; the server stores the public key, and
takes answers sealed to it (HPKE, ``sync_server.envelope``) until the request is full or expires. Nothing
here can decrypt: no key that opens the answers ever reaches the server, not even in a link. The manage
token (kept by the therapist's browser) lists, fetches and deletes the answers, and closes the request.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from . import envelope
from .api_common import (
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

bp = Blueprint("requests", __name__, url_prefix=f"{API_PREFIX}/requests")

DEFAULT_REQUEST_LIFETIME = 7 * 86_400
MIN_REQUEST_LIFETIME, MAX_REQUEST_LIFETIME = 300, 31 * 86_400
DEFAULT_MAX_RESPONSES, MAX_RESPONSES = 1, 10
NO_REQUEST = "There is no request with this id any more."
# The largest answer number a store can hold (SQLite's INTEGER is 64 bits): a URL naming a larger one is
# answered "not found", never taken to the store, where it overflowed (a 500).
RESPONSE_NUMBER_MAX = 2**63 - 1
GONE_MESSAGES = {
    "full": "This request has already been answered. Ask your therapist for a new link if you want to send again.",
    "expired": "This request has expired. Ask your therapist for a new link.",
    "closed": "Your therapist has closed this request. Ask them for a new link if you still want to send your answers.",
}


def _request_key(public_id: str) -> str:
    return storage_key(public_id, "request")


def _existing(key: str):
    status = store().request_status(key, current_time())
    if status is None:
        raise ApiError(404, "not_found", NO_REQUEST)
    return status


@bp.post("")
def create_request():
    body = json_body({"public_key", "kem", "expires_in", "max_responses"})
    kem = body.get("kem")
    if not isinstance(kem, str) or kem not in envelope.KEMS:
        raise ApiError(400, "malformed", f"kem must be one of {', '.join(envelope.KEMS)}.")
    public_key = envelope.check_public_key(body.get("public_key"), kem)
    lifetime = whole_number(
        body, "expires_in", DEFAULT_REQUEST_LIFETIME, MIN_REQUEST_LIFETIME, MAX_REQUEST_LIFETIME, unit=" of seconds"
    )
    max_responses = whole_number(body, "max_responses", DEFAULT_MAX_RESPONSES, 1, MAX_RESPONSES)
    now = current_time()
    key, public_id, manage_token = tokens().new("request")
    purge_now_and_then(now)
    store().create_request(key, public_key, kem, max_responses, now, now + lifetime)
    response = jsonify(id=public_id, manage_token=manage_token, expires_at=iso(now + lifetime))
    response.status_code = 201
    return response


@bp.get("/<public_id>")
def request_status(public_id: str):
    """What the person sending needs: the key to seal to (to compare with the link's), and whether the
    request still takes answers. It says nothing of the answers themselves."""
    status = _existing(_request_key(public_id))
    return jsonify(
        state=status.state,
        kem=status.kem,
        public_key=envelope.encode_base64url(status.public_key),
        expires_at=iso(status.expires_at),
        responses_left=max(status.max_responses - status.received, 0) if status.state == "open" else 0,
        **({"message": GONE_MESSAGES[status.state]} if status.state in GONE_MESSAGES else {}),
    )


@bp.post("/<public_id>/responses")
def respond(public_id: str):
    key = _request_key(public_id)
    body = json_body({"ciphertext"})
    status = _existing(key)
    data = envelope.check_sealed(body.get("ciphertext"), status.kem)
    now = current_time()
    purge_now_and_then(now)
    outcome = store().respond(key, data, now)
    if outcome.kind == "ok":
        response = jsonify(number=outcome.number, received_at=iso(now))
        response.status_code = 201
        return response
    if outcome.kind == "repeated":  # already held: the first copy's place, and no second copy
        return jsonify(number=outcome.number, received_at=iso(outcome.received_at))
    if outcome.kind == "gone" and outcome.status is not None:
        state = outcome.status.state
        raise ApiError(410, "gone", GONE_MESSAGES[state], reason=state)
    raise ApiError(404, "not_found", NO_REQUEST)


@bp.get("/<public_id>/responses")
def list_responses(public_id: str):
    key = managed_key(public_id, "request")
    status = _existing(key)
    answers = store().responses(key, current_time())
    return jsonify(
        state=status.state,
        expires_at=iso(status.expires_at),
        received=status.received,
        max_responses=status.max_responses,
        responses=[{"number": a.number, "received_at": iso(a.received_at), "size": a.size} for a in answers],
    )


@bp.get("/<public_id>/responses/<int:number>")
def fetch_response(public_id: str, number: int):
    key = managed_key(public_id, "request")
    found = store().response(key, number, current_time()) if number <= RESPONSE_NUMBER_MAX else None
    if found is None:
        raise ApiError(404, "not_found", "These answers are not on the server: they were deleted, or the request expired.")
    ciphertext, received_at = found
    return jsonify(ciphertext=envelope.encode_base64url(ciphertext), received_at=iso(received_at))


@bp.delete("/<public_id>/responses/<int:number>")
def delete_response(public_id: str, number: int):
    key = managed_key(public_id, "request")
    if number > RESPONSE_NUMBER_MAX or not store().delete_response(key, number):
        raise ApiError(404, "not_found", "These answers are not on the server any more.")
    return "", 204


@bp.delete("/<public_id>")
def close_request(public_id: str):
    key = managed_key(public_id, "request")
    if store().close_request(key, current_time()) is None:
        raise ApiError(404, "not_found", NO_REQUEST)
    return "", 204
