"""The storage interface every backend implements, and the outcomes it reports.

Rules every backend keeps: a claim checks the proof and hands over the ciphertext at most once, atomically;
a wrong proof never burns the share but the fifth destroys it; reads never change anything; the ciphertext
is erased the moment a share is opened, revoked, destroyed or expires, leaving a small tombstone (state and
times only) so the sender can still see what happened.

A therapist's request (a public key, its limits and times) takes at most ``max_responses`` sealed answers
until it expires, each accepted atomically with the count it is checked against, so two senders at once
can never both slip past the limit; the answers are erased when the therapist deletes them or closes the
request, ``ANSWER_KEPT_SECONDS`` after each arrives, and at the request's expiry, leaving the request's
tombstone for the grace period. An answer past its time still holds its place in the request (it was sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MAX_WRONG_PROOFS = 5
# How long a tombstone outlives its share's expiry, so the sender sees "expired" rather than "unknown".
TOMBSTONE_GRACE_SECONDS = 24 * 3600
# How long an answer to a request is kept after it arrives, however long the request runs: a therapist reads
# answers within days of a session, and a store that keeps them a month is a month's target for anyone
# filling it. Past this an answer is gone from every read at once, and erased by the next purge.
ANSWER_KEPT_SECONDS = 7 * 86_400


def kept_since(now: int) -> int:
    """Answers that arrived at or before this moment are past their time."""
    return now - ANSWER_KEPT_SECONDS


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


@dataclass(frozen=True)
class RequestStatus:
    state: str  # open, full, expired or closed
    public_key: bytes
    kem: str
    created_at: int
    expires_at: int
    max_responses: int
    received: int
    closed_at: int | None


@dataclass(frozen=True)
class StoredResponse:
    number: int  # 1 for the first answer the request received, and so on
    received_at: int
    size: int


@dataclass(frozen=True)
class RespondOutcome:
    kind: str  # ok, repeated (these very bytes are already held: not stored again), gone or unknown
    number: int | None = None
    status: RequestStatus | None = None
    received_at: int | None = None  # for a repeat, when the first copy came


def request_state(state: str, expires_at: int, received: int, max_responses: int, now: int) -> str:
    if state == "closed":
        return "closed"
    if now >= expires_at:
        return "expired"
    return "full" if received >= max_responses else "open"


class Store(Protocol):
    def create(self, key: str, ciphertext: bytes, claim_hash: bytes, now: int, expires_at: int) -> None:
        """Store a share, or raise StoreFull (and store nothing) when it would go over the store's quota."""
        ...

    def claim(self, key: str, claim_hash: bytes, now: int) -> ClaimOutcome: ...

    def status(self, key: str, now: int) -> ShareStatus | None: ...

    def revoke(self, key: str, now: int) -> ShareStatus | None: ...

    def purge(self, now: int) -> int: ...

    def fullness(self) -> float:
        """How full the store is, from 0 to 1: the fuller of its count and its bytes against their caps (0 with
        no cap). The daily allowances shrink as it rises (``sync_server.limits``)."""
        ...

    def create_request(self, key: str, public_key: bytes, kem: str, max_responses: int, now: int, expires_at: int) -> None: ...

    def request_status(self, key: str, now: int) -> RequestStatus | None: ...

    def respond(self, key: str, ciphertext: bytes, now: int) -> RespondOutcome:
        """Store sealed answers against an open request, or raise StoreFull (storing nothing)."""
        ...

    def responses(self, key: str, now: int) -> list[StoredResponse]: ...

    def response(self, key: str, number: int, now: int) -> tuple[bytes, int] | None:
        """A stored answer's ciphertext and when it arrived; None once deleted, expired or never sent."""
        ...

    def delete_response(self, key: str, number: int) -> bool: ...

    def close_request(self, key: str, now: int) -> RequestStatus | None:
        """Take no more answers and erase those stored; None if there is no such request."""
        ...

    def ping(self) -> None: ...


def effective_state(state: str, expires_at: int, now: int) -> str:
    return "expired" if state == "waiting" and now >= expires_at else state
