"""Reading an uploaded AsyncAPI document safely: a size limit, YAML without alias bombs (the
expanded size and the number of aliases are bounded before anything is built), a depth limit,
no external ``$ref`` (never followed), and official JSON Schema validation. Every refusal is a
``DocumentError`` that says what and where."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml
from django.conf import settings

from endpoints.asyncapi.addresses import pointer_segment
from endpoints.contracts.limits import short_reason

# Nesting levels of mappings and lists; real documents stay far below.
MAX_DEPTH = 64
# Values that YAML aliases add when expanded, and aliases used: a "billion laughs" stops here.
# (The document's own values are bounded by its size limit.)
MAX_ALIAS_VALUES = 100_000
MAX_ALIASES = 1_000
MAX_PROBLEMS = 10
SUPPORTED_VERSIONS = ("3.0.0", "2.6.0")
_SPECS = Path(__file__).resolve().parent / "specs"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class DocumentError(ValueError):
    """The document cannot be imported: ``problems`` are ``(where, what)`` pairs, ``where`` a
    JSON Pointer into the document or a line and column of its text."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {what}" for where, what in problems))


_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """The safe loader, with dates left as text (a document is JSON data)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _where(node: yaml.Node) -> str:
    mark = node.start_mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _check_nodes(root: yaml.Node) -> None:
    """Depth, alias count and what aliases expand to, in a composed document, before it is
    built. A node reached again is an alias: its size is computed once and counted each time.
    (A bomb's expansion grows with each level, so the count stops it before it is large.)"""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    aliases = 0
    expanded = 0  # values added by aliases

    def size(node: yaml.Node, depth: int) -> int:
        nonlocal aliases, expanded
        key = id(node)
        if key in sizes:
            aliases += 1
            expanded += sizes[key]
            if aliases > MAX_ALIASES:
                raise DocumentError(
                    [(_where(node), f"More than {MAX_ALIASES} YAML aliases; refused.")]
                )
            if expanded > MAX_ALIAS_VALUES:
                raise DocumentError(
                    [
                        (
                            _where(node),
                            f"YAML aliases expand to more than {MAX_ALIAS_VALUES} values; refused.",
                        )
                    ]
                )
            return sizes[key]
        if key in active:
            raise DocumentError([(_where(node), "A YAML alias refers to itself; refused.")])
        if depth > MAX_DEPTH:
            raise DocumentError(
                [(_where(node), f"Nested more than {MAX_DEPTH} levels deep; refused.")]
            )
        active.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for name, value in node.value:
                total += size(name, depth + 1) + size(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
        active.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _string_keys(value: Any, depth: int = 0) -> Any:
    """YAML allows keys that are not text (``200:``, ``on:``); JSON data has text keys only."""
    if isinstance(value, dict):
        return {
            (
                key
                if isinstance(key, str)
                else (str(key).lower() if isinstance(key, bool) else str(key))
            ): _string_keys(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_string_keys(item, depth + 1) for item in value]
    return value


def _load_yaml(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise DocumentError([("/", "The document is empty.")])
        _check_nodes(node)
        return _string_keys(loader.construct_document(node))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "/"
        raise DocumentError([(where, f"Not valid YAML: {exc.problem or exc.context}.")]) from None
    except yaml.YAMLError as exc:
        raise DocumentError([("/", f"Not valid YAML: {short_reason(str(exc))}")]) from None
    except RecursionError:
        raise DocumentError(
            [("/", f"Nested more than {MAX_DEPTH} levels deep; refused.")]
        ) from None
    finally:
        loader.dispose()


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise DocumentError([(where, f"Not valid JSON: {exc.msg}.")]) from None
    except RecursionError:
        raise DocumentError(
            [("/", f"Nested more than {MAX_DEPTH} levels deep; refused.")]
        ) from None


def _walk(value: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, Any, int]]:
    """Every value of the document with its JSON Pointer and depth, without recursion."""
    stack = [(path, value, depth)]
    while stack:
        where, item, level = stack.pop()
        yield where, item, level
        if isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                stack.append((f"{where}/{pointer_segment(str(key))}", child, level + 1))
        elif isinstance(item, list):
            for index in range(len(item) - 1, -1, -1):
                stack.append((f"{where}/{index}", item[index], level + 1))


def _check_data(document: Any) -> None:
    for where, value, depth in _walk(document):
        if depth > MAX_DEPTH:
            raise DocumentError([(where, f"Nested more than {MAX_DEPTH} levels deep; refused.")])
        if isinstance(value, dict) and "$ref" in value:
            ref = value["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise DocumentError(
                    [
                        (
                            f"{where}/$ref",
                            f"External reference {ref!r}: only references inside the document "
                            "(#/...) are read; nothing is fetched.",
                        )
                    ]
                )


def load_document(text: str) -> dict[str, Any]:
    """The uploaded ``text`` (YAML or JSON) as data, checked for size, aliases, depth and
    external references. DocumentError otherwise."""
    limit = settings.ASYNCAPI_MAX_DOCUMENT_BYTES
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise DocumentError([("/", f"The document is {size} bytes; the limit is {limit} bytes.")])
    if "\x00" in text:
        raise DocumentError([("/", "The document contains a NUL character.")])
    document = _load_json(text) if text.lstrip().startswith("{") else _load_yaml(text)
    if not isinstance(document, dict):
        raise DocumentError([("/", "An AsyncAPI document is a mapping (an object).")])
    _check_data(document)
    return document


@cache
def _validator(version: str) -> jsonschema_rs.Validator:
    schema = json.loads((_SPECS / f"{version}.json").read_text())
    return jsonschema_rs.validator_for(schema)


def check_valid(document: dict[str, Any]) -> str:
    """The document's AsyncAPI version once it is valid against that version's official JSON
    Schema; DocumentError naming each problem's place otherwise."""
    version = document.get("asyncapi")
    if version not in SUPPORTED_VERSIONS:
        raise DocumentError(
            [
                (
                    "/asyncapi",
                    f"AsyncAPI version {version!r} is not supported; use "
                    + " or ".join(SUPPORTED_VERSIONS)
                    + ".",
                )
            ]
        )
    problems: list[tuple[str, str]] = []
    for error in _validator(version).iter_errors(document):
        where = "".join(f"/{pointer_segment(str(part))}" for part in error.instance_path) or "/"
        problems.append((where, short_reason(error.message)))
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise DocumentError(problems)
    return str(version)
