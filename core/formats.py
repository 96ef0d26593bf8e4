"""Message body formats: validation that says where a body is wrong, encoding to frames, pretty-printing.

Pure functions, shared by the API, the relay and the docs pages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import xml.dom.minidom
from html.parser import HTMLParser
from typing import Any
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


# --- display: pretty-printing, hexdump, re-decoding (used by debug sessions and the docs) ------

PRETTY_FORMATS = frozenset({"json", "xml", "html"})
# Encodings a received message can be re-read with; keys are what the API accepts.
TEXT_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "latin-1": "latin-1",
    "ascii": "ascii",
    "cp1252": "cp1252",
}


def pretty_json(body: str) -> str:
    """Indented JSON that keeps key order, non-ASCII text and the exact spelling of numbers."""
    # Numbers are parked as marked strings so 1.50 and 1e3 come back as written (not 1.5 and
    # 1000.0); the marker holds a NUL and a random tag, so no string in the input can match it.
    tag = secrets.token_hex(6)
    numbers: list[str] = []

    def keep(raw: str) -> str:
        numbers.append(raw)
        return f"\x00{tag}:{len(numbers) - 1}"

    try:
        value = json.loads(body, parse_float=keep, parse_int=keep, parse_constant=keep)
    except json.JSONDecodeError as exc:
        raise BodyFormatError(
            f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}."
        ) from None
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return re.sub(rf'"\\u0000{tag}:(\d+)"', lambda match: numbers[int(match.group(1))], text)


def _strip_blank_text(node: xml.dom.minidom.Node) -> None:
    for child in list(node.childNodes):
        if child.nodeType == child.TEXT_NODE and not child.data.strip():
            # Text only ever sits in an element (a document refuses it as a child).
            assert isinstance(node, xml.dom.minidom.Element)
            node.removeChild(child)
        elif child.hasChildNodes():
            _strip_blank_text(child)


def pretty_xml(body: str) -> str:
    """Indented XML; comments, namespaces and prefixes stay as written."""
    try:
        document = xml.dom.minidom.parseString(body.encode("utf-8"))
    except ExpatError as exc:
        raise BodyFormatError(
            f"Invalid XML at line {exc.lineno}, column {exc.offset + 1}: {str(exc).split(':')[0]}."
        ) from None
    _strip_blank_text(document)
    text = document.toprettyxml(indent="  ")
    if not body.lstrip().startswith("<?xml"):
        text = text.split("\n", 1)[1] if text.startswith("<?xml") else text
    return text.rstrip("\n")


_VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
    | {"source", "track", "wbr"}
)
_RAW_ELEMENTS = frozenset({"pre", "textarea", "script", "style"})


class _HTMLTokens(HTMLParser):
    """Start tags, end tags and text of an HTML document, with the source text of each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tokens: list[tuple[str, str, str]] = []  # (kind, tag, source)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tokens.append(("start", tag, self.get_starttag_text() or f"<{tag}>"))

    def handle_startendtag(self, tag: str, attrs: Any) -> None:
        self.tokens.append(("void", tag, self.get_starttag_text() or f"<{tag}/>"))

    def handle_endtag(self, tag: str) -> None:
        self.tokens.append(("end", tag, f"</{tag}>"))

    def handle_data(self, data: str) -> None:
        self.tokens.append(("text", "", data))

    def handle_entityref(self, name: str) -> None:
        self.tokens.append(("text", "", f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.tokens.append(("text", "", f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self.tokens.append(("other", "", f"<!--{data}-->"))

    def handle_decl(self, decl: str) -> None:
        self.tokens.append(("other", "", f"<!{decl}>"))

    def handle_pi(self, data: str) -> None:
        self.tokens.append(("other", "", f"<?{data}>"))

    def unknown_decl(self, data: str) -> None:
        self.tokens.append(("other", "", f"<![{data}]>"))


def pretty_html(body: str) -> str:
    """One element per line, children indented; text-only elements stay on one line.

    HTML is forgiving, so this never fails: unknown or unclosed tags are laid out as found.
    The content of pre, textarea, script and style is kept exactly as written.
    """
    parser = _HTMLTokens()
    parser.feed(body)
    parser.close()
    tokens = parser.tokens
    lines: list[str] = []
    open_tags: list[str] = []
    index = 0
    while index < len(tokens):
        kind, tag, source = tokens[index]
        pad = "  " * len(open_tags)
        if kind == "start" and tag in _RAW_ELEMENTS:
            # Everything up to the matching end tag, verbatim.
            end = index + 1
            while end < len(tokens) and not (tokens[end][0] == "end" and tokens[end][1] == tag):
                end += 1
            inner = "".join(token[2] for token in tokens[index + 1 : end])
            closing = tokens[end][2] if end < len(tokens) else ""
            lines.append(pad + source + inner + closing)
            index = end + 1
            continue
        if kind == "start" and tag not in _VOID_ELEMENTS:
            following = tokens[index + 1 : index + 3]
            if (
                len(following) == 2
                and following[0][0] == "text"
                and following[1][0] == "end"
                and following[1][1] == tag
                and "\n" not in following[0][2].strip()
            ):
                lines.append(f"{pad}{source}{following[0][2].strip()}{following[1][2]}")
                index += 3
                continue
            if len(following) >= 1 and following[0][0] == "end" and following[0][1] == tag:
                lines.append(f"{pad}{source}{following[0][2]}")
                index += 2
                continue
            lines.append(pad + source)
            open_tags.append(tag)
        elif kind == "end":
            if tag in open_tags:
                while open_tags and open_tags.pop() != tag:
                    pass
            lines.append("  " * len(open_tags) + source)
        elif kind == "text":
            text = " ".join(source.split())
            if text:
                lines.append(pad + text)
        else:
            lines.append(pad + source)
        index += 1
    return "\n".join(lines)


def pretty(fmt: str, body: str) -> str:
    """``body`` pretty-printed as ``fmt`` (json, xml or html); BodyFormatError says where it is wrong."""
    if fmt == "json":
        return pretty_json(body)
    if fmt == "xml":
        return pretty_xml(body)
    if fmt == "html":
        return pretty_html(body)
    raise BodyFormatError(f"Only {', '.join(sorted(PRETTY_FORMATS))} can be pretty-printed.")


def detect_text_format(text: str) -> str:
    """The format a text message most likely is: json, xml, html or text."""
    stripped = text.strip()
    if not stripped:
        return "text"
    if stripped[0] in '[{"-0123456789tfn':
        try:
            json.loads(stripped)
            return "json"
        except ValueError:
            pass
    if stripped.startswith("<"):
        head = stripped[:200].lower()
        if head.startswith("<!doctype html") or re.match(r"<(html|head|body|div|p|span)\b", head):
            return "html"
        try:
            _check_xml(stripped)
            return "xml"
        except BodyFormatError:
            return "html"
    return "text"


def hexdump(data: bytes, width: int = 16) -> str:
    """Offset, hex bytes (grouped by 8) and printable ASCII, one line per ``width`` bytes."""
    lines = []
    hex_width = width * 3 + (width // 8 - 1 if width >= 8 else 0)
    for offset in range(0, len(data), width):
        chunk = data[offset : offset + width]
        groups = [chunk[i : i + 8].hex(" ") for i in range(0, len(chunk), 8)]
        ascii_part = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:08x}  {'  '.join(groups):<{hex_width}} |{ascii_part}|")
    return "\n".join(lines)


def decode_bytes(data: bytes, encoding: str) -> str:
    """``data`` read as ``encoding`` (one of TEXT_ENCODINGS); undecodable bytes become U+FFFD."""
    codec = TEXT_ENCODINGS.get(encoding.lower().replace("_", "-"))
    if codec is None:
        raise BodyFormatError(
            f"Unknown encoding {encoding!r}; use one of {', '.join(TEXT_ENCODINGS)}."
        )
    return data.decode(codec, errors="replace")
