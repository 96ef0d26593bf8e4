"""Reading uploads (endpoints.asyncapi.loading): YAML is JSON data (dates stay text, keys are
text), ordinary anchors and aliases are fine, and the bounds hold exactly at their limits."""

from __future__ import annotations

from typing import Any

import pytest

from endpoints.asyncapi.loading import MAX_ALIASES, MAX_DEPTH, DocumentError, load_document
from endpoints.models import Message
from tests.endpoints.asyncapi.test_import import do_import, document


def test_yaml_reads_as_json_data() -> None:
    loaded = load_document("asyncapi: 3.0.0\nwhen: 2026-01-01\non: 1\n200: ok\n")
    assert loaded == {"asyncapi": "3.0.0", "when": "2026-01-01", "true": 1, "200": "ok"}


def test_the_bounds_hold_at_their_limits() -> None:
    at_limit = "asyncapi: 3.0.0\nx: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    load_document(at_limit)
    with pytest.raises(DocumentError):
        load_document("asyncapi: 3.0.0\nx: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    aliases = "asyncapi: 3.0.0\nx: &x 1\nl: [" + ", ".join(["*x"] * MAX_ALIASES) + "]\n"
    assert len(load_document(aliases)["l"]) == MAX_ALIASES
    with pytest.raises(DocumentError):
        load_document(aliases.replace("*x]", "*x, *x]"))


def test_a_document_with_ordinary_aliases_imports(team: Any, client_for: Any) -> None:
    # One payload written once and used twice, as YAML authors do.
    text = document("ticker.yaml").replace(
        "        payload:\n          $ref: '#/components/schemas/Ack'\n        examples:",
        "        payload: &ack\n          $ref: '#/components/schemas/Ack'\n        examples:",
        1,
    )
    text = text.replace(
        "        payload:\n          $ref: '#/components/schemas/Ack'\n      price:",
        "        payload: *ack\n      price:",
    )
    assert "*ack" in text and "&ack" in text
    response = do_import(client_for(team.editor), team, text)
    assert response.status_code == 200, response.content
    assert Message.objects.get(name="unsubscribed").schema == {"$ref": "#/components/schemas/Ack"}
