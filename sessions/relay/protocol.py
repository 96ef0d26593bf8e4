"""What travels on the channel layer between web processes, relays and live viewers.

Commands go to a relay's own channel (recorded on the session); replies go to the channel
named in ``reply_to``; stored batches of events go to the session's group.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from core.timestamps import iso

# The channel layer alias of session streams: viewer sockets' channels, the sessions' groups,
# and the commands those sockets send to relays (config/settings.py CHANNEL_LAYERS).
LIVE_LAYER = "live"
CONNECT = "relay.connect"  # {session, connection, request{...}, reply_to}
# {session, connection, opcode, payload, masked?, verdict?, reply_to, ref}; ``verdict``
# ({contract, message, problems}, or null for none) is the web process's check of the body
SEND = "relay.send"
DISCONNECT = "relay.disconnect"  # {session, code, reason, reply_to}
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
    if event.opcode == "binary" and (event.data is not None or event.text is None):
        data["base64"] = base64.b64encode(bytes(event.data or b"")).decode("ascii")
    elif event.text is not None:
        data["text"] = event.text
    elif event.data is not None:
        data["text"] = bytes(event.data).decode("utf-8", errors="replace")
    return data


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
        "events_json": json.dumps(events, ensure_ascii=False),
    }


def reply(ref: Any, ok: bool, **fields: Any) -> dict[str, Any]:
    return {"type": REPLY, "ref": ref, "ok": ok, **fields}
