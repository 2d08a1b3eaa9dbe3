"""Settings, read from command-line options or the environment (``SYNC_*``), with safe defaults.

The defaults make ``python -m sync_server`` work on a fresh clone: the built site from ``site/``, data in
``var/``, a secret key generated there on first start.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SYNC_"


def private_folder(path: Path) -> Path:
    """Make ``path`` (and its missing parents) a folder only its owner can enter: it holds the signing key
    and the shares. An existing folder is tightened too, since earlier versions made it readable to all."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` readable and writable by its owner only, or tighten it if it exists. SQLite gives a
    database's -wal and -shm files the database file's own permissions."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    site_dir: Path = ROOT / "site"
    data_dir: Path = ROOT / "var"
    store: str = ""  # a store URL; empty means SQLite in data_dir
    secret_keys: list[str] = field(default_factory=list)  # newest first; older ones still verify
    allowed_origin: str = ""
    rate_limits: str = "create=20/hour;50/day,claim=30/hour"
    rate_limit_storage: str = ""  # empty: the Redis store when there is one, else memory (per process)
    # How many reverse proxies (nginx, Caddy) stand in front and add X-Forwarded-For/-Proto/-Host. With 0 those
    # headers are ignored, so a forged one buys nothing; with N, the address N hops back is the client's.
    proxy_count: int = 0

    @classmethod
    def from_env(cls, environ=os.environ) -> "Settings":
        settings = cls()
        for name, current in vars(cls()).items():
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is None:
                continue
            if isinstance(current, bool):
                value = raw.lower() in ("1", "true", "yes")
            elif isinstance(current, int):
                value = int(raw)
            elif isinstance(current, Path):
                value = Path(raw)
            elif isinstance(current, list):
                value = [part for part in raw.split(",") if part]
            else:
                value = raw
            setattr(settings, name, value)
        return settings

    @property
    def store_url(self) -> str:
        return self.store or f"sqlite:///{self.data_dir / 'shares.sqlite3'}"

    @property
    def rate_limit_storage_url(self) -> str:
        """Several instances must count against one budget, so a Redis store also holds the limiter's counters."""
        if self.rate_limit_storage:
            return self.rate_limit_storage
        return self.store if self.store.startswith(("redis://", "rediss://")) else "memory://"

    def ensure_secret_keys(self) -> list[str]:
        """The configured keys, or the one kept in the data folder, made on first start with owner-only
        permissions so that signed ids stay valid across restarts."""
        if self.secret_keys:
            return self.secret_keys
        private_folder(self.data_dir)
        key_file = self.data_dir / "secret_key"
        try:
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as stream:
                stream.write(secrets.token_urlsafe(48))
        private_file(key_file)
        self.secret_keys = [key_file.read_text().strip()]
        return self.secret_keys
