"""The channel layer of live session traffic in scaled mode: Redis pub/sub (one round trip per
hop instead of channels_redis' 3 or 4), made safe for the session stream.

Pub/sub delivers at most once and keeps nothing, so on top of channels_redis'
``RedisPubSubChannelLayer`` this layer:

* bounds each channel's queue (``capacity``, like the default layer): a viewer that stops
  reading does not make its web process grow; what does not fit is dropped;
* tells each channel when it may have missed messages: after a message was dropped for it,
  and after the subscriber connection to Redis came back (a restart, a dropped connection,
  Redis closing a slow subscriber). Its receiver then gets ``{"type": RESYNC}`` and re-reads
  what it missed from the database (the session stream re-reads its log after ``last_seq``);
* answers ``send`` with how many subscribers got the message (0: nobody listens on that
  channel, so the caller can say so instead of waiting for an answer that cannot come), and
  says whether a group has subscribers (``group_watched``), so that a big message nobody
  would get is not encoded and sent at all.

Written against channels_redis 4.3's pub/sub classes (``RedisPubSubLoopLayer``,
``RedisSingleShardConnection``); tests/sessions/test_live_layer.py covers what this relies on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)
from channels_redis.utils import _wrap_close, decode_hosts

# The message a receiver gets when messages for its channel may have been lost.
RESYNC = "live.resync"

# channels_redis ships no type information, so its classes are ``Any`` to mypy and subclassing
# them is reported ([misc], disallow_subclassing_any). The three subclasses below say so on
# their class line; what they return from the base classes is given a type where it is read.


class LiveChannelLayer(RedisPubSubChannelLayer):  # type: ignore[misc]  # untyped base
    def __init__(self, *args: Any, capacity: int = 100, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.capacity = capacity

    def _get_layer(self) -> _LoopLayer:
        loop = asyncio.get_running_loop()
        layer: _LoopLayer | None = self._layers.get(loop)
        if layer is None:
            layer = _LoopLayer(
                *self._args, **self._kwargs, channel_layer=self, capacity=self.capacity
            )
            self._layers[loop] = layer
            _wrap_close(self, loop)
        return layer


class _LoopLayer(RedisPubSubLoopLayer):  # type: ignore[misc]  # untyped base
    def __init__(self, *args: Any, capacity: int, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self.capacity = capacity
        # Channels that lost a message: they get RESYNC once their queue is empty.
        self.missed: set[str] = set()
        self._shards = [_Shard(host, self) for host in decode_hosts(hosts)]

    async def _subscribe_to_channel(self, channel: str) -> None:
        self.channels[channel] = asyncio.Queue(maxsize=self.capacity)
        await self._shard(channel).subscribe(channel)

    def _shard(self, channel: str) -> _Shard:
        shard: _Shard = self._get_shard(channel)  # made by __init__ above: always a _Shard
        return shard

    async def send(self, channel: str, message: dict[str, Any]) -> int:
        """Publish ``message``; the number of subscribers (processes) that got it."""
        data: bytes = self.channel_layer.serialize(message)
        return await self._shard(channel).publish(channel, data)

    async def group_watched(self, group: str) -> bool:
        """Whether any process subscribes to ``group`` now."""
        name: str = self._get_group_channel_name(group)
        return await self._shard(name).subscribers(name) > 0

    async def receive(self, channel: str) -> dict[str, Any]:
        queue = self.channels.get(channel)
        if channel in self.missed and (queue is None or queue.empty()):
            self.missed.discard(channel)
            return {"type": RESYNC}
        message: dict[str, Any] = await super().receive(channel)
        return message

    def deliver(self, channel: str, data: bytes) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            return
        try:
            queue.put_nowait(data)
        except asyncio.QueueFull:
            self.missed.add(channel)

    def resync_all(self) -> None:
        """Every local channel may have missed messages (the subscription was interrupted)."""
        self.missed.update(self.channels)
        marker = self.channel_layer.serialize({"type": RESYNC})
        for channel, queue in self.channels.items():
            if queue.empty():
                # Wake a receiver that is waiting now; it re-reads, so the flag is spent.
                self.missed.discard(channel)
                queue.put_nowait(marker)


class _Shard(RedisSingleShardConnection):  # type: ignore[misc]  # untyped base
    channel_layer: _LoopLayer

    async def publish(self, channel: str, message: bytes) -> int:
        async with self._lock:
            self._ensure_redis()
            return int(await self._redis.publish(channel, message))

    async def subscribers(self, channel: str) -> int:
        async with self._lock:
            self._ensure_redis()
            counts = await self._redis.pubsub_numsub(channel)
        return int(counts[0][1]) if counts else 0

    def _ensure_redis(self) -> None:
        fresh = self._redis is None
        super()._ensure_redis()
        if fresh:
            # redis-py re-subscribes a pub/sub connection when it reconnects, through the
            # connection's callback to ``on_connect`` (registered after the first connect);
            # this one also says that messages may have been missed meanwhile.
            self._pubsub.on_connect = self._on_connect

    async def _on_connect(self, connection: Any) -> None:
        pubsub = self._pubsub
        if pubsub is not None:
            await type(pubsub).on_connect(pubsub, connection)
        self.channel_layer.resync_all()

    def _receive_message(self, message: dict[str, Any] | None) -> None:
        if message is None:
            return
        name, data = message["channel"], message["data"]
        if isinstance(name, bytes):
            name = name.decode()
        layer = self.channel_layer
        if name in layer.channels:
            layer.deliver(name, data)
        elif name in layer.groups:
            for channel in layer.groups[name]:
                layer.deliver(channel, data)
