"""A scenario's steps, checked as a whole when saved: each step's own fields, and what only the
list can tell (an alias used before its connect, an extract with no expect before it, a
documented message its connection's endpoint does not have).

A step is stored as JSON with a ``kind`` (STEP_KINDS) and an optional ``title``:

- ``connect``: ``alias``, ``endpoint`` (id) or ``url``, optional ``params`` / ``headers`` /
  ``cookies`` rows and ``subprotocols`` that override the endpoint's;
- ``send``: ``alias``, ``message`` (a documented message's name) and optional ``example``, or
  ``format`` and ``body``;
- ``expect``: ``alias``, ``assertions`` (every one must hold), ``mode`` ``next`` (the next
  frame must satisfy them) or ``any`` (frames that do not are skipped), ``timeout_ms``, and
  ``none: true`` for the negative form (no frame satisfying them within the timeout);
- ``extract``: ``extract`` (a list of extractions) from the frame of the latest expect step,
  or of the one at index ``step``;
- ``wait``: ``ms``;
- ``disconnect``: ``alias``, ``code``, ``reason``;
- ``expect_close``: ``alias``, ``timeout_ms``, optional ``code`` and ``by`` (server/client);
- ``emit`` (a Socket.IO endpoint's connection): see scenarios.engine.emit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.formats import ALL_FORMATS, BodyFormatError, validate_body
from endpoints.environments.resolver import references, static_text, url_template_problem

from .assertions import Assertion, SpecError, compile_assertion
from .emit import EMIT_FIELDS, check_emit, waits_for_ack
from .extract import Extraction, compile_extraction
from .limits import (
    CLIENT_CLOSE_CODES,
    DEFAULT_TIMEOUT_MS,
    MAX_ASSERTIONS,
    MAX_CLOSE_REASON_BYTES,
    MAX_CONNECTIONS,
    MAX_EXTRACTIONS,
    MAX_STEPS,
    MAX_TIMEOUT_MS,
    MAX_VALUE_BYTES,
)

STEP_KINDS = (
    "connect",
    "send",
    "expect",
    "extract",
    "wait",
    "disconnect",
    "expect_close",
    "emit",
)
EXPECT_MODES = ("next", "any")
CLOSED_BY = ("server", "client")
ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,39}\Z")
MAX_TITLE_CHARS = 200
MAX_ERRORS = 20

_FIELDS: dict[str, set[str]] = {
    "connect": {"alias", "endpoint", "url", "params", "headers", "cookies", "subprotocols"},
    "send": {"alias", "message", "example", "format", "body"},
    "expect": {"alias", "assertions", "mode", "timeout_ms", "none"},
    "extract": {"extract", "step"},
    "wait": {"ms"},
    "disconnect": {"alias", "code", "reason"},
    "expect_close": {"alias", "timeout_ms", "code", "by"},
    "emit": EMIT_FIELDS,
}


@dataclass(frozen=True)
class DocumentedMessage:
    direction: str
    examples: tuple[str, ...]
    # The {{names}} each example's body uses, by example name.
    example_variables: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    event: str = ""  # a Socket.IO endpoint's message: its event


@dataclass(frozen=True)
class EndpointFacts:
    """What the checks need to know of an endpoint a connect step names."""

    name: str
    messages: Mapping[str, DocumentedMessage]
    protocol: str = "websocket"


Lookup = Callable[[int], EndpointFacts | None]


@dataclass(frozen=True)
class Step:
    """One checked step: its index, kind and stored fields, and what was compiled from them."""

    index: int
    kind: str
    spec: Mapping[str, Any]
    alias: str | None = None
    timeout_ms: int = 0
    assertions: tuple[Assertion, ...] = ()
    extractions: tuple[Extraction, ...] = ()
    source_step: int | None = None  # extract: the expect step whose frame it reads
    endpoint: int | None = None  # connect: the endpoint, if any

    @property
    def title(self) -> str:
        explicit = self.spec.get("title")
        return explicit if isinstance(explicit, str) and explicit else describe(self.spec)


class StepErrors(ValueError):
    """Everything wrong with a list of steps, by field (``steps[2].alias``), first in order."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = dict(errors)
        first = next(iter(self.errors.items()))
        super().__init__(f"{first[0]}: {first[1][0]}")


