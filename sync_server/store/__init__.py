"""Where shares are kept. ``open_store`` picks the backend from the store URL; each backend is one module
implementing ``base.Store``."""

from __future__ import annotations

from .base import ClaimOutcome, RequestStatus, RespondOutcome, ShareStatus, Store, StoredResponse, StoreFull, StoreUnavailable

__all__ = [
    "ClaimOutcome",
    "RequestStatus",
    "RespondOutcome",
    "ShareStatus",
    "Store",
    "StoreFull",
    "StoreUnavailable",
    "StoredResponse",
    "open_store",
    "prepare_store",
]


def open_store(url: str, sqlite_synchronous: str = "NORMAL", max_shares: int = 0, max_bytes: int = 0) -> Store:
    """``max_shares`` and ``max_bytes`` cap what a SQLite store holds (0: no cap); a Redis store is capped
    by Redis's own ``maxmemory``."""
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///"), sqlite_synchronous, max_shares=max_shares, max_bytes=max_bytes)
    if url.startswith(("redis://", "rediss://", "unix://")):
        from .redis_store import RedisStore

        return RedisStore(url)
    raise ValueError(f"unsupported store URL scheme in {url.split(':', 1)[0]!r}: use sqlite:///PATH or redis://HOST:PORT/DB")


def prepare_store(url: str) -> None:
    """A SQLite store's first-start set-up (its file, write-ahead logging, its tables), for the arbiter to do
    once before the workers start; each worker's ``open_store`` repeats it safely. A Redis store needs none."""
    if url.startswith("sqlite:///"):
        from .sqlite import prepare_file

        prepare_file(url.removeprefix("sqlite:///"))
