"""Empty messages reach the client under a real Daphne (config/ws_empty_messages.py).

Daphne alone drops a ``websocket.send`` whose text or bytes is empty, so ``/ws/echo/`` answered
nothing to the Autobahn fuzzing client's cases 1.1.1, 1.2.1, 6.1.1 and 6.1.2. Each is replayed
here as Autobahn sends it, with three client implementations: frames written by hand
(tests/wire.py), ``websockets`` and ``aiohttp``. A debug session whose upstream is that echo
carries an empty message both ways through the viewer socket.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from django.core.exceptions import ImproperlyConfigured

from accounts.tokens import token_create
from tests import daphne
from tests.wire import RawWebSocket

pytestmark = pytest.mark.slow

TIMEOUT = 10.0
TEXT, BINARY = "text", "binary"
# What a client sends (one message, or the fragments of one) -> what the echo must send back.
Case = tuple[list[str] | list[bytes], tuple[str, str | bytes]]
AUTOBAHN: dict[str, Case] = {
    "1.1.1 text message of length 0": ([""], (TEXT, "")),
    "1.2.1 binary message of length 0": ([b""], (BINARY, b"")),
    "6.1.1 text frame of length 0": ([""], (TEXT, "")),
    "6.1.2 three text fragments of length 0": (["", "", ""], (TEXT, "")),
}


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Daphne serving ``config.asgi`` as ``make serve`` does; the echo needs no database."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    data: Path = tmp_path_factory.mktemp("daphne")
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SWITCHBOARD_DATA_DIR=str(data))
    process, port = daphne.start(env=env)
    try:
        yield port
    finally:
        daphne.stop(process)


def raw_echo(port: int, fragments: Sequence[str | bytes]) -> tuple[str, str | bytes]:
    ws = RawWebSocket(port, "/ws/echo/")
    assert ws.accepted, ws.status
    try:
        binary = isinstance(fragments[0], bytes)
        for index, fragment in enumerate(fragments):
            first = ws.BINARY if binary else ws.TEXT
            opcode = ws.CONTINUATION if index else first
            payload = fragment if isinstance(fragment, bytes) else fragment.encode()
            ws.send_frame(opcode, payload, fin=index == len(fragments) - 1)
        opcode, payload = ws.recv()
    finally:
        ws.close()
    return (BINARY, payload) if opcode == ws.BINARY else (TEXT, payload.decode())


async def websockets_echo(port: int, fragments: list[str] | list[bytes]) -> tuple[str, Any]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo/") as ws:
        if len(fragments) == 1:
            await ws.send(fragments[0])
        else:
            # websockets sends each item as a frame, then an empty final one: so the last
            # fragment is the FIN frame it adds.
            await ws.send(fragments[:-1])
        reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
    return (BINARY if isinstance(reply, bytes) else TEXT, reply)


async def aiohttp_echo(port: int, fragments: list[str] | list[bytes]) -> tuple[str, Any]:
    (message,) = fragments  # aiohttp's client does not send fragmented messages
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"ws://127.0.0.1:{port}/ws/echo/") as ws,
    ):
        if isinstance(message, bytes):
            await ws.send_bytes(message)
        else:
            await ws.send_str(message)
        reply = await ws.receive(timeout=TIMEOUT)
    if reply.type == aiohttp.WSMsgType.BINARY:
        return BINARY, reply.data
    assert reply.type == aiohttp.WSMsgType.TEXT, reply
    return TEXT, reply.data


CLIENTS: dict[str, Callable[[int, Any], Any]] = {
    "raw": raw_echo,
    "websockets": lambda port, fragments: asyncio.run(websockets_echo(port, fragments)),
    "aiohttp": lambda port, fragments: asyncio.run(aiohttp_echo(port, fragments)),
}


def cases() -> list[Any]:
    return [
        pytest.param(client, case, id=f"{case.split()[0]}-{client}")
        for case, (fragments, _) in AUTOBAHN.items()
        for client in CLIENTS
        if len(fragments) == 1 or client != "aiohttp"
    ]


@pytest.mark.parametrize(("client", "case"), cases())
def test_the_echo_sends_an_empty_message_back(port: int, client: str, case: str) -> None:
    fragments, expected = AUTOBAHN[case]
    assert CLIENTS[client](port, fragments) == expected


def test_a_message_after_an_empty_one_still_arrives_in_order(port: int) -> None:
    async def exchange() -> list[str | bytes]:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/echo/") as ws:
            for message in ("", b"", "after", b"", ["", "frag", "mented"]):
                await ws.send(message)
            return [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in range(5)]

    assert asyncio.run(exchange()) == ["", b"", "after", b"", "fragmented"]


@pytest.mark.django_db(transaction=True)
def test_a_debug_session_carries_an_empty_message_both_ways(
    server: str, make_user: Callable[..., Any]
) -> None:
    """Viewer socket -> relay -> Switchboard's own echo -> relay -> viewer socket."""
    # A token made here: the server's password hasher is not the tests' fast one.
    _, token = token_create(user=make_user("ada"), name="empty")
    echo = server.replace("http://", "ws://", 1) + "/ws/echo/"

    async def scenario() -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession(base_url=server, headers=headers) as http:

            async def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
                async with http.post(path, json=body) as response:
                    data = await response.json()
                    assert response.status < 300, (path, response.status, data)
                    return data

            project = await call("/api/v1/projects/", {"name": "Empty"})
            session = await call("/api/v1/sessions/", {"project": project["id"], "url": echo})
            opened = await call(f"/api/v1/sessions/{session['id']}/connect/", {})
            assert opened["state"] == "open", opened
            async with http.ws_connect(f"/ws/sessions/{session['id']}/") as viewer:
                assert (await viewer.receive_json(timeout=TIMEOUT))["type"] == "session"
                for fmt in ("text", "base64"):
                    await viewer.send_json({"type": "send", "format": fmt, "body": ""})
                events: list[dict[str, Any]] = []
                while sum(e["kind"] == "received" for e in events) < 2:
                    message = await viewer.receive_json(timeout=TIMEOUT)
                    events.extend(message.get("events", []))
                return events

    events = asyncio.run(scenario())
    for kind in ("sent", "received"):
        frames = [(e["opcode"], e["size"]) for e in events if e["kind"] == kind]
        assert frames == [("text", 0), ("binary", 0)], (kind, events)


def test_a_changed_daphne_protocol_fails_the_startup_check(monkeypatch: Any) -> None:
    from daphne.ws_protocol import WebSocketProtocol

    from config import ws_empty_messages

    ws_empty_messages.check_daphne()  # the installed Daphne is the one it was written for

    def serverSend(self: Any, content: Any, binary: bool = False, *, flags: int = 0) -> None:
        pass

    monkeypatch.setattr(WebSocketProtocol, "serverSend", serverSend)
    with pytest.raises(ImproperlyConfigured, match=r"WebSocketProtocol\.serverSend"):
        ws_empty_messages.check_daphne()
