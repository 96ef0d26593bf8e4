"""Every message of a session's live socket fits what Daphne will send (its
--websocket-max-message-size, 1 MiB by default; a bigger one fails the socket with 1011): a
replay of many large entries is split, and an entry too big for any message comes without its
content, marked ``omitted``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tokens import token_create
from config.asgi import application
from sessions import services
from sessions.models import Event
from sessions.relay.protocol import LIVE_MESSAGE_BYTES
from tests.factories import log_entry

pytestmark = pytest.mark.django_db(transaction=True)


def seed(team) -> tuple[int, str]:
    session = services.session_create(
        actor=team.editor, project=team.project, data={"url": "ws://upstream.test/"}
    )
    now = datetime.now(UTC)
    frame = "f" * 10_000
    events = [log_entry(session, seq, now, f"{seq}:{frame}") for seq in range(1, 601)]
    # One entry whose JSON alone is far over the limit: control characters escape to 6 bytes.
    events.append(log_entry(session, 601, now, "\x01" * (1024 * 1024)))
    events.append(log_entry(session, 602, now, b"\x00\x01\x02"))
    Event.objects.bulk_create(events)
    _, token = token_create(user=team.editor, name="live")
    return session.pk, token


async def test_a_replay_of_large_entries_is_split_to_fit(team):
    session_id, token = await sync_to_async(seed)(team)
    communicator = WebsocketCommunicator(
        application, f"/ws/sessions/{session_id}/?after=0&token={token}"
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    assert json.loads(await communicator.receive_from(timeout=10))["type"] == "session"
    seqs: list[int] = []
    sizes: list[int] = []
    omitted: list[dict[str, Any]] = []
    while not seqs or seqs[-1] < 602:
        raw = await communicator.receive_from(timeout=10)
        sizes.append(len(raw.encode()))
        message = json.loads(raw)
        assert message["type"] == "events"
        seqs.extend(e["seq"] for e in message["events"])
        omitted.extend(e for e in message["events"] if e.get("omitted"))
    await communicator.disconnect()
    assert seqs == list(range(1, 603))
    assert max(sizes) <= LIVE_MESSAGE_BYTES < 1024 * 1024
    assert len(sizes) >= 6  # 6 MB of entries
    assert [e["seq"] for e in omitted] == [601]
    assert omitted[0]["text"] is None and omitted[0]["size"] == 1024 * 1024
