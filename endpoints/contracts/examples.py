"""Examples of documented messages; a saved message's single body is one example."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The name a body written without examples (by scripts from before documented messages, or
# an old history snapshot) gets as the message's one example.
DEFAULT_EXAMPLE_NAME = "Example"


def with_examples(message: Mapping[str, Any]) -> dict[str, Any]:
    """``message`` with ``examples``: a legacy ``body`` becomes the one example."""
    data = {key: value for key, value in message.items() if key != "body"}
    if "examples" not in message and "body" in message:
        data["examples"] = [{"name": DEFAULT_EXAMPLE_NAME, "body": message["body"]}]
    return data


def default_body(examples: list[dict[str, Any]] | None) -> str:
    """What sending the message without naming an example sends: its first example."""
    return str(examples[0].get("body", "")) if examples else ""
