"""Serves the built static site from ``site/``, with caching fit for each kind of file."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, request, send_from_directory
from werkzeug.routing import PathConverter
from werkzeug.security import safe_join

# Module workers and streaming WebAssembly compilation need these exact types; Python's table may lack them.
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("application/manifest+json", ".webmanifest")

# Files under a versioned folder never change, so the browser may keep them for a year without asking.
IMMUTABLE_PREFIXES = ("pyodide/",)

class SitePath(PathConverter):
    """Any path except the API's, so the site's catch-all never answers for (or advertises methods on) it."""

    regex = r"(?!api(?:/|$))[^/].*?"


bp = Blueprint("site", __name__)


@bp.record_once
def _register_converter(state):
    state.app.url_map.converters["sitepath"] = SitePath


@bp.get("/", defaults={"path": ""})
@bp.get("/<sitepath:path>")
def page(path: str):
    site_dir: Path = current_app.config["SITE_DIR"]
    target = safe_join(str(site_dir), path)
    if target is None:
        abort(404)
    if Path(target).is_dir():
        if path and not path.endswith("/"):
            # Relative links in a directory page only resolve with the trailing slash.
            query = f"?{request.query_string.decode()}" if request.query_string else ""
            return redirect(f"{request.script_root}/{path}/{query}", code=308)
        path = f"{path}index.html"
    if not (site_dir / path).is_file():
        return _not_found(site_dir)
    immutable = path.startswith(IMMUTABLE_PREFIXES)
    response = send_from_directory(site_dir, path, max_age=31536000 if immutable else 0)
    response.cache_control.immutable = immutable or None
    if not immutable:
        response.cache_control.no_cache = True
    return response


def _not_found(site_dir: Path):
    if (site_dir / "404.html").is_file():
        response = send_from_directory(site_dir, "404.html", max_age=0)
        response.status_code = 404
        return response
    abort(404)
