"""How the workspace changes: projects, members, folders, endpoints, tags, batches.

Every function validates before it writes, runs in one transaction, and leaves nothing
behind when it raises. Version checks lock the row first so two writers cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max, Model, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from config.errors import (
    AlreadyMember,
    Conflict,
    FolderCycle,
    FolderNotEmpty,
    LastAdmin,
    NotFound,
    ValidationFailed,
    VersionConflict,
)
from endpoints.handshake import clean_settings
from endpoints.models import (
    Endpoint,
    EndpointStatus,
    Folder,
    Membership,
    Project,
    Role,
    SavedMessage,
    Tag,
)

User = get_user_model()

ENDPOINT_SCALAR_FIELDS = (
    "name",
    "url",
    "params",
    "headers",
    "cookies",
    "subprotocols",
    "status",
    "description",
)


# --- versions -------------------------------------------------------------------------------


def user_brief(user: AbstractBaseUser | None) -> dict[str, Any] | None:
    if user is None:
        return None
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": full_name or user.get_username(),
    }


def check_version(obj: Model, expected_version: int | None) -> None:
    """Raise VersionConflict (with the current version and who last changed it) when stale."""
    if expected_version is None or expected_version == obj.version:
        return
    updated_by = getattr(obj, "updated_by", None)
    raise VersionConflict(
        current_version=obj.version,
        your_version=expected_version,
        updated_by=user_brief(updated_by),
        updated_at=obj.updated_at.isoformat() if getattr(obj, "updated_at", None) else None,
    )


def _lock(queryset: QuerySet, pk: int) -> Any:
    # of=("self",): related rows (nullable joins such as updated_by) cannot be locked in Postgres.
    obj = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


# --- ordering -------------------------------------------------------------------------------


def _place(siblings: QuerySet, item_pk: int, position: int | None) -> int:
    """Put ``item_pk`` at ``position`` among ``siblings`` (append when None); renumber 0..n-1.

    Returns the item's final position. Only rows whose position changes are written.
    """
    order = [pk for pk in siblings.order_by("position", "id").values_list("pk", flat=True)]
    if item_pk in order:
        order.remove(item_pk)
    index = len(order) if position is None else max(0, min(position, len(order)))
    order.insert(index, item_pk)
    current = dict(siblings.filter(pk__in=order).values_list("pk", "position"))
    model = siblings.model
    changed = [model(pk=pk, position=i) for i, pk in enumerate(order) if current.get(pk) != i]
    if changed:
        model.objects.bulk_update(changed, ["position"], batch_size=500)
    return index


def _append_position(siblings: QuerySet) -> int:
    top = siblings.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


# --- projects and members -------------------------------------------------------------------


@transaction.atomic
def project_create(*, actor: AbstractBaseUser, name: str, description: str = "") -> Project:
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
) -> Project:
    project = _lock(Project.objects.all(), project.pk)
    check_version(project, expected_version)
    if name is not None:
        project.name = name
    if description is not None:
        project.description = description
    project.version += 1
    project.save()
    return project


@transaction.atomic
def project_delete(*, project: Project, expected_version: int | None = None) -> None:
    project = _lock(Project.objects.all(), project.pk)
    check_version(project, expected_version)
    project.delete()


def _find_user(user_ref: int | str) -> AbstractBaseUser:
    if isinstance(user_ref, int) or (isinstance(user_ref, str) and user_ref.isdigit()):
        user = User.objects.filter(pk=int(user_ref), is_active=True).first()
    else:
        user = User.objects.filter(username=user_ref, is_active=True).first()
    if user is None:
        raise ValidationFailed({"user": [f"No active user {user_ref!r}."]})
    return user


@transaction.atomic
def member_add(*, project: Project, user_ref: int | str, role: str) -> Membership:
    user = _find_user(user_ref)
    if Membership.objects.filter(project=project, user=user).exists():
        raise AlreadyMember(f"{user.get_username()} is already a member.")
    return Membership.objects.create(project=project, user=user, role=role)


def _admins_left_without(project: Project, membership: Membership) -> int:
    admins = Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN)
    return sum(1 for m in admins if m.pk != membership.pk)


@transaction.atomic
def member_update(*, project: Project, user_id: int, role: str) -> Membership:
    membership = _lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
    if (
        membership.role == Role.ADMIN
        and role != Role.ADMIN
        and not _admins_left_without(project, membership)
    ):
        raise LastAdmin()
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int, actor: AbstractBaseUser) -> None:
    membership = _lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
    if membership.role == Role.ADMIN and not _admins_left_without(project, membership):
        raise LastAdmin()
    # The responsible person of an endpoint must be a member; a leaving member stops being one.
    Endpoint.objects.filter(project=project, assignee_id=user_id).update(
        assignee=None, version=F("version") + 1, updated_by=actor
    )
    membership.delete()


def _membership_pk(project: Project, user_id: int) -> int:
    pk = Membership.objects.filter(project=project, user_id=user_id).values_list("pk", flat=True)
    found = pk.first()
    if found is None:
        raise NotFound("No such member in this project.")
    return found


# --- folders --------------------------------------------------------------------------------


def _folder_in_project(project: Project, folder_id: int | None, field: str) -> Folder | None:
    if folder_id is None:
        return None
    folder = Folder.objects.filter(project=project, pk=folder_id).first()
    if folder is None:
        raise ValidationFailed({field: [f"No folder {folder_id} in this project."]})
    return folder


def _ancestor_ids(project: Project, folder_id: int | None) -> list[int]:
    """Ids from ``folder_id`` up to the root, using one query for the project's parent links."""
    parents = dict(Folder.objects.filter(project=project).values_list("pk", "parent_id"))
    chain: list[int] = []
    seen: set[int] = set()
    while folder_id is not None and folder_id not in seen:
        seen.add(folder_id)
        chain.append(folder_id)
        folder_id = parents.get(folder_id)
    return chain


