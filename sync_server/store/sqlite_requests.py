"""Therapists' requests in the SQLite store: the tables, and the methods ``SQLiteStore`` takes from here.

A request is one row (its public key, limits, times and how many answers it has received); each answer is
a row of ``responses``, counted in the store's ``usage`` with the shares, so answers and shares share one
quota. Accepting an answer is one ``BEGIN IMMEDIATE`` transaction: the request's state, the quota and the
count are checked and changed together, so two senders at once cannot both take the last place.
"""

from __future__ import annotations

from .base import (
    TOMBSTONE_GRACE_SECONDS,
    RequestStatus,
    RespondOutcome,
    StoredResponse,
    StoreFull,
    kept_since,
    request_state,
)

REQUESTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (
    key TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    kem TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_responses INTEGER NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'open',
    state_at INTEGER
);
CREATE INDEX IF NOT EXISTS requests_by_expiry ON requests (expires_at);
CREATE TABLE IF NOT EXISTS responses (
    request_key TEXT NOT NULL,
    number INTEGER NOT NULL,
    ciphertext BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (request_key, number)
);
CREATE INDEX IF NOT EXISTS responses_by_arrival ON responses (received_at);
CREATE TRIGGER IF NOT EXISTS usage_on_response_insert AFTER INSERT ON responses BEGIN
    UPDATE usage SET shares = shares + 1, bytes = bytes + length(NEW.ciphertext);
END;
CREATE TRIGGER IF NOT EXISTS usage_on_response_delete AFTER DELETE ON responses BEGIN
    UPDATE usage SET shares = shares - 1, bytes = bytes - length(OLD.ciphertext);
END;
"""
RESPONSE_WITHIN_QUOTA = """
INSERT INTO responses (request_key, number, ciphertext, received_at)
    SELECT ?, ?, ?, ? FROM usage WHERE shares < ? AND bytes + ? <= ?
"""
# `received` numbers the answers; `deleted` counts those the therapist deleted, whose places are open again.
REQUEST_COLUMNS = "state, public_key, kem, created_at, expires_at, max_responses, received - deleted, state_at"


def _status(row, now: int) -> RequestStatus | None:
    if row is None or now >= row[4] + TOMBSTONE_GRACE_SECONDS:
        return None
    state, public_key, kem, created_at, expires_at, max_responses, received, state_at = row
    state = request_state(state, expires_at, received, max_responses, now)
    return RequestStatus(state, public_key, kem, created_at, expires_at, max_responses, received, state_at)


def upgrade_requests(db) -> None:
    """Bring a database made by an earlier version up to the schema above (run under the set-up lock)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(requests)")}
    if "deleted" not in columns:
        db.execute("ALTER TABLE requests ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0")


class SQLiteRequests:
    """Mixed into ``SQLiteStore``, whose writer queue, reads, quota and scrubbing these use."""

    def create_request(self, key, public_key, kem, max_responses, now, expires_at):
        self._writers.write(
            "INSERT INTO requests (key, public_key, kem, created_at, expires_at, max_responses) VALUES (?, ?, ?, ?, ?, ?)",
            (key, public_key, kem, now, expires_at, max_responses),
        )

    def request_status(self, key, now):
        return _status(self._read(f"SELECT {REQUEST_COLUMNS} FROM requests WHERE key = ?", (key,)), now)

    def respond(self, key, ciphertext, now):
        outcome = self._respond_once(key, ciphertext, now)
        if outcome is None and self._purged_for_room(now):  # over the quota: make room from expired data, then try once more
            outcome = self._respond_once(key, ciphertext, now)
        if outcome is None:
            shares, stored = self.usage()
            raise StoreFull(f"{shares:,} shares and answers, {stored:,} bytes held; the quota is {self._quota()}")
        return outcome

    def _respond_once(self, key, ciphertext, now) -> RespondOutcome | None:
        with self._writers.transaction() as db:
            status = _status(db.execute(f"SELECT {REQUEST_COLUMNS} FROM requests WHERE key = ?", (key,)).fetchone(), now)
            if status is None:
                return RespondOutcome("unknown")
            # The same bytes again (a replay of captured answers, or a retry) take no second place or copy.
            held = db.execute(
                "SELECT number, received_at FROM responses WHERE request_key = ? AND ciphertext = ? AND received_at > ?",
                (key, ciphertext, kept_since(now)),
            ).fetchone()
            if held is not None:
                return RespondOutcome("repeated", number=held[0], received_at=held[1])
            if status.state != "open":
                return RespondOutcome("gone", status=status)
            number = db.execute("SELECT received FROM requests WHERE key = ?", (key,)).fetchone()[0] + 1
            quota = (self.max_shares, len(ciphertext), self.max_bytes)
            if not db.execute(RESPONSE_WITHIN_QUOTA, (key, number, ciphertext, now, *quota)).rowcount:
                return None
            db.execute("UPDATE requests SET received = ? WHERE key = ?", (number, key))
            return RespondOutcome("ok", number=number)

    def responses(self, key, now):
        status = self.request_status(key, now)
        if status is None or status.state == "expired":
            return []
        rows = self._connection().execute(
            "SELECT number, received_at, length(ciphertext) FROM responses WHERE request_key = ? AND received_at > ? ORDER BY number",
            (key, kept_since(now)),
        )
        return [StoredResponse(*row) for row in rows]

    def response(self, key, number, now):
        status = self.request_status(key, now)
        if status is None or status.state == "expired":
            return None
        row = self._read(
            "SELECT ciphertext, received_at FROM responses WHERE request_key = ? AND number = ? AND received_at > ?",
            (key, number, kept_since(now)),
        )
        return (row[0], row[1]) if row else None

    def delete_response(self, key, number):
        """Delete one answer; its place in the request is open again."""
        with self._writers.transaction() as db:
            deleted = db.execute("DELETE FROM responses WHERE request_key = ? AND number = ?", (key, number)).rowcount
            if deleted:
                db.execute("UPDATE requests SET deleted = deleted + 1 WHERE key = ?", (key,))
        self._scrub_soon()
        return bool(deleted)

    def close_request(self, key, now):
        with self._writers.transaction() as db:
            db.execute("UPDATE requests SET state = 'closed', state_at = ? WHERE key = ? AND state != 'closed'", (now, key))
            db.execute("DELETE FROM responses WHERE request_key = ?", (key,))
        self._scrub_soon()
        return self.request_status(key, now)

    def purge_requests(self, db, now) -> int:
        """Inside the store's purge: erase the answers of expired requests and those past their time, drop
        requests past their grace."""
        db.execute("DELETE FROM responses WHERE request_key IN (SELECT key FROM requests WHERE expires_at <= ?)", (now,))
        db.execute("DELETE FROM responses WHERE received_at <= ?", (kept_since(now),))
        return db.execute("DELETE FROM requests WHERE expires_at <= ?", (now - TOMBSTONE_GRACE_SECONDS,)).rowcount
