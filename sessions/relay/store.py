"""What a relay stores and how: log records, the SQL that writes a batch of them, and the
relay's own rows (registration, heartbeat, idle sessions).

Frames are numbered in memory by the relay that holds the connection and written many at a
time (PostgreSQL COPY, or bulk inserts elsewhere); ``writer.Writer`` decides when.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from sessions.models import ACTIVE_STATES, Connection, DebugSession, Event, Relay

# One write takes at most this many records; more waiting means the next write follows at once.
MAX_BATCH = 2000
EVENT_COLUMNS = (
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
    "contract",
    "message",
    "problems",
)


class SessionLog:
    """The relay's counter of a session's sequence numbers while it holds the session."""

    __slots__ = ("last_seq", "session_id")

    def __init__(self, session_id: int, last_seq: int) -> None:
        self.session_id = session_id
        self.last_seq = last_seq


@dataclass(slots=True, eq=False)
class Record:
    """One log entry on its way to the database, with what must happen once it is stored.

    ``kind`` None means no log entry, only the session/connection updates.
    """

    session_id: int
    seq: int
    connection_number: int
    kind: str
    direction: str = ""
    opcode: str = ""
    size: int = 0
    text: str | None = None
    data: bytes | None = None
    truncated: bool = False
    info: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Set by the emitter when the entry changes the session or its connection record.
    session_update: dict[str, Any] | None = None
    connection_update: dict[str, Any] | None = None
    state: str | None = None  # the session state after this entry, for viewers
    replies: list[tuple[str, dict[str, Any]]] | None = None
    final: bool = False  # the last entry of a connection
    # The contract check of a frame (sessions.contracts): "" when nothing was checked.
    contract: str = ""
    message: str = ""
    problems: list[dict[str, str]] | None = None


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


# From this many rows a batch is written with COPY, below with one INSERT.
COPY_FROM_ROWS = 16


def _insert(records: Sequence[Record]) -> None:
    """Write the rows in one statement. Plain SQL: this runs for every batch of frames, and
    building model instances cost more than SQLite's own insert (README "Benchmarks")."""
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    if connection.vendor == "postgresql":
        columns = ", ".join(EVENT_COLUMNS)
        values = [postgres_row(r) for r in records]
        with connection.cursor() as cursor:
            if len(values) < COPY_FROM_ROWS:
                # A few rows (frames of a slow exchange, often one or two): one INSERT costs a
                # fraction of setting up a COPY.
                row = "(" + ", ".join(["%s"] * len(EVENT_COLUMNS)) + ")"
                params: list[Any] = [value for item in values for value in item]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(values))}",
                    params,
                )
                return
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for item in values:
                    copy.write_row(item)
        return
    # The values as Event's fields would prepare them for this database.
    adapt_datetime = ops.adapt_datetimefield_value
    data_field = Event._meta.get_field("data")
    assert isinstance(data_field, models.BinaryField)
    rows = [
        (
            r.session_id,
            r.seq,
            r.connection_number,
            r.kind,
            r.direction,
            adapt_datetime(r.created_at),
            r.opcode,
            r.size,
            r.text,
            data_field.get_db_prep_value(r.data, connection),
            r.truncated,
            None if r.info is None else ops.adapt_json_value(r.info, None),
            r.contract,
            r.message,
            None if r.problems is None else ops.adapt_json_value(r.problems, None),
        )
        for r in records
    ]
    columns = ", ".join(ops.quote_name(column) for column in EVENT_COLUMNS)
    marks = ", ".join(["%s"] * len(EVENT_COLUMNS))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def postgres_row(r: Record) -> tuple[Any, ...]:
    """The values of ``EVENT_COLUMNS`` of a record, as psycopg takes them."""
    from psycopg.types.json import Jsonb

    return (
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
        r.contract,
        r.message,
        None if r.problems is None else Jsonb(r.problems),
    )


def merged_updates(
    records: Sequence[Record], owned: set[int]
) -> tuple[dict[int, dict[str, Any]], dict[tuple[int, int], dict[str, Any]]]:
    """The session and connection row updates ``records`` carry, merged per row in order
    (only for the sessions in ``owned``)."""
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
    return session_updates, connection_updates


def _lock_owned(relay_pk: int, session_ids: set[int]) -> set[int]:
    """Lock the sessions that still name this relay (in id order) and return their ids."""
    ops = connection.ops
    table = ops.quote_name(DebugSession._meta.db_table)
    relay_column = ops.quote_name(DebugSession._meta.get_field("relay").column)
    ids = sorted(session_ids)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    params: list[Any]
    if connection.vendor == "postgresql":
        where, params = "id = ANY(%s)", [ids]
    else:
        where, params = f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE {where} AND {relay_column} = %s ORDER BY id{lock}",
            [*params, relay_pk],
        )
        return {row[0] for row in cursor.fetchall()}


def store_batch(
    relay_pk: int,
    records: list[Record],
    more: Callable[[set[int], int], list[Record]] | None = None,
) -> set[int]:
    """Write ``records`` in one transaction; return the sessions this relay no longer holds.

    A session's rows are written only while the session still names this relay. If another
    process declared the relay lost (and wrote its own closing entry), this relay's late
    entries are dropped rather than numbered twice.

    ``more(session_ids, room)`` gives records of the same sessions that were queued while
    this transaction ran; they are written in it before the commit, and ``records`` is
    extended with them (a group commit: an echo that came back while its message was being
    stored is committed with it, instead of waiting for a transaction of its own).
    """
    session_ids = {r.session_id for r in records}
    with transaction.atomic():
        owned = _lock_owned(relay_pk, session_ids)
        _write(records, owned)
        while more is not None and len(records) < MAX_BATCH:
            extra = more(session_ids, MAX_BATCH - len(records))
            if not extra:
                break
            records.extend(extra)
            _write(extra, owned)
    return session_ids - owned


def _write(records: Sequence[Record], owned: set[int]) -> None:
    rows = [r for r in records if r.session_id in owned and r.kind is not None]
    if rows:
        _insert(rows)
    session_updates, connection_updates = merged_updates(records, owned)
    for session_id, fields in session_updates.items():
        DebugSession.objects.filter(pk=session_id).update(**fields)
    for (session_id, number), fields in connection_updates.items():
        Connection.objects.filter(session_id=session_id, number=number).update(**fields)


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
