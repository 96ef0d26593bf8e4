"""The live channel layer (Redis pub/sub for session streams): what it adds to plain pub/sub
(bounded queues, RESYNC, subscriber counts), and that a viewer gets every entry once, in order,
when pub/sub loses some. Against its own redis-servers: test_live_layer_redis.py."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from django.conf import settings

from sessions.models import DebugSession
from sessions.relay.live_layer import RESYNC, LiveChannelLayer
from sessions.relay.protocol import LIVE_LAYER, session_group
from tests.polling import eventually
from tests.sessions.test_live import collect, connected_session, live_viewer


def live_config() -> dict[str, Any]:
    """The live layer's CONFIG in the test settings (Redis)."""
    config: dict[str, Any] = settings.CHANNEL_LAYERS[LIVE_LAYER]["CONFIG"]
    return config


def make_layers(**kwargs: Any) -> tuple[LiveChannelLayer, LiveChannelLayer]:
    """A receiving and a sending layer (as in two processes), with a prefix of their own so
    that nothing else on this Redis reaches their channels."""
    config = {
        **live_config(),
        "prefix": f"test-live-{uuid.uuid4().hex}.",
    }
    return LiveChannelLayer(**config, **kwargs), LiveChannelLayer(**config)


def kill_subscriber(layer: Any) -> None:
    """Close this process's pub/sub connection of ``layer`` from the Redis side (as a Redis
    restart or a dropped connection would)."""
    loop_layer = layer._get_layer()
    for shard in loop_layer._shards:
        host, port = shard._subscriber.transport.get_extra_info("sockname")[:2]
        client = redis.Redis.from_url(live_config()["hosts"][0]["address"])
        try:
            assert client.client_kill_filter(_type=None, addr=f"{host}:{port}") == 1
        finally:
            client.close()


async def until_subscribed(layer: LiveChannelLayer, other: LiveChannelLayer, channel: str) -> None:
    """Wait until ``other``'s sends reach ``channel`` of ``layer``. Probes that reached nobody
    are gone; the one that arrived is read."""
    await eventually(lambda: other.send(channel, {"type": "probe"}), f"{channel} subscribed")
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "probe"}


async def until_nobody_gets(publish: Callable[[], Awaitable[int]]) -> None:
    """``publish`` until it reaches no subscriber."""

    async def nobody() -> bool:
        return await publish() == 0

    await eventually(nobody, "no subscriber")


async def test_send_says_how_many_got_it_and_receivers_unsubscribe():
    layer, other = make_layers()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await until_subscribed(layer, other, channel)
    assert await other.send(channel, {"type": "x"}) == 1
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "x"}
    assert await other.send("nobody-listens", {"type": "x"}) == 0

    waiting = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.05)
    waiting.cancel()  # a consumer that ends: its channel is unsubscribed
    await until_nobody_gets(lambda: other.send(channel, {"type": "x"}))
    await layer.group_discard("g", channel)
    shard = other._get_layer()._shards[0]
    group = other._get_layer()._get_group_channel_name("g")
    await until_nobody_gets(lambda: shard.publish(group, b"x"))
    await layer.flush()
    await other.flush()


async def test_a_full_channel_drops_and_then_says_resync():
    layer, other = make_layers(capacity=3)
    channel = await layer.new_channel()
    await until_subscribed(layer, other, channel)
    for n in range(5):
        await other.send(channel, {"type": "x", "n": n})
    await asyncio.sleep(0.2)
    got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(4)]
    assert got == [*({"type": "x", "n": n} for n in range(3)), {"type": RESYNC}]
    await other.send(channel, {"type": "x", "n": 9})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "x", "n": 9}
    await layer.flush()
    await other.flush()


async def test_a_lost_subscription_comes_back_and_says_resync():
    layer, other = make_layers()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    kill_subscriber(layer)
    assert await asyncio.wait_for(layer.receive(channel), 10) == {"type": RESYNC}
    # Subscribed again, to the channel and to the group.
    await until_subscribed(layer, other, channel)
    await other.send(channel, {"type": "x"})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "x"}
    await other.group_send("g", {"type": "g"})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "g"}
    await layer.flush()
    await other.flush()


@pytest.mark.django_db(transaction=True)
async def test_a_viewer_whose_subscription_broke_still_gets_every_entry(relay, team, ws_upstream):
    api, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    viewer = await live_viewer(team.editor, sid)

    # The web side's subscription drops while entries are stored: the batches published
    # meanwhile reach nobody; the stream re-reads them from the log.
    kill_subscriber(channel_layers[LIVE_LAYER])
    for n in range(5):
        await sync_to_async(api.send)(sid, format="text", body=f"m{n}")
    seqs, _ = await collect(viewer, until_seq=12)
    assert seqs == list(range(3, 13))
    await viewer.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_send_that_reaches_no_relay_is_answered(relay, team, ws_upstream):
    _, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    # The relay the session names is gone (its channel has no subscriber).
    await sync_to_async(DebugSession.objects.filter(pk=sid).update)(relay_channel="relay.gone!0123")
    viewer = await live_viewer(team.editor, sid)
    await viewer.send_to(json.dumps({"type": "send", "format": "text", "body": "x", "ref": 1}))
    while True:
        message = json.loads(await viewer.receive_from(timeout=10))
        if message["type"] == "error":
            break
    assert message["ref"] == 1 and message["code"] == "relay_unavailable"
    await viewer.disconnect()


async def until_watched(layer: Any, group: str, watched: bool) -> None:
    async def now() -> bool:
        return await layer.group_watched(group) == watched

    await eventually(now, f"{group} {'watched' if watched else 'unwatched'}")


@pytest.mark.django_db(transaction=True)
async def test_an_ack_in_a_lost_batch_is_asked_for_again(relay, team, ws_upstream):
    api, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    viewer = await live_viewer(team.editor, sid)
    layer = channel_layers[LIVE_LAYER]
    group = session_group(sid)
    loop_layer = layer._get_layer()
    members = set(loop_layer.groups[loop_layer._get_group_channel_name(group)])

    # The stream stops getting batches (as when Redis forgot its subscription) while it sends:
    # the batches holding its message, its echo and its ack reach nobody.
    for channel in members:
        await layer.group_discard(group, channel)
    await until_watched(layer, group, False)
    send = {"type": "send", "format": "text", "body": "lost", "ref": {"n": 1}}
    await viewer.send_to(json.dumps(send))
    await sync_to_async(api.wait_events)(sid, lambda events: len(events) >= 4)

    # Subscribed again (the stream renews it on its beat); the next batch shows the gap.
    for channel in members:
        await layer.group_add(group, channel)
    await until_watched(layer, group, True)
    await sync_to_async(api.send)(sid, format="text", body="next")
    seqs, others = await collect(viewer, until_seq=6)
    assert seqs == [3, 4, 5, 6]
    while not any(message["type"] == "ack" for message in others):
        others.append(json.loads(await viewer.receive_from(timeout=5)))
    answers = [m for m in others if m["type"] in ("ack", "error")]
    assert len(answers) == 1 and answers[0]["type"] == "ack", answers
    assert answers[0]["ref"] == {"n": 1} and answers[0]["seq"] == 3
    assert await viewer.receive_nothing(timeout=0.3)  # once, not twice
    await viewer.disconnect()
