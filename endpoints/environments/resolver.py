r"""`{{name}}` references: finding them, resolving them in one pass, masking secrets.

The one resolver used by the API (preview, endpoint validation), the relay (handshake at
connect, body at every send) and the docs pages. Pure: no ORM, no I/O; the clock and the
random source of dynamic values are parameters so tests can fix them.

What counts as a reference (docs/variables.md says the same):

* ``{{name}}`` where ``name`` starts with a letter (any script) or ``_`` and continues with
  letters, digits, ``_``, ``-`` or ``.``. Spaces and tabs may surround the name inside the
  braces (``{{ name }}``); line breaks may not. Names are case-sensitive and compared exactly.
* ``{{$name}}`` (``$`` then ASCII letters/digits) is a dynamic value, computed at each use.
  An unknown ``$name`` is reported like an unknown variable.
* Anything else stays literal: a lone ``{{``, ``{{ }}``, ``{{a b}}``, ``{{1x}}``, ``{{x``.
  The scan goes left to right and takes the first ``{{`` that starts a valid reference, so
  ``{{{x}}}`` is ``{`` + x + ``}`` and ``{{a{{b}}}}`` is ``{{a`` + b + ``}}``.
* Backslashes right before ``{{`` escape it: ``\{{`` is a literal ``{{`` (the backslash is
  dropped), and each ``\\`` pair before ``{{`` becomes one literal backslash, so
  ``\\{{x}}`` is a backslash followed by x's value. Backslashes anywhere else are untouched.
* Resolution is one pass: a value that itself contains ``{{x}}`` is inserted as it is.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import SystemRandom
from typing import Any, Protocol
from urllib.parse import quote

from core.errors import ValidationFailed
from endpoints.errors import UnresolvedVariables
from endpoints.handshake import ROW_FIELDS, scheme_problem, url_problem, url_schemes

MASK = "••••"
MAX_NAME_LENGTH = 100

_NAME = r"[^\W\d][\w.\-]*+"
_NAME_RE = re.compile(rf"{_NAME}\Z")
_REFERENCE_BODY = re.compile(
    rf"[ \t]*+(?:\$(?P<dynamic>[A-Za-z][A-Za-z0-9]*+)|(?P<name>{_NAME}))[ \t]*+\}}\}}"
)
# RFC 9110 token characters: what a header name, cookie name or subprotocol may be once resolved.
_TCHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_LINE_BREAK = re.compile(r"[\r\n\x00]")
# Characters left as they are in a query string; everything else in params is percent-encoded.
_QUERY_SAFE = ",:@/!$'()*"
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://")


# --- parsing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One reference in a text: ``name`` is ``token`` or ``$timestamp`` for dynamic values."""

    name: str
    dynamic: bool
    start: int
    end: int


Segment = str | Reference


def is_valid_name(name: str) -> bool:
    """Whether ``name`` can be a variable's name (and so be written as ``{{name}}``)."""
    return isinstance(name, str) and 0 < len(name) <= MAX_NAME_LENGTH and bool(_NAME_RE.match(name))


