"""Schema tables, match rules in words and the project schemas a message refers to."""

from __future__ import annotations

from typing import Any

import pytest

from docs_app import schema_table
from docs_app.schema_table import (
    ROOT,
    SchemaRow,
    constraints_of,
    match_words,
    mentions_ref,
    schema_rows,
)
from endpoints.contracts.schemas import ref_name, referenced_in_order
from tests.docs_app.conftest import FILL_SCHEMA, TRADE_SCHEMA

PROJECT = {"Fill": FILL_SCHEMA}


def rows(schema: Any, project: dict[str, Any] | None = None) -> dict[str, SchemaRow]:
    return {row.path: row for row in schema_rows(schema, project or {}).rows}


def test_the_trade_table_row_by_row():
    table = schema_rows(TRADE_SCHEMA, PROJECT)
    assert [row.path for row in table.rows] == [
        "type",
        "symbol",
        "side",
        "maker",
        "maker.id",
        "maker.tier",
        "fills",
        "fills[].px",
        "fills[].qty",
        "fills[].next",
    ]
    found = {row.path: row for row in table.rows}
    assert found["type"] == SchemaRow("type", "string", True, ('= "trade"',), "")
    assert found["symbol"].constraints == ("length ≤ 12", "pattern /^[A-Z]+$/")
    assert found["side"] == SchemaRow(
        "side", "string", False, ('one of "buy", "sell"', 'default "buy"'), ""
    )
    assert found["maker"].type == "object" and not found["maker"].required
    assert found["maker.id"] == SchemaRow("maker.id", "integer", True, ("≥ 1",), "Account number")
    assert found["maker.tier"].type == "string or null"
    assert found["fills"] == SchemaRow(
        "fills", "array of Fill (project schema)", True, ("items ≥ 1",), ""
    )
    assert found["fills[].px"] == SchemaRow("fills[].px", "number", True, ("> 0",), "Price")
    assert found["fills[].qty"].constraints == ("≥ 0",)
    # Fill refers to itself: named, not expanded again
    assert found["fills[].next"].type == "Fill (project schema)"
    assert table.omitted == 0 and table.root_type == "object" and table.root_constraints == ()


def test_recursion_stops_at_a_repeat_but_a_sibling_ref_is_expanded():
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/components/schemas/Fill"},
            "b": {"$ref": "#/components/schemas/Fill"},
        },
    }
    found = rows(schema, PROJECT)
    assert list(found) == ["a", "a.px", "a.qty", "a.next", "b", "b.px", "b.qty", "b.next"]
    assert found["a"].description == "", "a property's own description only"
    # a project schema listed by reference stops at its first mention of itself
    table = schema_rows({"$ref": "#/components/schemas/Fill"}, PROJECT)
    assert [row.path for row in table.rows] == ["px", "qty", "next"]


def test_mutual_recursion_stops():
    project = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}}},
    }
    found = rows({"$ref": "#/components/schemas/A"}, project)
    assert list(found) == ["b", "b.a"]
    assert found["b.a"].type == "A (project schema)"
    assert schema_rows({"$ref": "#/components/schemas/A"}, project).root_type == (
        "A (project schema)"
    )


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": ["integer", "null"]}, "integer or null"),
        ({"anyOf": [{"type": "string"}, {"type": "number"}]}, "string or number"),
        ({"const": 3}, "integer"),
        ({"const": None}, "null"),
        ({"enum": ["a", 1, 1.5, True, [1], {"x": 1}]}, None),
        ({"type": "array"}, "array"),
        ({"type": "array", "items": {"type": "array", "items": {"type": "integer"}}}, None),
        ({"items": {"type": "string"}}, "array of string"),
        ({"prefixItems": [{"type": "string"}]}, "array"),
        ({}, "any"),
        (True, "any"),
        (False, "nothing (never valid)"),
        ({"description": "whatever"}, "any"),
        ({"$ref": "#/components/schemas/Nope"}, "Nope (project schema)"),
        ({"$ref": "https://elsewhere.example/x"}, "https://elsewhere.example/x (unresolved)"),
        ({"$ref": "#bad"}, "#bad (unresolved)"),
    ],
)
def test_types_in_words(schema, expected):
    expected = (
        expected
        or {
            '{"enum"': "string or integer or number or boolean or array or object",
            '{"type"': "array of array of integer",
        }[str(schema).replace("'", '"').split(":")[0]]
    )
    (row,) = schema_rows(schema, PROJECT).rows
    assert row.path == ROOT and row.type == expected


