"""Retention of debug-session logs: delete entries and connection records older than N days, a
bounded batch at a time, without holding locks a writer (the relay) could wait on.

What is kept, whatever its age:

* everything of a session that is connecting, open or closing (a live log is never trimmed);
* each session's newest log entry: the relay continues a session's numbering from its largest
  ``seq``, so keeping it means a number is never handed out twice and a viewer's ``after=N``
  keeps its meaning;
* each session's latest connection record (the session shows it);
* the sessions themselves (drafts are a member's work; deleting a session deletes its log).

Entries are visited in primary-key order, ``batch_size`` ids per statement: each batch is one
short ``DELETE`` in its own transaction (row locks on old rows only, which nothing writes to),
followed by a pause when it deleted something. The walk jumps over gaps to the next existing
id and stops at the first entry more than ``CLOCK_SKEW`` newer than the cutoff, since ids grow
with time; no index on the time columns is needed (the relay's inserts stay as cheap as they
are).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from sessions.models import ACTIVE_STATES, Connection, DebugSession, Event

# Ids grow with time, but relays on different machines stamp entries with their own clocks: the
# walk goes on past entries up to this much newer than the cutoff (they are kept, not deleted).
CLOCK_SKEW = timedelta(hours=1)


@dataclass
class PruneResult:
    cutoff: datetime
    events: int = 0
    connections: int = 0
    batches: int = 0
    seconds: float = 0.0


def _inactive_sessions() -> Q:
    return ~Q(session__state__in=ACTIVE_STATES)


def events_prune_batch(*, cutoff: datetime, first_id: int, batch_size: int) -> int:
    """Delete the prunable entries among ids ``first_id`` .. ``first_id + batch_size - 1``."""
    # The session's largest seq, read backwards off the (session, seq) unique index.
    newest_seq = Event.objects.filter(session_id=OuterRef("session_id")).order_by("-seq")
    doomed = Event.objects.filter(
        _inactive_sessions(),
        pk__gte=first_id,
        pk__lt=first_id + batch_size,
        created_at__lt=cutoff,
        seq__lt=Subquery(newest_seq.values("seq")[:1]),
    )
    with transaction.atomic():
        deleted, _ = Event.objects.filter(pk__in=doomed.values("pk")).delete()
    return deleted


def connections_prune_batch(*, cutoff: datetime, first_id: int, batch_size: int) -> int:
    """Delete ended connection records among the ids, except each session's latest."""
    doomed = Connection.objects.filter(
        _inactive_sessions(),
        pk__gte=first_id,
        pk__lt=first_id + batch_size,
        started_at__lt=cutoff,
        number__lt=Subquery(
            DebugSession.objects.filter(pk=OuterRef("session_id")).values("connection_count")
        ),
    ).filter(Q(ended_at__lt=cutoff) | Q(ended_at__isnull=True))
    with transaction.atomic():
        deleted, _ = Connection.objects.filter(pk__in=doomed.values("pk")).delete()
    return deleted


class BatchPrune(Protocol):
    """``events_prune_batch`` or ``connections_prune_batch``: deletes in one id range."""

    def __call__(self, *, cutoff: datetime, first_id: int, batch_size: int) -> int: ...


def _walk(
    model: type[Event] | type[Connection],
    time_field: str,
    prune: BatchPrune,
    *,
    cutoff: datetime,
    batch_size: int,
    pause: float,
    result: PruneResult,
) -> int:
    total = 0
    next_id = 0
    while True:
        first = (
            model.objects.filter(pk__gte=next_id).order_by("pk").values("pk", time_field).first()
        )
        if first is None or first[time_field] >= cutoff + CLOCK_SKEW:
            return total
        deleted = prune(cutoff=cutoff, first_id=first["pk"], batch_size=batch_size)
        total += deleted
        result.batches += 1
        next_id = first["pk"] + batch_size
        if deleted and pause:
            # Room for writers between deleting batches; a batch that kept everything (each
            # session's newest entry, live sessions) needs none.
            time.sleep(pause)


def session_logs_prune(
    *,
    days: float,
    batch_size: int = 5000,
    pause: float = 0.1,
    now: datetime | None = None,
) -> PruneResult:
    """Delete log entries and connection records older than ``days`` (see the module doc)."""
    if days <= 0:
        raise ValueError("days must be positive (0 means keep forever: do not prune).")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    started = time.monotonic()
    result = PruneResult(cutoff=(now or timezone.now()) - timedelta(days=days))
    walk = partial(_walk, cutoff=result.cutoff, batch_size=batch_size, pause=pause, result=result)
    result.events = walk(Event, "created_at", events_prune_batch)
    result.connections = walk(Connection, "started_at", connections_prune_batch)
    result.seconds = time.monotonic() - started
    return result
