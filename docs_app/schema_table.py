"""A documented message's JSON Schema as a readable table (one row per property path), its
match rule in words, and the project schemas it refers to. Pure: the docs pages, their
Markdown variants and llms.txt all use these.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from endpoints.contracts.pointers import MISSING, pointer_parts, resolve
from endpoints.contracts.schemas import COMPONENTS_PREFIX, ref_name

# A schema of the documented size limit can still describe thousands of paths; past these the
# table says how many rows it left out instead of growing the page without end.
MAX_ROWS = 500
MAX_DEPTH = 16
# Counting what was left out stops here: references shared by many properties can make the
# full expansion of a schema exponential in its size.
MAX_COUNTED = 10_000
ROOT = "(message)"
_UNIONS = (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and "))


@dataclass(frozen=True)
class SchemaRow:
    path: str  # "maker.id", "fills[].px"; ROOT for a message that is not an object
    type: str
    required: bool
    constraints: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class SchemaTable:
    rows: tuple[SchemaRow, ...]
    omitted: int  # rows past MAX_ROWS (or MAX_DEPTH) not shown; at least this many if
    # ``omitted_more`` (the count stopped at MAX_COUNTED)
    # For a message that is an object listed by its properties: its type ("object", or
    # "Fill (project schema)") and what it must be as a whole ("no other properties").
    root_type: str = ""
    root_constraints: tuple[str, ...] = ()
    omitted_more: bool = False

    @property
    def omitted_text(self) -> str:
        if not self.omitted:
            return ""
        if self.omitted_more:
            return f"More than {self.omitted:,} properties not listed."
        return f"{self.omitted:,} more properties not listed."


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _number(value: Any) -> str:
    return (
        _json(value)
        if not isinstance(value, (int, float)) or isinstance(value, bool)
        else (str(value))
    )


def constraints_of(schema: Mapping[str, Any]) -> tuple[str, ...]:
    """What a value must be beyond its type, in the order a reader checks it."""
    out: list[str] = []
    if "const" in schema:
        out.append(f"= {_json(schema['const'])}")
    if isinstance(schema.get("enum"), list):
        out.append("one of " + ", ".join(_json(item) for item in schema["enum"]))
    for key, sign in (
        ("minimum", "≥"),
        ("exclusiveMinimum", ">"),
        ("maximum", "≤"),
        ("exclusiveMaximum", "<"),
    ):
        if key in schema:
            out.append(f"{sign} {_number(schema[key])}")
    if "multipleOf" in schema:
        out.append(f"multiple of {_number(schema['multipleOf'])}")
    for key, words in (
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
        ("maxItems", "items ≤"),
        ("minProperties", "properties ≥"),
        ("maxProperties", "properties ≤"),
    ):
        if key in schema:
            out.append(f"{words} {_number(schema[key])}")
    if schema.get("uniqueItems") is True:
        out.append("unique items")
    if isinstance(schema.get("pattern"), str):
        out.append(f"pattern /{schema['pattern']}/")
    if isinstance(schema.get("format"), str):
        out.append(f"format {schema['format']}")
    if schema.get("additionalProperties") is False:
        out.append("no other properties")
    if "default" in schema:
        out.append(f"default {_json(schema['default'])}")
    return tuple(out)


class _Walker:
    def __init__(self, root: Any, project_schemas: Mapping[str, Any]) -> None:
        self.root = root
        self.project_schemas = project_schemas
        self.rows: list[SchemaRow] = []
        self.omitted = 0
        self.counted_all = True

    def target(self, ref: str) -> tuple[str, Any]:
        """The label and the schema a ``$ref`` points to (MISSING when it does not resolve)."""
        name = ref_name(ref)
        if name is not None:
            return f"{name} (project schema)", self.project_schemas.get(name, MISSING)
        if ref.startswith("#"):
            try:
                parts = pointer_parts(ref[1:])
            except ValueError:
                return f"{ref} (unresolved)", MISSING
            found = resolve(self.root, parts)
            label = parts[-1] if parts else "(message)"
            return f"{label} (definition)", found
        return f"{ref} (unresolved)", MISSING

    def follow(self, schema: Any, seen: tuple[str, ...]) -> tuple[Any, tuple[str, ...], bool]:
        """``schema`` with its ``$ref`` resolved; ``repeat`` when that ref is already on the path
        being walked (the table stops there instead of recursing forever)."""
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in seen:
                return schema, seen, True
            _, found = self.target(ref)
            if found is MISSING:
                return schema, seen, True
            seen = (*seen, ref)
            schema = found
        return schema, seen, False

    def type_of(self, schema: Any, seen: tuple[str, ...], depth: int = 0) -> str:
        if schema is True or schema == {}:
            return "any"
        if schema is False:
            return "nothing (never valid)"
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return "any"
        ref = schema.get("$ref")
        if isinstance(ref, str):
            label, _ = self.target(ref)
            return label
        for key, joiner in _UNIONS:
            branches = schema.get(key)
            if isinstance(branches, list) and branches:
                names = [self.type_of(branch, seen, depth + 1) for branch in branches]
                return joiner.join(dict.fromkeys(names))
        declared = schema.get("type")
        types: list[str]
        if isinstance(declared, str):
            types = [declared]
        elif isinstance(declared, list) and declared:
            types = [str(item) for item in declared]
        elif "const" in schema:
            types = [_json_type(schema["const"])]
        elif isinstance(schema.get("enum"), list) and schema["enum"]:
            types = list(dict.fromkeys(_json_type(item) for item in schema["enum"]))
        elif "properties" in schema:
            types = ["object"]
        elif "items" in schema or "prefixItems" in schema:
            types = ["array"]
        else:
            return "any"
        out = []
        for name in types:
            if name == "array" and isinstance(schema.get("items"), (dict, bool)):
                out.append(f"array of {self.type_of(schema['items'], seen, depth + 1)}")
            else:
                out.append(name)
        return " or ".join(out)

    def add(
        self,
        path: str,
        schema: Any,
        required: bool,
        seen: tuple[str, ...],
        depth: int,
        below: str | None = None,
    ) -> None:
        """A row for ``path``, then rows for what sits below it (``below``: their prefix)."""
        if len(self.rows) >= MAX_ROWS or depth > MAX_DEPTH:
            if self.omitted >= MAX_COUNTED:
                self.counted_all = False
                return
            self.omitted += 1 + (self.count(schema, seen, depth) if depth <= MAX_DEPTH else 0)
            return
        shown = schema if isinstance(schema, dict) else {}
        resolved, inner_seen, repeat = self.follow(schema, seen)
        facts = resolved if isinstance(resolved, dict) and not repeat else shown
        description = str(shown.get("description") or "")
        constraints = constraints_of(shown)
        if facts is not shown:
            constraints = (
                *constraints,
                *(c for c in constraints_of(facts) if c not in constraints),
            )
        self.rows.append(
            SchemaRow(
                path,
                self.type_of(schema, seen),
                required,
                constraints,
                " ".join(description.split()),
            )
        )
        if not repeat:
            self.children(path if below is None else below, resolved, inner_seen, depth + 1)

    def children(self, path: str, schema: Any, seen: tuple[str, ...], depth: int) -> None:
        for prefix, child, required_names, inner_seen in self.parts(path, schema, seen):
            for name, sub in child:
                self.add(prefix + name, sub, name in required_names, inner_seen, depth)

    def parts(
        self, path: str, schema: Any, seen: tuple[str, ...]
    ) -> Iterator[tuple[str, list[tuple[str, Any]], set[str], tuple[str, ...]]]:
        """(path prefix, [(name, subschema)], required names, refs being walked) of what sits
        below ``path``."""
        if not isinstance(schema, dict):
            return
        properties = schema.get("properties")
        if isinstance(properties, dict) and properties:
            required = schema.get("required")
            names = {str(item) for item in required} if isinstance(required, list) else set()
            yield (f"{path}." if path else ""), list(properties.items()), names, seen
        items = schema.get("items")
        if isinstance(items, dict) and items:
            # An array's items have no row of their own (the array's type names them): their
            # properties are listed as "fills[].px".
            resolved, inner_seen, repeat = self.follow(items, seen)
            if not repeat:
                yield from self.parts(f"{path}[]", resolved, inner_seen)
        for key, _ in _UNIONS:
            branches = schema.get(key)
            if isinstance(branches, list):
                for branch in branches:
                    resolved, inner_seen, repeat = self.follow(branch, seen)
                    if not repeat and isinstance(resolved, dict):
                        yield from self.parts(path, resolved, inner_seen)

    def count(self, schema: Any, seen: tuple[str, ...], depth: int) -> int:
        """How many rows ``schema`` would add below itself (up to MAX_COUNTED in all)."""
        resolved, inner_seen, repeat = self.follow(schema, seen)
        if repeat or depth > MAX_DEPTH:
            return 0
        total = 0
        for _, child, _, below in self.parts("x", resolved, inner_seen):
            for _, sub in child:
                if self.omitted + total >= MAX_COUNTED:
                    self.counted_all = False
                    return total
                total += 1 + self.count(sub, below, depth + 1)
        return total


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def schema_rows(schema: Any, project_schemas: Mapping[str, Any]) -> SchemaTable:
    """The table of ``schema``: one row per property path, nested objects as ``maker.id``,
    array items as ``fills[].px``; a ``$ref`` to a project schema is named in the type and its
    properties listed below it, unless it is already being listed (recursion stops there).

    A message that is not an object with properties gets a row for itself (``ROOT``); the
    properties of its items, if it is an array of objects, follow as ``[].id``.
    """
    walker = _Walker(schema, project_schemas)
    resolved, seen, repeat = walker.follow(schema, ())
    if not repeat and any(prefix == "" for prefix, *_ in walker.parts("", resolved, seen)):
        walker.children("", resolved, seen, 0)
        own = constraints_of(schema) if isinstance(schema, dict) else ()
        if resolved is not schema:
            own = (*own, *(c for c in constraints_of(resolved) if c not in own))
        return SchemaTable(
            tuple(walker.rows),
            walker.omitted,
            walker.type_of(schema, ()),
            own,
            not walker.counted_all,
        )
    # An array (or a scalar) message: a row for itself, its items' properties as "[].id".
    walker.add(ROOT, schema, True, (), 0, below="")
    return SchemaTable(tuple(walker.rows), walker.omitted, omitted_more=not walker.counted_all)


def mentions_ref(schema: Any) -> bool:
    """Whether ``schema`` may refer to a project schema (cheap: no walk)."""
    return schema is not None and COMPONENTS_PREFIX in json.dumps(schema)


def match_words(match: Mapping[str, Any] | None) -> str:
    """A message's match rule as a reader says it: ``$.type = "trade"``, ``text matching
    /^PING/``, ``any frame``."""
    if not match or match.get("kind") in (None, "any"):
        return "any frame"
    if match.get("kind") == "regex":
        return f"text matching /{match.get('pattern', '')}/"
    if match.get("kind") == "path":
        path = str(match.get("path", ""))
        if "value" in match:
            return f"{path} = {_json(match['value'])}"
        return f"{path} present"
    return "any frame"


def arguments_rows(schema: Any, project_schemas: Mapping[str, Any]) -> SchemaTable:
    """A Socket.IO arguments array's table: one row per argument (``1``, ``2``, and ``3+`` for
    every further one, or ``each`` when the schema only says what every argument is), their
    properties below them (``2.room``). A schema that is not an array of that shape gets the
    ordinary table."""
    if not isinstance(schema, dict):
        return schema_rows(schema, project_schemas)
    prefix = schema.get("prefixItems")
    prefix = prefix if isinstance(prefix, list) else []
    rest = schema.get("items")
    if not prefix and not isinstance(rest, dict):
        return schema_rows(schema, project_schemas)
    arguments: dict[str, Any] = {str(number + 1): item for number, item in enumerate(prefix)}
    if isinstance(rest, dict):
        arguments[f"{len(prefix) + 1}+" if prefix else "each"] = rest
    least = schema.get("minItems")
    least = least if isinstance(least, int) and not isinstance(least, bool) else 0
    # Definitions stay where the schema's local references look for them.
    shape = {key: value for key, value in schema.items() if key in ("$defs", "definitions")}
    shape.update(
        type="object",
        properties=arguments,
        required=[str(number + 1) for number in range(min(least, len(prefix)))],
    )
    table = schema_rows(shape, project_schemas)
    words = {"items ≥": "arguments ≥", "items ≤": "arguments ≤"}
    own = []
    for item in constraints_of(schema):
        for old, new in words.items():
            item = item.replace(old, new)
        own.append(item)
    if rest is False:
        own.append("no other arguments")
    return SchemaTable(table.rows, table.omitted, "arguments", tuple(own), table.omitted_more)
