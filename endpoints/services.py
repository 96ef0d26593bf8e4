"""How the workspace changes: projects, members, folders, endpoints, tags, batches.

Every function validates before it writes, runs in one transaction, and leaves nothing
behind when it raises. Version checks lock the row first so two writers cannot both win.
Changes to endpoints, folders, members and comments are recorded through
``endpoints.recording`` (history revisions, and live events sent only after commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Model, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import Conflict, Forbidden, NotFound, ValidationFailed, VersionConflict
from core.versioning import check_version
from endpoints import history, recording
from endpoints.errors import AlreadyMember, FolderCycle, FolderNotEmpty, LastAdmin
from endpoints.handshake import clean_settings
from endpoints.mentions import mentioned_names
from endpoints.models import (
    Comment,
    CurrentValue,
    Endpoint,
    EndpointStatus,
    Environment,
    Folder,
    Membership,
    Project,
    Revision,
    Role,
    SavedMessage,
    Tag,
    Variable,
)
from endpoints.variables import MAX_NAME_LENGTH, is_valid_name

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
    actor: AbstractBaseUser | None = None,
) -> Project:
    project = _lock(Project.objects.all(), project.pk)
    check_version(project, expected_version)
    if name is not None:
        project.name = name
    if description is not None:
        project.description = description
    project.version += 1
    project.save()
    recording.project_changed(project=project, actor=actor)
    return project


@transaction.atomic
def project_delete(*, project: Project, expected_version: int | None = None) -> None:
    project = _lock(Project.objects.all(), project.pk)
    check_version(project, expected_version)
    recording.project_deleted(project_id=project.pk)
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
def member_add(
    *, project: Project, user_ref: int | str, role: str, actor: AbstractBaseUser | None = None
) -> Membership:
    user = _find_user(user_ref)
    if Membership.objects.filter(project=project, user=user).exists():
        raise AlreadyMember(f"{user.get_username()} is already a member.")
    membership = Membership.objects.create(project=project, user=user, role=role)
    recording.member_changed(
        project=project, actor=actor, membership=membership, kind="member.joined"
    )
    return membership


def _admins_left_without(project: Project, membership: Membership) -> int:
    admins = Membership.objects.select_for_update().filter(project=project, role=Role.ADMIN)
    return sum(1 for m in admins if m.pk != membership.pk)


@transaction.atomic
def member_update(
    *, project: Project, user_id: int, role: str, actor: AbstractBaseUser | None = None
) -> Membership:
    membership = _lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
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
            kind="member.role_changed",
            previous_role=previous_role,
        )
    return membership


@transaction.atomic
def member_remove(*, project: Project, user_id: int, actor: AbstractBaseUser) -> None:
    membership = _lock(Membership.objects.filter(project=project), _membership_pk(project, user_id))
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
        project=project, actor=actor, membership=membership, kind="member.left"
    )


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
    recording.folder_changed(project=project, actor=actor, folder=folder, before=None)
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
    before = history.folder_snapshot(folder)
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
    recording.folder_changed(project=project, actor=actor, folder=folder, before=before)
    return folder


@transaction.atomic
def folder_delete(
    *,
    folder: Folder,
    recursive: bool = False,
    expected_version: int | None = None,
    actor: AbstractBaseUser | None = None,
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
    contents = Endpoint.objects.filter(folder_id__in=subtree)
    recording.folder_deleted(
        project=project,
        actor=actor,
        folder=folder,
        folder_ids=subtree,
        endpoint_ids=list(contents.values_list("pk", flat=True)),
    )
    contents.delete()
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


def _tagged_endpoints_changing(tag: Tag) -> dict[int, dict[str, Any] | None]:
    """Snapshots of the endpoints carrying ``tag``, taken before a rename or delete changes them."""
    tagged = Endpoint.tags.through.objects.filter(tag=tag).values_list("endpoint_id", flat=True)
    return recording.endpoint_snapshots(tagged)


def _tagged_endpoints_changed(
    tag: Tag, before: dict[int, dict[str, Any] | None], actor: AbstractBaseUser | None
) -> None:
    # Their tags field changed: a new version, so a stale write cannot bring the old name back.
    Endpoint.objects.filter(pk__in=list(before)).update(
        version=F("version") + 1, updated_by=actor, updated_at=timezone.now()
    )
    recording.endpoints_changed(project=tag.project, actor=actor, before=before)


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, actor: AbstractBaseUser | None = None) -> Tag:
    clash = (
        Tag.objects.annotate(lname=Lower("name"))
        .filter(project_id=tag.project_id, lname=name.lower())
        .exclude(pk=tag.pk)
    )
    if clash.exists():
        raise Conflict(f"A tag named {name!r} already exists.")
    before = _tagged_endpoints_changing(tag)
    tag.name = name
    tag.save(update_fields=["name"])
    _tagged_endpoints_changed(tag, before, actor)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: AbstractBaseUser | None = None) -> None:
    before = _tagged_endpoints_changing(tag)
    tag.delete()
    _tagged_endpoints_changed(tag, before, actor)


# --- endpoints ------------------------------------------------------------------------------


def _check_assignee(project: Project, assignee_id: int | None, field: str = "assignee") -> None:
    if (
        assignee_id is not None
        and not Membership.objects.filter(project=project, user_id=assignee_id).exists()
    ):
        raise ValidationFailed({field: ["The responsible person must be a project member."]})


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
    recording.endpoints_changed(project=project, actor=actor, before={endpoint.pk: None})
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
    before = recording.endpoint_snapshots([endpoint.pk])
    _endpoint_apply(endpoint, actor, data)
    recording.endpoints_changed(project=endpoint.project, actor=actor, before=before)
    return endpoint


def _endpoint_apply(endpoint: Endpoint, actor: AbstractBaseUser, data: dict[str, Any]) -> None:
    """Write ``data`` into the locked, version-checked ``endpoint`` and bump its version."""
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


@transaction.atomic
def endpoint_delete(
    *,
    endpoint: Endpoint,
    expected_version: int | None = None,
    actor: AbstractBaseUser | None = None,
) -> None:
    endpoint = _lock(Endpoint.objects.select_related("project", "updated_by"), endpoint.pk)
    check_version(endpoint, expected_version)
    recording.endpoints_deleted(project=endpoint.project, actor=actor, endpoints=[endpoint])
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
        recording.endpoints_deleted(project=project, actor=actor, endpoints=endpoints)
        Endpoint.objects.filter(pk__in=found).delete()
        return {"deleted": sorted(found), "updated": []}

    before = recording.endpoint_snapshots(found)

    changed_fields: set[str] = set()
    move_folder: Any = _UNSET
    tag_through = Endpoint.tags.through
    for index, op in enumerate(operations):
        kind = op["op"]
        if kind == "move":
            folder = _folder_in_project(project, op.get("folder"), f"operations[{index}].folder")
            move_folder = folder.pk if folder else None
            for e in endpoints:
                e.folder_id = move_folder
            changed_fields.add("folder")
        elif kind == "set_status":
            for e in endpoints:
                e.status = op["status"]
            changed_fields.add("status")
        elif kind == "set_assignee":
            _check_assignee(project, op.get("assignee"), f"operations[{index}].assignee")
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
    # Every field but position gets one value for all rows: one UPDATE, not a CASE per row.
    shared: dict[str, Any] = {"updated_by": actor, "updated_at": timezone.now()}
    first = endpoints[0]
    for field in changed_fields - {"position"}:
        attname = Endpoint._meta.get_field(field).attname
        shared[attname] = getattr(first, attname)
    Endpoint.objects.filter(pk__in=found).update(version=F("version") + 1, **shared)
    if "position" in changed_fields:
        Endpoint.objects.bulk_update(endpoints, ["position"], batch_size=1000)
    recording.endpoints_changed(project=project, actor=actor, before=before)
    return {"deleted": [], "updated": sorted(found)}


# --- environments and variables -------------------------------------------------------------


def _save_unique(obj: Model, field: str, message: str) -> None:
    """Save ``obj``; a concurrent writer that took the same name becomes a field error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationFailed({field: [message]}) from None


