"""The documented messages of a Socket.IO endpoint: each is an event (its name, by default the
message's), its examples are argument arrays, and it may document its acknowledgement's
arguments (``ack_schema``). endpoints.tree.messages calls these beside its own checks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from core.socketio.handshake import event_name_problem
from endpoints.contracts.limits import MAX_SCHEMA_BYTES, json_size
from endpoints.contracts.schemas import SchemaError, check_schema
from endpoints.environments.resolver import static_text
from endpoints.models import MessageFormat

Problem = Callable[[str, str], None]
ARGUMENTS_HINT = 'Socket.IO arguments are a JSON array, one item per argument: ["hi", {"room": 1}].'


def as_event(message: dict[str, Any]) -> dict[str, Any]:
    """A Socket.IO message as stored: JSON, its event named after it unless it names one,
    and a new message without examples sends no arguments."""
    message["format"] = MessageFormat.JSON
    if not message.get("event") and isinstance(message.get("name"), str):
        message["event"] = message["name"]
    for example in message.get("examples") or ():
        if isinstance(example, dict) and example.get("body") == "":
            example["body"] = "[]"
    return message


def event_problems(
    message: dict[str, Any],
    at: str,
    problem: Problem,
    body_field: Callable[[int], str],
    schemas: Callable[[], dict[str, Any]],
) -> None:
    """Name what is wrong with one Socket.IO message: its event name, examples that are not
    argument arrays, an unusable ack schema. (Oversized ack schemas raise through ``too_large``
    in the caller's way: reported here as a problem of the field.)"""
    wrong = event_name_problem(message.get("event"))
    if wrong:
        problem(f"{at}.event", wrong)
    for number, example in enumerate(message.get("examples") or ()):
        body = example.get("body") if isinstance(example, dict) else None
        text = static_text(body) if isinstance(body, str) else None
        if text is None:
            continue  # named by the caller, or checked once its references are substituted
        try:
            value = json.loads(text)
        except ValueError:
            continue  # the JSON format check names it
        if not isinstance(value, list):
            problem(body_field(number), ARGUMENTS_HINT)
    ack_schema = message.get("ack_schema")
    if ack_schema is None:
        return
    size = json_size(ack_schema)
    if size > MAX_SCHEMA_BYTES:
        problem(f"{at}.ack_schema", f"The schema is {size} bytes; the limit is {MAX_SCHEMA_BYTES}.")
        return
    try:
        check_schema(ack_schema, schemas())
    except SchemaError as exc:
        problem(f"{at}.ack_schema", str(exc))


def websocket_event_problems(message: dict[str, Any], at: str, problem: Problem) -> None:
    """A WebSocket endpoint's message documents no event or acknowledgement."""
    if message.get("event"):
        problem(f"{at}.event", "Only a Socket.IO endpoint's messages are events.")
    if message.get("ack_schema") is not None:
        problem(f"{at}.ack_schema", "Only a Socket.IO endpoint's messages have acknowledgements.")
