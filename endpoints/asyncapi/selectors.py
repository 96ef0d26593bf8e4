"""What an AsyncAPI export reads: the endpoints of a scope in tree order with their messages,
the environments, shared non-secret values and the project schemas they need, in a fixed
number of queries whatever the size of the project."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from django.db.models import Prefetch
from django.db.models.functions import Lower

from core.people import user_brief
from endpoints.asyncapi.facts import EndpointFacts, ExportFacts, MessageFacts, ServerFacts
from endpoints.auth import effective_auth, folder_chain
from endpoints.contracts.schemas import referenced_in_order
from endpoints.handshake import DEFAULT_SETTINGS, clean_settings, clean_socketio
from endpoints.models import Endpoint, Environment, Folder, Message, Project, ProjectSchema, Tag
from endpoints.models import Variable as VariableRow


class People(StrEnum):
    """How the responsible person is written: members get usernames (an import finds the
    member again), share links a display name or nothing."""

    USERNAME = "username"
    DISPLAY_NAME = "display_name"
    NONE = "none"


ALL_ENVIRONMENTS = -1


def _shared_values(project: Project, environment_ids: list[int]) -> dict[int | None, dict]:
    """Non-secret shared values by environment id (None: the globals alone); a name that is
    secret anywhere it is defined for that environment has no value. One query."""
    rows = list(
        VariableRow.objects.filter(project=project).values_list(
            "environment_id", "name", "initial_value", "secret"
        )
    )
    found: dict[int | None, dict[str, str]] = {}
    for environment_id in [None, *environment_ids]:
        values: dict[str, str] = {}
        secret: set[str] = set()
        # Globals first, the environment's own values over them.
        for env_id, name, value, is_secret in sorted(rows, key=lambda row: row[0] is not None):
            if env_id is not None and env_id != environment_id:
                continue
            if is_secret:
                secret.add(name)
            values[name] = value
        found[environment_id] = {k: v for k, v in values.items() if k not in secret}
    return found


FolderAuths = dict[int, tuple[int | None, dict[str, Any]]]


def _folder_paths(
    project: Project,
) -> tuple[dict[int, list[str]], dict[int | None, list[int]], FolderAuths]:
    """Each folder's path of names from the root, the children of each folder, and each
    folder's parent and Auth tab (for endpoints.auth.folder_chain). One query."""
    rows = list(
        Folder.objects.filter(project=project)
        .order_by("position", "id")
        .values_list("id", "parent_id", "name", "auth")
    )
    parents = {pk: (parent, name) for pk, parent, name, _ in rows}
    auths: FolderAuths = {pk: (parent, auth) for pk, parent, _, auth in rows}
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent, _, _ in rows:
        children[parent].append(pk)
    paths: dict[int, list[str]] = {}
    for pk in parents:
        chain: list[str] = []
        current: int | None = pk
        seen: set[int] = set()
        while current is not None and current in parents and current not in seen:
            seen.add(current)
            chain.append(parents[current][1])
            current = parents[current][0]
        paths[pk] = chain[::-1]
    return paths, children, auths


def _tree_order(children: dict[int | None, list[int]], root: int | None) -> list[int | None]:
    """``root`` and the folders below it, each folder's endpoints before its subfolders'."""
    order: list[int | None] = []
    stack: list[int | None] = [root]
    while stack:
        current = stack.pop()
        order.append(current)
        stack.extend(reversed(children.get(current, [])))
    return order


def _message_facts(message: Message) -> MessageFacts:
    return MessageFacts(
        name=message.name,
        direction=message.direction,
        format=message.format,
        description=message.description,
        schema=message.schema,
        examples=list(message.examples),
        reply_to=message.reply_to,
        match=dict(message.match or {}),
        operation_id=message.asyncapi_operation,
        event=message.event,
        ack_schema=message.ack_schema,
    )


