"""Emitting a Socket.IO event on a session's open connection: the event and its arguments
checked, {{variables}} resolved and the endpoint's contract applied in the web process (a
strict endpoint refuses an invalid emit here), then the emit command to the relay
(sessions.relay.socketio)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import User

from core.errors import ValidationFailed
from core.socketio.handshake import arguments_problem, event_name_problem, namespace_problem
from endpoints.contracts.examples import default_body
from endpoints.models import Message, Protocol
from sessions.contracts import checked_send
from sessions.errors import MessageTooLarge, NotConnected, RelayTimeout
from sessions.handshake import resolved_body, session_settings
from sessions.models import DebugSession, SessionState
from sessions.relay import client
from sessions.relay.protocol import EMIT

EMIT_TIMEOUT = 30.0
DEFAULT_ACK_TIMEOUT = 10.0
MAX_ACK_TIMEOUT = 600.0


class EmitInput(TypedDict, total=False):
    """An emit: ``event`` and ``args``, or a documented message (``message_id`` and the name
    of one of its examples); ``answer``: acknowledge the server's event with this ack id
    instead; ``variables`` for this emit only."""

    event: str | None
    args: Any
    namespace: str | None
    ack: bool
    ack_timeout: float | None
    answer: int | None
    message_id: int | None
    example: str | None
    variables: dict[str, str] | None
    actor: User | None


def _placeholders(value: Any, fields: dict[str, list[str]]) -> Any:
    """The arguments as JSON Schema sees them: each ``{"$binary": ...}`` checked and shown as
    the placeholder Socket.IO puts in its place."""
    count = 0

    def walk(item: Any) -> Any:
        nonlocal count
        if isinstance(item, dict):
            if set(item) == {"$binary"}:
                try:
                    base64.b64decode(str(item["$binary"]), validate=True)
                except (binascii.Error, ValueError):
                    fields["args"] = ['A {"$binary": ...} argument holds Base64 text.']
                count += 1
                return {"_placeholder": True, "num": count - 1}
            return {key: walk(value) for key, value in item.items()}
        if isinstance(item, list):
            return [walk(value) for value in item]
        return item

    return walk(value)


def _documented(session: DebugSession, message_id: int, example: str | None) -> tuple[str, str]:
    """The event and the arguments text of a documented message's example."""
    saved = (
        Message.objects.filter(pk=message_id, endpoint__project_id=session.project_id)
        .only("name", "event", "examples")
        .first()
    )
    if saved is None:
        raise ValidationFailed(
            {"message_id": [f"No saved message {message_id} in this session's project."]}
        )
    if example is None:
        return saved.event or saved.name, default_body(saved.examples) or "[]"
    chosen = next((e for e in saved.examples or () if e.get("name") == example), None)
    if chosen is None:
        names = ", ".join(repr(e.get("name")) for e in saved.examples or ()) or "none"
        raise ValidationFailed(
            {"example": [f"Message {saved.name!r} has no example {example!r} ({names})."]}
        )
    return saved.event or saved.name, str(chosen.get("body") or "[]")


def emit_prepare(*, session: DebugSession, **emit: Any) -> tuple[str, dict[str, Any]]:
    """Check, resolve and check against the contract one emit; the relay channel and command.
    Every error is raised before anything could be sent."""
    if session.protocol != Protocol.SOCKETIO:
        raise ValidationFailed(
            {"event": ["This session is not a Socket.IO one: send messages instead."]}
        )
    fields: dict[str, list[str]] = {}
    answer = emit.get("answer")
    event = emit.get("event")
    if emit.get("message_id") is not None:
        event, args_text = _documented(session, emit["message_id"], emit.get("example"))
    else:
        if emit.get("example") is not None:
            fields["example"] = ["Name an example only with a message_id."]
        arguments = emit.get("args", [])
        problem = arguments_problem(arguments)
        if problem:
            fields["args"] = [problem]
        args_text = json.dumps(arguments, ensure_ascii=False) if not problem else "[]"
    if answer is None and (problem := event_name_problem(event)):
        fields["event"] = [problem]
    namespace = emit.get("namespace") or ""
    if namespace and (problem := namespace_problem(namespace)):
        fields["namespace"] = [problem]
    ack_timeout = emit.get("ack_timeout")
    if ack_timeout is not None and not (
        isinstance(ack_timeout, int | float)
        and not isinstance(ack_timeout, bool)
        and 0 < ack_timeout <= MAX_ACK_TIMEOUT
    ):
        fields["ack_timeout"] = [f"Seconds, more than 0 and at most {MAX_ACK_TIMEOUT:g}."]
    if fields:
        raise ValidationFailed(fields)
    actor = emit.get("actor") or session.owner
    text, log_text, redact = resolved_body(
        session, args_text, actor=actor, overrides=emit.get("variables")
    )
    try:
        arguments = json.loads(text)
    except ValueError:
        arguments = None
    problem = arguments_problem(arguments)
    if problem:
        where = "once variables are substituted" if text != args_text else "as written"
        raise ValidationFailed({"args": [f"{problem} ({where})"]})
    shown_arguments = _placeholders(arguments, fields)
    if fields:
        raise ValidationFailed(fields)
    size = len(text.encode("utf-8", "surrogatepass"))
    limit = min(
        int(session_settings(session)["max_message_size"]), settings.SESSION_MAX_MESSAGE_SIZE
    )
    if size > limit:
        raise MessageTooLarge(
            f"The arguments are {size} bytes; at most {limit} bytes may be sent.",
            size=size,
            limit=limit,
        )
    verdict = None
    if answer is None:
        verdict = _checked(session, str(event), shown_arguments, redact if log_text else None)
    if session.state != SessionState.OPEN or not session.relay_channel:
        raise NotConnected(state=session.state)
    command: dict[str, Any] = {
        "type": EMIT,
        "session": session.pk,
        "connection": session.connection_count,
        "event": event,
        "args": arguments,
        "namespace": namespace or None,
        "ack": bool(emit.get("ack")) and answer is None,
        "ack_timeout": float(ack_timeout or DEFAULT_ACK_TIMEOUT),
    }
    if answer is not None:
        command["answer"] = answer
    if log_text is not None:
        command["masked"] = {"redact": redact}
    if session.endpoint_id is not None:
        command["verdict"] = verdict
    return session.relay_channel, command


def _checked(
    session: DebugSession, event: str, arguments: Any, redact: list[str] | None
) -> dict[str, Any] | None:
    """The contract's verdict on an emit; a strict endpoint refuses arguments that violate
    their event's schema."""
    return checked_send(
        session.endpoint_id,
        lambda contract: contract.check_event("send", event, arguments),
        redact,
        violates="these arguments violate the schema of event",
        field="args",
    )


def event_emit(*, session: DebugSession, **emit: Any) -> dict[str, Any]:
    """Emit one event; returns once the relay sent and stored it (its ``seq`` and ack id)."""
    channel, command = emit_prepare(session=session, **emit)
    answer = client.call_sync(channel, command, EMIT_TIMEOUT)
    if answer is None:
        raise RelayTimeout(
            f"The relay did not confirm the emit within {EMIT_TIMEOUT:g} s; "
            "check the log before emitting it again."
        )
    if not answer.get("ok"):
        raise NotConnected(answer.get("detail") or None, state=session.state)
    return {key: value for key, value in answer.items() if key not in ("type", "ref", "ok")}
