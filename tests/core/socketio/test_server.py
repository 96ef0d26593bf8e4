"""The Socket.IO server protocol (core/socketio/server.py) against clients written by others,
each in a process of its own: Node's socket.io-client 4.x and 2.x (tests/node/sio_client.js)
and python-socketio's AsyncClient (python_client.py). A ``websockets`` server on loopback
carries the frames; the state machine decides what they mean (heartbeats included) and a small
application answers: welcome on connect, echo with an ack, a binary broadcast, a question the
client acknowledges, refusals, and a server disconnect."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from core.socketio.engine import ProtocolError
from core.socketio.handshake import SocketIOVersion
from core.socketio.protocol import Happening, Kind, Output
from core.socketio.server import SocketIOServer

ROOT = Path(__file__).resolve().parents[3]
NODE = ROOT / "tests" / "node"
PING_INTERVAL, PING_TIMEOUT = 0.5, 1.0

pytestmark = pytest.mark.slow

CLIENTS = {
    "node-socket.io-client-4": ["node", str(NODE / "sio_client.js"), "4"],
    "node-socket.io-client-2": ["node", str(NODE / "sio_client.js"), "2"],
    "python-socketio": [sys.executable, str(Path(__file__).with_name("python_client.py"))],
}


@dataclass
class App:
    """What a Socket.IO application does with the machine, reduced to a test's needs."""

    happened: list[Happening] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def serve(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path if ws.request else "").query)
        version = SocketIOVersion.V2 if query.get("EIO") == ["3"] else SocketIOVersion.V4
        token = query["token"][0] if query.get("token") else None
        machine = SocketIOServer(version, ping_interval=PING_INTERVAL, ping_timeout=PING_TIMEOUT)
        pong = asyncio.Event()

        async def send(output: Output) -> list[Happening]:
            for frame in output.send:
                await ws.send(frame)
            self.happened.extend(output.happened)
            return output.happened

        async def heartbeat() -> None:
            while True:
                if version is SocketIOVersion.V4:
                    await asyncio.sleep(PING_INTERVAL)
                    pong.clear()
                    await send(machine.ping())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(pong.wait(), PING_TIMEOUT)
                else:
                    await asyncio.sleep(PING_INTERVAL + PING_TIMEOUT)
                if machine.missed_heartbeat():
                    self.errors.append("missed heartbeat")
                    await ws.close()
                    return

        async def welcome(namespace: str) -> None:
            sid = machine.connected[namespace]
            await send(
                machine.emit("welcome", [{"id": sid, "nsp": namespace}], namespace=namespace)[1]
            )

        for happening in await send(machine.open()):
            if happening.kind == Kind.CONNECT:
                await welcome(happening.namespace)
        beating = asyncio.create_task(heartbeat())
        try:
            while not machine.closed:
                try:
                    frame = await ws.recv()
                except ConnectionClosed:
                    return
                for h in await send(machine.receive(frame)):
                    if h.kind == Kind.PONG and h.direction == "in":
                        pong.set()
                    await self.answer(h, machine, send, welcome, token)
        except ProtocolError as exc:
            self.errors.append(str(exc))
        finally:
            beating.cancel()

    async def answer(
        self, h: Happening, machine: SocketIOServer, send: Any, welcome: Any, token: str | None
    ) -> None:
        ns = h.namespace
        if h.kind == Kind.CONNECT and h.direction == "in":
            given = (
                token if machine.version is SocketIOVersion.V2 else (h.detail or {}).get("token")
            )
            if ns not in ("/", "/chat"):
                await send(machine.refuse(ns, "Invalid namespace"))
            elif ns == "/chat" and given != "letmein":
                await send(machine.refuse(ns, "not authorized"))
            else:
                await send(machine.accept(ns))
                await welcome(ns)
        elif h.kind == Kind.EVENT and h.direction == "in":
            if h.event == "echo" and h.ack_id is not None:
                await send(machine.answer(h.ack_id, h.arguments, namespace=ns))
            elif h.event == "shout":
                news = [{"text": h.arguments[0]}, b"\x01\x02\x03\xff"]
                await send(machine.emit("news", news, namespace=ns)[1])
            elif h.event == "ask":
                await send(machine.emit("question", ["life"], namespace=ns, ack=True)[1])
            elif h.event == "bye":
                await send(machine.disconnect(ns))
        elif h.kind == Kind.ACK and h.direction == "in" and h.event == "question":
            await send(machine.emit("answered", h.arguments, namespace=ns)[1])


