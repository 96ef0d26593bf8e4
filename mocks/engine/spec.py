"""A mock behaviour spec: checked against the endpoint's documented messages, normalised with
defaults, and compiled. Every problem names its field (``rules[0].extract[1].path``).

Stored and sent as JSON::

    {"handshake": {"check": true, "status": 401, "body": "..."},
     "on_open": [{"message": "welcome", "example": null, "delay_ms": 0}],
     "auto_reply": true,
     "rules": [{"when": "say", "reply": "said", "pick": "first", "delay_ms": 0,
                "extract": [{"variable": "requestId", "path": "$.id"}]}],
     "pushes": [{"message": "presence", "interval_ms": 1000, "times": null}],
     "faults": {"close_after_messages": null, "close_after_seconds": null, "close_code": 1000,
                "close_reason": "", "drop_every_nth_reply": null,
                "invalid_frame_every_nth_reply": null},
     "unmatched": {"policy": "ignore", "message": null, "example": null}}

A Socket.IO endpoint's rules also have ``ack``: the acknowledgement's arguments as a JSON
array template (null: the documented ``ack_schema``'s first example), and may leave out the
reply when they acknowledge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from endpoints.contracts.limits import unstorable
from scenarios.engine.assertions import SpecError as ExtractionError
from scenarios.engine.extract import compile_extraction

PICKS = ("first", "random", "in_turn")
UNMATCHED_POLICIES = ("ignore", "echo", "error")
HANDSHAKE_STATUSES = range(400, 600)
MAX_DELAY_MS = 60_000
MAX_ITEMS = 50
MAX_BODY_CHARS = 10_000
# Close codes an application may choose (RFC 6455 7.4: not 1004-1006 or 1015, which are never
# sent; 3000-4999 are registered and private ones).
CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})
COUNTER_VARIABLE = "count"


class MockSpecError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _object(value: Any, field: str, allowed: set[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MockSpecError(field, "an object")
    unknown = set(value) - allowed
    if unknown:
        name = sorted(unknown)[0]
        raise MockSpecError(f"{field}.{name}" if field else name, "not a field here")
    return value


def _list(value: Any, field: str) -> Sequence[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MockSpecError(field, "a list")
    if len(value) > MAX_ITEMS:
        raise MockSpecError(field, f"at most {MAX_ITEMS} items")
    return value


def _whole(
    value: Any, field: str, *, minimum: int, maximum: int | None = None, optional: bool = True
) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MockSpecError(field, "a whole number")
    if value < minimum:
        raise MockSpecError(field, f"at least {minimum}")
    if maximum is not None and value > maximum:
        raise MockSpecError(field, f"at most {maximum}")
    return value


def _text(value: Any, field: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise MockSpecError(field, "a string")
    if unstorable(value):
        raise MockSpecError(field, "NUL and unpaired surrogate characters cannot be stored")
    if len(value) > MAX_BODY_CHARS:
        raise MockSpecError(field, f"at most {MAX_BODY_CHARS} characters")
    return value


class Messages:
    """The endpoint's documented messages by name, as the spec refers to them."""

    def __init__(self, messages: Sequence[Mapping[str, Any]]) -> None:
        self.by_name = {m["name"]: m for m in messages}

    def named(self, name: Any, field: str, direction: str) -> Mapping[str, Any]:
        if not isinstance(name, str) or not name:
            raise MockSpecError(field, "the name of a documented message")
        message = self.by_name.get(name)
        if message is None:
            raise MockSpecError(field, f"{name!r} is not a documented message of this endpoint")
        if message["direction"] != direction:
            raise MockSpecError(field, f"{name!r} is a {message['direction']} message")
        return message

    def example(self, message: Mapping[str, Any], example: Any, field: str) -> str | None:
        if example is None:
            if not message.get("examples"):
                raise MockSpecError(field, f"{message['name']!r} has no example to send")
            return None
        names = [e.get("name") for e in message.get("examples") or []]
        if example not in names:
            raise MockSpecError(field, f"{message['name']!r} has no example named {example!r}")
        return str(example)

    def reply_of(self, send_name: str) -> Mapping[str, Any] | None:
        return next(
            (
                m
                for m in self.by_name.values()
                if m["direction"] == "receive" and m.get("reply_to") == send_name
            ),
            None,
        )


