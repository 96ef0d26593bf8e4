"""What a mock sends: a documented message's example with its ``{{references}}`` filled in
(the project's shared non-secret globals, values taken from the request frame, the counter and
dynamic values such as ``{{$randomUUID}}``), as a text frame or, for Base64/hex messages, the
bytes they decode to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.formats import BINARY_FORMATS, BodyFormatError, encode_body
from endpoints.environments.resolver import Dynamics, fill_known, resolve_body
from endpoints.errors import UnresolvedVariables


def render(
    body: str, fmt: str, values: Mapping[str, str], dynamics: Dynamics | None = None
) -> str | bytes:
    """The frame to send. A reference nothing fills stays written as ``{{name}}``: a mock
    sends what it can rather than nothing (the traffic log shows the placeholder)."""
    try:
        text, _ = resolve_body(body, values, dynamics=dynamics)
    except UnresolvedVariables:
        text = fill_known(body, values)
    if fmt in BINARY_FORMATS:
        try:
            return encode_body(fmt, text)
        except BodyFormatError:
            return text
    return text


def example_body(message: Mapping[str, Any], example: str | None, index: int = 0) -> str:
    """The body of the example named ``example``, else of the ``index``-th one."""
    examples = message.get("examples") or []
    if not examples:
        return ""
    if example is not None:
        for item in examples:
            if item.get("name") == example:
                return str(item.get("body", ""))
    return str(examples[index % len(examples)].get("body", ""))
