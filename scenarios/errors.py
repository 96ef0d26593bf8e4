"""Conditions of scenario runs, each one error code."""

from __future__ import annotations

from rest_framework import status

from core.errors import DomainError


class TooManyRuns(DomainError, status=status.HTTP_429_TOO_MANY_REQUESTS):
    code = "too_many_runs"
    default_detail = "You have too many runs going; wait for one to finish."
