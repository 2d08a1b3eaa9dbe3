"""Security headers on every response.

The policy allows only this origin: the pages, their scripts and styles, Pyodide's WebAssembly (which
needs 'wasm-unsafe-eval', and nothing looser), and the module worker that runs it. No inline script is
allowed, which is why Material's small inline scripts are served as files (see ``overrides/``).
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from .paths import API_PREFIX, is_api_path

# Each directive of the Content-Security-Policy.
POLICY = (
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


def content_security_policy(api_origin: str = "") -> str:
    """The policy; ``api_origin`` is the sync API's origin when the site is hosted apart from it."""
    connect = f"connect-src 'self' {api_origin}".rstrip()
    return "; ".join(connect if directive.startswith("connect-src") else directive for directive in POLICY)


CONTENT_SECURITY_POLICY = content_security_policy()

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()",
}


# Paths no search engine should keep: the open page only ever shows a link's contents.
NOT_INDEXED = (f"{API_PREFIX}/", "/open")


def static_headers(path: str) -> dict[str, str]:
    """The security headers for a path of the site: the one definition the server, the static-file server
    and the generated ``_headers`` file for static hosts all use."""
    headers = dict(HEADERS)
    if path.startswith(NOT_INDEXED):
        headers["X-Robots-Tag"] = "noindex, nofollow"
    return headers


class SecurityHeaders:
    """WSGI middleware giving every response of the app its security headers (and, under ``/api/``, no
    caching at all). The header lists are made once, here; a response only gains one of them. Done in
    Flask's ``after_request`` instead, werkzeug checked and set each header on every response: about 45 µs
    of a request's 600 µs of server CPU. Static files get the same headers from WhiteNoise (``site.py``)."""

    def __init__(self, app):
        self.app = app
        self.page = list(static_headers("/").items())
        self.not_indexed = list(static_headers(NOT_INDEXED[1]).items())
        self.api = list(static_headers(f"{API_PREFIX}/").items()) + [("Cache-Control", "no-store")]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if is_api_path(path):

            def start_api_response(status, headers, exc_info=None):
                kept = [header for header in headers if header[0].lower() != "cache-control"]
                return start_response(status, kept + self.api, exc_info)

            return self.app(environ, start_api_response)
        extra = self.not_indexed if path.startswith(NOT_INDEXED) else self.page

        def start_page_response(status, headers, exc_info=None):
            return start_response(status, headers + extra, exc_info)

        return self.app(environ, start_page_response)


def init_app(app: Flask, allowed_origin: str = "") -> None:
    app.wsgi_app = SecurityHeaders(app.wsgi_app)
    if allowed_origin:
        # Only for a site hosted on another origin than the API; without it the browser's same-origin
        # rule stands and no CORS header is ever sent.
        CORS(
            app,
            resources={rf"{API_PREFIX}/*": {"origins": [allowed_origin]}},
            allow_headers=["Content-Type", "Authorization"],
            methods=["GET", "POST", "DELETE"],
            max_age=600,
        )
