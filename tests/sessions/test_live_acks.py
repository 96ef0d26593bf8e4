"""Acknowledgements of sends over the live socket travel inside the stored batch that holds the
message: the socket that sent gets its ack, other viewers of the session only the events."""

from __future__ import annotations

import json

import pytest

from tests.sessions.test_live import collect, connected_session, live_viewer

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
