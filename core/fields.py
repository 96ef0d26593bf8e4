"""Model fields shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.db import models


class OrderedJSONField(models.TextField):  # type: ignore[type-arg]
    """A JSON value kept as its text, so object keys come back in the order they were written.

    PostgreSQL's ``jsonb`` (what ``models.JSONField`` uses there) stores object keys sorted by
    length, then bytes: a JSON Schema read back from it lists its properties out of the order
    its author chose, and docs tables, editors and exports must show that order. The value is
    the parsed JSON in Python, as with ``JSONField``; SQL NULL is ``None``. Non-ASCII is stored
    escaped, so any string Python holds (lone surrogates included) can be stored.
    """

    description = "JSON, stored as text in its written key order"
    # What django-stubs reads as the field's Python types: any JSON value, like JSONField.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return json.dumps(value, separators=(",", ":"))

    def value_to_string(self, obj: models.Model) -> str:
        return str(self.get_prep_value(self.value_from_object(obj)))
