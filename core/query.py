"""Query-parameter parsing shared by every API view: one rule for whole numbers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from core.errors import ValidationFailed

_WHOLE = re.compile(r"[0-9]{1,18}")

Default = TypeVar("Default", int, None)


def is_whole_number(raw: str) -> bool:
    """Digits only (no sign, no spaces), at most 18 of them: the rule for every count and id."""
    return _WHOLE.fullmatch(raw) is not None


def whole_number(
    params: Mapping[str, Any], name: str, *, default: Default, low: int, high: int
) -> int | Default:
    """``params[name]`` as a whole number from ``low`` to ``high``; absent means ``default``.

    An empty value is a mistake, not "use the default" (the schema says so).
    """
    raw = params.get(name)
    if raw is None:
        return default
    if not is_whole_number(raw) or not low <= int(raw) <= high:
        raise ValidationFailed({name: [f"Use a whole number from {low} to {high}."]})
    return int(raw)
