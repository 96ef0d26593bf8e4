"""Reads of the tree: folders, endpoints (filtered, paginated rows, full), tags, the whole tree."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from core.errors import NotFound
from core.people import UserBrief, user_brief_of_columns
from endpoints.auth import INHERIT, Effective, auth_type, effective_auth, folder_chain
from endpoints.handshake import HANDSHAKE_FIELDS, handshake_of
from endpoints.models import MESSAGE_FIELDS, Endpoint, Folder, Message, Project, Tag
from endpoints.rows import as_int

ENDPOINT_ORDERINGS = {
    "position": ("folder_id", "position", "id"),
    "name": ("name", "id"),
    "-name": ("-name", "-id"),
    "status": ("status", "id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
}


def project_folders(*, project: Project) -> QuerySet[Folder]:
    return (
        Folder.objects.filter(project=project)
        .select_related("updated_by")
        .order_by("parent_id", "position", "id")
    )


def project_tags(*, project: Project) -> QuerySet[Tag]:
    return Tag.objects.filter(project=project).annotate(endpoint_count=Count("endpoints"))


def folder_get(*, project: Project, folder_id: int | str) -> Folder:
    folder = (
        Folder.objects.select_related("updated_by", "project")
        .filter(project=project, pk=as_int(folder_id))
        .first()
    )
    if folder is None:
        raise NotFound()
    return folder


def tag_get(*, project: Project, tag_id: int | str) -> Tag:
    tag = Tag.objects.filter(project=project, pk=as_int(tag_id)).first()
    if tag is None:
        raise NotFound()
    return tag


def endpoints_with_relations(queryset: QuerySet[Endpoint]) -> QuerySet[Endpoint]:
    """Everything an endpoint's full representation needs, in three extra queries at most."""
    return queryset.select_related("assignee", "updated_by", "created_by").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id")),
        Prefetch("messages", queryset=Message.objects.order_by("position", "id")),
    )


def endpoint_get(*, project: Project, endpoint_id: int | str) -> Endpoint:
    endpoint = (
        endpoints_with_relations(Endpoint.objects.filter(project=project))
        .filter(pk=as_int(endpoint_id))
        .first()
    )
    if endpoint is None:
        raise NotFound()
    return endpoint


def _descendant_ids(project: Project, folder_id: int) -> list[int]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id in Folder.objects.filter(project=project).values_list("pk", "parent_id"):
        children[parent_id].append(pk)
    found, stack = [], [folder_id]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children[current])
    return found


# ``folder`` value for the top level of the tree.
ROOT = "root"


def endpoints_filtered(
    *,
    project: Project,
    folder: int | str | None = None,
    recursive: bool = False,
    statuses: Sequence[str] = (),
    assignees: Sequence[int | None] = (),
    tags: Sequence[str] = (),
    text: str = "",
    ordering: str = "position",
) -> QuerySet[Endpoint]:
    """Endpoints of ``project`` narrowed by typed filters (``EndpointFilterSerializer``).

    ``folder`` is a folder id or ``ROOT``; ``recursive`` takes in its sub-folders (every
    endpoint, for ``ROOT``). ``assignees`` are user ids, None for "nobody"; each tag is required.
    """
    queryset = Endpoint.objects.filter(project=project)
    if folder == ROOT:
        queryset = queryset.filter(folder__isnull=True) if not recursive else queryset
    elif isinstance(folder, int):
        if recursive:
            queryset = queryset.filter(folder_id__in=_descendant_ids(project, folder))
        else:
            queryset = queryset.filter(folder_id=folder)
    if statuses:
        queryset = queryset.filter(status__in=statuses)
    if assignees:
        condition = Q()
        for assignee in assignees:
            condition |= Q(assignee__isnull=True) if assignee is None else Q(assignee_id=assignee)
        queryset = queryset.filter(condition)
    for tag in tags:
        queryset = queryset.filter(tags__name__iexact=tag)
    if tags:
        queryset = queryset.distinct()
    if text:
        queryset = queryset.filter(
            Q(name__icontains=text) | Q(url__icontains=text) | Q(description__icontains=text)
        )
    # No relations here: a list page reads ``endpoint_rows`` of it (plain values), and a caller
    # that wants model instances wraps it in ``endpoints_with_relations``.
    return queryset.order_by(*ENDPOINT_ORDERINGS[ordering])


