"""Endpoint URLs and AsyncAPI addresses: ``{{name}}`` references become ``{name}`` server
variables and channel parameters and back, and a URL splits into a server and a channel address.

Pure, shared by the export and the import so that one always reads what the other writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from endpoints.environments.resolver import Reference, parse

BASE_URL_REFERENCE = "{{baseUrl}}"
_ABSOLUTE = re.compile(r"(?P<protocol>wss?)://(?P<host>[^/?#]*)(?P<path>[^?#]*)\Z", re.IGNORECASE)
_BRACED = re.compile(r"\{([^{}\s]+)\}")
_KEY_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def to_braces(text: str) -> tuple[str, list[str]]:
    """``text`` with each ``{{name}}`` written ``{name}``, and the names in order of first use.
    Dynamic values (``{{$timestamp}}``) stay as they are: AsyncAPI has nothing for them."""
    if "{{" not in text:
        return text, []
    out: list[str] = []
    names: list[str] = []
    for segment in parse(text):
        if isinstance(segment, Reference) and not segment.dynamic:
            out.append("{" + segment.name + "}")
            if segment.name not in names:
                names.append(segment.name)
        elif isinstance(segment, Reference):
            out.append("{{" + segment.name + "}}")
        else:
            out.append(segment)
    return "".join(out), names


def from_braces(text: str) -> str:
    """``{name}`` (a server variable or a channel parameter) written as ``{{name}}``."""
    return _BRACED.sub(lambda found: "{{" + found.group(1) + "}}", text)


def braced_names(text: str) -> list[str]:
    """The ``{name}`` expressions of an address or a host, in order."""
    return list(dict.fromkeys(_BRACED.findall(text)))


@dataclass(frozen=True)
class Origin:
    """Where an absolute URL points: a server of the document."""

    protocol: str
    host: str
    path: str


def split_absolute(url: str) -> Origin | None:
    """``wss://host:port/path`` as its protocol, host and path; None for any other URL (with a
    query, a fragment, or not starting with a literal ws:// or wss://)."""
    found = _ABSOLUTE.match(url)
    if found is None:
        return None
    return Origin(found["protocol"].lower(), found["host"], found["path"])


def key_of(text: str, fallback: str = "item") -> str:
    """A map key usable in a JSON Pointer and as an AsyncAPI component id: letters, digits,
    ``_``, ``.`` and ``-``."""
    key = _KEY_CHARS.sub("-", text).strip("-")
    return key[:100] or fallback


def unique_key(wanted: str, taken: set[str]) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``... whichever is not in ``taken`` (then taken)."""
    key = wanted
    number = 2
    while key in taken:
        key = f"{wanted}-{number}"
        number += 1
    taken.add(key)
    return key


def pointer_segment(key: str) -> str:
    """``key`` as one segment of a JSON Pointer (``~`` and ``/`` escaped)."""
    return key.replace("~", "~0").replace("/", "~1")