def test_a_message_that_is_one_of_several_objects_lists_their_properties():
    table = schema_rows(
        {"oneOf": [{"$ref": "#/components/schemas/Fill"}, {"type": "null"}]}, PROJECT
    )
    assert [row.path for row in table.rows] == ["px", "qty", "next"]
    assert table.root_type == "Fill (project schema) or null"
    table = schema_rows(
        {"allOf": [{"type": "object"}, {"$ref": "#/components/schemas/Fill"}]}, PROJECT
    )
    assert table.root_type == "object and Fill (project schema)"


def test_a_union_of_objects_lists_each_branch_s_properties():
    schema = {
        "type": "object",
        "properties": {
            "alt": {"oneOf": [{"$ref": "#/components/schemas/Fill"}, {"type": "null"}]},
            "both": {"allOf": [{"properties": {"x": {"type": "integer"}}, "required": ["x"]}]},
        },
    }
    found = rows(schema, PROJECT)
    assert list(found) == ["alt", "alt.px", "alt.qty", "alt.next", "both", "both.x"]
    assert found["alt"].type == "Fill (project schema) or null"
    assert found["both.x"].required


def test_arrays_of_objects_and_arrays_of_arrays():
    schema = {
        "type": "object",
        "properties": {
            "levels": {
                "type": "array",
                "items": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"p": {"type": "number"}}},
                },
            },
        },
    }
    found = rows(schema)
    assert list(found) == ["levels", "levels[][].p"]
    assert found["levels"].type == "array of array of object"


def test_a_message_that_is_not_an_object_is_one_row():
    (row,) = schema_rows({"type": "array", "items": {"type": "integer"}, "maxItems": 3}, {}).rows
    assert row == SchemaRow(ROOT, "array of integer", True, ("items ≤ 3",), "")
    # an array of objects: the row, then the items' properties
    table = schema_rows({"type": "array", "items": {"properties": {"id": {}}}}, {})
    assert [row.path for row in table.rows] == [ROOT, "[].id"]


def test_what_the_whole_message_must_be():
    table = schema_rows(
        {"type": "object", "additionalProperties": False, "properties": {"a": {}}}, {}
    )
    assert table.root_constraints == ("no other properties",)
    assert [row.path for row in table.rows] == ["a"]
    assert table.rows[0].type == "any"


def test_local_definitions_are_resolved_and_named():
    schema = {
        "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}},
        "type": "object",
        "properties": {"at": {"$ref": "#/$defs/Point"}, "bad": {"$ref": "#/$defs/None"}},
    }
    found = rows(schema)
    assert list(found) == ["at", "at.x", "bad"]
    assert found["at"].type == "Point (definition)"
    assert found["bad"].type == "None (definition)"


def test_every_constraint_in_words():
    schema = {
        "const": "x",
        "enum": ["x", "y"],
        "minimum": 0,
        "exclusiveMinimum": -1,
        "maximum": 10.5,
        "exclusiveMaximum": 11,
        "multipleOf": 0.5,
        "minLength": 1,
        "maxLength": 9,
        "minItems": 1,
        "maxItems": 4,
        "minProperties": 1,
        "maxProperties": 2,
        "uniqueItems": True,
        "pattern": "^x$",
        "format": "date-time",
        "additionalProperties": False,
        "default": "é",
    }
    assert constraints_of(schema) == (
        '= "x"',
        'one of "x", "y"',
        "≥ 0",
        "> -1",
        "≤ 10.5",
        "< 11",
        "multiple of 0.5",
        "length ≥ 1",
        "length ≤ 9",
        "items ≥ 1",
        "items ≤ 4",
        "properties ≥ 1",
        "properties ≤ 2",
        "unique items",
        "pattern /^x$/",
        "format date-time",
        "no other properties",
        'default "é"',
    )
    assert constraints_of({}) == ()
    assert constraints_of({"uniqueItems": False, "minimum": True}) == ("≥ true",)


