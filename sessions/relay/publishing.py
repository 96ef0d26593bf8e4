"""What a relay does once a batch of its log is stored: answer the senders (a viewer
socket's ack rides in the batch that holds its send, and is remembered for a socket that lost
a batch), publish the batch to the session's viewers, and forget the sessions it no longer
holds. ``Relay`` (server.py) hands every stored batch to ``Publisher.after_store``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from typing import Any

from channels.layers import BaseChannelLayer

from core import metrics
from sessions.relay.protocol import event_data, events_messages, ref_key, reply, session_group
from sessions.relay.store import Record

logger = logging.getLogger("switchboard.relay")

# Channel-layer sends one publish runs at once: channels_redis takes a pooled Redis connection
# for each, and redis-py's pool gives at most 100 (beyond: MaxConnectionsError, batch lost).
PUBLISH_CONCURRENCY = 32
# A stored batch bigger than this is published only if its session has viewers (on the live
# layer a publish encodes and sends it even when nobody listens; a flooding upstream would
# make the relay hold each batch twice more). A viewer that subscribes just after reads the
# batch from the log: it subscribes before it reads.
WATCHED_CHECK_BYTES = 1024 * 1024
# Acks that travelled inside stored batches, kept for the viewer sockets that lost a batch
# and ask again (ACKS): the latest this many per socket, for this many sockets.
RECENT_ACKS_PER_SOCKET = 64
RECENT_ACK_SOCKETS = 512


class EventsAck(str):
    """The channel of a viewer socket that sent a message, on the live layer: its
    acknowledgement travels in the stored batch that holds the message (``acks`` of the
    session's events message), so each send costs one message to the viewers instead of two;
    an error goes to it directly, on the live layer too."""

    __slots__ = ()


class Publisher:
    """One per relay (``relay``: its ``server.Relay``, typed loosely: server.py imports this
    module). It reads the relay's connections, logs, writer and name, and publishes on the
    relay's layers."""

    def __init__(self, relay: Any) -> None:
        self.relay = relay
        self.recent_acks: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()

    @property
    def live(self) -> BaseChannelLayer:
        live: BaseChannelLayer = self.relay.live
        return live

    def remember_ack(self, channel: str, ack: dict[str, Any]) -> None:
        recent = self.recent_acks.get(channel)
        if recent is None:
            recent = self.recent_acks[channel] = deque(maxlen=RECENT_ACKS_PER_SOCKET)
            if len(self.recent_acks) > RECENT_ACK_SOCKETS:
                self.recent_acks.popitem(last=False)
        else:
            self.recent_acks.move_to_end(channel)
        recent.append(ack)

    def acks_for(self, channel: str, refs: set[str]) -> list[dict[str, Any]]:
        """The acks still remembered for ``channel``'s sends with these refs."""
        return [ack for ack in self.recent_acks.get(channel, ()) if ref_key(ack.get("ref")) in refs]

    async def after_store(self, batch: list[Record], fenced: set[int]) -> None:
        relay = self.relay
        _count_frames(batch)
        metrics.WRITER_QUEUE.set(relay.writer.queued)
        groups: dict[int, list[Record]] = {}
        replies: list[tuple[str, dict[str, Any]]] = []
        acks: dict[int, list[list[Any]]] = {}
        finals: list[int] = []
        for record in batch:
            if record.session_id in fenced:
                for channel, message in record.replies or ():
                    replies.append(
                        (
                            channel,
                            reply(
                                message.get("ref"),
                                False,
                                code="not_connected",
                                detail="The connection was lost before this was stored.",
                            ),
                        )
                    )
                continue
            groups.setdefault(record.session_id, []).append(record)
            for channel, message in record.replies or ():
                if isinstance(channel, EventsAck) and message.get("ok"):
                    acks.setdefault(record.session_id, []).append([str(channel), message])
                    self.remember_ack(str(channel), message)
                else:
                    replies.append((channel, message))
            if record.final:
                finals.append(record.session_id)
        for session_id in fenced:
            connection = relay.connections.get(session_id)
            if connection is not None and not connection.ended:
                logger.warning(
                    "Relay %s no longer holds session %s; dropping its connection",
                    relay.name,
                    session_id,
                )
                connection.abort()
            relay.logs.pop(session_id, None)
        for session_id in finals:
            if session_id not in relay.connections:
                relay.logs.pop(session_id, None)
        # Published before the next stored batch is taken (Writer.run awaits this), so viewers
        # get every session's batches in order; the writer's thread meanwhile writes the next
        # one. Awaited here rather than in a task of its own: a task would start a turn of the
        # loop later, and a stored batch's viewers wait for it.
        await self._publish(groups, replies, acks)

    async def _publish(
        self,
        groups: dict[int, list[Record]],
        replies: list[tuple[str, dict[str, Any]]],
        acks: dict[int, list[list[Any]]] | None = None,
    ) -> None:
        acks = acks or {}
        # Replies first: a REST call is waiting for each.
        sends = [
            self.relay.layer_of(channel).send(channel, message) for channel, message in replies
        ]
        for session_id, records in groups.items():
            messages = batch_messages(session_id, records)
            if messages:
                if session_id in acks:
                    messages[-1]["acks"] = acks.pop(session_id)
                elif sum(
                    len(m["events_json"]) for m in messages
                ) > WATCHED_CHECK_BYTES and not await self._watched(session_id):
                    continue
                sends.append(self._group_send_in_order(session_group(session_id), messages))
        sends.extend(
            self.live.send(channel, ack) for left in acks.values() for channel, ack in left
        )
        results: list[Any] = []
        if len(sends) == 1:
            # The usual batch of a live session: one message, awaited as it is (gather would
            # wrap it in a task).
            try:
                await sends.pop()
            except Exception as exc:
                results.append(exc)
        for start in range(0, len(sends), PUBLISH_CONCURRENCY):
            chunk = sends[start : start + PUBLISH_CONCURRENCY]
            results.extend(await asyncio.gather(*chunk, return_exceptions=True))
        for result in results:
            if isinstance(result, BaseException):
                logger.warning("Relay %s could not publish: %r", self.relay.name, result)

    async def _group_send_in_order(self, group: str, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            await self.live.group_send(group, message)

    async def _watched(self, session_id: int) -> bool:
        watched = getattr(self.live, "group_watched", None)
        if watched is None:
            return True  # the in-memory layer copies nothing for a group without members
        try:
            return bool(await watched(session_group(session_id)))
        except Exception:
            return True

    async def publish(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            await self.live.group_send(session_group(message["session"]), message)


def _count_frames(batch: list[Record]) -> None:
    """The batch's frames and bytes, added to the metrics once per batch."""
    frames = {"in": 0, "out": 0}
    sizes = {"in": 0, "out": 0}
    for record in batch:
        if record.kind == "received" or record.kind == "sent":
            frames[record.direction] += 1
            sizes[record.direction] += record.size
    for direction in ("in", "out"):
        if frames[direction]:
            metrics.RELAY_FRAMES.labels(direction).inc(frames[direction])
            metrics.RELAY_BYTES.labels(direction).inc(sizes[direction])


def batch_messages(session_id: int, records: list[Record]) -> list[dict[str, Any]]:
    """The live messages for viewers: every stored event of the session in this batch, in
    as many messages as it takes for each to fit in one viewer message."""
    events = [event_data(r) for r in records if r.kind]
    if not events:
        return []
    state = next((r.state for r in reversed(records) if r.state), None)
    return events_messages(session_id, events, state)
