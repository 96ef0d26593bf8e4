"""Errors of share links and docs pages; core.errors turns them into HTTP."""

from __future__ import annotations

from rest_framework import status

from core.errors import Conflict, DomainError


class LinkRevoked(Conflict):
    code = "link_revoked"
    default_detail = "This share link is revoked; create a new one."


class TooManyPasswordAttempts(DomainError, status=status.HTTP_429_TOO_MANY_REQUESTS):
    """Raised with ``retry_after=<seconds>``, which the body and the Retry-After header carry."""

    code = "throttled"
    default_detail = "Too many wrong passwords. Try again later."

    @property
    def retry_after(self) -> int:
        return int(self.extra["retry_after"])
