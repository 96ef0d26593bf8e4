"""The ``live`` channel layer of the embedded default: one process, no Redis.

Channels' in-memory layer with less work per message, as session traffic goes through it at
every frame (a viewer's send to the relay, each stored batch to the viewers):

* no deep copy of each message for each receiver: the layer is only for session traffic,
  whose senders build a fresh message for every send and whose receivers (the session
  stream, the relay) only read them, so one message object can be shared;
* a group send puts the message in every member's queue in the same step, instead of a task
  per member awaited one by one;
* expired messages and group memberships are swept at most once a second rather than at
  every send and receive (the sweep walks every channel and group).

Capacities, expiry and the ``ChannelFull`` of a full queue stay as Channels defines them: a
group member whose queue is full misses the message (the session stream notices the gap in
``seq`` and reads it from the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL = 1.0


class LocalLayer(InMemoryChannelLayer):  # type: ignore[misc]  # untyped base (channels)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._swept_at = 0.0

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= SWEEP_INTERVAL:
            self._swept_at = now
            self._clean_expired()

    def _put(self, channel: str, message: dict[str, Any]) -> None:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        try:
            queue.put_nowait((time.time() + self.expiry, message))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_channel_name(channel)
        self._put(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._sweep()
        for channel in list(self.groups.get(group, ())):
            # As Channels does: a member whose queue is full misses it.
            with contextlib.suppress(ChannelFull):
                self._put(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        self.require_valid_channel_name(channel)
        self._sweep()
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        try:
            _, message = await queue.get()
        finally:
            if queue.empty() and self.channels.get(channel) is queue:
                del self.channels[channel]
        result: dict[str, Any] = message
        return result
