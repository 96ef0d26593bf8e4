"""How a person is shown everywhere (API responses, history, live events): one small pure helper."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser


def user_brief(user: AbstractBaseUser | None) -> dict[str, Any] | None:
    if user is None:
        return None
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": full_name or user.get_username(),
    }
