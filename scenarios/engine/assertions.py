"""Assertions of an expect step, compiled once and evaluated against each frame.

An assertion is stored as JSON:

- ``{"kind": "message", "name": "trade"}`` — the frame is the endpoint's documented message;
- ``{"kind": "valid"}`` — the frame is a documented message and fits its schema;
- ``{"kind": "json", "path": "$.price", "op": "gt", "value": 0}`` — a JSONPath (``$...``) or
  JSON Pointer (``/price``) into a JSON frame, with one of JSON_OPS;
- ``{"kind": "text", "op": "contains", "value": "ok"}`` — a text frame (equals, contains,
  matches);
- ``{"kind": "binary", "op": "equals", "value": "00 ff"}`` — a binary frame, as hex;
- ``{"kind": "event", "name": "chat"}`` — a Socket.IO event of that name (its arguments array
  is the frame's JSON for the other assertions);
- ``{"kind": "ack"}`` — a Socket.IO acknowledgement (``event``: of an emit of that event).

Strings in ``value`` may hold ``{{variables}}``, resolved when the step runs.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import regex

from core.formats import BodyFormatError, decode_hex
from endpoints.contracts.rules import NOT_JSON, RuleError, path_finder

from .limits import REGEX_TIMEOUT_S, REGEX_WINDOW

ASSERTION_KINDS = ("message", "valid", "json", "text", "binary", "event", "ack")
JSON_OPS = (
    "equals",
    "not_equals",
    "contains",
    "not_contains",
    "matches",
    "exists",
    "not_exists",
    "type",
    "length",
    "gt",
    "gte",
    "lt",
    "lte",
)
TEXT_OPS = ("equals", "contains", "matches")
BINARY_OPS = ("equals",)
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte")
JSON_TYPES = ("string", "number", "integer", "boolean", "null", "object", "array")
_NO_VALUE_OPS = ("exists", "not_exists")

Resolve = Callable[[Any], Any]  # fills {{variables}} into an expected value


class SpecError(ValueError):
    """A step, assertion or extraction that cannot be used; ``field`` names its part
    (``op``, ``path``, ``assertions[2].value``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def under(self, prefix: str) -> SpecError:
        """The same error with its field named inside ``prefix`` (``assertions[1]``)."""
        return SpecError(f"{prefix}.{self.field}" if self.field else prefix, self.reason)


class Frame:
    """A received frame as assertions see it: the text (None for binary), the bytes (None for
    text), its contract check, and ``value``, the parsed JSON (NOT_JSON when it is not),
    parsed on first use: text assertions on non-JSON frames never pay for a failed parse."""

    __slots__ = ("_value", "contract", "data", "message", "problems", "sio", "text")

    def __init__(
        self,
        text: str | None,
        data: bytes | None = None,
        message: str | None = None,
        contract: str = "",
        problems: tuple[Mapping[str, str], ...] = (),
        sio: Mapping[str, Any] | None = None,
    ) -> None:
        self.text, self.data = text, data
        self.message, self.contract, self.problems = message, contract, problems
        # What a Socket.IO frame meant (a record's info["sio"]): its text is then the
        # arguments array, as JSON.
        self.sio = sio
        self._value: Any = _UNPARSED

    @property
    def value(self) -> Any:
        if self._value is _UNPARSED:
            self._value = NOT_JSON
            text = self.text
            # Only text that can start a JSON document is tried.
            if text is not None and text.lstrip()[:1] in _JSON_STARTS:
                with contextlib.suppress(ValueError):
                    self._value = json.loads(text)
        return self._value

    @classmethod
    def of(
        cls,
        payload: str | bytes,
        *,
        message: str | None = None,
        contract: str = "",
        problems: Any = (),
        sio: Mapping[str, Any] | None = None,
    ) -> Frame:
        if sio is not None and isinstance(sio.get("args"), list):
            text = json.dumps(sio["args"], ensure_ascii=False)
            return cls(text, None, message, contract, tuple(problems or ()), sio)
        if isinstance(payload, bytes):
            return cls(None, payload, message, contract, tuple(problems or ()))
        return cls(payload, None, message, contract, tuple(problems or ()))


_UNPARSED = object()
_JSON_STARTS = frozenset('{["-0123456789tfn')


@dataclass(frozen=True)
class Outcome:
    """What one assertion found: ``expected`` and ``actual`` are what a report shows."""

    passed: bool
    summary: str
    expected: Any = None
    actual: Any = None
    reason: str = ""


def _same(found: Any, expected: Any) -> bool:
    # JSON equality, deep: true is not 1, 1 is 1.0, key order does not matter.
    if isinstance(found, bool) or isinstance(expected, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(found, dict) and isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            _same(found[key], expected[key]) for key in found
        )
    if isinstance(found, list) and isinstance(expected, list):
        return len(found) == len(expected) and all(map(_same, found, expected))
    return bool(found == expected)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _compare(left: float, how: str, right: float) -> bool:
    return {
        "eq": left == right,
        "ne": left != right,
        "gt": left > right,
        "gte": left >= right,
        "lt": left < right,
        "lte": left <= right,
    }[how]


def compile_regex(pattern: Any, field_name: str = "value") -> regex.Pattern[str]:
    """A pattern of an assertion or extraction; SpecError if it is not one."""
    if not isinstance(pattern, str) or not pattern:
        raise SpecError(field_name, "a regular expression is a non-empty string")
    if "{{" in pattern:
        raise SpecError(field_name, "a regular expression cannot hold {{variables}}")
    try:
        return regex.compile(pattern)
    except regex.error as exc:
        raise SpecError(field_name, f"{pattern!r} is not a regular expression: {exc}") from None


def search(pattern: regex.Pattern[str], text: str) -> regex.Match[str] | None:
    """``pattern`` searched in the first REGEX_WINDOW characters of ``text``; TimeoutError
    when it runs longer than REGEX_TIMEOUT_S (a catastrophic pattern)."""
    return pattern.search(text[:REGEX_WINDOW], timeout=REGEX_TIMEOUT_S)


def _shown(value: Any) -> Any:
    return "(not JSON)" if value is NOT_JSON else value


@dataclass(frozen=True)
class Assertion:
    """A compiled assertion; ``evaluate(frame, resolve)`` says whether the frame satisfies it."""

    spec: Mapping[str, Any]
    summary: str
    test: Callable[[Frame, Resolve], Outcome]

    def evaluate(self, frame: Frame, resolve: Resolve = lambda value: value) -> Outcome:
        try:
            return self.test(frame, resolve)
        except TimeoutError:
            return Outcome(False, self.summary, reason="the regular expression took too long")


def _keys(spec: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(spec) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise SpecError(name, f"not a field of a {spec.get('kind')} assertion")


def _message_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "name"})
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError("name", "name the documented message")

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        if frame.message == name:
            return Outcome(True, summary, name, frame.message)
        actual = frame.message if frame.message is not None else "(no documented message)"
        return Outcome(False, summary, name, actual, f"the frame is {actual}")

    summary = f"is message {name}"
    return Assertion(spec, summary, test)


