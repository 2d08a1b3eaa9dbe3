"""How the server logs: one configuration for gunicorn's own lines and the app's, as text for people or as
one JSON object per line for log collectors (``--log-format``).

What is logged is decided elsewhere and kept free of user data: crashes with their traceback and the
route's pattern (``sync_server.errors``), a store that fails and why, gunicorn's worker lines. Never a
request line: it would carry share ids and addresses, so ``NoAccessLog`` makes the access log a no-op
whatever else is configured (gunicorn turns its access log on as soon as a logging dict is given).
"""

from __future__ import annotations

import logging.config

from gunicorn.glogging import Logger

FORMATTERS = {
    "text": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"},
    "json": {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(asctime)s %(process)d %(levelname)s %(name)s %(message)s",
        "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        "timestamp": False,
    },
}


def logging_config(log_format: str) -> dict:
    """A ``logging.config.dictConfig`` for ``log_format`` (``text`` or ``json``): everything to stderr,
    gunicorn's lines from WARNING up, the app's from INFO up."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": FORMATTERS[log_format]},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        },
    }


def configure(log_format: str) -> None:
    logging.config.dictConfig(logging_config(log_format))


# Gunicorn's own lines that carry what a client sent: a malformed request's address and echoed request line
# (share ids included), and a crash's request line. Each is written without its arguments.
REDACTED = {
    "Invalid request from ip=": "Invalid request refused (its address and request line are not logged)",
    "Error handling request": "Error handling a request (its request line is not logged)",
}


def redacted(msg: object) -> object:
    """The line to write in place of ``msg`` when it is one that would carry what a client sent."""
    if isinstance(msg, str):
        for start, replacement in REDACTED.items():
            if msg.startswith(start):
                return replacement
    return msg


class NoAccessLog(Logger):
    """Gunicorn's logger without an access log (not even the request's fields are gathered), whose error
    lines never carry a client's address or request line."""

    def access(self, resp, req, environ, request_time):
        return None

    def warning(self, msg, *args, **kwargs):
        safe = redacted(msg)
        super().warning(safe, *(() if safe is not msg else args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        safe = redacted(msg)
        super().exception(safe, *(() if safe is not msg else args), **kwargs)
