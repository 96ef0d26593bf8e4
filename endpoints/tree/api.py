"""REST API of the tree: folders, endpoints, batch edits, tags."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, Pagination, paginated_schema, parse
from core.query import BOOLEAN_WORDS, boolean
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.projects.access import ProjectView
from endpoints.tree import batch_serializers as batch
from endpoints.tree import selectors, services
from endpoints.tree import serializers as s


class FolderListCreate(ProjectView):
    @extend_schema(responses={200: s.FolderOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response([s.folder_data(f) for f in selectors.project_folders(project=self.project)])

    @extend_schema(request=s.FolderInSerializer, responses={201: s.FolderOutSerializer, **ERRORS})
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.FolderInSerializer, request)
        folder = services.folder_create(
            project=self.project,
            actor=request.user,
            name=data["name"],
            parent_id=data.get("parent"),
            position=data.get("position"),
            auth=data.get("auth"),
        )
        return versioned(s.folder_data(folder), folder.version, status.HTTP_201_CREATED)


class FolderDetail(ProjectView):
    @extend_schema(responses={200: s.FolderOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        folder = selectors.folder_get(project=self.project, folder_id=folder_id)
        return versioned(s.folder_data(folder), folder.version)

    @extend_schema(
        request=s.FolderInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.FolderOutSerializer, **ERRORS},
        description="Rename (name), move (parent; null is the root), reorder (position) or "
        "change the Auth tab that what is inside inherits (auth).",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        data = parse(s.FolderInSerializer, request, partial=True)
        folder = selectors.folder_get(project=self.project, folder_id=folder_id)
        changes: dict[str, Any] = {
            "name": data.get("name"),
            "position": data.get("position"),
            "auth": data.get("auth"),
        }
        if "parent" in data:
            changes["parent_id"] = data["parent"]
        folder = services.folder_update(
            folder=folder,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
            **changes,
        )
        return versioned(s.folder_data(folder), folder.version)

    @extend_schema(
        parameters=[
            VERSION_HEADER,
            OpenApiParameter(
                "recursive",
                str,
                enum=list(BOOLEAN_WORDS),
                description="Delete contents too.",
            ),
        ],
        responses={204: None, **ERRORS},
    )
    def delete(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        folder = selectors.folder_get(project=self.project, folder_id=folder_id)
        services.folder_delete(
            folder=folder,
            recursive=boolean(request.query_params, "recursive", default=False),
            expected_version=expected_version(request),
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


LIST_FILTERS = [
    OpenApiParameter("folder", str, description="Folder id, or 'root' for the top level."),
    OpenApiParameter(
        "recursive",
        str,
        enum=list(BOOLEAN_WORDS),
        description="With folder: include sub-folders.",
    ),
    OpenApiParameter("status", str, description="One or more statuses, comma-separated."),
    OpenApiParameter("assignee", str, description="User id, 'me' or 'none'."),
    OpenApiParameter("tag", str, many=True, description="Tag name; repeat to require several."),
    OpenApiParameter("q", str, description="Text in name, URL or description."),
    OpenApiParameter("ordering", str, enum=list(selectors.ENDPOINT_ORDERINGS)),
]


class EndpointListCreate(ProjectView):
    @extend_schema(
        parameters=LIST_FILTERS,
        responses={
            200: paginated_schema(s.EndpointOutSerializer, "PaginatedEndpointList"),
            **ERRORS,
        },
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        filters = s.EndpointFilterSerializer(
            data=request.query_params, context={"user": request.user}
        )
        filters.is_valid(raise_exception=True)
        queryset = selectors.endpoints_filtered(project=self.project, **filters.validated_data)
        paginator = Pagination()
        rows = paginator.page_of(selectors.endpoint_rows(queryset), request, view=self)
        return paginator.get_paginated_response(
            [s.endpoint_row_data(row) for row in selectors.endpoint_rows_complete(rows)]
        )

    @extend_schema(
        request=s.EndpointInSerializer, responses={201: s.EndpointOutSerializer, **ERRORS}
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.EndpointInSerializer, request)
        created = services.endpoint_create(project=self.project, actor=request.user, data=data)
        endpoint = selectors.endpoint_get(project=self.project, endpoint_id=created.pk)
        return versioned(s.endpoint_data(endpoint), endpoint.version, status.HTTP_201_CREATED)


class EndpointDetail(ProjectView):
    @extend_schema(responses={200: s.EndpointOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = selectors.endpoint_get(project=self.project, endpoint_id=endpoint_id)
        return versioned(s.endpoint_data(endpoint), endpoint.version)

    @extend_schema(
        request=s.EndpointInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.EndpointOutSerializer, **ERRORS},
        description="Change any fields; `folder` moves, `position` reorders, `messages` "
        "replaces the saved messages (keep an item's `id` to keep it).",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        data = parse(s.EndpointInSerializer, request, partial=True)
        endpoint = selectors.endpoint_get(project=self.project, endpoint_id=endpoint_id)
        version = expected_version(request, data.pop("version", None))
        services.endpoint_update(
            endpoint=endpoint, actor=request.user, data=data, expected_version=version
        )
        endpoint = selectors.endpoint_get(project=self.project, endpoint_id=endpoint_id)
        return versioned(s.endpoint_data(endpoint), endpoint.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = selectors.endpoint_get(project=self.project, endpoint_id=endpoint_id)
        services.endpoint_delete(
            endpoint=endpoint, expected_version=expected_version(request), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointBatch(ProjectView):
    @extend_schema(
        request=batch.BatchSerializer,
        responses={200: batch.BatchResultSerializer, **ERRORS},
        description="Apply operations in order to many endpoints, all or nothing.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(batch.BatchSerializer, request)
        result = services.endpoints_batch(
            project=self.project,
            actor=request.user,
            ids=data["ids"],
            operations=data["operations"],
            versions=data.get("versions"),
        )
        return Response(result)


class Tree(ProjectView):
    @extend_schema(responses={200: s.TreeSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response(selectors.project_tree(project=self.project))


class TagListCreate(ProjectView):
    @extend_schema(responses={200: s.TagOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response([s.tag_data(t) for t in selectors.project_tags(project=self.project)])

    @extend_schema(request=s.TagInSerializer, responses={201: s.TagOutSerializer, **ERRORS})
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.TagInSerializer, request)
        tag = services.tag_create(project=self.project, actor=request.user, name=data["name"])
        return Response(s.tag_data(tag), status=status.HTTP_201_CREATED)


class TagDetail(ProjectView):
    @extend_schema(request=s.TagInSerializer, responses={200: s.TagOutSerializer, **ERRORS})
    def patch(self, request: AuthenticatedRequest, project_id: int, tag_id: int) -> Response:
        data = parse(s.TagInSerializer, request)
        tag = selectors.tag_get(project=self.project, tag_id=tag_id)
        return Response(
            s.tag_data(services.tag_rename(tag=tag, name=data["name"], actor=request.user))
        )

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, tag_id: int) -> Response:
        services.tag_delete(
            tag=selectors.tag_get(project=self.project, tag_id=tag_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
