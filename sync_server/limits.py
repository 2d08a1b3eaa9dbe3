"""Rate limits on creating and claiming shares (Flask-Limiter).

Clients are told apart by an HMAC of their network (``networks.py``: an IPv4 address, an IPv6 /64) under the
server's secret, never the address itself, so neither the limiter's counters nor its storage ever hold an
IP address.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

from . import limit_storage  # noqa: F401  (registers the sqlite:/// scheme with the limits library)
from .config import Settings
from .networks import SITE_BUDGET_PEOPLE, client_network, site_network
from .shares_api import MAX_LIFETIME
from .store.base import ANSWER_KEPT_SECONDS


def _fingerprint(network: str) -> str:
    return hmac.new(current_app.config["RATE_LIMIT_KEY"], network.encode(), hashlib.sha256).hexdigest()[:32]


def client_fingerprint() -> str:
    """The client's network (``networks.client_network``: an IPv6 /64 counts as one), keyed."""
    return _fingerprint(client_network(request.remote_addr or "unknown"))


def site_fingerprint() -> str:
    """The client's site (an IPv6 /48), keyed: the wider tier of the daily budget."""
    return _fingerprint(site_network(request.remote_addr or "unknown"))


DAILY_BUDGET_MESSAGE = "You have shared as much as one person may today. Nothing was stored; you can share again tomorrow."
# As the store fills, what one person may store shrinks, so that a crowd from many networks cannot take the
# last of it: (fullness from which it applies, share of --daily-bytes-per-person, over how long). Each level
# counts on its own, so someone who used their whole allowance while the store was calm still has the smaller
# one when it is under pressure (an attacker too: the arithmetic is in the README). The allowances shrink
# faster than the room left does, so the more networks push, the sooner each stops. Under pressure they run
# over the longest time anything stored is kept, so what one network holds at any moment is at most what it
# was allowed, however many days it keeps at it. The smallest is still more than the largest body the API
# takes (360 KiB) with the default allowance.
HELD_AT_MOST_SECONDS = max(ANSWER_KEPT_SECONDS, MAX_LIFETIME)
PRESSURE_ALLOWANCES = ((0.0, 1, 86_400), (0.5, 1 / 4, HELD_AT_MOST_SECONDS), (0.75, 1 / 8, HELD_AT_MOST_SECONDS))
PRESSURE_MESSAGE = (
    "The server is holding a lot right now, so each person may store less for a while. Nothing was stored; "
    "you can try again in a few days."
)
# Which views each configurable limit applies to (each view counts on its own): "create" is everything that
# stores something, "claim" what guesses at a share's proof.
LIMITED_VIEWS = {
    "create": ("shares.create_share", "requests.create_request", "requests.respond"),
    "claim": ("shares.claim_share",),
}
# The views whose bodies are stored, and so spend one person's daily budget of bytes, together.
STORING_VIEWS = ("shares.create_share", "requests.respond")


def pressure_level() -> int:
    """Which of PRESSURE_ALLOWANCES this request meets: the store's fullness, read once a request."""
    if "pressure_level" not in g:
        fullness = current_app.extensions["share_store"].fullness()
        g.pressure_level = max(level for level, (start, _, _) in enumerate(PRESSURE_ALLOWANCES) if fullness >= start)
    return g.pressure_level


def item_fair_share(settings: Settings) -> int:
    """One item's fair share of the store: its bytes over its count (0 with either uncapped)."""
    if not (settings.max_stored_shares and settings.max_stored_bytes):
        return 0
    return settings.max_stored_bytes // settings.max_stored_shares


def stored_item_cost(settings: Settings):
    """What storing this request's body spends of a daily allowance: its size, and never less than one item's
    fair share of the store, so that the byte allowance bounds how many items a person adds as well as how
    many bytes (the store's count fills no faster than its bytes)."""
    fair_share = item_fair_share(settings)
    return lambda: max(request.content_length or 0, fair_share)


def check_allowances(settings: Settings) -> None:
    """Settings under which a person could store nothing once the store is under pressure stop the start."""
    smallest = int(settings.daily_bytes_per_person * PRESSURE_ALLOWANCES[-1][1])
    if settings.daily_bytes_per_person and smallest < item_fair_share(settings):
        raise ValueError(
            f"--daily-bytes-per-person {settings.daily_bytes_per_person:,} leaves one person {smallest:,} bytes a day "
            f"when the store is under pressure, less than one item counts ({item_fair_share(settings):,} bytes: "
            "--max-stored-bytes over --max-stored-shares); raise it, or lower --max-stored-bytes"
        )


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
    check_allowances(settings)
    if settings.daily_bytes_per_person:
        # One person's budget of stored bytes, shared by shares and answers sent to requests: each spends its
        # body's size (stored_item_cost), before the view runs (so a refused body counts too, and probing for
        # the limit costs as much as filling it). And a site's (an IPv6 /48, which holds 65,536 /64s):
        # SITE_BUDGET_PEOPLE people's budgets together. Each is counted at the store's pressure level.
        tiers = (("daily-bytes", client_fingerprint, 1), ("daily-bytes-site", site_fingerprint, SITE_BUDGET_PEOPLE))
        for level, (_, share, seconds) in enumerate(PRESSURE_ALLOWANCES):
            for scope, key_func, people in tiers:
                budget = limiter.shared_limit(
                    f"{int(settings.daily_bytes_per_person * share) * people} per {seconds} seconds",
                    scope=f"{scope}-{level}",
                    key_func=key_func,
                    cost=stored_item_cost(settings),
                    exempt_when=lambda level=level: pressure_level() != level,
                    error_message=DAILY_BUDGET_MESSAGE if level == 0 else PRESSURE_MESSAGE,
                )
                for endpoint in STORING_VIEWS:
                    app.view_functions[endpoint] = budget(app.view_functions[endpoint])
