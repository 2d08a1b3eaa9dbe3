"""A crowd filling the store: many networks, each storing all it may, as issue 29's attacker did.

Each member sends from an address of its own in a /16 of its own (``127.N.0.1``: Linux routes all of
127.0.0.0/8 to loopback, so the server sees each as a different network). It makes therapist's requests with
the most answers and the longest life, and sends each the largest answers allowed, as fast as it can until
the time is up. A refusal (its daily allowance: 429, or the store's quota: 507) does not stop it: it tries
again a moment later, since an allowance may open again as others fill the store.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

from sync_server import envelope, requests_api

from .shares_api import b64, public_key

# How long a member waits after a refusal before it tries again.
RETRY_AFTER_SECONDS = 1.0

# The largest answer the API takes, less the envelope's header and key: the body is at most envelope.MAX_BYTES.
LARGEST_ANSWER = envelope.MAX_BYTES - 2 - max(size for _, size in envelope.KEMS.values())


def member_address(number: int) -> str:
    """The crowd's Nth address (from 1), each in a /16 of its own and none in 127.0.0.0/16, where the honest
    person's 127.0.0.1 is."""
    return f"127.{number}.0.1"


class Crowd:
    def __init__(self, url: str, members: int):
        self.url = urlsplit(url)
        self.members = members
        self.outcomes: Counter[int] = Counter()  # status code of every answer sent
        self.stored_bytes = 0
        self._lock = threading.Lock()

    def _connection(self, number: int) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(
            self.url.hostname, self.url.port, timeout=30, source_address=(member_address(number), 0)
        )

    def _post(self, connection, path: str, body: dict) -> tuple[int, dict]:
        """POST on the member's connection; a connection the server closed meanwhile (a kept-alive one past
        its time) is opened again and the request sent once more."""

        def send() -> tuple[int, dict]:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")

        try:
            return send()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()  # http.client connects again on the next request
            return send()

    def _member(self, number: int, deadline: float) -> None:
        connection = self._connection(number)
        kem_byte, key_bytes = envelope.KEMS["X25519"]
        request_id, places = None, 0
        try:
            while time.monotonic() < deadline:
                if places == 0:
                    made = {
                        "public_key": public_key(),
                        "kem": "X25519",
                        "expires_in": requests_api.MAX_REQUEST_LIFETIME,
                        "max_responses": requests_api.MAX_RESPONSES,
                    }
                    status, body = self._post(connection, "/api/requests", made)
                    if status != 201:
                        return  # out of requests for the hour (the rate limit): this member has done what it can
                    request_id, places = body["id"], requests_api.MAX_RESPONSES
                answer = bytes([envelope.SEALED_VERSION, kem_byte]) + os.urandom(key_bytes + LARGEST_ANSWER)
                status, _ = self._post(connection, f"/api/requests/{request_id}/responses", {"ciphertext": b64(answer)})
                with self._lock:
                    self.outcomes[status] += 1
                    self.stored_bytes += len(answer) if status == 201 else 0
                if status == 201:
                    places -= 1
                else:
                    time.sleep(RETRY_AFTER_SECONDS)
        finally:
            connection.close()

    def push(self, seconds: float) -> float:
        """Every member at once, for ``seconds``; how long it took."""
        started = time.monotonic()
        threads = [
            threading.Thread(target=self._member, args=(number, started + seconds), daemon=True)
            for number in range(1, self.members + 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.monotonic() - started


def honest_person(page, server_url: str, request_link: str) -> dict[str, float]:
    """A person who writes one answer, makes a one-time link of it, then answers their therapist's request:
    how long each took them, from the click to the page saying it is done (seconds)."""
    from playwright.sync_api import expect

    from .worksheet_page import PYTHON_TIMEOUT, SharePanel, open_request_link, open_worksheet

    open_worksheet(page, server_url)
    page.locator("textarea").first.fill("I want to know what happens to what I say here.")
    started = time.monotonic()
    SharePanel(page).create_link()
    link_seconds = time.monotonic() - started
    open_request_link(page, request_link)
    started = time.monotonic()
    page.get_by_role("button", name="Send to your therapist").click()
    expect(page.locator("#ws-share-message")).to_contain_text("Your answers were sent", timeout=PYTHON_TIMEOUT)
    return {"one_time_link_s": link_seconds, "answer_sent_s": time.monotonic() - started}
