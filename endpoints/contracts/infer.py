"""Generate a JSON Schema from example payloads (an example or a logged frame), with genson."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from genson import SchemaBuilder

from .schemas import DIALECT


def infer_schema(values: Iterable[Any]) -> dict[str, Any]:
    """The narrowest draft 2020-12 schema that every value in ``values`` satisfies."""
    builder = SchemaBuilder(schema_uri=DIALECT)
    for value in values:
        builder.add_object(value)
    schema: dict[str, Any] = builder.to_schema()
    return schema
