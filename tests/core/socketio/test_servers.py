"""The Socket.IO client protocol (core/socketio) against servers written by others, each in
a process of its own on loopback: Node's socket.io 4.x and 2.x, and python-socketio. A
``websockets`` connection carries the frames; the state machine decides what they mean and
what to answer (heartbeats included)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from core.socketio.handshake import SocketIOVersion, websocket_url
from core.socketio.protocol import (
    Happening,
    Kind,
    SocketIOProtocol,
    VersionMismatch,
)

ROOT = Path(__file__).resolve().parents[3]
NODE = ROOT / "tests" / "node"

pytestmark = pytest.mark.slow


@dataclass
class Server:
    name: str
    version: SocketIOVersion
    port: int

    def url(self, query: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/" + (f"?{query}" if query else "")


def start(command: list[str]) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("port "), line
    return process, int(line.split()[1])


SERVERS = {
    "node-socket.io-4": (SocketIOVersion.V4, ["node", str(NODE / "socketio_server.js"), "4"]),
    "node-socket.io-2": (SocketIOVersion.V2, ["node", str(NODE / "socketio_server.js"), "2"]),
    "python-socketio": (
        SocketIOVersion.V4,
        [sys.executable, str(Path(__file__).with_name("python_server.py"))],
    ),
}


@pytest.fixture(scope="module", params=list(SERVERS))
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    version, command = SERVERS[request.param]
    process, port = start(command)
    try:
        yield Server(request.param, version, port)
    finally:
        process.kill()
        process.wait(10)


@dataclass
class Driver:
    """What the relay will do with the machine, reduced to a test's needs."""

    ws: ClientConnection
    protocol: SocketIOProtocol
    happened: list[Happening] = field(default_factory=list)
    heartbeat: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, url: str, version: SocketIOVersion) -> Driver:
        ws = await connect(websocket_url(url, version), open_timeout=5)
        driver = cls(ws, SocketIOProtocol(version))
        await driver.until(lambda h: h.kind == Kind.OPEN)
        if version is SocketIOVersion.V2:
            driver.heartbeat = asyncio.create_task(driver._ping_every_interval())
        return driver

    async def _ping_every_interval(self) -> None:
        assert self.protocol.open_info is not None
        while True:
            await asyncio.sleep(self.protocol.open_info.ping_interval)
            await self.apply(self.protocol.heartbeat())

    async def apply(self, output: Any) -> None:
        for frame in output.send:
            await self.ws.send(frame)
        self.happened.extend(output.happened)

    async def until(self, check: Callable[[Happening], bool], within: float = 5) -> Happening:
        async with asyncio.timeout(within):
            while True:
                for happening in self.happened:
                    if check(happening):
                        self.happened.remove(happening)
                        return happening
                await self.apply(self.protocol.receive(await self.ws.recv()))

    async def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await self.ws.close()


def is_event(name: str, namespace: str = "/") -> Callable[[Happening], bool]:
    return lambda h: (
        h.kind == Kind.EVENT
        and h.direction == "in"
        and h.event == name
        and h.namespace == namespace
    )


async def test_namespaces_auth_events_acks_binary_and_a_server_disconnect(server: Server) -> None:
    v2 = server.version is SocketIOVersion.V2
    # v2 has no auth payload: the namespace reads the handshake's query instead.
    driver = await Driver.open(server.url("token=letmein" if v2 else ""), server.version)
    try:
        await driver.apply(driver.protocol.connect("/"))
        connected = await driver.until(lambda h: h.kind == Kind.CONNECT and h.namespace == "/")
        assert v2 or isinstance(connected.detail["sid"], str)
        await driver.until(is_event("welcome"))

        await driver.apply(driver.protocol.connect("/chat", None if v2 else {"token": "letmein"}))
        await driver.until(lambda h: h.kind == Kind.CONNECT and h.namespace == "/chat")
        welcome = await driver.until(is_event("welcome", "/chat"))
        assert welcome.arguments[0]["nsp"] == "/chat"

        arguments = [1, "two", {"three": [3.5, None, True]}]
        ack_id, output = driver.protocol.emit("echo", arguments, namespace="/chat", ack=True)
        await driver.apply(output)
        ack = await driver.until(lambda h: h.kind == Kind.ACK and h.direction == "in")
        assert (ack.ack_id, ack.event, ack.namespace) == (ack_id, "echo", "/chat")
        assert ack.arguments == arguments

        # Binary both ways: an attachment in our emit comes back in the ack.
        ack_id, output = driver.protocol.emit(
            "echo", [b"\x00\xfe", "x"], namespace="/chat", ack=True
        )
        assert len(output.send) == 2  # the text packet, then the attachment
        await driver.apply(output)
        ack = await driver.until(lambda h: h.kind == Kind.ACK and h.ack_id == ack_id)
        assert ack.arguments == [b"\x00\xfe", "x"]

        _, output = driver.protocol.emit("shout", ["hello"], namespace="/chat")
        await driver.apply(output)
        news = await driver.until(is_event("news", "/chat"))
        assert news.arguments == [{"text": "hello"}, b"\x01\x02\x03\xff"]
        assert len(news.raw) == 2 and isinstance(news.raw[1], bytes)

        # Heartbeats: the connection outlives the ping timeout (3 s) only if they are answered.
        await asyncio.sleep(3.5)
        pong = await driver.until(lambda h: h.kind == Kind.PONG)
        assert pong.direction == ("in" if v2 else "out")

        _, output = driver.protocol.emit("bye", [], namespace="/chat")
        await driver.apply(output)
        left = await driver.until(lambda h: h.kind == Kind.DISCONNECT)
        assert (left.namespace, left.direction, left.detail) == ("/chat", "in", "server")
        assert "/chat" not in driver.protocol.connected and "/" in driver.protocol.connected
    finally:
        await driver.close()


async def test_a_refused_namespace_says_why(server: Server) -> None:
    driver = await Driver.open(server.url("token=wrong"), server.version)
    try:
        await driver.apply(
            driver.protocol.connect(
                "/chat", None if server.version is SocketIOVersion.V2 else {"token": "nope"}
            )
        )
        refused = await driver.until(lambda h: h.kind == Kind.CONNECT_ERROR)
        assert refused.namespace == "/chat"
        assert refused.detail["message"] == "not authorized"
        assert "/chat" not in driver.protocol.connected
    finally:
        await driver.close()


async def test_the_wrong_version_fails_clearly(server: Server) -> None:
    if server.version is SocketIOVersion.V4:
        # A 3.x/4.x server refuses Engine.IO 3: python-engineio at the handshake (400, or 403
        # under an ASGI server that closes before accepting), Node's engine.io by breaking the
        # connection before it opens a session.
        with pytest.raises((InvalidStatus, ConnectionClosedError)) as refused:
            await Driver.open(server.url(), SocketIOVersion.V2)
        if isinstance(refused.value, InvalidStatus):
            assert refused.value.response.status_code in (400, 403)
        return
    driver = await Driver.open(server.url(), SocketIOVersion.V4)
    try:
        await driver.apply(driver.protocol.connect("/"))
        with pytest.raises(VersionMismatch, match="v2"):
            await driver.until(lambda h: h.kind == Kind.CONNECT)
    finally:
        await driver.close()
