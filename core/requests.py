"""The request a view sees once authentication has passed: its ``user`` is a signed-in ``User``.

Types only (never instantiated): DRF views behind ``IsAuthenticated`` (the default permission)
take ``AuthenticatedRequest``; Django views behind ``login_required`` take
``AuthenticatedHttpRequest``. The project uses Django's default user model.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.request import Request


class AuthenticatedRequest(Request):
    """A DRF request past ``IsAuthenticated``."""

    user: User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request past ``login_required``."""

    user: User
