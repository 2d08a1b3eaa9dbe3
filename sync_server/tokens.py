"""Signed share ids and manage tokens (itsdangerous).

A share's public id is a random value signed with the ``share-id`` salt, so a forged or altered id is
refused before any storage lookup. Its manage token (for status and revocation) is the same random value
signed with the ``share-manage`` salt: holding the id does not give the token. Secret keys can be rotated:
the first configured key signs, every configured key still verifies.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, Signer

ID_SALT = "share-id"
MANAGE_SALT = "share-manage"
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
        self._ids = _signer(keys, ID_SALT)
        self._manage = _signer(keys, MANAGE_SALT)

    def new_share(self) -> tuple[str, str, str]:
        """A fresh share: (storage key, public id, manage token)."""
        raw = secrets.token_urlsafe(RAW_ID_BYTES)
        return raw, self._ids.sign(raw).decode(), self._manage.get_signature(raw).decode()

    def storage_key(self, public_id: str) -> str | None:
        """The storage key inside a public id, or None if the id was not made by this server."""
        try:
            return self._ids.unsign(public_id).decode()
        except (BadSignature, UnicodeError):
            return None

    def manage_token_matches(self, storage_key: str, token: str) -> bool:
        try:
            return self._manage.verify_signature(storage_key.encode(), token.encode())
        except UnicodeError:
            return False