@transaction.atomic
def folder_create(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    parent_id: int | None = None,
    position: int | None = None,
) -> Folder:
    parent = _folder_in_project(project, parent_id, "parent")
    siblings = Folder.objects.filter(project=project, parent=parent)
    folder = Folder.objects.create(
        project=project,
        parent=parent,
        name=name,
        position=_append_position(siblings),
        updated_by=actor,
    )
    if position is not None:
        folder.position = _place(siblings, folder.pk, position)
    return folder


_UNSET: Any = object()


@transaction.atomic
def folder_update(
    *,
    folder: Folder,
    actor: AbstractBaseUser,
    expected_version: int | None = None,
    name: str | None = None,
    parent_id: int | None = _UNSET,
    position: int | None = None,
) -> Folder:
    folder = _lock(Folder.objects.all(), folder.pk)
    check_version(folder, expected_version)
    project = folder.project
    moving = parent_id is not _UNSET and parent_id != folder.parent_id
    if moving:
        _folder_in_project(project, parent_id, "parent")
        if folder.pk in _ancestor_ids(project, parent_id):
            raise FolderCycle(fields={"parent": [FolderCycle.default_detail]})
        folder.parent_id = parent_id
    if name is not None:
        folder.name = name
    folder.version += 1
    folder.updated_by = actor
    folder.save()
    if moving or position is not None:
        siblings = Folder.objects.filter(project=project, parent_id=folder.parent_id)
        folder.position = _place(siblings, folder.pk, position)
    return folder


@transaction.atomic
def folder_delete(
    *, folder: Folder, recursive: bool = False, expected_version: int | None = None
) -> None:
    folder = _lock(Folder.objects.all(), folder.pk)
    check_version(folder, expected_version)
    if not recursive and (folder.children.exists() or folder.endpoints.exists()):
        raise FolderNotEmpty()
    # Deleting deepest folders first keeps each cascade small and its lock set bounded.
    project = folder.project
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Folder.objects.filter(project=project).values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    subtree: list[int] = []
    stack = [folder.pk]
    while stack:
        current = stack.pop()
        subtree.append(current)
        stack.extend(children.get(current, []))
    Endpoint.objects.filter(folder_id__in=subtree).delete()
    Folder.objects.filter(pk__in=subtree).delete()


# --- tags -----------------------------------------------------------------------------------


