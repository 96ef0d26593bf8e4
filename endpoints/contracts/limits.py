"""Size limits of documented messages and project schemas (bytes of their JSON text)."""

from __future__ import annotations

import json
from typing import Any

# A schema (a message's or a project's) above this is refused with 413.
MAX_SCHEMA_BYTES = 256 * 1024
# One example body above this is refused with 413 (the same bound as a message body).
MAX_EXAMPLE_BYTES = 1_000_000
MAX_EXAMPLES_PER_MESSAGE = 50
MAX_MESSAGES_PER_ENDPOINT = 500
# A log entry lists at most this many problems; the rest are summed up in one more line.
MAX_PROBLEMS = 10


# A problem's reason quotes the failing value; shown, it is cut to this many characters.
MAX_REASON_CHARS = 300


def short_reason(reason: str) -> str:
    """``reason`` cut to MAX_REASON_CHARS (mask secrets in it first: a cut secret is missed)."""
    if len(reason) <= MAX_REASON_CHARS:
        return reason
    return reason[: MAX_REASON_CHARS - 1] + "…"


def unstorable(value: Any) -> bool:
    """Whether ``value`` holds a string PostgreSQL's text and jsonb cannot store: a NUL
    character or an unpaired surrogate."""
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(key) or unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(unstorable(item) for item in value)
    return False


def json_size(value: Any) -> int:
    """The size of ``value`` as compact UTF-8 JSON, the measure the limits use."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
