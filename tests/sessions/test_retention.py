"""Retention of session logs (`manage.py prune_session_logs`): old entries and connection
records go, in batches; live sessions, each session's newest entry and latest connection stay;
numbering continues without reuse; a relay storing frames is not held up while it runs."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from sessions.models import Connection, DebugSession, Event, SessionState
from sessions.retention import PruneResult, events_prune_batch, session_logs_prune

OLD = timedelta(days=40)


def session_with_log(
    team: Any, state: str, ages: list[timedelta], connection_ages: list[timedelta]
) -> DebugSession:
    """A session whose entries (seq 1, 2, ...) and connections (1, 2, ...) are that old."""
    now = timezone.now()
    session = DebugSession.objects.create(
        owner=team.editor,
        project=team.project,
        url="ws://127.0.0.1:9/",
        state=state,
        connection_count=len(connection_ages),
    )
    Event.objects.bulk_create(
        Event(
            session=session,
            seq=seq,
            connection_number=1,
            kind="received",
            direction="in",
            opcode="text",
            text=f"frame {seq}",
            size=7,
            created_at=now - age,
        )
        for seq, age in enumerate(ages, start=1)
    )
    for number, age in enumerate(connection_ages, start=1):
        ended = None if state in ("open", "connecting") and number == len(connection_ages) else 1
        Connection.objects.create(
            session=session,
            number=number,
            started_at=now - age,
            ended_at=now - age + timedelta(minutes=5) if ended else None,
        )
    return session


def seqs(session: DebugSession) -> list[int]:
    return list(Event.objects.filter(session=session).order_by("seq").values_list("seq", flat=True))


def numbers(session: DebugSession) -> list[int]:
    return list(
        Connection.objects.filter(session=session)
        .order_by("number")
        .values_list("number", flat=True)
    )


def test_old_entries_go_and_live_sessions_newest_entries_and_latest_connections_stay(team):
    day = timedelta(days=1)
    # Made in time order, as the relay stores them: ids grow with time.
    all_old = session_with_log(team, "failed", [OLD] * 5, [OLD])
    live = session_with_log(team, "open", [OLD] * 4, [OLD, OLD])
    closing = session_with_log(team, "closing", [OLD] * 3, [OLD, OLD])
    idle = session_with_log(team, "idle", [], [])
    mixed = session_with_log(team, "closed", [OLD] * 8 + [day] * 2, [OLD, day])

    result = session_logs_prune(days=30, batch_size=3, pause=0)

    assert seqs(mixed) == [9, 10] and numbers(mixed) == [2]
    # Only the newest entry (which carries the numbering on) and the latest connection.
    assert seqs(all_old) == [5] and numbers(all_old) == [1]
    assert seqs(live) == [1, 2, 3, 4] and numbers(live) == [1, 2]
    assert seqs(closing) == [1, 2, 3] and numbers(closing) == [1, 2]
    assert seqs(idle) == [] and DebugSession.objects.count() == 5
    assert (result.events, result.connections) == (8 + 4, 1)
    assert result.batches >= (8 + 4) // 3

    again = session_logs_prune(days=30, batch_size=3, pause=0)
    assert (again.events, again.connections) == (0, 0)


def test_a_batch_is_one_short_statement_whatever_the_table_size(team, django_assert_num_queries):
    for count in (10, 200):
        session = session_with_log(team, "closed", [OLD] * count, [OLD])
        first = Event.objects.filter(session=session).earliest("pk").pk
        # SAVEPOINT, DELETE ... WHERE id IN (SELECT ...), RELEASE (inside the test transaction).
        with django_assert_num_queries(3):
            deleted = events_prune_batch(
                cutoff=timezone.now() - timedelta(days=30), first_id=first, batch_size=count
            )
        assert deleted == count - 1


def test_the_command_and_the_setting(team, settings):
    session = session_with_log(team, "closed", [OLD, OLD, timedelta(days=10)], [OLD])
    settings.SESSION_LOG_RETENTION_DAYS = 0
    out = StringIO()
    call_command("prune_session_logs", stdout=out)
    assert "Retention is off" in out.getvalue() and seqs(session) == [1, 2, 3]

    settings.SESSION_LOG_RETENTION_DAYS = 30
    call_command("prune_session_logs", "--pause", "0", stdout=out)
    assert "Deleted 2 log entries and 0 connection records" in out.getvalue()
    assert seqs(session) == [3]

    call_command("prune_session_logs", "--days", "5", "--batch-size", "1", stdout=out)
    assert seqs(session) == [3]  # the newest entry stays, however old


@pytest.mark.django_db(transaction=True)
def test_numbering_continues_after_pruning(relay, team, sessions_for, ws_upstream):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    for text in ("one", "two"):
        api.send(session["id"], format="text", body=text)
    api.wait_events(
        session["id"], lambda ev: len(ev) == 6
    )  # connecting, open, 2 x (sent, received)
    api.disconnect(session["id"])
    last = api.get(session["id"])["last_seq"]
    Event.objects.filter(session_id=session["id"]).update(created_at=timezone.now() - OLD)

    session_logs_prune(days=30, pause=0)
    assert seqs(DebugSession.objects.get(pk=session["id"])) == [last]

    api.connect(session["id"])
    sent = api.send(session["id"], format="text", body="three")
    assert sent["seq"] == last + 3  # connecting, open, then this: nothing handed out twice
    events = api.wait_events(session["id"], lambda ev: ev[-1]["kind"] == "received")
    assert [e["seq"] for e in events] == list(range(last, last + len(events)))


@pytest.mark.django_db(transaction=True)
def test_a_held_prune_batch_does_not_block_writers(team):
    """While a batch's DELETE has not committed, another connection stores entries for the
    same session and a live one, and changes the session's row, without waiting on a lock."""
    closed = session_with_log(team, "closed", [OLD] * 50, [OLD])
    live = session_with_log(team, "open", [timedelta(0)] * 3, [timedelta(0)])
    first = Event.objects.filter(session=closed).earliest("pk").pk
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def pruner() -> None:
        try:
            with transaction.atomic():
                outcome["deleted"] = events_prune_batch(
                    cutoff=timezone.now() - timedelta(days=30), first_id=first, batch_size=100
                )
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=pruner)
    thread.start()
    try:
        assert holding.wait(10)
        with connection.cursor() as cursor:
            # A writer that would wait on a lock fails after 2 s instead.
            cursor.execute("SET lock_timeout = '2s'")
        now = timezone.now()
        Event.objects.bulk_create(
            Event(session=s, seq=seq, connection_number=1, kind="sent", created_at=now)
            for s, seq in ((closed, 51), (live, 4))
        )
        DebugSession.objects.filter(pk=closed.pk).update(state=SessionState.CONNECTING)
        Connection.objects.filter(session=live, number=1).update(ended_at=now)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        thread.join(10)
    assert outcome["deleted"] == 49
    assert seqs(closed) == [50, 51] and seqs(live) == [1, 2, 3, 4]


