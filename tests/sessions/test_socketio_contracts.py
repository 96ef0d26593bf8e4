"""A Socket.IO endpoint's documented events checked live, its auth payload's secret kept out
of the log, and emits from the live socket — against Node's socket.io 4."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from core.socketio.handshake import SocketIOVersion
from endpoints.environments.services import variable_create
from tests.core.socketio.test_servers import SERVERS, Server, start
from tests.factories import make_endpoint
from tests.sessions.test_live import api_for, bearer, open_stream
from tests.sessions.test_socketio_relay import emit, events_of, sio

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
SECRET = "letmein"


@pytest.fixture(scope="module")
def node4() -> Iterator[Server]:
    version, command = SERVERS["node-socket.io-4"]
    process, port = start(command)
    try:
        yield Server("node-socket.io-4", version, port)
    finally:
        process.kill()
        process.wait(10)


def chat_endpoint(team: Any, server: Server, **fields: Any) -> Any:
    variable_create(
        project=team.project, actor=team.admin, name="token", initial_value=SECRET, secret=True
    )
    return make_endpoint(
        team,
        protocol="socketio",
        url=server.url(),
        socketio={
            "version": SocketIOVersion.V4.value,
            "namespace": "/chat",
            "auth": '{"token": "{{token}}"}',
        },
        **fields,
    )


MESSAGES = [
    {
        "name": "echo",
        "direction": "send",
        "format": "json",
        "schema": {"type": "array", "prefixItems": [{"type": "string"}], "minItems": 1},
        "examples": [{"name": "Hi", "body": '["hi"]'}],
        "ack_schema": {"type": "array", "maxItems": 0},
        "event": "echo",
    },
    {
        "name": "welcome",
        "direction": "receive",
        "format": "json",
        "schema": {
            "type": "array",
            "prefixItems": [{"type": "object", "required": ["id", "nsp"]}],
        },
        "examples": [{"name": "W", "body": '[{"id": "x", "nsp": "/chat"}]'}],
        "event": "welcome",
    },
]


def test_documented_events_are_checked_live_and_the_auth_secret_is_masked(
    relay, team, sessions_for, node4
):
    endpoint = chat_endpoint(team, node4, messages=MESSAGES)
    sessions = sessions_for(team.admin)
    session = sessions.create(endpoint=endpoint.pk)
    sid = session["id"]
    sessions.connect(sid)
    events = sessions.wait_events(sid, lambda ev: events_of(ev, "welcome"))
    welcome = events_of(events, "welcome")[0]
    assert (welcome["message"], welcome["contract"]) == ("welcome", "valid")

    # The auth payload went out, its secret value masked in the log.
    connect = next(e for e in events if sio(e).get("type") == "connect" and e["direction"] == "out")
    assert SECRET not in json.dumps(events) and "••••" in connect["text"]

    # A documented example: valid; its ack does not fit the ack schema.
    good = emit(sessions, sid, message_id=endpoint.messages.get(name="echo").pk, ack=True)
    assert (good["message"], good["contract"]) == ("echo", "valid")
    events = sessions.wait_events(
        sid, lambda ev: any(sio(e).get("ack_of") == good["seq"] for e in ev)
    )
    ack = next(e for e in events if sio(e).get("ack_of") == good["seq"])
    assert (ack["message"], ack["contract"]) == ("echo", "invalid")
    # Arguments that violate the schema go out with a warning (the endpoint is not strict).
    bad = emit(sessions, sid, event="echo", args=[1])
    assert bad["contract"] == "invalid" and "warning" in bad
    # An event nobody documented.
    emit(sessions, sid, event="shout", args=["x"])
    events = sessions.wait_events(sid, lambda ev: events_of(ev, "news"))
    assert events_of(events, "news")[0]["contract"] == "undocumented"


def test_a_strict_endpoint_refuses_an_invalid_emit(relay, team, sessions_for, node4):
    endpoint = chat_endpoint(team, node4, messages=MESSAGES, strict=True)
    sessions = sessions_for(team.admin)
    session = sessions.create(endpoint=endpoint.pk)
    sessions.connect(session["id"])
    refused = emit(sessions, session["id"], status=400, event="echo", args=[1])
    assert refused["code"] == "contract_violation"
    assert not [e for e in sessions.events(session["id"]) if sio(e).get("event") == "echo"]


async def test_the_live_socket_emits(relay, team, node4):
    endpoint = await sync_to_async(chat_endpoint)(team, node4)
    api = api_for(team.editor)
    session = await sync_to_async(api.create)(endpoint=endpoint.pk)
    sid = session["id"]
    await sync_to_async(api.connect)(sid)
    viewer = await open_stream(f"/ws/sessions/{sid}/", await bearer(team.editor))

    async def answer(message: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        await viewer.send_to(text_data=json.dumps(message))
        events: list[dict[str, Any]] = []
        while True:
            received = json.loads(await viewer.receive_from(timeout=10))
            if received["type"] == "events":
                events.extend(received["events"])
            elif received.get("ref") == message["ref"]:
                return received, events

    refused, _ = await answer({"type": "emit", "event": "echo", "args": "x", "ref": 1})
    assert refused["type"] == "error" and "args" in refused["fields"]
    done, _ = await answer(
        {"type": "emit", "event": "echo", "args": ["live"], "ack": True, "ref": 2}
    )
    assert done["type"] == "ack" and done["ack_id"] is not None
    events: list[dict[str, Any]] = []
    while not any(sio(e).get("ack_of") == done["seq"] for e in events):
        received = json.loads(await viewer.receive_from(timeout=10))
        if received["type"] == "events":
            events.extend(received["events"])
    await viewer.disconnect()
