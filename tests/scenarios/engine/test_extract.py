"""Extraction into scenario variables by path and by regular expression."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.engine.assertions import Frame, SpecError
from scenarios.engine.extract import compile_extraction


def _take(spec: dict[str, Any], payload: str | bytes) -> Any:
    return compile_extraction(spec).apply(Frame.of(payload))


def test_by_path_strings_stay_text_and_the_rest_becomes_json() -> None:
    frame = '{"id": "m-1", "n": 3, "user": {"name": "bob"}, "tags": ["x"]}'
    assert _take({"variable": "id", "path": "$.id"}, frame).value == "m-1"
    assert _take({"variable": "n", "path": "/n"}, frame).value == "3"
    assert _take({"variable": "u", "path": "$.user"}, frame).value == '{"name": "bob"}'
    missing = _take({"variable": "x", "path": "$.nope"}, frame)
    assert (missing.value, missing.reason) == (None, "$.nope finds nothing")
    assert _take({"variable": "x", "path": "$.id"}, "plain").reason == "the frame is not JSON"


def test_by_regex_group() -> None:
    assert _take({"variable": "id", "regex": r"id=(\d+)"}, "ok id=42").value == "42"
    assert _take({"variable": "all", "regex": r"id=\d+"}, "ok id=42").value == "id=42"
    named = {"variable": "id", "regex": r"id=(?P<num>\d+)", "group": "num"}
    assert _take(named, "id=7").value == "7"
    assert _take({"variable": "id", "regex": r"id=(\d+)"}, "nothing").value is None
    assert _take({"variable": "id", "regex": "x"}, b"x").reason == "the frame is binary"


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"variable": "1x", "path": "$.a"}, "variable"),
        ({"variable": "$uuid", "path": "$.a"}, "variable"),
        ({"variable": "a"}, "path"),
        ({"variable": "a", "path": "$.a", "regex": "x"}, "path"),
        ({"variable": "a", "path": "$.a", "group": 1}, "group"),
        ({"variable": "a", "regex": "(x"}, "regex"),
        ({"variable": "a", "regex": "(x)", "group": 2}, "group"),
        ({"variable": "a", "regex": "(x)", "group": "name"}, "group"),
        ({"variable": "a", "path": "$.a", "other": 1}, "other"),
    ],
)
def test_unusable_extractions_name_the_field(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(SpecError) as caught:
        compile_extraction(spec)
    assert caught.value.field == field