def describe(spec: Mapping[str, Any]) -> str:
    """A one-line title for a step without one, as reports and JUnit test cases name it."""
    kind = spec.get("kind")
    alias = spec.get("alias", "")
    if kind == "connect":
        target = f"endpoint {spec['endpoint']}" if "endpoint" in spec else spec.get("url", "")
        return f"{alias}: connect to {target}"
    if kind == "send":
        what = spec.get("message") or f"{spec.get('format', 'text')} message"
        example = f" ({spec['example']})" if spec.get("example") else ""
        return f"{alias}: send {what}{example}"
    if kind == "expect":
        if spec.get("none"):
            return f"{alias}: expect no matching frame"
        return f"{alias}: expect {'a frame' if spec.get('mode') == 'any' else 'the next frame'}"
    if kind == "extract":
        names = [str(item.get("variable")) for item in spec.get("extract") or [] if item]
        return f"extract {', '.join(names)}"
    if kind == "wait":
        return f"wait {spec.get('ms')} ms"
    if kind == "disconnect":
        return f"{alias}: disconnect ({spec.get('code', 1000)})"
    if kind == "expect_close":
        return f"{alias}: expect the connection to close"
    if kind == "emit":
        what = spec.get("message") or spec.get("event")
        example = f" ({spec['example']})" if spec.get("example") else ""
        return f"{alias}: emit {what}{example}" + (
            " and wait for the ack" if waits_for_ack(spec) else ""
        )
    return str(kind)


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def step_variables(spec: Any) -> list[str]:
    """The ``{{names}}`` a step uses (dynamic values such as ``$randomUUID`` included), sorted."""
    return sorted({ref.name for text in strings_in(spec) for ref in references(text)})


def _timeout(spec: Mapping[str, Any], key: str, default: int) -> int:
    value: object = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TIMEOUT_MS:
        raise SpecError(key, f"milliseconds from 0 to {MAX_TIMEOUT_MS:,}")
    return value


def _close_code(spec: Mapping[str, Any], required: bool) -> None:
    if "code" not in spec:
        return
    code = spec["code"]
    if required:
        if (
            isinstance(code, bool)
            or not isinstance(code, int)
            or not (code == 1000 or 3000 <= code <= 4999)
        ):
            raise SpecError("code", f"a client closes with {CLIENT_CLOSE_CODES}")
    elif code is not None and (
        isinstance(code, bool) or not isinstance(code, int) or not 1000 <= code <= 4999
    ):
        raise SpecError("code", "a close code from 1000 to 4999, or null")


