"""Storing log records from the relay's event loop, with psycopg's asyncio connection, when the
database is PostgreSQL (the relay worker of a scaled deployment).

The writer's thread cost a relay more than the statements it ran (docs/benchmarks.md, issue
21): every batch crossed from the loop to the thread and back, each crossing waiting for the
other side to wake, and the thread and the loop took the GIL from each other at every
statement. Here the loop sends the statements and waits for PostgreSQL's answers as it waits
for any socket. What the thread's ``store.store_batch`` promises holds here too:

* one transaction at a time, in ``seq`` order;
* a session's rows are written only while it still names this relay (its row is locked with
  ``FOR UPDATE`` first; a relay declared lost writes nothing more of it);
* records of the batch's sessions queued while its transaction runs join it before COMMIT
  (a group commit: an echo usually shares its message's commit);
* the session and connection updates a record carries are written in the same transaction,
  with the SQL Django's ORM makes for them.

A failed transaction is rolled back whole; the writer tries the batch again (``Writer``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

import psycopg
from django.db import connections
from django.db.models.sql import UpdateQuery

from sessions.models import Connection, DebugSession, Event, EventKind
from sessions.relay.store import (
    COPY_FROM_ROWS,
    EVENT_COLUMNS,
    MAX_BATCH,
    Record,
    merged_updates,
    postgres_row,
)

# How long a write whose batch ends on a sent frame keeps its transaction open for the answer
# when nothing else is queued: an echo back within that is committed with its message instead
# of paying a commit of its own (the lock's round trip alone is often shorter than the echo's).
ANSWER_WAIT = 0.0005

# Django's connection parameters this connection does without (Django's own adapters and cursor
# class; psycopg's default of preparing a statement from its fifth use is kept).
_DJANGO_ONLY = ("cursor_factory", "context", "prepare_threshold")


class LoopPostgres:
    """One asyncio connection of the relay's loop to the default (PostgreSQL) database."""

    def __init__(self) -> None:
        self._db: psycopg.AsyncConnection[Any] | None = None
        wrapper = connections["default"]
        ops = wrapper.ops
        self._table = ops.quote_name(Event._meta.db_table)
        self._columns = ", ".join(EVENT_COLUMNS)
        sessions = ops.quote_name(DebugSession._meta.db_table)
        relay = ops.quote_name(DebugSession._meta.get_field("relay").column)
        self._lock = (
            f"SELECT id FROM {sessions} WHERE id = ANY(%s) AND {relay} = %s ORDER BY id FOR UPDATE"
        )

    @staticmethod
    def for_default_database() -> LoopPostgres | None:
        return LoopPostgres() if connections["default"].vendor == "postgresql" else None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        db = self._db
        if db is not None and db.closed:
            db = self._db = None
        if db is None:
            params = connections["default"].get_connection_params()
            for name in _DJANGO_ONLY:
                params.pop(name, None)
            # Autocommit: each batch's BEGIN and COMMIT are in its messages (``write``).
            db = self._db = await psycopg.AsyncConnection.connect(**params, autocommit=True)
        return db

    async def write(
        self,
        relay_pk: int,
        records: list[Record],
        more: Callable[[set[int], int], list[Record]],
        soon: Callable[[float], Awaitable[None]],
    ) -> set[int]:
        """Store ``records``, extended by what ``more`` adds before the commit; the sessions
        this relay no longer holds. Raises on a database error (nothing is stored then).

        Two messages to PostgreSQL, not a round trip per statement: ``BEGIN`` and the lock,
        then the rows, the row updates and ``COMMIT`` (parameters bound in the client, so a
        message may hold several statements; they run in order and stop at an error). A batch
        that ends on a sent frame waits ``soon(ANSWER_WAIT)`` for something else to be queued
        before it takes ``more``: an echo back within that is committed with its message."""
        db = await self._connection()
        session_ids = {r.session_id for r in records}
        cursor = psycopg.AsyncClientCursor(db)
        try:
            await cursor.execute(f"BEGIN; {self._lock}", [sorted(session_ids), relay_pk])
            cursor.nextset()
            owned = {row[0] for row in await cursor.fetchall()}
            if records[-1].kind == EventKind.SENT:
                await soon(ANSWER_WAIT)
            while len(records) < MAX_BATCH:
                extra = more(session_ids, MAX_BATCH - len(records))
                if not extra:
                    break
                records.extend(extra)
            rows = [
                postgres_row(r) for r in records if r.session_id in owned and r.kind is not None
            ]
            statements: list[tuple[str, Sequence[Any]]] = []
            if len(rows) >= COPY_FROM_ROWS:
                async with cursor.copy(f"COPY {self._table} ({self._columns}) FROM STDIN") as copy:
                    for row in rows:
                        await copy.write_row(row)
            elif rows:
                marks = "(" + ", ".join(["%s"] * len(EVENT_COLUMNS)) + ")"
                insert = f"INSERT INTO {self._table} ({self._columns}) VALUES "
                statements.append(
                    (
                        insert + ", ".join([marks] * len(rows)),
                        [value for row in rows for value in row],
                    )
                )
            statements += _updates(records, owned)
            statements.append(("COMMIT", ()))
            await cursor.execute(
                "; ".join(sql for sql, _ in statements),
                [value for _, params in statements for value in params],
            )
        except BaseException:
            await self._abandon(db)
            raise
        finally:
            await cursor.close()
        return session_ids - owned

    async def _abandon(self, db: psycopg.AsyncConnection[Any]) -> None:
        """After a failure: roll back, or drop a connection that cannot even do that."""
        try:
            await db.execute("ROLLBACK")
        except Exception:
            await db.close()
            self._db = None

    async def close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            await db.close()


def _updates(records: Sequence[Record], owned: set[int]) -> list[tuple[str, Sequence[Any]]]:
    """The session and connection updates of ``records`` as SQL, merged per row in order."""
    session_updates, connection_updates = merged_updates(records, owned)
    statements = [
        _update_sql(DebugSession, {"pk": session_id}, fields)
        for session_id, fields in session_updates.items()
    ]
    statements += [
        _update_sql(Connection, {"session_id": session_id, "number": number}, fields)
        for (session_id, number), fields in connection_updates.items()
    ]
    return statements


def _update_sql(
    model: type[DebugSession] | type[Connection], filters: dict[str, Any], fields: dict[str, Any]
) -> tuple[str, Sequence[Any]]:
    """The UPDATE ``model.objects.filter(**filters).update(**fields)`` would run, as SQL and
    parameters (made by Django's compiler; nothing is run)."""
    query = cast(UpdateQuery, model.objects.filter(**filters).query.chain(UpdateQuery))
    query.add_update_values(fields)
    sql, params = query.get_compiler("default").as_sql()
    return sql, params
