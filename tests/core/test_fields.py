"""OrderedJSONField: JSON Schemas come back with their keys in the order they were written."""

from __future__ import annotations

import pytest

from endpoints.models import Message, ProjectSchema
from tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

# Written in an order jsonb would change (it sorts keys by length, then bytes).
SCHEMA = {
    "type": "object",
    "required": ["symbol", "price"],
    "properties": {
        "symbol": {"type": "string", "description": "Ticker, e.g. BTC — «quoted»"},
        "price": {"type": "number"},
        "qty": {"type": "integer"},
        "a": {"type": "boolean"},
        "lone \udc00 surrogate": {"const": "\u0000"},
    },
}


def test_message_and_project_schemas_keep_their_key_order(team):
    endpoint = make_endpoint(team)
    message = Message.objects.create(
        endpoint=endpoint, name="trade", format="json", schema=SCHEMA, examples=[]
    )
    stored = ProjectSchema.objects.create(project=team.project, name="Trade", schema=SCHEMA)

    for schema in (
        Message.objects.get(pk=message.pk).schema,
        ProjectSchema.objects.get(pk=stored.pk).schema,
    ):
        assert schema == SCHEMA
        assert list(schema) == ["type", "required", "properties"]
        assert list(schema["properties"]) == list(SCHEMA["properties"])


def test_null_true_and_false_schemas_are_kept_apart(team):
    endpoint = make_endpoint(team)
    for name, schema in (("none", None), ("anything", True), ("nothing", False)):
        Message.objects.create(endpoint=endpoint, name=name, format="json", schema=schema)
    stored = dict(Message.objects.filter(endpoint=endpoint).values_list("name", "schema"))
    assert stored == {"none": None, "anything": True, "nothing": False}
    assert Message.objects.filter(endpoint=endpoint, schema__isnull=True).count() == 1