@pytest.fixture
async def app() -> AsyncIterator[tuple[App, str]]:
    application = App()
    async with serve(application.serve, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield application, f"http://127.0.0.1:{port}"


async def run_client(command: list[str], url: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        *command, url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, out
    result: dict[str, Any] = json.loads(out.splitlines()[-1])
    return result


@pytest.mark.parametrize("client", list(CLIENTS))
async def test_real_clients_talk_to_the_server_machine(client: str, app: tuple[App, str]) -> None:
    application, url = app
    result = await run_client(CLIENTS[client], url)
    assert "error" not in result and "timeout" not in result, result
    assert result["welcome"]["nsp"] == "/" and result["chatWelcome"]["nsp"] == "/chat"
    assert result["echo"] == [1, "two", {"three": [3.5, None, True]}]
    assert result["binaryEcho"] == [{"hex": "00fe"}, "x"]
    assert result["news"] == [{"text": "hello"}, {"hex": "010203ff"}]
    assert result["answered"] == ["answer to life", 42]
    assert result["refusedNamespace"] == "Invalid namespace"
    assert result["refusedToken"] == "not authorized"
    assert result["stillConnected"] is True
    # Each library's name for "the server disconnected this namespace".
    assert result["disconnect"] in ("io server disconnect", "server disconnect")
    assert result["rootConnected"] is True
    assert application.errors == []

    v2 = client.endswith("-2")
    kinds = [(h.kind, h.direction) for h in application.happened]
    # Heartbeats of the version: v2 clients ping and the server answers; v4 the other way.
    assert (Kind.PING, "in" if v2 else "out") in kinds
    assert (Kind.PONG, "out" if v2 else "in") in kinds
    binary_in = [
        h
        for h in application.happened
        if h.kind == Kind.EVENT and h.direction == "in" and h.arguments[:1] == [b"\x00\xfe"]
    ]
    assert len(binary_in) == 1 and len(binary_in[0].raw) == 2
    acks_in = [h for h in application.happened if h.kind == Kind.ACK and h.direction == "in"]
    assert [(h.event, h.namespace) for h in acks_in] == [("question", "/chat")]


@pytest.mark.parametrize("version", list(SocketIOVersion))
def test_open_packets_refusals_and_missed_heartbeats(version: SocketIOVersion) -> None:
    machine = SocketIOServer(version, sid="abc", ping_interval=2, ping_timeout=3)
    opened = machine.open()
    if version is SocketIOVersion.V2:
        # No maxPayload in Engine.IO 3; "/" connected unasked, with no sid of its own.
        assert opened.send == [
            '0{"sid":"abc","upgrades":[],"pingInterval":2000,"pingTimeout":3000}',
            "40",
        ]
        assert machine.connected == {"/": "/#abc"}
        assert machine.missed_heartbeat()  # the client has not pinged yet
        assert machine.receive("2").send == ["3"]
        assert not machine.missed_heartbeat()
        assert machine.missed_heartbeat()  # nothing since the previous check
        with pytest.raises(ProtocolError, match="client pings"):
            machine.ping()
        assert machine.refuse("/chat", "no").send == ['44/chat,"no"']
    else:
        assert opened.send == [
            '0{"sid":"abc","upgrades":[],"pingInterval":2000,"pingTimeout":3000,'
            '"maxPayload":1000000}'
        ]
        assert machine.connected == {}
        assert not machine.missed_heartbeat()
        assert machine.ping().send == ["2"]
        assert machine.missed_heartbeat()
        machine.receive("3")
        assert not machine.missed_heartbeat()
        assert machine.refuse("/chat", "no", {"why": 1}).send == [
            '44/chat,{"message":"no","data":{"why":1}}'
        ]
    asked = machine.receive(
        '40/chat?token=x,{"token":"t"}' if version is SocketIOVersion.V4 else "40/chat?token=x,"
    )
    assert [(h.kind, h.namespace, h.detail) for h in asked.happened] == [
        (Kind.CONNECT, "/chat", {"token": "t"} if version is SocketIOVersion.V4 else None)
    ]
    with pytest.raises(ProtocolError, match="never sends"):
        machine.receive('44{"message":"x"}')
    closed = machine.close()
    assert closed.send[-1] == "1" and machine.closed
