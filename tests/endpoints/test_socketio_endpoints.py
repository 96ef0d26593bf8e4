"""Socket.IO endpoints in the API: the protocol and its settings, documented events, and the
bad input that is refused naming the field, with nothing written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import Team, assert_error
from tests.endpoints.test_bad_input import workspace_rows
from tests.endpoints.test_messages import endpoints_url

CHAT_MESSAGES: list[dict[str, Any]] = [
    {
        "name": "say",
        "direction": "send",
        "description": "Say something in a room.",
        "schema": {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "object", "required": ["room"]}],
            "minItems": 2,
        },
        "examples": [{"name": "Hello", "body": '["hello", {"room": 1}]'}],
        "ack_schema": {"type": "array", "prefixItems": [{"const": "ok"}]},
    },
    {
        "name": "Someone spoke",
        "event": "said",
        "direction": "receive",
        "examples": [{"name": "Reply", "body": '["hi back"]'}],
    },
]


def chat_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Chat",
        "protocol": "socketio",
        "url": "https://chat.example.test",
        "socketio": {"namespace": "/chat", "auth": '{"token": "{{token}}"}'},
        "messages": CHAT_MESSAGES,
        **overrides,
    }


def test_a_socketio_endpoint_is_written_and_read_back(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    api = client_for(team.editor)
    created = api.post(endpoints_url(team), chat_body(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["protocol"] == "socketio"
    assert body["socketio"] == {
        "version": "v4",
        "path": "/socket.io/",
        "namespace": "/chat",
        "auth": '{"token": "{{token}}"}',
    }
    # The auth payload's references count as used.
    assert {"name": "token", "dynamic": False, "where": ["socketio.auth"]} in body["variables"]
    say, said = body["messages"]
    # An event is named after its message unless it names one; events are JSON arguments.
    assert (say["event"], say["format"], said["event"], said["format"]) == (
        "say",
        "json",
        "said",
        "json",
    )
    assert say["ack_schema"] == CHAT_MESSAGES[0]["ack_schema"]

    # A PATCH of one setting keeps the others; the history names the field.
    url = f"{endpoints_url(team)}{body['id']}/"
    patched = api.patch(url, {"socketio": {"version": "v2", "auth": ""}}, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["socketio"]["namespace"] == "/chat"
    assert patched.json()["socketio"]["version"] == "v2"
    history = api.get(f"{url}history/").json()["results"]
    assert [c["field"] for c in history[0]["changes"]] == ["socketio"]

    # A session opened from it copies the protocol and its settings.
    session = api.post("/api/v1/sessions/", {"endpoint": body["id"]}, format="json")
    assert session.status_code == 201, session.json()
    assert session.json()["protocol"] == "socketio"
    assert session.json()["socketio"]["version"] == "v2"


def test_a_websocket_endpoint_is_unchanged(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    api = client_for(team.editor)
    created = api.post(
        endpoints_url(team), {"name": "Echo", "url": "wss://echo.example.test"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["protocol"] == "websocket"
    assert created.json()["socketio"]["path"] == "/socket.io/"
    # An http URL is a Socket.IO server's, not a WebSocket one's.
    refused = api.patch(
        f"{endpoints_url(team)}{created.json()['id']}/",
        {"url": "https://echo.example.test"},
        format="json",
    )
    assert "ws or wss" in assert_error(refused, 400, "validation_error")["fields"]["url"][0]


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "unsupported version": ({"socketio": {"version": "v3"}}, "socketio.version"),
    "namespace without a slash": ({"socketio": {"namespace": "chat"}}, "socketio.namespace"),
    "auth not an object": ({"socketio": {"auth": "[1, 2]"}}, "socketio.auth"),
    "auth not JSON": ({"socketio": {"auth": "{token: 1}"}}, "socketio.auth"),
    "auth on v2": ({"socketio": {"version": "v2", "auth": '{"a": 1}'}}, "socketio.auth"),
    "path with a query": ({"socketio": {"path": "/io/?x=1"}}, "socketio.path"),
    "unknown setting": ({"socketio": {"transport": "polling"}}, "socketio.transport"),
    "unknown protocol": ({"protocol": "mqtt"}, "protocol"),
    "ftp URL": ({"url": "ftp://chat.example.test"}, "url"),
    "reserved event": (
        {
            "messages": [
                {"name": "c", "event": "connect", "examples": [{"name": "e", "body": "[]"}]}
            ]
        },
        "messages[0].event",
    ),
    "arguments not an array": (
        {"messages": [{"name": "say", "examples": [{"name": "e", "body": '{"a": 1}'}]}]},
        "messages[0].examples[0].body",
    ),
    "unusable ack schema": (
        {"messages": [{"name": "say", "ack_schema": {"type": "nope"}}]},
        "messages[0].ack_schema",
    ),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_socketio_input_names_the_field_and_writes_nothing(
    team: Team, client_for: Callable[[Any], APIClient], case: str
) -> None:
    api = client_for(team.editor)
    overrides, field = BAD[case]
    before = workspace_rows()
    refused = api.post(endpoints_url(team), chat_body(**overrides), format="json")
    assert field in assert_error(refused, 400, "validation_error")["fields"], refused.json()
    assert workspace_rows() == before


def test_a_websocket_message_documents_no_event(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    api = client_for(team.editor)
    refused = api.post(
        endpoints_url(team),
        {
            "name": "Echo",
            "url": "wss://echo.example.test",
            "messages": [{"name": "m", "event": "say", "body": "x"}],
        },
        format="json",
    )
    assert "messages[0].event" in assert_error(refused, 400, "validation_error")["fields"]
