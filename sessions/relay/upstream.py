"""One upstream WebSocket connection held by a relay: handshake, reading, sending, closing.

Each connection is one task that opens the connection (egress check, handshake, redirects
when allowed) and then reads frames until the connection ends. Every step becomes a log
record with the next sequence number of the session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from websockets.asyncio import client as ws_client
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from core import metrics
from endpoints.contracts.checker import RECEIVE, Contract
from sessions.contracts import shown_problems
from sessions.masking import Masker
from sessions.models import ClosedBy, FailureKind, SessionState
from sessions.relay import reconnect
from sessions.relay.closing import CLOSED_BY_TEXT, CloseIntent, close_description, close_outcome
from sessions.relay.connect import Failure, raw_headers
from sessions.relay.control import ControlFrames, ObservedConnection
from sessions.relay.frames_out import send_frame
from sessions.relay.link import RelayLink
from sessions.relay.opening import open_connection
from sessions.relay.protocol import reply
from sessions.relay.socketio import SocketIOLink
from sessions.relay.socketio_meaning import explained_failure
from sessions.relay.store import Record, SessionLog, message_fields
from sessions.relay.timers import Timers

logger = logging.getLogger("switchboard.relay")

REFUSED_BODY_BYTES = 4096


class UpstreamConnection:
    __slots__ = (
        "attempt",
        "cancel_reason",
        "close_intent",
        "close_replies",
        "connect_reply",
        "contract",
        "contract_endpoint",
        "contract_stamp",
        "control",
        "ended",
        "log",
        "masker",
        "number",
        "observer",
        "opened_at",
        "relay",
        "request",
        "send_lock",
        "sent_at",
        "session_id",
        "sio",
        "task",
        "timers",
        "ws",
    )

    def __init__(
        self,
        *,
        relay: RelayLink,
        session_id: int,
        number: int,
        request: dict[str, Any],
        log: SessionLog,
        connect_reply: tuple[str, Any] | None,
        attempt: int = 0,
    ) -> None:
        self.relay = relay
        # 0: the connect a member asked for; n: the n-th automatic reconnect after a drop.
        self.attempt = attempt
        self.opened_at: float | None = None  # loop time the connection opened
        self.session_id = session_id
        self.number = number
        self.request = request
        self.log = log
        self.connect_reply = connect_reply
        self.ws: ws_client.ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.send_lock: asyncio.Lock | None = None
        self.sent_at: datetime | None = None  # the time of the last sent entry
        self.close_intent: CloseIntent | None = None
        self.cancel_reason: tuple[str, str, str] | None = None
        self.close_replies: list[tuple[str, dict[str, Any]]] = []
        self.ended = False
        self.control = ControlFrames(self)
        self.timers = Timers(self)
        # The Socket.IO client of a Socket.IO endpoint's connection, once it is open.
        self.sio: SocketIOLink | None = None
        # Spellings of the secret values sent on this connection (handshake, then each send
        # that substituted one); None for the usual connection without secrets.
        self.masker: Masker | None = (
            Masker(request.get("redact") or ()) if request.get("shown") else None
        )
        # The endpoint's contract every frame is checked against (None: nothing to check),
        # compiled off the event loop when the connection opens; the relay's heartbeat
        # replaces it when the endpoint or its project's schemas change.
        contract_data = request.get("contract")
        self.contract: Contract | None = None
        # Called with every record of the connection once it is queued for storing, and for a
        # received frame the payload as it arrived (the record may hold it cut or masked): a
        # scenario run reads its frames this way, in the relay's own process.
        self.observer: Callable[[Record, str | bytes | None], None] | None = None
        self.contract_endpoint: int | None = contract_data["endpoint"] if contract_data else None
        self.contract_stamp: list[Any] | None = contract_data["stamp"] if contract_data else None

    def is_open(self) -> bool:
        """Open, and no one asked to close it: frames may be sent."""
        ws = self.ws
        return (
            ws is not None
            and ws.state is State.OPEN
            and self.close_intent is None
            and not self.ended
        )

    # --- records ------------------------------------------------------------------------

    def record(self, kind: str, **fields: Any) -> Record:
        """A new log entry with the session's next sequence number."""
        self.log.last_seq += 1
        return Record(self.session_id, self.log.last_seq, self.number, kind, **fields)

    def message_record(
        self,
        kind: str,
        direction: str,
        payload: str | bytes,
        *,
        shown: str | bytes | None = None,
        info: dict[str, Any] | None = None,
    ) -> Record:
        """A sent or received message's entry: the payload's opcode and real size, and a
        capped copy of ``shown`` (the payload with secrets as ••••) or else of the payload."""
        cap = settings.SESSION_STORED_BYTES_PER_FRAME
        opcode, size, text, data, truncated = message_fields(payload, cap)
        if shown is not None:
            _, _, text, data, truncated = message_fields(shown, cap)
        self.log.last_seq += 1
        return Record(
            self.session_id,
            self.log.last_seq,
            self.number,
            kind,
            direction,
            opcode,
            size,
            text,
            data,
            truncated,
            info,
        )

    def check(self, record: Record, direction: str, payload: str | bytes) -> None:
        """Put the contract's verdict on a frame's record (the real payload is checked; what
        a problem quotes of it is masked like the stored copy)."""
        contract = self.contract
        if contract is None:
            return
        verdict = contract.check(direction, payload if isinstance(payload, str) else None)
        if not verdict.check:
            return
        record.contract = verdict.check
        record.message = verdict.message or ""
        if verdict.problems:
            record.problems = shown_problems(verdict.problems, self.masker)

    async def emit(self, record: Record) -> None:
        await self.relay.enqueue(record)
        if self.observer is not None:
            self.observer(record, None)

    # --- lifecycle ----------------------------------------------------------------------

    async def run(self) -> None:
        try:
            try:
                opened = await self._open()
            except asyncio.CancelledError:
                if self.cancel_reason is None:
                    raise
                kind, detail, by = self.cancel_reason
                await self.fail(Failure(kind, detail), {}, state=SessionState.CLOSED, by=by)
                return
            if opened:
                await self._read()
        except Exception:
            logger.exception("Relay connection of session %s crashed", self.session_id)
            if self.ws is not None:
                self.ws.transport.abort()
            if not self.ended:
                await self.fail(Failure(FailureKind.RELAY, "The relay hit an internal error."), {})
        finally:
            self.ended = True
            self.relay.connection_ended(self)

    async def _open(self) -> bool:
        """Claim a reconnect's turn, then open the connection (sessions.relay.opening)."""
        return await open_connection(self)

    async def fail(
        self,
        failure: Failure,
        planned: dict[str, Any],
        *,
        state: str = SessionState.FAILED,
        by: str = "",
    ) -> None:
        await self.timers.end_all("the connection failed")
        self.ended = True
        if failure.kind == FailureKind.EGRESS:
            metrics.EGRESS_DENIED.inc()
        logger.info(
            "Session %s connection %s failed (%s)", self.session_id, self.number, failure.kind
        )
        if self.request.get("socketio"):
            failure = explained_failure(failure, self.request["socketio"]["version"])
        masker = self.masker
        detail = masker.text(failure.detail) if masker else failure.detail
        info: dict[str, Any] = {"kind": failure.kind, "detail": detail}
        update: dict[str, Any] = {
            **planned,
            "failure_kind": failure.kind,
            "failure_detail": detail,
            "closed_by": by,
        }
        response = failure.response
        if response is not None:
            body = bytes(response.body or b"")
            headers = raw_headers(response.headers)
            if masker:
                # A refused handshake may echo the credentials it refused; masked before the
                # cut, so no half of a secret is kept.
                body, headers = masker.data(body), masker.pairs(headers)
            text_body = body[:REFUSED_BODY_BYTES].decode("utf-8", errors="replace")
            info["status"] = response.status_code
            update.update(
                response_status=response.status_code,
                response_headers=headers,
                response_body=text_body,
            )
        status = response.status_code if response is not None else None
        conn_settings = self.request["settings"]
        if (
            self.attempt
            and not self.relay.stopping
            and self.attempt < reconnect.max_attempts(conn_settings)
            and reconnect.retries_failure(conn_settings, failure.kind, status)
        ):
            info["attempt"] = self.attempt
            await self._hand_over(self.record("error", text=detail, info=info), update)
            return
        if self.attempt:
            info["attempt"] = self.attempt
        record = self.record("error", text=detail, info=info)
        replies = list(self.close_replies)
        if self.connect_reply:
            channel, ref = self.connect_reply
            code = "egress_denied" if failure.kind == FailureKind.EGRESS else "connect_failed"
            replies.append(
                (
                    channel,
                    reply(
                        ref,
                        False,
                        code=code,
                        kind=failure.kind,
                        detail=detail,
                        state=state,
                    ),
                )
            )
        await self._emit_last(record, state, update, replies)

    async def _emit_last(
        self,
        record: Record,
        state: str,
        connection_update: dict[str, Any],
        replies: list[tuple[str, dict[str, Any]]],
    ) -> None:
        """Emit the connection's last record: the session no longer names this relay."""
        self.ended = True
        record.state = state
        record.session_update = {"state": state, "relay_id": None, "relay_channel": ""}
        record.connection_update = {**connection_update, "ended_at": record.created_at}
        record.final = True
        record.replies = replies or None
        await self.emit(record)

    async def _hand_over(self, record: Record, connection_update: dict[str, Any]) -> None:
        """End this connection with ``record`` but keep the session: the next reconnect
        attempt takes over (sessions.relay.reconnect)."""
        self.ended = True
        record.state = SessionState.CONNECTING
        record.session_update = {"state": SessionState.CONNECTING}
        record.connection_update = {**connection_update, "ended_at": record.created_at}
        record.replies = list(self.close_replies) or None
        await self.emit(record)
        self.relay.reconnect(self)

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        put = self.relay.enqueue
        # Storing slows a flooding upstream down (backpressure) but would fill the disk.
        received, received_limit = 0, settings.SESSION_MAX_RECEIVED_BYTES
        sio = self.sio
        observed = ws if isinstance(ws, ObservedConnection) else None
        try:
            while True:
                message = await ws.recv()
                # Timed when it reached the socket (control.ObservedConnection), not when this
                # reader came round to it.
                arrived = observed.arrived_at(self.sent_at) if observed is not None else None
                if sio is not None:
                    received += await sio.received(message)
                    if received > received_limit:
                        await self._close_over_limit(received_limit)
                    continue
                # Read per frame: a send may add secrets after the connection opened.
                masker = self.masker
                masked = message if masker is None else masker.message(message)
                if masked is message:
                    record = self.message_record("received", "in", message)
                else:
                    # The upstream sent back a secret (an echo): stored masked, real size kept.
                    record = self.message_record(
                        "received", "in", message, shown=masked, info={"masked": True}
                    )
                if arrived is not None:
                    record.created_at = arrived
                if self.contract is not None:
                    self.check(record, RECEIVE, message)
                await put(record)
                if self.observer is not None:
                    self.observer(record, message)
                received += record.size
                if received > received_limit:
                    await self._close_over_limit(received_limit)
        except ConnectionClosed:
            pass
        await self._closed()

    async def _close_over_limit(self, limit: int) -> None:
        """Close with 1008 and drain what is still in flight, unlogged, until it is closed."""
        ws = self.ws
        assert ws is not None
        reason = (
            f"more than {limit / 1048576:g} MiB received on this connection "
            "(SESSION_MAX_RECEIVED_BYTES)"
        )
        self.relay.spawn(self.close(by=ClosedBy.RELAY, code=1008, reason=reason))
        while True:
            await ws.recv()  # ends with ConnectionClosed once the close completes
            if isinstance(ws, ObservedConnection):
                ws.arrivals.clear()

    async def _closed(self) -> None:
        ws = self.ws
        assert ws is not None
        protocol = ws.protocol
        rcvd, sent = protocol.close_rcvd, protocol.close_sent
        by, code, reason = close_outcome(
            intent=self.close_intent,
            received=rcvd,
            sent=sent,
            received_first=bool(protocol.close_rcvd_then_sent),
            connection_exc=ws.connection_exc,
        )
        await self.timers.end_all(f"the connection closed ({code})")
        sio_failure = None
        if self.sio is not None:
            sio_failure = self.sio.failure_at_close()
            self.sio.ended(self.close_replies)
        if self.masker is not None:
            reason = self.masker.text(reason)
        info: dict[str, Any] = {"code": code, "reason": reason, "by": by}
        if rcvd is not None:
            info["received"] = {"code": rcvd.code, "reason": rcvd.reason}
        if sent is not None:
            info["sent"] = {"code": sent.code, "reason": sent.reason}
        if self.masker is not None:
            info = self.masker.value(info)
        record = self.record(
            "closed", text=f"{CLOSED_BY_TEXT[by]}: {close_description(code, reason)}", info=info
        )
        logger.info(
            "Session %s connection %s closed by %s with code %s",
            self.session_id,
            self.number,
            by,
            code,
        )
        update = {"close_code": code, "close_reason": reason[:500], "closed_by": by}
        if sio_failure is not None:
            info["kind"], info["detail"] = sio_failure
            update.update(failure_kind=sio_failure[0], failure_detail=sio_failure[1])
        conn_settings = self.request["settings"]
        if not self.relay.stopping and reconnect.wants_reconnect(
            conn_settings, code, self.close_intent is not None
        ):
            following = reconnect.next_attempt(self.attempt, self.opened_at)
            if following <= reconnect.max_attempts(conn_settings):
                self.attempt = following - 1
                await self._hand_over(record, update)
                return
            if record.info is not None:
                record.info["gave_up"] = True
        await self._emit_last(record, SessionState.CLOSED, update, list(self.close_replies))

    # --- commands -----------------------------------------------------------------------

    async def send(
        self,
        opcode: str,
        payload: str | bytes,
        reply_to: str,
        ref: Any,
        masked: dict[str, Any] | None = None,
        verdict: dict[str, Any] | None = None,
        checked: bool = False,
        timer: int | None = None,
    ) -> None:
        """Send one frame and log it (``sessions.relay.frames_out.send_frame``)."""
        await send_frame(
            self,
            opcode,
            payload,
            reply_to,
            ref,
            masked=masked,
            verdict=verdict,
            checked=checked,
            timer=timer,
        )

    async def close(
        self,
        *,
        by: ClosedBy,
        code: int,
        reason: str,
        reply_to: str | None = None,
        ref: Any = None,
    ) -> None:
        if reply_to:
            self.close_replies.append((reply_to, reply(ref, True)))
        if self.ws is None:
            if self.task is not None and not self.task.done():
                kind = FailureKind.CANCELLED if by == ClosedBy.CLIENT else FailureKind.RELAY
                detail = (
                    "Disconnected while connecting."
                    if by == ClosedBy.CLIENT
                    else f"Switchboard stopped the connection attempt: {reason}."
                )
                self.cancel_reason = (kind, detail, by)
                self.task.cancel()
            return
        if self.close_intent is None:
            self.close_intent = (by, code, reason)
        await self.ws.close(code, reason)

    def abort(self) -> None:
        """Drop the connection without a close handshake (the relay lost the session)."""
        self.ended = True
        if self.ws is not None:
            self.ws.transport.abort()
        elif self.task is not None:
            self.task.cancel()
