"""Message body formats: validation that says where a body is wrong, encoding to frames, pretty-printing.

Pure functions, shared by the API, the relay and the docs pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import xml.dom.minidom
from xml.parsers.expat import ExpatError

TEXT_FORMATS = frozenset({"text", "json", "xml", "html"})
BINARY_FORMATS = frozenset({"base64", "hex"})
ALL_FORMATS = TEXT_FORMATS | BINARY_FORMATS

_HEX_SEPARATORS = re.compile(r"[\s:,]+")
_BASE64_ALPHABET = re.compile(r"[A-Za-z0-9+/=_-]")


class BodyFormatError(ValueError):
    """A body that is not valid for its declared format; ``str()`` says where."""


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _check_json(body: str) -> None:
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        raise BodyFormatError(
            f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None


def _check_xml(body: str) -> None:
    try:
        xml.dom.minidom.parseString(body.encode("utf-8"))
    except ExpatError as exc:
        raise BodyFormatError(
            f"Invalid XML at line {exc.lineno}, column {exc.offset + 1}: {str(exc).split(':')[0]}."
        ) from None


def decode_hex(body: str) -> bytes:
    """Hex digits, optionally separated by whitespace, colons or commas, optionally 0x-prefixed."""
    text = body.strip()
    start = 2 if text[:2].lower() == "0x" else 0
    offset = len(body) - len(body.lstrip()) + start
    for position in range(offset, len(body)):
        char = body[position]
        if char not in "0123456789abcdefABCDEF" and not _HEX_SEPARATORS.fullmatch(char):
            line, col = _line_col(body, position)
            raise BodyFormatError(
                f"Invalid hex at line {line}, column {col}: {char!r} is not a hex digit."
            )
    compact = _HEX_SEPARATORS.sub("", text[start:])
    if len(compact) % 2:
        raise BodyFormatError(
            f"Invalid hex: odd number of digits ({len(compact)}); each byte needs two."
        )
    return bytes.fromhex(compact)


def decode_base64(body: str) -> bytes:
    """Standard or URL-safe Base64; whitespace is ignored, padding may be omitted."""
    compact = "".join(body.split())
    for position, char in enumerate(body):
        if not char.isspace() and not _BASE64_ALPHABET.fullmatch(char):
            line, col = _line_col(body, position)
            raise BodyFormatError(
                f"Invalid Base64 at line {line}, column {col}: {char!r} is not a Base64 character."
            )
    stripped = compact.rstrip("=")
    if "=" in stripped:
        raise BodyFormatError(
            f"Invalid Base64: padding '=' at character {stripped.index('=') + 1} before the end."
        )
    if len(stripped) % 4 == 1:
        raise BodyFormatError(
            f"Invalid Base64: {len(stripped)} characters cannot encode whole bytes."
        )
    padded = stripped + "=" * (-len(stripped) % 4)
    try:
        if "-" in padded or "_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BodyFormatError(f"Invalid Base64: {exc}.") from None


def validate_body(fmt: str, body: str) -> None:
    """Raise BodyFormatError if ``body`` is not valid ``fmt``. HTML is accepted as written."""
    if fmt not in ALL_FORMATS:
        raise BodyFormatError(
            f"Unknown format {fmt!r}; use one of {', '.join(sorted(ALL_FORMATS))}."
        )
    if fmt == "json":
        _check_json(body)
    elif fmt == "xml":
        _check_xml(body)
    elif fmt == "base64":
        decode_base64(body)
    elif fmt == "hex":
        decode_hex(body)


def encode_body(fmt: str, body: str) -> str | bytes:
    """What goes on the wire: text formats as a text frame (str), binary formats decoded (bytes)."""
    validate_body(fmt, body)
    if fmt == "base64":
        return decode_base64(body)
    if fmt == "hex":
        return decode_hex(body)
    return body
