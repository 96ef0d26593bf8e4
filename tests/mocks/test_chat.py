"""The chat endpoint of issue 16 mocked on a real Daphne, driven from outside the server by a
Python ``websockets`` client and a Node ``ws`` client: a handshake check (refused with the
configured 401 and body), a welcome message, replies carrying the request's id, a presence
push with its counter, and a close after 10 messages. Then the traffic, as recorded."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from mocks.models import MockConnection, MockFrame
from tests.conftest import Team
from tests.mocks.chat import make_chat
from tests.polling import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
NODE_CLIENT = Path(__file__).resolve().parents[1] / "node" / "mock_chat.js"


def mock_url(server: str, key: str, path: str = "/v1/chat") -> str:
    return server.replace("http://", "ws://", 1) + f"/mock/{key}{path}"


async def python_chat(url: str) -> tuple[list[Any], Any]:
    """Like the Node client: welcome, a presence push, then 10 says; what came and the close."""
    messages: list[Any] = []
    headers = {"Authorization": "Bearer anything", "Origin": "http://localhost:3000"}
    async with connect(url, additional_headers=headers, open_timeout=10) as ws:
        while not any(m["type"] == "presence" for m in messages):
            messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        for n in range(1, 11):
            await ws.send(json.dumps({"type": "say", "id": f"py-{n}", "text": "hello"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return messages, closed.value.rcvd


def check_conversation(messages: list[Any], prefix: str) -> None:
    assert messages[0] == {"type": "welcome", "room": "lobby"}
    replies = [m for m in messages if m["type"] == "said"]
    assert [m["id"] for m in replies] == [f"{prefix}-{n}" for n in range(1, 11)]
    assert [m["n"] for m in replies] == list(range(1, 11))
    ticks = [m["tick"] for m in messages if m["type"] == "presence"]
    assert ticks[:2] == [1, 2][: len(ticks[:2])] and ticks == sorted(ticks)


def test_python_client_chats_with_the_mock(server: str, team: Team) -> None:
    endpoint, key = make_chat(team)
    messages, close = asyncio.run(python_chat(mock_url(server, key)))
    check_conversation(messages, "py")
    assert (close.code, close.reason) == (4000, "bye")

    def recorded() -> Any:
        row = MockConnection.objects.filter(endpoint=endpoint).first()
        return row if row is not None and row.closed_at is not None else None

    row = wait_for(recorded, 10)
    assert (row.close_code, row.close_reason) == (4000, "bye")
    frames = list(MockFrame.objects.filter(connection=row).order_by("seq"))
    assert row.frame_count == len(frames) >= 22
    assert (frames[0].direction, frames[0].message, frames[0].note) == ("out", "welcome", "on open")
    ins = [f for f in frames if f.direction == "in"]
    assert [f.message for f in ins] == ["say"] * 10 and {f.note for f in ins} == {"reply"}


def test_node_ws_client_chats_with_the_mock(server: str, team: Team) -> None:
    _, key = make_chat(team)

    def node(*args: str) -> Any:
        done = subprocess.run(
            ["node", str(NODE_CLIENT), *args], capture_output=True, timeout=30, check=True
        )
        return json.loads(done.stdout)

    result = node(mock_url(server, key), "Bearer from-node")
    check_conversation(result["messages"], "node")
    assert result["close"] == {"code": 4000, "reason": "bye"}
    # Without the documented Authorization header: the configured status and body.
    refused = node(mock_url(server, key))
    assert refused == {"status": 401, "body": '{"error": "log in first"}'}

    # The refusal is in the endpoint's traffic, saying why (the recorder writes in batches).
    def refusal_recorded() -> Any:
        newest = MockConnection.objects.filter(endpoint__project=team.project).first()
        if newest is None or newest.closed_at is None:
            return None
        return newest if newest.close_reason.startswith("refused") else None

    newest = wait_for(refusal_recorded, 10)
    assert newest.close_reason == "refused with 401: header 'Authorization' is missing"


def test_handshake_refusals(server: str, team: Team) -> None:
    from mocks.services import mock_key_rotate, mock_settings_update
    from tests.wire import http

    _, key = make_chat(team)
    url = mock_url(server, key)

    def refused(target: str, headers: dict[str, str] | None = None) -> Any:
        async def attempt() -> Any:
            with pytest.raises(websockets.InvalidStatus) as error:
                async with connect(target, additional_headers=headers, open_timeout=10):
                    pass
            return error.value.response

        return asyncio.run(attempt())

    auth = {"Authorization": "Bearer x"}
    response = refused(url)
    assert response.status_code == 401 and response.body == b'{"error": "log in first"}'
    unknown = refused(mock_url(server, "x" * 32), auth)
    for no_key in ("/mock/", "/mock//v1/chat", "/mock/%00/v1/chat", "/mock/a.b/v1/chat"):
        missing = refused(server.replace("http://", "ws://", 1) + no_key, auth)
        assert (missing.status_code, missing.body) == (404, unknown.body), no_key
    elsewhere = refused(mock_url(server, key, "/v1/nothing"), auth)
    assert unknown.status_code == elsewhere.status_code == 404
    assert unknown.body == elsewhere.body

    mock_settings_update(
        project=team.project, actor=team.admin, header_name="X-Mock-Token", header_value="s3"
    )
    assert refused(url, auth).status_code == 403
    assert refused(url, {**auth, "X-Mock-Token": "wrong"}).status_code == 403

    async def accepted(target: str, headers: dict[str, str]) -> Any:
        async with connect(target, additional_headers=headers, open_timeout=10) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    assert asyncio.run(accepted(url, {**auth, "X-Mock-Token": "s3"}))["type"] == "welcome"
    # A rotated key and a disabled mock look like a key that never existed.
    rotated = mock_key_rotate(project=team.project, actor=team.admin)
    old = refused(url, {**auth, "X-Mock-Token": "s3"})
    assert (old.status_code, old.body) == (404, unknown.body)
    mock_settings_update(project=team.project, actor=team.admin, enabled=False)
    off = refused(mock_url(server, rotated.key), {**auth, "X-Mock-Token": "s3"})
    assert (off.status_code, off.body) == (404, unknown.body)
    # The server is unaffected: its HTTP side answers.
    assert http(int(server.rsplit(":", 1)[1]), "GET", "/healthz").status == 200
