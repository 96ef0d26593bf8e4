"""How a relay stores what happens on its connections: log records, and the batch writer.

Frames are numbered in memory by the relay that holds the connection and written many at a
time (PostgreSQL COPY, or bulk inserts elsewhere) by one writer per relay: when the database
is idle a frame is stored at once, when it is busy the queue grows and the next write takes
everything queued. Only after a batch is committed are replies sent and viewers sent it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sessions.models import ACTIVE_STATES, Connection, DebugSession, Event, Relay

logger = logging.getLogger("switchboard.relay")

# One write takes at most this many records; more waiting means the next write follows at once.
MAX_BATCH = 2000
# Payload bytes waiting to be stored; beyond this, upstream readers pause until the writer
# catches up (so a slow database slows the upstream down instead of filling memory).
MAX_PENDING_BYTES = 64 * 1024 * 1024
_EVENT_COLUMNS = (
    "session_id",
    "seq",
    "connection_number",
    "kind",
    "direction",
    "created_at",
    "opcode",
    "size",
    "text",
    "data",
    "truncated",
    "info",
)


class Record:
    """One log entry on its way to the database, with what must happen once it is stored.

    ``kind`` None means no log entry, only the session/connection updates.
    """

    __slots__ = (
        "connection_number",
        "connection_update",
        "created_at",
        "data",
        "direction",
        "final",
        "info",
        "kind",
        "opcode",
        "replies",
        "seq",
        "session_id",
        "session_update",
        "size",
        "state",
        "text",
        "truncated",
    )

    def __init__(
        self,
        session_id: int,
        seq: int,
        connection_number: int,
        kind: str,
        direction: str = "",
        opcode: str = "",
        size: int = 0,
        text: str | None = None,
        data: bytes | None = None,
        truncated: bool = False,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.session_id = session_id
        self.seq = seq
        self.connection_number = connection_number
        self.kind = kind
        self.direction = direction
        self.created_at = datetime.now(UTC)
        self.opcode = opcode
        self.size = size
        self.text = text
        self.data = data
        self.truncated = truncated
        self.info = info
        # Set by the emitter when the entry changes the session or its connection record.
        self.session_update: dict[str, Any] | None = None
        self.connection_update: dict[str, Any] | None = None
        self.state: str | None = None  # the session state after this entry, for viewers
        self.replies: list[tuple[str, dict[str, Any]]] | None = None
        self.final = False  # the last entry of a connection


def message_fields(
    payload: str | bytes, cap: int
) -> tuple[str, int, str | None, bytes | None, bool]:
    """(opcode, full size, stored text, stored bytes, truncated) of a frame, keeping ``cap`` bytes.

    A text message is cut on a character boundary. Text holding NUL is kept as UTF-8 bytes,
    because PostgreSQL text columns cannot hold NUL.
    """
    if isinstance(payload, str):
        if payload.isascii():
            size = len(payload)
            stored = payload if size <= cap else payload[:cap]
        else:
            raw = payload.encode("utf-8")
            size = len(raw)
            stored = payload if size <= cap else raw[:cap].decode("utf-8", errors="ignore")
        if "\x00" in stored:
            return "text", size, None, stored.encode("utf-8"), size > cap
        return "text", size, stored, None, size > cap
    size = len(payload)
    return "binary", size, None, bytes(payload[:cap]), size > cap


# --- database work (runs in the relay's worker threads) -------------------------------------


def _insert(records: Sequence[Record]) -> None:
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        columns = ", ".join(_EVENT_COLUMNS)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {Event._meta.db_table} ({columns}) FROM STDIN") as copy,
        ):
            for r in records:
                copy.write_row(
                    (
                        r.session_id,
                        r.seq,
                        r.connection_number,
                        r.kind,
                        r.direction,
                        r.created_at,
                        r.opcode,
                        r.size,
                        r.text,
                        r.data,
                        r.truncated,
                        None if r.info is None else Jsonb(r.info),
                    )
                )
        return
    Event.objects.bulk_create(
        [Event(**{column: getattr(r, column) for column in _EVENT_COLUMNS}) for r in records],
        batch_size=500,
    )


def store_batch(relay_pk: int, records: Sequence[Record]) -> set[int]:
    """Write ``records`` in one transaction; return the sessions this relay no longer holds.

    A session's rows are written only while the session still names this relay. If another
    process declared the relay lost (and wrote its own closing entry), this relay's late
    entries are dropped rather than numbered twice.
    """
    session_ids = {r.session_id for r in records}
    with transaction.atomic():
        owned = set(
            DebugSession.objects.select_for_update()
            .filter(pk__in=session_ids, relay_id=relay_pk)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rows = [r for r in records if r.session_id in owned and r.kind is not None]
        if rows:
            _insert(rows)
        session_updates: dict[int, dict[str, Any]] = {}
        connection_updates: dict[tuple[int, int], dict[str, Any]] = {}
        for r in records:
            if r.session_id not in owned:
                continue
            if r.session_update:
                session_updates.setdefault(r.session_id, {}).update(r.session_update)
            if r.connection_update:
                key = (r.session_id, r.connection_number)
                connection_updates.setdefault(key, {}).update(r.connection_update)
        for session_id, fields in session_updates.items():
            DebugSession.objects.filter(pk=session_id).update(**fields)
        for (session_id, number), fields in connection_updates.items():
            Connection.objects.filter(session_id=session_id, number=number).update(**fields)
    return session_ids - owned


def relay_register(*, channel_name: str, host: str, pid: int, mode: str, capacity: int) -> int:
    relay = Relay.objects.create(
        channel_name=channel_name,
        host=host,
        pid=pid,
        mode=mode,
        capacity=capacity,
        heartbeat_at=timezone.now(),
    )
    return relay.pk


def relay_heartbeat(relay_pk: int) -> bool:
    """Record that the relay is alive; False when its row is gone (it was declared lost)."""
    return bool(Relay.objects.filter(pk=relay_pk).update(heartbeat_at=timezone.now()))


def relay_unregister(relay_pk: int) -> None:
    Relay.objects.filter(pk=relay_pk).delete()


def session_last_seq(session_id: int) -> int:
    last = (
        Event.objects.filter(session_id=session_id)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return last or 0


def idle_session_ids(relay_pk: int, idle_seconds: float) -> list[int]:
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    return list(
        DebugSession.objects.filter(
            relay_id=relay_pk, state__in=ACTIVE_STATES, last_activity_at__lt=cutoff
        ).values_list("pk", flat=True)
    )


def run_db(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ORM work in a long-lived relay thread, reconnecting once after a dropped connection.

    The thread keeps its connection open between calls (there is no request cycle to close it).
    """
    try:
        return function(*args, **kwargs)
    except DatabaseError:
        if connection.in_atomic_block or connection.is_usable():
            raise
        connection.close()
        return function(*args, **kwargs)


