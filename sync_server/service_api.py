"""The API's own endpoints under ``/api``: liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, jsonify, send_file

from .api_common import store
from .paths import API_PREFIX

bp = Blueprint("service", __name__, url_prefix=API_PREFIX)
OPENAPI_DOCUMENT = Path(__file__).with_name("openapi.json")


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


@bp.get("/openapi.json")
def openapi():
    return send_file(OPENAPI_DOCUMENT, mimetype="application/json", max_age=0)
