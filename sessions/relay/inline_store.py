"""Storing a few frames right on the event loop, when the database is SQLite (the embedded
default).

An embedded relay shares its process with Daphne, and its writer thread cost it more than
SQLite's own write (docs/benchmarks.md, issue 21): each hand-over between the loop and the
thread waits for the other to wake, and every system call of the loop (a socket write) lets
the thread take the GIL for the length of a statement. In WAL mode with ``synchronous=NORMAL``
a transaction of a few rows takes tens of microseconds and no fsync, so the writer stores such
a batch in place (``writer.Writer``), on this connection of the loop's own, when:

* nothing it queued for its thread is still unstored (commits stay in ``seq`` order);
* every record is a log entry alone (opening and closing, which update the session and
  connection rows too, go to the thread as before);
* SQLite's write lock is free at once: the connection never waits (``timeout=0``), so a
  request holding the lock never blocks the loop; the batch goes to the thread, which waits
  and retries as it always did.

The same fencing as the thread's: a session's rows are written only while the session still
names this relay.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from django.db import connection

from sessions.models import DebugSession, Event
from sessions.relay.store import EVENT_COLUMNS, Record

# At most this many records (or payload bytes) are written on the loop at once; a bigger
# batch (a flood) goes to the thread, which overlaps its writes with the loop's reading.
INLINE_MAX_RECORDS = 64
INLINE_MAX_BYTES = 256 * 1024


def storable_inline(records: Sequence[Record]) -> bool:
    """True when ``records`` are few and small log entries with no row updates."""
    if len(records) > INLINE_MAX_RECORDS:
        return False
    size = 0
    for record in records:
        if record.session_update or record.connection_update or record.kind is None:
            return False
        size += len(record.text or "") + len(record.data or b"")
    return size <= INLINE_MAX_BYTES


class InlineSqlite:
    """The loop's own connection to the SQLite file, opened on first use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._insert = ""
        self._owned = ""

    @classmethod
    def for_default_database(cls) -> InlineSqlite | None:
        """One for the default database if it is a SQLite file, else None."""
        if connection.vendor != "sqlite":
            return None
        name = str(connection.settings_dict["NAME"])
        if not name or name == ":memory:" or name.startswith("file:"):
            return None  # an in-memory database (tests) is private to its connection
        return cls(name)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            # Autocommit (transactions are explicit), and no waiting for the write lock.
            db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            # As Django's own connections to the file (settings.py, the sqlite3 backend).
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            sessions = DebugSession._meta.db_table
            relay = DebugSession._meta.get_field("relay").column
            self._owned = f'SELECT id FROM "{sessions}" WHERE "{relay}" = ? AND id IN '
            columns = ", ".join(f'"{column}"' for column in EVENT_COLUMNS)
            marks = ", ".join("?" * len(EVENT_COLUMNS))
            self._insert = f'INSERT INTO "{Event._meta.db_table}" ({columns}) VALUES ({marks})'
            self._db = db
        return self._db

    def write(self, relay_pk: int, records: list[Record]) -> set[int]:
        """Store ``records`` in one transaction; the sessions this relay no longer holds.
        Raises ``sqlite3.Error`` (nothing written) when the write lock is taken."""
        db = self._connection()
        session_ids = {r.session_id for r in records}
        rows = sqlite_rows(records)  # prepared before the lock is taken
        db.execute("BEGIN IMMEDIATE")
        try:
            ids: list[Any] = sorted(session_ids)
            marks = ", ".join("?" * len(ids))
            owned = {row[0] for row in db.execute(f"{self._owned}({marks})", [relay_pk, *ids])}
            if owned != session_ids:
                rows = [row for row, r in zip(rows, records, strict=True) if r.session_id in owned]
            if rows:
                db.executemany(self._insert, rows)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return session_ids - owned

    def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


def sqlite_rows(records: Sequence[Record]) -> list[tuple[Any, ...]]:
    """The rows of ``records`` (``EVENT_COLUMNS``) with their values as Django's SQLite backend
    stores Event's fields: datetimes as naive UTC text, JSON as text, bytes as a blob."""
    return [
        (
            r.session_id,
            r.seq,
            r.connection_number,
            r.kind,
            r.direction,
            str(r.created_at.astimezone(UTC).replace(tzinfo=None)),
            r.opcode,
            r.size,
            r.text,
            r.data,
            r.truncated,
            None if r.info is None else json.dumps(r.info),
            r.contract,
            r.message,
            None if r.problems is None else json.dumps(r.problems),
        )
        for r in records
    ]
