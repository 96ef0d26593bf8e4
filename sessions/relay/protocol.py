"""What travels on the channel layer between web processes, relays and live viewers.

Commands go to a relay's own channel (recorded on the session); replies go to the channel
named in ``reply_to``; stored batches of events go to the session's group.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings

from core.timestamps import iso

# The channel layer alias of session streams: viewer sockets' channels, the sessions' groups,
# and the commands those sockets send to relays (config/settings.py CHANNEL_LAYERS).
LIVE_LAYER = "live"
CONNECT = "relay.connect"  # {session, connection, request{...}, reply_to}
# {session, connection, opcode, payload, masked?, verdict?, reply_to, ref}; ``verdict``
# ({contract, message, problems}, or null for none) is the web process's check of the body
SEND = "relay.send"
DISCONNECT = "relay.disconnect"  # {session, code, reason, reply_to}
# {session, connection, payload (Base64) or null for four random bytes, reply_to, ref}
PING = "relay.ping"
# {session, connection, action: "start" (with ``timer``) | "stop" (with ``id``) | "list",
# reply_to, ref}: the repeating messages of a session's connection (sessions.relay.timers)
TIMER = "relay.timer"
# {session, connection, event, args, namespace?, ack?, ack_timeout?, answer?, masked?, verdict?,
# reply_to, ref}: a Socket.IO emit (or ``answer`` to a server's ack request); args may hold
# {"$binary": base64} attachments (sessions.relay.socketio)
EMIT = "relay.emit"
REPLY = "relay.reply"  # {ref, ok, ...}: handled by SessionStreamConsumer.relay_reply
# {session, first, last, state, events_json, acks?}: viewers' live batches; ``acks`` are
# [channel, reply] for the sockets whose sends the batch holds (sent with ack_in_events)
EVENTS = "session.events"
# {session, reply_to, refs}: a viewer socket that re-read the log after lost batches asks for
# the acks those batches carried (``refs``: ref_key() of its sends still unanswered); the
# relay answers ACKS_FOUND {acks: [reply, ...]} with those it still remembers.
ACKS = "relay.acks"
ACKS_FOUND = "session.acks"


def ref_key(ref: Any) -> str:
    """A send's ``ref`` (any JSON value) as a string both sides compare."""
    return json.dumps(ref, sort_keys=True, separators=(",", ":"))


def session_group(session_id: int) -> str:
    return f"sb-session.{session_id}"


def event_data(event: Any) -> dict[str, Any]:
    """One log entry as the API and live viewers show it (a stored Event or a relay record).

    Text messages carry ``text``; binary messages carry ``base64``; status entries carry a
    human ``text`` and structured ``info``. A binary message sent with a secret substituted
    keeps no bytes: it carries its masked source ``text`` and ``info.masked``.
    """
    data: dict[str, Any] = {
        "seq": event.seq,
        "connection": event.connection_number,
        "kind": event.kind,
        "direction": event.direction,
        "timestamp": iso(event.created_at),
        "opcode": event.opcode,
        "size": event.size,
        "truncated": event.truncated,
        "text": None,
        "base64": None,
        "info": event.info,
        "message": event.message or None,
        "contract": event.contract,
        "problems": event.problems,
    }
    if (event.opcode == "binary" and (event.data is not None or event.text is None)) or (
        event.opcode in _BYTES_OPCODES and event.data is not None
    ):
        data["base64"] = base64.b64encode(bytes(event.data or b"")).decode("ascii")
    elif event.text is not None:
        data["text"] = event.text
    elif event.data is not None:
        data["text"] = bytes(event.data).decode("utf-8", errors="replace")
    return data


# Control frames' payload travels like a binary message's when it is not UTF-8 text.
_BYTES_OPCODES = frozenset({"ping", "pong"})


# Daphne (autobahn) will not send a message over --websocket-max-message-size (1 MiB by
# default, which SESSION_MAX_MESSAGE_SIZE equals): a message to a viewer stays this far below.
LIVE_MESSAGE_BYTES = max(64 * 1024, settings.SESSION_MAX_MESSAGE_SIZE - 16 * 1024)
# Room left in a viewer message for its envelope around the events.
_ENVELOPE_BYTES = 1024
_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def events_message(
    session_id: int, events: list[dict[str, Any]], state: str | None
) -> dict[str, Any]:
    """The group message carrying a stored batch to live viewers, JSON-encoded once here."""
    return {
        "type": EVENTS,
        "session": session_id,
        "first": events[0]["seq"],
        "last": events[-1]["seq"],
        "state": state,
        "events_json": _ENCODER.encode(events),
    }


def events_messages(
    session_id: int, events: list[dict[str, Any]], state: str | None
) -> list[dict[str, Any]]:
    """``events_message`` of ``events``, split into consecutive messages that each fit in one
    viewer message, so that the viewer sockets forward them as they are instead of decoding
    and splitting them (large frames would make a whole batch too big). ``state`` is on the
    last. Each entry is encoded about once: the split is guessed from the payload sizes (a
    lower bound of the encoded size) and halved where a part still does not fit."""
    budget = LIVE_MESSAGE_BYTES - _ENVELOPE_BYTES
    payload = sum(len(e.get("text") or "") + len(e.get("base64") or "") for e in events)
    if payload <= budget:
        message = events_message(session_id, events, state)
        if len(events) == 1 or _utf8_size(message["events_json"]) <= budget:
            return [message]
    count = max(2, -(-payload * 5 // (budget * 4)))  # ~25% for the JSON around the payloads
    step = -(-len(events) // count)
    messages: list[dict[str, Any]] = []
    for start in range(0, len(events), step):
        _fitting(session_id, events[start : start + step], budget, messages)
    messages[-1]["state"] = state
    return messages


def _fitting(
    session_id: int, events: list[dict[str, Any]], budget: int, into: list[dict[str, Any]]
) -> None:
    encoded = _ENCODER.encode(events)
    if len(events) > 1 and _utf8_size(encoded) > budget:
        half = len(events) // 2
        _fitting(session_id, events[:half], budget, into)
        _fitting(session_id, events[half:], budget, into)
        return
    into.append(
        {
            "type": EVENTS,
            "session": session_id,
            "first": events[0]["seq"],
            "last": events[-1]["seq"],
            "state": None,
            "events_json": encoded,
        }
    )


def reply(ref: Any, ok: bool, **fields: Any) -> dict[str, Any]:
    return {"type": REPLY, "ref": ref, "ok": ok, **fields}
