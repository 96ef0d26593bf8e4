"""Personal access tokens: minting (secret shown once) and lookup by hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import AccessToken

TOKEN_PREFIX = "sb_"
# Touching last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[AccessToken, str]:
    """Store a new token for ``user``; return it and the secret, which is never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        expires_at=expires_at,
    )
    return token, secret


def token_lookup(secret: str) -> AccessToken | None:
    """The live token for ``secret`` (with its user), or None if unknown, expired or user inactive."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = AccessToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
