"""The chat endpoint of issue 16, documented, and its mock behaviour: a handshake check, a
welcome message, a reply carrying the request's id, a presence push and a close after 10
messages."""

from __future__ import annotations

from typing import Any

from endpoints.models import Endpoint
from mocks.services import mock_behaviour_update, mock_settings_ensure
from tests.factories import make_endpoint

CHAT_MESSAGES: list[dict[str, Any]] = [
    {
        "name": "say",
        "direction": "send",
        "format": "json",
        "examples": [{"name": "Hi", "body": '{"type": "say", "id": "m1", "text": "hi"}'}],
        "match": {"kind": "path", "path": "$.type", "value": "say"},
    },
    {
        "name": "said",
        "direction": "receive",
        "format": "json",
        "reply_to": "say",
        "examples": [
            {"name": "OK", "body": '{"type": "said", "id": "{{requestId}}", "n": {{count}}}'},
            {"name": "Again", "body": '{"type": "said", "id": "{{requestId}}", "again": true}'},
        ],
        "match": {"kind": "path", "path": "$.type", "value": "said"},
    },
    {
        "name": "welcome",
        "direction": "receive",
        "format": "json",
        "examples": [{"name": "Hello", "body": '{"type": "welcome", "room": "{{room}}"}'}],
        "match": {"kind": "path", "path": "$.type", "value": "welcome"},
    },
    {
        "name": "presence",
        "direction": "receive",
        "format": "json",
        "examples": [{"name": "Online", "body": '{"type": "presence", "tick": {{count}}}'}],
        "match": {"kind": "path", "path": "$.type", "value": "presence"},
    },
    {
        "name": "error",
        "direction": "receive",
        "format": "json",
        "examples": [{"name": "Unknown", "body": '{"type": "error", "detail": "unknown"}'}],
        "match": {"kind": "path", "path": "$.type", "value": "error"},
    },
]

CHAT_SPEC: dict[str, Any] = {
    "handshake": {"check": True, "status": 401, "body": '{"error": "log in first"}'},
    "on_open": [{"message": "welcome"}],
    "rules": [{"when": "say", "extract": [{"variable": "requestId", "path": "$.id"}]}],
    "pushes": [{"message": "presence", "interval_ms": 300}],
    "faults": {"close_after_messages": 10, "close_code": 4000, "close_reason": "bye"},
    "unmatched": {"policy": "error", "message": "error"},
}


def make_chat(team: Any, spec: dict[str, Any] | None = None) -> tuple[Endpoint, str]:
    """The chat endpoint with its mock behaviour, and the project's mock key."""
    from tests.factories import make_var

    make_var(team, "room", "lobby")
    endpoint = make_endpoint(
        team,
        name="Chat",
        url="wss://chat.example.test/v1/chat?x=1",
        headers=[{"name": "Authorization", "value": "Bearer {{token}}", "enabled": True}],
        messages=CHAT_MESSAGES,
    )
    mock_behaviour_update(endpoint=endpoint, actor=team.editor, spec=spec or CHAT_SPEC)
    return endpoint, mock_settings_ensure(project=team.project).key
