"""An example body for an imported message that has none (every Switchboard message has one):
the schema's own example, default or const where it has one, else the smallest value of the
schema's shape. Pure; references are followed inside the document, a bounded number of times."""

from __future__ import annotations

import json
from typing import Any

from endpoints.contracts.pointers import MISSING, pointer_parts, resolve

MAX_STEPS = 200
_EMPTY_BODIES = {"xml": "<message/>", "html": "<p></p>", "text": "", "base64": "", "hex": ""}


def sample_of(message_format: str, schema: Any, document: Any) -> str:
    """A body of ``message_format`` that fits ``schema`` when it is a simple one."""
    if message_format != "json":
        return _EMPTY_BODIES.get(message_format, "")
    steps = [0]
    value = _value(schema, document, steps)
    return json.dumps(value, ensure_ascii=False)


def _value(schema: Any, document: Any, steps: list[int]) -> Any:
    steps[0] += 1
    if steps[0] > MAX_STEPS or not isinstance(schema, dict):
        return None if schema is not True else {}
    if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#"):
        try:
            target = resolve(document, pointer_parts(schema["$ref"][1:]))
        except ValueError:
            target = MISSING
        return None if target is MISSING else _value(target, document, steps)
    for keyword in ("const", "default"):
        if keyword in schema:
            return schema[keyword]
    for keyword in ("examples", "enum"):
        if isinstance(schema.get(keyword), list) and schema[keyword]:
            return schema[keyword][0]
    for keyword in ("allOf", "oneOf", "anyOf"):
        if isinstance(schema.get(keyword), list) and schema[keyword]:
            if keyword == "allOf":
                merged: dict[str, Any] = {}
                for part in schema[keyword]:
                    found = _value(part, document, steps)
                    if isinstance(found, dict):
                        merged.update(found)
                return merged
            return _value(schema[keyword][0], document, steps)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {
            name: _value(properties.get(name, {}), document, steps)
            for name in schema.get("required") or []
            if isinstance(name, str)
        }
    if kind == "array":
        count = schema.get("minItems", 0)
        item = _value(schema.get("items", {}), document, steps) if count else None
        return [item] * min(int(count), 10) if isinstance(count, int) else []
    if kind == "string":
        return "x" * min(int(schema.get("minLength", 0) or 0), 100)
    if kind in ("number", "integer"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return (
            (low + 1 if "exclusiveMinimum" in schema else low)
            if isinstance(low, int | float)
            else 0
        )
    if kind == "boolean":
        return False
    return None