def _sio_kind(frame: Frame) -> str:
    return str(frame.sio.get("type")) if frame.sio is not None else "(not a Socket.IO frame)"


def _event_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "name"})
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError("name", "name the Socket.IO event")

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        kind = _sio_kind(frame)
        found = frame.sio.get("event") if frame.sio is not None and kind == "event" else None
        if found == name:
            return Outcome(True, summary, name, found)
        actual = f"event {found}" if found is not None else kind
        return Outcome(False, summary, name, actual, f"the frame is {actual}")

    summary = f"is event {name}"
    return Assertion(spec, summary, test)


def _ack_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "event"})
    event = spec.get("event")
    if event is not None and (not isinstance(event, str) or not event):
        raise SpecError("event", "the name of the emitted event, or leave it out")

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        kind = _sio_kind(frame)
        if kind != "ack":
            return Outcome(False, summary, "ack", kind, f"the frame is {kind}")
        found = frame.sio.get("event") if frame.sio is not None else None
        if event is not None and found != event:
            return Outcome(False, summary, event, found, f"it acknowledges {found}")
        return Outcome(True, summary, event or "ack", found or "ack")

    summary = f"is the ack of {event}" if event else "is an ack"
    return Assertion(spec, summary, test)


def _valid_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind"})

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        if frame.contract == "valid":
            return Outcome(True, summary, "valid", "valid")
        if frame.contract == "invalid":
            problems = [f"{p.get('path') or '/'}: {p.get('reason')}" for p in frame.problems]
            return Outcome(False, summary, "valid", problems, "; ".join(problems[:3]))
        if frame.contract == "undocumented":
            return Outcome(False, summary, "valid", "undocumented", "no documented message")
        return Outcome(False, summary, "valid", "not checked", "the session checks nothing")

    summary = "is valid against its schema"
    return Assertion(spec, summary, test)


