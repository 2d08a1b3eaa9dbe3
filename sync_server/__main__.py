"""``python -m sync_server``: serve the site and the API with gunicorn.

Every option can also be set in the environment as ``SYNC_<OPTION>`` (for example ``SYNC_PORT=9000``); all
of them are declared once, in ``sync_server.config.Settings``.
Gunicorn writes no access log here (``sync_server.logs``): a request line would carry share ids and client addresses.
"""

from __future__ import annotations

import argparse
import logging
import sys

from gunicorn.app.base import BaseApplication

from . import create_app
from .config import Settings, options
from .limit_storage import prepare_limit_storage
from .limits import parse_rate_limits
from .logs import NoAccessLog, configure, logging_config
from .store import StoreUnavailable, prepare_store
from .worker import REQUEST_DEADLINE_SECONDS

# How gunicorn runs the app, whatever the options (bench/load.py runs its peers with these same settings).
GUNICORN_SETTINGS = {
    "worker_class": "gthread",
    # Threads are cheap. Under the server's own worker no thread waits on a client (sync_server.worker); under
    # plain gthread, as bench/load.py runs its peers, each slow client holds one until it is done.
    "threads": 16,
    # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new connections
    # across them. On one shared socket, whichever worker woke first took them: in 7 of 30 load runs one
    # worker held all 32 keep-alive connections while the other idled.
    "reuse_port": True,
    "timeout": 30,
    # On SIGTERM a worker stops accepting and finishes what it has: a body still arriving gets its full
    # deadline, and its answer a moment more.
    "graceful_timeout": REQUEST_DEADLINE_SECONDS + 5,
}


def worker_ready(worker) -> None:
    """Gunicorn's ``post_worker_init`` hook: a line per worker that has loaded the app and serves, so a log shows
    that every worker booted (gunicorn's own "Booting worker" line is below the level logged)."""
    logging.getLogger(__package__).info("worker %d ready", worker.pid)


class Server(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.settings.workers)
        self.cfg.set("worker_connections", self.settings.worker_connections)
        for name, value in GUNICORN_SETTINGS.items():
            self.cfg.set(name, value)
        # gthread that reads each request whole before a thread takes it, and caps connections per address
        # (sync_server.worker); the benchmark's peers run plain gthread, which this only adds to.
        self.cfg.set("worker_class", "sync_server.worker.BufferingWorker")
        self.cfg.set("post_worker_init", worker_ready)
        self.cfg.set("logger_class", NoAccessLog)
        self.cfg.set("logconfig_dict", logging_config(self.settings.log_format))

    def load(self):
        return create_app(self.settings)


def _argument_type(spec):
    """``spec.parse`` with its own message shown on a bad value (argparse hides a ValueError's)."""

    def parse(raw: str):
        try:
            return spec.parse(raw)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def parse_arguments(argv: list[str]) -> Settings:
    """The settings from ``argv``, over those from the environment, over the defaults: every option is made
    from its declaration in ``sync_server.config``."""
    try:
        settings = Settings.from_env()
    except ValueError as error:
        raise SystemExit(f"python -m sync_server: {error}") from None
    parser = argparse.ArgumentParser(
        prog="python -m sync_server",
        description=__doc__.splitlines()[0],
        epilog="Each option can also be set in the environment, as shown.",
    )
    for spec in options():
        parser.add_argument(
            spec.flag,
            dest=spec.name,
            type=_argument_type(spec),
            default=getattr(settings, spec.name),
            metavar=spec.name.upper(),
            help=f"{spec.help} Default: {spec.shown_default}. Environment: {spec.env}.".replace("%", "%%"),
        )
    arguments = parser.parse_args(argv)
    for name, value in vars(arguments).items():
        setattr(settings, name, value)
    return settings


def prepare_data(settings: Settings) -> None:
    """What a first start makes in the data folder (the secret key, the SQLite files and their tables), made
    here once, before the workers start, so that they all share one key and none of them races another to
    create a file. Each worker's own set-up repeats the files' part under a lock, safely (``sqlite_files``)."""
    settings.ensure_secret_keys()
    prepare_store(settings.store_url)
    if parse_rate_limits(settings.rate_limits):
        prepare_limit_storage(settings.rate_limit_storage_url)


def main(argv: list[str] | None = None) -> int:
    settings = parse_arguments(sys.argv[1:] if argv is None else argv)
    configure(settings.log_format)
    log = logging.getLogger(__package__)
    if not (settings.site_dir / "index.html").is_file():
        log.warning("no built site in %s; serving the API only (build it with `python -m site_tools.build`)", settings.site_dir)
    try:
        prepare_data(settings)
    except (OSError, ValueError, StoreUnavailable) as error:
        log.error("cannot prepare the data folder %s: %s", settings.data_dir, error)
        return 1
    log.info("Serving on http://%s:%s", settings.host, settings.port)
    Server(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
