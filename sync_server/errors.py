"""Every error under ``/api`` is JSON ``{"error": code, "message": text}``, never an HTML page."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from limits.errors import StorageError
from werkzeug.exceptions import HTTPException, InternalServerError

from .envelope import EnvelopeError
from .paths import is_api_path
from .store import StoreFull, StoreUnavailable


class ApiError(Exception):
    """An error the API reports to the client as it is."""

    def __init__(self, status: int, code: str, message: str, close: bool = False, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra
        self.close = close  # end the connection: what is left of the request cannot be trusted


def error_response(status: int, code: str, message: str, **extra):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    return response


def _handle_api_error(error: ApiError):
    response = error_response(error.status, error.code, error.message, **error.extra)
    if error.close:
        response.headers["Connection"] = "close"
    return response


def _handle_envelope_error(error: EnvelopeError):
    """A ciphertext, key or token that is not what the API takes: the check's own status and words."""
    return error_response(error.status, error.code, error.message)


def _handle_http_exception(error: HTTPException):
    if not is_api_path(request.path):
        return error
    code = (error.name or "error").lower().replace(" ", "_")
    response = error_response(error.code or 500, code, error.description or error.name)
    for name in ("Allow", "Retry-After"):
        if error.get_headers() and dict(error.get_headers()).get(name):
            response.headers[name] = dict(error.get_headers())[name]
    return response


def _route() -> str:
    """The matched route's pattern (``/api/shares/<public_id>/claim``), never the path, which holds ids."""
    return request.url_rule.rule if request.url_rule else "(no route)"


def _handle_unexpected(error: Exception):
    """Log the crash with its traceback, so an operator sees it, but name only the route's pattern: the path
    itself carries share ids, and nothing of the request's body, tokens or address is logged."""
    current_app.logger.error("unexpected error in %s %s", request.method, _route(), exc_info=error)
    if not is_api_path(request.path):
        return InternalServerError()
    return error_response(500, "internal_error", "Something went wrong on the server. Nothing was changed.")


def _handle_store_unavailable(error: StoreUnavailable | StorageError):
    """The client learns only that sharing is down; the log says why, in the store driver's words ("database
    or disk is full", "ConnectionError"), with the route's pattern and nothing of the request. The limiter's
    storage failing counts the same: a request it cannot count is not let through."""
    if isinstance(error, StorageError):
        what, cause = "rate-limit storage", error.storage_error
        cause = f"{type(cause).__name__}: {cause}"
    else:
        what, cause = "share store", error
    current_app.logger.error("%s unavailable in %s %s: %s", what, request.method, _route(), cause)
    return error_response(
        503, "store_unavailable", "Sharing is unavailable right now. Nothing was changed; please try again later."
    )


def _handle_store_full(error: StoreFull):
    """507 with a plain word to the person; the log tells the operator how full the store is (counts only)."""
    current_app.logger.warning("share store full in %s %s: %s", request.method, _route(), error)
    return error_response(
        507,
        "storage_full",
        "The server has no room for new shares right now. Nothing was stored; please try again later.",
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(EnvelopeError, _handle_envelope_error)
    app.register_error_handler(StoreFull, _handle_store_full)
    app.register_error_handler(StoreUnavailable, _handle_store_unavailable)
    app.register_error_handler(StorageError, _handle_store_unavailable)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
