"""Emit steps and the Socket.IO assertions, checked and evaluated without a server: every
wrong field is named, an ack wait makes the step a frame to extract from, and event / ack
assertions read what a record's info["sio"] says."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.engine.assertions import Frame, compile_assertion
from scenarios.engine.steps import (
    DocumentedMessage,
    EndpointFacts,
    StepErrors,
    check_steps,
    describe,
)

CHAT = EndpointFacts(
    "Chat",
    {"say": DocumentedMessage("send", ("Hello",), event="say")},
    "socketio",
)
CONNECT = {"kind": "connect", "alias": "c", "endpoint": 3}


def lookup(endpoint: int) -> EndpointFacts | None:
    return CHAT if endpoint == 3 else None


def errors(*steps: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(StepErrors) as caught:
        check_steps([CONNECT, *steps], lookup)
    return caught.value.errors


def emit(**fields: Any) -> dict[str, Any]:
    return {"kind": "emit", "alias": "c", **fields}


def test_good_emits_and_their_titles() -> None:
    steps = check_steps(
        [
            CONNECT,
            emit(event="chat", args=["hi {{who}}", {"room": 1}], ack=True, ack_timeout_ms=900),
            {"kind": "extract", "extract": [{"variable": "ok", "path": "$[0]"}]},
            emit(message="say", example="Hello", namespace="/admin"),
            emit(event="chat", ack=True, wait_ack=False),
        ],
        lookup,
    )
    assert steps[1].timeout_ms == 900 and steps[2].source_step == 1
    assert [describe(step.spec) for step in steps[1:]] == [
        "c: emit chat and wait for the ack",
        "extract ok",
        "c: emit say (Hello)",
        "c: emit chat",
    ]


@pytest.mark.parametrize(
    ("step", "field", "words"),
    [
        (emit(), "event", "non-empty string"),
        (emit(event="x", args={"a": 1}), "args", "JSON array"),
        (emit(event="x", message="say"), "message", "either"),
        (emit(message="shout"), "message", "no message 'shout'"),
        (emit(message="say", example="Bye"), "example", "no example 'Bye'"),
        (emit(event="x", example="Hello"), "example", "goes with a message"),
        (emit(event="x", namespace="chat"), "namespace", "starts with '/'"),
        (emit(event="x", ack="yes"), "ack", "true"),
        (emit(event="x", ack_timeout_ms=10), "ack_timeout_ms", "asks for an ack"),
        (emit(event="x", ack=True, ack_timeout_ms=0), "ack_timeout_ms", "from 1"),
        (emit(event="x", wait_ack=False), "wait_ack", "asked-for ack"),
    ],
)
def test_bad_emits_are_named(step: dict[str, Any], field: str, words: str) -> None:
    found = errors(step)
    assert list(found) == [f"steps[1].{field}"], found
    assert words in found[f"steps[1].{field}"][0]


def test_an_emit_without_an_ack_wait_has_no_frame_to_extract_from() -> None:
    found = errors(
        emit(event="x", ack=True, wait_ack=False),
        {"kind": "extract", "extract": [{"variable": "v", "path": "$[0]"}]},
    )
    assert "steps[2].extract" in found


def test_event_and_ack_assertions() -> None:
    event = Frame.of("42[...]", sio={"type": "event", "event": "chat", "args": ["hi", 2]})
    ack = Frame.of("43", sio={"type": "ack", "event": "say", "args": ["ok"]})
    plain = Frame.of('["hi", 2]')
    is_chat = compile_assertion({"kind": "event", "name": "chat"})
    assert is_chat.evaluate(event).passed
    assert is_chat.evaluate(ack).reason == "the frame is ack"
    assert is_chat.evaluate(plain).reason == "the frame is (not a Socket.IO frame)"
    assert compile_assertion({"kind": "ack"}).evaluate(ack).passed
    assert compile_assertion({"kind": "ack", "event": "say"}).evaluate(ack).passed
    other = compile_assertion({"kind": "ack", "event": "chat"}).evaluate(ack)
    assert (other.passed, other.reason) == (False, "it acknowledges say")
    # The other assertions read the arguments array.
    second = compile_assertion({"kind": "json", "path": "$[1]", "op": "equals", "value": 2})
    assert second.evaluate(event).passed
