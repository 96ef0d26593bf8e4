"""Sending a message frame on an open upstream connection: numbered and logged (masked,
checked against the contract) before it is written, so an echo is never logged ahead of it,
and timed at the write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from websockets.exceptions import ConnectionClosed

from core.timestamps import iso
from endpoints.contracts.checker import SEND as SEND_DIRECTION
from sessions.contracts import send_warning
from sessions.masking import Masker
from sessions.relay.protocol import reply
from sessions.relay.store import Record

# The connection these work for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any


async def send_frame(
    connection: UpstreamConnection,
    opcode: str,
    payload: str | bytes,
    reply_to: str,
    ref: Any,
    *,
    masked: dict[str, Any] | None = None,
    verdict: dict[str, Any] | None = None,
    checked: bool = False,
    timer: int | None = None,
) -> None:
    """Send one frame and log it; ``masked`` (``text``, ``format``, ``redact``) is given
    when a secret was substituted into the body: the log keeps that text instead.
    ``checked``: the web process checked the body against the contract already and
    ``verdict`` is what it found (None: nothing to check); else the relay checks it.
    ``timer``: the repeating message that sent it (``info.timer``)."""
    if connection.send_lock is None:
        connection.send_lock = asyncio.Lock()
    async with connection.send_lock:
        ws = connection.ws
        if ws is None or not connection.is_open():
            await connection.relay.reply(
                reply_to,
                reply(ref, False, code="not_connected", detail="The connection is not open."),
            )
            return
        if opcode == "text" and isinstance(payload, bytes):
            payload = payload.decode("utf-8")
        elif opcode == "binary" and isinstance(payload, str):
            payload = payload.encode("utf-8")
        shown: str | None = None
        info: dict[str, Any] | None = None
        if masked is not None:
            # The body as written with secrets as ••••, and the real wire size. For a
            # binary frame that is its Base64/hex source text: its bytes hold the secret.
            shown = masked["text"]
            info = {"masked": True, "format": masked.get("format")}
            if connection.masker is None:
                connection.masker = Masker()
            # An echo of this secret is masked too.
            connection.masker.add(masked.get("redact") or ())
        if timer is not None:
            info = {**(info or {}), "timer": timer}
        # Numbered before it is written, so an echo can never be logged ahead of it.
        record = connection.message_record("sent", "out", payload, shown=shown, info=info)
        if checked:
            if verdict:
                record.contract = verdict.get("contract") or ""
                record.message = verdict.get("message") or ""
                record.problems = verdict.get("problems")
        elif connection.contract is not None:
            connection.check(record, SEND_DIRECTION, payload)
        # Its time is when it goes on the wire: stamped, queued and written with nothing
        # awaited in between (``ws.send`` writes before its first await). Queued before it is
        # written, so an echo can never be stored ahead of it; only then does a busy writer
        # make us wait (a wait before the write would show in the log as upstream latency).
        record.created_at = connection.sent_at = datetime.now(UTC)
        # A scenario run sends with no one to answer (it reads the record itself).
        record.replies = (
            None
            if not reply_to
            else [
                (
                    reply_to,
                    reply(
                        ref,
                        True,
                        seq=record.seq,
                        connection=connection.number,
                        opcode=record.opcode,
                        size=record.size,
                        truncated=record.truncated,
                        timestamp=iso(record.created_at),
                        **sent_verdict(record),
                    ),
                )
            ]
        )
        connection.relay.enqueue_nowait(record)
        if connection.observer is not None:
            connection.observer(record, None)
        try:
            await ws.send(payload)
            await connection.relay.writer_room()
        except ConnectionClosed:
            if not connection.ended:
                await connection.emit(
                    connection.record(
                        "error",
                        text="The connection closed while a message was being sent; "
                        "it may not have reached the server.",
                        info={"kind": "send_failed", "seq": record.seq},
                    )
                )


def sent_verdict(record: Record) -> dict[str, Any]:
    """The contract's verdict on a sent frame as its send answer carries it, with a
    ``warning`` when it went out although it violates its schema."""
    fields: dict[str, Any] = {
        "message": record.message or None,
        "contract": record.contract,
        "problems": record.problems,
    }
    if record.contract == "invalid":
        fields["warning"] = send_warning(record.message, record.problems)
    return fields
