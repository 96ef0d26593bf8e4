"""JSON Schemas (draft 2020-12) of documented messages and project schemas: checked when saved,
compiled once, and used to list what is wrong with a payload.

A message schema refers to a project schema as ``{"$ref": "#/components/schemas/<name>"}``
(the address AsyncAPI uses); the project's schemas are merged into each message schema's root
under ``components`` before it is compiled. References never leave the document: only
``#...`` references are accepted, and the validator runs offline.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

import jsonschema_rs

from .limits import MAX_PROBLEMS
from .pointers import MISSING, pointer_of, pointer_parts, resolve

DIALECT = "https://json-schema.org/draft/2020-12/schema"
COMPONENTS_PREFIX = "#/components/schemas/"

# Keywords whose subschemas apply to the same instance (no step into a property or an item):
# a cycle through only these never ends, whatever the payload.
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")


class SchemaError(ValueError):
    """A schema that cannot be used; ``path`` is the JSON Pointer inside it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path or '/'}: {reason}" if path else reason)
        self.path = path
        self.reason = reason


# Keywords whose value is data, not a schema: a "$ref" inside is a value, not a reference.
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default"})
# Keywords whose value maps names (chosen by the author: "default" is a fine property name)
# to schemas.
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)


def _refs(node: Any, path: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    """Every ``$ref`` of the schema ``node``, with its path."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                yield [*path, key], value
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                for name, subschema in value.items():
                    yield from _refs(subschema, [*path, key, name])
            elif key not in _DATA_KEYWORDS:
                yield from _refs(value, [*path, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, [*path, index])


def ref_name(ref: str) -> str | None:
    """The project schema a ``$ref`` names (``#/components/schemas/Fill`` -> ``Fill``)."""
    if ref.startswith(COMPONENTS_PREFIX):
        return ref[len(COMPONENTS_PREFIX) :].split("/")[0] or None
    return None


def referenced_names(schema: Any) -> set[str]:
    """The names of the project schemas ``schema`` refers to (``#/components/schemas/<name>``)."""
    return {name for _path, ref in _refs(schema, []) if (name := ref_name(ref)) is not None}


def referenced_in_order(schemas: list[Any], project_schemas: Mapping[str, Any]) -> list[str]:
    """Names of the project schemas ``schemas`` refer to, directly or through each other, in
    the order first met (unknown names left out)."""
    found: dict[str, None] = {}
    pending = list(reversed(schemas))
    while pending:
        for _path, ref in _refs(pending.pop(), []):
            name = ref_name(ref)
            if name is not None and name in project_schemas and name not in found:
                found[name] = None
                pending.insert(0, project_schemas[name])
    return list(found)


def merged(schema: Any, project_schemas: Mapping[str, Any]) -> Any:
    """``schema`` with the project's schemas under ``components/schemas`` of its root."""
    if not isinstance(schema, dict):
        return schema
    return {**schema, "components": {"schemas": dict(project_schemas)}}


def _in_place_targets(root: Any, parts: list[str]) -> Iterator[list[str]]:
    node = resolve(root, parts)
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        try:
            yield pointer_parts(ref[1:])
        except ValueError:
            return
    for key in _IN_PLACE_LISTS:
        value = node.get(key)
        if isinstance(value, list):
            for index in range(len(value)):
                yield [*parts, key, str(index)]
    for key in _IN_PLACE_ONE:
        if isinstance(node.get(key), dict):
            yield [*parts, key]


def _find_cycle(root: Any, start: list[str]) -> list[list[str]] | None:
    """A chain of references from ``start`` back to itself through in-place keywords only."""
    stack: list[tuple[list[str], list[list[str]]]] = [(start, [start])]
    seen: set[tuple[str, ...]] = set()
    while stack:
        parts, trail = stack.pop()
        for target in _in_place_targets(root, parts):
            if any(target == earlier for earlier in trail):
                return [*trail, target]
            key = tuple(target)
            if key in seen:
                continue
            seen.add(key)
            stack.append((target, [*trail, target]))
    return None


def _no_retrieval(uri: str) -> Any:
    raise ValueError(f"{uri} is not fetched: refer to #/components/schemas/<name> instead")


def _validator(document: Any) -> jsonschema_rs.Validator:
    return jsonschema_rs.Draft202012Validator(
        document, validate_formats=True, retriever=_no_retrieval
    )


def check_schema(schema: Any, project_schemas: Mapping[str, Any]) -> None:
    """Raise SchemaError (with the path inside ``schema``) unless it is a usable schema."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise SchemaError("", "a JSON Schema is an object (or true / false)")
    declared = schema.get("$schema")
    if declared is not None and (not isinstance(declared, str) or declared.rstrip("#") != DIALECT):
        raise SchemaError("/$schema", f"only JSON Schema draft 2020-12 ({DIALECT}) is supported")
    if "components" in schema:
        raise SchemaError(
            "/components", "components is where the project's schemas go; use $defs instead"
        )
    try:
        jsonschema_rs.meta.validate({**schema, "$schema": DIALECT})
    except jsonschema_rs.ValidationError as exc:
        raise SchemaError(pointer_of(exc.instance_path), exc.message) from None
    except jsonschema_rs.ReferencingError as exc:
        raise SchemaError("", str(exc)) from None
    document = merged(schema, project_schemas)
    for path, ref in _refs(schema, []):
        where = pointer_of(path)
        if not ref.startswith("#"):
            raise SchemaError(
                where, f"{ref!r} points outside the project: use #/components/schemas/<name>"
            )
        try:
            target = pointer_parts(ref[1:])
        except ValueError as exc:
            raise SchemaError(where, f"{ref!r} is not a JSON Pointer: {exc}") from None
        if resolve(document, target) is MISSING:
            name = ref_name(ref)
            if name is not None and name not in project_schemas:
                raise SchemaError(where, f"unknown project schema {name!r} in {ref!r}")
            raise SchemaError(where, f"{ref!r} does not resolve")
    for path, _ref in _refs(schema, []):
        cycle = _find_cycle(document, [str(part) for part in path[:-1]])
        if cycle is not None:
            chain = " -> ".join(pointer_of(step) or "/" for step in cycle)
            raise SchemaError(pointer_of(path), f"circular $ref: {chain}")
    try:
        _validator(document)
    except jsonschema_rs.ValidationError as exc:
        # What the meta-schema lets through but compiling refuses: a pattern that is not a
        # regular expression, say.
        raise SchemaError(pointer_of(exc.instance_path), exc.message) from None
    except (jsonschema_rs.ReferencingError, ValueError) as exc:
        raise SchemaError("", str(exc).splitlines()[0]) from None


def compile_schema(schema: Any, project_schemas: Mapping[str, Any]) -> jsonschema_rs.Validator:
    """A validator for a schema that ``check_schema`` accepted."""
    return _validator(merged(schema, project_schemas))


def problems_of(
    validator: jsonschema_rs.Validator, value: Any, limit: int = MAX_PROBLEMS
) -> list[dict[str, str]]:
    """What is wrong with ``value``: at most ``limit`` {path, reason}, then "and more".

    The rest are not counted: a frame of a million wrong items must not cost a million
    errors on the relay's loop. A reason quotes the failing value, so it can be as large as
    the frame; whoever shows it shortens it (``limits.short_reason``) after masking secrets.
    """
    if validator.is_valid(value):
        return []
    problems: list[dict[str, str]] = []
    for error in islice(validator.iter_errors(value), limit + 1):
        if len(problems) == limit:
            problems.append({"path": "", "reason": "and more"})
            break
        problems.append({"path": pointer_of(error.instance_path), "reason": error.message})
    return problems
