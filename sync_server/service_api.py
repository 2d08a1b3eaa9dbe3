"""The API's own endpoints under ``/api``: liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from flask import Blueprint, jsonify

from .api_common import store
from .openapi import DOCUMENT
from .paths import API_PREFIX

bp = Blueprint("service", __name__, url_prefix=API_PREFIX)


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
    """The API described (sync_server/openapi.py: the shape from openapi.json, the facts from the code)."""
    return jsonify(DOCUMENT)
