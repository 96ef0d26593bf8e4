"""Writes of activity: reverting to a revision, comments."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import Forbidden, NotFound, ValidationFailed
from endpoints.activity import history, recording
from endpoints.activity.event_kinds import EventKind
from endpoints.activity.mentions import mentioned_names
from endpoints.models import Comment, Endpoint, Folder, Membership, Project, Revision, Role
from endpoints.rows import lock, lock_current
from endpoints.tree.services import endpoint_apply


@transaction.atomic
def endpoint_revert(
    *,
    endpoint: Endpoint,
    revision: Revision,
    actor: User,
    expected_version: int | None = None,
) -> Endpoint:
    """Make ``endpoint`` as it was after ``revision``, recorded as a new revision.

    History is never rewritten, and the version check works as for any other write.
    """
    endpoint = lock_current(
        Endpoint.objects.select_related("project", "updated_by"), endpoint.pk, expected_version
    )
    if revision.endpoint_id != endpoint.pk:
        raise NotFound("No such revision of this endpoint.")
    project = endpoint.project
    snapshot = revision.snapshot
    folder_id = snapshot.get("folder")
    assignee_id = (snapshot.get("assignee") or {}).get("id")
    data = history.revert_data(
        snapshot,
        message_ids=set(endpoint.messages.values_list("pk", flat=True)),
        folder_ids=set(
            Folder.objects.filter(project=project, pk=folder_id).values_list("pk", flat=True)
        )
        if folder_id is not None
        else set(),
        member_ids=set(
            Membership.objects.filter(project=project, user_id=assignee_id).values_list(
                "user_id", flat=True
            )
        )
        if assignee_id is not None
        else set(),
    )
    before = recording.endpoint_snapshots([endpoint.pk])
    endpoint_apply(endpoint, actor, data)
    recording.endpoints_changed(project=project, actor=actor, before=before, revert_of=revision)
    return endpoint


def _comment_body(body: str) -> str:
    if not body.strip():
        raise ValidationFailed({"body": ["A comment needs some text."]})
    return body


def _comment_mentions(project: Project, body: str) -> list[User]:
    """Members named as @username in ``body``; a name that is not a member's stays plain text."""
    names = mentioned_names(body)
    if not names:
        return []
    return list(
        User.objects.annotate(lname=Lower("username"))
        .filter(lname__in=names, memberships__project=project)
        .order_by("username")
    )


def _lock_comment(comment: Comment) -> Comment:
    return lock(Comment.objects.select_related("project", "author", "resolved_by"), comment.pk)


@transaction.atomic
def comment_create(*, endpoint: Endpoint, actor: User, body: str) -> Comment:
    project = endpoint.project
    comment = Comment.objects.create(
        project=project, endpoint=endpoint, author=actor, body=_comment_body(body)
    )
    comment.mentions.set(_comment_mentions(project, body))
    recording.comment_changed(
        project=project, actor=actor, kind=EventKind.COMMENT_ADDED, comment=comment
    )
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, actor: User, body: str) -> Comment:
    """Only the author edits a comment: nobody may put words in someone else's mouth."""
    comment = _lock_comment(comment)
    if comment.author_id != actor.pk:
        raise Forbidden("Only the author may edit a comment.")
    comment.body = _comment_body(body)
    comment.edited_at = timezone.now()
    comment.save()
    comment.mentions.set(_comment_mentions(comment.project, body))
    recording.comment_changed(
        project=comment.project, actor=actor, kind=EventKind.COMMENT_EDITED, comment=comment
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: User, role: str) -> None:
    """The author deletes a comment; a project admin may delete any (moderation)."""
    comment = _lock_comment(comment)
    if comment.author_id != actor.pk and role != Role.ADMIN:
        raise Forbidden("Only the author or a project admin may delete a comment.")
    recording.comment_deleted(project=comment.project, actor=actor, comment=comment)
    comment.delete()


@transaction.atomic
def comment_set_resolved(*, comment: Comment, actor: User, role: str, resolved: bool) -> Comment:
    """Resolve or reopen: editors and admins, and the comment's author whatever their role."""
    comment = _lock_comment(comment)
    if comment.author_id != actor.pk and role not in {Role.EDITOR, Role.ADMIN}:
        raise Forbidden("Only editors, admins and the comment's author may resolve or reopen it.")
    if resolved == (comment.resolved_at is not None):
        return comment
    comment.resolved_at = timezone.now() if resolved else None
    comment.resolved_by = actor if resolved else None
    comment.save(update_fields=["resolved_at", "resolved_by", "updated_at"])
    recording.comment_changed(
        project=comment.project,
        actor=actor,
        kind=EventKind.COMMENT_RESOLVED if resolved else EventKind.COMMENT_REOPENED,
        comment=comment,
    )
    return comment
