"""How the tree changes: folders, endpoints with their saved messages, tags, batch edits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Field
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import Conflict, ValidationFailed, VersionConflict
from endpoints.activity import history, recording
from endpoints.activity.event_kinds import EventKind
from endpoints.auth import clean_auth
from endpoints.environments.resolver import check_url_protocol
from endpoints.errors import FolderCycle, FolderNotEmpty
from endpoints.handshake import TEMPLATE_FIELDS, clean_settings, socketio_stored
from endpoints.models import (
    MESSAGE_FIELDS,
    Endpoint,
    EndpointStatus,
    Folder,
    Membership,
    Message,
    Project,
    Protocol,
    Tag,
)
from endpoints.rows import UNSET, append_position, apply_edit, lock_current, place
from endpoints.tree.messages import messages_checked, stored_messages

ENDPOINT_SCALAR_FIELDS = (
    "name",
    *TEMPLATE_FIELDS,
    "protocol",
    "status",
    "description",
    "strict",
)


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
    actor: User,
    name: str,
    parent_id: int | None = None,
    position: int | None = None,
    auth: dict[str, Any] | None = None,
) -> Folder:
    parent = _folder_in_project(project, parent_id, "parent")
    siblings = Folder.objects.filter(project=project, parent=parent)
    folder = Folder.objects.create(
        project=project,
        parent=parent,
        name=name,
        auth=clean_auth(auth) if auth is not None else {},
        position=append_position(siblings),
        updated_by=actor,
    )
    if position is not None:
        folder.position = place(siblings, folder.pk, position)
    recording.folder_changed(project=project, actor=actor, folder=folder, before=None)
    return folder


@transaction.atomic
def folder_update(
    *,
    folder: Folder,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    parent_id: int | None = UNSET,
    position: int | None = None,
    auth: dict[str, Any] | None = None,
) -> Folder:
    """Rename, move or reorder a folder, or change its Auth tab (``auth``: endpoints.auth)."""
    folder = lock_current(Folder.objects.all(), folder.pk, expected_version)
    before = history.folder_snapshot(folder)
    project = folder.project
    moving = parent_id is not UNSET and parent_id != folder.parent_id
    if moving:
        _folder_in_project(project, parent_id, "parent")
        if folder.pk in _ancestor_ids(project, parent_id):
            raise FolderCycle(fields={"parent": [FolderCycle.default_detail]})
        folder.parent_id = parent_id
    if auth is not None:
        folder.auth = clean_auth(auth, stored=folder.auth)
    apply_edit(folder, actor, name=name)
    folder.save()
    if moving or position is not None:
        siblings = Folder.objects.filter(project=project, parent_id=folder.parent_id)
        folder.position = place(siblings, folder.pk, position)
    recording.folder_changed(project=project, actor=actor, folder=folder, before=before)
    return folder


@transaction.atomic
def folder_delete(
    *,
    folder: Folder,
    recursive: bool = False,
    expected_version: int | None = None,
    actor: User | None = None,
) -> None:
    folder = lock_current(Folder.objects.all(), folder.pk, expected_version)
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


def tags_resolve(*, project: Project, names: Iterable[str]) -> list[Tag]:
    """Tags named ``names`` (case-insensitive), created when new; order follows ``names``."""
    wanted: dict[str, str] = {}
    for name in names:
        wanted.setdefault(name.strip().lower(), name.strip())
    if not wanted:
        return []
    existing: dict[str, Tag] = {
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
def tag_create(*, project: Project, actor: User | None, name: str) -> Tag:
    """The tag named ``name`` (case-insensitive), created and announced when new."""
    known = Tag.objects.annotate(lname=Lower("name")).filter(
        project=project, lname=name.strip().lower()
    )
    if known.exists():
        return known.get()
    (tag,) = tags_resolve(project=project, names=[name])
    recording.tag_changed(project_id=project.pk, actor=actor, kind=EventKind.TAG_CREATED, tag=tag)
    return tag


def _tagged_endpoints_changing(tag: Tag) -> dict[int, dict[str, Any] | None]:
    """Snapshots of the endpoints carrying ``tag``, taken before a rename or delete changes them."""
    tagged = Endpoint.tags.through.objects.filter(tag=tag).values_list("endpoint_id", flat=True)
    return recording.endpoint_snapshots(tagged)


def _tagged_endpoints_changed(
    tag: Tag, before: dict[int, dict[str, Any] | None], actor: User | None
) -> None:
    # Their tags field changed: a new version, so a stale write cannot bring the old name back.
    Endpoint.objects.filter(pk__in=list(before)).update(
        version=F("version") + 1, updated_by=actor, updated_at=timezone.now()
    )
    recording.endpoints_changed(project=tag.project, actor=actor, before=before)


@transaction.atomic
def tag_rename(*, tag: Tag, name: str, actor: User | None = None) -> Tag:
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
    recording.tag_changed(
        project_id=tag.project_id, actor=actor, kind=EventKind.TAG_UPDATED, tag=tag
    )
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User | None = None) -> None:
    before = _tagged_endpoints_changing(tag)
    tag_id = tag.pk
    tag.delete()
    _tagged_endpoints_changed(tag, before, actor)
    tag.pk = tag_id  # delete() cleared it; the event still says which tag went
    recording.tag_changed(
        project_id=tag.project_id, actor=actor, kind=EventKind.TAG_DELETED, tag=tag
    )


def _check_assignee(project: Project, assignee_id: int | None, field: str = "assignee") -> None:
    if (
        assignee_id is not None
        and not Membership.objects.filter(project=project, user_id=assignee_id).exists()
    ):
        raise ValidationFailed({field: ["The responsible person must be a project member."]})


def _write_messages(endpoint: Endpoint, messages: Sequence[dict[str, Any]]) -> None:
    """Make the endpoint's messages exactly ``messages`` (as ``messages_checked`` returned
    them), in order, keeping ids given."""
    existing = {m.pk: m for m in endpoint.messages.all()}
    keep: list[Message] = []
    create: list[Message] = []
    for position, data in enumerate(messages):
        message_id = data.get("id")
        fields = {key: data[key] for key in MESSAGE_FIELDS if key in data and key != "id"}
        if message_id is not None:
            message = existing[message_id]  # messages_checked refused ids of other endpoints
            for key, value in fields.items():
                setattr(message, key, value)
            message.position = position
            keep.append(message)
        else:
            create.append(Message(endpoint=endpoint, position=position, **fields))
    kept_ids = {m.pk for m in keep}
    Message.objects.filter(endpoint=endpoint).exclude(pk__in=kept_ids).delete()
    if keep:
        Message.objects.bulk_update(
            keep, [*(f for f in MESSAGE_FIELDS if f != "id"), "position"], batch_size=200
        )
    Message.objects.bulk_create(create)


@transaction.atomic
def endpoint_create(*, project: Project, actor: User, data: dict[str, Any]) -> Endpoint:
    protocol = data.get("protocol") or Protocol.WEBSOCKET
    if data.get("messages"):
        data = {
            **data,
            "messages": messages_checked(
                project=project, messages=data["messages"], protocol=protocol
            ),
        }
    folder = _folder_in_project(project, data.get("folder"), "folder")
    _check_assignee(project, data.get("assignee"))
    siblings = Endpoint.objects.filter(project=project, folder=folder)
    endpoint = Endpoint(
        project=project,
        folder=folder,
        assignee_id=data.get("assignee"),
        connection_settings=clean_settings(data.get("settings")),
        socketio=socketio_stored(data.get("socketio"), None),
        auth=clean_auth(data["auth"]) if data.get("auth") is not None else {},
        created_by=actor,
        updated_by=actor,
        position=append_position(siblings),
        status=EndpointStatus.DEVELOPING,
    )
    for field in ENDPOINT_SCALAR_FIELDS:
        if field in data:
            setattr(endpoint, field, data[field])
    check_url_protocol(endpoint)
    endpoint.save()
    if data.get("position") is not None:
        endpoint.position = place(siblings, endpoint.pk, data["position"])
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
    actor: User,
    data: dict[str, Any],
    expected_version: int | None = None,
) -> Endpoint:
    """Apply the fields present in ``data``; absent fields stay as they are."""
    endpoint = lock_current(
        Endpoint.objects.select_related("project", "updated_by"), endpoint.pk, expected_version
    )
    before = recording.endpoint_snapshots([endpoint.pk])
    endpoint_apply(endpoint, actor, data)
    recording.endpoints_changed(project=endpoint.project, actor=actor, before=before)
    return endpoint


def endpoint_apply(endpoint: Endpoint, actor: User, data: dict[str, Any]) -> None:
    """Write ``data`` into the locked, version-checked ``endpoint`` and bump its version."""
    project = endpoint.project
    if "messages" in data:
        # Checked before anything is written: a refused contract leaves the endpoint as it was.
        data = {
            **data,
            "messages": messages_checked(
                project=project,
                messages=data["messages"],
                stored=stored_messages(endpoint),
                protocol=data.get("protocol") or endpoint.protocol,
            ),
        }
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
    if "socketio" in data:
        endpoint.socketio = socketio_stored(data["socketio"], endpoint.socketio)
    if data.get("auth") is not None:
        endpoint.auth = clean_auth(data["auth"], stored=endpoint.auth)
    for field in ENDPOINT_SCALAR_FIELDS:
        if field in data:
            setattr(endpoint, field, data[field])
    if {"url", "protocol"} & data.keys():
        check_url_protocol(endpoint)
    apply_edit(endpoint, actor)
    endpoint.save()
    if moving or data.get("position") is not None:
        siblings = Endpoint.objects.filter(project=project, folder=endpoint.folder_id)
        endpoint.position = place(siblings, endpoint.pk, data.get("position"))
    if "tags" in data:
        endpoint.tags.set(tags_resolve(project=project, names=data["tags"]))
    if "messages" in data:
        _write_messages(endpoint, data["messages"])


@transaction.atomic
def endpoint_delete(
    *,
    endpoint: Endpoint,
    expected_version: int | None = None,
    actor: User | None = None,
) -> None:
    endpoint = lock_current(
        Endpoint.objects.select_related("project", "updated_by"), endpoint.pk, expected_version
    )
    recording.endpoints_deleted(project=endpoint.project, actor=actor, endpoints=[endpoint])
    endpoint.delete()


BATCH_OPS = ("move", "set_status", "set_assignee", "add_tags", "remove_tags", "delete")


@transaction.atomic
def endpoints_batch(
    *,
    project: Project,
    actor: User,
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
    move_folder: Any = UNSET
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
    if move_folder is not UNSET:
        # Moved endpoints go after the ones already in the target folder, in id order.
        staying = Endpoint.objects.filter(project=project, folder_id=move_folder).exclude(
            pk__in=found
        )
        start = append_position(staying)
        for offset, e in enumerate(endpoints):
            e.position = start + offset
        changed_fields.add("position")
    # Every field but position gets one value for all rows: one UPDATE, not a CASE per row.
    shared: dict[str, Any] = {"updated_by": actor, "updated_at": timezone.now()}
    first = endpoints[0]
    for field in changed_fields - {"position"}:
        model_field = Endpoint._meta.get_field(field)
        assert isinstance(model_field, Field)  # a concrete field: folder, status or assignee
        attname = model_field.attname
        shared[attname] = getattr(first, attname)
    Endpoint.objects.filter(pk__in=found).update(version=F("version") + 1, **shared)
    if "position" in changed_fields:
        Endpoint.objects.bulk_update(endpoints, ["position"], batch_size=1000)
    recording.endpoints_changed(project=project, actor=actor, before=before)
    return {"deleted": [], "updated": sorted(found)}
