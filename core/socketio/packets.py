"""Socket.IO packets: encoding, decoding and binary attachments.

Two protocol revisions: 5 (Socket.IO 3.x and 4.x servers, over Engine.IO 4) and 4 (Socket.IO
2.x, over Engine.IO 3). Both encode a packet as text::

    <type>[<attachments>-][<namespace>,][<ack id>][<JSON data>]

the namespace only when it is not ``/``. Binary values inside the data travel as
``{"_placeholder": true, "num": n}`` and follow the text as ``n`` binary messages, in order.
They differ in the handshake: in revision 5 the client sends ``CONNECT`` for every namespace
(with an optional ``auth`` object) and an error is ``CONNECT_ERROR`` with
``{"message": ...}``; in revision 4 the server connects ``/`` by itself, other namespaces take
no payload, and type 4 is a plain ``ERROR`` whose data may be a string.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from core.socketio.engine import ProtocolError


class PacketType(enum.IntEnum):
    CONNECT = 0
    DISCONNECT = 1
    EVENT = 2
    ACK = 3
    CONNECT_ERROR = 4  # ERROR in revision 4
    BINARY_EVENT = 5
    BINARY_ACK = 6


BINARY_TYPES = (PacketType.BINARY_EVENT, PacketType.BINARY_ACK)
# Attachments a packet may announce: a client holds them until the last one arrives.
MAX_ATTACHMENTS = 1000


@dataclass
class Packet:
    type: PacketType
    namespace: str = "/"
    data: Any = None  # None: no data at all (a JSON null is never sent alone)
    id: int | None = None
    # The binary messages that followed the text, already put back in ``data``.
    attachments: list[bytes] = field(default_factory=list)

    @property
    def event(self) -> str | None:
        if self.type in (PacketType.EVENT, PacketType.BINARY_EVENT) and self.data:
            name = self.data[0]
            return name if isinstance(name, str) else None
        return None

    @property
    def arguments(self) -> list[Any]:
        if self.type in (PacketType.EVENT, PacketType.BINARY_EVENT):
            return list(self.data[1:]) if isinstance(self.data, list) else []
        if self.type in (PacketType.ACK, PacketType.BINARY_ACK):
            return list(self.data) if isinstance(self.data, list) else []
        return []


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _deconstruct(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        attachments.append(bytes(value))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(value, list | tuple):
        return [_deconstruct(item, attachments) for item in value]
    if isinstance(value, dict):
        return {key: _deconstruct(item, attachments) for key, item in value.items()}
    return value


def _reconstruct(value: Any, attachments: list[bytes]) -> Any:
    if isinstance(value, list):
        return [_reconstruct(item, attachments) for item in value]
    if isinstance(value, dict):
        if value.get("_placeholder") is True and isinstance(value.get("num"), int):
            number = value["num"]
            if not 0 <= number < len(attachments):
                raise ProtocolError(f"A placeholder names attachment {number}, which is missing.")
            return attachments[number]
        return {key: _reconstruct(item, attachments) for key, item in value.items()}
    return value


def with_placeholders(value: Any) -> Any:
    """``value`` as JSON can show it: each binary value replaced by the placeholder that names
    its attachment (``{"_placeholder": true, "num": n}``), numbered as ``encode`` numbers them."""
    return _deconstruct(value, [])


def encode(packet: Packet) -> list[str | bytes]:
    """The text message, then one binary message per attachment. An event or ack whose data
    holds ``bytes`` becomes a binary event or ack."""
    attachments: list[bytes] = []
    data = None if packet.data is None else _deconstruct(packet.data, attachments)
    kind = packet.type
    if attachments and kind == PacketType.EVENT:
        kind = PacketType.BINARY_EVENT
    elif attachments and kind == PacketType.ACK:
        kind = PacketType.BINARY_ACK
    elif attachments and kind not in BINARY_TYPES:
        raise ProtocolError(f"A {kind.name} packet cannot carry binary data.")
    text = str(int(kind))
    if kind in BINARY_TYPES:
        text += f"{len(attachments)}-"
    if packet.namespace != "/":
        text += packet.namespace + ","
    if packet.id is not None:
        text += str(packet.id)
    if data is not None:
        text += _compact(data)
    return [text, *attachments]


def decode_text(text: str) -> tuple[Packet, int]:
    """A packet's text part and how many binary attachments are still to come."""
    if not text or not text[0].isdigit() or int(text[0]) > max(PacketType):
        raise ProtocolError(f"Not a Socket.IO packet: {text[:40]!r}.")
    kind = PacketType(int(text[0]))
    position = 1
    expected = 0
    if kind in BINARY_TYPES:
        dash = text.find("-", position)
        count = text[position:dash] if dash > 0 else ""
        if not count.isdigit():
            raise ProtocolError("A binary packet must say how many attachments follow.")
        expected = int(count)
        if expected > MAX_ATTACHMENTS:
            raise ProtocolError(f"A packet may carry at most {MAX_ATTACHMENTS} attachments.")
        position = dash + 1
    namespace = "/"
    if position < len(text) and text[position] == "/":
        comma = text.find(",", position)
        end = len(text) if comma < 0 else comma
        namespace = text[position:end]
        position = end + 1
    start = position
    while position < len(text) and text[position].isdigit():
        position += 1
    ack_id = int(text[start:position]) if position > start else None
    data = None
    if position < len(text):
        try:
            data = json.loads(text[position:])
        except ValueError as exc:
            raise ProtocolError(f"The packet's data is not JSON: {exc}.") from exc
    packet = Packet(kind, namespace, data, ack_id)
    _check_shape(packet)
    return packet, expected


