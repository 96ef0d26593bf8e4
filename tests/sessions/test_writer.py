"""The relay's batch writer, on the real database: every record is stored once and handed back
in order, and a session's records that arrive while its write waits join that write's commit
(a group commit), so an echo does not wait for a transaction of its own."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from sessions.models import DebugSession, Event, Relay
from sessions.relay.store import Record
from sessions.relay.writer import Writer
from tests.sessions.conftest import relay_row

pytestmark = pytest.mark.django_db(transaction=True)


def _held_sessions(team: Any, count: int) -> tuple[Relay, list[int]]:
    relay = relay_row(channel_name="relay.test!writer")
    ids = [
        DebugSession.objects.create(
            owner=team.editor, project=team.project, url="ws://upstream.test/", relay=relay
        ).pk
        for _ in range(count)
    ]
    return relay, ids


def _record(session_id: int, seq: int) -> Record:
    record = Record(session_id, seq, 1, "received", "in", "text")
    record.text, record.size = f"frame {seq}", len(f"frame {seq}")
    return record


def _lock_holder(session_id: int) -> psycopg.Connection[Any]:
    """Another database session holding the row lock the writer takes before it writes."""
    db = connection.settings_dict
    holder = psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
    )
    holder.execute(
        f"SELECT id FROM {DebugSession._meta.db_table} WHERE id = %s FOR UPDATE", [session_id]
    )
    return holder


async def _until_a_write_waits_for(holder: psycopg.Connection[Any]) -> None:
    for _ in range(200):
        # Statistics are a snapshot per transaction, and the holder stays in its own.
        holder.execute("SELECT pg_stat_clear_snapshot()")
        waiting = holder.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting and waiting[0]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the writer never waited for the row lock")


def test_records_queued_while_a_write_waits_join_its_commit(team):
    relay, (first, other) = _held_sessions(team, 2)
    handed_back: list[list[tuple[int, int]]] = []

    async def after_store(batch: list[Record], fenced: set[int]) -> None:
        assert not fenced
        handed_back.append([(r.session_id, r.seq) for r in batch])

    async def scenario() -> None:
        writer = Writer(relay_pk=lambda: relay.pk, after_store=after_store, max_pending=100)
        running = asyncio.get_running_loop().create_task(writer.run())
        holder = _lock_holder(first)
        try:
            await writer.put(_record(first, 1))
            await _until_a_write_waits_for(holder)
            for seq in (2, 3, 4):
                await writer.put(_record(first, seq))
            await writer.put(_record(other, 1))
            await writer.put(_record(first, 5))
        finally:
            holder.commit()
            holder.close()
        await writer.drain(timeout=10)
        assert not writer.busy
        # The writer's thread ran jobs after the records queued before them.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(writer.executor, connections.close_all)
        writer.executor.shutdown(wait=True)
        running.cancel()

    asyncio.run(scenario())
    assert handed_back == [
        [(first, 1), (first, 2), (first, 3), (first, 4)],
        [(other, 1), (first, 5)],
    ]
    stored = list(Event.objects.order_by("session_id", "seq").values_list("session_id", "seq"))
    assert stored == [(first, n) for n in range(1, 6)] + [(other, 1)]


def test_many_records_of_many_sessions_are_stored_once_and_handed_back_in_order(team):
    relay, sessions = _held_sessions(team, 3)
    handed_back: list[tuple[int, int]] = []

    async def after_store(batch: list[Record], fenced: set[int]) -> None:
        handed_back.extend((r.session_id, r.seq) for r in batch)

    async def scenario() -> None:
        writer = Writer(relay_pk=lambda: relay.pk, after_store=after_store, max_pending=50)
        running = asyncio.get_running_loop().create_task(writer.run())
        for seq in range(1, 301):
            for session_id in sessions:
                await writer.put(_record(session_id, seq))
        await writer.drain(timeout=30)
        await asyncio.get_running_loop().run_in_executor(writer.executor, connections.close_all)
        writer.executor.shutdown(wait=True)
        running.cancel()

    asyncio.run(scenario())
    assert len(handed_back) == 900 and len(set(handed_back)) == 900
    for session_id in sessions:
        seqs = [seq for owner, seq in handed_back if owner == session_id]
        assert seqs == list(range(1, 301))
    assert Event.objects.count() == 900
