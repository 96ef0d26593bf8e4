"""A stored batch becomes as many live messages as it takes for each to fit in one viewer
message, so viewer sockets forward them as they are (large frames, like checked JSON ones,
would otherwise make the socket decode and split every batch)."""

from __future__ import annotations

import json

from sessions.relay.protocol import LIVE_MESSAGE_BYTES, events_messages


def events(count: int, size: int) -> list[dict[str, object]]:
    return [{"seq": seq, "text": "é" * size, "kind": "received"} for seq in range(1, count + 1)]


def test_a_batch_too_big_for_one_message_is_split_in_order() -> None:
    batch = events(2000, 600)  # 1,200 bytes of text each: 2.4 MB
    messages = events_messages(7, batch, "closed")

    assert len(messages) > 2
    assert all(len(m["events_json"].encode()) <= LIVE_MESSAGE_BYTES for m in messages)
    decoded = [json.loads(m["events_json"]) for m in messages]
    assert [e for part in decoded for e in part] == batch
    assert [(m["first"], m["last"]) for m in messages] == [
        (part[0]["seq"], part[-1]["seq"]) for part in decoded
    ]
    assert [m["state"] for m in messages] == [None] * (len(messages) - 1) + ["closed"]
    assert {m["session"] for m in messages} == {7}


def test_a_batch_that_fits_is_one_message() -> None:
    (message,) = events_messages(7, events(100, 100), "open")
    assert (message["first"], message["last"], message["state"]) == (1, 100, "open")
    # One entry bigger than a message alone is not split (the socket omits its content).
    (alone,) = events_messages(7, events(1, LIVE_MESSAGE_BYTES), None)
    assert alone["first"] == alone["last"] == 1
