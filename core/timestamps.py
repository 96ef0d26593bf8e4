"""The one way a moment is written in API bodies, live events and logs: ISO 8601, UTC as ``Z``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def iso_now() -> tuple[datetime, str]:
    """Now, and now as ``iso`` writes it (for a row and the event announcing it)."""
    now = timezone.now()
    return now, iso(now) or ""
