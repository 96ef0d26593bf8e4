"""A Socket.IO endpoint mocked on a real Daphne, driven from outside the server by the official
clients: Node's socket.io-client 4.x and 2.x and python-socketio's AsyncClient. Welcome on the
namespace's connect, acks from the message's ack_schema and from a rule, replies carrying the
request's id, a presence push, an error event, a close after 10 events, a refused namespace and
auth, a client of the other version; then the traffic, as recorded, with event names."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from endpoints.models import Endpoint
from mocks.models import MockConnection, MockFrame
from mocks.services import mock_behaviour_update, mock_settings_ensure
from tests.browser import daphne_server
from tests.conftest import Team
from tests.factories import make_endpoint, make_var
from tests.mocks.sio_chat import SIO_MESSAGES, SIO_SPEC
from tests.polling import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
NODE_CLIENT = Path(__file__).resolve().parents[1] / "node" / "mock_sio_chat.js"
PYTHON_CLIENT = Path(__file__).with_name("sio_client.py")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Daphne with a quick Socket.IO heartbeat, so a short conversation sees some."""
    with daphne_server(
        tmp_path, MOCK_SOCKETIO_PING_INTERVAL="0.25", MOCK_SOCKETIO_PING_TIMEOUT="2"
    ) as url:
        yield url


def make_sio_chat(team: Team, version: str = "v4", auth: str = "") -> tuple[Endpoint, str]:
    make_var(team, "room", "lobby")
    endpoint = make_endpoint(
        team,
        name="Chat",
        url="http://chat.example.test/v1",
        protocol="socketio",
        socketio={"version": version, "path": "/socket.io/", "namespace": "/chat", "auth": auth},
        messages=SIO_MESSAGES,
    )
    mock_behaviour_update(endpoint=endpoint, actor=team.editor, spec=SIO_SPEC)
    return endpoint, mock_settings_ensure(project=team.project).key


def node(*args: str) -> Any:
    done = subprocess.run(
        ["node", str(NODE_CLIENT), *args], capture_output=True, timeout=30, check=True
    )
    return json.loads(done.stdout)


def check_conversation(result: dict[str, Any]) -> None:
    assert "error" not in result and "timeout" not in result, result
    assert result["welcome"] == [{"room": "lobby"}]
    assert result["ticks"][:3] == [1, 2, 3]
    # "say": the ack_schema's example; "join": the rule's ack, with a shared global.
    assert result["acks"] == [[{"ok": True}], [{"joined": "lobby"}]]
    assert result["said"] == [[{"id": f"c-{n}", "n": n}, "ok"] for n in range(1, 9)]
    assert result["oops"] == [["unknown event"]]
    assert result["disconnect"] in ("io server disconnect", "server disconnect")


def closed_connection(endpoint: Endpoint) -> MockConnection:
    def recorded() -> Any:
        row = MockConnection.objects.filter(endpoint=endpoint).order_by("id").first()
        return row if row is not None and row.closed_at is not None else None

    row: MockConnection = wait_for(recorded, 10)
    return row


def test_node_v4_client_chats_with_the_mock(server: str, team: Team) -> None:
    endpoint, key = make_sio_chat(team, auth='{"token": ""}')
    path = f"/mock/{key}/v1/socket.io/"
    # The front end swapped only its base URL: namespace "/mock/<key>/v1/chat" is "/chat".
    result = node("4", f"{server}/mock/{key}/v1/chat", path, '{"token": "anything"}')
    check_conversation(result)
    assert result["refused"] == "Invalid namespace"

    row = closed_connection(endpoint)
    assert (row.close_code, row.close_reason) == (4000, "bye")
    frames = list(MockFrame.objects.filter(connection=row).order_by("seq"))
    assert [(f.direction, f.note) for f in frames[:2]] == [("out", "open"), ("in", "connect")]
    assert (frames[2].note, frames[3].event, frames[3].note) == ("connect", "welcome", "on open")
    says = [f for f in frames if f.direction == "in" and f.event == "say"]
    assert len(says) == 8 and {f.message for f in says} == {"say"}
    acks = [f for f in frames if f.direction == "out" and f.note == "ack"]
    assert [(f.event, f.body) for f in acks] == [
        ("say", f'43/mock/{key}/v1/chat,0[{{"ok":true}}]'),
        ("join", f'43/mock/{key}/v1/chat,1[{{"joined":"lobby"}}]'),
    ]
    assert any(f.direction == "out" and f.event == "oops" for f in frames)
    # Engine.IO 4: the mock pings, the client answers.
    assert {"ping", "pong"} <= {f.note for f in frames}
    # The close: the namespace left, the Engine.IO session closed.
    last = [(f.note, f.body) for f in frames if f.direction == "out"][-2:]
    assert last == [("disconnect", f"41/mock/{key}/v1/chat,"), ("close", "1")]

    # Without the documented auth key: refused by the namespace, saying what is missing.
    refused = node("4", f"{server}/chat", path, "{}")
    assert refused["connectError"] == "not authorized"


