"""Reads of accounts."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet

from accounts.models import AccessToken


def user_tokens(*, user: User) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(user=user)
