"""Live project events: stored with a per-project sequence number, sent only after commit.

A service calls :func:`publish` inside its transaction. The events are written to
``ProjectEvent`` with the project's next sequence numbers, and handed to the channel layer
(group ``project.<id>``) by ``transaction.on_commit``, so a change that rolls back is never
announced and its numbers are never used. Advancing ``Project.last_event_seq`` locks the
project's row until commit, so events of one project commit in sequence order: a socket that
has seen N and reads the stored events after N misses nothing and gets nothing twice.

Every event is checked against its kind's declared payload first (``event_kinds``). The few
kinds that belong to one member (their private current values) go through
:func:`publish_to_member` instead: not stored, not numbered, sent only to that member's sockets
of the project (group ``project.<id>.member.<user id>``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max, Subquery
from django.db.models.functions import Coalesce, Greatest

from core.people import user_brief
from core.timestamps import iso_now
from endpoints.activity.event_kinds import check_event
from endpoints.models import Project, ProjectEvent

logger = logging.getLogger(__name__)

# Events per channel-layer message; a batch of 5,000 endpoints becomes 50 messages, not 5,000.
SEND_CHUNK = 100


def project_group(project_id: int) -> str:
    return f"project.{project_id}"


def member_group(project_id: int, user_id: int) -> str:
    """The sockets of one member on one project: where their own events go."""
    return f"project.{project_id}.member.{user_id}"


def publish(
    *,
    project_id: int,
    actor: User | None,
    events: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Store ``events`` (each ``{"kind": EventKind, ...}``) and send them once the transaction
    commits.

    Returns the events as sent: ``{"seq", "kind", "at", "actor", ...}``. Must run inside the
    caller's transaction, as late as possible in it: the project row stays locked until commit.
    """
    if not events:
        return []
    for event in events:
        check_event(event, owner_only=False)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("publish() belongs inside the service's transaction.")
    count = len(events)
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        # The transaction's deferred foreign-key checks run now, before the project row is
        # locked: at COMMIT they would wait for rows another writer holds (an endpoint it
        # locked) while that writer waits for this project row, a deadlock.
        connection.check_constraints()
    # The stored events are the truth: should anything ever write a stale counter back (a
    # full save of an old Project instance), numbering resumes after the last stored event.
    last_stored = (
        ProjectEvent.objects.filter(project_id=project_id)
        .order_by()
        .values("project_id")
        .annotate(top=Max("seq"))
        .values("top")
    )
    Project.objects.filter(pk=project_id).update(
        last_event_seq=Greatest(F("last_event_seq"), Coalesce(Subquery(last_stored), 0)) + count
    )
    last = Project.objects.filter(pk=project_id).values_list("last_event_seq", flat=True).first()
    if last is None:
        return []
    now, at = iso_now()
    actor = actor if actor is not None and actor.is_authenticated else None
    common = {"at": at, "actor": user_brief(actor)}
    rows = []
    for offset, event in enumerate(events):
        data = {**event, **common, "kind": event["kind"].value}
        rows.append(
            ProjectEvent(
                project_id=project_id,
                seq=last - count + 1 + offset,
                kind=data["kind"],
                actor=actor,
                created_at=now,
                data=data,
            )
        )
    ProjectEvent.objects.bulk_create(rows, batch_size=500)
    sent = [{"seq": row.seq, **row.data} for row in rows]
    for start in range(0, len(sent), SEND_CHUNK):
        send_after_commit(
            project_id, {"type": "project.events", "events": sent[start : start + SEND_CHUNK]}
        )
    return sent


def publish_to_member(
    *,
    project_id: int,
    user_id: int,
    actor: User | None,
    events: Sequence[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Send ``events`` of owner-only kinds to ``user_id``'s sockets of the project, after commit.

    Nothing is stored: no other member can replay them (``?after=``, the REST poll), and they
    take no sequence number, so other members see no gap. A tab that was offline meanwhile
    reads the values again when it shows them.
    """
    for event in events:
        check_event(event, owner_only=True)
    if not events:
        return []
    _, at = iso_now()
    actor = actor if actor is not None and actor.is_authenticated else None
    common = {"at": at, "actor": user_brief(actor)}
    sent = [{**event, **common, "kind": event["kind"].value} for event in events]
    transaction.on_commit(
        partial(
            _group_send,
            member_group(project_id, user_id),
            {"type": "project.member_events", "events": sent},
        ),
        robust=True,
    )
    return sent


def send_after_commit(project_id: int, message: dict[str, Any]) -> None:
    """Send ``message`` to the project's sockets when (and only if) the transaction commits."""
    transaction.on_commit(partial(_group_send, project_group(project_id), message), robust=True)


def _group_send(group: str, message: dict[str, Any]) -> None:
    # A channel layer outage must not fail a write that is already committed: sockets catch up
    # from storage on their next event or heartbeat.
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        logger.exception("Could not send %s to %s", message.get("type"), group)