def _check_shape(packet: Packet) -> None:
    if packet.type in (PacketType.EVENT, PacketType.BINARY_EVENT) and not (
        isinstance(packet.data, list) and packet.data and isinstance(packet.data[0], str)
    ):
        raise ProtocolError("An event's data must be an array starting with its name.")
    if packet.type in (PacketType.ACK, PacketType.BINARY_ACK) and (
        not isinstance(packet.data, list) or packet.id is None
    ):
        raise ProtocolError("An acknowledgement needs an id and an array of arguments.")


def arguments_of(message: str) -> list[Any] | None:
    """The arguments of an event or acknowledgement in an Engine.IO text message as it
    travelled (binary arguments as their placeholders); None for any other message."""
    if not message.startswith("4"):  # an Engine.IO message, in either version
        return None
    try:
        packet, _ = decode_text(message[1:])
    except ProtocolError:
        return None
    if packet.type in (PacketType.CONNECT, PacketType.DISCONNECT, PacketType.CONNECT_ERROR):
        return None
    return packet.arguments


class Decoder:
    """Turns the Engine.IO messages of a connection into packets, waiting for attachments."""

    def __init__(self) -> None:
        self._pending: Packet | None = None
        self._expected = 0

    @property
    def waiting(self) -> bool:
        return self._pending is not None

    def feed(self, message: str | bytes) -> Packet | None:
        if isinstance(message, bytes):
            if self._pending is None:
                raise ProtocolError("A binary message arrived with no packet waiting for it.")
            self._pending.attachments.append(message)
            if len(self._pending.attachments) < self._expected:
                return None
            return self._complete()
        if self._pending is not None:
            raise ProtocolError("A text packet arrived while attachments were still due.")
        packet, expected = decode_text(message)
        if expected == 0:
            if packet.type in BINARY_TYPES:
                packet.data = _reconstruct(packet.data, [])
            return packet
        self._pending, self._expected = packet, expected
        return None

    def _complete(self) -> Packet:
        packet = self._pending
        assert packet is not None
        self._pending, self._expected = None, 0
        packet.data = _reconstruct(packet.data, packet.attachments)
        return packet
