"""Raw HTTP/1.1 and WebSocket clients over a plain socket, for tests that must send what a
well-behaved client library refuses to: invalid UTF-8 in a text frame, an oversized frame,
a request line with ``../`` or an encoded line break, a body that is not what its
Content-Type says. Loopback only; every call has a timeout.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Any

TIMEOUT = 15.0


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # lower-case names; a repeated header keeps its last value
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before the response head: {data[:200]!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return status, headers


def http(
    port: int,
    method: str,
    target: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str | None = None,
) -> Reply:
    """One request on its own connection, sent byte for byte as given (``target`` unescaped)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", errors="surrogateescape") + body
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        head, rest = _read_head(sock)
        status, raw_headers = _parse_head(head)
        chunks = [rest]
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    body_bytes = b"".join(chunks)
    headers_map = dict(raw_headers)
    if headers_map.get("transfer-encoding", "").lower() == "chunked":
        body_bytes = _dechunk(body_bytes)
    return Reply(status, headers_map, body_bytes, raw_headers)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return out


class Closed(Exception):
    """The server closed the WebSocket; ``code`` is its close code (None: no close frame)."""

    def __init__(self, code: int | None, reason: str = "") -> None:
        super().__init__(f"closed with {code} {reason!r}")
        self.code = code
        self.reason = reason


class RawWebSocket:
    """A WebSocket client that sends frames exactly as told (masked, as a client must)."""

    CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

    def __init__(self, port: int, path: str, headers: dict[str, str] | None = None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head, self.buffer = _read_head(self.sock)
        self.status, _ = _parse_head(head)

    @property
    def accepted(self) -> bool:
        return self.status == 101

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """One frame; ``fin=False`` for all but the last fragment of a fragmented message."""
        mask = os.urandom(4)
        length = len(payload)
        first = (0x80 if fin else 0) | opcode
        if length < 126:
            header = struct.pack("!BB", first, 0x80 | length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", first, 0x80 | 126, length)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, length)
        # XOR with the repeated 4-byte key, done on one big integer (fast for MiB frames).
        key = (mask * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(
            length, "big"
        )
        # The server may close while a large frame is still being written.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(header + mask + masked)

    def send_text(self, text: str | bytes) -> None:
        self.send_frame(self.TEXT, text.encode() if isinstance(text, str) else text)

    def send_json(self, message: Any) -> None:
        self.send_text(json.dumps(message))

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(None, "connection dropped")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def recv_frame(self) -> tuple[int, bytes]:
        first, second = self._exactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._exactly(8))
        return opcode, self._exactly(length)

    def recv(self) -> tuple[int, bytes]:
        """The next data message; answers pings; raises Closed on a close frame."""
        while True:
            opcode, payload = self.recv_frame()
            if opcode == self.PING:
                self.send_frame(self.PONG, payload)
            elif opcode == self.CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(code, payload[2:].decode("utf-8", errors="replace"))
            elif opcode in (self.TEXT, self.BINARY):
                return opcode, payload

    def recv_json(self) -> Any:
        opcode, payload = self.recv()
        assert opcode == self.TEXT, (opcode, payload[:200])
        return json.loads(payload)

    def close_code(self) -> int | None:
        """Read until the server closes; its close code."""
        try:
            while True:
                self.recv()
        except Closed as closed:
            return closed.code
        except (TimeoutError, OSError):
            return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send_frame(self.CLOSE, struct.pack("!H", 1000))
        self.sock.close()
