"""Sending a message on a session's open connection: the body resolved, validated, encoded
and checked against the endpoint's contract in the web process (a strict endpoint refuses an
invalid one here), then the send command to the relay that holds the connection."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth.models import User

from core.errors import ValidationFailed
from core.formats import BodyFormatError, encode_body
from endpoints.contracts.checker import Contract, Verdict
from endpoints.contracts.examples import default_body
from endpoints.models import Message
from sessions.contracts import checked_send
from sessions.errors import MessageTooLarge, NotConnected, RelayTimeout
from sessions.handshake import resolved_body, session_settings
from sessions.models import DebugSession, SessionState
from sessions.relay import client
from sessions.relay.protocol import SEND

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.12

SEND_TIMEOUT = 30.0


class MessageInput(TypedDict, total=False):
    """A message to send: ``fmt`` and ``body``, or a documented message (``message_id``, and
    ``example``, the name of one of its examples: by default the first);
    ``variables`` for this send only; ``actor`` resolves ``{{variables}}`` (default: the
    session's owner)."""

    fmt: str | None
    body: str | None
    message_id: int | None
    example: str | None
    actor: User | None
    variables: dict[str, str] | None


def message_prepare(
    *, session: DebugSession, **message: Unpack[MessageInput]
) -> tuple[str, dict[str, Any]]:
    """Resolve, validate and encode a message for the session's open connection.

    ``{{variables}}`` are resolved now, for ``actor`` (the session's owner), with
    ``variables`` over the session's own values. Returns the relay channel and the send
    command. Nothing is sent here; every error (unknown variable, format, size, not
    connected) is raised before anything could be.
    """
    fmt, body, message_id = message.get("fmt"), message.get("body"), message.get("message_id")
    actor, variables = message.get("actor"), message.get("variables")
    example = message.get("example")
    documented: str | None = None  # the name it is checked as
    if message_id is not None:
        saved = (
            Message.objects.filter(pk=message_id, endpoint__project_id=session.project_id)
            .only("name", "direction", "format", "examples", "endpoint_id")
            .first()
        )
        if saved is None:
            raise ValidationFailed(
                {"message_id": [f"No saved message {message_id} in this session's project."]}
            )
        fmt = saved.format
        if example is None:
            body = default_body(saved.examples)
        else:
            chosen = next((e for e in saved.examples or () if e.get("name") == example), None)
            if chosen is None:
                names = ", ".join(repr(e.get("name")) for e in saved.examples or ()) or "none"
                raise ValidationFailed(
                    {"example": [f"Message {saved.name!r} has no example {example!r} ({names})."]}
                )
            body = str(chosen.get("body", ""))
        # Sending a receive message's example (to try what the server would send) is a send
        # like any other: the rules say what it is.
        if saved.endpoint_id == session.endpoint_id and saved.direction == "send":
            documented = saved.name
    elif example is not None:
        raise ValidationFailed({"example": ["Name an example only with a message_id."]})
    fmt = fmt or "text"
    body = body or ""
    text, log_text, redact = resolved_body(
        session, body, actor=actor or session.owner, overrides=variables
    )
    try:
        payload = encode_body(fmt, text)
    except BodyFormatError as exc:
        if log_text is not None:
            # Where it fails would tell something about the secret's value.
            problem = (
                f"The body is not valid {fmt} once variables are substituted; it holds a "
                "secret's value, so where is not shown."
            )
        elif text != body:
            problem = f"After substituting variables: {exc}"
        else:
            problem = str(exc)
        raise ValidationFailed({"body": [problem]}) from None
    if isinstance(payload, str):
        try:
            size = len(payload.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise ValidationFailed(
                {"body": [f"Unpaired surrogate at character {exc.start + 1}; not valid text."]}
            ) from None
    else:
        size = len(payload)
    limit = min(
        int(session_settings(session)["max_message_size"]), settings.SESSION_MAX_MESSAGE_SIZE
    )
    if size > limit:
        raise MessageTooLarge(
            f"The message is {size} bytes; at most {limit} bytes may be sent "
            "(the session's max_message_size, capped by SESSION_MAX_MESSAGE_SIZE).",
            size=size,
            limit=limit,
        )
    verdict = _checked(session, payload, documented, redact if log_text is not None else None)
    if session.state != SessionState.OPEN or not session.relay_channel:
        raise NotConnected(state=session.state)
    command: dict[str, Any] = {
        "type": SEND,
        "session": session.pk,
        "connection": session.connection_count,
        "opcode": "text" if isinstance(payload, str) else "binary",
        "payload": payload,
    }
    if log_text is not None:
        command["masked"] = {"text": log_text, "format": fmt, "redact": redact}
    if session.endpoint_id is not None:
        command["verdict"] = verdict
    return session.relay_channel, command


def _checked(
    session: DebugSession,
    payload: str | bytes,
    documented: str | None,
    redact: list[str] | None,
) -> dict[str, Any] | None:
    """The contract's verdict on a send; a strict endpoint refuses an invalid body here."""
    text = payload if isinstance(payload, str) else None

    def check(contract: Contract) -> Verdict:
        if documented is not None:
            return contract.check_as(documented, text)
        return contract.check("send", text)

    return checked_send(
        session.endpoint_id,
        check,
        redact,
        violates="this body violates the schema of message",
        field="body",
    )


def message_send(*, session: DebugSession, **message: Unpack[MessageInput]) -> dict[str, Any]:
    """Send one message; returns once the relay sent it and stored it (with its ``seq``)."""
    channel, command = message_prepare(session=session, **message)
    answer = client.call_sync(channel, command, SEND_TIMEOUT)
    if answer is None:
        raise RelayTimeout(
            f"The relay did not confirm the message within {SEND_TIMEOUT:g} s; "
            "check the log before sending it again."
        )
    if not answer.get("ok"):
        raise NotConnected(answer.get("detail") or None, state=session.state)
    return {key: value for key, value in answer.items() if key not in ("type", "ref", "ok")}
