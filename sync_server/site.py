"""Serves the built static site from ``site/`` through WhiteNoise, made for exactly this: the build's
precompressed copies (``.br``, ``.gz``) chosen by the request's ``Accept-Encoding`` with ``Vary``, ETags and
304s, HEAD and Range requests, and directory index pages. Flask answers only what is not a file: the API,
and the site's own 404 page.

Cache policy: a file whose path carries a version or a content hash never changes, so the browser keeps it
for a year without asking; everything else (pages, the web manifest, the service worker, the site's own
modules and styles) is revalidated on every use, so a new build reaches people on their next visit.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from werkzeug.routing import PathConverter
from whitenoise import WhiteNoise

from .headers import static_headers

TYPES = {
    # Module workers and streaming WebAssembly compilation need these exact types.
    ".mjs": "text/javascript",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
}
# Pyodide under its version's folder, and Material's bundles with a content hash in their names.
IMMUTABLE = re.compile(r"^/(pyodide/\d[^/]*/|assets/(javascripts|stylesheets)/.+\.[0-9a-f]{8,}\.min\.(js|css)$)")
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
REVALIDATE_CACHE = "no-cache"


def cache_control(url: str) -> str:
    return IMMUTABLE_CACHE if IMMUTABLE.match(url) else REVALIDATE_CACHE


def _add_headers(headers, path: str, url: str) -> None:
    """WhiteNoise's hook, called once per file at start: security headers and the cache policy."""
    for name, value in static_headers(url).items():
        headers[name] = value
    headers["Cache-Control"] = cache_control(url)


def serve_static_files(app: Flask, site_dir: Path) -> None:
    """Put WhiteNoise in front of the app for every file of the built site (read once, at start). Without a
    built site the server runs the API alone (``python -m sync_server`` says so at start)."""
    if not site_dir.is_dir():
        return
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=site_dir,
        index_file=True,
        max_age=None,
        allow_all_origins=False,
        mimetypes=TYPES,
        add_headers_function=_add_headers,
    )


class SitePath(PathConverter):
    """Any path except the API's, so the site's catch-all never answers for (or advertises methods on) it."""

    regex = r"(?!api(?:/|$))[^/].*?"


bp = Blueprint("site", __name__)


@bp.record_once
def _register_converter(state):
    state.app.url_map.converters["sitepath"] = SitePath


@bp.route("/", defaults={"path": ""})
@bp.route("/<sitepath:path>")
def not_a_file(path: str):
    """Whatever WhiteNoise did not find is not part of the site (a compressed copy, a stale link, a probe)."""
    site_dir: Path = current_app.config["SITE_DIR"]
    if (site_dir / "404.html").is_file():
        response = send_from_directory(site_dir, "404.html", max_age=0)
        response.status_code = 404
        response.cache_control.no_cache = True
        return response
    abort(404)
