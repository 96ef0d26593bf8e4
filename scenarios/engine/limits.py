"""Bounds of a scenario and of a run (documented in docs/scenarios.md)."""

from __future__ import annotations

MAX_STEPS = 5_000
MAX_ASSERTIONS = 50  # per expect step
MAX_CONNECTIONS = 10  # aliases of one scenario
MAX_EXTRACTIONS = 50  # per extract step

DEFAULT_TIMEOUT_MS = 5_000  # an expect or expect-close step without its own
MAX_TIMEOUT_MS = 300_000  # any one step's timeout, and a wait
MAX_VALUE_BYTES = 1_000_000  # a body or an expected value, as JSON

MAX_DATA_BYTES = 1_000_000  # a data table's text
MAX_DATA_ROWS = 1_000
MAX_DATA_COLUMNS = 100

# A regular expression of an assertion or an extraction is tried on at most this much text,
# for at most this long (the `regex` module stops a match that runs over).
REGEX_WINDOW = 64 * 1024
REGEX_TIMEOUT_S = 0.05

# A close code a client may send (RFC 6455 7.4: 1000, or 3000-4999 for applications).
CLIENT_CLOSE_CODES = "1000 or 3000-4999"
MAX_CLOSE_REASON_BYTES = 123
