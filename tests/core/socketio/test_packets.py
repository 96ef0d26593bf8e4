"""Socket.IO and Engine.IO codecs (core/socketio): against Socket.IO's own parsers — Node's
socket.io-parser 4.x (Socket.IO 3/4) and 3.x (Socket.IO 2), and python-socketio's — on the
same packets, and every malformed input refused with a ProtocolError."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from socketio.packet import Packet as TheirPacket  # type: ignore[import-untyped]

from core.socketio import packets
from core.socketio.engine import (
    EnginePacket,
    EngineType,
    EngineVersion,
    ProtocolError,
    decode_engine,
    encode_engine,
    parse_open,
)
from core.socketio.handshake import (
    SocketIOVersion,
    arguments_problem,
    event_name_problem,
    namespace_problem,
    websocket_url,
)
from core.socketio.packets import Packet, PacketType

NODE = Path(__file__).resolve().parents[2] / "node"

CASES: list[Packet] = [
    Packet(PacketType.CONNECT),
    Packet(PacketType.CONNECT, "/chat", {"token": "t", "n": [1, 2]}),
    Packet(PacketType.DISCONNECT, "/chat"),
    Packet(PacketType.EVENT, "/", ["hello", 1, "two", {"3": None}]),
    Packet(PacketType.EVENT, "/chat", ["with ack", "é ü 🚀"], 12),
    Packet(PacketType.ACK, "/", [], 0),
    Packet(PacketType.ACK, "/chat", [{"ok": True}], 7),
    Packet(PacketType.EVENT, "/", ["file", b"\x00\x01\xff", {"nested": [b"", b"xy"]}]),
    Packet(PacketType.ACK, "/chat", [b"\x10"], 4),
    Packet(PacketType.CONNECT_ERROR, "/chat", {"message": "not authorized", "data": {"c": 1}}),
]


def to_wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b64": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


def from_wire(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(value["$b64"])
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


def node_parser(major: str, request: dict[str, Any]) -> dict[str, Any]:
    result = subprocess.run(
        ["node", str(NODE / "socketio_parser.js"), major],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: dict[str, Any] = from_wire(json.loads(result.stdout))
    return answer


def node_packet(packet: Packet, major: str) -> dict[str, Any]:
    """The packet as socket.io-parser takes it: 4.x finds binary data itself, 3.x is told by
    the type (as a Socket.IO 2 socket does)."""
    kind = packet.type
    if major == "2":
        kind = PacketType(int(str(packets.encode(packet)[0])[0]))
    shape: dict[str, Any] = {"type": int(kind), "nsp": packet.namespace}
    if packet.data is not None:
        shape["data"] = to_wire(packet.data)
    if packet.id is not None:
        shape["id"] = packet.id
    return shape


@pytest.mark.parametrize("major", ["4", "2"])
def test_we_encode_and_decode_as_socket_io_parser_does(major: str) -> None:
    cases = CASES if major == "4" else CASES[:-1]  # v2's error packet is a string
    ours = [packets.encode(p) for p in cases]
    theirs = node_parser(
        major,
        {"encode": [node_packet(p, major) for p in cases], "decode": [to_wire(m) for m in ours]},
    )
    assert theirs["encoded"] == ours
    for packet, decoded in zip(cases, theirs["decoded"], strict=True):
        assert decoded["nsp"] == packet.namespace
        assert decoded.get("id") == packet.id
        assert decoded.get("data") == packet.data
    # And theirs decoded by us.
    for packet, messages in zip(cases, theirs["encoded"], strict=True):
        decoder = packets.Decoder()
        results = [decoder.feed(m) for m in messages]
        assert results[:-1] == [None] * (len(messages) - 1)
        decoded_packet = results[-1]
        assert decoded_packet is not None
        assert (decoded_packet.namespace, decoded_packet.id, decoded_packet.data) == (
            packet.namespace,
            packet.id,
            packet.data,
        )


def test_python_socketio_reads_what_we_write_and_we_read_what_it_writes() -> None:
    for packet in CASES:
        if packet.type == PacketType.CONNECT_ERROR:
            continue
        messages = packets.encode(packet)
        theirs = TheirPacket(encoded_packet=messages[0])
        for attachment in messages[1:]:
            theirs.add_attachment(attachment)
        assert (theirs.namespace or "/", theirs.id, theirs.data) == (
            packet.namespace,
            packet.id,
            packet.data,
        )
        kind = {PacketType.BINARY_EVENT: PacketType.EVENT}.get(packet.type, packet.type)
        encoded = TheirPacket(
            int(kind), data=packet.data, namespace=packet.namespace, id=packet.id
        ).encode()
        again = encoded if isinstance(encoded, list) else [encoded]
        decoder = packets.Decoder()
        decoded = [decoder.feed(m) for m in again][-1]
        assert decoded is not None and decoded.data == packet.data


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "Not a Socket.IO packet"),
        ("9", "Not a Socket.IO packet"),
        ("x[]", "Not a Socket.IO packet"),
        ("5-[]", "how many attachments"),
        ("51[]", "how many attachments"),
        ("2[1]", "array starting with its name"),
        ('2{"a":1}', "array starting with its name"),
        ("3/chat,[1]", "needs an id"),
        ("2[oops", "not JSON"),
    ],
)
def test_malformed_packets_are_refused(text: str, problem: str) -> None:
    with pytest.raises(ProtocolError, match=problem):
        packets.Decoder().feed(text)


def test_attachments_must_be_awaited_and_exist() -> None:
    with pytest.raises(ProtocolError, match="no packet waiting"):
        packets.Decoder().feed(b"\x00")
    decoder = packets.Decoder()
    assert decoder.feed('51-["f",{"_placeholder":true,"num":0}]') is None and decoder.waiting
    with pytest.raises(ProtocolError, match="attachments were still due"):
        decoder.feed('2["x"]')
    decoder = packets.Decoder()
    decoder.feed('51-["f",{"_placeholder":true,"num":3}]')
    with pytest.raises(ProtocolError, match="attachment 3"):
        decoder.feed(b"\x00")
    with pytest.raises(ProtocolError, match="cannot carry binary"):
        packets.encode(Packet(PacketType.CONNECT, "/", {"key": b"\x00"}))


@pytest.mark.parametrize("version", list(EngineVersion))
def test_engine_packets_both_versions(version: EngineVersion) -> None:
    for packet in (
        EnginePacket(EngineType.PING),
        EnginePacket(EngineType.PONG, "probe"),
        EnginePacket(EngineType.MESSAGE, '2["a"]'),
        EnginePacket(EngineType.MESSAGE, b"\x00\x04"),
    ):
        assert decode_engine(encode_engine(packet, version), version) == packet
    binary = encode_engine(EnginePacket(EngineType.MESSAGE, b"ab"), version)
    assert binary == (b"\x04ab" if version == EngineVersion.V3 else b"ab")
    with pytest.raises(ProtocolError):
        decode_engine("9", version)
    with pytest.raises(ProtocolError):
        decode_engine("", version)
    with pytest.raises(ProtocolError):
        encode_engine(EnginePacket(EngineType.PING, b"x"), version)
    if version == EngineVersion.V3:
        with pytest.raises(ProtocolError, match="type 4"):
            decode_engine(b"\x02ab", version)


def test_the_open_packet() -> None:
    info = parse_open(
        decode_engine(
            '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,'
            '"maxPayload":1000000}',
            EngineVersion.V4,
        )
    )
    assert (info.sid, info.ping_interval, info.ping_timeout, info.max_payload) == (
        "abc",
        25.0,
        20.0,
        1000000,
    )
    for bad in ("4hello", '0{"sid":1}', "0not json"):
        with pytest.raises(ProtocolError):
            parse_open(decode_engine(bad, EngineVersion.V4))


@pytest.mark.parametrize(
    "url, version, path, expected",
    [
        (
            "http://h:3000",
            SocketIOVersion.V4,
            "/socket.io/",
            "ws://h:3000/socket.io/?EIO=4&transport=websocket",
        ),
        (
            "https://h/app?token=a%20b",
            SocketIOVersion.V2,
            "/socket.io",
            "wss://h/socket.io/?token=a+b&EIO=3&transport=websocket",
        ),
        (
            "ws://h/ignored?EIO=9",
            SocketIOVersion.V4,
            "custom",
            "ws://h/custom/?EIO=4&transport=websocket",
        ),
        ("wss://h", SocketIOVersion.V4, "", "wss://h/socket.io/?EIO=4&transport=websocket"),
    ],
)
def test_websocket_url(url: str, version: SocketIOVersion, path: str, expected: str) -> None:
    assert websocket_url(url, version, path) == expected


def test_websocket_url_needs_a_known_scheme() -> None:
    with pytest.raises(ValueError, match="http://"):
        websocket_url("ftp://h", SocketIOVersion.V4)


def test_what_users_type_is_checked() -> None:
    assert namespace_problem("/") is None and namespace_problem("/chat") is None
    assert "starts with '/'" in (namespace_problem("chat") or "")
    assert namespace_problem("/a,b") and namespace_problem("/a b")
    assert event_name_problem("message") is None
    assert event_name_problem("") and event_name_problem(3)
    assert "reserved" in (event_name_problem("connect") or "")
    assert event_name_problem("x" * 201)
    assert arguments_problem([1, {"a": None}]) is None
    assert "JSON array" in (arguments_problem({"a": 1}) or "")
    assert arguments_problem([float("nan")])
