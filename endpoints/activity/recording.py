"""What a workspace service calls to record its change: revisions (history) and live events.

Each function runs inside the calling service's transaction and in a fixed number of queries,
whatever the number of endpoints (a batch of 5,000 records 5,000 revisions in one insert).
Usage in a service::

    before = recording.endpoint_snapshots([endpoint.pk])   # before writing
    ...write...
    recording.endpoints_changed(project=project, actor=actor, before=before)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User

from core.people import user_brief
from endpoints.activity import events, history
from endpoints.activity.event_kinds import EventKind
from endpoints.activity.serializers import comment_data
from endpoints.models import (
    Comment,
    Endpoint,
    Environment,
    Folder,
    Membership,
    Project,
    Revision,
    Tag,
    Variable,
)
from endpoints.tree.selectors import endpoints_with_relations

Actor = User | None


def endpoint_snapshots(ids: Iterable[int]) -> dict[int, dict[str, Any] | None]:
    """Snapshots of the endpoints ``ids`` as they are now, in three queries."""
    ids = list(ids)
    if not ids:
        return {}
    found = endpoints_with_relations(Endpoint.objects.filter(pk__in=ids))
    return {endpoint.pk: history.endpoint_snapshot(endpoint) for endpoint in found}


def _publish_one(project_id: int, actor: Actor, kind: EventKind, **payload: Any) -> None:
    """Publish one event of ``kind``; ``payload`` gives its other keys."""
    events.publish(project_id=project_id, actor=actor, events=[{"kind": kind, **payload}])


def _endpoint_summary(endpoint: Endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "folder": endpoint.folder_id,
        "position": endpoint.position,
        "protocol": endpoint.protocol,
        "status": endpoint.status,
        "version": endpoint.version,
    }


def endpoints_changed(
    *,
    project: Project,
    actor: Actor,
    before: dict[int, dict[str, Any] | None],
    revert_of: Revision | None = None,
) -> list[Revision]:
    """One revision per endpoint in ``before`` (None: just created), and one event each.

    ``before`` holds each endpoint's snapshot from before the write (``endpoint_snapshots``).
    """
    if not before:
        return []
    current = {
        endpoint.pk: endpoint
        for endpoint in endpoints_with_relations(Endpoint.objects.filter(pk__in=list(before)))
    }
    revisions: list[Revision] = []
    for pk in sorted(current):
        endpoint, old = current[pk], before[pk]
        new = history.endpoint_snapshot(endpoint)
        changes = history.diff(old, new, history.ENDPOINT_FIELDS)
        revisions.append(
            Revision(
                project=project,
                endpoint=endpoint,
                version=endpoint.version,
                action=history.revision_action(
                    changes, created=old is None, reverted=revert_of is not None
                ),
                actor=actor,
                changes=changes,
                snapshot=new,
                revert_of=revert_of.pk if revert_of else None,
            )
        )
    Revision.objects.bulk_create(revisions, batch_size=500)
    published = []
    for revision in revisions:
        revised = revision.endpoint
        assert revised is not None  # each was built for an endpoint just above
        old = before[revised.pk]
        kind = {"created": EventKind.ENDPOINT_CREATED, "moved": EventKind.ENDPOINT_MOVED}.get(
            revision.action, EventKind.ENDPOINT_UPDATED
        )
        event: dict[str, Any] = {
            "kind": kind,
            "endpoint": _endpoint_summary(revised),
            "changed": history.changed_fields(revision.changes),
            "revision": revision.pk,
        }
        if old is not None and old.get("folder") != revision.snapshot["folder"]:
            event["previous_folder"] = old.get("folder")
        if revert_of is not None:
            event["reverted_to"] = revert_of.pk
        published.append(event)
    events.publish(project_id=project.pk, actor=actor, events=published)
    return revisions


def endpoints_deleted(*, project: Project, actor: Actor, endpoints: Sequence[Endpoint]) -> None:
    """Announce deleted endpoints (their revisions and comments go with them)."""
    events.publish(
        project_id=project.pk,
        actor=actor,
        events=[
            {
                "kind": EventKind.ENDPOINT_DELETED,
                "endpoint": {
                    "id": e.pk,
                    "name": e.name,
                    "folder": e.folder_id,
                    "version": e.version,
                },
            }
            for e in sorted(endpoints, key=lambda e: e.pk)
        ],
    )


def folder_changed(
    *, project: Project, actor: Actor, folder: Folder, before: dict[str, Any] | None
) -> Revision:
    """One revision of ``folder`` (``before`` None: just created) and its event."""
    new = history.folder_snapshot(folder)
    changes = history.diff(before, new, history.FOLDER_FIELDS)
    revision = Revision.objects.create(
        project=project,
        folder=folder,
        version=folder.version,
        action=history.revision_action(
            changes, created=before is None, placement=history.FOLDER_PLACEMENT
        ),
        actor=actor,
        changes=changes,
        snapshot=new,
    )
    kind = {"created": EventKind.FOLDER_CREATED, "moved": EventKind.FOLDER_MOVED}.get(
        revision.action, EventKind.FOLDER_UPDATED
    )
    event: dict[str, Any] = {
        "kind": kind,
        # The tree's fields; an Auth tab change shows in ``changed`` (read the folder again).
        "folder": {
            "id": folder.pk,
            **{key: new[key] for key in ("name", "parent", "position")},
            "version": folder.version,
        },
        "changed": history.changed_fields(changes),
        "revision": revision.pk,
    }
    if before is not None and before["parent"] != new["parent"]:
        event["previous_parent"] = before["parent"]
    events.publish(project_id=project.pk, actor=actor, events=[event])
    return revision


def folder_deleted(
    *,
    project: Project,
    actor: Actor,
    folder: Folder,
    folder_ids: Sequence[int],
    endpoint_ids: Sequence[int],
) -> None:
    _publish_one(
        project.pk,
        actor,
        EventKind.FOLDER_DELETED,
        folder={"id": folder.pk, "name": folder.name, "parent": folder.parent_id},
        deleted_folders=sorted(folder_ids),
        deleted_endpoints=sorted(endpoint_ids),
    )


def member_changed(
    *,
    project: Project,
    actor: Actor,
    membership: Membership,
    kind: EventKind,
    previous_role: str | None = None,
) -> None:
    """``member.joined``, ``member.role_changed`` or ``member.left``.

    Open sockets of the member re-check their membership on these (a removed member's socket
    closes at once).
    """
    event: dict[str, Any] = {
        "kind": kind,
        "member": {"user": user_brief(membership.user), "role": membership.role},
    }
    if previous_role is not None:
        event["previous_role"] = previous_role
    events.publish(project_id=project.pk, actor=actor, events=[event])


def project_changed(*, project: Project, actor: Actor) -> None:
    _publish_one(
        project.pk,
        actor,
        EventKind.PROJECT_UPDATED,
        project={"id": project.pk, "name": project.name, "version": project.version},
    )


def project_deleted(*, project_id: int) -> None:
    """Tell open sockets the project is gone (nothing is stored: its events go with it)."""
    events.send_after_commit(project_id, {"type": "project.gone"})


def comment_changed(*, project: Project, actor: Actor, kind: EventKind, comment: Comment) -> None:
    """``comment.added``, ``.edited``, ``.resolved`` or ``.reopened``, with the comment as the
    REST API shows it."""
    _publish_one(project.pk, actor, kind, comment=comment_data(comment))


def comment_deleted(*, project: Project, actor: Actor, comment: Comment) -> None:
    _publish_one(
        project.pk,
        actor,
        EventKind.COMMENT_DELETED,
        comment={"id": comment.pk, "endpoint": comment.endpoint_id},
    )


def tag_changed(*, project_id: int, actor: Actor, kind: EventKind, tag: Tag) -> None:
    """``tag.created``, ``.updated`` or ``.deleted`` (endpoints carrying it have their own)."""
    _publish_one(project_id, actor, kind, tag={"id": tag.pk, "name": tag.name})


def environment_changed(
    *, project_id: int, actor: Actor, kind: EventKind, environment: Environment
) -> None:
    """``environment.created``, ``.updated`` or ``.deleted`` (its variables go with it)."""
    _publish_one(
        project_id,
        actor,
        kind,
        environment={
            "id": environment.pk,
            "name": environment.name,
            "version": environment.version,
        },
    )


def variable_changed(*, project_id: int, actor: Actor, kind: EventKind, variable: Variable) -> None:
    """``variable.created``, ``.updated`` or ``.deleted``: which variable, never its value."""
    _publish_one(
        project_id,
        actor,
        kind,
        variable={
            "id": variable.pk,
            "environment": variable.environment_id,
            "name": variable.name,
            "secret": variable.secret,
            "version": variable.version,
        },
    )


def current_value_changed(*, variable: Variable, user: User, is_set: bool) -> None:
    """Tell ``user``'s own tabs that their private value of ``variable`` was set or cleared.

    Only to them, never stored, and without the value (their tab reads it again).
    """
    events.publish_to_member(
        project_id=variable.project_id,
        user_id=user.pk,
        actor=user,
        events=[
            {
                "kind": EventKind.CURRENT_VALUE_CHANGED,
                "variable": {
                    "id": variable.pk,
                    "environment": variable.environment_id,
                    "name": variable.name,
                },
                "set": is_set,
            }
        ],
    )
