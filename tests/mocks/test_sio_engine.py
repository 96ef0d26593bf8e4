"""The Socket.IO mock's pure part (mocks/engine/sio.py): events recognised by name, replies
and pushes emitted as events, acks from the rule or the message's ack_schema, the namespace and
auth checked, faults, and each frame labelled with its event for the traffic log."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from core.socketio.handshake import SocketIOVersion
from endpoints.environments.resolver import Dynamics
from mocks.engine.machine import Close, MockMachine, Send
from mocks.engine.sio import SocketIOMock, Start, auth_problems
from mocks.engine.spec import MockSpecError, normalize_spec
from tests.mocks.sio_chat import SIO_MESSAGES, SIO_SPEC


def mock(
    raw: dict[str, Any] | None = None,
    version: SocketIOVersion = SocketIOVersion.V4,
    **options: Any,
) -> SocketIOMock:
    spec = normalize_spec(raw or SIO_SPEC, SIO_MESSAGES, min_interval_ms=100, socketio=True)
    machine = MockMachine(
        spec, SIO_MESSAGES, {}, {"room": "lobby"}, dynamics=Dynamics(), rng=random.Random(1)
    )
    return SocketIOMock(machine, version, **{"namespace": "/", **options})


def frames(actions: list[Any]) -> list[Any]:
    return [a.data if isinstance(a, Send) else a for a in actions]


def labels(actions: list[Any]) -> list[tuple[str, str]]:
    """(note, event) of each frame sent."""
    return [(a.note, a.event) for a in actions if isinstance(a, Send)]


def test_socketio_specs_acknowledge_and_websocket_ones_cannot() -> None:
    spec = normalize_spec(SIO_SPEC, SIO_MESSAGES, min_interval_ms=100, socketio=True)
    assert spec["rules"][1] == {
        "when": "join",
        "reply": None,
        "pick": "first",
        "delay_ms": 0,
        "extract": [],
        "ack": '[{"joined": "{{room}}"}]',
    }
    assert spec["rules"][0]["ack"] is None
    with pytest.raises(MockSpecError) as error:
        normalize_spec(SIO_SPEC, SIO_MESSAGES, min_interval_ms=100)
    assert error.value.field == "rules[1].ack"
    with pytest.raises(MockSpecError) as error:
        normalize_spec(
            {"rules": [{"when": "join"}]}, SIO_MESSAGES, min_interval_ms=100, socketio=True
        )
    assert error.value.field == "rules[0].reply"


def test_a_v4_conversation() -> None:
    m = mock()
    opened = m.opening()
    assert len(opened) == 1 and str(frames(opened)[0]).startswith('0{"sid":')
    got = m.receive("40", None)
    assert got.note == "connect"
    assert frames(got.actions)[1:] == ['42["welcome",{"room":"lobby"}]', Start()]
    assert labels(got.actions)[1] == ("on open", "welcome")

    got = m.receive('427["say",{"id":"r1","text":"hi"}]', None)
    assert (got.message, got.note, got.event) == ("say", "reply", "say")
    # The ack first (ack_schema's example), then the reply event with the extracted id.
    assert frames(got.actions) == ['437[{"ok":true}]', '42["said",{"id":"r1","n":1},"ok"]']
    assert labels(got.actions) == [("ack", "say"), ("reply", "said")]

    got = m.receive('428["join","lobby"]', None)
    assert (got.message, got.note) == ("join", "ack")
    assert frames(got.actions) == ['438[{"joined":"lobby"}]']
    # An emit without an ack id gets no ack.
    assert frames(m.receive('42["join","lobby"]', None).actions) == []

    got = m.receive('42["dance"]', None)
    assert (got.message, got.note, got.event) == ("", "answered with an error", "dance")
    assert frames(got.actions) == ['42["oops","unknown event"]']

    assert frames(m.push(0, 3)) == ['42["presence",{"tick":3}]']
    assert frames(m.ping()) == ["2"] and m.missed_heartbeat()
    assert m.receive("3", None).note == "pong" and not m.missed_heartbeat()
    for n in range(5):
        m.receive(f'42["say",{{"id":"x{n}"}}]', None)
    last = m.receive('42["say",{"id":"x"}]', None)  # the 10th event
    assert frames(last.actions)[-3:] == ["41", "1", Close(4000, "bye")]


def test_binary_events_are_labelled_until_complete() -> None:
    m = mock({"unmatched": {"policy": "echo"}})
    m.opening()
    m.receive("40", None)
    first = m.receive('451-3["file",{"_placeholder":true,"num":0}]', None)
    assert (first.note, first.event, first.actions) == ("attachments follow", "file", [])
    done = m.receive(None, b"\x00\xff")
    assert (done.note, done.event) == ("echoed", "file")
    # Echoed as the ack the client asked for, the attachment after its packet.
    assert frames(done.actions) == ['461-3[{"_placeholder":true,"num":0}]', b"\x00\xff"]
    assert labels(done.actions) == [("echo", "file"), ("attachment", "file")]


def test_namespaces_and_v2() -> None:
    m = mock(namespace="/chat", prefix="/mock/k/v1")
    m.opening()
    refused = m.receive("40", None)
    assert refused.note == "connect refused"
    assert frames(refused.actions) == ['44{"message":"Invalid namespace"}']
    # A client that swapped only its base URL names the namespace after the mock's path.
    got = m.receive("40/mock/k/v1/chat,", None)
    assert (
        got.note == "connect"
        and frames(got.actions)[1] == '42/mock/k/v1/chat,["welcome",{"room":"lobby"}]'
    )
    assert frames(m.push(0, 1)) == ['42/mock/k/v1/chat,["presence",{"tick":1}]']

    v2 = mock(version=SocketIOVersion.V2)
    opened = v2.opening()
    # Socket.IO 2 connects "/" unasked: the welcome and the pushes follow at once.
    assert frames(opened)[1:] == ["40", '42["welcome",{"room":"lobby"}]', Start()]
    assert frames(v2.receive("2", None).actions) == ["3"]
    assert frames(v2.receive("40/nope,", None).actions) == ['44/nope,"Invalid namespace"']


def test_auth_is_checked_against_the_documented_payload() -> None:
    m = mock(auth='{"token": "{{room}}", "user": ""}')
    m.opening()
    refused = m.receive('40{"token":"wrong"}', None)
    assert json.loads(str(frames(refused.actions)[0])[2:]) == {
        "message": "not authorized",
        "data": {
            "problems": [
                "auth 'token' does not have the documented value",
                "auth 'user' is missing",
            ]
        },
    }
    assert m.receive('40{"token":"lobby","user":"ann"}', None).note == "connect"
    assert auth_problems("", None, {}) == [] and auth_problems("not json", {}, {}) == []


def test_faults_drop_and_break_replies() -> None:
    spec = {
        "rules": [{"when": "say"}],
        "faults": {"drop_every_nth_reply": 2, "invalid_frame_every_nth_reply": 3},
    }
    m = mock(spec)
    m.opening()
    m.receive("40", None)
    notes = [
        [note for note, _ in labels(m.receive(f'42["say",{{"id":"{n}"}}]', None).actions)]
        for n in range(5)
    ]
    assert notes == [["reply"], ["dropped"], ["invalid"], ["dropped"], ["reply"]]
    assert m.receive("garbage", None).actions == [
        Close(1002, "Not an Engine.IO packet: 'garbage'.")
    ]
