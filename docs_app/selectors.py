"""How share links and docs pages are read: a fixed number of queries per page, whatever the
size of the project; nothing outside a link's scope is ever fetched."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from core.errors import NotFound, ValidationFailed
from core.people import user_brief
from docs_app import services
from docs_app.models import RenderedDescription, ShareLink
from docs_app.schema_table import mentions_ref
from docs_app.tokens import looks_like_token, token_digest
from endpoints.auth import auth_scheme, effective_auth, folder_chain
from endpoints.environments.resolver import fill_known
from endpoints.environments.selectors import variable_sources_for
from endpoints.handshake import clean_socketio
from endpoints.models import Endpoint, Folder, Message, Project, ProjectSchema, Tag
from endpoints.tree.selectors import tag_names_by_endpoint

# --- links ----------------------------------------------------------------------------------


def share_links_of_project(*, project: Project) -> QuerySet[ShareLink]:
    return (
        ShareLink.objects.filter(project=project)
        .select_related("created_by", "updated_by", "environment")
        .prefetch_related(
            Prefetch("folders", queryset=Folder.objects.only("id").order_by("id")),
            Prefetch("endpoints", queryset=Endpoint.objects.only("id").order_by("id")),
        )
    )


def share_link_get(*, project: Project, link_id: int | str) -> ShareLink:
    try:
        pk = int(link_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    link = share_links_of_project(project=project).filter(pk=pk).first()
    if link is None:
        raise NotFound()
    return link


def is_live(link: ShareLink, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return link.revoked_at is None and (link.expires_at is None or link.expires_at > now)


def share_link_by_token(token: str) -> ShareLink | None:
    """The live link (with its project) for ``token``; None when unknown, revoked or expired.

    The three cases are deliberately indistinguishable to the caller.
    """
    if not looks_like_token(token):
        return None
    link = (
        ShareLink.objects.select_related("project").filter(token_digest=token_digest(token)).first()
    )
    if link is None or not is_live(link):
        return None
    return link


# --- what a docs page shows -------------------------------------------------------------------


@dataclass(frozen=True)
class DocsSource:
    """Which project, which part of it and which values a set of docs pages shows."""

    project: Project
    link: ShareLink | None
    whole_project: bool
    folder_ids: frozenset[int]
    endpoint_ids: frozenset[int]
    environment_id: int | None
    show_assignee: bool
    public: bool


def docs_source_for_link(link: ShareLink) -> DocsSource:
    """The link's scope; two queries for a chosen scope, none for the whole project."""
    folder_ids: frozenset[int] = frozenset()
    endpoint_ids: frozenset[int] = frozenset()
    if not link.whole_project:
        folder_ids = frozenset(
            ShareLink.folders.through.objects.filter(sharelink_id=link.pk).values_list(
                "folder_id", flat=True
            )
        )
        endpoint_ids = frozenset(
            ShareLink.endpoints.through.objects.filter(sharelink_id=link.pk).values_list(
                "endpoint_id", flat=True
            )
        )
    return DocsSource(
        project=link.project,
        link=link,
        whole_project=link.whole_project,
        folder_ids=folder_ids,
        endpoint_ids=endpoint_ids,
        environment_id=link.environment_id,
        show_assignee=link.show_assignee,
        public=link.public,
    )


def docs_source_for_project(project: Project) -> DocsSource:
    """The whole project as members preview it: no environment, responsible people shown."""
    return DocsSource(
        project=project,
        link=None,
        whole_project=True,
        folder_ids=frozenset(),
        endpoint_ids=frozenset(),
        environment_id=None,
        show_assignee=True,
        public=False,
    )


def docs_values(source: DocsSource) -> dict[str, str]:
    """The values the pages fill into ``{{references}}``: shared and non-secret only.

    No member's private current value is read (``user=None``), and a secret is left out so
    that it stays a ``{{placeholder}}``. Two queries at most.
    """
    if source.environment_id is None and not _has_globals(source.project):
        return {}
    try:
        sources = variable_sources_for(
            project=source.project, user=None, environment_id=source.environment_id
        )
    except ValidationFailed:
        # The environment was deleted a moment ago (the link lets go of it): globals only.
        sources = variable_sources_for(project=source.project, user=None, environment_id=None)
    return {name: item.value for name, item in sources.items() if not item.secret}


