"""One batching recorder per web process: every mock connection hands it its frames, and it
stores them all in one write every ``FLUSH_SECONDS`` and sends each endpoint's to the members
watching it. A thousand pushing connections cost two writes a second, not thousands."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from mocks.recording import FrameRecord, frames_recorded, traffic_group

logger = logging.getLogger("switchboard.mocks")
FLUSH_SECONDS = 0.5


def _store(batch: dict[tuple[int, int], list[FrameRecord]]) -> dict[int, list[dict[str, Any]]]:
    endpoint_of = {connection_id: endpoint_id for endpoint_id, connection_id in batch}
    with transaction.atomic():
        stored = frames_recorded(
            batch={connection_id: records for (_, connection_id), records in batch.items()}
        )
    by_endpoint: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for connection_id, frames in stored.items():
        by_endpoint[endpoint_of[connection_id]].extend(frames)
    return by_endpoint


class Recorder:
    def __init__(self) -> None:
        self.pending: dict[tuple[int, int], list[FrameRecord]] = defaultdict(list)
        self.task: asyncio.Task[None] | None = None

    def add(self, endpoint_id: int, connection_id: int, record: FrameRecord) -> None:
        self.pending[(endpoint_id, connection_id)].append(record)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        await self.flush()

    async def flush(self) -> None:
        batch, self.pending = self.pending, defaultdict(list)
        if not batch:
            return
        try:
            stored = await database_sync_to_async(_store)(batch)
        except Exception:  # the mock keeps serving; only its log misses these frames
            logger.exception("storing mock frames failed")
            return
        layer = get_channel_layer()
        if layer is None:
            return
        for endpoint_id, frames in stored.items():
            if frames:
                await layer.group_send(
                    traffic_group(endpoint_id), {"type": "mock.frames", "frames": frames}
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