def export_facts(
    *,
    project: Project,
    folder: Folder | None = None,
    endpoint_ids: Sequence[int] | None = None,
    environment_id: int | None = ALL_ENVIRONMENTS,
    people: People = People.USERNAME,
) -> ExportFacts:
    """The facts of one export: the whole project, the subtree of ``folder`` (folder paths
    relative to it), or exactly ``endpoint_ids`` in that order (a share link's scope).

    ``environment_id``: every environment (ALL_ENVIRONMENTS), one, or None for none.
    """
    paths, children, folder_auths = _folder_paths(project)
    endpoints = (
        Endpoint.objects.filter(project=project)
        .select_related("assignee")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id")),
            Prefetch("messages", queryset=Message.objects.order_by("position", "id")),
        )
    )
    strip = 0
    if endpoint_ids is not None:
        by_id = {e.pk: e for e in endpoints.filter(pk__in=list(endpoint_ids))}
        chosen = [by_id[pk] for pk in endpoint_ids if pk in by_id]
    else:
        folders = _tree_order(children, folder.pk if folder else None)
        if folder is not None:
            strip = len(paths[folder.pk])
            rows = endpoints.filter(folder_id__in=[pk for pk in folders if pk is not None])
        else:
            rows = endpoints.all()
        by_folder: dict[int | None, list[Endpoint]] = defaultdict(list)
        for endpoint in rows.order_by("position", "id"):
            by_folder[endpoint.folder_id].append(endpoint)
        chosen = [endpoint for pk in folders for endpoint in by_folder.get(pk, [])]

    environments = list(Environment.objects.filter(project=project).order_by("position", "id"))
    if environment_id != ALL_ENVIRONMENTS:
        environments = [e for e in environments if e.pk == environment_id]
    values = _shared_values(project, [e.pk for e in environments])

    endpoint_facts = [
        _endpoint_facts(
            e,
            paths,
            strip,
            people,
            effective_auth(e.auth, folder_chain(e.folder_id, folder_auths), project.auth).auth,
        )
        for e in chosen
    ]
    all_schemas = {
        name: (schema, description)
        for name, schema, description in ProjectSchema.objects.filter(project=project)
        .order_by("name", "id")
        .values_list("name", "schema", "description")
    }
    if endpoint_ids is None and folder is None:
        schemas = all_schemas
    else:
        used = referenced_in_order(
            [m.schema for e in endpoint_facts for m in e.messages if m.schema is not None],
            {name: schema for name, (schema, _) in all_schemas.items()},
        )
        schemas = {name: all_schemas[name] for name in sorted(used)}
    return ExportFacts(
        title=project.name,
        description=project.description,
        servers=[
            ServerFacts(e.name, e.base_url, {**values[None], **values[e.pk]})
            for e in environments
            if e.base_url
        ],
        endpoints=endpoint_facts,
        schemas=schemas,
        values=values[None],
    )


def _endpoint_facts(
    endpoint: Endpoint,
    paths: dict[int, list[str]],
    strip: int,
    people: People,
    auth: dict[str, Any],
) -> EndpointFacts:
    assignee: str | None = None
    if endpoint.assignee is not None and people != People.NONE:
        brief = user_brief(endpoint.assignee)
        assignee = brief["username"] if people == People.USERNAME else brief["display_name"]
    settings = clean_settings(None, base=endpoint.connection_settings)
    changed: dict[str, Any] = {
        key: value for key, value in settings.items() if value != DEFAULT_SETTINGS[key]
    }
    return EndpointFacts(
        name=endpoint.name,
        url=endpoint.url,
        params=list(endpoint.params),
        headers=list(endpoint.headers),
        cookies=list(endpoint.cookies),
        subprotocols=list(endpoint.subprotocols),
        settings=changed,
        status=endpoint.status,
        assignee=assignee,
        tags=[tag.name for tag in endpoint.tags.all()],
        description=endpoint.description,
        strict=endpoint.strict,
        folder_path=paths.get(endpoint.folder_id, [])[strip:] if endpoint.folder_id else [],
        channel_id=endpoint.asyncapi_channel,
        auth=auth,
        messages=[_message_facts(m) for m in endpoint.messages.all()],
        protocol=endpoint.protocol,
        socketio=clean_socketio(None, base=endpoint.socketio),
    )
