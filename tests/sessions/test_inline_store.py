"""Frames stored on the event loop when the database is SQLite (sessions/relay/inline_store.py),
against a real SQLite file migrated by ``manage.py migrate`` and read back by Django's ORM in a
process of its own: the rows are what Django reads, a session another relay holds is fenced, a
taken write lock is declined at once (never waited for on the loop), and the writer sends what
it cannot store in place to its thread, in order."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from sessions.models import DebugSession, Event, Relay
from sessions.relay.inline_store import InlineSqlite, storable_inline
from sessions.relay.store import Record
from sessions.relay.writer import Writer
from tests.sessions.test_embedded import ROOT, embedded_env

SETUP = """
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from endpoints.models import Project
from sessions.models import DebugSession, Relay
user = get_user_model().objects.create_user("inline")
project = Project.objects.create(name="Inline", created_by=user)
ours, theirs = (
    Relay.objects.create(
        channel_name=f"relay.{n}", host="h", pid=n, mode="embedded", capacity=9,
        heartbeat_at=timezone.now(),
    )
    for n in (1, 2)
)
held, foreign = (
    DebugSession.objects.create(owner=user, project=project, url="ws://u.test/", relay=relay)
    for relay in (ours, theirs)
)
print(json.dumps({"relay": ours.pk, "held": held.pk, "foreign": foreign.pk}))
"""

READ = """
import json
from sessions.models import Event
print(json.dumps([
    [e.session_id, e.seq, e.kind, e.created_at.isoformat(), e.text, None if e.data is None
     else bytes(e.data).hex(), e.info, e.problems, e.contract, e.truncated]
    for e in Event.objects.order_by("session_id", "seq")
]))
"""


def _manage(data_dir: Path, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=embedded_env(data_dir),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    data_dir = tmp_path_factory.mktemp("inline-template")
    _manage(data_dir, "migrate", "--noinput")
    ids = json.loads(_manage(data_dir, "shell", "-c", SETUP).strip().splitlines()[-1])
    return data_dir / "switchboard.sqlite3", ids


@pytest.fixture
def sqlite_file(
    template: tuple[Path, dict[str, int]], tmp_path: Path
) -> tuple[Path, dict[str, int]]:
    """A copy of the migrated file with a relay, a session it holds and one another holds."""
    source, ids = template
    with sqlite3.connect(source) as db, sqlite3.connect(tmp_path / source.name) as copy:
        db.backup(copy)
    return tmp_path, ids


def _record(session_id: int, seq: int, text: str = "") -> Record:
    record = Record(session_id, seq, 1, "received", "in", "text")
    record.text = text or f"frame {seq}"
    record.size = len(record.text.encode())
    return record


def _stored(path: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(path / "switchboard.sqlite3") as db:
        return list(db.execute("SELECT session_id, seq FROM debug_sessions_event ORDER BY seq"))


def test_rows_written_on_the_loop_are_what_django_reads(sqlite_file):
    data_dir, ids = sqlite_file
    held, foreign = ids["held"], ids["foreign"]
    text = _record(held, 1, 'ünï "cödé" ✓')
    text.info = {"masked": True, "format": "json"}
    text.contract, text.problems = "invalid", [{"path": "$.a", "problem": "too long"}]
    text.created_at = datetime(2026, 12, 4, 17, 1, 2, 345678, tzinfo=UTC)
    binary = Record(held, 2, 1, "sent", "out", "binary", size=3, data=b"\x00\xfe\x01")
    binary.truncated = True
    lost = _record(foreign, 1)
    inline = InlineSqlite(str(data_dir / "switchboard.sqlite3"))
    try:
        fenced = inline.write(ids["relay"], [text, binary, lost])
    finally:
        inline.close()
    assert fenced == {foreign}  # another relay holds it: none of its rows are written
    rows = json.loads(_manage(data_dir, "shell", "-c", READ).strip().splitlines()[-1])
    assert rows == [
        [
            held,
            1,
            "received",
            "2026-12-04T17:01:02.345678+00:00",
            'ünï "cödé" ✓',
            None,
            {"masked": True, "format": "json"},
            [{"path": "$.a", "problem": "too long"}],
            "invalid",
            False,
        ],
        [held, 2, "sent", rows[1][3], None, "00fe01", None, None, "", True],
    ]
    assert datetime.fromisoformat(rows[1][3]) == binary.created_at


def test_a_taken_write_lock_is_declined_at_once_and_nothing_is_written(sqlite_file):
    data_dir, ids = sqlite_file
    path = data_dir / "switchboard.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    inline = InlineSqlite(str(path))
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            inline.write(ids["relay"], [_record(ids["held"], 1)])
        holder.execute("ROLLBACK")
        assert _stored(data_dir) == []
        assert inline.write(ids["relay"], [_record(ids["held"], 1)]) == set()
        assert _stored(data_dir) == [(ids["held"], 1)]
    finally:
        inline.close()
        holder.close()


def test_only_few_small_plain_log_entries_are_stored_inline():
    plain = [_record(1, seq) for seq in range(1, 65)]
    assert storable_inline(plain)
    assert not storable_inline([*plain, _record(1, 65)])  # a flood goes to the thread
    assert not storable_inline([_record(1, 1, "x" * (300 * 1024))])
    opened = _record(1, 1)
    opened.session_update = {"state": "open"}
    assert not storable_inline([opened])


@pytest.mark.django_db(transaction=True)
def test_the_writer_stores_in_place_unless_the_lock_is_taken_then_its_thread_does(
    sqlite_file, team
):
    data_dir, ids = sqlite_file
    path = data_dir / "switchboard.sqlite3"
    # The thread writes to the test database (PostgreSQL): the same session there, so a batch
    # it stores is found in one database and a batch stored in place in the other.
    relay = Relay.objects.create(
        pk=ids["relay"],
        channel_name="relay.test!inline",
        host="h",
        pid=1,
        mode="embedded",
        capacity=9,
        heartbeat_at=timezone.now(),
    )
    DebugSession.objects.create(
        pk=ids["held"], owner=team.editor, project=team.project, url="ws://u/", relay=relay
    )
    handed_back: list[list[int]] = []

    async def after_store(batch: list[Record], fenced: set[int]) -> None:
        assert not fenced
        handed_back.append([r.seq for r in batch])

    async def scenario() -> None:
        inline = InlineSqlite(str(path))
        writer = Writer(
            relay_pk=lambda: ids["relay"], after_store=after_store, max_pending=100, inline=inline
        )
        running = asyncio.get_running_loop().create_task(writer.run())
        await asyncio.sleep(0)
        for seq in (1, 2):
            writer.put_nowait(_record(ids["held"], seq))
        await writer.drain(timeout=10)
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        await writer.put(_record(ids["held"], 3))
        await writer.drain(timeout=10)
        holder.execute("ROLLBACK")
        holder.close()
        await writer.put(_record(ids["held"], 4))
        await writer.drain(timeout=10)
        assert not writer.busy
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(writer.executor, connections.close_all)
        writer.executor.shutdown(wait=True)
        inline.close()
        running.cancel()

    asyncio.run(scenario())
    assert handed_back == [[1, 2], [3], [4]]
    assert _stored(data_dir) == [(ids["held"], 1), (ids["held"], 2), (ids["held"], 4)]
    assert list(Event.objects.values_list("seq", flat=True)) == [3]
