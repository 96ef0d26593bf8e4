"""The embedded default's ``live`` layer (sessions/relay/local_layer.py): Channels' in-memory
layer without copies or a task per group member, with its capacity, expiry and group rules."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.exceptions import ChannelFull
from django.conf import settings

from sessions.relay import local_layer
from sessions.relay.local_layer import LocalLayer


def test_it_is_the_live_layer_of_the_embedded_default():
    from config.settings import redis_channel_layers

    assert "LocalLayer" not in str(redis_channel_layers("redis://127.0.0.1:6379/0"))
    # config/settings.py without REDIS_URL (the tests run with Redis, so read the source).
    source = (settings.BASE_DIR / "config" / "settings.py").read_text()
    assert '"live": {"BACKEND": "sessions.relay.local_layer.LocalLayer"}' in source


def test_a_group_send_reaches_every_member_in_order_sharing_one_message():
    async def scenario() -> None:
        layer = LocalLayer()
        viewers = [await layer.new_channel("viewer.") for _ in range(3)]
        for channel in viewers:
            await layer.group_add("session.1", channel)
        await layer.group_add("session.2", viewers[0])
        first, second = {"type": "session.events", "n": 1}, {"type": "session.events", "n": 2}
        await layer.group_send("session.1", first)
        await layer.group_send("session.1", second)
        await layer.group_send("session.3", {"type": "nobody"})  # no members: nothing
        for channel in viewers:
            assert await layer.receive(channel) is first  # shared, not copied
            assert await layer.receive(channel) is second
        await layer.group_discard("session.1", viewers[1])
        await layer.group_send("session.1", {"type": "x", "n": 3})
        assert (await layer.receive(viewers[0]))["n"] == 3
        assert not layer.channels.get(viewers[1])

    asyncio.run(scenario())


def test_a_full_member_misses_a_group_message_and_a_direct_send_says_so():
    async def scenario() -> None:
        layer = LocalLayer(capacity=2)
        slow, fast = "viewer.slow", "viewer.fast"
        for channel in (slow, fast):
            await layer.group_add("session.1", channel)
        for n in range(3):
            await layer.group_send("session.1", {"type": "e", "n": n})
            assert (await layer.receive(fast))["n"] == n
        assert [(await layer.receive(slow))["n"] for _ in range(2)] == [0, 1]
        await layer.send("relay.x", {"type": "a"})
        await layer.send("relay.x", {"type": "b"})
        with pytest.raises(ChannelFull):
            await layer.send("relay.x", {"type": "c"})

    asyncio.run(scenario())


def test_a_receiver_waiting_gets_a_message_sent_later_and_expired_ones_are_swept(monkeypatch):
    async def scenario() -> None:
        layer = LocalLayer(expiry=60)
        waiting = asyncio.get_running_loop().create_task(layer.receive("relay.y"))
        await asyncio.sleep(0)
        await layer.send("relay.y", {"type": "late"})
        assert (await asyncio.wait_for(waiting, 5))["type"] == "late"
        await layer.group_add("session.9", "viewer.gone")
        await layer.send("viewer.gone", {"type": "old"})
        # Sixty-one seconds on: the sweep (at most once a second) drops the message and,
        # as Channels does, the channel's group memberships.
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 61)
        layer._swept_at -= local_layer.SWEEP_INTERVAL
        await layer.group_send("session.9", {"type": "new"})
        assert "viewer.gone" not in layer.channels
        assert not layer.groups.get("session.9")

    asyncio.run(scenario())