# The columns of an endpoint's full representation and of the three people shown with it.
ENDPOINT_ROW_FIELDS = (
    "id",
    "project_id",
    "folder_id",
    "position",
    "name",
    *HANDSHAKE_FIELDS,
    "auth",
    "status",
    "strict",
    "description",
    "version",
    "created_at",
    "updated_at",
)


_ROW_PEOPLE = ("assignee", "created_by", "updated_by")


_PERSON_FIELDS = ("id", "username", "first_name", "last_name")


class EndpointRows:
    """``queryset`` as named rows (``row.url``, ``row.assignee__username``), for a paginator.

    For list pages: Django model instances and ``prefetch_related`` cost several times the
    query itself per row (tests/bench/bench_workspace.py measures it), plain values do not.
    A slice is one query; ``count()`` counts ``queryset`` itself, without the people's joins.
    """

    def __init__(self, queryset: QuerySet[Endpoint]) -> None:
        people = [f"{person}__{field}" for person in _ROW_PEOPLE for field in _PERSON_FIELDS]
        self.queryset = queryset
        self.rows = queryset.values_list(*ENDPOINT_ROW_FIELDS, *people, named=True)

    def count(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> QuerySet[Any]:
        return self.rows[index]


def endpoint_rows(queryset: QuerySet[Endpoint]) -> EndpointRows:
    """A list page's endpoints as plain values; complete a page with ``endpoint_rows_complete``."""
    return EndpointRows(queryset)


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint as plain values: what ``serializers.endpoint_row_data`` needs."""

    fields: Any  # a row of ``endpoint_rows``: ENDPOINT_ROW_FIELDS as attributes
    messages: list[Any]  # saved messages in order, rows with MESSAGE_FIELDS
    tags: list[str]  # ordered like ``Endpoint.tag_names``
    assignee: UserBrief | None
    created_by: UserBrief | None
    updated_by: UserBrief | None


def endpoint_rows_complete(rows: list[Any]) -> list[EndpointRow]:
    """Rows of ``endpoint_rows`` with their saved messages and tags, in two more queries."""
    ids = [row.id for row in rows]
    tags = tag_names_by_endpoint(endpoint_id__in=ids)
    messages: dict[int, list[Any]] = defaultdict(list)
    for message in (
        Message.objects.filter(endpoint_id__in=ids)
        .order_by("position", "id")
        .values_list("endpoint_id", *MESSAGE_FIELDS, named=True)
    ):
        messages[message.endpoint_id].append(message)

    return [
        EndpointRow(
            fields=row,
            messages=messages[row.id],
            tags=tags[row.id],
            assignee=_user_columns(row, "assignee"),
            created_by=_user_columns(row, "created_by"),
            updated_by=_user_columns(row, "updated_by"),
        )
        for row in rows
    ]


def _user_columns(row: Any, relation: str) -> UserBrief | None:
    """The brief of the user ``row`` reaches by ``relation`` (``endpoint_rows``' columns)."""
    return user_brief_of_columns(
        getattr(row, f"{relation}__id"),
        getattr(row, f"{relation}__username"),
        getattr(row, f"{relation}__first_name"),
        getattr(row, f"{relation}__last_name"),
    )


def tag_names_by_endpoint(**endpoint_filter: Any) -> defaultdict[int, list[str]]:
    """Tag names of the endpoints a filter of their tag links selects, by endpoint id, in
    name order (case-insensitive), in one query."""
    tags: defaultdict[int, list[str]] = defaultdict(list)
    for endpoint_id, tag_name in (
        Endpoint.tags.through.objects.filter(**endpoint_filter)
        .order_by(Lower("tag__name"), "tag_id")
        .values_list("endpoint_id", "tag__name")
    ):
        tags[endpoint_id].append(tag_name)
    return tags


def project_tree(*, project: Project) -> dict[str, Any]:
    """The whole tree in three queries: folders, endpoint summaries, endpoint tags."""
    folders = list(
        Folder.objects.filter(project=project)
        .order_by("position", "id")
        .values("id", "parent_id", "name", "position", "version")
    )
    endpoints = (
        Endpoint.objects.filter(project=project)
        .order_by("position", "id")
        .values_list(
            "id",
            "folder_id",
            "name",
            "url",
            "protocol",
            "status",
            "position",
            "version",
            "assignee_id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    tags_by_endpoint = tag_names_by_endpoint(endpoint__project=project)

    nodes: dict[int | None, dict[str, Any]] = {None: {"folders": [], "endpoints": []}}
    for row in folders:
        nodes[row["id"]] = {
            "id": row["id"],
            "name": row["name"],
            "parent": row["parent_id"],
            "position": row["position"],
            "version": row["version"],
            "folders": [],
            "endpoints": [],
        }
    for row in folders:
        parent = nodes.get(row["parent_id"], nodes[None])
        parent["folders"].append(nodes[row["id"]])
    for (
        pk,
        folder_id,
        name,
        url,
        protocol,
        status,
        position,
        version,
        a_id,
        a_user,
        a_first,
        a_last,
    ) in endpoints:
        nodes.get(folder_id, nodes[None])["endpoints"].append(
            {
                "id": pk,
                "folder": folder_id,
                "name": name,
                "url": url,
                "protocol": protocol,
                "status": status,
                "position": position,
                "version": version,
                "assignee": user_brief_of_columns(a_id, a_user, a_first, a_last),
                "tags": tags_by_endpoint.get(pk, []),
            }
        )
    root = nodes[None]
    return {
        "project": {"id": project.pk, "name": project.name},
        "folders": root["folders"],
        "endpoints": root["endpoints"],
    }


def endpoint_handshake(endpoint: Endpoint) -> dict[str, Any]:
    """The handshake fields of a stored endpoint, in the shape the resolver takes."""
    return handshake_of(endpoint)


def endpoint_head(*, project: Project, endpoint_id: int | str) -> Endpoint:
    """Just enough of an endpoint to scope its history or comments (one query)."""
    endpoint = (
        Endpoint.objects.filter(project=project, pk=as_int(endpoint_id))
        .only("pk", "project_id", "name", "version")
        .first()
    )
    if endpoint is None:
        raise NotFound()
    return endpoint


def auth_inherited(
    *, own: dict[str, Any] | None, project: Project, folder_id: int | None
) -> Effective:
    """``auth_effective`` for an endpoint at hand: one query for the folders when ``own``
    inherits from one, else none."""
    if auth_type(own) != INHERIT or folder_id is None:
        return effective_auth(own, [], project.auth)
    folders = {
        pk: (parent_id, auth)
        for pk, parent_id, auth in Folder.objects.filter(project=project).values_list(
            "pk", "parent_id", "auth"
        )
    }
    return effective_auth(own, folder_chain(folder_id, folders), project.auth)


def auth_effective(
    *, own: dict[str, Any] | None, project_id: int, endpoint_id: int | None
) -> Effective:
    """The Auth tab a connection uses: ``own`` (an endpoint's or a session's), else inherited
    from the endpoint's folders (innermost first), else the project's. At most three queries,
    none when ``own`` does not inherit."""
    if auth_type(own) != INHERIT:
        return effective_auth(own, [], None)
    folder_id = (
        Endpoint.objects.filter(pk=endpoint_id).values_list("folder_id", flat=True).first()
        if endpoint_id is not None
        else None
    )
    folders = (
        {
            pk: (parent_id, auth)
            for pk, parent_id, auth in Folder.objects.filter(project_id=project_id).values_list(
                "pk", "parent_id", "auth"
            )
        }
        if folder_id is not None
        else {}
    )
    project_auth = Project.objects.filter(pk=project_id).values_list("auth", flat=True).first()
    return effective_auth(own, folder_chain(folder_id, folders), project_auth)
