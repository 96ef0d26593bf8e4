"""The relay's writer on PostgreSQL writes from its event loop (sessions/relay/loop_pg.py), on
the real database: rows, session and connection updates in one transaction, exact fencing,
records queued during a write joining its commit, and a dropped connection retried whole."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from django.db import connection, connections

from sessions.models import Connection, DebugSession, Event, SessionState
from sessions.relay.loop_pg import LoopPostgres
from sessions.relay.store import Record
from sessions.relay.writer import Writer
from tests.sessions.conftest import relay_row

pytestmark = pytest.mark.django_db(transaction=True)


def _record(session_id: int, seq: int) -> Record:
    record = Record(session_id, seq, 1, "received", "in", "text")
    record.text, record.size = f"frame {seq}", len(f"frame {seq}")
    return record


def _admin() -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    )


def _run(relay_pk: int, scenario: Any) -> list[tuple[list[tuple[int, int]], set[int]]]:
    """Run ``scenario(writer)`` with a loop-writing writer; the batches handed back."""
    handed_back: list[tuple[list[tuple[int, int]], set[int]]] = []

    async def after_store(batch: list[Record], fenced: set[int]) -> None:
        handed_back.append(([(r.session_id, r.seq) for r in batch], fenced))

    async def main() -> None:
        store = LoopPostgres()
        writer = Writer(
            relay_pk=lambda: relay_pk, after_store=after_store, max_pending=100, on_loop=store
        )
        running = asyncio.get_running_loop().create_task(writer.run())
        await asyncio.sleep(0)
        try:
            await scenario(writer, store)
            await writer.drain(timeout=20)
            assert not writer.busy
        finally:
            running.cancel()
            await store.close()
            await asyncio.get_running_loop().run_in_executor(writer.executor, connections.close_all)
            writer.executor.shutdown(wait=True)

    asyncio.run(main())
    return handed_back


def test_it_is_the_writer_of_a_relay_on_postgresql():
    assert LoopPostgres.for_default_database() is not None


def test_rows_and_row_updates_are_written_and_a_lost_session_is_fenced(team):
    relay, other = relay_row(channel_name="relay.test!a"), relay_row(channel_name="relay.test!b")
    held, lost = (
        DebugSession.objects.create(
            owner=team.editor, project=team.project, url="ws://u/", relay=owner
        )
        for owner in (relay, other)
    )
    Connection.objects.create(session=held, number=1, request_url="ws://u/")
    opened = _record(held.pk, 1)
    opened.kind, opened.direction, opened.opcode = "open", "", ""
    opened.info = {"protocol": "chat", "headers": [["X-Ü", "1"]]}
    opened.session_update = {"state": SessionState.OPEN}
    opened.connection_update = {
        "subprotocol": "chat",
        "response_headers": [["Sec-WebSocket-Protocol", "chat"]],
        "opened_at": opened.created_at,
    }
    binary = Record(held.pk, 2, 1, "received", "in", "binary", size=2, data=b"\x00\xff")

    async def scenario(writer: Writer, store: LoopPostgres) -> None:
        for record in (opened, binary, _record(lost.pk, 1)):
            writer.put_nowait(record)

    handed_back = _run(relay.pk, scenario)
    assert [fenced for _, fenced in handed_back] in ([{lost.pk}], [set(), {lost.pk}])
    stored = list(Event.objects.order_by("seq").values_list("session_id", "seq", "info", "data"))
    assert [(s, q, i) for s, q, i, _ in stored] == [
        (held.pk, 1, {"protocol": "chat", "headers": [["X-Ü", "1"]]}),
        (held.pk, 2, None),
    ]
    data = stored[1][3]
    assert data is not None and bytes(data) == b"\x00\xff"
    held.refresh_from_db()
    assert held.state == SessionState.OPEN
    row = Connection.objects.get(session=held, number=1)
    assert row.subprotocol == "chat" and row.opened_at == opened.created_at
    assert row.response_headers == [["Sec-WebSocket-Protocol", "chat"]]
    assert not Event.objects.filter(session=lost).exists()


def test_records_queued_while_a_write_waits_join_its_commit(team):
    relay = relay_row(channel_name="relay.test!c")
    first, other = (
        DebugSession.objects.create(
            owner=team.editor, project=team.project, url="ws://u/", relay=relay
        ).pk
        for _ in range(2)
    )
    holder = _admin()
    holder.execute("BEGIN")
    holder.execute(
        f"SELECT id FROM {DebugSession._meta.db_table} WHERE id = %s FOR UPDATE", [first]
    )

    async def scenario(writer: Writer, store: LoopPostgres) -> None:
        try:
            await writer.put(_record(first, 1))
            for _ in range(200):  # until the write waits for the row lock
                row = holder.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                ).fetchone()
                holder.execute("SELECT pg_stat_clear_snapshot()")
                if row and row[0]:
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the write never waited for the row lock")
            for seq in (2, 3):
                await writer.put(_record(first, seq))
            await writer.put(_record(other, 1))
            await writer.put(_record(first, 4))
        finally:
            holder.execute("COMMIT")
            holder.close()

    handed_back = _run(relay.pk, scenario)
    assert [batch for batch, _ in handed_back] == [
        [(first, 1), (first, 2), (first, 3)],
        [(other, 1), (first, 4)],
    ]
    assert Event.objects.count() == 5


def test_a_dropped_connection_is_replaced_and_the_batch_written_once(team):
    relay = relay_row(channel_name="relay.test!d")
    session = DebugSession.objects.create(
        owner=team.editor, project=team.project, url="ws://u/", relay=relay
    )

    async def scenario(writer: Writer, store: LoopPostgres) -> None:
        await writer.put(_record(session.pk, 1))
        await writer.drain(timeout=10)
        db = await store._connection()
        with _admin() as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [db.info.backend_pid])
        await writer.put(_record(session.pk, 2))
        await writer.put(_record(session.pk, 3))

    handed_back = _run(relay.pk, scenario)
    assert sorted(pair for batch, _ in handed_back for pair in batch) == [
        (session.pk, 1),
        (session.pk, 2),
        (session.pk, 3),
    ]
    assert list(Event.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3]


def test_a_write_of_several_sessions_fences_the_one_another_relay_took(team):
    relay, other = relay_row(channel_name="relay.test!e"), relay_row(channel_name="relay.test!f")
    held, lost = (
        DebugSession.objects.create(
            owner=team.editor, project=team.project, url="ws://u/", relay=owner
        ).pk
        for owner in (relay, other)
    )

    async def scenario(writer: Writer, store: LoopPostgres) -> None:
        batch = [_record(held, 1), _record(lost, 1), _record(held, 2), _record(lost, 2)]
        for record in batch:
            writer.put_nowait(record)

    handed_back = _run(relay.pk, scenario)
    assert handed_back == [([(held, 1), (lost, 1), (held, 2), (lost, 2)], {lost})]
    stored = Event.objects.order_by("session_id", "seq").values_list("session_id", "seq")
    assert list(stored) == [(held, 1), (held, 2)]


def test_a_batch_ending_on_a_sent_frame_waits_briefly_for_its_answer(team):
    """The answer to a sent frame, queued while the write waits for it, is committed with it
    (``soon`` stands for the writer's short wait: here it is where the echo comes in)."""
    relay = relay_row(channel_name="relay.test!g")
    session = DebugSession.objects.create(
        owner=team.editor, project=team.project, url="ws://u/", relay=relay
    ).pk
    sent = Record(session, 1, 1, "sent", "out", "text", size=4, text="ping")
    queued: list[Record] = []
    waits: list[float] = []

    async def soon(timeout: float) -> None:
        waits.append(timeout)
        queued.append(Record(session, 2, 1, "received", "in", "text", size=4, text="pong"))

    def more(session_ids: set[int], room: int) -> list[Record]:
        taken = [r for r in queued if r.session_id in session_ids][:room]
        del queued[: len(taken)]
        return taken

    async def main() -> list[Record]:
        store = LoopPostgres()
        try:
            batch = [sent]
            assert await store.write(relay.pk, batch, more, soon) == set()
            plain = [Record(session, 3, 1, "received", "in", "text", size=1, text="x")]
            assert await store.write(relay.pk, plain, more, soon) == set()
            return batch
        finally:
            await store.close()

    batch = asyncio.run(main())
    assert [r.seq for r in batch] == [1, 2]  # one transaction for the frame and its answer
    assert waits == [pytest.approx(0.0005)]  # only the batch that ended on a sent frame
    assert list(Event.objects.order_by("seq").values_list("seq", "text")) == [
        (1, "ping"),
        (2, "pong"),
        (3, "x"),
    ]
