"""The encrypted envelope the browser sends, checked without being able to read it.

Layout (version 1), all of it base64url-encoded in the ``ciphertext`` field:

    byte 0        version (1)
    byte 1        flags: bit 0 set when a passphrase was combined with the link's key
    bytes 2-13    AES-GCM initialisation vector (12 bytes)
    bytes 14-     AES-256-GCM ciphertext followed by its 16-byte tag; bytes 0-13 are its additional data

The server cannot decrypt it (the key never reaches it). It checks the shape, and refuses anything whose
start compresses well: real ciphertext is indistinguishable from random bytes, so a payload that compresses
is plaintext that a bug would otherwise have stored. (The check is against bugs, not against a client set
on storing plaintext, which no server could stop; so the first kibibyte is as good a sample as the whole,
and the check costs the same for every size.)
"""

from __future__ import annotations

import base64
import re
import zlib

VERSION = 1
HEADER_BYTES = 14
TAG_BYTES = 16
KNOWN_FLAGS = 0b1
MAX_BYTES = 256 * 1024
MAX_ENCODED_CHARS = (MAX_BYTES * 4 + 2) // 3
# Random data never shrinks under deflate; leave room for chance on small payloads.
COMPRESSION_CHECK_MIN_BYTES = 64
COMPRESSION_SAMPLE_BYTES = 1024
COMPRESSIBLE_RATIO = 0.95
COMPRESSION_MEMORY_LEVEL = 4
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class EnvelopeError(ValueError):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def decode_base64url(text: str, field: str) -> bytes:
    if not isinstance(text, str) or not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise EnvelopeError("malformed", f"{field} must be base64url text (A-Z, a-z, 0-9, '-' and '_', no padding).")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _looks_like_plaintext(body: bytes) -> bool:
    """Raw deflate (no header to count) at the fastest level with a small window: plenty to spot text.
    Memory level 4 instead of the default 8: its 1,024-symbol block still holds the whole sample, so the
    result is the same, and setting up its smaller tables takes half the time, most of the check's cost."""
    sample = body[:COMPRESSION_SAMPLE_BYTES]
    deflate = zlib.compressobj(1, zlib.DEFLATED, -9, COMPRESSION_MEMORY_LEVEL)
    return len(deflate.compress(sample) + deflate.flush()) < COMPRESSIBLE_RATIO * len(sample)


def check(ciphertext: str) -> bytes:
    """Decode and check an envelope; return its bytes or raise EnvelopeError."""
    if isinstance(ciphertext, str) and len(ciphertext) > MAX_ENCODED_CHARS:
        raise EnvelopeError("too_large", f"The encrypted answers may be at most {MAX_BYTES // 1024} KiB.", 413)
    data = decode_base64url(ciphertext, "ciphertext")
    if len(data) < HEADER_BYTES + TAG_BYTES + 1:
        raise EnvelopeError("malformed", "ciphertext is too short to be an encrypted envelope.")
    if data[0] != VERSION:
        raise EnvelopeError("unsupported_version", f"Envelope version {data[0]} is not supported (expected {VERSION}).")
    if data[1] & ~KNOWN_FLAGS:
        raise EnvelopeError("malformed", "The envelope has unknown flags set.")
    body = data[HEADER_BYTES:]
    if len(body) >= COMPRESSION_CHECK_MIN_BYTES and _looks_like_plaintext(body):
        raise EnvelopeError("not_encrypted", "The payload does not look encrypted; it was refused so it is never stored.")
    return data
