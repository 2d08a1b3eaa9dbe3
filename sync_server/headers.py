"""Security headers on every response.

The policy allows only this origin: the pages, their scripts and styles, Pyodide's WebAssembly (which
needs 'wasm-unsafe-eval', and nothing looser), and the module worker that runs it. No inline script is
allowed, which is why Material's small inline scripts are served as files (see ``overrides/``).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        # Material sets a few style attributes from script (the header's shadow, the search box).
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()",
}


def add_security_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    if request.path.startswith(("/api/", "/open")):
        # The open page only ever shows a link's contents; no search engine should keep it.
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def init_app(app: Flask, allowed_origin: str = "") -> None:
    app.after_request(add_security_headers)
    if allowed_origin:
        # Only for a site hosted on another origin than the API; without it the browser's same-origin
        # rule stands and no CORS header is ever sent.
        CORS(app, resources={r"/api/*": {"origins": [allowed_origin]}}, allow_headers=["Content-Type", "Authorization"],
             methods=["GET", "POST", "DELETE"], max_age=600)
