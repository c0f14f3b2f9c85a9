"""Secrets at rest (mailbox passwords): Fernet with a key derived from the secret key.

A stolen database dump alone does not reveal mailbox passwords; HEEDFUL_SECRET_KEY is needed too.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

PREFIX = "fernet:"


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"heedful-secrets:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plain: str) -> str:
    if not plain:
        return ""
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """The plain secret; raises ValueError when the key changed since it was stored."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise ValueError("secret is not encrypted")
    try:
        return _fernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: was HEEDFUL_SECRET_KEY changed?") from None