def tags_resolve(*, project: Project, names: Iterable[str]) -> list[Tag]:
    """Tags named ``names`` (case-insensitive), created when new; order follows ``names``."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.strip().lower(), name.strip())
    if not wanted:
        return []
    existing = {
        tag.name.lower(): tag
        for tag in Tag.objects.annotate(lname=Lower("name")).filter(
            project=project, lname__in=list(wanted)
        )
    }
    missing = [
        Tag(project=project, name=name) for key, name in wanted.items() if key not in existing
    ]
    for tag in Tag.objects.bulk_create(missing):
        existing[tag.name.lower()] = tag
    if any(tag.pk is None for tag in existing.values()):
        # Backends that do not return ids from bulk_create: read them back once.
        existing = {
            tag.name.lower(): tag
            for tag in Tag.objects.annotate(lname=Lower("name")).filter(
                project=project, lname__in=list(wanted)
            )
        }
    return [existing[key] for key in wanted]


@transaction.atomic
def tag_rename(*, tag: Tag, name: str) -> Tag:
    clash = (
        Tag.objects.annotate(lname=Lower("name"))
        .filter(project_id=tag.project_id, lname=name.lower())
        .exclude(pk=tag.pk)
    )
    if clash.exists():
        raise Conflict(f"A tag named {name!r} already exists.")
    tag.name = name
    tag.save(update_fields=["name"])
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag) -> None:
    tag.delete()


# --- endpoints ------------------------------------------------------------------------------


def _check_assignee(project: Project, assignee_id: int | None) -> None:
    if (
        assignee_id is not None
        and not Membership.objects.filter(project=project, user_id=assignee_id).exists()
    ):
        raise ValidationFailed({"assignee": ["The responsible person must be a project member."]})


def _write_messages(endpoint: Endpoint, messages: Sequence[dict[str, Any]]) -> None:
    """Make the endpoint's saved messages exactly ``messages``, in order, keeping ids given."""
    existing = {m.pk: m for m in endpoint.messages.all()}
    keep: list[SavedMessage] = []
    create: list[SavedMessage] = []
    errors: dict[str, list[str]] = {}
    for position, data in enumerate(messages):
        message_id = data.get("id")
        fields = {
            key: data[key] for key in ("name", "format", "body", "description") if key in data
        }
        if message_id is not None:
            message = existing.get(message_id)
            if message is None:
                errors[f"messages[{position}].id"] = [
                    f"No saved message {message_id} on this endpoint."
                ]
                continue
            for key, value in fields.items():
                setattr(message, key, value)
            message.position = position
            keep.append(message)
        else:
            create.append(SavedMessage(endpoint=endpoint, position=position, **fields))
    if errors:
        raise ValidationFailed(errors)
    kept_ids = {m.pk for m in keep}
    SavedMessage.objects.filter(endpoint=endpoint).exclude(pk__in=kept_ids).delete()
    if keep:
        SavedMessage.objects.bulk_update(
            keep, ["name", "format", "body", "description", "position"], batch_size=200
        )
    SavedMessage.objects.bulk_create(create)


@transaction.atomic
def endpoint_create(*, project: Project, actor: AbstractBaseUser, data: dict[str, Any]) -> Endpoint:
    folder = _folder_in_project(project, data.get("folder"), "folder")
    _check_assignee(project, data.get("assignee"))
    siblings = Endpoint.objects.filter(project=project, folder=folder)
    endpoint = Endpoint(
        project=project,
        folder=folder,
        assignee_id=data.get("assignee"),
        connection_settings=clean_settings(data.get("settings")),
        created_by=actor,
        updated_by=actor,
        position=_append_position(siblings),
        status=EndpointStatus.DEVELOPING,
    )
    for field in ENDPOINT_SCALAR_FIELDS:
        if field in data:
            setattr(endpoint, field, data[field])
    endpoint.save()
    if data.get("position") is not None:
        endpoint.position = _place(siblings, endpoint.pk, data["position"])
    if data.get("tags"):
        endpoint.tags.set(tags_resolve(project=project, names=data["tags"]))
    if data.get("messages"):
        _write_messages(endpoint, data["messages"])
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    endpoint: Endpoint,
    actor: AbstractBaseUser,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Endpoint:
    """Apply the fields present in ``data``; absent fields stay as they are."""
    endpoint = _lock(Endpoint.objects.select_related("project", "updated_by"), endpoint.pk)
    check_version(endpoint, expected_version)
    project = endpoint.project
    moving = "folder" in data and data["folder"] != endpoint.folder_id
    if moving:
        _folder_in_project(project, data["folder"], "folder")
        endpoint.folder_id = data["folder"]
    if "assignee" in data:
        _check_assignee(project, data["assignee"])
        endpoint.assignee_id = data["assignee"]
    if "settings" in data:
        endpoint.connection_settings = clean_settings(
            data["settings"], base=endpoint.connection_settings
        )
    for field in ENDPOINT_SCALAR_FIELDS:
        if field in data:
            setattr(endpoint, field, data[field])
    endpoint.version += 1
    endpoint.updated_by = actor
    endpoint.save()
    if moving or data.get("position") is not None:
        siblings = Endpoint.objects.filter(project=project, folder_id=endpoint.folder_id)
        endpoint.position = _place(siblings, endpoint.pk, data.get("position"))
    if "tags" in data:
        endpoint.tags.set(tags_resolve(project=project, names=data["tags"]))
    if "messages" in data:
        _write_messages(endpoint, data["messages"])
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, expected_version: int | None = None) -> None:
    endpoint = _lock(Endpoint.objects.select_related("updated_by"), endpoint.pk)
    check_version(endpoint, expected_version)
    endpoint.delete()


