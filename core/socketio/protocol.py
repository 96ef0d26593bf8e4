"""The client side of a Socket.IO connection as a state machine without I/O.

The caller owns the WebSocket: it hands every received message to ``receive`` and sends the
frames the machine returns, and it asks the machine for frames to connect a namespace, emit an
event or answer an acknowledgement. Each call returns ``Output``: frames to send and
``Happening`` records of what took place, which the relay turns into log entries. So the relay
keeps its one loop per upstream connection, and this module is tested without a network.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from core.socketio import packets
from core.socketio.engine import (
    EnginePacket,
    EngineType,
    OpenInfo,
    ProtocolError,
    decode_engine,
    encode_engine,
    parse_open,
)
from core.socketio.handshake import SocketIOVersion
from core.socketio.packets import Packet, PacketType


class VersionMismatch(ProtocolError):
    """The server speaks another Socket.IO version than the one chosen."""


class Kind(enum.StrEnum):
    OPEN = "engine_open"  # the Engine.IO session: sid, heartbeat
    PING = "ping"  # Engine.IO heartbeats, hideable in the log
    PONG = "pong"
    CONNECT = "connect"  # a namespace connected
    CONNECT_ERROR = "connect_error"  # a namespace refused (the server's reason)
    DISCONNECT = "disconnect"  # a namespace left, by either side
    EVENT = "event"  # an event, either way
    ACK = "ack"  # an acknowledgement, either way
    CLOSE = "engine_close"  # the server closed the Engine.IO session


@dataclass
class Happening:
    kind: Kind
    direction: str  # "in" (from the server) or "out"
    namespace: str = "/"
    event: str | None = None
    arguments: list[Any] = field(default_factory=list)
    ack_id: int | None = None  # an event asking for an ack, or the ack answering one
    detail: Any = None  # open info, connect data, an error's message and data
    # The Engine.IO message(s) as they travelled: the text, then any binary attachments.
    raw: list[str | bytes] = field(default_factory=list)


@dataclass
class Output:
    send: list[str | bytes] = field(default_factory=list)
    happened: list[Happening] = field(default_factory=list)

    def extend(self, other: Output) -> Output:
        self.send.extend(other.send)
        self.happened.extend(other.happened)
        return self


class Peer:
    """What both ends of a Socket.IO connection do alike: emit events, answer acks, leave a
    namespace, and turn packets into Engine.IO messages. ``side`` names who leaves in a
    DISCONNECT this end sends."""

    side = "client"

    def __init__(self, version: SocketIOVersion) -> None:
        self.version = version
        self.engine = version.engine
        self.connected: dict[str, str | None] = {}  # namespace -> its sid (None in revision 4)
        self.pending_connects: set[str] = set()
        self.awaiting_acks: dict[int, tuple[str, str]] = {}  # our ack id -> (namespace, event)
        self._next_ack = 0
        self._decoder = packets.Decoder()
        self._raw: list[str | bytes] = []

    def disconnect(self, namespace: str = "/") -> Output:
        self.connected.pop(namespace, None)
        output = self._out(Packet(PacketType.DISCONNECT, namespace))
        output.happened.append(
            Happening(Kind.DISCONNECT, "out", namespace, detail=self.side, raw=list(output.send))
        )
        return output

    def emit(
        self, event: str, arguments: list[Any], *, namespace: str = "/", ack: bool = False
    ) -> tuple[int | None, Output]:
        ack_id = None
        if ack:
            ack_id = self._next_ack
            self._next_ack += 1
            self.awaiting_acks[ack_id] = (namespace, event)
        output = self._out(Packet(PacketType.EVENT, namespace, [event, *arguments], ack_id))
        output.happened.append(
            Happening(
                Kind.EVENT,
                "out",
                namespace,
                event=event,
                arguments=list(arguments),
                ack_id=ack_id,
                raw=list(output.send),
            )
        )
        return ack_id, output

    def answer(self, ack_id: int, arguments: list[Any], *, namespace: str = "/") -> Output:
        """Acknowledges an event the other end sent with an ack id."""
        output = self._out(Packet(PacketType.ACK, namespace, list(arguments), ack_id))
        output.happened.append(
            Happening(
                Kind.ACK,
                "out",
                namespace,
                arguments=list(arguments),
                ack_id=ack_id,
                raw=list(output.send),
            )
        )
        return output

    def forget_ack(self, ack_id: int) -> tuple[str, str] | None:
        """An ack that timed out: no longer expected."""
        return self.awaiting_acks.pop(ack_id, None)

    def _message_in(self, packet: Packet, raw: list[str | bytes]) -> Output:
        """An event from the other end, or its ack of one of our emits."""
        if packet.type in (PacketType.EVENT, PacketType.BINARY_EVENT):
            event = Happening(
                Kind.EVENT,
                "in",
                packet.namespace,
                event=packet.event,
                arguments=packet.arguments,
                ack_id=packet.id,
                raw=raw,
            )
            return Output(happened=[event])
        assert packet.id is not None
        origin = self.awaiting_acks.pop(packet.id, None)
        ack = Happening(
            Kind.ACK,
            "in",
            packet.namespace,
            event=origin[1] if origin else None,
            arguments=packet.arguments,
            ack_id=packet.id,
            raw=raw,
        )
        return Output(happened=[ack])

    def _out(self, packet: Packet) -> Output:
        frames: list[str | bytes] = []
        for part in packets.encode(packet):
            frames.append(encode_engine(EnginePacket(EngineType.MESSAGE, part), self.engine))
        return Output(frames)


class SocketIOProtocol(Peer):
    def __init__(self, version: SocketIOVersion) -> None:
        super().__init__(version)
        self.open_info: OpenInfo | None = None

    @property
    def buffering(self) -> bool:
        """A packet's attachments are still due: the frames received so far wait for them."""
        return self._decoder.waiting

    # --- what the caller asks for -----------------------------------------------------

    def connect(self, namespace: str = "/", auth: dict[str, Any] | None = None) -> Output:
        """Frames that connect ``namespace``. Revision 4 connects ``/`` by itself and takes no
        ``auth``; a refused namespace comes back as a CONNECT_ERROR happening."""
        if self.version is SocketIOVersion.V2:
            if auth:
                raise ProtocolError("Socket.IO v2 has no auth payload; use the query instead.")
            if namespace == "/":
                return Output()
        self.pending_connects.add(namespace)
        packet = Packet(PacketType.CONNECT, namespace, auth if auth else None)
        if self.version is SocketIOVersion.V2:
            packet.data = None
        return self._out(packet)

    def heartbeat(self) -> Output:
        """Engine.IO 3 only: the client's ping, every ``open_info.ping_interval`` seconds."""
        frame = encode_engine(EnginePacket(EngineType.PING), self.engine)
        return Output([frame], [Happening(Kind.PING, "out", raw=[frame])])

    # --- what the server sent ---------------------------------------------------------

    def receive(self, frame: str | bytes) -> Output:
        engine_packet = decode_engine(frame, self.engine)
        if self.open_info is None:
            self.open_info = parse_open(engine_packet)
            return Output(happened=[Happening(Kind.OPEN, "in", detail=self.open_info, raw=[frame])])
        kind = engine_packet.type
        if kind == EngineType.PING:
            # Engine.IO 4: the server's heartbeat, answered with the same data.
            pong = encode_engine(EnginePacket(EngineType.PONG, engine_packet.data), self.engine)
            return Output(
                [pong],
                [
                    Happening(Kind.PING, "in", raw=[frame]),
                    Happening(Kind.PONG, "out", raw=[pong]),
                ],
            )
        if kind == EngineType.PONG:
            return Output(happened=[Happening(Kind.PONG, "in", raw=[frame])])
        if kind == EngineType.CLOSE:
            self.connected.clear()
            return Output(happened=[Happening(Kind.CLOSE, "in", raw=[frame])])
        if kind != EngineType.MESSAGE:
            return Output()  # noop, upgrade: nothing to do over a WebSocket
        self._raw.append(frame)
        packet = self._decoder.feed(engine_packet.data)
        if packet is None:
            return Output()
        raw, self._raw = self._raw, []
        return self._packet(packet, raw)

    def _packet(self, packet: Packet, raw: list[str | bytes]) -> Output:
        namespace = packet.namespace
        kind = packet.type
        if kind == PacketType.CONNECT:
            sid = packet.data.get("sid") if isinstance(packet.data, dict) else None
            if self.version is SocketIOVersion.V4 and sid is None:
                # Revision 5 answers every CONNECT with the socket's sid; revision 4 servers
                # connect "/" unasked and say nothing.
                raise VersionMismatch(
                    "The server speaks Socket.IO v2 (protocol revision 4); choose version v2."
                )
            self.pending_connects.discard(namespace)
            self.connected[namespace] = sid
            return Output(
                happened=[Happening(Kind.CONNECT, "in", namespace, detail=packet.data, raw=raw)]
            )
        if kind == PacketType.CONNECT_ERROR:
            self.pending_connects.discard(namespace)
            self.connected.pop(namespace, None)
            return Output(
                happened=[
                    Happening(
                        Kind.CONNECT_ERROR, "in", namespace, detail=_error(packet.data), raw=raw
                    )
                ]
            )
        if kind == PacketType.DISCONNECT:
            self.connected.pop(namespace, None)
            return Output(
                happened=[Happening(Kind.DISCONNECT, "in", namespace, detail="server", raw=raw)]
            )
        return self._message_in(packet, raw)


def _error(data: Any) -> dict[str, Any]:
    """A refusal's reason, whatever the revision: ``{"message": ..., "data": ...}``."""
    if isinstance(data, dict):
        return {"message": str(data.get("message", "")), "data": data.get("data")}
    if isinstance(data, str):
        return {"message": data, "data": None}
    return {"message": "", "data": data}
