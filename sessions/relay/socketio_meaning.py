"""What the relay's Socket.IO client makes of packets: the ``info["sio"]`` of a record, emit
arguments as members write them, and why a connection that never became a Socket.IO one failed
(sessions.relay.socketio uses these)."""

from __future__ import annotations

import base64
from typing import Any

from core.socketio.engine import OpenInfo
from core.socketio.handshake import SocketIOVersion
from core.socketio.packets import with_placeholders
from core.socketio.protocol import Happening, Kind
from sessions.models import FailureKind
from sessions.relay.connect import Failure


def decoded_arguments(arguments: list[Any]) -> list[Any]:
    """Emit arguments as given in JSON: ``{"$binary": "<base64>"}`` is a binary attachment."""

    def decode(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"$binary"} and isinstance(value["$binary"], str):
                return base64.b64decode(value["$binary"], validate=True)
            return {key: decode(item) for key, item in value.items()}
        if isinstance(value, list):
            return [decode(item) for item in value]
        return value

    return [decode(item) for item in arguments]


def happening_info(happening: Happening) -> dict[str, Any]:
    """What a packet meant, as its record's ``info["sio"]`` keeps it."""
    kind = happening.kind
    if kind is Kind.OPEN:
        open_info: OpenInfo = happening.detail
        return {
            "type": "open",
            "sid": open_info.sid,
            "ping_interval": open_info.ping_interval,
            "ping_timeout": open_info.ping_timeout,
        }
    if kind in (Kind.PING, Kind.PONG, Kind.CLOSE):
        return {"type": "close" if kind is Kind.CLOSE else kind.value}
    info: dict[str, Any] = {"type": kind.value, "namespace": happening.namespace}
    if kind is Kind.CONNECT:
        info["data"] = happening.detail
    elif kind is Kind.CONNECT_ERROR:
        info.update(happening.detail)
    elif kind is Kind.DISCONNECT:
        info["by"] = happening.detail
    else:
        info["args"] = with_placeholders(happening.arguments)
        info["ack_id"] = happening.ack_id
        if kind is Kind.EVENT or happening.event is not None:
            info["event"] = happening.event
    return info


def explained_failure(failure: Failure, version: str) -> Failure:
    """A refused handshake that is really a version mismatch, said so. A Socket.IO 3/4 server
    refuses an Engine.IO 3 (v2) client's handshake: python-engineio answers 400 "Unsupported
    protocol version", or 403 with no body under an ASGI server that closes before accepting."""
    response = failure.response
    if failure.kind != FailureKind.HANDSHAKE or response is None or version != SocketIOVersion.V2:
        return failure
    body = bytes(response.body or b"")[:2048]
    if b"Unsupported protocol version" not in body and (
        body.strip() or response.status_code not in (400, 403)
    ):
        return failure
    detail = (
        f"The server refused the Socket.IO v2 (Engine.IO 3) handshake with HTTP "
        f"{response.status_code}: Socket.IO 3 and 4 servers refuse v2 clients; choose version v4."
    )
    return Failure(FailureKind.SOCKETIO_VERSION, detail, response)


def unopened_detail(version: str) -> tuple[str, str]:
    """Why a WebSocket that closed before its Engine.IO session opened failed: (kind, detail)."""
    if version == SocketIOVersion.V2:
        return (
            FailureKind.SOCKETIO_VERSION,
            "The server closed the connection before opening an Engine.IO session: Socket.IO 3 "
            "and 4 servers do that to v2 (Engine.IO 3) clients; choose version v4.",
        )
    return (
        FailureKind.PROTOCOL,
        "The server closed the connection before opening an Engine.IO session: is it a "
        "Socket.IO server, at this path?",
    )