def _has_globals(project: Project) -> bool:
    # Cheaper than the full lookup for the common case of a project without variables.
    return project.variables.filter(environment__isnull=True).exists()


@dataclass
class DocsFolder:
    id: int
    name: str
    parent_id: int | None
    folders: list[DocsFolder] = field(default_factory=list)
    endpoints: list[DocsEndpointSummary] = field(default_factory=list)
    path: list[str] = field(default_factory=list)


@dataclass
class DocsEndpointSummary:
    id: int
    folder_id: int | None
    name: str
    url: str
    status: str
    updated_at: datetime
    tags: list[str] = field(default_factory=list)
    summary: str = ""
    description: str = ""
    protocol: str = "websocket"


@dataclass
class DocsTree:
    """The visible tree: root folders and endpoints, plus every endpoint in reading order."""

    folders: list[DocsFolder]
    endpoints: list[DocsEndpointSummary]
    ordered: list[DocsEndpointSummary]
    folder_by_id: dict[int, DocsFolder]
    last_modified: datetime | None
    # Descriptions rendered for this tree that are not stored yet (services.descriptions_store).
    stale_renderings: list[RenderedDescription] = field(default_factory=list)
    # Every folder of the project (shown or not) as id -> (parent id, Auth tab): what an
    # endpoint inherits its auth scheme from.
    folder_auth: dict[int, tuple[int | None, Any]] = field(default_factory=dict)

    def folder_path(self, folder_id: int | None) -> list[DocsFolder]:
        chain: list[DocsFolder] = []
        while folder_id is not None and folder_id in self.folder_by_id:
            folder = self.folder_by_id[folder_id]
            chain.append(folder)
            folder_id = folder.parent_id
        return chain[::-1]


def _scope_filter(source: DocsSource, included_folders: Iterable[int]) -> Q:
    if source.whole_project:
        return Q()
    return Q(folder_id__in=list(included_folders)) | Q(pk__in=list(source.endpoint_ids))


def _included_folders(source: DocsSource, children: dict[int | None, list[int]]) -> set[int]:
    """Chosen folders and everything below them."""
    found: set[int] = set()
    stack = [pk for pk in source.folder_ids]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found


