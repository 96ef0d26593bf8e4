"""JSON Pointers (RFC 6901): written from paths, and read into a document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

MISSING = object()


def pointer_of(path: Iterable[str | int]) -> str:
    """The JSON Pointer of a path of keys and indexes: ``["a", 0, "b/c"]`` -> ``/a/0/b~1c``."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def pointer_parts(pointer: str) -> list[str]:
    """The reference tokens of ``pointer``; ValueError if it is not a JSON Pointer."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError("a JSON Pointer starts with '/'")
    parts = pointer[1:].split("/")
    for part in parts:
        stripped = part.replace("~0", "").replace("~1", "")
        if "~" in stripped:
            raise ValueError(f"'~' must be followed by 0 or 1 in {part!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in parts]


def resolve(document: Any, parts: Sequence[str]) -> Any:
    """The value at ``parts`` in ``document``, or MISSING."""
    node = document
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                return MISSING
            node = node[part]
        elif isinstance(node, list):
            if not part.isdigit() or (len(part) > 1 and part[0] == "0"):
                return MISSING
            index = int(part)
            if index >= len(node):
                return MISSING
            node = node[index]
        else:
            return MISSING
    return node
