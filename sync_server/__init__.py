"""The sync server: serves the built site and, under ``/api``, one-time encrypted shares.

``create_app`` is the application factory (``flask --app sync_server run`` works too); ``python -m
sync_server`` runs it under gunicorn with the options in ``sync_server.__main__``.
"""

from __future__ import annotations

from flask import Flask

from . import api, errors, headers, site
from .config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, static_folder=None)
    app.config.update(
        SETTINGS=settings,
        SITE_DIR=settings.site_dir.resolve(),
        MAX_CONTENT_LENGTH=512 * 1024,
        JSON_SORT_KEYS=False,
    )
    errors.init_app(app)
    headers.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(site.bp)
    return app
