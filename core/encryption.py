"""Encrypting what Switchboard must keep but never show (client certificates' private keys):
Fernet tokens under keys derived from ``CERTIFICATE_ENCRYPTION_KEYS`` (else ``SECRET_KEY``).

The first key encrypts; every key decrypts, so a key can be rotated: put the new one first, run
``manage.py rotate_certificate_key``, then drop the old one (docs/configuration.md).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

_CONTEXT = b"switchboard client certificates\x00"


class CannotDecrypt(Exception):
    """A stored token that none of the configured keys opens (the key was changed or lost)."""


def derived_key(secret: str) -> bytes:
    """A Fernet key from any configured secret string (a passphrase or a Fernet key alike)."""
    return base64.urlsafe_b64encode(hashlib.sha256(_CONTEXT + secret.encode("utf-8")).digest())


def _box() -> MultiFernet:
    secrets = list(settings.CERTIFICATE_ENCRYPTION_KEYS) or [settings.SECRET_KEY]
    return MultiFernet([Fernet(derived_key(secret)) for secret in secrets])


def encrypt(plain: bytes) -> str:
    return _box().encrypt(plain).decode("ascii")


def decrypt(token: str) -> bytes:
    try:
        return _box().decrypt(token.encode("ascii"))
    except InvalidToken:
        raise CannotDecrypt(
            "No configured key decrypts this value; was CERTIFICATE_ENCRYPTION_KEYS "
            "(or SECRET_KEY) changed without keeping the old key?"
        ) from None


def reencrypt(token: str) -> str:
    """``token`` under the first (current) key; raises CannotDecrypt like ``decrypt``."""
    try:
        return _box().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise CannotDecrypt("No configured key decrypts this value.") from None
