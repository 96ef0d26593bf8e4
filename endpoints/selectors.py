"""How workspace data is read: each function fetches what a view needs in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from config.errors import NotFound, ValidationFailed
from endpoints.models import (
    AccessToken,
    Endpoint,
    EndpointStatus,
    Folder,
    Membership,
    Project,
    SavedMessage,
    Tag,
)

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


def projects_of_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("project")
        .annotate(member_count=Count("project__memberships"))
        .order_by("project__name", "project_id")
    )


def project_members(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )


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
        .filter(project=project, pk=_as_int(folder_id))
        .first()
    )
    if folder is None:
        raise NotFound()
    return folder


def tag_get(*, project: Project, tag_id: int | str) -> Tag:
    tag = Tag.objects.filter(project=project, pk=_as_int(tag_id)).first()
    if tag is None:
        raise NotFound()
    return tag


def user_tokens(*, user: AbstractBaseUser) -> QuerySet[AccessToken]:
    return AccessToken.objects.filter(user=user)


def _as_int(value: int | str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound() from None


def endpoints_with_relations(queryset: QuerySet[Endpoint]) -> QuerySet[Endpoint]:
    """Everything an endpoint's full representation needs, in three extra queries at most."""
    return queryset.select_related("assignee", "updated_by", "created_by").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by(Lower("name"), "id")),
        Prefetch("messages", queryset=SavedMessage.objects.order_by("position", "id")),
    )


def endpoint_get(*, project: Project, endpoint_id: int | str) -> Endpoint:
    endpoint = (
        endpoints_with_relations(Endpoint.objects.filter(project=project))
        .filter(pk=_as_int(endpoint_id))
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


def endpoints_filtered(
    *, project: Project, user: AbstractBaseUser, params: dict[str, Any]
) -> QuerySet[Endpoint]:
    """Endpoints of ``project`` narrowed by folder, status, assignee, tag and text ``q``.

    ``params`` holds lists of raw query values (as from ``QueryDict.lists()``).
    """
    errors: dict[str, list[str]] = {}
    queryset = Endpoint.objects.filter(project=project)

    def values(name: str) -> list[str]:
        raw = params.get(name) or []
        return [part.strip() for item in raw for part in item.split(",") if part.strip()]

    folder_values = values("folder")
    if folder_values:
        folder_ref = folder_values[-1]
        recursive = (values("recursive") or ["false"])[-1].lower() in {"1", "true", "yes"}
        if folder_ref in {"root", "none"}:
            queryset = queryset.filter(folder__isnull=True) if not recursive else queryset
        elif folder_ref.isdigit():
            if recursive:
                queryset = queryset.filter(folder_id__in=_descendant_ids(project, int(folder_ref)))
            else:
                queryset = queryset.filter(folder_id=int(folder_ref))
        else:
            errors["folder"] = ["Use a folder id or 'root'."]

    statuses = values("status")
    unknown = [s for s in statuses if s not in EndpointStatus.values]
    if unknown:
        errors["status"] = [
            f"Unknown status {', '.join(unknown)}; use {', '.join(EndpointStatus.values)}."
        ]
    elif statuses:
        queryset = queryset.filter(status__in=statuses)

    assignees = values("assignee")
    if assignees:
        condition = Q()
        for ref in assignees:
            if ref == "none":
                condition |= Q(assignee__isnull=True)
            elif ref == "me":
                condition |= Q(assignee_id=user.pk)
            elif ref.isdigit():
                condition |= Q(assignee_id=int(ref))
            else:
                errors["assignee"] = ["Use a user id, 'me' or 'none'."]
        queryset = queryset.filter(condition)

    tags = values("tag")
    for tag in tags:
        queryset = queryset.filter(tags__name__iexact=tag)
    if tags:
        queryset = queryset.distinct()

    text = " ".join(params.get("q") or []).strip()
    if text:
        queryset = queryset.filter(
            Q(name__icontains=text) | Q(url__icontains=text) | Q(description__icontains=text)
        )

    ordering = (values("ordering") or ["position"])[-1]
    if ordering not in ENDPOINT_ORDERINGS:
        errors["ordering"] = [f"Use one of {', '.join(ENDPOINT_ORDERINGS)}."]
    if errors:
        raise ValidationFailed(errors)
    return endpoints_with_relations(queryset.order_by(*ENDPOINT_ORDERINGS[ordering]))


def _person(pk: int | None, username: str | None, first: str | None, last: str | None) -> Any:
    if pk is None:
        return None
    full = f"{first or ''} {last or ''}".strip()
    return {"id": pk, "username": username, "display_name": full or username}


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
            "status",
            "position",
            "version",
            "assignee_id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    )
    tags_by_endpoint: dict[int, list[str]] = defaultdict(list)
    for endpoint_id, tag_name in (
        Endpoint.tags.through.objects.filter(endpoint__project=project)
        .order_by(Lower("tag__name"), "tag_id")
        .values_list("endpoint_id", "tag__name")
    ):
        tags_by_endpoint[endpoint_id].append(tag_name)

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
                "status": status,
                "position": position,
                "version": version,
                "assignee": _person(a_id, a_user, a_first, a_last),
                "tags": tags_by_endpoint.get(pk, []),
            }
        )
    root = nodes[None]
    return {
        "project": {"id": project.pk, "name": project.name},
        "folders": root["folders"],
        "endpoints": root["endpoints"],
    }
