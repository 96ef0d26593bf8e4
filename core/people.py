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
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": full_name or user.get_username(),
    }


# The schema of ``user_brief``.
class UserBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")
    display_name = serializers.SerializerMethodField()

    def get_display_name(self, user: AbstractBaseUser) -> str:
        return user_brief(user)["display_name"]
