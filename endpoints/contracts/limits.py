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


def json_size(value: Any) -> int:
    """The size of ``value`` as compact UTF-8 JSON, the measure the limits use."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
