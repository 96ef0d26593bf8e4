"""One batching recorder per web process: every mock connection hands it its frames and its
close, and it stores them all in one transaction every ``FLUSH_SECONDS`` and sends each
endpoint's to the members watching it. A thousand pushing connections cost two writes a
second, not thousands."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from mocks.recording import FrameRecord, connection_closed, frames_recorded, traffic_group

logger = logging.getLogger("switchboard.mocks")
FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class Closed:
    code: int | None
    reason: str
    frame_count: int


Key = tuple[int, int]  # (endpoint id, connection id)


def _store(
    batch: dict[Key, list[FrameRecord]], closes: dict[Key, Closed]
) -> tuple[dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    """Frames, then the connections that closed, in one transaction: (stored frames, closed
    connections), each by endpoint."""
    endpoint_of = {connection_id: endpoint_id for endpoint_id, connection_id in [*batch, *closes]}
    frames: dict[int, list[dict[str, Any]]] = defaultdict(list)
    closed: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with transaction.atomic():
        stored = frames_recorded(
            batch={connection_id: records for (_, connection_id), records in batch.items()}
        )
        for (endpoint_id, connection_id), close in closes.items():
            row = connection_closed(
                connection_id=connection_id,
                code=close.code,
                reason=close.reason,
                frame_count=close.frame_count,
            )
            if row is not None:
                closed[endpoint_id].append(row)
    for connection_id, items in stored.items():
        frames[endpoint_of[connection_id]].extend(items)
    return frames, closed


class Recorder:
    def __init__(self) -> None:
        self.pending: dict[Key, list[FrameRecord]] = defaultdict(list)
        self.closes: dict[Key, Closed] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, endpoint_id: int, connection_id: int, record: FrameRecord) -> None:
        self.pending[(endpoint_id, connection_id)].append(record)
        self._soon()

    def close(self, endpoint_id: int, connection_id: int, closed: Closed) -> None:
        """Record that a connection closed, after its frames, with the next batch."""
        self.closes[(endpoint_id, connection_id)] = closed
        self._soon()

    def _soon(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, defaultdict(list)
        closes, self.closes = self.closes, {}
        if not batch and not closes:
            return
        try:
            frames, closed = await database_sync_to_async(_store)(batch, closes)
        except Exception:  # the mock keeps serving; only its log misses these frames
            logger.exception("storing mock frames failed")
            return
        layer = get_channel_layer()
        if layer is None:
            return
        for endpoint_id, items in frames.items():
            if items:
                await layer.group_send(
                    traffic_group(endpoint_id), {"type": "mock.frames", "frames": items}
                )
        for endpoint_id, rows in closed.items():
            for row in rows:
                await layer.group_send(
                    traffic_group(endpoint_id), {"type": "mock.connection", "connection": row}
                )


_RECORDERS: dict[asyncio.AbstractEventLoop, Recorder] = {}


def recorder() -> Recorder:
    """This event loop's recorder (one per process under Daphne; tests may run several loops)."""
    loop = asyncio.get_running_loop()
    found = _RECORDERS.get(loop)
    if found is None:
        for old in [old for old in _RECORDERS if old.is_closed()]:
            del _RECORDERS[old]
        found = _RECORDERS[loop] = Recorder()
    return found
