"""The sync server: serves the built site and, under ``/api``, one-time encrypted shares and therapists'
requests for sealed answers.

``create_app`` is the application factory (``flask --app sync_server run`` works too); ``python -m
sync_server`` runs it under gunicorn with the options in ``sync_server.__main__``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import body, errors, headers, limits, requests_api, service_api, shares_api, site
from .config import Settings
from .store import open_store
from .tokens import Tokens

# Base64 of a 256 KiB envelope plus the JSON around it; anything larger is refused before it is read.
MAX_REQUEST_BYTES = 360 * 1024


def create_app(settings: Settings | None = None, clock: Callable[[], float] = time.time) -> Flask:
    """The app for ``settings`` (from the environment by default). ``clock`` is what the API takes as now:
    tests give one they can move."""
    settings = settings or Settings.from_env()
    secret_keys = settings.ensure_secret_keys()
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SETTINGS=settings,
        SITE_DIR=settings.site_dir.resolve(),
        MAX_CONTENT_LENGTH=MAX_REQUEST_BYTES,
    )  # no SECRET_KEY: nothing uses Flask's session cookie, and with a key Flask would set up a cookie signer on every request
    app.extensions["share_store"] = open_store(
        settings.store_url, settings.sqlite_synchronous, settings.max_stored_shares, settings.max_stored_bytes
    )
    app.extensions["share_tokens"] = Tokens(secret_keys)
    app.extensions["clock"] = clock
    errors.init_app(app)
    body.init_app(app)
    headers.init_app(app, settings.allowed_origin)
    app.register_blueprint(service_api.bp)
    app.register_blueprint(shares_api.bp)
    app.register_blueprint(requests_api.bp)
    app.register_blueprint(site.bp)
    limits.init_app(app, settings, secret_keys[0])
    if settings.proxy_count:
        # Trust exactly the proxies the operator put in front: the rate limits then count the person's
        # address, not the proxy's, and one person cannot pass for many by forging the header.
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    site.serve_static_files(app, app.config["SITE_DIR"])
    return app
