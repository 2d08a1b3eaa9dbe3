"""The encrypted envelope the browser sends, checked without being able to read it.

Layout (version 1), all of it base64url-encoded in the ``ciphertext`` field:

    byte 0        version (1)
    byte 1        flags: bit 0 set when a passphrase was combined with the link's key
    bytes 2-13    AES-GCM initialisation vector (12 bytes)
    bytes 14-     AES-256-GCM ciphertext followed by its 16-byte tag; bytes 0-13 are its additional data

Answers sent to a therapist's request (``/api/requests``) come in version 2, sealed with HPKE (RFC 9180) in
base mode to the request's public key, with DHKEM(X25519, HKDF-SHA256) (or DHKEM(P-256, HKDF-SHA256) where
the therapist's browser had no X25519), HKDF-SHA256 and AES-256-GCM:

    byte 0        version (2)
    byte 1        the KEM: the low byte of its RFC 9180 id, 0x20 for X25519, 0x10 for P-256
    bytes 2-      HPKE's encapsulated key (32 bytes for X25519, 65 for P-256), then the AES-GCM ciphertext
                  and its 16-byte tag; bytes 0-1 are its additional data and HPKE's info is
                  ``tsw-request-v1`` followed by the request's public id

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
SEALED_VERSION = 2
SEALED_INFO = "tsw-request-v1"
# Each KEM a request may use: its byte in the envelope, and the length of its public and encapsulated keys.
KEMS = {"X25519": (0x20, 32), "P-256": (0x10, 65)}


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


def _decode(ciphertext: str) -> bytes:
    if isinstance(ciphertext, str) and len(ciphertext) > MAX_ENCODED_CHARS:
        raise EnvelopeError("too_large", f"The encrypted answers may be at most {MAX_BYTES // 1024} KiB.", 413)
    return decode_base64url(ciphertext, "ciphertext")


def _check_encrypted(body: bytes) -> None:
    if len(body) >= COMPRESSION_CHECK_MIN_BYTES and _looks_like_plaintext(body):
        raise EnvelopeError("not_encrypted", "The payload does not look encrypted; it was refused so it is never stored.")


def check(ciphertext: str) -> bytes:
    """Decode and check a share's envelope (version 1); return its bytes or raise EnvelopeError."""
    data = _decode(ciphertext)
    if len(data) < HEADER_BYTES + TAG_BYTES + 1:
        raise EnvelopeError("malformed", "ciphertext is too short to be an encrypted envelope.")
    if data[0] != VERSION:
        raise EnvelopeError("unsupported_version", f"Envelope version {data[0]} is not supported (expected {VERSION}).")
    if data[1] & ~KNOWN_FLAGS:
        raise EnvelopeError("malformed", "The envelope has unknown flags set.")
    _check_encrypted(data[HEADER_BYTES:])
    return data


def check_sealed(ciphertext: str, kem: str) -> bytes:
    """Decode and check answers sealed to a request (version 2) whose key is of the KEM ``kem``."""
    data = _decode(ciphertext)
    kem_byte, key_bytes = KEMS[kem]
    if len(data) < 2 + key_bytes + TAG_BYTES + 1:
        raise EnvelopeError("malformed", "ciphertext is too short to be sealed answers.")
    if data[0] != SEALED_VERSION:
        raise EnvelopeError("unsupported_version", f"Envelope version {data[0]} is not supported (expected {SEALED_VERSION}).")
    if data[1] != kem_byte:
        raise EnvelopeError("malformed", f"The answers were not sealed with this request's key type ({kem}).")
    _check_encrypted(data[2 + key_bytes :])
    return data


# X25519 public keys of small order (RFC 7748, section 7): with one of them as its key, a request would make
# every sender's shared secret one of a handful of values anyone can compute. The top bit of the last byte is
# ignored by X25519, so it is cleared before comparing; p - 1, p and p + 1 are non-canonical encodings of
# small-order points. The same list as libsodium's.
X25519_SMALL_ORDER = frozenset(
    bytes.fromhex(point)
    for point in (
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    )
)
# P-256 (SEC 2, section 2.4.2): y^2 = x^3 - 3x + b over the prime field of P256_P.
P256_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


def check_public_key(text: str, kem: str) -> bytes:
    """A request's public key: raw X25519 (32 bytes, not of small order) or an uncompressed P-256 point (65
    bytes, 0x04 first, on the curve). A key that fails would leave what is sent to the request readable, or
    unreadable to its therapist, so it is refused when the request is made."""
    key = decode_base64url(text, "public_key")
    _, key_bytes = KEMS[kem]
    if len(key) != key_bytes or (kem == "P-256" and key[0] != 4):
        raise EnvelopeError("malformed", f"public_key must be a raw {kem} public key of {key_bytes} bytes.")
    if kem == "X25519" and key[:31] + bytes([key[31] & 0x7F]) in X25519_SMALL_ORDER:
        raise EnvelopeError("weak_key", "public_key is an X25519 point of small order, which anyone could read answers to.")
    if kem == "P-256":
        x, y = int.from_bytes(key[1:33], "big"), int.from_bytes(key[33:], "big")
        if x >= P256_P or y >= P256_P or (y * y - (x * x * x - 3 * x + P256_B)) % P256_P:
            raise EnvelopeError("malformed", "public_key is not a point on the P-256 curve.")
    return key
