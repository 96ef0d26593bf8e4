"""Assertions of expect steps: each kind and operator against frames, and what a failure
reports (expected and actual)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scenarios.engine.assertions import Frame, SpecError, compile_assertion

TRADE = json.dumps(
    {"type": "trade", "id": "t-7", "price": 42.5, "size": 2, "tags": ["a", "b"], "ok": True}
)


def _check(spec: dict[str, Any], payload: str | bytes = TRADE, **frame: Any) -> Any:
    return compile_assertion(spec).evaluate(Frame.of(payload, **frame))


@pytest.mark.parametrize(
    ("spec", "passed"),
    [
        ({"path": "$.type", "op": "equals", "value": "trade"}, True),
        ({"path": "/type", "op": "equals", "value": "trade"}, True),
        ({"path": "$.type", "op": "equals", "value": "quote"}, False),
        ({"path": "$.size", "op": "equals", "value": 2.0}, True),
        ({"path": "$.ok", "op": "equals", "value": 1}, False),  # true is not 1
        ({"path": "$.tags", "op": "equals", "value": ["a", "b"]}, True),
        ({"path": "$.type", "op": "not_equals", "value": "quote"}, True),
        ({"path": "$.id", "op": "contains", "value": "-7"}, True),
        ({"path": "$.tags", "op": "contains", "value": "b"}, True),
        ({"path": "$.tags", "op": "not_contains", "value": "c"}, True),
        ({"path": "$", "op": "contains", "value": "price"}, True),  # an object's key
        ({"path": "$.id", "op": "matches", "value": r"^t-\d+$"}, True),
        ({"path": "$.price", "op": "matches", "value": "4"}, False),  # not a string
        ({"path": "$.price", "op": "exists"}, True),
        ({"path": "$.nope", "op": "exists"}, False),
        ({"path": "$.nope", "op": "not_exists"}, True),
        ({"path": "$.price", "op": "type", "value": "number"}, True),
        ({"path": "$.size", "op": "type", "value": "integer"}, True),
        ({"path": "$.size", "op": "type", "value": "number"}, True),
        ({"path": "$.price", "op": "type", "value": "integer"}, False),
        ({"path": "$.tags", "op": "type", "value": "array"}, True),
        ({"path": "$.tags", "op": "length", "value": 2}, True),
        ({"path": "$.tags", "op": "length", "compare": "gt", "value": 2}, False),
        ({"path": "$.id", "op": "length", "compare": "lte", "value": 3}, True),
        ({"path": "$.price", "op": "gt", "value": 40}, True),
        ({"path": "$.price", "op": "lte", "value": 42.5}, True),
        ({"path": "$.price", "op": "lt", "value": 42.5}, False),
        ({"path": "$.type", "op": "gt", "value": 1}, False),  # not a number
        ({"path": "$.tags[*]", "op": "equals", "value": ["a", "b"]}, True),  # several values
        ({"path": "$.nope", "op": "equals", "value": 1}, False),
    ],
)
def test_json_operators(spec: dict[str, Any], passed: bool) -> None:
    assert _check({"kind": "json", **spec}).passed is passed


def test_a_failure_reports_expected_and_actual() -> None:
    outcome = _check({"kind": "json", "path": "$.price", "op": "gt", "value": 50})
    assert (outcome.passed, outcome.expected, outcome.actual) == (False, 50, 42.5)
    assert outcome.summary == "$.price > 50"
    missing = _check({"kind": "json", "path": "$.nope", "op": "equals", "value": 1})
    assert (missing.actual, missing.reason) == ("(nothing)", "$.nope finds nothing")
    not_json = _check({"kind": "json", "path": "$.a", "op": "exists"}, "hello")
    assert (not_json.passed, not_json.actual) == (False, "(not JSON)")


def test_expected_values_take_variables_when_evaluated() -> None:
    assertion = compile_assertion(
        {"kind": "json", "path": "$.id", "op": "equals", "value": "{{id}}"}
    )
    values = {"{{id}}": "t-7"}
    outcome = assertion.evaluate(Frame.of(TRADE), lambda value: values.get(value, value))
    assert outcome.passed and outcome.expected == "t-7"
    numeric = compile_assertion({"kind": "json", "path": "$.size", "op": "gte", "value": "{{n}}"})
    assert numeric.evaluate(Frame.of(TRADE), lambda value: "2").passed
    assert not numeric.evaluate(Frame.of(TRADE), lambda value: "abc").passed


def test_text_and_binary() -> None:
    assert _check({"kind": "text", "op": "equals", "value": "PONG 1"}, "PONG 1").passed
    assert _check({"kind": "text", "op": "contains", "value": "NG"}, "PONG 1").passed
    assert _check({"kind": "text", "op": "matches", "value": r"^PONG \d$"}, "PONG 1").passed
    assert not _check({"kind": "text", "op": "matches", "value": r"^\d"}, "PONG 1").passed
    binary = _check({"kind": "text", "op": "contains", "value": "a"}, b"a")
    assert (binary.passed, binary.actual) == (False, "(binary frame)")
    assert _check({"kind": "binary", "op": "equals", "value": "00 ff 41"}, b"\x00\xffA").passed
    wrong = _check({"kind": "binary", "op": "equals", "value": "00ff"}, b"\x00\xfe")
    assert (wrong.passed, wrong.expected, wrong.actual) == (False, "00 ff", "00 fe")


def test_message_and_valid_read_the_contract_check() -> None:
    spec = {"kind": "message", "name": "trade"}
    assert _check(spec, message="trade", contract="valid").passed
    other = _check(spec, message="quote", contract="valid")
    assert (other.passed, other.actual) == (False, "quote")
    assert _check(spec).actual == "(no documented message)"
    problems = [{"path": "/price", "reason": '"abc" is not of type "number"'}]
    invalid = _check({"kind": "valid"}, message="trade", contract="invalid", problems=problems)
    assert not invalid.passed
    assert invalid.actual == ['/price: "abc" is not of type "number"']
    assert not _check({"kind": "valid"}, contract="").passed


def test_a_catastrophic_pattern_fails_the_assertion_instead_of_hanging() -> None:
    outcome = _check({"kind": "text", "op": "matches", "value": r"(x+x+)+y"}, "x" * 3000)
    assert not outcome.passed
    assert "too long" in outcome.reason


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ("x", ""),
        ({"kind": "nope"}, "kind"),
        ({"kind": "json", "path": "type", "op": "equals", "value": 1}, "path"),
        ({"kind": "json", "path": "$.[", "op": "equals", "value": 1}, "path"),
        ({"kind": "json", "path": "$.a", "op": "bigger", "value": 1}, "op"),
        ({"kind": "json", "path": "$.a", "op": "equals"}, "value"),
        ({"kind": "json", "path": "$.a", "op": "exists", "value": 1}, "value"),
        ({"kind": "json", "path": "$.a", "op": "gt", "value": "x"}, "value"),
        ({"kind": "json", "path": "$.a", "op": "type", "value": "float"}, "value"),
        ({"kind": "json", "path": "$.a", "op": "matches", "value": "(unclosed"}, "value"),
        ({"kind": "json", "path": "$.a", "op": "equals", "value": 1, "compare": "gt"}, "compare"),
        ({"kind": "json", "path": "$.a", "op": "length", "value": 1, "compare": "big"}, "compare"),
        ({"kind": "text", "op": "equals", "value": 1}, "value"),
        ({"kind": "text", "op": "starts", "value": "a"}, "op"),
        ({"kind": "binary", "op": "equals", "value": "zz"}, "value"),
        ({"kind": "message"}, "name"),
        ({"kind": "valid", "name": "x"}, "name"),
    ],
)
def test_unusable_assertions_name_the_field(spec: Any, field: str) -> None:
    with pytest.raises(SpecError) as caught:
        compile_assertion(spec)
    assert caught.value.field == field
