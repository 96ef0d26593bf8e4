"""The mock's pure engine: specs checked against documented messages, handshake checks,
endpoint paths, and the per-connection machine (replies, turns, faults, unmatched frames)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from endpoints.environments.resolver import Dynamics
from mocks.engine.handshake import HandshakeRequest, check_handshake, endpoint_path
from mocks.engine.machine import Close, MockMachine, Send
from mocks.engine.spec import MockSpecError, normalize_spec
from tests.mocks.chat import CHAT_MESSAGES, CHAT_SPEC


def spec(raw: dict[str, Any]) -> dict[str, Any]:
    return normalize_spec(raw, CHAT_MESSAGES, min_interval_ms=100)


def machine(raw: dict[str, Any], **values: str) -> MockMachine:
    return MockMachine(
        spec(raw), CHAT_MESSAGES, {}, values, dynamics=Dynamics(), rng=random.Random(1)
    )


def sent(actions: list[Any]) -> list[Any]:
    return [json.loads(a.data) if isinstance(a, Send) else a for a in actions]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"rules": [{"when": "nope"}]}, "rules[0].when"),
        ({"rules": [{"when": "said"}]}, "rules[0].when"),  # a receive message
        ({"rules": [{"when": "say", "reply": "say"}]}, "rules[0].reply"),
        ({"rules": [{"when": "say", "delay_ms": -1}]}, "rules[0].delay_ms"),
        (
            {"rules": [{"when": "say", "extract": [{"variable": "a", "path": "$["}]}]},
            "rules[0].extract[0].path",
        ),
        ({"rules": [{"when": "say", "pick": "best"}]}, "rules[0].pick"),
        ({"rules": [{"when": "say"}, {"when": "say"}]}, "rules[1].when"),
        ({"pushes": [{"message": "presence", "interval_ms": 99}]}, "pushes[0].interval_ms"),
        ({"pushes": [{"message": "presence"}]}, "pushes[0].interval_ms"),
        ({"pushes": [{"message": "presence", "interval_ms": 100, "times": 0}]}, "pushes[0].times"),
        ({"on_open": [{"message": "welcome", "example": "Bye"}]}, "on_open[0].example"),
        ({"handshake": {"status": 200}}, "handshake.status"),
        ({"faults": {"close_code": 1006}}, "faults.close_code"),
        ({"faults": {"close_after_seconds": -1}}, "faults.close_after_seconds"),
        ({"unmatched": {"policy": "error"}}, "unmatched.message"),
        ({"unmatched": {"policy": "shout"}}, "unmatched.policy"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_specs_name_the_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(MockSpecError) as error:
        spec(raw)
    assert error.value.field == field


def test_the_default_spec_answers_documented_replies_and_ignores_the_rest() -> None:
    m = machine({})
    got = m.receive('{"type": "say", "id": "x"}')
    assert got.message == "say" and got.note == "reply"
    assert sent(got.actions) == [{"type": "said", "id": "{{requestId}}", "n": 1}]
    assert m.receive("hello").note == "ignored"


def test_chat_replies_carry_the_request_id_and_close_after_ten_messages() -> None:
    m = machine(CHAT_SPEC, room="lobby")
    assert sent(m.opening()) == [{"type": "welcome", "room": "lobby"}]
    for n in range(1, 10):
        got = m.receive(json.dumps({"type": "say", "id": f"r{n}"}))
        assert sent(got.actions) == [{"type": "said", "id": f"r{n}", "n": n}]
    last = m.receive("not documented")
    assert last.note == "answered with an error"
    assert sent(last.actions) == [{"type": "error", "detail": "unknown"}, Close(4000, "bye")]
    assert sent([m.push(0, 3)]) == [{"type": "presence", "tick": 3}]


def test_picks_in_turn_and_faults_drop_and_break_replies() -> None:
    m = machine(
        {
            "rules": [{"when": "say", "pick": "in_turn"}],
            "faults": {"drop_every_nth_reply": 3, "invalid_frame_every_nth_reply": 2},
        }
    )
    notes = [m.receive('{"type": "say"}').actions[0] for _ in range(4)]
    assert all(isinstance(a, Send) for a in notes)
    notes_sent = [a for a in notes if isinstance(a, Send)]
    assert [a.note for a in notes_sent] == ["reply", "invalid", "dropped", "invalid"]
    assert json.loads(notes_sent[0].data)["n"] == 1
    with pytest.raises(ValueError):
        json.loads(notes_sent[1].data)
    turns = machine({"rules": [{"when": "say", "pick": "in_turn"}]})
    replies = [sent(turns.receive('{"type": "say"}').actions)[0] for _ in range(3)]
    assert ["again" in reply for reply in replies] == [False, True, False]


def test_echo_policy_sends_frames_back_as_they_came() -> None:
    m = machine({"unmatched": {"policy": "echo"}})
    assert m.receive(None, b"\x00\x01").actions == [Send(b"\x00\x01", "", "echo")]


def test_endpoint_paths() -> None:
    assert endpoint_path("wss://h.test/v1/chat?x=1", {}) == "/v1/chat"
    assert endpoint_path("ws://h.test", {}) == "/"
    assert endpoint_path("{{baseUrl}}/v1/chat/", {}) == "/v1/chat"
    assert endpoint_path("wss://{{host}}/a/{{ver}}", {"ver": "v2"}) == "/a/v2"


def test_handshake_checks_what_the_endpoint_documents() -> None:
    documented = {
        "params": [{"name": "room", "value": "", "enabled": True}],
        "headers": [
            {"name": "Authorization", "value": "Bearer {{token}}", "enabled": True},
            {"name": "X-Off", "value": "", "enabled": False},
        ],
        "cookies": [{"name": "sid", "value": "abc", "enabled": True}],
        "subprotocols": ["chat.v1", "chat.v2"],
    }
    ok = HandshakeRequest(
        {"room": ["1"]}, {"authorization": ["Bearer t"]}, {"sid": "abc"}, ["x", "chat.v2"]
    )
    verdict = check_handshake(documented, ok, {})
    assert verdict.problems == [] and verdict.subprotocol == "chat.v2"
    bad = HandshakeRequest({}, {}, {"sid": "zzz"}, [])
    assert check_handshake(documented, bad, {}).problems == [
        "query parameter 'room' is missing",
        "header 'Authorization' is missing",
        "cookie 'sid' does not have the documented value",
        "no documented subprotocol offered (one of chat.v1, chat.v2)",
    ]