def docs_tree(
    source: DocsSource, *, details: bool, values: dict[str, str] | None = None
) -> DocsTree:
    """The folders and endpoints the source shows, in workspace order.

    Three queries with ``details`` (folders, endpoints with their stored rendering, tags),
    two without (navigation only), plus one write when stored renderings are stale.
    Folders without anything visible below them are left out.
    """
    values = values or {}
    folder_rows = list(
        Folder.objects.filter(project=source.project)
        .order_by("position", "id")
        .values_list("id", "parent_id", "name", "updated_at", "auth")
    )
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent_id, *_ in folder_rows:
        children[parent_id].append(pk)
    all_folder_ids = {row[0] for row in folder_rows}
    included = all_folder_ids if source.whole_project else _included_folders(source, children)

    endpoints = Endpoint.objects.filter(_scope_filter(source, included), project=source.project)
    columns = ["id", "folder_id", "name", "url", "status", "updated_at", "protocol"]
    if details:
        # Not the stored HTML: the index shows summaries, and 1,000 HTML bodies cost time.
        columns += ["description", "docs_rendering__source_digest", "docs_rendering__summary"]
    rows = list(endpoints.order_by("position", "id").values_list(*columns))

    tags: dict[int, list[str]] = (
        tag_names_by_endpoint(endpoint__in=endpoints) if details and rows else defaultdict(list)
    )
    rendered: dict[int, services.Rendered] = {}
    stale: list[RenderedDescription] = []
    if details:
        renderings = services.descriptions_render(
            items=((row[0], row[7], row[8], None, row[9]) for row in rows)
        )
        rendered, stale = renderings.by_endpoint, renderings.stale

    folders = {pk: DocsFolder(pk, name, parent_id) for pk, parent_id, name, *_ in folder_rows}
    folder_updated = {pk: updated for pk, _, _, updated, _ in folder_rows}
    visible: set[int] = set()
    summaries: list[DocsEndpointSummary] = []
    root_endpoints: list[DocsEndpointSummary] = []
    last_modified = None
    for row in rows:
        pk, folder_id, name, url, status, updated_at, protocol = row[:7]
        item = DocsEndpointSummary(
            id=pk,
            folder_id=folder_id,
            name=name,
            url=fill_known(url, values),
            status=status,
            updated_at=updated_at,
            tags=tags.get(pk, []),
            summary=rendered[pk].summary if details else "",
            description=row[7] if details else "",
            protocol=protocol,
        )
        summaries.append(item)
        last_modified = updated_at if last_modified is None else max(last_modified, updated_at)
        if folder_id in folders:
            folders[folder_id].endpoints.append(item)
            parent: int | None = folder_id
            while parent is not None and parent not in visible:
                visible.add(parent)
                parent = folders[parent].parent_id
        else:
            root_endpoints.append(item)
    roots: list[DocsFolder] = []
    for pk, parent_id, *_ in folder_rows:
        if pk not in visible:
            continue
        folder = folders[pk]
        last_modified = (
            folder_updated[pk] if last_modified is None else max(last_modified, folder_updated[pk])
        )
        if parent_id in folders:
            folders[parent_id].folders.append(folder)
        else:
            roots.append(folder)
    by_id = {pk: folders[pk] for pk in visible}
    ordered: list[DocsEndpointSummary] = []

    def walk(folder_list: list[DocsFolder], path: list[str]) -> None:
        for folder in folder_list:
            folder.path = [*path, folder.name]
            ordered.extend(folder.endpoints)
            walk(folder.folders, folder.path)

    ordered.extend(root_endpoints)
    walk(roots, [])
    return DocsTree(
        roots,
        root_endpoints,
        ordered,
        by_id,
        last_modified,
        stale,
        folder_auth={pk: (parent_id, auth) for pk, parent_id, _, _, auth in folder_rows},
    )


@dataclass
class DocsEndpoint:
    """One endpoint as its page shows it (handshake rows as stored; the page fills values)."""

    id: int
    folder_id: int | None
    name: str
    url: str
    status: str
    tags: list[str]
    assignee: str | None
    updated_at: datetime
    params: list[dict[str, Any]]
    headers: list[dict[str, Any]]
    cookies: list[dict[str, Any]]
    subprotocols: list[str]
    messages: list[Message]
    description: str
    description_html: str
    # The description's rendering if it is not stored yet (services.descriptions_store).
    stale_renderings: list[RenderedDescription] = field(default_factory=list)
    # The effective Auth tab's scheme (endpoints.auth.auth_scheme): never a value.
    auth: dict[str, str] = field(default_factory=dict)
    protocol: str = "websocket"
    # Socket.IO settings with every default (endpoints.handshake.clean_socketio); the auth
    # payload is a template whose values the pages never show (docs_app.socketio_docs).
    socketio: dict[str, Any] = field(default_factory=dict)