def _json_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "path", "op", "value", "compare"})
    path = spec.get("path")
    if not isinstance(path, str):
        raise SpecError("path", "a json assertion needs a path ($.type or /type)")
    try:
        find = path_finder(path)
    except RuleError as exc:
        raise SpecError("path", exc.reason) from None
    op = spec.get("op")
    if op not in JSON_OPS:
        raise SpecError("op", f"{op!r} is not one of {', '.join(JSON_OPS)}")
    has_value = "value" in spec
    if op in _NO_VALUE_OPS and has_value:
        raise SpecError("value", f"{op} takes no value")
    if op not in _NO_VALUE_OPS and not has_value:
        raise SpecError("value", f"{op} needs a value")
    if "compare" in spec and op != "length":
        raise SpecError("compare", "only a length assertion compares")
    compare = spec.get("compare", "eq")
    if compare not in COMPARISONS:
        raise SpecError("compare", f"{compare!r} is not one of {', '.join(COMPARISONS)}")
    expected = spec.get("value")
    pattern = compile_regex(expected) if op == "matches" else None
    if op == "type" and expected not in JSON_TYPES:
        raise SpecError("value", f"{expected!r} is not one of {', '.join(JSON_TYPES)}")
    if op in ("length", "gt", "gte", "lt", "lte") and not (
        _is_number(expected) or (isinstance(expected, str) and "{{" in expected)
    ):
        raise SpecError("value", f"{op} compares with a number")

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        if frame.value is NOT_JSON:
            return Outcome(False, summary, expected, "(not JSON)", "the frame is not JSON")
        found = find(frame.value)
        if op == "exists":
            return Outcome(bool(found), summary, "exists", found[0] if found else "(nothing)")
        if op == "not_exists":
            return Outcome(not found, summary, "(nothing)", found[0] if found else "(nothing)")
        if not found:
            return Outcome(False, summary, expected, "(nothing)", f"{path} finds nothing")
        actual = found[0] if len(found) == 1 else found
        want = resolve(expected)
        return Outcome(_json_op(actual, want), summary, want, actual)

    def _json_op(actual: Any, want: Any) -> bool:
        if op == "equals":
            return _same(actual, want)
        if op == "not_equals":
            return not _same(actual, want)
        if op in ("contains", "not_contains"):
            if isinstance(actual, str):
                contained = isinstance(want, str) and want in actual
            elif isinstance(actual, list):
                contained = any(_same(item, want) for item in actual)
            elif isinstance(actual, dict):
                contained = isinstance(want, str) and want in actual
            else:
                contained = False
            return contained if op == "contains" else not contained
        if op == "matches":
            assert pattern is not None
            return isinstance(actual, str) and search(pattern, actual) is not None
        if op == "type":
            kind = _json_type(actual)
            return kind == want or (want == "number" and kind == "integer")
        number = _number(want)
        if number is None:
            return False
        if op == "length":
            if not isinstance(actual, (str, list, dict)):
                return False
            return _compare(len(actual), compare, number)
        return _is_number(actual) and _compare(actual, op, number)

    words = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "not_equals": "!="}
    if op in _NO_VALUE_OPS:
        summary = f"{path} {op.replace('_', ' ')}"
    elif op == "length":
        summary = f"length of {path} {compare} {json.dumps(expected)}"
    else:
        summary = f"{path} {words.get(op, op.replace('_', ' '))} {json.dumps(expected)}"
    return Assertion(spec, summary, test)


def _number(value: Any) -> float | None:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "op", "value"})
    op = spec.get("op")
    if op not in TEXT_OPS:
        raise SpecError("op", f"{op!r} is not one of {', '.join(TEXT_OPS)}")
    expected = spec.get("value")
    if not isinstance(expected, str):
        raise SpecError("value", "a text assertion compares with a string")
    pattern = compile_regex(expected) if op == "matches" else None

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        if frame.text is None:
            return Outcome(False, summary, expected, "(binary frame)", "the frame is binary")
        want = resolve(expected)
        if op == "equals":
            passed = frame.text == want
        elif op == "contains":
            passed = want in frame.text
        else:
            assert pattern is not None
            passed = search(pattern, frame.text) is not None
        return Outcome(passed, summary, want, frame.text)

    summary = f"text {op} {json.dumps(expected)}"
    return Assertion(spec, summary, test)


def _binary_assertion(spec: Mapping[str, Any]) -> Assertion:
    _keys(spec, {"kind", "op", "value"})
    if spec.get("op") not in BINARY_OPS:
        raise SpecError("op", "a binary assertion compares with equals")
    expected = spec.get("value")
    if not isinstance(expected, str):
        raise SpecError("value", "the expected bytes, as hex")
    try:
        want = decode_hex(expected)
    except BodyFormatError as exc:
        raise SpecError("value", str(exc)) from None

    def test(frame: Frame, resolve: Resolve) -> Outcome:
        if frame.data is None:
            return Outcome(False, summary, want.hex(" "), "(text frame)", "the frame is text")
        return Outcome(frame.data == want, summary, want.hex(" "), frame.data.hex(" "))

    summary = f"bytes equal {want.hex(' ')}"
    return Assertion(spec, summary, test)


_COMPILERS: dict[str, Callable[[Mapping[str, Any]], Assertion]] = {
    "message": _message_assertion,
    "valid": _valid_assertion,
    "json": _json_assertion,
    "text": _text_assertion,
    "binary": _binary_assertion,
    "event": _event_assertion,
    "ack": _ack_assertion,
}


def compile_assertion(spec: Any) -> Assertion:
    """The compiled assertion of a stored one; SpecError naming the field if unusable."""
    if not isinstance(spec, Mapping):
        raise SpecError("", "an assertion is an object")
    kind = spec.get("kind")
    compiler = _COMPILERS.get(kind) if isinstance(kind, str) else None
    if compiler is None:
        raise SpecError("kind", f"{kind!r} is not one of {', '.join(ASSERTION_KINDS)}")
    return compiler(spec)
