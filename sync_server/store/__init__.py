"""Where shares are kept. ``open_store`` picks the backend from the store URL; each backend is one module
implementing ``base.Store``."""

from __future__ import annotations

from .base import ClaimOutcome, ShareStatus, Store, StoreUnavailable

__all__ = ["ClaimOutcome", "ShareStatus", "Store", "StoreUnavailable", "open_store"]


def open_store(url: str, sqlite_synchronous: str = "NORMAL") -> Store:
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"), synchronous=sqlite_synchronous)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis_store import RedisStore

        return RedisStore(url)
    raise ValueError(f"unsupported store URL scheme in {url.split(':', 1)[0]!r}: use sqlite:///PATH or redis://HOST:PORT/DB")
