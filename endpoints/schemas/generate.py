"""JSON text typed by a person (a schema in the editor, an example, a logged frame) read as a
value, with errors that say where; and a schema generated from such a value."""

from __future__ import annotations

import json
from typing import Any

from core.errors import ValidationFailed
from core.formats import BodyFormatError, validate_body
from endpoints.contracts.infer import infer_schema
from endpoints.contracts.limits import MAX_EXAMPLE_BYTES
from endpoints.tree.messages import too_large
from sessions.models import Event, EventKind


def _refuse_constant(name: str) -> Any:
    raise BodyFormatError(f"{name} is not JSON (JSON has no NaN or Infinity).")


def json_value(text: str) -> Any:
    """The value ``text`` holds; BodyFormatError ("Invalid JSON at line L, column C: …")."""
    validate_body("json", text)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise BodyFormatError("The JSON is nested too deeply.") from None


def schema_from_text(text: str, *, field: str, what: str = "The example") -> dict[str, Any]:
    """The schema generated from the JSON in ``text``; errors name ``field``."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_EXAMPLE_BYTES:
        raise too_large(field, what, size, MAX_EXAMPLE_BYTES)
    try:
        value = json_value(text)
    except BodyFormatError as exc:
        raise ValidationFailed(
            {field: [f"{what} is not JSON, so no schema can be generated from it. {exc}"]}
        ) from None
    return infer_schema([value])


def frame_text(frame: Event, seq: int) -> str:
    """The payload of a logged message frame as text; a 400 naming ``seq`` when there is none."""
    if frame.kind not in (EventKind.SENT, EventKind.RECEIVED):
        raise ValidationFailed({"seq": [f"Entry {seq} is a {frame.kind!r} entry, not a message."]})
    if frame.truncated:
        raise ValidationFailed(
            {"seq": [f"Frame {seq} was stored truncated, so it is not JSON as logged."]}
        )
    if frame.text is not None:
        return frame.text
    try:
        return bytes(frame.data or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(
            {"seq": [f"Frame {seq} is binary, not JSON text: no schema can be generated."]}
        ) from None
