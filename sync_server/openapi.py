"""The OpenAPI document served at ``/api/openapi.json``. Its shape (paths, schemas, words) is written in
``openapi.json``; every limit, default and list of values in it is put in here from the code that enforces
it, so the document cannot drift from the API. A field named here that the file lacks stops the import."""

from __future__ import annotations

import json
from pathlib import Path

from . import envelope, requests_api, shares_api
from .api_common import MAX_TOKEN_CHARS
from .store.base import MAX_WRONG_PROOFS

SHAPE = Path(__file__).with_name("openapi.json")


def _base64url_chars(size: int) -> int:
    return (size * 4 + 2) // 3


# (schema, field) → what the code declares for it.
FROM_CODE = {
    ("CreateShare", "claim_hash"): {
        "minLength": _base64url_chars(shares_api.CLAIM_HASH_BYTES),
        "maxLength": _base64url_chars(shares_api.CLAIM_HASH_BYTES),
    },
    ("CreateShare", "expires_in"): {
        "minimum": shares_api.MIN_LIFETIME,
        "maximum": shares_api.MAX_LIFETIME,
        "default": shares_api.DEFAULT_LIFETIME,
    },
    ("Claim", "claim_token"): {"minLength": 1, "maxLength": MAX_TOKEN_CHARS},
    ("WrongProof", "attempts_left"): {"minimum": 0, "maximum": MAX_WRONG_PROOFS - 1},
    ("Gone", "reason"): {"enum": list(shares_api.SHARE_GONE_MESSAGES)},
    ("CreateRequest", "kem"): {"enum": list(envelope.KEMS)},
    ("CreateRequest", "expires_in"): {
        "minimum": requests_api.MIN_REQUEST_LIFETIME,
        "maximum": requests_api.MAX_REQUEST_LIFETIME,
        "default": requests_api.DEFAULT_REQUEST_LIFETIME,
    },
    ("CreateRequest", "max_responses"): {
        "minimum": 1,
        "maximum": requests_api.MAX_RESPONSES,
        "default": requests_api.DEFAULT_MAX_RESPONSES,
    },
    ("Request", "kem"): {"enum": list(envelope.KEMS)},
    ("RequestGone", "reason"): {"enum": list(requests_api.GONE_MESSAGES)},
}


def field_schema(document: dict, schema: str, field: str) -> dict:
    """A field's schema inside a component (directly, or in one part of an ``allOf``)."""
    component = document["components"]["schemas"][schema]
    for part in [component, *component.get("allOf", [])]:
        if field in part.get("properties", {}):
            return part["properties"][field]
    raise KeyError(f"openapi.json has no field {field} in {schema}: sync_server/openapi.py fills it in")


def document() -> dict:
    """The document as served: the file's shape with the code's facts put in."""
    made = json.loads(SHAPE.read_text())
    for (schema, field), facts in FROM_CODE.items():
        field_schema(made, schema, field).update(facts)
    return made


DOCUMENT = document()
