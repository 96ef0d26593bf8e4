"""Who has which endpoint open: one database row per open project socket, with expiry.

Rows live in the database (not in a process's memory) so every web process sees the sockets
held by every other one. Each socket refreshes its row every ``HEARTBEAT_SECONDS``; a row not
refreshed for ``PRESENCE_TTL`` belongs to a process that died and is ignored, then purged.
This is connection state, not workspace data: no versions, history or events.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from core.people import user_brief
from endpoints.models import Endpoint, Presence

HEARTBEAT_SECONDS = 15.0
PRESENCE_TTL = timedelta(seconds=45)


def presence_join(*, channel_name: str, project_id: int, user_id: int) -> None:
    now = timezone.now()
    Presence.objects.filter(project_id=project_id, seen_at__lt=now - PRESENCE_TTL).delete()
    Presence.objects.update_or_create(
        channel_name=channel_name,
        defaults={"project_id": project_id, "user_id": user_id, "endpoint": None, "seen_at": now},
    )


def presence_open(*, channel_name: str, project_id: int, endpoint_id: int | None) -> bool:
    """Record that the socket has ``endpoint_id`` open (None: none). False if not in project."""
    if (
        endpoint_id is not None
        and not Endpoint.objects.filter(project_id=project_id, pk=endpoint_id).exists()
    ):
        return False
    Presence.objects.filter(channel_name=channel_name).update(
        endpoint_id=endpoint_id, seen_at=timezone.now()
    )
    return True


def presence_touch(
    *, channel_name: str, project_id: int, user_id: int, endpoint_id: int | None
) -> None:
    """Refresh the socket's row; recreate it if it was purged while this process stalled."""
    updated = Presence.objects.filter(channel_name=channel_name).update(seen_at=timezone.now())
    if not updated:
        presence_join(channel_name=channel_name, project_id=project_id, user_id=user_id)
        presence_open(channel_name=channel_name, project_id=project_id, endpoint_id=endpoint_id)


def presence_leave(*, channel_name: str) -> None:
    Presence.objects.filter(channel_name=channel_name).delete()


def presence_list(*, project_id: int) -> list[dict[str, Any]]:
    """``[{"user": {...}, "endpoints": [ids open in any of their tabs]}]`` by username, one query."""
    rows = (
        Presence.objects.filter(project_id=project_id, seen_at__gte=timezone.now() - PRESENCE_TTL)
        .select_related("user")
        .order_by("user__username", "user_id", "endpoint_id")
    )
    members: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = members.setdefault(row.user_id, {"user": user_brief(row.user), "endpoints": []})
        if row.endpoint_id is not None and row.endpoint_id not in entry["endpoints"]:
            entry["endpoints"].append(row.endpoint_id)
    return list(members.values())
