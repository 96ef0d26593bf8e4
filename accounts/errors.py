"""Errors of signing in; core.errors turns them into HTTP."""

from __future__ import annotations

from rest_framework import status

from core.errors import DomainError


class AuthenticationRequired(DomainError, status=status.HTTP_401_UNAUTHORIZED):
    code = "authentication_failed"
    default_detail = "Wrong username or password."
