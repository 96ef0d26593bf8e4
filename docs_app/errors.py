"""Errors of share links and docs pages; core.errors turns them into HTTP."""

from __future__ import annotations

from rest_framework import status

from core.errors import Conflict, DomainError


class LinkRevoked(Conflict):
    code = "link_revoked"
    default_detail = "This share link is revoked; create a new one."


class TooManyPasswordAttempts(DomainError):
    code = "throttled"
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "Too many wrong passwords. Try again later."

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(retry_after=retry_after)
