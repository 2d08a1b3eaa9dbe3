"""What every API blueprint shares: the app's clock, store and tokens, reading a JSON
body, and finding a share or request from its public id.

The clock is the app's (``create_app(clock=...)``, ``time.time`` by default), so a test moves time by giving
the app a clock of its own, never by patching a module.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app, request

from .errors import ApiError

MAX_TOKEN_CHARS = 128
PURGE_EVERY_SECONDS = 60


def current_time() -> int:
    """Now, by the app's clock, in whole seconds."""
    return int(current_app.extensions["clock"]())


def iso(timestamp: int | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat().replace("+00:00", "Z")


def store():
    return current_app.extensions["share_store"]


def tokens():
    return current_app.extensions["share_tokens"]


def purge_now_and_then(now: int) -> None:
    """Erase expired data at most once a minute per process: often enough that nothing outlives its expiry
    by more than a minute (claims check expiry themselves), rarely enough to cost nothing under load."""
    last = current_app.extensions.setdefault("share_last_purge", {"at": None})
    if last["at"] is None or abs(now - last["at"]) >= PURGE_EVERY_SECONDS:
        last["at"] = now
        store().purge(now)


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
