"""The Socket.IO client a relay speaks on the upstream connection of a Socket.IO endpoint.

``core.socketio.protocol`` is the client as a state machine; this module gives it the
connection: every WebSocket frame either way is still one log record (stored = sent and
received), and the record of the frame that completes a packet carries what it meant in
``info["sio"]`` (docs/socketio.md "The log"). A packet with binary attachments is stored as
its text frame followed by one record per attachment, numbered consecutively.

The connect command is answered once the endpoint's namespace is connected (or refused), not
when the WebSocket opens: a server that speaks the other version, or refuses the namespace,
fails the connect with its kind and reason.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from core.socketio.engine import ProtocolError
from core.socketio.handshake import SocketIOVersion
from core.socketio.packets import with_placeholders
from core.socketio.protocol import Happening, Kind, Output, SocketIOProtocol, VersionMismatch
from core.timestamps import iso
from endpoints.contracts.checker import RECEIVE, SEND, Verdict
from sessions.contracts import shown_problems
from sessions.masking import Masker
from sessions.models import ClosedBy, FailureKind, SessionState
from sessions.relay.frames_out import sent_verdict
from sessions.relay.protocol import reply
from sessions.relay.socketio_meaning import decoded_arguments, happening_info, unopened_detail
from sessions.relay.store import Record

# The connection this works for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any

MAX_AWAITED_ACKS = 1000  # emits waiting for their ack, per connection
HEARTBEATS = (Kind.PING, Kind.PONG)


@dataclass
class Emitted:
    """An emit waiting for its acknowledgement."""

    seq: int
    event: str
    timeout: float
    timer: asyncio.TimerHandle | None = None


class SocketIOLink:
    """The Socket.IO session on one upstream connection."""

    def __init__(self, connection: UpstreamConnection, config: dict[str, Any]) -> None:
        self.connection = connection
        self.version = SocketIOVersion(config["version"])
        self.namespace: str = config["namespace"]
        self.auth: dict[str, Any] | None = config.get("auth")
        self.protocol = SocketIOProtocol(self.version)
        # The connect command's answer, given when the namespace connects or is refused.
        self.pending_reply: tuple[str, Any] | None = connection.connect_reply
        self.held: list[str | bytes] = []  # frames of a packet whose attachments are due
        self.awaited: dict[tuple[str, int], Emitted] = {}
        self.heartbeat: asyncio.Task[None] | None = None
        self.last_heard = 0.0  # loop time of the server's last ping (v4) or pong (v2)
        # The namespace connected at least once, or its failure was recorded already.
        self.settled = False

    # --- frames from the server --------------------------------------------------------

    async def received(self, message: str | bytes) -> int:
        """Store what ``message`` completes, answer heartbeats, react to the namespace's
        fate. Returns the bytes stored (for the connection's received limit)."""
        try:
            output = self.protocol.receive(message)
        except VersionMismatch as exc:
            frames, self.held = [*self.held, message], []
            stored = await self._store_plain(frames, {"type": "invalid"})
            await self._give_up(FailureKind.SOCKETIO_VERSION, str(exc), code=1002)
            return stored
        except ProtocolError as exc:
            frames, self.held = [*self.held, message], []
            stored = await self._store_plain(frames, {"type": "invalid", "detail": str(exc)})
            await self._give_up(
                FailureKind.PROTOCOL, f"The server sent an invalid Socket.IO packet: {exc}", 1002
            )
            return stored
        if not output.happened:
            if self.protocol.buffering:
                self.held.append(message)
                return 0
            return await self._store_plain([*self.held, message], {"type": "noop"})
        self.held = []
        stored = 0
        for happening in output.happened:
            if happening.direction == "out":
                await self._send(happening.raw, happening_info(happening))
                continue
            stored += await self._incoming(happening)
        return stored

    async def _incoming(self, happening: Happening) -> int:
        connection = self.connection
        kind = happening.kind
        info = happening_info(happening)
        verdict: Verdict | None = None
        contract = connection.contract
        if kind is Kind.ACK:
            emitted = self.awaited.pop((happening.namespace, happening.ack_id or 0), None)
            if emitted is not None:
                if emitted.timer is not None:
                    emitted.timer.cancel()
                info["ack_of"] = emitted.seq
                info["event"] = emitted.event
                if contract is not None:
                    verdict = contract.check_ack(emitted.event, SEND, info["args"])
        elif kind is Kind.EVENT and contract is not None:
            verdict = contract.check_event(RECEIVE, happening.event or "", info["args"])
        records = self._records("received", "in", happening.raw, info, verdict)
        first = records[0][0]
        after = None
        if kind in HEARTBEATS:
            self.last_heard = asyncio.get_running_loop().time()
        elif kind is Kind.OPEN:
            after = self._opened
        elif happening.namespace == self.namespace:
            if kind is Kind.CONNECT:
                self.settled = True
                self._answer(first, True)
            elif kind is Kind.CONNECT_ERROR:
                reason = info.get("message") or "no reason given"
                detail = f"The server refused namespace {self.namespace}: {reason}"
                self._answer(first, False, FailureKind.SOCKETIO_REFUSED, detail)
                after = self._closer(ClosedBy.RELAY, f"namespace {self.namespace} refused")
            elif kind is Kind.DISCONNECT:
                after = self._closer(
                    ClosedBy.UPSTREAM, f"the server disconnected namespace {self.namespace}"
                )
        stored = await self._enqueue(records)
        if after is not None:
            await after()
        return stored

    def _closer(self, by: ClosedBy, reason: str) -> Any:
        async def close() -> None:
            self.connection.relay.spawn(self.connection.close(by=by, code=1000, reason=reason))

        return close

    async def _opened(self) -> None:
        """The Engine.IO session is open: keep its heartbeat, connect the namespace."""
        loop = asyncio.get_running_loop()
        self.last_heard = loop.time()
        self.heartbeat = self.connection.relay.spawn(self._beat())
        if self.version is SocketIOVersion.V2 and self.namespace == "/":
            return  # a Socket.IO 2 server connects "/" by itself
        output = self.protocol.connect(self.namespace, self.auth)
        await self._send(output.send, {"type": "connect", "namespace": self.namespace})

    async def _beat(self) -> None:
        """Engine.IO heartbeats: v4 servers ping and the client answers (``received``);
        a v2 server is pinged every interval. Either way a silent server is given up on
        after the interval plus the timeout, as Socket.IO clients do."""
        info = self.protocol.open_info
        assert info is not None
        loop = asyncio.get_running_loop()
        interval, timeout = info.ping_interval, info.ping_timeout
        while self.connection.is_open():
            if self.version is SocketIOVersion.V4:
                await asyncio.sleep(max(0.01, self.last_heard + interval + timeout - loop.time()))
                if loop.time() < self.last_heard + interval + timeout:
                    continue
            else:
                await asyncio.sleep(interval)
                if not self.connection.is_open():
                    return
                sent_at = loop.time()
                beat = self.protocol.heartbeat()
                await self._send(beat.send, {"type": "ping"})
                await asyncio.sleep(timeout)
                if self.last_heard >= sent_at or not self.connection.is_open():
                    continue
            reason = f"no Engine.IO heartbeat within {interval + timeout:g} s (ping timeout)"
            self.connection.relay.spawn(
                self.connection.close(by=ClosedBy.RELAY, code=1000, reason=reason)
            )
            return

    # --- records ------------------------------------------------------------------------

    def _records(
        self,
        kind: str,
        direction: str,
        frames: list[str | bytes],
        info: dict[str, Any],
        verdict: Verdict | None = None,
    ) -> list[tuple[Record, str | bytes]]:
        """One record per frame, numbered now (consecutively): the first carries ``info``,
        each attachment names it."""
        connection = self.connection
        masker = connection.masker
        records: list[tuple[Record, str | bytes]] = []
        for number, frame in enumerate(frames):
            if number == 0:
                meaning = masker.value(info) if masker is not None else info
            else:
                meaning = {"type": "attachment", "of": records[0][0].seq, "num": number - 1}
            extra: dict[str, Any] = {"sio": meaning}
            shown = masker.message(frame) if masker is not None else frame
            if shown is not frame:
                extra["masked"] = True
            record = connection.message_record(
                kind, direction, frame, shown=shown if shown is not frame else None, info=extra
            )
            records.append((record, frame))
        if len(records) > 1:
            records[0][0].info["sio"]["attachments"] = [r.seq for r, _ in records[1:]]  # type: ignore[index]
        if verdict is not None and verdict.check:
            first = records[0][0]
            first.contract = verdict.check
            first.message = verdict.message or ""
            if verdict.problems:
                first.problems = shown_problems(verdict.problems, masker)
        return records

    async def _enqueue(self, records: list[tuple[Record, str | bytes]]) -> int:
        connection = self.connection
        stored = 0
        for record, frame in records:
            await connection.relay.enqueue(record)
            if connection.observer is not None:
                connection.observer(record, frame)
            stored += record.size
        return stored

    async def _store_plain(self, frames: list[str | bytes], info: dict[str, Any]) -> int:
        return await self._enqueue(self._records("received", "in", frames, info))

    async def _send(self, frames: list[str | bytes], info: dict[str, Any]) -> list[Record]:
        """Number, store and send frames of ours (under the connection's send lock, so a
        packet's attachments follow it with nothing in between)."""
        connection = self.connection
        if connection.send_lock is None:
            connection.send_lock = asyncio.Lock()
        async with connection.send_lock:
            return await self._send_locked(frames, info)

    async def _send_locked(self, frames: list[str | bytes], info: dict[str, Any]) -> list[Record]:
        connection = self.connection
        ws = connection.ws
        if ws is None or not connection.is_open() or not frames:
            return []
        records = self._records("sent", "out", frames, info)
        await self._enqueue(records)
        for _, frame in records:
            await ws.send(frame)
        return [record for record, _ in records]

    # --- the connect command's answer, and giving up -------------------------------------

    def _answer(self, record: Record, ok: bool, kind: str = "", detail: str = "") -> None:
        if not ok:
            self.settled = True
            record.connection_update = {"failure_kind": kind, "failure_detail": detail}
        if self.pending_reply is None:
            return
        channel, ref = self.pending_reply
        self.pending_reply = None
        answer = (
            reply(ref, True, state=SessionState.OPEN)
            if ok
            else reply(ref, False, code="connect_failed", kind=kind, detail=detail, state="closing")
        )
        record.replies = [*(record.replies or ()), (channel, answer)]

    async def _give_up(self, kind: str, detail: str, code: int) -> None:
        connection = self.connection
        record = connection.record("error", text=detail, info={"kind": kind, "detail": detail})
        self._answer(record, False, kind, detail)
        await connection.emit(record)
        connection.relay.spawn(connection.close(by=ClosedBy.RELAY, code=code, reason=kind))

    def ended(self, records_reply: list[tuple[str, dict[str, Any]]]) -> None:
        """The connection ended: stop the heartbeat and the ack timers; a connect still
        unanswered fails (added to ``records_reply``)."""
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        for emitted in self.awaited.values():
            if emitted.timer is not None:
                emitted.timer.cancel()
        self.awaited.clear()
        if self.pending_reply is not None:
            channel, ref = self.pending_reply
            self.pending_reply = None
            kind, detail = self.unanswered_failure()
            records_reply.append(
                (
                    channel,
                    reply(
                        ref,
                        False,
                        code="connect_failed",
                        kind=kind,
                        detail=detail,
                        state=SessionState.CLOSED,
                    ),
                )
            )

    def failure_at_close(self) -> tuple[str, str] | None:
        """Why the connection failed as a Socket.IO one, when it closes before its namespace
        ever connected and nothing said why yet."""
        return None if self.settled else self.unanswered_failure()

    def unanswered_failure(self) -> tuple[str, str]:
        """Why the namespace never connected, for a connection that closed first."""
        if self.protocol.open_info is None:
            return unopened_detail(self.version)
        return (
            FailureKind.PROTOCOL,
            f"The connection closed before namespace {self.namespace} connected.",
        )

    # --- emitting -----------------------------------------------------------------------

    async def emit(self, command: dict[str, Any], reply_to: str, ref: Any) -> None:
        """An event (or the answer to a server's ack request, ``answer``) from a member."""
        connection = self.connection
        if connection.send_lock is None:
            connection.send_lock = asyncio.Lock()
        async with connection.send_lock:
            namespace = command.get("namespace") or self.namespace
            problem = None
            if not connection.is_open():
                problem = "The connection is not open."
            elif namespace not in self.protocol.connected:
                problem = f"Namespace {namespace} is not connected."
            elif command.get("ack") and len(self.awaited) >= MAX_AWAITED_ACKS:
                problem = f"{MAX_AWAITED_ACKS} emits already wait for their ack."
            if problem is not None:
                await connection.relay.reply(
                    reply_to, reply(ref, False, code="not_connected", detail=problem)
                )
                return
            masked = command.get("masked")
            if masked and masked.get("redact"):
                if connection.masker is None:
                    connection.masker = Masker()
                connection.masker.add(masked["redact"])
            arguments = decoded_arguments(command["args"])
            answer = command.get("answer")
            ack_id: int | None
            event: str | None
            if answer is not None:
                output = self.protocol.answer(int(answer), arguments, namespace=namespace)
                ack_id = int(answer)
                event = None
            else:
                event = str(command["event"])
                ack_id, output = self.protocol.emit(
                    event, arguments, namespace=namespace, ack=bool(command.get("ack"))
                )
            verdict = self._emit_verdict(command, event, arguments)
            records = await self._send_emit(output, verdict, reply_to, ref, ack_id)
            if records and event is not None and ack_id is not None:
                self._await_ack(namespace, ack_id, records[0].seq, event, command)

    def _emit_verdict(
        self, command: dict[str, Any], event: str | None, arguments: list[Any]
    ) -> Verdict | None:
        given = command.get("verdict")
        if "verdict" in command:
            if not given:
                return None
            return Verdict(
                given.get("contract") or "", given.get("message"), given.get("problems") or []
            )
        contract = self.connection.contract
        if contract is None or event is None:
            return None
        verdict: Verdict = contract.check_event(SEND, event, with_placeholders(arguments))
        return verdict

    async def _send_emit(
        self, output: Output, verdict: Verdict | None, reply_to: str, ref: Any, ack_id: int | None
    ) -> list[Record]:
        happening = output.happened[0]
        info = happening_info(happening)
        connection = self.connection
        records = self._records("sent", "out", list(output.send), info, verdict)
        first = records[0][0]
        if reply_to:
            first.replies = [
                (
                    reply_to,
                    reply(
                        ref,
                        True,
                        seq=first.seq,
                        connection=connection.number,
                        ack_id=ack_id,
                        frames=len(records),
                        timestamp=iso(first.created_at),
                        **sent_verdict(first),
                    ),
                )
            ]
        await self._enqueue(records)
        ws = connection.ws
        assert ws is not None
        for _, frame in records:
            await ws.send(frame)
        return [record for record, _ in records]

    def _await_ack(
        self, namespace: str, ack_id: int, seq: int, event: str, command: dict[str, Any]
    ) -> None:
        timeout = float(command.get("ack_timeout") or 0)
        emitted = Emitted(seq, event, timeout)
        self.awaited[(namespace, ack_id)] = emitted
        if timeout > 0:
            loop = asyncio.get_running_loop()
            emitted.timer = loop.call_later(
                timeout,
                lambda: self.connection.relay.spawn(self._ack_timed_out(namespace, ack_id)),
            )

    async def _ack_timed_out(self, namespace: str, ack_id: int) -> None:
        emitted = self.awaited.pop((namespace, ack_id), None)
        self.protocol.forget_ack(ack_id)
        if emitted is None or self.connection.ended:
            return
        text = f"No acknowledgement of {emitted.event!r} (#{emitted.seq}) within {emitted.timeout:g} s."
        await self.connection.emit(
            self.connection.record(
                "error",
                text=text,
                info={
                    "kind": "ack_timeout",
                    "ack_id": ack_id,
                    "seq": emitted.seq,
                    "event": emitted.event,
                    "namespace": namespace,
                    "timeout": emitted.timeout,
                },
            )
        )
