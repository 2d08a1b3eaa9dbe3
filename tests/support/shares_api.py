"""Helpers that build what a browser would send to the share API, for the server tests."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric import ec, x25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from sync_server import envelope


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_envelope(body_bytes: int = 300, version: int = 1, flags: int = 0) -> str:
    """A well-formed envelope whose body is random bytes, as real ciphertext is to anyone without the key."""
    return b64(bytes([version, flags]) + os.urandom(12) + os.urandom(body_bytes))


def public_key(kem: str = "X25519") -> str:
    """A request's public key as the browser sends it: raw X25519, or an uncompressed P-256 point."""
    if kem == "X25519":
        key = x25519.X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    else:
        key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64(key)


def sealed(kem: str = "X25519", body_bytes: int = 400) -> str:
    """Well-formed answers sealed to a request: the header, an encapsulated key and random bytes, as real
    ciphertext is to anyone without the key."""
    kem_byte, key_bytes = envelope.KEMS[kem]
    return b64(bytes([envelope.SEALED_VERSION, kem_byte]) + os.urandom(key_bytes + body_bytes))


def new_claim() -> tuple[str, str]:
    """(claim_token, claim_hash) as the browser derives and sends them."""
    token = os.urandom(32)
    return b64(token), b64(hashlib.sha256(token).digest())


def create_body(expires_in: int | None = None, body_bytes: int = 300) -> tuple[dict, str]:
    token, claim_hash = new_claim()
    body = {"ciphertext": fake_envelope(body_bytes), "claim_hash": claim_hash}
    if expires_in is not None:
        body["expires_in"] = expires_in
    return body, token


def call(url: str, method: str = "GET", body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def altered(text: str) -> str:
    """The text with one character changed, mid-string: a last base64 character may carry only padding
    bits, so changing it can leave the decoded value (and so a signature) as it was."""
    middle = len(text) // 2
    return text[:middle] + ("B" if text[middle] == "A" else "A") + text[middle + 1 :]


def backend(settings) -> str:
    return "redis" if settings.store else "sqlite"


def stored_state(settings) -> object:
    """Everything the store holds, to prove that a request changed nothing."""
    if backend(settings) == "redis":
        import redis

        client = redis.Redis.from_url(settings.store)
        return sorted((key, client.dump(key)) for key in client.keys("*"))
    import sqlite3

    db = sqlite3.connect(settings.data_dir / "shares.sqlite3")
    return [db.execute(f"SELECT * FROM {table}").fetchall() for table in ("shares", "requests", "responses")]
