"""Match rules: how a frame is recognised as a documented message.

A rule is stored as JSON:

- ``{"kind": "any"}`` — every frame of the message's direction;
- ``{"kind": "path", "path": "$.type", "value": "trade"}`` — a JSON frame where the JSONPath
  (RFC 9535, ``$...``) or JSON Pointer (``/type``) finds ``value``; without ``value``, where it
  finds anything;
- ``{"kind": "regex", "pattern": "^PING"}`` — a text frame the regular expression finds a
  match in (the dialect of JSON Schema's ``pattern``, ECMA-262-like, applied to the first
  ``REGEX_WINDOW`` characters). The relay runs it on every frame, so it runs on the compiled
  engine of the schema validator, whose backtracking is bounded: a pathological pattern
  cannot stall the relay the way Python's ``re`` could.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonpath
import jsonschema_rs

from .limits import unstorable
from .pointers import MISSING, pointer_parts, resolve

RULE_KINDS = ("any", "path", "regex")
REGEX_WINDOW = 64 * 1024
NOT_JSON = object()  # the value of a frame that is not JSON text


def parse_json(text: str | None) -> Any:
    """A frame's JSON value, or NOT_JSON for binary frames and text that is not JSON."""
    if text is None:
        return NOT_JSON
    try:
        return json.loads(text)
    except ValueError:
        return NOT_JSON


# Paths made only of names and indexes ($.a.b[0]['c d']) are looked up directly; the rest
# (wildcards, filters, descendants) go through the JSONPath library.
_SIMPLE_STEP = re.compile(
    r"\.(?P<name>[A-Za-z_][A-Za-z0-9_-]*)|\[(?P<index>\d+)\]|\['(?P<quoted>[^'\\]*)'\]"
    r'|\["(?P<dquoted>[^"\\]*)"\]'
)


# The JSONPath library runs regular expressions (its =~ operator, RFC 9535's match() and
# search()) with Python's re, whose backtracking is unbounded; the relay runs rules on every
# frame, so paths that use them are refused. Quoted strings are ignored when looking.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_UNBOUNDED_REGEX = re.compile(r"=~|\bmatch\s*\(|\bsearch\s*\(")


class RuleError(ValueError):
    """A rule that cannot be used; ``field`` names the part (``kind``, ``path``, ``pattern``)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _same(found: Any, expected: Any) -> bool:
    # JSON equality: true is not 1, and 1 is 1.0.
    if isinstance(found, bool) or isinstance(expected, bool):
        return type(found) is type(expected) and found == expected
    return bool(found == expected)


def _simple_parts(path: str) -> list[str] | None:
    position, parts = 1, []
    while position < len(path):
        step = _SIMPLE_STEP.match(path, position)
        if step is None:
            return None
        parts.append(next(group for group in step.groups() if group is not None))
        position = step.end()
    return parts


def path_finder(path: str) -> Callable[[Any], list[Any]]:
    if path.startswith("/") or path == "":
        try:
            parts = pointer_parts(path)
        except ValueError as exc:
            raise RuleError("path", f"{path!r} is not a JSON Pointer: {exc}") from None
    elif path.startswith("$"):
        simple = _simple_parts(path)
        if simple is None and _UNBOUNDED_REGEX.search(_QUOTED.sub("", path)):
            raise RuleError(
                "path",
                f"{path!r}: regular expressions inside a JSONPath (=~, match(), search()) are "
                "not supported; use a regex rule, or compare values",
            )
        if simple is None:
            try:
                compiled = jsonpath.compile(path)
            except jsonpath.JSONPathError as exc:
                reason = str(exc).splitlines()[0]
                raise RuleError("path", f"{path!r} is not a JSONPath: {reason}") from None
            return lambda value: list(compiled.findall(value))
        parts = simple
    else:
        raise RuleError("path", f"{path!r}: start a JSONPath with $ or a JSON Pointer with /")

    def find(value: Any) -> list[Any]:
        found = resolve(value, parts)
        return [] if found is MISSING else [found]

    return find


@dataclass(frozen=True)
class Rule:
    """A compiled match rule: ``matches(text, value)`` with ``value`` the parsed JSON or
    NOT_JSON, and ``text`` None for a binary frame."""

    kind: str
    needs_json: bool
    test: Callable[[str | None, Any], bool]

    def matches(self, text: str | None, value: Any) -> bool:
        return self.test(text, value)


def compile_rule(rule: Mapping[str, Any] | None) -> Rule:
    """The Rule for a stored rule; RuleError naming the field if it is not usable."""
    if not rule:
        return Rule("any", False, lambda text, value: True)
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        raise RuleError("kind", f"{kind!r} is not one of {', '.join(RULE_KINDS)}")
    if kind == "any":
        return Rule("any", False, lambda text, value: True)
    if kind == "regex":
        pattern = rule.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise RuleError("pattern", "a regex rule needs a pattern")
        try:
            regex = jsonschema_rs.Draft202012Validator({"type": "string", "pattern": pattern})
        except jsonschema_rs.ValidationError:
            raise RuleError("pattern", f"{pattern!r} is not a regular expression") from None
        return Rule(
            "regex",
            False,
            lambda text, value: text is not None and regex.is_valid(text[:REGEX_WINDOW]),
        )
    path = rule.get("path")
    if not isinstance(path, str):
        raise RuleError("path", "a path rule needs a path ($.type or /type)")
    find = path_finder(path)
    if "value" not in rule:
        return Rule("path", True, lambda text, value: value is not NOT_JSON and bool(find(value)))
    expected = rule["value"]
    return Rule(
        "path",
        True,
        lambda text, value: (
            value is not NOT_JSON and any(_same(found, expected) for found in find(value))
        ),
    )


def check_rule(rule: Mapping[str, Any] | None) -> None:
    """Raise RuleError unless ``rule`` is usable (only the keys of its kind)."""
    if rule is not None and not isinstance(rule, Mapping):
        raise RuleError("kind", "a match rule is an object")
    for key, value in (rule or {}).items():
        if unstorable(key) or unstorable(value):
            raise RuleError(str(key), "NUL and unpaired surrogate characters cannot be stored")
    compile_rule(rule)
    if rule:
        allowed = {"any": {"kind"}, "path": {"kind", "path", "value"}, "regex": {"kind", "pattern"}}
        unknown = set(rule) - allowed[str(rule.get("kind"))]
        if unknown:
            raise RuleError(sorted(unknown)[0], f"not a field of a {rule['kind']} rule")