@pytest.mark.django_db(transaction=True)
def test_a_relay_stores_frames_while_pruning_runs(relay, team, sessions_for, ws_upstream):
    old = session_with_log(team, "closed", [OLD] * 10_000, [OLD])
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    timings: dict[str, float] = {}
    pruned: list[PruneResult] = []

    def prune() -> None:
        try:
            timings["start"] = time.monotonic()
            pruned.append(session_logs_prune(days=30, batch_size=250, pause=0.05))
            timings["end"] = time.monotonic()
        finally:
            connections.close_all()

    thread = threading.Thread(target=prune)
    thread.start()
    answered: list[tuple[float, int]] = []  # (when the answer came, seq)
    try:
        for index in range(200):
            seq = api.send(session["id"], format="text", body=f"while pruning {index}")["seq"]
            answered.append((time.monotonic(), seq))
            if not thread.is_alive():
                break
    finally:
        thread.join(60)
    (result,) = pruned
    assert result.events == 10_000 - 1 and result.batches >= 40
    assert seqs(old) == [10_000]
    # Every send was answered (201) and stored in order while the batches went on.
    assert [seq for _, seq in answered] == sorted({seq for _, seq in answered})
    during = [at for at, _ in answered if timings["start"] <= at <= timings["end"]]
    assert len(during) >= 5, (len(during), timings)
    api.wait_events(
        session["id"],
        lambda ev: sum(e["kind"] == "received" for e in ev) == len(answered),
        timeout=30,
    )
