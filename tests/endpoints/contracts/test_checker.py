"""The contract checker on its own: match rules, schemas, verdicts, and what it refuses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from endpoints.contracts.checker import Check, contract_for
from endpoints.contracts.infer import infer_schema
from endpoints.contracts.limits import MAX_PROBLEMS, MAX_REASON_CHARS, short_reason
from endpoints.contracts.pointers import MISSING, pointer_of, pointer_parts, resolve
from endpoints.contracts.rules import RuleError, check_rule, compile_rule
from endpoints.contracts.schemas import SchemaError, check_schema, referenced_names

FILL = {"type": "object", "required": ["px", "q"], "properties": {"px": {"type": "number"}}}
TRADE = {
    "type": "object",
    "required": ["type", "symbol", "price", "qty"],
    "properties": {
        "type": {"const": "trade"},
        "symbol": {"type": "string", "pattern": "^[A-Z]+$"},
        "price": {"type": "number", "minimum": 0},
        "qty": {"type": "integer"},
        "fills": {"type": "array", "items": {"$ref": "#/components/schemas/Fill"}},
    },
}
TICKER: list[dict[str, Any]] = [
    {
        "name": "subscribe",
        "direction": "send",
        "format": "json",
        "schema": {"type": "object", "required": ["op", "channel"]},
        "match": {"kind": "path", "path": "$.op", "value": "subscribe"},
    },
    {
        "name": "subscribed",
        "direction": "receive",
        "format": "json",
        "schema": None,
        "match": {"kind": "path", "path": "/type", "value": "subscribed"},
    },
    {
        "name": "trade",
        "direction": "receive",
        "format": "json",
        "schema": TRADE,
        "match": {"kind": "path", "path": "$.type", "value": "trade"},
    },
    {
        "name": "pong",
        "direction": "receive",
        "format": "text",
        "match": {"kind": "regex", "pattern": "^pong"},
    },
]


def ticker():
    return contract_for(TICKER, {"Fill": FILL})


def frame(**fields: Any) -> str:
    return json.dumps({"type": "trade", "symbol": "BTC", "price": 1.5, "qty": 2, **fields})


def test_frames_are_named_and_checked():
    contract = ticker()
    valid = contract.check("receive", frame(fills=[{"px": 1, "q": 2}]))
    assert (valid.check, valid.message, valid.problems) == (Check.VALID, "trade", [])

    wrong = contract.check("receive", frame(price="abc", fills=[{"q": 1}]))
    assert wrong.check == Check.INVALID and wrong.message == "trade"
    assert {p["path"] for p in wrong.problems} == {"/price", "/fills/0"}

    assert contract.check("receive", '{"type": "subscribed"}').message == "subscribed"
    assert contract.check("receive", "pong 17").message == "pong"
    heartbeat = contract.check("receive", '{"type": "heartbeat"}')
    assert (heartbeat.check, heartbeat.message) == (Check.UNDOCUMENTED, None)
    assert contract.check("receive", None).check == Check.UNDOCUMENTED  # a binary frame


def test_the_first_matching_message_wins_and_a_matched_json_message_needs_json():
    contract = contract_for(
        [
            {
                "name": "any text",
                "direction": "receive",
                "format": "json",
                "match": {"kind": "any"},
            },
            {"name": "never", "direction": "receive", "format": "json", "match": {"kind": "any"}},
        ],
        {},
    )
    verdict = contract.check("receive", "not json")
    assert verdict.message == "any text" and verdict.check == Check.INVALID
    assert verdict.problems == [{"path": "", "reason": "not valid JSON"}]


def test_a_direction_without_documented_messages_is_not_checked():
    contract = contract_for([m for m in TICKER if m["direction"] == "receive"], {"Fill": FILL})
    assert contract.check("send", '{"op": "anything"}').check == Check.NONE
    assert not contract.documents("send") and contract.documents("receive")


def test_a_send_of_a_named_message_is_checked_as_that_message():
    contract = ticker()
    verdict = contract.check_as("subscribe", '{"op": "other"}')
    assert verdict.message == "subscribe" and verdict.problems[0]["path"] == ""
    assert "channel" in verdict.problems[0]["reason"]


def test_problems_are_bounded():
    schema = {"type": "object", "properties": {f"p{i}": {"type": "integer"} for i in range(30)}}
    contract = contract_for(
        [{"name": "m", "direction": "receive", "format": "json", "schema": schema}], {}
    )
    verdict = contract.check("receive", json.dumps({f"p{i}": "x" for i in range(30)}))
    assert len(verdict.problems) == MAX_PROBLEMS + 1
    assert verdict.problems[-1] == {"path": "", "reason": "and more"}


def test_compiled_contracts_are_shared_by_content():
    assert ticker() is ticker()
    assert contract_for(TICKER[:1], {}) is not ticker()


@pytest.mark.parametrize(
    ("rule", "text", "matches"),
    [
        ({"kind": "path", "path": "$.a.b[1]", "value": 2}, '{"a": {"b": [1, 2]}}', True),
        ({"kind": "path", "path": "$['a']['b'][0]", "value": 1}, '{"a": {"b": [1, 2]}}', True),
        ({"kind": "path", "path": "/a/b/1", "value": 2}, '{"a": {"b": [1, 2]}}', True),
        ({"kind": "path", "path": "/a~1b", "value": 1}, '{"a/b": 1}', True),
        ({"kind": "path", "path": "$.n", "value": 1}, '{"n": 1.0}', True),
        ({"kind": "path", "path": "$.n", "value": 1}, '{"n": true}', False),
        ({"kind": "path", "path": "$.n", "value": True}, '{"n": 1}', False),
        ({"kind": "path", "path": "$.n"}, '{"n": null}', True),
        ({"kind": "path", "path": "$.n"}, '{"m": 1}', False),
        (
            {"kind": "path", "path": "$.items[?@.id == 3].ok", "value": True},
            '{"items": [{"id": 3, "ok": true}]}',
            True,
        ),
        (
            {"kind": "path", "path": "$..id", "value": 4},
            '{"a": [{"id": 3}, {"b": {"id": 4}}]}',
            True,
        ),
        ({"kind": "path", "path": "$.type", "value": "trade"}, "type=trade", False),
        ({"kind": "regex", "pattern": r"^PING \d+$"}, "PING 12", True),
        ({"kind": "regex", "pattern": "^PING"}, "pong", False),
        # A pattern that backtracks exponentially under Python's re finishes at once here.
        ({"kind": "regex", "pattern": "^(a+)+$"}, "a" * 5000 + "!", False),
        ({"kind": "any"}, "anything", True),
        ({}, "anything", True),
    ],
)
def test_match_rules(rule, text, matches):
    check_rule(rule)
    try:
        value = json.loads(text)
    except ValueError:
        from endpoints.contracts.rules import NOT_JSON

        value = NOT_JSON
    assert compile_rule(rule).matches(text, value) is matches


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"kind": "path", "path": "$.[", "value": 1}, "path"),
        ({"kind": "path", "path": "type", "value": 1}, "path"),
        ({"kind": "path", "path": "/a~2", "value": 1}, "path"),
        ({"kind": "path"}, "path"),
        ({"kind": "regex", "pattern": "(("}, "pattern"),
        ({"kind": "regex"}, "pattern"),
        ({"kind": "jsonata"}, "kind"),
        ({"kind": "any", "pattern": "x"}, "pattern"),
    ],
)
def test_unusable_rules_name_their_field(rule, field):
    with pytest.raises(RuleError) as caught:
        check_rule(rule)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("schema", "path", "words"),
    [
        ({"type": 5}, "/type", "anyOf"),
        ({"properties": {"a": {"minimum": "x"}}}, "/properties/a/minimum", "number"),
        ({"properties": {"a": {"pattern": "(("}}}, "/properties/a/pattern", "regex"),
        ({"$ref": "#/components/schemas/Nope"}, "/$ref", "unknown project schema 'Nope'"),
        ({"$ref": "#/$defs/missing"}, "/$ref", "does not resolve"),
        ({"$ref": "https://example.com/s.json"}, "/$ref", "outside the project"),
        ({"$ref": "#/components/schemas/A"}, "/$ref", "circular $ref"),
        ({"$defs": {"x": {"$ref": "#/$defs/x"}}, "$ref": "#/$defs/x"}, "/$defs/x/$ref", "circular"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "/$schema", "2020-12"),
        ({"components": {}}, "/components", "project's schemas"),
        ([1], "", "an object"),
    ],
)
def test_unusable_schemas_say_where(schema, path, words):
    project = {
        "A": {"$ref": "#/components/schemas/B"},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
    }
    with pytest.raises(SchemaError) as caught:
        check_schema(schema, project)
    assert caught.value.path == path
    assert words in caught.value.reason


def test_recursive_schemas_that_descend_are_fine():
    node = {
        "type": "object",
        "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
    }
    check_schema({"$ref": "#/components/schemas/Node"}, {"Node": node})
    contract = contract_for(
        [
            {
                "name": "tree",
                "direction": "receive",
                "format": "json",
                "schema": {"$ref": "#/components/schemas/Node"},
            }
        ],
        {"Node": node},
    )
    assert contract.check("receive", '{"kids": [{"kids": []}]}').check == Check.VALID
    bad = contract.check("receive", '{"kids": [{"kids": [1]}]}')
    assert bad.problems[0]["path"] == "/kids/0/kids/0"


def test_formats_are_asserted():
    contract = contract_for(
        [
            {
                "name": "m",
                "direction": "receive",
                "format": "json",
                "schema": {"format": "date-time"},
            }
        ],
        {},
    )
    assert contract.check("receive", '"2026-12-02T10:00:00Z"').check == Check.VALID
    assert contract.check("receive", '"yesterday"').check == Check.INVALID


def test_inferred_schemas_accept_their_examples():
    examples = [json.loads(frame(fills=[{"px": 1.0, "q": 1}])), json.loads(frame(side="buy"))]
    schema = infer_schema(examples)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    check_schema(schema, {})
    contract = contract_for(
        [{"name": "m", "direction": "receive", "format": "json", "schema": schema}], {}
    )
    assert all(contract.check("receive", json.dumps(e)).check == Check.VALID for e in examples)
    assert contract.check("receive", frame(qty="x")).check == Check.INVALID


def test_json_pointers():
    assert pointer_of(["a", 0, "b/c", "d~e"]) == "/a/0/b~1c/d~0e"
    assert pointer_parts("/a/0/b~1c/d~0e") == ["a", "0", "b/c", "d~e"]
    assert pointer_parts("") == []
    document = {"a": [{"b": 1}]}
    assert resolve(document, ["a", "0", "b"]) == 1
    assert resolve(document, ["a", "01"]) is MISSING
    assert resolve(document, ["a", "1"]) is MISSING
    assert resolve(document, ["x"]) is MISSING
    with pytest.raises(ValueError):
        pointer_parts("a")


def test_property_names_that_are_keywords_still_hold_references():
    # "default" and "enum" are data keywords, but as property names they hold schemas.
    schema: dict[str, Any] = {
        "properties": {
            "default": {"$ref": "#/components/schemas/Fill"},
            "enum": {"items": {"$ref": "#/components/schemas/Missing"}},
        },
        "default": {"$ref": "#/components/schemas/NotAReference"},
    }
    with pytest.raises(SchemaError) as caught:
        check_schema(schema, {"Fill": FILL})
    assert caught.value.path == "/properties/enum/items/$ref"
    del schema["properties"]["enum"]
    assert referenced_names(schema) == {"Fill"}


def test_a_schema_declaration_that_is_not_a_string_is_refused():
    with pytest.raises(SchemaError) as caught:
        check_schema({"$schema": 5}, {})
    assert caught.value.path == "/$schema"


def test_problems_stop_at_the_limit_without_counting_the_rest():
    contract = contract_for(
        [
            {
                "name": "m",
                "direction": "receive",
                "format": "json",
                "schema": {"items": {"type": "string"}},
            }
        ],
        {},
    )
    verdict = contract.check("receive", json.dumps([0] * 100_000))
    assert len(verdict.problems) == MAX_PROBLEMS + 1
    assert verdict.problems[-1] == {"path": "", "reason": "and more"}


def test_rules_refuse_unbounded_regular_expressions_and_unstorable_text():
    for path in ("$[?@.a =~ /(a+)+$/]", "$[?search(@.a, '(a+)+$')]", "$[?match(@.a, 'x')]"):
        with pytest.raises(RuleError) as caught:
            check_rule({"kind": "path", "path": path})
        assert caught.value.field == "path"
    check_rule({"kind": "path", "path": '$[?@.name == "match(x)"]', "value": 1})
    with pytest.raises(RuleError) as caught:
        check_rule({"kind": "path", "path": "$.a", "value": "a\x00b"})
    assert caught.value.field == "value"


def test_short_reasons():
    assert short_reason("x" * 10) == "x" * 10
    cut = short_reason("x" * 1000)
    assert len(cut) == MAX_REASON_CHARS and cut.endswith("…")
