"""REST API of activity: history and revert, comments, project events."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, Pagination, paginated_schema, parse
from core.query import whole_number
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.activity import selectors, services
from endpoints.activity import serializers as s
from endpoints.projects.access import Action, ProjectView, project_actions
from endpoints.tree.selectors import endpoint_get, endpoint_head, folder_get
from endpoints.tree.serializers import EndpointOutSerializer, endpoint_data


class EndpointHistory(ProjectView):
    @extend_schema(
        responses={
            200: paginated_schema(s.RevisionOutSerializer, "PaginatedRevisionList"),
            **ERRORS,
        },
        description="Every change to the endpoint, newest first: who, when, and each changed "
        "field's old and new value.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        paginator = Pagination()
        page = paginator.page_of(selectors.endpoint_history(endpoint=endpoint), request, view=self)
        return paginator.get_paginated_response([s.revision_data(r) for r in page])


class EndpointRevisionDetail(ProjectView):
    @extend_schema(
        responses={200: s.EndpointRevisionDetailSerializer, **ERRORS},
        description="One revision, with the endpoint as it was right after it.",
    )
    def get(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, revision_id: int
    ) -> Response:
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        revision = selectors.revision_get(endpoint=endpoint, revision_id=revision_id)
        return Response(s.revision_data(revision, with_snapshot=True))


class EndpointRevert(ProjectView):
    @extend_schema(
        request=s.RevertInSerializer,
        parameters=[VERSION_HEADER],
        responses={200: EndpointOutSerializer, **ERRORS},
        description="Make the endpoint as it was after this revision. The revert is a new "
        "revision (history is never rewritten); a stale version is rejected with 412.",
    )
    def post(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, revision_id: int
    ) -> Response:
        data = parse(s.RevertInSerializer, request)
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        revision = selectors.revision_get(endpoint=endpoint, revision_id=revision_id)
        services.endpoint_revert(
            endpoint=endpoint,
            revision=revision,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
        )
        endpoint = endpoint_get(project=self.project, endpoint_id=endpoint_id)
        return versioned(endpoint_data(endpoint), endpoint.version)


class FolderHistory(ProjectView):
    @extend_schema(
        responses={
            200: paginated_schema(s.FolderRevisionOutSerializer, "PaginatedFolderRevisionList"),
            **ERRORS,
        },
        description="Creation, renames and moves of the folder, newest first.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        folder = folder_get(project=self.project, folder_id=folder_id)
        paginator = Pagination()
        page = paginator.page_of(selectors.folder_history(folder=folder), request, view=self)
        return paginator.get_paginated_response(
            [s.revision_data(r, with_snapshot=True) for r in page]
        )


class CommentListCreate(ProjectView):
    actions = project_actions(post=Action.COMMENT)

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=list(selectors.COMMENT_STATES))],
        responses={
            200: paginated_schema(s.CommentOutSerializer, "PaginatedCommentList"),
            **ERRORS,
        },
        description="Comments on the endpoint, oldest first; state=open or resolved filters.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        comments = selectors.endpoint_comments(
            endpoint=endpoint, state=request.query_params.get("state", "all")
        )
        paginator = Pagination()
        page = paginator.page_of(comments, request, view=self)
        return paginator.get_paginated_response([s.comment_data(c) for c in page])

    @extend_schema(
        request=s.CommentInSerializer,
        responses={201: s.CommentOutSerializer, **ERRORS},
        description="Any member may comment, viewers included. @username of a member is a "
        "mention; of anyone else, plain text.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        data = parse(s.CommentInSerializer, request)
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        comment = services.comment_create(endpoint=endpoint, actor=request.user, body=data["body"])
        return Response(s.comment_data(comment), status=status.HTTP_201_CREATED)


class CommentDetail(ProjectView):
    actions = project_actions(patch=Action.COMMENT, delete=Action.COMMENT)

    def _comment(self, endpoint_id: int, comment_id: int) -> Any:
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        return selectors.comment_get(endpoint=endpoint, comment_id=comment_id)

    @extend_schema(responses={200: s.CommentOutSerializer, **ERRORS})
    def get(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        return Response(s.comment_data(self._comment(endpoint_id, comment_id)))

    @extend_schema(
        request=s.CommentInSerializer,
        responses={200: s.CommentOutSerializer, **ERRORS},
        description="Edit the body; only its author may.",
    )
    def patch(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        comment = self._comment(endpoint_id, comment_id)
        data = parse(s.CommentInSerializer, request)
        comment = services.comment_update(comment=comment, actor=request.user, body=data["body"])
        return Response(s.comment_data(comment))

    @extend_schema(
        responses={204: None, **ERRORS},
        description="Delete; the author may, and project admins may delete any comment.",
    )
    def delete(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        comment = self._comment(endpoint_id, comment_id)
        services.comment_delete(comment=comment, actor=request.user, role=self.membership.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentResolve(ProjectView):
    actions = project_actions(post=Action.COMMENT)

    resolved = True

    @extend_schema(
        request=None,
        responses={200: s.CommentOutSerializer, **ERRORS},
        description="Editors, admins and the comment's author may resolve and reopen.",
    )
    def post(
        self, request: AuthenticatedRequest, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        endpoint = endpoint_head(project=self.project, endpoint_id=endpoint_id)
        comment = services.comment_set_resolved(
            comment=selectors.comment_get(endpoint=endpoint, comment_id=comment_id),
            actor=request.user,
            role=self.membership.role,
            resolved=self.resolved,
        )
        return Response(s.comment_data(comment))


class CommentReopen(CommentResolve):
    resolved = False


class ProjectEvents(ProjectView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Last sequence number you have (0: all)."),
            OpenApiParameter("limit", int, description="At most this many (1-1000, default 500)."),
        ],
        responses={200: s.ProjectEventsSerializer, **ERRORS},
        description="The project's stored live events after a sequence number: the same "
        "events WS /ws/projects/{id}/ sends, for scripts that poll.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        after = whole_number(request.query_params, "after", default=0, low=0, high=10**18)
        limit = whole_number(request.query_params, "limit", default=500, low=1, high=1000)
        events = selectors.project_events(project_id=self.project.pk, after=after, limit=limit)
        return Response({"events": events, "last_seq": self.project.last_event_seq})
