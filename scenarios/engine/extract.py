"""Extraction: a value taken from a frame into a scenario variable, by JSONPath / JSON Pointer
(``{"variable": "id", "path": "$.id"}``) or by a regular expression's capture group
(``{"variable": "id", "regex": "id=(\\d+)", "group": 1}``; ``group`` 0 is the whole match, a
name picks a named group)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from endpoints.contracts.rules import NOT_JSON, RuleError, path_finder
from endpoints.environments.resolver import is_valid_name

from .assertions import Frame, SpecError, compile_regex, search


@dataclass(frozen=True)
class Extracted:
    """A variable's new value, or why it has none (``value`` None)."""

    variable: str
    value: str | None
    reason: str = ""


def as_variable(value: Any) -> str:
    """A JSON value as a variable holds it: strings as they are, the rest as JSON text."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Extraction:
    variable: str
    source: str  # "$.id" or "/id=(\d+)/ group 1", for reports
    take: Callable[[Frame], Extracted]

    def apply(self, frame: Frame) -> Extracted:
        try:
            return self.take(frame)
        except TimeoutError:
            return Extracted(self.variable, None, "the regular expression took too long")


def compile_extraction(spec: Any) -> Extraction:
    """The compiled extraction of a stored one; SpecError naming the field if unusable."""
    if not isinstance(spec, Mapping):
        raise SpecError("", "an extraction is an object")
    unknown = set(spec) - {"variable", "path", "regex", "group"}
    if unknown:
        raise SpecError(sorted(unknown)[0], "not a field of an extraction")
    variable = spec.get("variable")
    if not isinstance(variable, str) or not is_valid_name(variable) or variable.startswith("$"):
        raise SpecError("variable", f"{variable!r} is not a variable name")
    if ("path" in spec) == ("regex" in spec):
        raise SpecError("path", "give either a path or a regex")
    if "path" in spec:
        if "group" in spec:
            raise SpecError("group", "only a regex has groups")
        path = spec["path"]
        if not isinstance(path, str):
            raise SpecError("path", "a JSONPath ($.id) or a JSON Pointer (/id)")
        try:
            find = path_finder(path)
        except RuleError as exc:
            raise SpecError("path", exc.reason) from None

        def by_path(frame: Frame) -> Extracted:
            if frame.value is NOT_JSON:
                return Extracted(variable, None, "the frame is not JSON")
            found = find(frame.value)
            if not found:
                return Extracted(variable, None, f"{path} finds nothing")
            return Extracted(variable, as_variable(found[0] if len(found) == 1 else found))

        return Extraction(variable, path, by_path)

    pattern = compile_regex(spec["regex"], "regex")
    group = spec.get("group", 1 if pattern.groups else 0)
    if isinstance(group, bool) or not isinstance(group, (int, str)):
        raise SpecError("group", "a group number or name")
    if isinstance(group, int) and not 0 <= group <= pattern.groups:
        raise SpecError("group", f"the pattern has {pattern.groups} group(s)")
    if isinstance(group, str) and group not in pattern.groupindex:
        raise SpecError("group", f"the pattern has no group named {group!r}")

    def by_regex(frame: Frame) -> Extracted:
        if frame.text is None:
            return Extracted(variable, None, "the frame is binary")
        match = search(pattern, frame.text)
        if match is None:
            return Extracted(variable, None, f"/{pattern.pattern}/ does not match")
        value = match.group(group)
        if value is None:
            return Extracted(variable, None, f"group {group} did not take part in the match")
        return Extracted(variable, value)

    return Extraction(variable, f"/{pattern.pattern}/ group {group}", by_regex)
