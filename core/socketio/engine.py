"""Engine.IO packets over the WebSocket transport, versions 3 and 4.

One WebSocket message is one Engine.IO packet. A text message is the packet type's digit and
its data (``4hello`` is a message, ``2`` a ping). A binary message carries a ``message``
packet: raw in version 4, after a ``0x04`` type byte in version 3.

Heartbeats differ: in version 4 the server pings and the client answers each ``2`` with a
``3``; in version 3 the client pings every ``pingInterval`` and the server answers.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any


class ProtocolError(ValueError):
    """A frame that is not valid for the protocol version spoken."""


class EngineVersion(enum.IntEnum):
    V3 = 3  # Socket.IO 2.x servers
    V4 = 4  # Socket.IO 3.x and 4.x servers


class EngineType(enum.IntEnum):
    OPEN = 0
    CLOSE = 1
    PING = 2
    PONG = 3
    MESSAGE = 4
    UPGRADE = 5
    NOOP = 6


@dataclass(frozen=True)
class EnginePacket:
    type: EngineType
    data: str | bytes = ""


@dataclass(frozen=True)
class OpenInfo:
    """What the server's ``open`` packet says about the connection."""

    sid: str
    ping_interval: float  # seconds
    ping_timeout: float  # seconds
    max_payload: int | None


def encode_engine(packet: EnginePacket, version: EngineVersion) -> str | bytes:
    if isinstance(packet.data, bytes):
        if packet.type != EngineType.MESSAGE:
            raise ProtocolError("Only message packets can carry binary data.")
        if version == EngineVersion.V3:
            return bytes([EngineType.MESSAGE]) + packet.data
        return packet.data
    return f"{int(packet.type)}{packet.data}"


def decode_engine(frame: str | bytes, version: EngineVersion) -> EnginePacket:
    if isinstance(frame, bytes):
        if version == EngineVersion.V4:
            return EnginePacket(EngineType.MESSAGE, frame)
        if not frame or frame[0] != EngineType.MESSAGE:
            raise ProtocolError("A binary Engine.IO 3 frame must start with the message type 4.")
        return EnginePacket(EngineType.MESSAGE, frame[1:])
    if not frame or not frame[0].isdigit():
        raise ProtocolError(f"Not an Engine.IO packet: {frame[:40]!r}.")
    digit = int(frame[0])
    if digit > max(EngineType):
        raise ProtocolError(f"Unknown Engine.IO packet type {digit}.")
    return EnginePacket(EngineType(digit), frame[1:])


def parse_open(packet: EnginePacket) -> OpenInfo:
    """The server's first packet; anything else means the peer is not an Engine.IO server."""
    if packet.type != EngineType.OPEN or not isinstance(packet.data, str):
        raise ProtocolError("The server did not open an Engine.IO session.")
    try:
        data: Any = json.loads(packet.data)
        return OpenInfo(
            sid=str(data["sid"]),
            ping_interval=float(data["pingInterval"]) / 1000,
            ping_timeout=float(data["pingTimeout"]) / 1000,
            max_payload=int(data["maxPayload"]) if "maxPayload" in data else None,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError(f"The server's open packet is malformed: {exc}.") from exc