def _extractions(value: Any, field: str) -> list[dict[str, Any]]:
    items = []
    for index, item in enumerate(_list(value, field)):
        try:
            compile_extraction(item)
        except ExtractionError as exc:
            where = f"{field}[{index}]" + (f".{exc.field}" if exc.field else "")
            raise MockSpecError(where, exc.reason) from None
        items.append(dict(item))
    return items


def _unstorable_at(value: Any, path: str) -> str | None:
    """Where the first string PostgreSQL cannot store is (a NUL, an unpaired surrogate)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if unstorable(key):
                return where
            found = _unstorable_at(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _unstorable_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    elif unstorable(value):
        return path
    return None


def normalize_spec(
    raw: Any,
    messages: Sequence[Mapping[str, Any]],
    *,
    min_interval_ms: int,
    socketio: bool = False,
) -> dict[str, Any]:
    """The spec with every default filled in; MockSpecError naming the first bad field.
    ``socketio``: the endpoint speaks Socket.IO (its rules may acknowledge)."""
    where = _unstorable_at(raw, "")
    if where is not None:
        raise MockSpecError(where, "NUL and unpaired surrogate characters cannot be stored")
    docs = Messages(messages)
    spec = _object(
        raw,
        "",
        {"handshake", "on_open", "auto_reply", "rules", "pushes", "faults", "unmatched"},
    )

    hs = _object(spec.get("handshake"), "handshake", {"check", "status", "body"})
    check = hs.get("check", True)
    if not isinstance(check, bool):
        raise MockSpecError("handshake.check", "true or false")
    status = hs.get("status", 401)
    if isinstance(status, bool) or not isinstance(status, int) or status not in HANDSHAKE_STATUSES:
        raise MockSpecError("handshake.status", "an HTTP error status, 400 to 599")
    handshake = {"check": check, "status": status, "body": _text(hs.get("body"), "handshake.body")}

    on_open = []
    for index, item in enumerate(_list(spec.get("on_open"), "on_open")):
        field = f"on_open[{index}]"
        item = _object(item, field, {"message", "example", "delay_ms"})
        message = docs.named(item.get("message"), f"{field}.message", "receive")
        on_open.append(
            {
                "message": message["name"],
                "example": docs.example(message, item.get("example"), f"{field}.example"),
                "delay_ms": _whole(
                    item.get("delay_ms", 0), f"{field}.delay_ms", minimum=0, maximum=MAX_DELAY_MS
                ),
            }
        )

    auto_reply = spec.get("auto_reply", True)
    if not isinstance(auto_reply, bool):
        raise MockSpecError("auto_reply", "true or false")

    rules = []
    for index, item in enumerate(_list(spec.get("rules"), "rules")):
        field = f"rules[{index}]"
        item = _object(item, field, {"when", "reply", "pick", "delay_ms", "extract", "ack"})
        when = docs.named(item.get("when"), f"{field}.when", "send")
        ack = item.get("ack")
        if ack is not None and not socketio:
            raise MockSpecError(f"{field}.ack", "only Socket.IO endpoints acknowledge")
        ack = _text(ack, f"{field}.ack", "") or None
        reply: Mapping[str, Any] | None
        if item.get("reply") is None:
            reply = docs.reply_of(when["name"])
            if reply is None and ack is None:
                raise MockSpecError(
                    f"{field}.reply", f"{when['name']!r} has no documented reply: name one"
                )
        else:
            reply = docs.named(item.get("reply"), f"{field}.reply", "receive")
        if reply is not None and not reply.get("examples"):
            raise MockSpecError(f"{field}.reply", f"{reply['name']!r} has no example to send")
        pick = item.get("pick", "first")
        if pick not in PICKS:
            raise MockSpecError(f"{field}.pick", f"one of {', '.join(PICKS)}")
        rule = {
            "when": when["name"],
            "reply": reply["name"] if reply is not None else None,
            "pick": pick,
            "delay_ms": _whole(
                item.get("delay_ms", 0), f"{field}.delay_ms", minimum=0, maximum=MAX_DELAY_MS
            ),
            "extract": _extractions(item.get("extract"), f"{field}.extract"),
        }
        if socketio:
            rule["ack"] = ack
        rules.append(rule)
    whens = [rule["when"] for rule in rules]
    for index, when in enumerate(whens):
        if when in whens[:index]:
            raise MockSpecError(f"rules[{index}].when", f"{when!r} has a rule already")

    pushes = []
    for index, item in enumerate(_list(spec.get("pushes"), "pushes")):
        field = f"pushes[{index}]"
        item = _object(item, field, {"message", "example", "interval_ms", "times"})
        message = docs.named(item.get("message"), f"{field}.message", "receive")
        pushes.append(
            {
                "message": message["name"],
                "example": docs.example(message, item.get("example"), f"{field}.example"),
                "interval_ms": _whole(
                    item.get("interval_ms"),
                    f"{field}.interval_ms",
                    minimum=min_interval_ms,
                    maximum=24 * 3600 * 1000,
                    optional=False,
                ),
                "times": _whole(item.get("times"), f"{field}.times", minimum=1),
            }
        )

    fl = _object(
        spec.get("faults"),
        "faults",
        {
            "close_after_messages",
            "close_after_seconds",
            "close_code",
            "close_reason",
            "drop_every_nth_reply",
            "invalid_frame_every_nth_reply",
        },
    )
    close_code = fl.get("close_code", 1000)
    if (
        isinstance(close_code, bool)
        or not isinstance(close_code, int)
        or not (close_code in CLOSE_CODES or 3000 <= close_code <= 4999)
    ):
        raise MockSpecError("faults.close_code", "1000-1003, 1007-1014 or 3000-4999")
    reason = _text(fl.get("close_reason"), "faults.close_reason")
    if len(reason.encode()) > 123:
        raise MockSpecError("faults.close_reason", "at most 123 bytes of UTF-8")
    seconds = fl.get("close_after_seconds")
    if seconds is not None and (
        isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0
    ):
        raise MockSpecError("faults.close_after_seconds", "a number of seconds above 0")
    faults = {
        "close_after_messages": _whole(
            fl.get("close_after_messages"), "faults.close_after_messages", minimum=1
        ),
        "close_after_seconds": seconds,
        "close_code": close_code,
        "close_reason": reason,
        "drop_every_nth_reply": _whole(
            fl.get("drop_every_nth_reply"), "faults.drop_every_nth_reply", minimum=1
        ),
        "invalid_frame_every_nth_reply": _whole(
            fl.get("invalid_frame_every_nth_reply"),
            "faults.invalid_frame_every_nth_reply",
            minimum=1,
        ),
    }

    um = _object(spec.get("unmatched"), "unmatched", {"policy", "message", "example"})
    policy = um.get("policy", "ignore")
    if policy not in UNMATCHED_POLICIES:
        raise MockSpecError("unmatched.policy", f"one of {', '.join(UNMATCHED_POLICIES)}")
    unmatched: dict[str, Any] = {"policy": policy, "message": None, "example": None}
    if policy == "error":
        message = docs.named(um.get("message"), "unmatched.message", "receive")
        unmatched["message"] = message["name"]
        unmatched["example"] = docs.example(message, um.get("example"), "unmatched.example")
    elif um.get("message") is not None or um.get("example") is not None:
        raise MockSpecError("unmatched.message", "only the error policy sends a message")

    return {
        "handshake": handshake,
        "on_open": on_open,
        "auto_reply": auto_reply,
        "rules": rules,
        "pushes": pushes,
        "faults": faults,
        "unmatched": unmatched,
    }
