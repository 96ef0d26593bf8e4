"""A Socket.IO chat endpoint, documented, and its mock behaviour: a welcome on connect, "say"
acknowledged (``ack_schema``'s example) and answered with "said" carrying the request's id,
"join" acknowledged by the rule's ``ack``, a presence push, an error event for anything else,
and a close after 10 events."""

from __future__ import annotations

from typing import Any

ARGS = {"type": "array"}

SIO_MESSAGES: list[dict[str, Any]] = [
    {
        "name": "say",
        "direction": "send",
        "format": "json",
        "event": "say",
        "schema": ARGS,
        "ack_schema": {"type": "array", "examples": [[{"ok": True}]]},
        "examples": [{"name": "Hi", "body": '[{"id": "m1", "text": "hi"}]'}],
    },
    {
        "name": "said",
        "direction": "receive",
        "format": "json",
        "event": "said",
        "reply_to": "say",
        "schema": ARGS,
        "examples": [{"name": "OK", "body": '[{"id": "{{requestId}}", "n": {{count}}}, "ok"]'}],
    },
    {
        "name": "join",
        "direction": "send",
        "format": "json",
        "event": "join",
        "schema": ARGS,
        "examples": [{"name": "Lobby", "body": '["lobby"]'}],
    },
    {
        "name": "welcome",
        "direction": "receive",
        "format": "json",
        "event": "welcome",
        "schema": ARGS,
        "examples": [{"name": "Hello", "body": '[{"room": "{{room}}"}]'}],
    },
    {
        "name": "presence",
        "direction": "receive",
        "format": "json",
        "event": "presence",
        "schema": ARGS,
        "examples": [{"name": "Online", "body": '[{"tick": {{count}}}]'}],
    },
    {
        "name": "error",
        "direction": "receive",
        "format": "json",
        "event": "oops",
        "schema": ARGS,
        "examples": [{"name": "Unknown", "body": '["unknown event"]'}],
    },
]

SIO_SPEC: dict[str, Any] = {
    "on_open": [{"message": "welcome"}],
    "rules": [
        {"when": "say", "extract": [{"variable": "requestId", "path": "$[0].id"}]},
        {"when": "join", "ack": '[{"joined": "{{room}}"}]'},
    ],
    "pushes": [{"message": "presence", "interval_ms": 300}],
    "faults": {"close_after_messages": 10, "close_code": 4000, "close_reason": "bye"},
    "unmatched": {"policy": "error", "message": "error"},
}
