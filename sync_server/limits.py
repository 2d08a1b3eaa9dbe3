"""Rate limits on creating and claiming shares (Flask-Limiter).

Clients are told apart by an HMAC of their network (``networks.py``: an IPv4 address, an IPv6 /64) under the
server's secret, never the address itself, so neither the limiter's counters nor its storage ever hold an
IP address.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, request
from flask_limiter import Limiter

from . import limit_storage  # noqa: F401  (registers the sqlite:/// scheme with the limits library)
from .config import Settings
from .networks import SITE_BUDGET_PEOPLE, client_network, site_network


def _fingerprint(network: str) -> str:
    return hmac.new(current_app.config["RATE_LIMIT_KEY"], network.encode(), hashlib.sha256).hexdigest()[:32]


def client_fingerprint() -> str:
    """The client's network (``networks.client_network``: an IPv6 /64 counts as one), keyed."""
    return _fingerprint(client_network(request.remote_addr or "unknown"))


def site_fingerprint() -> str:
    """The client's site (an IPv6 /48), keyed: the wider tier of the daily budget."""
    return _fingerprint(site_network(request.remote_addr or "unknown"))


DAILY_BUDGET_MESSAGE = "You have shared as much as one person may today. Nothing was stored; you can share again tomorrow."
# Which views each configurable limit applies to (each view counts on its own): "create" is everything that
# stores something, "claim" what guesses at a share's proof.
LIMITED_VIEWS = {
    "create": ("api.create_share", "requests.create_request", "requests.respond"),
    "claim": ("api.claim_share",),
}
# The views whose bodies are stored, and so spend one person's daily budget of bytes, together.
STORING_VIEWS = ("api.create_share", "requests.respond")


def parse_rate_limits(text: str) -> dict[str, str]:
    """'create=20/hour;50/day,claim=30/hour' → {'create': '20/hour;50/day', 'claim': '30/hour'}; 'off' → {}."""
    if text.strip().lower() in ("off", "none", ""):
        return {}
    limits = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in LIMITED_VIEWS or not value.strip():
            raise ValueError(f"rate limits look like 'create=20/hour,claim=30/hour' or 'off'; got {part!r}")
        limits[name.strip()] = value.strip()
    return limits


def init_app(app: Flask, settings: Settings, secret: str) -> None:
    """Wrap the limited views (register the blueprints first). With limits off nothing is wrapped at all (and
    no counters are stored), so a load test measures the API rather than a limiter that only decides to do
    nothing."""
    limits = parse_rate_limits(settings.rate_limits)
    if not limits:
        return
    storage_uri = settings.rate_limit_storage_url
    app.config["RATE_LIMIT_KEY"] = hmac.new(secret.encode(), b"rate-limit-client", hashlib.sha256).digest()
    # The storage's own errors arrive wrapped as limits.errors.StorageError: sync_server.errors answers them
    # with a 503, as for the share store, rather than letting a request through uncounted.
    limiter = Limiter(
        client_fingerprint,
        app=app,
        storage_uri=storage_uri,
        storage_options={"wrap_exceptions": True},
        default_limits=[],
        headers_enabled=True,
    )
    for name, limit in limits.items():
        for endpoint in LIMITED_VIEWS[name]:
            app.view_functions[endpoint] = limiter.limit(limit)(app.view_functions[endpoint])
    if settings.daily_bytes_per_person:
        # One person's budget of stored bytes, shared by shares and answers sent to requests: each spends its
        # body's size, before the view runs (so a refused body counts too, and probing for the limit costs
        # as much as filling it). And a site's (an IPv6 /48, which holds 65,536 /64s): SITE_BUDGET_PEOPLE
        # people's budgets together.
        tiers = (("daily-bytes", client_fingerprint, 1), ("daily-bytes-site", site_fingerprint, SITE_BUDGET_PEOPLE))
        for scope, key_func, people in tiers:
            budget = limiter.shared_limit(
                f"{settings.daily_bytes_per_person * people}/day",
                scope=scope,
                key_func=key_func,
                cost=lambda: request.content_length or 0,
                error_message=DAILY_BUDGET_MESSAGE,
            )
            for endpoint in STORING_VIEWS:
                app.view_functions[endpoint] = budget(app.view_functions[endpoint])
