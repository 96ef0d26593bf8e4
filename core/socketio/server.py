"""The server side of a Socket.IO connection as a state machine without I/O (the mirror of
``protocol``, which is the client side).

The caller owns the accepted WebSocket: it sends the frames of ``open()``, hands every
received message to ``receive`` and sends what comes back, and asks the machine to accept or
refuse a namespace the client asked for, emit events, answer acknowledgements and disconnect.
Heartbeats: with Engine.IO 4 the caller sends ``ping()`` every ping interval and gives up when
``missed_heartbeat()`` is still true a ping timeout later; with Engine.IO 3 the client pings,
the machine answers, and the caller gives up when ``missed_heartbeat()`` is true after a ping
interval plus timeout.

A namespace request arrives as a ``CONNECT`` happening with direction "in" (``detail``: the v4
auth payload); the caller answers it with ``accept`` or ``refuse``. Revision 4 (Socket.IO v2)
connects "/" by itself in ``open()``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from core.socketio import packets
from core.socketio.engine import (
    EnginePacket,
    EngineType,
    ProtocolError,
    decode_engine,
    encode_engine,
)
from core.socketio.handshake import SocketIOVersion
from core.socketio.packets import Packet, PacketType
from core.socketio.protocol import Happening, Kind, Output, Peer

DEFAULT_MAX_PAYLOAD = 1_000_000


class SocketIOServer(Peer):
    side = "server"

    def __init__(
        self,
        version: SocketIOVersion,
        *,
        sid: str | None = None,
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_payload: int = DEFAULT_MAX_PAYLOAD,
    ) -> None:
        super().__init__(version)
        self.sid = sid or secrets.token_urlsafe(15)
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_payload = max_payload
        self.closed = False
        # The event whose binary attachments are still due (its text part has arrived).
        self.awaiting: str | None = None
        self._heartbeat_due = False

    # --- what the caller asks for -----------------------------------------------------

    def open(self) -> Output:
        """The Engine.IO open packet; revision 4 connects "/" right after it."""
        info: dict[str, Any] = {
            "sid": self.sid,
            "upgrades": [],
            "pingInterval": round(self.ping_interval * 1000),
            "pingTimeout": round(self.ping_timeout * 1000),
        }
        if self.version is SocketIOVersion.V4:
            info["maxPayload"] = self.max_payload
        frame = encode_engine(
            EnginePacket(EngineType.OPEN, json.dumps(info, separators=(",", ":"))), self.engine
        )
        detail = {
            "sid": self.sid,
            "ping_interval": self.ping_interval,
            "ping_timeout": self.ping_timeout,
        }
        output = Output([frame], [Happening(Kind.OPEN, "out", detail=detail, raw=[frame])])
        # In Engine.IO 3 the client pings first: until it does, a heartbeat is missing.
        self._heartbeat_due = self.version is SocketIOVersion.V2
        if self.version is SocketIOVersion.V2:
            output.extend(self.accept("/"))
        return output

    def accept(self, namespace: str) -> Output:
        """Connect ``namespace`` (asked for, or "/" of revision 4 by itself)."""
        self.pending_connects.discard(namespace)
        if self.version is SocketIOVersion.V2:
            self.connected[namespace] = f"{namespace}#{self.sid}"
            packet = Packet(PacketType.CONNECT, namespace)
        else:
            self.connected[namespace] = secrets.token_urlsafe(15)
            packet = Packet(PacketType.CONNECT, namespace, {"sid": self.connected[namespace]})
        output = self._out(packet)
        output.happened.append(
            Happening(Kind.CONNECT, "out", namespace, detail=packet.data, raw=list(output.send))
        )
        return output

    def refuse(self, namespace: str, message: str, data: Any = None) -> Output:
        """Refuse a namespace: revision 5's CONNECT_ERROR ``{"message", "data"}``, revision
        4's ERROR with the message alone (as Socket.IO 2 servers send it)."""
        self.pending_connects.discard(namespace)
        self.connected.pop(namespace, None)
        if self.version is SocketIOVersion.V2:
            body: Any = message
        else:
            body = {"message": message} if data is None else {"message": message, "data": data}
        output = self._out(Packet(PacketType.CONNECT_ERROR, namespace, body))
        output.happened.append(
            Happening(
                Kind.CONNECT_ERROR,
                "out",
                namespace,
                detail={"message": message, "data": data},
                raw=list(output.send),
            )
        )
        return output

    def close(self) -> Output:
        """Every namespace left and the Engine.IO session closed; the caller then closes the
        WebSocket."""
        output = Output()
        for namespace in list(self.connected):
            output.extend(self.disconnect(namespace))
        frame = encode_engine(EnginePacket(EngineType.CLOSE), self.engine)
        self.closed = True
        output.send.append(frame)
        output.happened.append(Happening(Kind.CLOSE, "out", raw=[frame]))
        return output

    def ping(self) -> Output:
        """Engine.IO 4: the server's heartbeat, every ping interval."""
        if self.version is not SocketIOVersion.V4:
            raise ProtocolError("In Engine.IO 3 the client pings, not the server.")
        self._heartbeat_due = True
        frame = encode_engine(EnginePacket(EngineType.PING), self.engine)
        return Output([frame], [Happening(Kind.PING, "out", raw=[frame])])

    def missed_heartbeat(self) -> bool:
        """Engine.IO 4: the last ping is still unanswered. Engine.IO 3: no ping came since the
        previous check (which starts the next period)."""
        missed = self._heartbeat_due
        if self.version is SocketIOVersion.V2:
            self._heartbeat_due = True
        return missed

    # --- what the client sent ---------------------------------------------------------

    def receive(self, frame: str | bytes) -> Output:
        engine_packet = decode_engine(frame, self.engine)
        kind = engine_packet.type
        if kind == EngineType.PING:
            # Engine.IO 3: the client's heartbeat, answered with the same data ("probe" too).
            self._heartbeat_due = False
            pong = encode_engine(EnginePacket(EngineType.PONG, engine_packet.data), self.engine)
            return Output(
                [pong],
                [
                    Happening(Kind.PING, "in", raw=[frame]),
                    Happening(Kind.PONG, "out", raw=[pong]),
                ],
            )
        if kind == EngineType.PONG:
            self._heartbeat_due = False
            return Output(happened=[Happening(Kind.PONG, "in", raw=[frame])])
        if kind == EngineType.CLOSE:
            self.connected.clear()
            self.closed = True
            return Output(happened=[Happening(Kind.CLOSE, "in", raw=[frame])])
        if kind != EngineType.MESSAGE:
            return Output()  # noop, upgrade: nothing to do over a WebSocket
        self._raw.append(frame)
        packet = self._decoder.feed(engine_packet.data)
        if packet is None:
            if isinstance(engine_packet.data, str):
                self.awaiting = packets.decode_text(engine_packet.data)[0].event
            return Output()
        self.awaiting = None
        raw, self._raw = self._raw, []
        return self._packet(packet, raw)

    def _packet(self, packet: Packet, raw: list[str | bytes]) -> Output:
        # A revision 4 client may add the handshake's query to a namespace: "/chat?token=x".
        namespace = packet.namespace.split("?", 1)[0] or "/"
        kind = packet.type
        if kind == PacketType.CONNECT:
            self.pending_connects.add(namespace)
            auth = packet.data if self.version is SocketIOVersion.V4 else None
            return Output(happened=[Happening(Kind.CONNECT, "in", namespace, detail=auth, raw=raw)])
        if kind == PacketType.DISCONNECT:
            self.connected.pop(namespace, None)
            return Output(
                happened=[Happening(Kind.DISCONNECT, "in", namespace, detail="client", raw=raw)]
            )
        if kind == PacketType.CONNECT_ERROR:
            raise ProtocolError("A client never sends CONNECT_ERROR.")
        return self._message_in(packet, raw)
