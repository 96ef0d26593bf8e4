"""Share-link tokens: long random values, found by their SHA-256 and re-derivable by the server.

A link stores a random ``seed`` and the SHA-256 of its token; the token itself is
``HMAC-SHA256(SECRET_KEY, seed)``. So the server can show editors the link again, while a copy
of the database alone (a backup, a dump) does not contain a working link. If SECRET_KEY changes,
links keep working (lookup is by digest) but can no longer be shown again: rotate them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from django.conf import settings

TOKEN_LENGTH = 43  # 32 bytes of HMAC output, unpadded base64url
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}\Z")
_CONTEXT = b"switchboard.share-link.v1:"


def new_seed() -> str:
    return secrets.token_urlsafe(32)


def token_for(seed: str) -> str:
    mac = hmac.new(settings.SECRET_KEY.encode(), _CONTEXT + seed.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Cheap shape check, so that junk in the URL never reaches the database."""
    return bool(_TOKEN_SHAPE.match(value))


def recoverable_token(seed: str, digest: str) -> str | None:
    """The link's token, or None when it was minted under another SECRET_KEY."""
    token = token_for(seed)
    return token if hmac.compare_digest(token_digest(token), digest) else None
