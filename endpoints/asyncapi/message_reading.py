"""Reading a message's payload schema and examples on AsyncAPI import
(endpoints.asyncapi.reading), as endpoints.asyncapi.export writes them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from endpoints.asyncapi.export import X, example_text
from endpoints.asyncapi.samples import sample_of

_JSON_SCHEMA_FORMATS = (
    "application/vnd.aai.asyncapi",
    "application/schema+json",
    "application/schema+yaml",
)


def payload_schema(
    payload: Any, where: str, message_format: str, note: Callable[[str, str], None]
) -> Any:
    """A message's payload as the JSON Schema a documented message keeps (None: none, or
    one Switchboard cannot keep, noted)."""
    if payload is None:
        return None
    if isinstance(payload, dict) and "schemaFormat" in payload and "schema" in payload:
        schema_format = str(payload["schemaFormat"])
        if not schema_format.startswith(_JSON_SCHEMA_FORMATS):
            note(where, f"A {schema_format} schema is not imported (JSON Schema only).")
            return None
        payload = payload["schema"]
    if message_format != "json":
        if payload != {"type": "string"}:
            note(where, f"A schema documents JSON messages; this one is {message_format}.")
        return None
    return payload


def read_examples(
    message: dict[str, Any],
    where: str,
    message_format: str,
    schema: Any,
    document: dict[str, Any],
    deref: Callable[[Any, str], Any],
    note: Callable[[str, str], None],
    leftover: Callable[[dict[str, Any], set[str], str], None],
) -> list[dict[str, str]]:
    """A message's examples as the endpoint API takes them: standard ``examples`` (payload
    values), then the ones kept in ``x-switchboard-examples`` in their places, the text of
    those written otherwise, and a sample made from the schema when there is none."""
    found: list[dict[str, str]] = []
    for index, example in enumerate(message.get("examples") or []):
        at = f"{where}/examples/{index}"
        example = deref(example, at)
        leftover(example, {"name", "summary", "payload"}, at)
        if "payload" not in example:
            note(at, "An example without a payload is not imported.")
            continue
        payload = example["payload"]
        if isinstance(payload, str) and message_format != "json":
            body = payload
        elif isinstance(payload, str) and message_format == "json":
            body = payload if _is_json(payload) else example_text(payload)
        else:
            body = example_text(payload)
        found.append({"name": str(example.get("name") or f"Example {index + 1}"), "body": body})
    for kept in message.get(f"{X}examples") or []:
        if isinstance(kept, dict) and isinstance(kept.get("body"), str):
            item = {"name": str(kept.get("name") or "Example"), "body": kept["body"]}
            place = kept.get("index")
            found.insert(place if isinstance(place, int) else len(found), item)
    for written in message.get(f"{X}example-bodies") or []:
        if not isinstance(written, dict) or not isinstance(written.get("body"), str):
            continue
        place = written.get("index")
        if isinstance(place, int) and 0 <= place < len(found):
            found[place]["body"] = written["body"]
    if not found:
        body = sample_of(message_format, schema, document)
        found.append({"name": "Example", "body": body})
        note(f"{where}/examples", "No example: one was made from the payload schema.")
    names: set[str] = set()
    for item in found:
        base, number = item["name"][:200], 2
        while item["name"] in names:
            item["name"] = f"{base} {number}"
            number += 1
        names.add(item["name"])
    return found


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True
