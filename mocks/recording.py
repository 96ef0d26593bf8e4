"""Mock traffic kept for members to read: the most recent ``MOCK_LOG_CONNECTIONS`` connections
of each endpoint and, of each, its first ``MOCK_LOG_FRAMES`` frames (bodies cut to
``MOCK_LOG_FRAME_BYTES``). Written in batches by the consumer, then sent live to members
watching the endpoint (group ``mock.<endpoint id>``)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.timestamps import iso
from mocks.models import MockConnection, MockFrame


def traffic_group(endpoint_id: int) -> str:
    return f"mock.{endpoint_id}"


@dataclass(frozen=True)
class FrameRecord:
    seq: int
    direction: str
    data: str | bytes
    message: str
    note: str
    at: datetime
    event: str = ""


def connection_data(row: MockConnection) -> dict[str, Any]:
    return {
        "id": row.pk,
        "client": row.client,
        "opened_at": iso(row.opened_at),
        "closed_at": iso(row.closed_at),
        "close_code": row.close_code,
        "close_reason": row.close_reason,
        "frame_count": row.frame_count,
    }


def frame_data(row: MockFrame) -> dict[str, Any]:
    return {
        "connection": row.connection_id,
        "seq": row.seq,
        "direction": row.direction,
        "binary": row.binary,
        "body": row.body,
        "truncated": row.truncated,
        "message": row.message,
        "note": row.note,
        "event": row.event,
        "at": iso(row.at),
    }


def _frame_row(connection_id: int, record: FrameRecord) -> MockFrame:
    binary = isinstance(record.data, bytes)
    limit = settings.MOCK_LOG_FRAME_BYTES
    if isinstance(record.data, bytes):
        body = base64.b64encode(record.data[: limit * 3 // 4]).decode()
        truncated = len(record.data) > limit * 3 // 4
    else:
        encoded = record.data.encode("utf-8", "surrogatepass")
        body = encoded[:limit].decode("utf-8", "ignore").replace("\x00", "\ufffd")
        truncated = len(encoded) > limit
    return MockFrame(
        connection_id=connection_id,
        seq=record.seq,
        direction=record.direction,
        binary=binary,
        body=body,
        truncated=truncated,
        message=record.message[:200],
        note=record.note[:40],
        event=record.event[:200],
        at=record.at,
    )


@transaction.atomic
def connection_opened(*, endpoint_id: int, client: str, refused: str = "") -> dict[str, Any]:
    """Record a new connection and forget the endpoint's oldest beyond the bound. A handshake
    the mock refused (``refused``: with what and why) is recorded closed at once."""
    now = timezone.now()
    row = MockConnection.objects.create(
        endpoint_id=endpoint_id,
        client=client[:100],
        opened_at=now,
        closed_at=now if refused else None,
        close_reason=refused[:200],
    )
    keep = settings.MOCK_LOG_CONNECTIONS
    oldest_kept = (
        MockConnection.objects.filter(endpoint_id=endpoint_id)
        .order_by("-id")
        .values_list("id", flat=True)[keep - 1 : keep]
    )
    cutoff = next(iter(oldest_kept), None)
    if cutoff is not None:
        MockConnection.objects.filter(endpoint_id=endpoint_id, id__lt=cutoff).delete()
    return connection_data(row)


def frames_recorded(
    *, batch: Mapping[int, Sequence[FrameRecord]]
) -> dict[int, list[dict[str, Any]]]:
    """Store the frames of each connection (``batch``: connection id -> its records), those
    under the bound, in one insert; nothing of a connection forgotten meanwhile (newer ones
    pushed it out). The stored frames, by connection."""
    limit = settings.MOCK_LOG_FRAMES
    wanted = {cid: [r for r in records if r.seq <= limit] for cid, records in batch.items()}
    wanted = {cid: records for cid, records in wanted.items() if records}
    if not wanted:
        return {}
    alive = set(MockConnection.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    rows = {
        cid: [_frame_row(cid, r) for r in records]
        for cid, records in wanted.items()
        if cid in alive
    }
    MockFrame.objects.bulk_create(
        [row for items in rows.values() for row in items], batch_size=500, ignore_conflicts=True
    )
    return {cid: [frame_data(row) for row in items] for cid, items in rows.items()}


def connection_closed(
    *, connection_id: int, code: int | None, reason: str, frame_count: int
) -> dict[str, Any] | None:
    MockConnection.objects.filter(pk=connection_id).update(
        closed_at=timezone.now(),
        close_code=code,
        close_reason=reason[:200],
        frame_count=frame_count,
    )
    row = MockConnection.objects.filter(pk=connection_id).first()
    return connection_data(row) if row else None
