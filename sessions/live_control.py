"""Connection control from a session's live socket: ``upstream_ping``, ``timer_start``,
``timer_stop``, ``timers`` and (Socket.IO) ``emit`` messages turned into relay commands
(checked like the REST calls of ``sessions.control`` and ``sessions.emitting``; the relay's
answer comes back as the socket's ``ack``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from core.errors import ValidationFailed
from sessions import control, emitting
from sessions.errors import NotConnected
from sessions.models import DebugSession, SessionState
from sessions.relay.protocol import TIMER

LIVE_CONTROL_TYPES = frozenset({"upstream_ping", "timer_start", "timer_stop", "timers", "emit"})
_EMIT_KEYS = ("event", "args", "namespace", "ack", "ack_timeout", "answer", "message_id")
_OPTIONAL_STRINGS = ("payload", "format", "body", "example", "name")


def _whole(message: dict[str, Any], key: str, fields: dict[str, list[str]]) -> int | None:
    value = message.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fields[key] = ["Must be a whole number."]
        return None
    return value


def live_control_command(
    *, session: DebugSession, actor: User, message: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The relay channel and command of one control message from the live socket."""
    kind = message["type"]
    if kind == "emit":
        return _emit_command(session=session, actor=actor, message=message)
    fields: dict[str, list[str]] = {}
    for key in _OPTIONAL_STRINGS:
        if message.get(key) is not None and not isinstance(message[key], str):
            fields[key] = ["Must be a string."]
    interval = _whole(message, "interval_ms", fields)
    count = _whole(message, "count", fields)
    timer_id = _whole(message, "id", fields)
    message_id = _whole(message, "message_id", fields)
    if kind == "timer_start" and interval is None and "interval_ms" not in fields:
        fields["interval_ms"] = ["Required."]
    if kind == "timer_stop" and timer_id is None and "id" not in fields:
        fields["id"] = ["Required: the timer's id."]
    if fields:
        raise ValidationFailed(fields)
    if kind == "upstream_ping":
        return control.ping_command(
            session=session, payload=message.get("payload"), fmt=message.get("format")
        )
    if kind == "timer_start":
        assert interval is not None
        body = message.get("body")
        return control.timer_command(
            session=session,
            actor=actor,
            interval_ms=interval,
            count=count,
            name=message.get("name") or "",
            fmt=message.get("format"),
            body=body if body is not None or message_id is not None else "",
            message_id=message_id,
            example=message.get("example"),
        )
    if session.state != SessionState.OPEN or not session.relay_channel:
        raise NotConnected(state=session.state)
    command: dict[str, Any] = {
        "type": TIMER,
        "action": "stop" if kind == "timer_stop" else "list",
        "session": session.pk,
        "connection": session.connection_count,
    }
    if timer_id is not None:
        command["id"] = timer_id
    return session.relay_channel, command


def _emit_command(
    *, session: DebugSession, actor: User, message: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    fields: dict[str, list[str]] = {}
    for key in ("event", "namespace", "example"):
        if message.get(key) is not None and not isinstance(message[key], str):
            fields[key] = ["Must be a string."]
    if "ack" in message and not isinstance(message["ack"], bool):
        fields["ack"] = ["Must be true or false."]
    answer = _whole(message, "answer", fields)
    message_id = _whole(message, "message_id", fields)
    variables = message.get("variables")
    if variables is not None and not (
        isinstance(variables, dict) and all(isinstance(v, str) for v in variables.values())
    ):
        fields["variables"] = ["An object of names to string values."]
    if fields:
        raise ValidationFailed(fields)
    emit = {key: message[key] for key in _EMIT_KEYS if key in message}
    emit.update(answer=answer, message_id=message_id)
    return emitting.emit_prepare(
        session=session,
        actor=actor,
        example=message.get("example"),
        variables=variables,
        **emit,
    )
