"""Ending sessions no relay holds any more: relays whose heartbeat stopped are dropped and their
sessions marked ``lost``; a session whose relay never got its connect ends ``failed``.

Used by the relays (each sweeps on its heartbeat) and by the web side (on access, and when a
connect command could not be delivered). Sync ORM code; callers publish the returned viewer
messages after the transaction commits.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import metrics
from sessions.models import (
    ACTIVE_STATES,
    Connection,
    DebugSession,
    Event,
    EventKind,
    FailureKind,
    Relay,
    SessionState,
)
from sessions.relay.protocol import event_data, events_message


def lost_detail() -> str:
    return (
        "The relay holding this connection stopped (no heartbeat for more than "
        f"{settings.RELAY_LOST_AFTER:g} s); the upstream connection is lost."
    )


def sessions_mark_lost(*, session_ids: list[int], detail: str) -> list[dict[str, Any]]:
    """Mark active sessions ``lost`` with a closing log entry; returns the viewer messages."""
    messages = sessions_end(
        session_ids=session_ids, detail=detail, state=SessionState.LOST, kind=FailureKind.LOST
    )
    if messages:
        metrics.SESSIONS_LOST.inc(len(messages))
    return messages


def sessions_end(
    *, session_ids: list[int], detail: str, state: str, kind: str
) -> list[dict[str, Any]]:
    """End active sessions no relay is holding: log entry, connection record, new state.

    Only used when no relay can write for these sessions any more (it stopped, or never got
    the command), so numbering the entry here cannot collide with a relay's numbers.
    """
    messages: list[dict[str, Any]] = []
    if not session_ids:
        return messages
    with transaction.atomic():
        sessions = list(
            DebugSession.objects.select_for_update()
            .filter(pk__in=session_ids, state__in=ACTIVE_STATES)
            .order_by("pk")
        )
        now = timezone.now()
        for session in sessions:
            last = (
                Event.objects.filter(session=session)
                .order_by("-seq")
                .values_list("seq", flat=True)
                .first()
            )
            event = Event.objects.create(
                session=session,
                seq=(last or 0) + 1,
                connection_number=session.connection_count,
                kind=EventKind.ERROR,
                created_at=now,
                text=detail,
                info={"kind": kind, "detail": detail},
            )
            Connection.objects.filter(session=session, number=session.connection_count).update(
                failure_kind=kind, failure_detail=detail, ended_at=now
            )
            DebugSession.objects.filter(pk=session.pk).update(
                state=state, relay=None, relay_channel="", updated_at=now
            )
            messages.append(events_message(session.pk, [event_data(event)], state))
    return messages


def relays_reap() -> list[dict[str, Any]]:
    """Drop relays whose heartbeat stopped; their sessions become ``lost``."""
    cutoff = timezone.now() - timedelta(seconds=settings.RELAY_LOST_AFTER)
    with transaction.atomic():
        dead = list(Relay.objects.filter(heartbeat_at__lt=cutoff).values_list("pk", flat=True))
        orphans = list(
            DebugSession.objects.filter(
                Q(relay_id__in=dead) | Q(relay__isnull=True), state__in=ACTIVE_STATES
            ).values_list("pk", flat=True)
        )
        messages = sessions_mark_lost(session_ids=orphans, detail=lost_detail())
        if dead:
            Relay.objects.filter(pk__in=dead).delete()
    return messages
