"""How projects and their members change."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.query import as_whole_number
from endpoints.activity import recording
from endpoints.activity.event_kinds import EventKind
from endpoints.auth import clean_auth
from endpoints.errors import AlreadyMember, LastAdmin
from endpoints.models import CurrentValue, Endpoint, Membership, Project, Role
from endpoints.rows import apply_edit, lock, lock_current


@transaction.atomic
def project_create(*, actor: User, name: str, description: str = "") -> Project:
    project = Project.objects.create(name=name, description=description, created_by=actor)
    Membership.objects.create(project=project, user=actor, role=Role.ADMIN)
    return project


@transaction.atomic
def project_update(
    *,
    project: Project,
    expected_version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    auth: dict[str, Any] | None = None,
    actor: User | None = None,
) -> Project:
    """Rename, describe, or change the Auth tab every endpoint inherits (endpoints.auth)."""
    project = lock_current(Project.objects.all(), project.pk, expected_version)
    if auth is not None:
        project.auth = clean_auth(auth, stored=project.auth, top=True)
    apply_edit(project, actor, name=name, description=description)
    project.save()
    recording.project_changed(project=project, actor=actor)
    return project


@transaction.atomic
def project_delete(*, project: Project, expected_version: int | None = None) -> None:
    project = lock_current(Project.objects.all(), project.pk, expected_version)
    recording.project_deleted(project_id=project.pk)
    project.delete()


def _find_user(user_ref: int | str) -> User:
    user_id = user_ref if isinstance(user_ref, int) else as_whole_number(user_ref)
    if user_id is not None:
        user = User.objects.filter(pk=user_id, is_active=True).first()
    else:
        user = User.objects.filter(username=user_ref, is_active=True).first()
    if user is None:
        raise ValidationFailed({"user": [f"No active user {user_ref!r}."]})
    return user


@transaction.atomic
def member_add(
    *, project: Project, user_ref: int | str, role: str, actor: User | None = None
) -> Membership:
    user = _find_user(user_ref)
    if Membership.objects.filter(project=project, user=user).exists():
        raise AlreadyMember(f"{user.get_username()} is already a member.")
    membership = Membership.objects.create(project=project, user=user, role=role)
    recording.member_changed(
        project=project, actor=actor, membership=membership, kind=EventKind.MEMBER_JOINED
    )
    return membership


def _admins_left_without(project: Project, membership: Membership) -> int:
    admins = Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN)
    return sum(1 for m in admins if m.pk != membership.pk)


@transaction.atomic
def member_update(
    *, project: Project, user_id: int, role: str, actor: User | None = None
) -> Membership:
    membership = lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
    previous_role = membership.role
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and not _admins_left_without(project, membership)
    ):
        raise LastAdmin()
    membership.role = role
    membership.save(update_fields=["role"])
    if role != previous_role:
        recording.member_changed(
            project=project,
            actor=actor,
            membership=membership,
            kind=EventKind.MEMBER_ROLE_CHANGED,
            previous_role=previous_role,
        )
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int, actor: User) -> None:
    membership = lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
    if membership.role == Role.ADMIN and not _admins_left_without(project, membership):
        raise LastAdmin()
    # The responsible person of an endpoint must be a member; a leaving member stops being one.
    # update() skips auto_now, so updated_at is set here to match the version bump.
    assigned = Endpoint.objects.filter(project=project, assignee_id=user_id)
    before = recording.endpoint_snapshots(assigned.values_list("pk", flat=True))
    assigned.update(
        assignee=None, version=F("version") + 1, updated_by=actor, updated_at=timezone.now()
    )
    # Private current values belong to membership; a former member keeps none behind.
    CurrentValue.objects.filter(variable__project=project, user_id=user_id).delete()
    membership.delete()
    recording.endpoints_changed(project=project, actor=actor, before=before)
    recording.member_changed(
        project=project, actor=actor, membership=membership, kind=EventKind.MEMBER_LEFT
    )


def _membership_pk(project: Project, user_id: int) -> int:
    pk = Membership.objects.filter(project=project, user_id=user_id).values_list("pk", flat=True)
    found = pk.first()
    if found is None:
        raise NotFound("No such member in this project.")
    return found