class _Checker:
    """Walks the steps in order, knowing which aliases are open and what they connect to."""

    def __init__(self, lookup: Lookup | None) -> None:
        self.lookup = lookup
        self.open: dict[str, int | None] = {}  # alias -> endpoint id (None: a URL)
        self.aliases: set[str] = set()
        self.expects: list[int] = []  # indexes of positive expect steps so far
        self.facts: dict[int, EndpointFacts | None] = {}

    def endpoint_facts(self, endpoint: int) -> EndpointFacts | None:
        if endpoint not in self.facts:
            self.facts[endpoint] = self.lookup(endpoint) if self.lookup else None
        return self.facts[endpoint]

    def alias(self, spec: Mapping[str, Any]) -> str:
        alias = spec.get("alias")
        if not isinstance(alias, str) or not ALIAS.match(alias):
            raise SpecError("alias", "a name: a letter or _, then letters, digits, _ or -")
        if alias not in self.open:
            raise SpecError("alias", f"no connection {alias!r} is open here (connect it first)")
        return alias

    def messages_of(self, alias: str) -> Mapping[str, DocumentedMessage] | None:
        """The documented messages of the alias's endpoint; None when they cannot be known
        (no lookup given); SpecError when the connection has none (opened from a URL)."""
        endpoint = self.open[alias]
        if endpoint is None:
            raise SpecError("alias", f"{alias!r} connects to a URL: it has no documented messages")
        if self.lookup is None:
            return None
        facts = self.endpoint_facts(endpoint)
        return facts.messages if facts is not None else None

    def check(self, index: int, spec: Any) -> Step:
        if not isinstance(spec, Mapping):
            raise SpecError("", "a step is an object")
        kind = spec.get("kind")
        if kind not in STEP_KINDS:
            raise SpecError("kind", f"{kind!r} is not one of {', '.join(STEP_KINDS)}")
        unknown = set(spec) - _FIELDS[kind] - {"kind", "title"}
        if unknown:
            raise SpecError(sorted(unknown)[0], f"not a field of a {kind} step")
        title = spec.get("title", "")
        if not isinstance(title, str) or len(title) > MAX_TITLE_CHARS:
            raise SpecError("title", f"text of at most {MAX_TITLE_CHARS} characters")
        handler: Callable[[int, Mapping[str, Any]], Step] = getattr(self, f"_{kind}")
        return handler(index, spec)

    def _connect(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = spec.get("alias")
        if not isinstance(alias, str) or not ALIAS.match(alias):
            raise SpecError("alias", "a name: a letter or _, then letters, digits, _ or -")
        if alias in self.open:
            raise SpecError("alias", f"{alias!r} is already connected (disconnect it first)")
        if alias not in self.aliases and len(self.aliases) >= MAX_CONNECTIONS:
            raise SpecError("alias", f"a scenario holds at most {MAX_CONNECTIONS} connections")
        if ("endpoint" in spec) == ("url" in spec):
            raise SpecError("endpoint", "give either an endpoint or a url")
        endpoint: int | None = None
        if "endpoint" in spec:
            endpoint = spec["endpoint"]
            if isinstance(endpoint, bool) or not isinstance(endpoint, int) or endpoint < 1:
                raise SpecError("endpoint", "an endpoint id")
            if self.lookup is not None and self.endpoint_facts(endpoint) is None:
                raise SpecError("endpoint", f"endpoint {endpoint} does not exist in this project")
        else:
            url = spec["url"]
            problem = url_template_problem(url) if isinstance(url, str) else "a ws:// or wss:// URL"
            if problem:
                raise SpecError("url", problem)
        for key in ("params", "headers", "cookies", "subprotocols"):
            if key in spec and not isinstance(spec[key], list):
                raise SpecError(key, "a list")
        self.open[alias] = endpoint
        self.aliases.add(alias)
        return Step(index, "connect", spec, alias=alias, endpoint=endpoint)

    def _send(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = self.alias(spec)
        if "message" in spec:
            if "format" in spec or "body" in spec:
                raise SpecError("message", "send either a documented message or a format and body")
            name = spec["message"]
            if not isinstance(name, str) or not name:
                raise SpecError("message", "a documented message's name")
            messages = self.messages_of(alias)
            if messages is not None:
                message = messages.get(name)
                if message is None:
                    raise SpecError("message", f"the endpoint documents no message {name!r}")
                example = spec.get("example")
                if example is not None and example not in message.examples:
                    raise SpecError("example", f"{name!r} has no example {example!r}")
            elif "example" in spec and not isinstance(spec["example"], str):
                raise SpecError("example", "an example's name")
            return Step(index, "send", spec, alias=alias)
        if "example" in spec:
            raise SpecError("example", "an example goes with a message")
        fmt = spec.get("format", "text")
        if fmt not in ALL_FORMATS:
            raise SpecError("format", f"{fmt!r} is not one of {', '.join(sorted(ALL_FORMATS))}")
        body = spec.get("body")
        if not isinstance(body, str):
            raise SpecError("body", "the message's text (it may be empty)")
        if len(body.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
            raise SpecError("body", f"at most {MAX_VALUE_BYTES:,} bytes")
        fixed = static_text(body)
        if fixed is not None:
            try:
                validate_body(fmt, fixed)
            except BodyFormatError as exc:
                raise SpecError("body", str(exc)) from None
        return Step(index, "send", spec, alias=alias)

    def _expect(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = self.alias(spec)
        mode = spec.get("mode", "next")
        if mode not in EXPECT_MODES:
            raise SpecError("mode", "next (the next frame) or any (skip others)")
        none = spec.get("none", False)
        if not isinstance(none, bool):
            raise SpecError("none", "true for: no matching frame within the timeout")
        timeout = _timeout(spec, "timeout_ms", DEFAULT_TIMEOUT_MS)
        items = spec.get("assertions", [])
        if not isinstance(items, list):
            raise SpecError("assertions", "a list")
        if len(items) > MAX_ASSERTIONS:
            raise SpecError("assertions", f"at most {MAX_ASSERTIONS} per step")
        compiled = []
        for position, item in enumerate(items):
            try:
                assertion = compile_assertion(item)
                if item.get("kind") in ("message", "valid"):
                    messages = self.messages_of(alias)
                    name = item.get("name")
                    if messages is not None and name is not None and name not in messages:
                        raise SpecError("name", f"the endpoint documents no message {name!r}")
            except SpecError as exc:
                raise exc.under(f"assertions[{position}]") from None
            compiled.append(assertion)
        if not none:
            self.expects.append(index)
        return Step(
            index, "expect", spec, alias=alias, timeout_ms=timeout, assertions=tuple(compiled)
        )

    def _extract(self, index: int, spec: Mapping[str, Any]) -> Step:
        items = spec.get("extract")
        if not isinstance(items, list) or not items:
            raise SpecError("extract", "a list of extractions")
        if len(items) > MAX_EXTRACTIONS:
            raise SpecError("extract", f"at most {MAX_EXTRACTIONS} per step")
        source = spec.get("step")
        if source is None:
            if not self.expects:
                raise SpecError("extract", "no expect step before it has a frame to read")
            source = self.expects[-1]
        elif isinstance(source, bool) or not isinstance(source, int) or source not in self.expects:
            raise SpecError("step", "the index of an earlier expect step (not a negative one)")
        compiled = []
        for position, item in enumerate(items):
            try:
                compiled.append(compile_extraction(item))
            except SpecError as exc:
                raise exc.under(f"extract[{position}]") from None
        return Step(index, "extract", spec, extractions=tuple(compiled), source_step=source)

    def _emit(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = self.alias(spec)
        endpoint = self.open[alias]
        if endpoint is None:
            raise SpecError(
                "alias", f"{alias!r} connects to a URL: only a Socket.IO endpoint emits"
            )
        facts = self.endpoint_facts(endpoint) if self.lookup is not None else None
        if facts is not None and facts.protocol != "socketio":
            raise SpecError(
                "alias", f"{alias!r} is not a Socket.IO endpoint: send messages instead"
            )
        timeout = check_emit(spec, facts.messages if facts is not None else None)
        if waits_for_ack(spec):
            self.expects.append(index)  # its ack is a frame to extract from
        return Step(index, "emit", spec, alias=alias, timeout_ms=timeout)

    def _wait(self, index: int, spec: Mapping[str, Any]) -> Step:
        if "ms" not in spec:
            raise SpecError("ms", "how long to wait, in milliseconds")
        return Step(index, "wait", spec, timeout_ms=_timeout(spec, "ms", 0))

    def _disconnect(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = self.alias(spec)
        _close_code(spec, required=True)
        reason = spec.get("reason", "")
        if not isinstance(reason, str) or len(reason.encode("utf-8")) > MAX_CLOSE_REASON_BYTES:
            raise SpecError("reason", f"text of at most {MAX_CLOSE_REASON_BYTES} bytes")
        del self.open[alias]
        return Step(index, "disconnect", spec, alias=alias)

    def _expect_close(self, index: int, spec: Mapping[str, Any]) -> Step:
        alias = self.alias(spec)
        timeout = _timeout(spec, "timeout_ms", DEFAULT_TIMEOUT_MS)
        _close_code(spec, required=False)
        if spec.get("by") not in (None, *CLOSED_BY):
            raise SpecError("by", "server, client, or null for either")
        del self.open[alias]
        return Step(index, "expect_close", spec, alias=alias, timeout_ms=timeout)


def check_steps(steps: Any, lookup: Lookup | None = None) -> list[Step]:
    """The compiled steps; StepErrors (every problem, by ``steps[i].field``) if any is wrong.

    ``lookup`` gives the facts of an endpoint id (None: not in the project); without it,
    endpoints and documented messages are not checked (the runner checks them again)."""
    if not isinstance(steps, list):
        raise StepErrors({"steps": ["a list of steps"]})
    if len(steps) > MAX_STEPS:
        raise StepErrors({"steps": [f"at most {MAX_STEPS} steps"]})
    checker = _Checker(lookup)
    compiled: list[Step] = []
    errors: dict[str, list[str]] = {}
    for index, spec in enumerate(steps):
        try:
            compiled.append(checker.check(index, spec))
        except SpecError as exc:
            errors.setdefault(exc.under(f"steps[{index}]").field, []).append(exc.reason)
            if len(errors) >= MAX_ERRORS:
                break
            # Keep walking with what the step meant, so later steps are not blamed for it.
            if isinstance(spec, Mapping) and spec.get("kind") == "connect":
                alias, endpoint = spec.get("alias"), spec.get("endpoint")
                if isinstance(alias, str):
                    checker.open.setdefault(alias, endpoint if isinstance(endpoint, int) else None)
            if isinstance(spec, Mapping) and spec.get("kind") == "expect":
                checker.expects.append(index)
    if errors:
        raise StepErrors(errors)
    return compiled


def steps_variables(steps: list[Any], lookup: Lookup | None = None) -> list[list[str]]:
    """The ``{{names}}`` each step uses, with the example a send of a documented message
    sends (its first unless named) when ``lookup`` knows the connection's endpoint."""
    endpoints: dict[str, int | None] = {}
    used = []
    for spec in steps:
        names = set(step_variables(spec))
        if isinstance(spec, Mapping):
            alias = spec.get("alias")
            if spec.get("kind") == "connect" and isinstance(alias, str):
                endpoint = spec.get("endpoint")
                endpoints[alias] = endpoint if isinstance(endpoint, int) else None
            elif spec.get("kind") in ("send", "emit") and "message" in spec and lookup is not None:
                endpoint = endpoints.get(alias) if isinstance(alias, str) else None
                facts = lookup(endpoint) if endpoint is not None else None
                message = facts.messages.get(spec["message"]) if facts else None
                if message is not None and message.examples:
                    example = spec.get("example") or message.examples[0]
                    names.update(message.example_variables.get(example, ()))
        used.append(sorted(names))
    return used


@dataclass
class Usage:
    """Which step uses which variable, for the editor and for the data table's check."""

    by_step: dict[int, list[str]] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        return {name for names in self.by_step.values() for name in names}


def variables_used(steps: list[Any]) -> Usage:
    return Usage({index: step_variables(spec) for index, spec in enumerate(steps)})
