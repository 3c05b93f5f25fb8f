"""Secrets the server must read back (TOTP keys) are stored encrypted: Fernet (AES-128-CBC with
HMAC-SHA256, from PyCA `cryptography`) under a key derived from SECRET_KEY with HKDF, so that a
copy of the database alone does not give away anyone's second factor.

Rotating SECRET_KEY: put the old key in SECRET_KEY_FALLBACKS (Flask's own setting for it); values
are read with any of the keys and written with the current one.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

INFO = b"central: secrets stored in the database"
PREFIX = "fernet:"  # marks an encrypted value (and keeps a migration from encrypting it twice)


def _fernet_key(secret_key: str | bytes) -> bytes:
    raw = secret_key.encode() if isinstance(secret_key, str) else secret_key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(raw)
    return base64.urlsafe_b64encode(derived)


def cipher(secret_key: str | bytes, fallbacks: Iterable[str | bytes] = ()) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in (secret_key, *fallbacks) if k])


def app_cipher() -> MultiFernet:
    cfg = current_app.config
    return cipher(cfg["SECRET_KEY"], cfg.get("SECRET_KEY_FALLBACKS") or ())


def encrypt(value: str, with_cipher: MultiFernet | None = None) -> str:
    token = (with_cipher or app_cipher()).encrypt(value.encode())
    return PREFIX + token.decode("ascii")


def decrypt(stored: str, with_cipher: MultiFernet | None = None) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("the stored value is not encrypted")
    try:
        return (with_cipher or app_cipher()).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise ValueError(
            "cannot decrypt a stored secret: SECRET_KEY changed without the old key in "
            "SECRET_KEY_FALLBACKS"
        ) from error


class EncryptedText(TypeDecorator):
    """A string stored encrypted under the app's SECRET_KEY (see the module)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else decrypt(value)