def test_required_and_descriptions():
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "description": "  spread\n over   lines "},
            "b": {"$ref": "#/components/schemas/Fill", "description": "Here: the best fill"},
        },
    }
    found = rows(schema, PROJECT)
    assert found["a"].required and found["a"].description == "spread over lines"
    assert not found["b"].required and found["b"].description == "Here: the best fill"


def test_huge_schemas_are_cut_and_say_how_much(monkeypatch):
    monkeypatch.setattr(schema_table, "MAX_ROWS", 5)
    schema = {
        "type": "object",
        "properties": {
            f"p{i}": {"type": "object", "properties": {"x": {}, "y": {}}} for i in range(4)
        },
    }
    table = schema_rows(schema, {})
    assert len(table.rows) == 5 and table.omitted == 7
    assert table.omitted_text == "7 more properties not listed."


def test_shared_references_cannot_make_the_table_explode():
    # Ten levels of ten properties, each a reference to the next level: 10**10 paths.
    project = {
        f"L{n}": {
            "type": "object",
            "properties": {f"p{i}": {"$ref": f"#/components/schemas/L{n + 1}"} for i in range(10)},
        }
        for n in range(10)
    }
    project["L10"] = {"type": "string"}
    table = schema_rows({"$ref": "#/components/schemas/L0"}, project)
    assert len(table.rows) == schema_table.MAX_ROWS
    assert table.omitted >= schema_table.MAX_COUNTED and table.omitted_more
    assert table.omitted_text.startswith("More than 10,") and "more" not in table.omitted_text


def test_deep_nesting_stops_at_the_depth_limit():
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(schema_table.MAX_DEPTH + 5):
        schema = {"type": "object", "properties": {"n": schema}}
    table = schema_rows(schema, {})
    assert len(table.rows) == schema_table.MAX_DEPTH + 1
    assert table.omitted > 0


def test_referenced_schemas_follow_refs_through_each_other():
    project = {
        "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"items": {"$ref": "#/components/schemas/A"}},
        "C": {"type": "string"},
    }
    schemas = [
        None,
        {"properties": {"x": {"$ref": "#/components/schemas/B"}}},
        {"const": {"$ref": "#/components/schemas/C"}},  # a value, not a reference
        {"$ref": "#/components/schemas/Missing"},
    ]
    assert referenced_in_order(schemas, project) == ["B", "A"]
    assert referenced_in_order([], project) == []
    assert mentions_ref(schemas[1]) and not mentions_ref(None) and not mentions_ref({"a": 1})
    assert ref_name("#/components/schemas/Fill") == "Fill"
    assert ref_name("#/components/schemas/") is None and ref_name("#/$defs/X") is None


@pytest.mark.parametrize(
    ("match", "words"),
    [
        (None, "any frame"),
        ({}, "any frame"),
        ({"kind": "any"}, "any frame"),
        ({"kind": "path", "path": "$.type", "value": "trade"}, '$.type = "trade"'),
        ({"kind": "path", "path": "/code", "value": 4}, "/code = 4"),
        ({"kind": "path", "path": "$.id"}, "$.id present"),
        ({"kind": "regex", "pattern": "^PING"}, "text matching /^PING/"),
        ({"kind": "mystery"}, "any frame"),
    ],
)
def test_match_rules_in_words(match, words):
    assert match_words(match) == words


def test_what_a_referenced_message_must_be_keeps_the_schema_s_name():
    project = {"OrderBook": {"type": "object", "maxProperties": 3, "properties": {"a": {}}}}
    table = schema_rows({"$ref": "#/components/schemas/OrderBook"}, project)
    assert table.root_type == "OrderBook (project schema)"
    assert table.root_constraints == ("properties ≤ 3",)