BATCH_OPS = ("move", "set_status", "set_assignee", "add_tags", "remove_tags", "delete")


@transaction.atomic
def endpoints_batch(
    *,
    project: Project,
    actor: AbstractBaseUser,
    ids: Sequence[int],
    operations: Sequence[dict[str, Any]],
    versions: dict[int, int] | None = None,
) -> dict[str, Any]:
    """Apply ``operations`` in order to every endpoint in ``ids``: all of it, or nothing.

    Each operation is ``{"op": <one of BATCH_OPS>, ...}`` with ``folder``, ``status``,
    ``assignee`` or ``tags`` as the op needs. ``versions`` maps endpoint id to the version
    the caller read; one stale entry rejects the whole batch.
    """
    unique_ids = list(dict.fromkeys(ids))
    endpoints = list(
        Endpoint.objects.select_for_update(of=("self",))
        .filter(project=project, pk__in=unique_ids)
        .select_related("updated_by")
        .order_by("pk")
    )
    found = {e.pk for e in endpoints}
    missing = [pk for pk in unique_ids if pk not in found]
    if missing:
        raise ValidationFailed({"ids": [f"No endpoints {missing} in this project."]})
    stale = [
        {"id": e.pk, "current_version": e.version, "your_version": versions[e.pk]}
        for e in endpoints
        if versions and e.pk in versions and versions[e.pk] != e.version
    ]
    if stale:
        raise VersionConflict(stale=stale)
    if any(op["op"] == "delete" for op in operations):
        if len(operations) > 1:
            raise ValidationFailed(
                {"operations": ["delete cannot be combined with other operations."]}
            )
        Endpoint.objects.filter(pk__in=found).delete()
        return {"deleted": sorted(found), "updated": []}

    changed_fields: set[str] = set()
    move_folder: Any = _UNSET
    tag_through = Endpoint.tags.through
    for op in operations:
        kind = op["op"]
        if kind == "move":
            folder = _folder_in_project(project, op.get("folder"), "operations.folder")
            move_folder = folder.pk if folder else None
            for e in endpoints:
                e.folder_id = move_folder
            changed_fields.add("folder")
        elif kind == "set_status":
            for e in endpoints:
                e.status = op["status"]
            changed_fields.add("status")
        elif kind == "set_assignee":
            _check_assignee(project, op.get("assignee"))
            for e in endpoints:
                e.assignee_id = op.get("assignee")
            changed_fields.add("assignee")
        elif kind == "add_tags":
            tags = tags_resolve(project=project, names=op["tags"])
            tag_through.objects.bulk_create(
                [tag_through(endpoint_id=e.pk, tag_id=t.pk) for e in endpoints for t in tags],
                ignore_conflicts=True,
            )
        elif kind == "remove_tags":
            lowered = [name.lower() for name in op["tags"]]
            tag_ids = Tag.objects.annotate(lname=Lower("name")).filter(
                project=project, lname__in=lowered
            )
            tag_through.objects.filter(endpoint_id__in=found, tag_id__in=tag_ids).delete()
    if move_folder is not _UNSET:
        # Moved endpoints go after the ones already in the target folder, in id order.
        staying = Endpoint.objects.filter(project=project, folder_id=move_folder).exclude(
            pk__in=found
        )
        start = _append_position(staying)
        for offset, e in enumerate(endpoints):
            e.position = start + offset
        changed_fields.add("position")
    now = timezone.now()
    for e in endpoints:
        e.version += 1
        e.updated_by = actor
        e.updated_at = now
    Endpoint.objects.bulk_update(
        endpoints, [*changed_fields, "version", "updated_by", "updated_at"], batch_size=500
    )
    return {"deleted": [], "updated": sorted(found)}
