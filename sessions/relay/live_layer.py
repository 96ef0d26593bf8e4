"""The channel layer of live session traffic in scaled mode: Redis pub/sub (one round trip per
hop instead of channels_redis' 3 or 4), made safe for the session stream.

Pub/sub delivers at most once and keeps nothing, so this layer:

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

It speaks to Redis through its own small client (sessions/relay/resp.py), one publishing and
one subscriber connection per host and event loop: a hop is a ``PUBLISH`` written at once and
a message handed to its channel's queue as the subscriber connection reads it. Channel and
group names, the hash that spreads them over several hosts and the message encoding (msgpack,
channels_redis' serializers) are channels_redis' ``RedisPubSubChannelLayer``'s, so processes
of both kinds understand each other. A subscribe returns once Redis confirmed it; while Redis
is unreachable it returns at once, and the channel is subscribed (and told to resync) as soon
as Redis is back. A send on a lost connection fails (``ConnectionError``) rather than being
repeated: Redis may have delivered it already.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import Any

from channels_redis.serializers import registry
from channels_redis.utils import _consistent_hash, _wrap_close, decode_hosts

from sessions.relay.resp import RespConnection, RespError, connect, host_address

logger = logging.getLogger(__name__)

# The message a receiver gets when messages for its channel may have been lost.
RESYNC = "live.resync"

# How long a subscribe waits for Redis to confirm it (the name stays subscribed meanwhile).
SUBSCRIBE_WAIT = 5.0
# Opening a connection again: the first pause, doubled up to the second.
BACKOFF = (0.05, 0.5)
# Attempts at opening a publishing connection before a send fails.
CONNECT_ATTEMPTS = 4


class LiveChannelLayer:
    extensions = ["groups", "flush"]

    def __init__(
        self,
        hosts: Any = None,
        prefix: str = "asgi",
        capacity: int = 100,
        symmetric_encryption_keys: Any = None,
        serializer_format: str = "msgpack",
    ) -> None:
        self.hosts = [host_address(host) for host in decode_hosts(hosts)]
        self.prefix = prefix
        self.capacity = capacity
        self._serializer = registry.get_serializer(
            serializer_format, symmetric_encryption_keys=symmetric_encryption_keys
        )
        self._layers: dict[asyncio.AbstractEventLoop, _LoopLayer] = {}

    def serialize(self, message: dict[str, Any]) -> bytes:
        data: bytes = self._serializer.serialize(message)
        return data

    def deserialize(self, data: bytes) -> dict[str, Any]:
        message: dict[str, Any] = self._serializer.deserialize(data)
        return message

    def _get_layer(self) -> _LoopLayer:
        """This event loop's channels and connections (closed with the loop)."""
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(self)
            _wrap_close(self, loop)
        return layer

    async def new_channel(self, prefix: str = "specific.") -> str:
        return await self._get_layer().new_channel(prefix)

    async def send(self, channel: str, message: dict[str, Any]) -> int:
        """Publish ``message``; the number of subscribers (processes) that got it."""
        return await self._get_layer().send(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        return await self._get_layer().receive(channel)

    async def group_add(self, group: str, channel: str) -> None:
        await self._get_layer().group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._get_layer().group_discard(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> int:
        return await self._get_layer().group_send(group, message)

    async def group_watched(self, group: str) -> bool:
        """Whether any process subscribes to ``group`` now."""
        return await self._get_layer().group_watched(group)

    async def flush(self) -> None:
        """Forget this loop's channels and groups and close its connections (opened again on
        use)."""
        await self._get_layer().flush()


class _LoopLayer:
    def __init__(self, owner: LiveChannelLayer) -> None:
        self.owner = owner
        self.prefix = owner.prefix
        self.capacity = owner.capacity
        self.channels: dict[str, asyncio.Queue[bytes]] = {}
        # Group channel name (``_get_group_channel_name``) -> this loop's channels in it.
        self.groups: dict[str, set[str]] = {}
        # Channels that lost a message: they get RESYNC once their queue is empty.
        self.missed: set[str] = set()
        self._resync = owner.serialize({"type": RESYNC})
        self._shards = [_Shard(address, self) for address in owner.hosts]

    def _shard(self, name: str) -> _Shard:
        shards = self._shards
        return shards[0] if len(shards) == 1 else shards[_consistent_hash(name, len(shards))]

    def _get_group_channel_name(self, group: str) -> str:
        return f"{self.prefix}__group__{group}"

    async def new_channel(self, prefix: str) -> str:
        channel = f"{self.prefix}{prefix}{uuid.uuid4().hex}"
        await self._subscribe_to_channel(channel)
        return channel

    async def _subscribe_to_channel(self, channel: str) -> asyncio.Queue[bytes]:
        queue = self.channels[channel] = asyncio.Queue(maxsize=self.capacity)
        try:
            await self._shard(channel).subscribe(channel)
        except (asyncio.CancelledError, GeneratorExit):
            self._forget(channel, queue)  # nobody will ever receive on it
            raise
        return queue

    def _forget(self, channel: str, queue: asyncio.Queue[bytes]) -> None:
        if self.channels.get(channel) is queue:
            del self.channels[channel]
            self.missed.discard(channel)
            self._shard(channel).unsubscribe(channel)

    async def send(self, channel: str, message: dict[str, Any]) -> int:
        return await self._shard(channel).publish(channel, self.owner.serialize(message))

    async def group_send(self, group: str, message: dict[str, Any]) -> int:
        name = self._get_group_channel_name(group)
        return await self._shard(name).publish(name, self.owner.serialize(message))

    async def group_watched(self, group: str) -> bool:
        name = self._get_group_channel_name(group)
        return await self._shard(name).subscribers(name) > 0

    async def receive(self, channel: str) -> dict[str, Any]:
        queue = self.channels.get(channel)
        if queue is None:
            queue = await self._subscribe_to_channel(channel)
        elif channel in self.missed and queue.empty():
            self.missed.discard(channel)
            return {"type": RESYNC}
        try:
            data = await queue.get()
        except (asyncio.CancelledError, GeneratorExit):
            # A consumer that ends (channels has no call for that): its channel goes.
            self._forget(channel, queue)
            raise
        return self.owner.deserialize(data)

    async def group_add(self, group: str, channel: str) -> None:
        if channel not in self.channels:
            raise RuntimeError(f"group_add({group!r}, {channel!r}): not a channel of this process")
        name = self._get_group_channel_name(group)
        self.groups.setdefault(name, set()).add(channel)
        await self._shard(name).subscribe(name)

    async def group_discard(self, group: str, channel: str) -> None:
        name = self._get_group_channel_name(group)
        members = self.groups.get(name)
        if members is None or channel not in members:
            return
        members.remove(channel)
        if not members:
            del self.groups[name]
            self._shard(name).unsubscribe(name)

    async def flush(self) -> None:
        self.channels, self.groups, self.missed = {}, {}, set()
        for shard in self._shards:
            await shard.close()
        # The transports' closing callbacks run now: the loop may be closed next.
        await asyncio.sleep(0)

    def on_message(self, name: str, data: bytes) -> None:
        if name in self.channels:
            self.deliver(name, data)
        elif name in self.groups:
            for channel in self.groups[name]:
                self.deliver(channel, data)

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
        for channel, queue in self.channels.items():
            if queue.empty():
                # Wake a receiver that is waiting now; it re-reads, so the flag is spent.
                self.missed.discard(channel)
                queue.put_nowait(self._resync)


class _Shard:
    """One Redis host, for one event loop: a publishing connection (opened on first use and
    after a loss) and a subscriber connection kept open by a task, which subscribes every
    wanted name again after a loss and then has every channel told to resync."""

    def __init__(self, address: dict[str, Any], layer: _LoopLayer) -> None:
        self.address = address
        self.layer = layer
        self._publisher: RespConnection | None = None
        self._opening = asyncio.Lock()
        # Names (channels, group channels) to be subscribed to.
        self.wanted: set[str] = set()
        # The subscriber connection, once every wanted name was asked for on it.
        self._subscriber: RespConnection | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._down = False  # the last attempt at connecting failed
        self._interrupted = False  # subscriptions were missing since the last resync
        # Subscribe confirmations: names asked for / confirmed on this connection, and who
        # waits for the n-th (Redis confirms each name of a SUBSCRIBE, in order).
        self._asked = 0
        self._confirmed = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._unconfirmed: dict[str, asyncio.Future[None]] = {}  # name -> its waiter

    # --- publishing ---------------------------------------------------------------------

    async def publish(self, name: str, data: bytes) -> int:
        connection = self._publisher
        if connection is None or connection.lost.done():
            connection = await self._open_publisher()
        count: int = await connection.command(b"PUBLISH", name, data)
        return count

    async def subscribers(self, name: str) -> int:
        connection = self._publisher
        if connection is None or connection.lost.done():
            connection = await self._open_publisher()
        reply: list[Any] = await connection.command(b"PUBSUB", b"NUMSUB", name)
        return int(reply[1]) if len(reply) > 1 else 0

    async def _open_publisher(self) -> RespConnection:
        async with self._opening:
            connection = self._publisher
            if connection is not None and not connection.lost.done():
                return connection  # opened while this one waited
            delay = BACKOFF[0]
            for attempt in range(CONNECT_ATTEMPTS):
                try:
                    self._publisher = await connect(self.address)
                    return self._publisher
                except (OSError, TimeoutError, RespError) as exc:
                    if attempt == CONNECT_ATTEMPTS - 1:
                        raise ConnectionError(f"Cannot connect to Redis: {exc!r}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF[1])
        raise AssertionError("unreachable")

    # --- subscribing --------------------------------------------------------------------

    async def subscribe(self, name: str) -> None:
        """Returns once Redis confirmed the subscription (asked for by this call or by an
        earlier one), or at once while Redis cannot be reached."""
        waiter = self._unconfirmed.get(name)
        if name in self.wanted:
            if waiter is None or waiter.done():
                return
        else:
            self.wanted.add(name)
            if self._keeper is None:
                self._keeper = asyncio.get_running_loop().create_task(self._keep())
            connection = self._subscriber
            if connection is None or connection.lost.done():
                if self._down:
                    return  # subscribed (and told to resync) once Redis is back
                waiter = self._wait(None)  # the first connection, or the next, subscribes it
            else:
                connection.write(b"SUBSCRIBE", name)
                self._asked += 1
                waiter = self._wait(self._asked)
            self._unconfirmed[name] = waiter
        try:
            await asyncio.wait_for(asyncio.shield(waiter), SUBSCRIBE_WAIT)
        except TimeoutError:
            logger.warning("Redis did not confirm a subscription to %s in time", name)
        finally:
            if waiter.done() and self._unconfirmed.get(name) is waiter:
                del self._unconfirmed[name]

    def unsubscribe(self, name: str) -> None:
        if name not in self.wanted:
            return
        self.wanted.discard(name)
        self._unconfirmed.pop(name, None)
        connection = self._subscriber
        if connection is not None and not connection.lost.done():
            connection.write(b"UNSUBSCRIBE", name)

    def _wait(self, confirmation: int | None) -> asyncio.Future[None]:
        """A future done once Redis confirmed the ``confirmation``-th name asked for on the
        subscriber connection (None: on the next connection), or once that connection is lost."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if confirmation is not None and confirmation <= self._confirmed:
            waiter.set_result(None)
        else:
            self._waiters.append((confirmation or 0, waiter))
        return waiter

    def _release(self, upto: int | None) -> None:
        """Waiters up to confirmation ``upto`` (None: all of them) are done."""
        waiters = self._waiters
        while waiters and (upto is None or waiters[0][0] <= upto):
            waiter = waiters.popleft()[1]
            if not waiter.done():
                waiter.set_result(None)

    def _push(self, reply: list[Any]) -> None:
        """What the subscriber connection reads: messages, and confirmations."""
        kind = reply[0]
        if kind == b"message":
            self.layer.on_message(reply[1].decode(), reply[2])
        elif kind == b"subscribe":
            self._confirmed += 1
            if self._waiters and self._waiters[0][0] <= self._confirmed:
                self._release(self._confirmed)

    async def _keep(self) -> None:
        delay = BACKOFF[0]
        while True:
            try:
                connection = await connect(self.address, self._push)
            except (OSError, TimeoutError, RespError) as exc:
                if not self._down:
                    logger.warning("Live layer: cannot connect to Redis: %r", exc)
                self._lose()
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF[1])
                continue
            delay = BACKOFF[0]
            self._down = False
            names = list(self.wanted)
            if names:
                connection.write(b"SUBSCRIBE", *names)
            self._asked, self._confirmed = len(names), 0
            # Those waiting for this connection (asked for with the others above).
            self._waiters = deque((self._asked, waiter) for _, waiter in self._waiters)
            self._subscriber = connection
            if self._interrupted:
                # Once Redis has every subscription again, what may be lost is behind us.
                resubscribed = self._wait(self._asked)
                await asyncio.wait(
                    [resubscribed, connection.lost], return_when=asyncio.FIRST_COMPLETED
                )
                if not connection.lost.done():
                    self._interrupted = False
                    self.layer.resync_all()
            await connection.lost
            logger.warning(
                "Live layer: lost the subscriber connection to Redis (%s)",
                repr(connection.error) if connection.error else "closed by Redis",
            )
            self._lose()

    def _lose(self) -> None:
        """The subscriber connection is gone (or could not be opened)."""
        self._subscriber = None
        self._down = self._interrupted = True
        self._release(None)

    async def close(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            await asyncio.wait([keeper])
        for connection in (self._subscriber, self._publisher):
            if connection is not None:
                connection.close()
        self._subscriber = self._publisher = None
        self.wanted = set()
        self._release(None)
        self._unconfirmed = {}
        self._down = self._interrupted = False