def parse(text: str) -> list[Segment]:
    """Split ``text`` into literal strings (escapes already applied) and references, in order."""
    segments: list[Segment] = []
    literal: list[str] = []
    position = 0
    while True:
        brace = text.find("{{", position)
        if brace < 0:
            literal.append(text[position:])
            break
        # Count the backslashes right before the braces by looking back (not with a regex
        # search, which is quadratic on long runs of backslashes without braces).
        start = brace
        while start > position and text[start - 1] == "\\":
            start -= 1
        slashes = brace - start
        literal.append(text[position:start])
        literal.append("\\" * (slashes // 2))
        if slashes % 2:
            literal.append("{{")
            position = brace + 2
            continue
        body = _REFERENCE_BODY.match(text, brace + 2)
        if body is None:
            # Not a reference here; the next brace may still open one (``{{{x}}}``).
            literal.append("{")
            position = brace + 1
            continue
        if any(literal):
            segments.append("".join(literal))
        literal = []
        dynamic = body.group("dynamic")
        name = f"${dynamic}" if dynamic is not None else body.group("name")
        segments.append(Reference(name, dynamic is not None, brace, body.end()))
        position = body.end()
    if any(literal):
        segments.append("".join(literal))
    return segments


def references(text: str) -> list[Reference]:
    """Every reference in ``text``, in order (a name used twice appears twice)."""
    return [segment for segment in parse(text) if isinstance(segment, Reference)]


def static_text(text: str) -> str | None:
    """``text`` as it will be sent when it holds no reference (escapes applied); else None."""
    segments = parse(text)
    literal = [segment for segment in segments if isinstance(segment, str)]
    return "".join(literal) if len(literal) == len(segments) else None


def url_template_problem(url: str, protocol: str | None = "websocket") -> str | None:
    """Why a stored URL that may hold references can never work, or None.

    A URL without references gets the full check. With references only what is certain
    before resolution is checked (no spaces or control characters outside references, a
    literal scheme must be ws/wss); the resolved URL gets the full check at connect/preview.
    """
    if not isinstance(url, str) or not url.strip():
        return url_problem(url, protocol)
    segments = parse(url)
    literal = [segment for segment in segments if isinstance(segment, str)]
    if len(literal) == len(segments):
        return url_problem("".join(literal), protocol)
    placeholder = "".join("1" if isinstance(s, Reference) else s for s in segments)
    if any(ch in placeholder for ch in "\r\n\t\x00 "):
        return "The URL must not contain spaces or control characters."
    first_reference = next(i for i, s in enumerate(segments) if isinstance(s, Reference))
    prefix = "".join(s for s in segments[:first_reference] if isinstance(s, str))
    scheme = _SCHEME.match(prefix)
    schemes = url_schemes(protocol)
    if scheme and scheme.group(1).lower() not in schemes:
        return scheme_problem(protocol, scheme.group(1))
    return None


def check_url_protocol(obj: Any) -> None:
    """ValidationFailed naming ``url`` when a stored endpoint's or draft's URL does not suit
    its protocol (a write changing either alone may break the pair)."""
    if not obj.url:
        return
    problem = url_template_problem(obj.url, obj.protocol)
    if problem:
        raise ValidationFailed({"url": [problem]})


# --- dynamic values -------------------------------------------------------------------------


class RandomSource(Protocol):
    def randint(self, a: int, b: int) -> int: ...

    def getrandbits(self, k: int) -> int: ...


@dataclass(frozen=True)
class Dynamics:
    """Where dynamic values come from: a clock in Unix nanoseconds and a random source."""

    now_ns: Callable[[], int] = time.time_ns
    rng: RandomSource = field(default_factory=SystemRandom)


def _iso_timestamp(nanoseconds: int) -> str:
    moment = datetime.fromtimestamp(nanoseconds // 1_000_000_000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{(nanoseconds // 1_000_000) % 1000:03d}Z"


DYNAMIC_VALUES: dict[str, Callable[[Dynamics], str]] = {
    "$timestamp": lambda d: str(d.now_ns() // 1_000_000_000),
    "$timestampMs": lambda d: str(d.now_ns() // 1_000_000),
    "$isoTimestamp": lambda d: _iso_timestamp(d.now_ns()),
    "$randomUUID": lambda d: str(uuid.UUID(int=d.rng.getrandbits(128), version=4)),
    "$randomInt": lambda d: str(d.rng.randint(0, 1000)),
    "$randomHex": lambda d: f"{d.rng.getrandbits(64):016x}",
}


# --- errors ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unresolved:
    name: str
    where: str


# --- resolving ------------------------------------------------------------------------------

Piece = tuple[str, bool]  # (text, came from a secret)


def _pieces(
    text: str,
    values: Mapping[str, str],
    secrets: Iterable[str] | set[str],
    dynamics: Dynamics,
    where: str,
    unresolved: list[Unresolved],
) -> list[Piece]:
    pieces: list[Piece] = []
    for segment in parse(text):
        if isinstance(segment, str):
            pieces.append((segment, False))
        elif segment.dynamic:
            compute = DYNAMIC_VALUES.get(segment.name)
            if compute is None:
                unresolved.append(Unresolved(segment.name, where))
            else:
                pieces.append((compute(dynamics), False))
        elif segment.name in values:
            pieces.append((values[segment.name], segment.name in secrets))
        else:
            unresolved.append(Unresolved(segment.name, where))
    return pieces


def _joined(pieces: Sequence[Piece]) -> str:
    return "".join(text for text, _ in pieces)


def _masked(pieces: Sequence[Piece], encode: Callable[[str], str] = str) -> str:
    return "".join(MASK if secret else encode(text) for text, secret in pieces)


def resolve_text(
    text: str,
    values: Mapping[str, str],
    secrets: set[str] | frozenset[str] = frozenset(),
    *,
    dynamics: Dynamics | None = None,
    where: str = "text",
) -> tuple[str, str]:
    """``(resolved, masked)`` for one text; UnresolvedVariables names every unknown reference."""
    unresolved: list[Unresolved] = []
    pieces = _pieces(text, values, secrets, dynamics or Dynamics(), where, unresolved)
    if unresolved:
        raise UnresolvedVariables(unresolved)
    return _joined(pieces), _masked(pieces)


def resolve_body(
    body: str,
    values: Mapping[str, str],
    secrets: set[str] | frozenset[str] = frozenset(),
    *,
    dynamics: Dynamics | None = None,
    where: str = "body",
) -> tuple[str, str]:
    """A message body resolved for sending, and the same with secrets masked for the log.

    Format checks (JSON, Base64, hex...) belong after this, on the resolved text.
    """
    return resolve_text(body, values, secrets, dynamics=dynamics, where=where)


@dataclass(frozen=True)
class ResolvedHandshake:
    """``values`` is what to send; ``masked`` is the same shape with secrets as ``••••``.

    Both hold ``url`` (with the enabled params already appended as a query string: connect
    to it as it is), ``params``/``headers``/``cookies`` as ``[{"name", "value"}]`` of the
    enabled rows in order, and ``subprotocols`` as a list of strings.
    """

    values: dict[str, Any]
    masked: dict[str, Any]


def _with_query(url: str, query: str) -> str:
    if not query:
        return url
    base, hash_sign, fragment = url.partition("#")
    if "?" not in base:
        separator = "?"
    elif base.endswith(("?", "&")):
        separator = ""
    else:
        separator = "&"
    return f"{base}{separator}{query}{hash_sign}{fragment}"


def _encode(text: str) -> str:
    return quote(text, safe=_QUERY_SAFE)


def append_query(url: str, name: str, value: str, *, value_encoded: bool = False) -> str:
    """``url`` with one more query parameter, encoded as params are (``value_encoded``: the
    value goes in as it is, e.g. a mask)."""
    encoded = value if value_encoded else _encode(value)
    return _with_query(url, f"{_encode(name)}={encoded}")


def _row_problems(field_name: str, index: int, name: str, value: str) -> dict[str, list[str]]:
    """What is wrong with a resolved row; messages never quote the (possibly secret) text."""
    problems: dict[str, list[str]] = {}
    path = f"{field_name}[{index}]"
    after = "After substituting variables, "
    if not name:
        problems[f"{path}.name"] = [after + "the name is empty."]
    elif field_name in ("headers", "cookies") and not _TCHAR.match(name):
        problems[f"{path}.name"] = [
            after + "the name has characters a header or cookie name may not have."
        ]
    elif _LINE_BREAK.search(name):
        problems[f"{path}.name"] = [after + "the name contains a line break or NUL."]
    if _LINE_BREAK.search(value):
        problems[f"{path}.value"] = [after + "the value contains a line break or NUL."]
    elif field_name == "cookies" and ";" in value:
        problems[f"{path}.value"] = [after + "a cookie value may not contain ';'."]
    return problems


def resolve_handshake(
    handshake: Mapping[str, Any],
    values: Mapping[str, str],
    secrets: set[str] | frozenset[str] = frozenset(),
    *,
    dynamics: Dynamics | None = None,
) -> ResolvedHandshake:
    """Resolve ``{"url", "params", "headers", "cookies", "subprotocols"}`` for connecting.

    Rows are ``{name, value, enabled, description}``; disabled rows are dropped and their
    references are not checked. Every unknown reference in every field is reported in one
    UnresolvedVariables (locations such as ``headers[2].value`` count rows as stored,
    disabled ones included). Then the resolved result is checked (a ws/wss URL, token-only
    header names, no line breaks) and a ValidationFailed names the fields that broke.
    """
    dynamics = dynamics or Dynamics()
    unresolved: list[Unresolved] = []
    url_pieces = _pieces(
        str(handshake.get("url") or ""), values, secrets, dynamics, "url", unresolved
    )
    rows: dict[str, list[tuple[int, list[Piece], list[Piece]]]] = {}
    for field_name in ROW_FIELDS:
        rows[field_name] = []
        for index, row in enumerate(handshake.get(field_name) or []):
            if not row.get("enabled", True):
                continue
            name = _pieces(
                str(row.get("name", "")),
                values,
                secrets,
                dynamics,
                f"{field_name}[{index}].name",
                unresolved,
            )
            value = _pieces(
                str(row.get("value", "")),
                values,
                secrets,
                dynamics,
                f"{field_name}[{index}].value",
                unresolved,
            )
            rows[field_name].append((index, name, value))
    subprotocols = [
        _pieces(str(item), values, secrets, dynamics, f"subprotocols[{index}]", unresolved)
        for index, item in enumerate(handshake.get("subprotocols") or [])
    ]
    if unresolved:
        raise UnresolvedVariables(unresolved)

    problems: dict[str, list[str]] = {}
    for field_name, items in rows.items():
        for index, name, value in items:
            problems.update(_row_problems(field_name, index, _joined(name), _joined(value)))
    for index, item in enumerate(subprotocols):
        if not _TCHAR.match(_joined(item)):
            problems[f"subprotocols[{index}]"] = [
                "After substituting variables, the subprotocol is not a token "
                "(letters, digits, !#$%&'*+-.^_`|~)."
            ]

    query = "&".join(f"{_encode(_joined(n))}={_encode(_joined(v))}" for _, n, v in rows["params"])
    masked_query = "&".join(
        f"{_masked(n, _encode)}={_masked(v, _encode)}" for _, n, v in rows["params"]
    )
    url = _with_query(_joined(url_pieces), query)
    problem = url_problem(url, handshake.get("protocol") or "websocket")
    if problem:
        if any(secret for _, secret in url_pieces) or any(
            secret for _, n, v in rows["params"] for _, secret in (*n, *v)
        ):
            problem = "The URL is not a valid URL for this protocol."
        problems["url"] = [f"After substituting variables: {problem}"]
    if problems:
        raise ValidationFailed(
            problems, "After substituting variables, some handshake fields are not valid."
        )

    def shaped(text: Callable[[Sequence[Piece]], str], full_url: str) -> dict[str, Any]:
        return {
            "url": full_url,
            **{
                field_name: [{"name": text(n), "value": text(v)} for _, n, v in items]
                for field_name, items in rows.items()
            },
            "subprotocols": [text(item) for item in subprotocols],
        }

    return ResolvedHandshake(
        values=shaped(_joined, url),
        masked=shaped(_masked, _with_query(_masked(url_pieces), masked_query)),
    )


# --- where an endpoint uses variables -------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """``name`` is used at ``where``; ``enabled`` is false inside a disabled row."""

    name: str
    dynamic: bool
    where: str
    enabled: bool = True


def references_in_endpoint(
    handshake: Mapping[str, Any], messages: Sequence[Mapping[str, Any]] = ()
) -> list[Usage]:
    """Every reference in an endpoint (or a session draft), in field order.

    Locations: ``url``, ``params[i].name``/``.value`` (likewise headers, cookies),
    ``subprotocols[i]`` and ``messages[i].body``.
    """
    usages: list[Usage] = []

    def scan(text: Any, where: str, enabled: bool = True) -> None:
        if isinstance(text, str) and "{{" in text:
            usages.extend(Usage(r.name, r.dynamic, where, enabled) for r in references(text))

    scan(handshake.get("url"), "url")
    for field_name in ROW_FIELDS:
        for index, row in enumerate(handshake.get(field_name) or []):
            enabled = bool(row.get("enabled", True))
            scan(row.get("name"), f"{field_name}[{index}].name", enabled)
            scan(row.get("value"), f"{field_name}[{index}].value", enabled)
    for index, item in enumerate(handshake.get("subprotocols") or []):
        scan(item, f"subprotocols[{index}]")
    if handshake.get("protocol") == "socketio":
        scan((handshake.get("socketio") or {}).get("auth"), "socketio.auth")
    for index, message in enumerate(messages):
        scan(message.get("body"), f"messages[{index}].body")
    return usages


def usage_summary(usages: Iterable[Usage]) -> list[dict[str, Any]]:
    """One entry per name, in order of first use: ``{"name", "dynamic", "where": [...]}``."""
    by_name: dict[str, dict[str, Any]] = {}
    for usage in usages:
        entry = by_name.setdefault(
            usage.name, {"name": usage.name, "dynamic": usage.dynamic, "where": []}
        )
        if usage.where not in entry["where"]:
            entry["where"].append(usage.where)
    return list(by_name.values())


def is_known_dynamic(name: str) -> bool:
    return name in DYNAMIC_VALUES


def fill_known(text: str, values: Mapping[str, str]) -> str:
    """``text`` with the references that ``values`` has filled in; every other reference
    (unknown names, dynamic values) written back as ``{{name}}``, as a placeholder to show.

    For showing a template rather than sending it: the docs pages pass only an environment's
    non-secret shared values, so secrets, private values and ``{{$timestamp}}`` stay
    placeholders. One pass and escapes as in ``parse``; never raises.
    """
    if "{{" not in text:
        return text
    out: list[str] = []
    for segment in parse(text):
        if isinstance(segment, str):
            out.append(segment)
        elif not segment.dynamic and segment.name in values:
            out.append(values[segment.name])
        else:
            out.append("{{" + segment.name + "}}")
    return "".join(out)