def docs_endpoint(source: DocsSource, endpoint_id: int, tree: DocsTree) -> DocsEndpoint | None:
    """The endpoint if the source shows it (``tree`` says which ones it does); three queries."""
    if not any(item.id == endpoint_id for item in tree.ordered):
        return None
    endpoint = (
        Endpoint.objects.filter(project=source.project, pk=endpoint_id)
        .select_related("assignee", "docs_rendering")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id")),
            Prefetch("messages", queryset=Message.objects.order_by("position", "id")),
        )
        .first()
    )
    if endpoint is None:
        return None
    stored = getattr(endpoint, "docs_rendering", None)
    renderings = services.descriptions_render(
        items=[
            (
                endpoint.pk,
                endpoint.description,
                stored.source_digest if stored else None,
                stored.html if stored else None,
                stored.summary if stored else None,
            )
        ]
    )
    rendered = renderings.by_endpoint[endpoint.pk]
    assignee = None
    if source.show_assignee and endpoint.assignee is not None:
        # A display name only: never the email, never the username when a name is set.
        assignee = user_brief(endpoint.assignee)["display_name"]
    return DocsEndpoint(
        id=endpoint.pk,
        folder_id=endpoint.folder_id,
        name=endpoint.name,
        url=endpoint.url,
        status=endpoint.status,
        tags=[tag.name for tag in endpoint.tags.all()],
        assignee=assignee,
        updated_at=endpoint.updated_at,
        params=[row for row in endpoint.params if row.get("enabled", True)],
        headers=[row for row in endpoint.headers if row.get("enabled", True)],
        cookies=[row for row in endpoint.cookies if row.get("enabled", True)],
        subprotocols=list(endpoint.subprotocols),
        messages=list(endpoint.messages.all()),
        description=endpoint.description,
        description_html=rendered.html,
        stale_renderings=renderings.stale,
        auth=auth_scheme(
            effective_auth(
                endpoint.auth,
                folder_chain(endpoint.folder_id, tree.folder_auth),
                source.project.auth,
            ).auth
        ),
        protocol=endpoint.protocol,
        socketio=clean_socketio(None, base=endpoint.socketio),
    )


def endpoints_matching(tree: DocsTree, query: str) -> list[DocsEndpointSummary]:
    """Search over what the reader can see: names, URLs (as shown), tags and descriptions.

    Every word must occur somewhere, case-insensitively. Runs over the rows already fetched
    for the page, so a search costs no query and can only find endpoints in scope.
    """
    words = query.casefold().split()
    if not words:
        return []
    found = []
    for item in tree.ordered:
        haystack = "\n".join([item.name, item.url, *item.tags, item.description]).casefold()
        if all(word in haystack for word in words):
            found.append(item)
    return found


def project_schemas_for(project: Project, schemas: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """The project's schemas by name (``schema``, ``description``, ``updated_at``), for pages
    showing ``schemas``: one query, and none when no schema refers to a project schema."""
    if not any(mentions_ref(schema) for schema in schemas):
        return {}
    return {
        name: {"schema": schema, "description": description, "updated_at": updated_at}
        for name, description, schema, updated_at in ProjectSchema.objects.filter(project=project)
        .order_by("name", "id")
        .values_list("name", "description", "schema", "updated_at")
    }


@dataclass(frozen=True)
class MessageOutline:
    name: str
    direction: str
    reply_to: str


def message_outlines(tree: DocsTree) -> dict[int, list[MessageOutline]]:
    """Name, direction and reply of every message of the endpoints the tree shows, in order:
    one query, none of the schemas and examples."""
    found: dict[int, list[MessageOutline]] = defaultdict(list)
    ids = [item.id for item in tree.ordered]
    if not ids:
        return found
    rows = (
        Message.objects.filter(endpoint_id__in=ids)
        .order_by("endpoint_id", "position", "id")
        .values_list("endpoint_id", "name", "direction", "reply_to")
    )
    for endpoint_id, name, direction, reply_to in rows:
        found[endpoint_id].append(MessageOutline(name, direction, reply_to))
    return found


def messages_of(endpoint_ids: list[int]) -> dict[int, list[Message]]:
    """The documented messages of these endpoints, in order: one query (none for no ids)."""
    found: dict[int, list[Message]] = defaultdict(list)
    if not endpoint_ids:
        return found
    for message in Message.objects.filter(endpoint_id__in=endpoint_ids).order_by(
        "endpoint_id", "position", "id"
    ):
        found[message.endpoint_id].append(message)
    return found
