"""The share envelope is a documented, portable format: an independent Python implementation (with the
`cryptography` package) derives the same secrets and decrypts the vectors made by the browser's code."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from sync_server import envelope as server_envelope
from tests.support.shares_api import b64

VECTORS = json.loads((Path(__file__).parent / "vectors" / "share-envelope-v1.json").read_text())


def unb64(text: str) -> bytes:
    return server_envelope.decode_base64url(text, "vector")


def hkdf(ikm: bytes, info: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"", info=info.encode()).derive(ikm)


def derive(link_key: bytes, passphrase: str) -> tuple[bytes, bytes]:
    """(encryption key, claim token), following the key schedule in share-crypto.mjs."""
    ikm = link_key
    if passphrase:
        salt = hkdf(link_key, "tsw-share-v1 passphrase salt", 16)
        stretched = PBKDF2HMAC(hashes.SHA256(), 32, salt, VECTORS["pbkdf2_iterations"]).derive(
            unicodedata.normalize("NFC", passphrase).encode()
        )
        ikm = link_key + stretched
    return hkdf(ikm, "tsw-share-v1 encryption", 32), hkdf(ikm, "tsw-share-v1 claim", 32)


def python_decrypt(envelope: bytes, key: bytes) -> str:
    header, body = envelope[:14], envelope[14:]
    return AESGCM(key).decrypt(header[2:14], body, header).decode()


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_python_derives_the_same_secrets_and_decrypts(vector):
    key, claim_token = derive(unb64(vector["link_key"]), vector["passphrase"])
    assert b64(claim_token) == vector["claim_token"]
    assert b64(hashlib.sha256(claim_token).digest()) == vector["claim_hash"]
    envelope = unb64(vector["envelope"])
    assert envelope[0] == 1 and envelope[1] == (1 if vector["passphrase"] else 0)
    assert envelope[2:14] == unb64(vector["iv"])
    assert python_decrypt(envelope, key) == vector["plaintext"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_python_encryption_gives_the_same_envelope(vector):
    key, _ = derive(unb64(vector["link_key"]), vector["passphrase"])
    header = bytes([1, 1 if vector["passphrase"] else 0]) + unb64(vector["iv"])
    assert b64(header + AESGCM(key).encrypt(unb64(vector["iv"]), vector["plaintext"].encode(), header)) == vector["envelope"]


def test_header_is_bound_as_additional_data():
    vector = VECTORS["vectors"][0]
    key, _ = derive(unb64(vector["link_key"]), vector["passphrase"])
    envelope = bytearray(unb64(vector["envelope"]))
    envelope[1] ^= 1  # claim a passphrase that was not used
    with pytest.raises(InvalidTag):
        python_decrypt(bytes(envelope), key)


def test_a_wrong_passphrase_gives_a_different_claim_token():
    vector = VECTORS["vectors"][1]
    _, right = derive(unb64(vector["link_key"]), vector["passphrase"])
    _, wrong = derive(unb64(vector["link_key"]), "blue heron!")
    assert right != wrong


def test_the_server_accepts_the_vectors_as_envelopes():
    for vector in VECTORS["vectors"]:
        if len(unb64(vector["envelope"])) - 14 >= server_envelope.COMPRESSION_CHECK_MIN_BYTES:
            assert server_envelope.check(vector["envelope"])
