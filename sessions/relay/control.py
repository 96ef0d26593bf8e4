"""Control frames of an upstream connection: pings we send on request, and every ping and
pong that crosses the connection, as log entries.

``websockets`` answers an upstream's ping inside its protocol and resolves the pongs of its
own pings; ``ObservedConnection`` (its ``create_connection`` factory, the library's hook for
a connection subclass) hears each control frame as it is processed. The keepalive's own
pings and their pongs are not logged: at the default 20 s interval they would fill the log
with entries nobody asked for.
"""

from __future__ import annotations

import asyncio
import random
import struct
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from websockets.asyncio import client as ws_client
from websockets.exceptions import ConcurrencyError, ConnectionClosed
from websockets.frames import DATA_OPCODES, Frame, Opcode
from websockets.protocol import State

from sessions.relay.protocol import reply
from sessions.relay.store import Record
from sessions.relay.timed_socket import TimedSocket

if TYPE_CHECKING:
    from websockets.protocol import Event

# The connection these work for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any

# Our own pings waiting for their pong, per connection; older ones are forgotten beyond this.
MAX_PENDING_PINGS = 64

ControlHook = Callable[[Opcode, bytes], None]


class ObservedConnection(ws_client.ClientConnection):
    """A client connection that tells ``on_control`` of every ping and pong it receives,
    before the library handles it (so a pong still names the ping it answers), and keeps
    when each message was read off the socket (``arrived_at``)."""

    on_control: ControlHook | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The time of the socket read that completed each message not taken yet, in order
        # (bounded like the library's own queue of received frames, which pauses reading).
        self.arrivals: deque[datetime] = deque()
        self._read_at = datetime.now(UTC)
        # The socket, when the kernel times what it reads (set once it is connected).
        self.timed_socket: TimedSocket | None = None

    def data_received(self, data: bytes) -> None:
        # One time per read, however many frames it holds: the kernel's receive time of the
        # data when it gives one (the loop may come round to a socket late), else now.
        sock = self.timed_socket
        self._read_at = (
            datetime.fromtimestamp(sock.read_at, UTC)
            if sock is not None and sock.read_at
            else datetime.now(UTC)
        )
        super().data_received(data)

    def process_event(self, event: Event) -> None:
        if isinstance(event, Frame):
            opcode = event.opcode
            if opcode in DATA_OPCODES:
                if event.fin:
                    self.arrivals.append(self._read_at)
            elif opcode is Opcode.PING or opcode is Opcode.PONG:
                hook = self.on_control
                if hook is not None:
                    hook(opcode, bytes(event.data))
        super().process_event(event)

    def arrived_at(self, not_before: datetime | None) -> datetime:
        """When the message ``recv`` just returned was read off the socket (a reader takes
        one per message, in order), but never before ``not_before``: the time of the sent
        entry numbered ahead of it (the log's times never go back along ``seq``)."""
        arrivals = self.arrivals
        at = arrivals.popleft() if arrivals else datetime.now(UTC)
        return at if not_before is None or at > not_before else not_before


def control_record(
    connection: UpstreamConnection,
    opcode: str,
    direction: str,
    payload: bytes,
    info: dict[str, Any] | None = None,
) -> Record:
    """A ping or pong entry: the payload as text when it is UTF-8, else as bytes."""
    text: str | None = None
    data: bytes | None = payload
    try:
        decoded = payload.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if "\x00" not in decoded:  # PostgreSQL text cannot hold NUL
            text, data = decoded, None
    log = connection.log
    log.last_seq += 1
    return Record(
        connection.session_id,
        log.last_seq,
        connection.number,
        opcode,
        direction,
        opcode,
        len(payload),
        text,
        data,
        False,
        info,
    )


class ControlFrames:
    """The pings of one connection: sending ours, logging what arrives."""

    __slots__ = ("connection", "pending")

    def __init__(self, connection: UpstreamConnection) -> None:
        self.connection = connection
        # Payload of each of our pings waiting for its pong -> (seq of the ping, loop time).
        self.pending: dict[bytes, tuple[int, float]] = {}

    def attach(self, ws: ws_client.ClientConnection) -> None:
        if isinstance(ws, ObservedConnection):
            ws.on_control = self.received

    def received(self, opcode: Opcode, payload: bytes) -> None:
        """On the event loop, inside the protocol's data callback: record the frame now, so it
        is numbered in the order it arrived (a message received in the same read is numbered
        when the reader takes it, just after)."""
        connection = self.connection
        if connection.ended:
            return
        ws = connection.ws
        if opcode is Opcode.PING:
            # websockets has already queued its pong with the same payload.
            self._log(control_record(connection, "ping", "in", payload))
            self._log(control_record(connection, "pong", "out", payload, {"automatic": True}))
            return
        ours = self.pending.pop(payload, None)
        if ours is not None:
            seq, sent_at = ours
            rtt = asyncio.get_running_loop().time() - sent_at
            info = {"ping_seq": seq, "rtt_ms": round(rtt * 1000, 3)}
            self._log(control_record(connection, "pong", "in", payload, info))
        elif ws is not None and payload in ws.pending_pings:
            return  # the keepalive's pong: not logged (module docstring)
        else:
            self._log(control_record(connection, "pong", "in", payload, {"unsolicited": True}))

    def _log(self, record: Record) -> None:
        connection = self.connection
        # Queued at once, in seq order (a control frame is at most 125 bytes).
        connection.relay.enqueue_nowait(record)
        if connection.observer is not None:
            connection.observer(record, None)

    async def ping(self, payload: bytes | None, reply_to: str, ref: Any) -> None:
        """Send a ping (``payload`` None: four random bytes, like the library's) and log it;
        the answer carries its seq once stored, its pong is logged with the round-trip time."""
        connection = self.connection
        ws = connection.ws
        if ws is None or ws.state is not State.OPEN or connection.close_intent or connection.ended:
            await connection.relay.reply(
                reply_to,
                reply(ref, False, code="not_connected", detail="The connection is not open."),
            )
            return
        if payload is not None and (payload in self.pending or payload in ws.pending_pings):
            await connection.relay.reply(
                reply_to,
                reply(
                    ref,
                    False,
                    code="ping_pending",
                    detail="A ping with this payload is still waiting for its pong; "
                    "change the payload or wait.",
                ),
            )
            return
        while payload is None or payload in self.pending or payload in ws.pending_pings:
            payload = struct.pack("!I", random.getrandbits(32))
        # Numbered and awaited for before it is written, so its pong always finds it.
        record = control_record(connection, "ping", "out", payload)
        self.pending[payload] = (record.seq, asyncio.get_running_loop().time())
        while len(self.pending) > MAX_PENDING_PINGS:
            del self.pending[next(iter(self.pending))]
        if reply_to:
            answer = reply(
                ref, True, seq=record.seq, connection=connection.number, size=record.size
            )
            record.replies = [(reply_to, answer)]
        await connection.emit(record)
        try:
            waiter = await ws.ping(payload)
        except (ConnectionClosed, ConcurrencyError):
            self.pending.pop(payload, None)
            if not connection.ended:
                await connection.emit(
                    connection.record(
                        "error",
                        text="The connection closed while the ping was being sent.",
                        info={"kind": "send_failed", "seq": record.seq},
                    )
                )
            return
        # Its result is not needed (the pong is logged from the frame); retrieved so a
        # connection that closes first leaves no "exception never retrieved" behind.
        waiter.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