def test_node_v2_client_chats_with_the_mock(server: str, team: Team) -> None:
    endpoint, key = make_sio_chat(team, version="v2")
    result = node("2", f"{server}/chat", f"/mock/{key}/v1/socket.io/")
    check_conversation(result)
    assert result["refused"] == "Invalid namespace"
    row = closed_connection(endpoint)
    frames = list(MockFrame.objects.filter(connection=row).order_by("seq"))
    # Engine.IO 3: the client pings, the mock answers.
    assert ("in", "ping") in {(f.direction, f.note) for f in frames}
    assert frames[1].body == "40"  # "/" connected unasked, as Socket.IO 2 does


def test_python_client_chats_with_the_mock(server: str, team: Team) -> None:
    _, key = make_sio_chat(team, auth='{"token": ""}')
    done = subprocess.run(
        [
            sys.executable,
            str(PYTHON_CLIENT),
            server,
            f"/mock/{key}/v1/socket.io/",
            "/chat",
            '{"token": "py"}',
        ],
        capture_output=True,
        timeout=30,
        check=True,
    )
    check_conversation(json.loads(done.stdout))


def test_a_client_of_the_other_version_is_refused(server: str, team: Team) -> None:
    _, key = make_sio_chat(team)
    url = (
        server.replace("http://", "ws://") + f"/mock/{key}/v1/socket.io/?EIO=3&transport=websocket"
    )

    async def attempt() -> Any:
        with pytest.raises(websockets.InvalidStatus) as error:
            async with connect(url, open_timeout=10):
                pass
        return error.value.response

    response = asyncio.run(attempt())
    assert response.status_code == 400
    assert json.loads(response.body)["code"] == "socketio_version"
    # The WebSocket path of the endpoint is not served: its mock is at the Socket.IO path.
    other = server.replace("http://", "ws://") + f"/mock/{key}/v1?EIO=4&transport=websocket"

    async def plain() -> Any:
        with pytest.raises(websockets.InvalidStatus) as error:
            async with connect(other, open_timeout=10):
                pass
        return error.value.response

    assert asyncio.run(plain()).status_code == 404


def test_the_api_says_where_a_socketio_mock_answers(team: Team, client_for: Any) -> None:
    endpoint, key = make_sio_chat(team, version="v2")
    url = f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/mock/"
    body = client_for(team.viewer).get(url).json()
    assert (body["path"], body["socketio_path"]) == ("/v1/socket.io/", f"/mock/{key}/v1/socket.io/")
    assert body["url"].endswith(f"/mock/{key}/v1/socket.io/?EIO=3&transport=websocket")
    assert body["spec"]["rules"][1] == {
        "when": "join",
        "reply": None,
        "pick": "first",
        "delay_ms": 0,
        "extract": [],
        "ack": '[{"joined": "{{room}}"}]',
    }
    # A WebSocket endpoint has no acknowledgements, and its mock no Socket.IO path.
    plain = make_endpoint(
        team,
        name="Plain",
        url="ws://example.test/plain",
        messages=[
            {
                "name": "ping",
                "direction": "send",
                "format": "json",
                "examples": [{"name": "P", "body": "{}"}],
            },
            {
                "name": "pong",
                "direction": "receive",
                "format": "json",
                "reply_to": "ping",
                "examples": [{"name": "P", "body": "{}"}],
            },
        ],
    )
    plain_url = f"/api/v1/projects/{team.project.pk}/endpoints/{plain.pk}/mock/"
    assert client_for(team.viewer).get(plain_url).json()["socketio_path"] is None
    spec = {"rules": [{"when": "ping", "ack": "[]"}]}
    refused = client_for(team.editor).put(plain_url, {"spec": spec}, format="json")
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        "spec.rules[0].ack": ["only Socket.IO endpoints acknowledge"]
    }


def test_a_client_that_stops_answering_pings_is_closed(server: str, team: Team) -> None:
    endpoint, key = make_sio_chat(team)
    url = (
        server.replace("http://", "ws://") + f"/mock/{key}/v1/socket.io/?EIO=4&transport=websocket"
    )

    async def silent() -> Any:
        async with connect(url, open_timeout=10) as ws:
            opened = json.loads(str(await ws.recv())[1:])
            assert (opened["pingInterval"], opened["pingTimeout"]) == (250, 2000)
            await ws.send("40/chat,")
            with pytest.raises(websockets.ConnectionClosed) as closed:
                async with asyncio.timeout(10):
                    while True:
                        await ws.recv()  # pings, never answered
            return closed.value.rcvd

    close = asyncio.run(silent())
    assert close is not None and close.reason == "ping timeout"
    row = closed_connection(endpoint)
    pings = MockFrame.objects.filter(connection=row, note="ping", direction="out")
    assert pings.count() == 1  # one unanswered ping, then the close
