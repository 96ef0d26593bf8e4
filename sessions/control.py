"""Controlling a session's open connection beyond sending messages: pings, and repeating
messages (timers). Input is checked here, in the web process; the relay holding the
connection does the work (``sessions.relay.control``, ``sessions.relay.timers``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User

from core.errors import NotFound, ValidationFailed
from core.formats import BodyFormatError, decode_base64, decode_hex
from sessions.errors import NotConnected, RelayTimeout, TooManyTimers
from sessions.models import CONTROL_PAYLOAD_LIMIT, DebugSession, SessionState
from sessions.relay import client
from sessions.relay.protocol import PING, TIMER
from sessions.sending import message_prepare

CONTROL_TIMEOUT = 10.0
PING_FORMATS = ("text", "hex", "base64")


def ping_payload(payload: str | None, fmt: str | None) -> bytes | None:
    """The bytes of a ping's payload written as text, hex or Base64 (None: none given, the
    relay sends four random bytes); at most 125 bytes."""
    if payload is None:
        return None
    fmt = fmt or "text"
    if fmt not in PING_FORMATS:
        raise ValidationFailed({"format": [f"Use one of {', '.join(PING_FORMATS)}."]})
    try:
        if fmt == "hex":
            data = decode_hex(payload)
        elif fmt == "base64":
            data = decode_base64(payload)
        else:
            data = payload.encode("utf-8")
    except (BodyFormatError, UnicodeEncodeError) as exc:
        raise ValidationFailed({"payload": [str(exc)]}) from None
    if len(data) > CONTROL_PAYLOAD_LIMIT:
        raise ValidationFailed(
            {
                "payload": [
                    f"A ping carries at most {CONTROL_PAYLOAD_LIMIT} bytes; this is {len(data)}."
                ]
            }
        )
    return data


def ping_command(
    *, session: DebugSession, payload: str | None = None, fmt: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The relay channel and the ping command for the session's open connection."""
    data = ping_payload(payload, fmt)
    if session.state != SessionState.OPEN or not session.relay_channel:
        raise NotConnected(state=session.state)
    command = {
        "type": PING,
        "session": session.pk,
        "connection": session.connection_count,
        "payload": data,
    }
    return session.relay_channel, command


def _answer(session: DebugSession, channel: str, command: dict[str, Any]) -> dict[str, Any]:
    answer = client.call_sync(channel, command, CONTROL_TIMEOUT)
    if answer is None:
        raise RelayTimeout()
    if not answer.get("ok"):
        code = answer.get("code")
        if code == "too_many_timers":
            raise TooManyTimers(answer.get("detail"), limit=answer.get("limit"))
        if code == "not_found":
            raise NotFound(answer.get("detail") or "No such timer.")
        if code == "ping_pending":
            raise ValidationFailed({"payload": [answer.get("detail") or "A ping is pending."]})
        raise NotConnected(answer.get("detail") or None, state=session.state)
    return {key: value for key, value in answer.items() if key not in ("type", "ref", "ok")}


def session_ping(
    *, session: DebugSession, payload: str | None = None, fmt: str | None = None
) -> dict[str, Any]:
    """Send a ping on the open connection; answers its log entry's ``seq`` once stored (its
    pong is logged with the round-trip time when it comes)."""
    channel, command = ping_command(session=session, payload=payload, fmt=fmt)
    return _answer(session, channel, command)


def timer_command(
    *,
    session: DebugSession,
    actor: User,
    interval_ms: int,
    count: int | None = None,
    name: str = "",
    fmt: str | None = None,
    body: str | None = None,
    message_id: int | None = None,
    example: str | None = None,
    variables: dict[str, str] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Check a timer and its message (prepared once now, so every error comes before the
    first send); the relay channel and the start command."""
    errors: dict[str, list[str]] = {}
    low = settings.SESSION_TIMER_MIN_INTERVAL_MS
    if interval_ms < low:
        errors["interval_ms"] = [f"At least {low} ms (SESSION_TIMER_MIN_INTERVAL_MS)."]
    elif interval_ms > 24 * 3600 * 1000:
        errors["interval_ms"] = ["At most one day (86400000 ms)."]
    high = settings.SESSION_TIMER_MAX_SENDS
    if count is not None and not 1 <= count <= high:
        errors["count"] = [f"Between 1 and {high} (SESSION_TIMER_MAX_SENDS), or null."]
    if errors:
        raise ValidationFailed(errors)
    channel, prepared = message_prepare(
        session=session,
        fmt=fmt,
        body=body,
        message_id=message_id,
        example=example,
        actor=actor,
        variables=variables,
    )
    spec: dict[str, Any] = {
        "interval_ms": interval_ms,
        "count": count,
        "name": name,
        "format": fmt,
        "body": body,
        "message_id": message_id,
        "example": example,
        "variables": variables,
    }
    if message_id is None and "{{" not in (body or ""):
        # Nothing to resolve at each send: the relay sends this command every time.
        spec["command"] = {
            key: prepared[key]
            for key in ("opcode", "payload", "masked", "verdict")
            if key in prepared
        }
    command = {
        "type": TIMER,
        "action": "start",
        "session": session.pk,
        "connection": session.connection_count,
        "timer": spec,
    }
    return channel, command


def timer_start(*, session: DebugSession, actor: User, **timer: Any) -> dict[str, Any]:
    """Start a repeating message on the open connection; answers the timer (``id``...)."""
    channel, command = timer_command(session=session, actor=actor, **timer)
    return dict(_answer(session, channel, command)["timer"])


def timer_stop(*, session: DebugSession, timer_id: int) -> dict[str, Any]:
    """Stop a running timer (404 when none runs with that id)."""
    if session.state not in (SessionState.OPEN,) or not session.relay_channel:
        raise NotFound("No such running timer.")
    command = {
        "type": TIMER,
        "action": "stop",
        "id": timer_id,
        "session": session.pk,
        "connection": session.connection_count,
    }
    return dict(_answer(session, session.relay_channel, command)["timer"])


def timer_list(*, session: DebugSession) -> list[dict[str, Any]]:
    """The timers running on the session's connection (none when it is not open)."""
    if session.state != SessionState.OPEN or not session.relay_channel:
        return []
    command = {
        "type": TIMER,
        "action": "list",
        "session": session.pk,
        "connection": session.connection_count,
    }
    return list(_answer(session, session.relay_channel, command)["timers"])
