"""Reads of activity: history, comments, stored project events."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound, ValidationFailed
from endpoints.models import Comment, Endpoint, Folder, Project, ProjectEvent, Revision
from endpoints.rows import as_int


def endpoint_history(*, endpoint: Endpoint) -> QuerySet[Revision]:
    """Newest first, without the snapshots (a page is one query, joined with the actor)."""
    return (
        Revision.objects.filter(endpoint=endpoint)
        .select_related("actor")
        .defer("snapshot")
        .order_by("-id")
    )


def folder_history(*, folder: Folder) -> QuerySet[Revision]:
    return Revision.objects.filter(folder=folder).select_related("actor").order_by("-id")


def revision_get(*, endpoint: Endpoint, revision_id: int | str) -> Revision:
    revision = (
        Revision.objects.filter(endpoint=endpoint, pk=as_int(revision_id))
        .select_related("actor")
        .first()
    )
    if revision is None:
        raise NotFound("No such revision of this endpoint.")
    return revision


COMMENT_STATES = ("all", "open", "resolved")


def endpoint_comments(*, endpoint: Endpoint, state: str = "all") -> QuerySet[Comment]:
    """Oldest first; ``state`` is all, open or resolved. A page is three queries."""
    if state not in COMMENT_STATES:
        raise ValidationFailed({"state": [f"Use one of {', '.join(COMMENT_STATES)}."]})
    comments = (
        Comment.objects.filter(endpoint=endpoint)
        .select_related("author", "resolved_by")
        .prefetch_related("mentions")
        .order_by("created_at", "id")
    )
    if state == "open":
        comments = comments.filter(resolved_at__isnull=True)
    elif state == "resolved":
        comments = comments.filter(resolved_at__isnull=False)
    return comments


def comment_get(*, endpoint: Endpoint, comment_id: int | str) -> Comment:
    comment = endpoint_comments(endpoint=endpoint).filter(pk=as_int(comment_id)).first()
    if comment is None:
        raise NotFound("No such comment on this endpoint.")
    return comment


def project_events(
    *, project_id: int, after: int, upto: int | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """Stored events with ``after < seq <= upto``, oldest first, as sent on the socket."""
    rows = ProjectEvent.objects.filter(project_id=project_id, seq__gt=after)
    if upto is not None:
        rows = rows.filter(seq__lte=upto)
    return [
        {"seq": seq, **data}
        for seq, data in rows.order_by("seq").values_list("seq", "data")[:limit]
    ]


def project_last_seq(*, project_id: int) -> int | None:
    """The project's latest event sequence number; None if the project is gone."""
    return Project.objects.filter(pk=project_id).values_list("last_event_seq", flat=True).first()
