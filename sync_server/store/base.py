"""The storage interface every backend implements, and the outcomes it reports.

Rules every backend keeps: a claim checks the proof and hands over the ciphertext at most once, atomically;
a wrong proof never burns the share but the fifth destroys it; reads never change anything; the ciphertext
is erased the moment a share is opened, revoked, destroyed or expires, leaving a small tombstone (state and
times only) so the sender can still see what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MAX_WRONG_PROOFS = 5
# How long a tombstone outlives its share's expiry, so the sender sees "expired" rather than "unknown".
TOMBSTONE_GRACE_SECONDS = 24 * 3600


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or written; nothing was changed."""


class StoreFull(RuntimeError):
    """The store holds as many shares or bytes as it may (its quota); nothing was stored. The message says
    how full it is, for the operator's log: counts only, nothing of any share."""


@dataclass(frozen=True)
class ShareStatus:
    state: str  # waiting, opened, expired, revoked or destroyed
    created_at: int
    expires_at: int
    state_at: int | None  # when it was opened, revoked or destroyed


@dataclass(frozen=True)
class ClaimOutcome:
    kind: str  # ok, wrong_proof, gone or unknown
    ciphertext: bytes | None = None
    created_at: int | None = None
    attempts_left: int | None = None
    status: ShareStatus | None = None


class Store(Protocol):
    def create(self, key: str, ciphertext: bytes, claim_hash: bytes, now: int, expires_at: int) -> None:
        """Store a share, or raise StoreFull (and store nothing) when it would go over the store's quota."""
        ...

    def claim(self, key: str, claim_hash: bytes, now: int) -> ClaimOutcome: ...

    def status(self, key: str, now: int) -> ShareStatus | None: ...

    def revoke(self, key: str, now: int) -> ShareStatus | None: ...

    def purge(self, now: int) -> int: ...

    def ping(self) -> None: ...


def effective_state(state: str, expires_at: int, now: int) -> str:
    return "expired" if state == "waiting" and now >= expires_at else state