# --- the writer -----------------------------------------------------------------------------


def _cost(record: Record) -> int:
    return len(record.text or "") + len(record.data or b"")


class Writer:
    """Stores records in batches on its own thread and connection, then hands them back."""

    def __init__(
        self,
        *,
        relay_pk: Callable[[], int],
        after_store: Callable[[list[Record], set[int]], Any],
        max_pending: int,
    ) -> None:
        self._relay_pk = relay_pk
        self._after_store = after_store
        self.queue: asyncio.Queue[Record] = asyncio.Queue(max_pending)
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="relay-writer")
        self.busy = False
        self.stopping = False
        self.pending_bytes = 0
        self._room = asyncio.Event()
        self._room.set()

    async def put(self, record: Record) -> None:
        """Queue ``record``; waits (so the upstream reader pauses) only when the writer is behind."""
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            await self.queue.put(record)
        self.pending_bytes += _cost(record)
        if self.pending_bytes > MAX_PENDING_BYTES:
            self._room.clear()
            await self._room.wait()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            first = await self.queue.get()
            self.busy = True
            batch = [first]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            delay = 0.2
            while True:
                try:
                    fenced = await loop.run_in_executor(
                        self.executor, run_db, store_batch, self._relay_pk(), batch
                    )
                    break
                except DatabaseError:
                    logger.exception("Storing %d log entries failed; retrying", len(batch))
                    if self.stopping and delay > 2:
                        fenced = {r.session_id for r in batch}
                        break
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self.pending_bytes -= sum(_cost(r) for r in batch)
            if self.pending_bytes <= MAX_PENDING_BYTES:
                self._room.set()
            try:
                await self._after_store(batch, fenced)
            except Exception:
                logger.exception("Publishing a stored batch failed")
            self.busy = False

    async def drain(self, timeout: float) -> None:
        """Wait until everything queued so far is stored (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        while (not self.queue.empty() or self.busy) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
