"""How a person is shown everywhere (API responses, history, live events): one small pure helper."""

from __future__ import annotations

from typing import Any, TypedDict, overload

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import serializers


class UserBrief(TypedDict):
    id: int
    username: str
    display_name: str


@overload
def user_brief(user: AbstractBaseUser) -> UserBrief: ...
@overload
def user_brief(user: AbstractBaseUser | None) -> UserBrief | None: ...
def user_brief(user: AbstractBaseUser | None) -> UserBrief | None:
    if user is None:
        return None
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return _brief(user.pk, user.get_username(), full_name)


def user_brief_of_columns(
    pk: int | None, username: str | None, first_name: str | None, last_name: str | None
) -> UserBrief | None:
    """``user_brief`` of a user read as plain columns (a ``values()`` row), same shape."""
    if pk is None:
        return None
    # As AbstractUser.get_full_name() joins them.
    return _brief(pk, username, f"{first_name or ''} {last_name or ''}".strip())


def _brief(pk: int, username: str | None, full_name: str) -> UserBrief:
    name = username or ""
    return {"id": pk, "username": name, "display_name": full_name or name}


# The schema of ``user_brief``.
class UserBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: AbstractBaseUser) -> str:
        return user_brief(user)["display_name"]