def _check_environment_name(project: Project, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    clash = Environment.objects.annotate(lname=Lower("name")).filter(
        project=project, lname=name.lower()
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if not name:
        raise ValidationFailed({"name": ["A name is required."]})
    if clash.exists():
        raise ValidationFailed({"name": [f"An environment named {name!r} already exists."]})
    return name


@transaction.atomic
def environment_create(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    base_url: str = "",
    position: int | None = None,
) -> Environment:
    name = _check_environment_name(project, name)
    siblings = Environment.objects.filter(project=project)
    environment = Environment(
        project=project,
        name=name,
        base_url=base_url,
        position=_append_position(siblings),
        updated_by=actor,
    )
    _save_unique(environment, "name", f"An environment named {name!r} already exists.")
    if position is not None:
        environment.position = _place(siblings, environment.pk, position)
    return environment


@transaction.atomic
def environment_update(
    *,
    environment: Environment,
    actor: AbstractBaseUser,
    expected_version: int | None = None,
    name: str | None = None,
    base_url: str | None = None,
    position: int | None = None,
) -> Environment:
    """Rename, change the base URL, or reorder (``position`` among the project's environments)."""
    environment = _lock(Environment.objects.select_related("updated_by", "project"), environment.pk)
    check_version(environment, expected_version)
    if name is not None:
        environment.name = _check_environment_name(
            environment.project, name, exclude_pk=environment.pk
        )
    if base_url is not None:
        environment.base_url = base_url
    environment.version += 1
    environment.updated_by = actor
    _save_unique(environment, "name", f"An environment named {environment.name!r} already exists.")
    if position is not None:
        siblings = Environment.objects.filter(project_id=environment.project_id)
        environment.position = _place(siblings, environment.pk, position)
    return environment


@transaction.atomic
def environment_delete(*, environment: Environment, expected_version: int | None = None) -> None:
    """Delete an environment and its variables (and so everyone's current values of them)."""
    environment = _lock(Environment.objects.select_related("updated_by"), environment.pk)
    check_version(environment, expected_version)
    environment.delete()


def _check_variable_name(
    project: Project, environment_id: int | None, name: str, exclude_pk: int | None = None
) -> None:
    if not is_valid_name(name):
        raise ValidationFailed(
            {
                "name": [
                    f"A name starts with a letter or '_' and has at most {MAX_NAME_LENGTH} "
                    "letters, digits, '_', '-' or '.'."
                ]
            }
        )
    clash = Variable.objects.filter(project=project, environment_id=environment_id, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        scope = "this environment" if environment_id else "the project globals"
        raise ValidationFailed({"name": [f"A variable named {name!r} already exists in {scope}."]})


@transaction.atomic
def variable_create(
    *,
    project: Project,
    actor: AbstractBaseUser,
    name: str,
    environment_id: int | None = None,
    initial_value: str = "",
    description: str = "",
    secret: bool = False,
    position: int | None = None,
) -> Variable:
    """A project global (``environment_id`` None) or a variable of one of its environments."""
    if (
        environment_id is not None
        and not Environment.objects.filter(project=project, pk=environment_id).exists()
    ):
        raise ValidationFailed(
            {"environment": [f"No environment {environment_id} in this project."]}
        )
    _check_variable_name(project, environment_id, name)
    siblings = Variable.objects.filter(project=project, environment_id=environment_id)
    variable = Variable(
        project=project,
        environment_id=environment_id,
        name=name,
        initial_value=initial_value,
        description=description,
        secret=secret,
        position=_append_position(siblings),
        updated_by=actor,
    )
    _save_unique(variable, "name", f"A variable named {name!r} already exists here.")
    if position is not None:
        variable.position = _place(siblings, variable.pk, position)
    return variable


@transaction.atomic
def variable_update(
    *,
    variable: Variable,
    actor: AbstractBaseUser,
    expected_version: int | None = None,
    name: str | None = None,
    initial_value: str | None = None,
    description: str | None = None,
    secret: bool | None = None,
    position: int | None = None,
) -> Variable:
    """Change a shared variable. Its scope (global or environment) stays as created.

    Turning ``secret`` off clears the shared initial value unless a new one is given in the
    same call, so unmarking a secret can never be used to read it.
    """
    variable = _lock(Variable.objects.select_related("updated_by", "project"), variable.pk)
    check_version(variable, expected_version)
    if name is not None and name != variable.name:
        _check_variable_name(variable.project, variable.environment_id, name, variable.pk)
        variable.name = name
    if secret is not None:
        if variable.secret and not secret and initial_value is None:
            initial_value = ""
        variable.secret = secret
    if initial_value is not None:
        variable.initial_value = initial_value
    if description is not None:
        variable.description = description
    variable.version += 1
    variable.updated_by = actor
    _save_unique(variable, "name", f"A variable named {variable.name!r} already exists here.")
    if position is not None:
        siblings = Variable.objects.filter(
            project_id=variable.project_id, environment_id=variable.environment_id
        )
        variable.position = _place(siblings, variable.pk, position)
    return variable


@transaction.atomic
def variable_delete(*, variable: Variable, expected_version: int | None = None) -> None:
    variable = _lock(Variable.objects.select_related("updated_by"), variable.pk)
    check_version(variable, expected_version)
    variable.delete()


@transaction.atomic
def current_value_set(*, variable: Variable, user: AbstractBaseUser, value: str) -> CurrentValue:
    """Set ``user``'s private current value of ``variable``; it wins over shared values for them."""
    current, _ = CurrentValue.objects.update_or_create(
        variable=variable, user=user, defaults={"value": value}
    )
    return current


@transaction.atomic
def current_value_clear(*, variable: Variable, user: AbstractBaseUser) -> None:
    """Forget ``user``'s current value; the shared values apply to them again."""
    CurrentValue.objects.filter(variable=variable, user=user).delete()


# --- history and comments -------------------------------------------------------------------


@transaction.atomic
def endpoint_revert(
    *,
    endpoint: Endpoint,
    revision: Revision,
    actor: AbstractBaseUser,
    expected_version: int | None = None,
) -> Endpoint:
    """Make ``endpoint`` as it was after ``revision``, recorded as a new revision.

    History is never rewritten, and the version check works as for any other write.
    """
    endpoint = _lock(Endpoint.objects.select_related("project", "updated_by"), endpoint.pk)
    check_version(endpoint, expected_version)
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
    _endpoint_apply(endpoint, actor, data)
    recording.endpoints_changed(project=project, actor=actor, before=before, revert_of=revision)
    return endpoint


def _comment_body(body: str) -> str:
    if not body.strip():
        raise ValidationFailed({"body": ["A comment needs some text."]})
    return body


def _comment_mentions(project: Project, body: str) -> list[AbstractBaseUser]:
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
    return _lock(Comment.objects.select_related("project", "author", "resolved_by"), comment.pk)


@transaction.atomic
def comment_create(*, endpoint: Endpoint, actor: AbstractBaseUser, body: str) -> Comment:
    project = endpoint.project
    comment = Comment.objects.create(
        project=project, endpoint=endpoint, author=actor, body=_comment_body(body)
    )
    comment.mentions.set(_comment_mentions(project, body))
    recording.comment_changed(project=project, actor=actor, kind="comment.added", comment=comment)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, actor: AbstractBaseUser, body: str) -> Comment:
    """Only the author edits a comment: nobody may put words in someone else's mouth."""
    comment = _lock_comment(comment)
    if comment.author_id != actor.pk:
        raise Forbidden("Only the author may edit a comment.")
    comment.body = _comment_body(body)
    comment.edited_at = timezone.now()
    comment.save()
    comment.mentions.set(_comment_mentions(comment.project, body))
    recording.comment_changed(
        project=comment.project, actor=actor, kind="comment.edited", comment=comment
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, actor: AbstractBaseUser, role: str) -> None:
    """The author deletes a comment; a project admin may delete any (moderation)."""
    comment = _lock_comment(comment)
    if comment.author_id != actor.pk and role != Role.ADMIN:
        raise Forbidden("Only the author or a project admin may delete a comment.")
    recording.comment_deleted(project=comment.project, actor=actor, comment=comment)
    comment.delete()


@transaction.atomic
def comment_set_resolved(
    *, comment: Comment, actor: AbstractBaseUser, role: str, resolved: bool
) -> Comment:
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
        kind="comment.resolved" if resolved else "comment.reopened",
        comment=comment,
    )
    return comment
