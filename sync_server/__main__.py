"""``python -m sync_server``: serve the site and the API with gunicorn.

Every option can also be set in the environment as ``SYNC_<OPTION>`` (for example ``SYNC_PORT=9000``;
``SYNC_SECRET_KEYS`` for ``--secret-key``).
Gunicorn writes no access log here: a request line would carry share ids and client addresses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gunicorn.app.base import BaseApplication

from . import create_app
from .config import Settings


class Server(BaseApplication):
    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self):
        self.cfg.set("bind", f"{self.settings.host}:{self.settings.port}")
        self.cfg.set("workers", self.settings.workers)
        self.cfg.set("worker_class", "gthread")
        # Threads are cheap and each slow client holds one until the body deadline (sync_server.body).
        self.cfg.set("threads", 16)
        self.cfg.set("accesslog", None)
        self.cfg.set("errorlog", "-")
        self.cfg.set("loglevel", "warning")
        self.cfg.set("timeout", 30)

    def load(self):
        return create_app(self.settings)


def parse_arguments(argv: list[str]) -> Settings:
    settings = Settings.from_env()
    parser = argparse.ArgumentParser(prog="python -m sync_server", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=settings.host, help="address to listen on (default %(default)s)")
    parser.add_argument("--port", type=int, default=settings.port, help="port to listen on (default %(default)s)")
    parser.add_argument("--workers", type=int, default=settings.workers, help="gunicorn worker processes")
    parser.add_argument("--site-dir", type=Path, default=settings.site_dir, help="the built site to serve")
    parser.add_argument("--data-dir", type=Path, default=settings.data_dir, help="where data and the secret live")
    parser.add_argument("--store", default=settings.store, help="store URL: sqlite:///PATH or redis://HOST:PORT/DB "
                        "(default: SQLite in the data folder)")
    parser.add_argument("--secret-key", dest="secret_keys", type=lambda text: [k for k in text.split(",") if k],
                        default=settings.secret_keys, help="signing keys, newest first, comma-separated "
                        "(default: one generated and kept in the data folder)")
    parser.add_argument("--allowed-origin", default=settings.allowed_origin,
                        help="origin of a site hosted elsewhere that may call the API (default: none, no CORS)")
    parser.add_argument("--rate-limits", default=settings.rate_limits,
                        help="Flask-Limiter limits, e.g. 'create=20/hour,claim=30/hour', or 'off' (default %(default)s)")
    parser.add_argument("--proxy-count", type=int, default=settings.proxy_count,
                        help="reverse proxies in front whose X-Forwarded-For/-Proto/-Host to trust (default %(default)s: none)")
    arguments = parser.parse_args(argv)
    for name, value in vars(arguments).items():
        setattr(settings, name, value)
    return settings


def main(argv: list[str] | None = None) -> int:
    settings = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not (settings.site_dir / "index.html").is_file():
        print(f"note: no built site in {settings.site_dir}; serving the API only "
              "(build it with `python -m site_tools.build`)", file=sys.stderr)
    settings.ensure_secret_keys()  # once, before the workers start, so they all share one key
    print(f"Serving on http://{settings.host}:{settings.port}", flush=True)
    Server(settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
