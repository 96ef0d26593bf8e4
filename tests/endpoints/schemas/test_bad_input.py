"""Bad input to project schemas gets one clear error (400, 409 or 413 in the one error shape)
that says where, and changes nothing in the database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from endpoints.contracts.limits import MAX_SCHEMA_BYTES
from endpoints.models import ProjectSchema
from tests.conftest import assert_error
from tests.endpoints.schemas.conftest import TRADE, Schemas, make_schema
from tests.endpoints.test_bad_input import workspace_rows

BIG_SCHEMA = {"enum": ["x" * 1000] * 300}  # ~300 KB of JSON, over the 256 KiB limit


@dataclass(frozen=True)
class Bad:
    method: str  # "post" (a new schema), "patch" / "delete" of `target`
    body: dict[str, Any] | None
    status: int
    code: str
    says: str  # in the detail or the named field's messages
    field: str | None = None
    target: str = "Spare"  # the name of the schema a patch or delete is sent to


CASES = {
    "name-starts-with-digit": Bad(
        "post",
        {"name": "1x", "schema": {}},
        400,
        "validation_error",
        "starts with a letter",
        "name",
    ),
    "name-with-slash": Bad(
        "post", {"name": "a/b", "schema": {}}, 400, "validation_error", "letters, digits", "name"
    ),
    "name-with-space": Bad(
        "post", {"name": "a b", "schema": {}}, 400, "validation_error", "letters, digits", "name"
    ),
    "name-with-tilde": Bad(
        "post", {"name": "a~b", "schema": {}}, 400, "validation_error", "letters, digits", "name"
    ),
    "name-too-long": Bad(
        "post", {"name": "a" * 101, "schema": {}}, 400, "validation_error", "at most 99", "name"
    ),
    "name-empty": Bad("post", {"name": "", "schema": {}}, 400, "validation_error", "blank", "name"),
    "name-taken": Bad(
        "post",
        {"name": "Trade", "schema": {}},
        400,
        "validation_error",
        "'Trade' already exists",
        "name",
    ),
    "rename-to-taken": Bad(
        "patch",
        {"version": 1, "name": "Trade"},
        400,
        "validation_error",
        "'Trade' already exists",
        "name",
    ),
    "schema-missing": Bad(
        "post", {"name": "Q"}, 400, "validation_error", "schema is required", "schema"
    ),
    "schema-null": Bad(
        "post", {"name": "Q", "schema": None}, 400, "validation_error", "null", "schema"
    ),
    "schema-not-an-object": Bad(
        "post", {"name": "Q", "schema": [1]}, 400, "validation_error", "is an object", "schema"
    ),
    "schema-bad-type": Bad(
        "post",
        {"name": "Q", "schema": {"type": "strnig"}},
        400,
        "validation_error",
        "/type",
        "schema",
    ),
    "schema-bad-keyword-deep": Bad(
        "post",
        {"name": "Q", "schema": {"properties": {"a": {"minimum": "x"}}}},
        400,
        "validation_error",
        "/properties/a/minimum",
        "schema",
    ),
    "schema-old-draft": Bad(
        "post",
        {"name": "Q", "schema": {"$schema": "http://json-schema.org/draft-07/schema#"}},
        400,
        "validation_error",
        "2020-12",
        "schema",
    ),
    "schema-components": Bad(
        "post",
        {"name": "Q", "schema": {"components": {}}},
        400,
        "validation_error",
        "/components",
        "schema",
    ),
    "unknown-ref": Bad(
        "post",
        {"name": "Q", "schema": {"properties": {"a": {"$ref": "#/components/schemas/Nope"}}}},
        400,
        "validation_error",
        "'Nope'",
        "schema",
    ),
    "outside-ref": Bad(
        "post",
        {"name": "Q", "schema": {"$ref": "https://example.test/s.json"}},
        400,
        "validation_error",
        "outside the project",
        "schema",
    ),
    "circular-self": Bad(
        "post",
        {"name": "Loop", "schema": {"$ref": "#/components/schemas/Loop"}},
        400,
        "validation_error",
        "circular",
        "schema",
    ),
    "circular-across-two": Bad(
        "patch",
        {"version": 1, "schema": {"$ref": "#/components/schemas/Alias"}},
        400,
        "validation_error",
        "circular",
        "schema",
        "Base",
    ),
    "nul-in-schema": Bad(
        "post",
        {"name": "Q", "schema": {"description": "a\u0000b"}},
        400,
        "validation_error",
        "NUL",
        "schema",
    ),
    "too-large": Bad("post", {"name": "Q", "schema": BIG_SCHEMA}, 413, "too_large", "limit"),
    "too-large-update": Bad(
        "patch", {"version": 1, "schema": BIG_SCHEMA}, 413, "too_large", "limit"
    ),
    "text-not-json": Bad(
        "post",
        {"name": "Q", "schema_text": '{\n  "type": "object",\n}'},
        400,
        "validation_error",
        "line 3, column 1",
        "schema_text",
    ),
    "text-empty": Bad(
        "post",
        {"name": "Q", "schema_text": ""},
        400,
        "validation_error",
        "line 1, column 1",
        "schema_text",
    ),
    "text-nan": Bad(
        "post",
        {"name": "Q", "schema_text": '{"minimum": NaN}'},
        400,
        "validation_error",
        "NaN",
        "schema_text",
    ),
    "text-and-schema": Bad(
        "post",
        {"name": "Q", "schema": {}, "schema_text": "{}"},
        400,
        "validation_error",
        "not both",
        "schema_text",
    ),
    "text-bad-schema": Bad(
        "post",
        {"name": "Q", "schema_text": '{"type": 5}'},
        400,
        "validation_error",
        "/type",
        "schema",
    ),
    "change-breaks-an-example": Bad(
        "patch",
        {"version": 1, "schema": {"type": "object", "properties": {"price": {"type": "string"}}}},
        400,
        "validation_error",
        "example 'BTC' of message 'trade' of endpoint 'Ticker'",
        "schema",
        "Trade",
    ),
    "change-breaks-through-another-schema": Bad(
        "patch",
        {"version": 1, "schema": {"type": "integer"}},
        400,
        "validation_error",
        "message 'via' of endpoint 'Ticker'",
        "schema",
        "Spare",
    ),
    "rename-in-use-by-a-message": Bad(
        "patch",
        {"version": 1, "name": "Deal"},
        409,
        "schema_in_use",
        "message 'trade' of endpoint 'Ticker'",
        None,
        "Trade",
    ),
    "rename-in-use-by-a-schema": Bad(
        "patch", {"version": 1, "name": "Extra"}, 409, "schema_in_use", "schema 'A'", None, "Spare"
    ),
    "delete-in-use-by-a-message": Bad(
        "delete", None, 409, "schema_in_use", "message 'trade' of endpoint 'Ticker'", None, "Trade"
    ),
    "delete-in-use-by-a-schema": Bad(
        "delete", None, 409, "schema_in_use", "schema 'A'", None, "Spare"
    ),
    "stale-version": Bad(
        "patch",
        {"version": 9, "description": "x"},
        412,
        "version_conflict",
        "changed by someone else",
    ),
    "unknown-field-type": Bad(
        "post",
        {"name": "Q", "schema": {}, "description": ["x"]},
        400,
        "validation_error",
        "string",
        "description",
    ),
}


@pytest.fixture
def world(schemas: Schemas) -> Schemas:
    """Adds schema A (an object whose `spare` is Spare), message `via` of Ticker (an A, with
    an example that needs Spare to be a string), and Alias, which is Base (in place)."""
    from tests.endpoints.schemas.conftest import make_message

    make_schema(
        schemas.team,
        "A",
        {"type": "object", "properties": {"spare": {"$ref": "#/components/schemas/Spare"}}},
    )
    make_message(schemas.endpoint, "via", {"$ref": "#/components/schemas/A"}, '{"spare": "s"}')
    make_schema(schemas.team, "Base", {"type": "object"})
    make_schema(schemas.team, "Alias", {"allOf": [{"$ref": "#/components/schemas/Base"}]})
    return schemas


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_refused_and_changes_nothing(
    world: Schemas, client_for: Any, name: str
) -> None:
    case = CASES[name]
    api = client_for(world.team.editor)
    before = workspace_rows()
    if case.method == "post":
        response = api.post(world.base, case.body, format="json")
    else:
        url = world.url(ProjectSchema.objects.get(project=world.team.project, name=case.target))
        response = getattr(api, case.method)(url, case.body, format="json")
    body = assert_error(response, case.status, case.code)
    said = body["detail"] if case.field is None else " ".join(body["fields"][case.field])
    assert case.says in said, body
    if case.field is not None and case.code == "validation_error":
        assert set(body["fields"]) == {case.field}, body
    if case.code == "schema_in_use":
        assert body["used_by"], body
    assert workspace_rows() == before


def test_a_schema_error_names_the_path_in_the_detail(world: Schemas, client_for: Any) -> None:
    api = client_for(world.team.editor)
    body = assert_error(
        api.post(world.base, {"name": "Q", "schema": {"items": {"type": 1}}}, format="json"), 400
    )
    assert "/items/type" in body["detail"]


def test_a_change_that_keeps_every_example_valid_is_accepted(
    world: Schemas, client_for: Any
) -> None:
    api = client_for(world.team.editor)
    looser = {"type": "object", "properties": {"price": {"type": "number"}}}
    response = api.patch(world.url(world.trade), {"version": 1, "schema": looser}, format="json")
    assert response.status_code == 200, response.content
    # An example that is not JSON as stored ({{variables}}) is checked when it is sent instead.
    world.endpoint.messages.filter(name="trade").update(
        examples=[{"name": "Var", "body": '{"price": {{price}}}'}]
    )
    stricter = {**looser, "required": ["symbol"]}
    response = api.patch(world.url(world.trade), {"version": 2, "schema": stricter}, format="json")
    assert response.status_code == 200, response.content


def test_examples_are_checked_by_the_rule_of_a_message_write(
    world: Schemas, client_for: Any
) -> None:
    """An example with a {{reference}} in a JSON string is valid JSON as stored, and a message
    write accepts it (checked once substituted, at send): a schema change must not refuse it.
    An escaped \\{{ is literal text as sent, so that example is checked, and blocks."""
    api = client_for(world.team.editor)
    world.endpoint.messages.filter(name="trade").update(
        examples=[
            {"name": "Var", "body": '{"type": "trade", "symbol": "BTC", "price": "{{price}}"}'}
        ]
    )
    stricter = {**TRADE, "properties": {"symbol": {"type": "string"}, "price": {"type": "integer"}}}
    response = api.patch(world.url(world.trade), {"version": 1, "schema": stricter}, format="json")
    assert response.status_code == 200, response.content

    world.endpoint.messages.filter(name="trade").update(
        examples=[
            {
                "name": "Escaped",
                "body": '{"type": "trade", "symbol": "BTC", "price": "\\{{price}}"}',
            }
        ]
    )
    before = workspace_rows()
    body = assert_error(
        api.patch(world.url(world.trade), {"version": 2, "schema": TRADE}, format="json"), 400
    )
    # TRADE says price is a number; the escaped example's price is the string "{{price}}".
    assert "example 'Escaped'" in " ".join(body["fields"]["schema"]), body
    assert "/price" in " ".join(body["fields"]["schema"]), body
    assert workspace_rows() == before


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_schema_over_the_limit_names_its_field_size_and_limit(
    world: Schemas, client_for: Any, method: str
) -> None:
    api = client_for(world.team.editor)
    if method == "post":
        response = api.post(world.base, {"name": "Q", "schema": BIG_SCHEMA}, format="json")
    else:
        response = api.patch(
            world.url(world.spare), {"version": 1, "schema": BIG_SCHEMA}, format="json"
        )
    body = assert_error(response, 413, "too_large")
    assert set(body["fields"]) == {"schema"}, body
    assert body["size"] > body["limit"] == MAX_SCHEMA_BYTES, body
    assert str(MAX_SCHEMA_BYTES) in body["fields"]["schema"][0], body
