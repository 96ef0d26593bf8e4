"""Debug sessions of Socket.IO endpoints through the relay, against servers nobody here wrote
the protocol of: Node's socket.io 4 and 2 and python-socketio (ASGI, under uvicorn), started
on loopback (tests/core/socketio/test_servers.py starts them; their behaviour is described in
tests/node/socketio_server.js)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from core.socketio.handshake import SocketIOVersion
from tests.conftest import assert_error
from tests.core.socketio.test_servers import SERVERS, Server, start
from tests.sessions.conftest import API

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module", params=list(SERVERS))
def sio_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    version, command = SERVERS[request.param]
    process, port = start(command)
    try:
        yield Server(request.param, version, port)
    finally:
        process.kill()
        process.wait(10)


def chat_session(sessions: Any, team: Any, server: Server, token: str = "letmein", **extra: Any):
    """A session on the server's /chat namespace, admitted with ``token`` (v4: the auth
    payload; v2: the handshake query)."""
    v2 = server.version is SocketIOVersion.V2
    socketio = {"version": server.version.value, "namespace": "/chat"}
    params = []
    if v2:
        params = [{"name": "token", "value": token}]
    else:
        socketio["auth"] = json.dumps({"token": token})
    data = {
        "project": team.project.pk,
        "protocol": "socketio",
        "url": server.url(),
        "params": params,
        "socketio": {**socketio, **extra.pop("socketio", {})},
        **extra,
    }
    return sessions.create(**data)


def emit(sessions: Any, session_id: int, status: int = 201, **data: Any) -> dict[str, Any]:
    response = sessions.client.post(f"{API}{session_id}/emit/", data, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def sio(event: dict[str, Any]) -> dict[str, Any]:
    return (event.get("info") or {}).get("sio") or {}


def events_of(
    events: list[dict[str, Any]], name: str, namespace: str = "/chat"
) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if sio(e).get("type") == "event"
        and sio(e).get("event") == name
        and sio(e)["namespace"] == namespace
    ]


def test_connect_emit_ack_broadcast_binary_and_server_disconnect(
    relay, team, sessions_for, sio_server
):
    sessions = sessions_for(team.admin)
    session = chat_session(sessions, team, sio_server)
    sid = session["id"]
    # The connect answers once the namespace is connected.
    sessions.connect(sid)
    events = sessions.wait_events(sid, lambda ev: events_of(ev, "welcome"))
    kinds = [sio(e).get("type") for e in events if sio(e)]
    assert kinds[:1] == ["open"] and "connect" in kinds
    # (A Socket.IO 2 server connects "/" by itself first.)
    assert any(
        sio(e) == {"type": "connect", "namespace": "/chat", "data": sio(e).get("data")}
        and e["direction"] == "in"
        for e in events
    )
    assert events_of(events, "welcome")[0]["info"]["sio"]["args"][0]["nsp"] == "/chat"

    # With an ack: the ack is logged linked to its emit.
    asked = emit(sessions, sid, event="echo", args=["hi", {"n": 1}], ack=True, ack_timeout=5)
    assert asked["ack_id"] is not None and asked["frames"] == 1
    events = sessions.wait_events(
        sid, lambda ev: any(sio(e).get("ack_of") == asked["seq"] for e in ev)
    )
    ack = next(e for e in events if sio(e).get("ack_of") == asked["seq"])
    assert sio(ack)["type"] == "ack" and sio(ack)["event"] == "echo"
    assert sio(ack)["args"] == ["hi", {"n": 1}]
    emitted = next(e for e in events if e["seq"] == asked["seq"])
    assert emitted["direction"] == "out" and sio(emitted)["ack_id"] == asked["ack_id"]

    # An event the server answers with an event.
    emit(sessions, sid, event="tell", args=["plain", 2])
    events = sessions.wait_events(sid, lambda ev: events_of(ev, "echoed"))
    assert sio(events_of(events, "echoed")[0])["args"] == ["plain", 2]

    # A broadcast with a binary attachment: its text frame, then the attachment's record.
    emit(sessions, sid, event="shout", args=["hello"])
    events = sessions.wait_events(sid, lambda ev: events_of(ev, "news"))
    news = events_of(events, "news")[0]
    assert sio(news)["args"] == [{"text": "hello"}, {"_placeholder": True, "num": 0}]
    (attachment_seq,) = sio(news)["attachments"]
    assert attachment_seq == news["seq"] + 1
    attachment = next(e for e in events if e["seq"] == attachment_seq)
    assert sio(attachment) == {"type": "attachment", "of": news["seq"], "num": 0}
    # The raw frame: Engine.IO 3 puts its message type (4) before binary data, 4 does not.
    engine_prefix = b"\x04" if sio_server.version is SocketIOVersion.V2 else b""
    assert base64.b64decode(attachment["base64"]) == engine_prefix + bytes([1, 2, 3, 255])

    # A binary argument of ours goes as an attachment and comes back in the ack.
    binary = emit(sessions, sid, event="echo", args=[{"$binary": "AQL/"}], ack=True, ack_timeout=5)
    assert binary["frames"] == 2
    events = sessions.wait_events(
        sid, lambda ev: any(sio(e).get("ack_of") == binary["seq"] for e in ev)
    )
    back = next(e for e in events if sio(e).get("ack_of") == binary["seq"])
    assert sio(back)["args"] == [{"_placeholder": True, "num": 0}]
    back_bytes = next(e for e in events if e["seq"] == sio(back)["attachments"][0])
    assert base64.b64decode(back_bytes["base64"]) == engine_prefix + b"\x01\x02\xff"

    # The log filters by event name, and hides the Engine.IO heartbeats on request.
    only_news = sessions.events(sid, event="news")
    assert [e["seq"] for e in only_news] == [news["seq"]]
    assert all(sio(e)["event"] == "welcome" for e in sessions.events(sid, event="welcome"))
    sessions.wait_events(sid, lambda ev: any(sio(e).get("type") == "ping" for e in ev))
    quiet = sessions.events(sid, sio="hide_heartbeats")
    assert quiet and not any(sio(e).get("type") in ("ping", "pong") for e in quiet)

    # The server disconnects the socket: logged with who did it, and the session ends.
    emit(sessions, sid, event="bye")
    sessions.wait_state(sid, "closed")
    events = sessions.events(sid)
    gone = [e for e in events if sio(e).get("type") == "disconnect"]
    assert gone and sio(gone[-1]) == {"type": "disconnect", "namespace": "/chat", "by": "server"}
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    frames = [e for e in events if e["kind"] in ("sent", "received")]
    assert all("sio" in (e["info"] or {}) for e in frames)


def test_a_refused_namespace_fails_the_connect_with_the_reason(
    relay, team, sessions_for, sio_server
):
    sessions = sessions_for(team.admin)
    session = chat_session(sessions, team, sio_server, token="wrong")
    refused = sessions.connect(session["id"], status=502).json()
    assert refused["kind"] == "connect_error" and "not authorized" in refused["detail"]
    sessions.wait_state(session["id"], "closed")
    events = sessions.events(session["id"])
    error = next(e for e in events if sio(e).get("type") == "connect_error")
    assert error["info"]["sio"]["message"] == "not authorized"
    connection = sessions.client.get(f"{API}{session['id']}/connections/").json()[0]
    assert connection["failure"]["kind"] == "connect_error"


def test_the_other_version_fails_with_a_clear_kind(relay, team, sessions_for, sio_server):
    sessions = sessions_for(team.admin)
    other = "v4" if sio_server.version is SocketIOVersion.V2 else "v2"
    session = sessions.create(
        project=team.project.pk,
        protocol="socketio",
        url=sio_server.url(),
        socketio={"version": other},
    )
    refused = sessions.connect(session["id"], status=502).json()
    assert refused["kind"] == "socketio_version", refused
    assert f"choose version {sio_server.version.value}" in refused["detail"]


def test_an_ack_that_never_comes_times_out(relay, team, sessions_for, sio_server):
    sessions = sessions_for(team.admin)
    session = chat_session(sessions, team, sio_server)
    sessions.connect(session["id"])
    # Nobody listens to "unheard": no ack comes.
    asked = emit(sessions, session["id"], event="unheard", args=["x"], ack=True, ack_timeout=0.3)
    events = sessions.wait_events(
        session["id"], lambda ev: any((e["info"] or {}).get("kind") == "ack_timeout" for e in ev)
    )
    late = next(e for e in events if (e["info"] or {}).get("kind") == "ack_timeout")
    assert late["info"]["seq"] == asked["seq"] and late["info"]["event"] == "unheard"


BAD_EMITS: dict[str, tuple[dict[str, Any], str]] = {
    "reserved event": ({"event": "disconnect"}, "event"),
    "no event": ({"args": []}, "event"),
    "arguments not an array": ({"event": "echo", "args": {"a": 1}}, "args"),
    "arguments not JSON-able": ({"event": "echo", "args": "[1"}, "args"),
    "namespace without a slash": ({"event": "echo", "namespace": "chat"}, "namespace"),
    "ack timeout of zero": ({"event": "echo", "ack": True, "ack_timeout": 0}, "ack_timeout"),
    "binary not Base64": ({"event": "echo", "args": [{"$binary": "%%"}]}, "args"),
}


@pytest.mark.parametrize("case", list(BAD_EMITS), ids=list(BAD_EMITS))
def test_bad_emits_name_the_field(team, sessions_for, case):
    sessions = sessions_for(team.admin)
    session = sessions.create(
        project=team.project.pk, protocol="socketio", url="http://127.0.0.1:9/"
    )
    data, field = BAD_EMITS[case]
    response = sessions.client.post(f"{API}{session['id']}/emit/", data, format="json")
    assert field in assert_error(response, 400, "validation_error")["fields"]


def test_a_websocket_session_does_not_emit(team, sessions_for):
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url="ws://127.0.0.1:9/")
    response = sessions.client.post(f"{API}{session['id']}/emit/", {"event": "x"}, format="json")
    assert "event" in assert_error(response, 400, "validation_error")["fields"]
