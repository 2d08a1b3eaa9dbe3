"""Signed ids and manage tokens for shares and requests (itsdangerous).

A share's public id is a random value signed with the ``share-id`` salt, so a forged or altered id is
refused before any storage lookup. Its manage token (for status and revocation) is the same random value
signed with the ``share-manage`` salt: holding the id does not give the token. A therapist's request is
the same with the ``request-id`` and ``request-manage`` salts, so a share's id is never a request's (and
the reverse). Secret keys can be rotated: the first configured key signs, every configured key still
verifies.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, Signer

KINDS = ("share", "request")
RAW_ID_BYTES = 16


def _signer(keys: list[str], salt: str) -> Signer:
    """A Signer whose keys are derived from the secrets once, here: by default itsdangerous derives the key
    again on every call, which is most of what signing or checking a short value costs. The signatures
    are the same as a default Signer's."""
    derived = [Signer(key, salt=salt).derive_key() for key in keys]
    return Signer(derived, salt=salt, key_derivation="none")


class Tokens:
    def __init__(self, secret_keys: list[str]):
        # itsdangerous signs with the last key of the list and verifies with any: ours are newest first.
        keys = list(reversed(secret_keys))
        self._ids = {kind: _signer(keys, f"{kind}-id") for kind in KINDS}
        self._manage = {kind: _signer(keys, f"{kind}-manage") for kind in KINDS}

    def new(self, kind: str = "share") -> tuple[str, str, str]:
        """A fresh share or request: (storage key, public id, manage token)."""
        raw = secrets.token_urlsafe(RAW_ID_BYTES)
        return raw, self._ids[kind].sign(raw).decode(), self._manage[kind].get_signature(raw).decode()

    def storage_key(self, public_id: str, kind: str = "share") -> str | None:
        """The storage key inside a public id, or None if the id was not made by this server for this kind."""
        try:
            return self._ids[kind].unsign(public_id).decode()
        except (BadSignature, UnicodeError):
            return None

    def manage_token_matches(self, storage_key: str, token: str, kind: str = "share") -> bool:
        try:
            return self._manage[kind].verify_signature(storage_key.encode(), token.encode())
        except UnicodeError:
            return False
