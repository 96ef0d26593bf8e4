"""Acknowledgements of sends over the live socket travel inside the stored batch that holds the
message: the socket that sent gets its ack, other viewers of the session only the events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sessions.test_live import bearer, collect, connected_session, live_viewer, open_stream

pytestmark = pytest.mark.django_db(transaction=True)


async def test_only_the_sending_socket_gets_the_ack(relay, team, ws_upstream):
    _, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    sender = await live_viewer(team.editor, sid)
    watcher = await live_viewer(team.editor, sid)

    await sender.send_to(json.dumps({"type": "send", "format": "text", "body": "hi", "ref": "a"}))
    seqs, others = await collect(sender, until_seq=4)
    assert seqs == [3, 4]
    assert [m for m in others if m["type"] == "ack"] == [
        {
            "type": "ack",
            "ref": "a",
            "seq": 3,
            "connection": 1,
            "opcode": "text",
            "size": 2,
            "truncated": False,
            "timestamp": others[0]["timestamp"],
            # The contract check: nothing is checked in a session not opened from an endpoint.
            "message": None,
            "contract": "",
            "problems": None,
        }
    ]
    seqs, others = await collect(watcher, until_seq=4)
    assert seqs == [3, 4] and others == []
    for communicator in (sender, watcher):
        await communicator.disconnect()


async def test_a_socket_opened_with_acks_in_events_gets_its_ack_in_the_batch(
    relay, team, ws_upstream
):
    _, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    sender = await open_stream(f"/ws/sessions/{sid}/?acks=events", await bearer(team.editor))
    await collect(sender, until_seq=2)
    watcher = await live_viewer(team.editor, sid)

    await sender.send_to(json.dumps({"type": "send", "format": "text", "body": "hi", "ref": "a"}))
    batches: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    while not batches or batches[-1]["events"][-1]["seq"] < 4:
        message = json.loads(await sender.receive_from(timeout=20))
        (batches if message["type"] == "events" else others).append(message)
    assert others == []  # no separate ack message
    holding = next(b for b in batches if any(e["seq"] == 3 for e in b["events"]))
    sent = next(e for e in holding["events"] if e["seq"] == 3)
    assert holding["acks"] == [
        {
            "ref": "a",
            "seq": 3,
            "connection": 1,
            "opcode": "text",
            "size": 2,
            "truncated": False,
            "timestamp": sent["timestamp"],
            "message": None,
            "contract": "",
            "problems": None,
        }
    ]
    assert all("acks" not in b for b in batches if b is not holding)
    # Other viewers are told nothing of it, whatever they asked for.
    seqs, others = await collect(watcher, until_seq=4)
    assert seqs == [3, 4] and others == []
    for communicator in (sender, watcher):
        await communicator.disconnect()
