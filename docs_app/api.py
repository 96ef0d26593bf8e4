"""REST API of share links: viewers list them (without their URLs); editors and admins create,
edit, revoke, rotate and delete them and see their URLs. Non-members get 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from docs_app import selectors, services
from docs_app.models import ShareLink
from docs_app.serializers import ShareLinkInSerializer, ShareLinkOutSerializer, share_link_data
from endpoints.models import Membership
from endpoints.projects.access import ALLOWED, Action, ProjectView


def _origin(request: AuthenticatedRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _out(request: AuthenticatedRequest, membership: Membership, link: ShareLink) -> dict[str, Any]:
    return share_link_data(
        link,
        base_url=_origin(request),
        with_url=membership.role in ALLOWED[Action.WRITE],
    )


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Serializer fields → service keyword arguments, for the fields that were sent."""
    renamed = {
        "folders": "folder_ids",
        "endpoints": "endpoint_ids",
        "environment": "environment_id",
    }
    keys = (
        "name",
        "whole_project",
        "folders",
        "endpoints",
        "password",
        "expires_at",
        "environment",
        "show_assignee",
        "public",
    )
    return {renamed.get(key, key): data[key] for key in keys if key in data}


class ShareLinkListCreate(ProjectView):
    @extend_schema(
        responses={200: ShareLinkOutSerializer(many=True), **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        links = selectors.share_links_of_project(project=self.project)
        return Response([_out(request, self.membership, link) for link in links])

    @extend_schema(
        request=ShareLinkInSerializer,
        responses={201: ShareLinkOutSerializer, **ERRORS},
        description="Share the whole project (default) or chosen folders and endpoints.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(ShareLinkInSerializer, request)
        data.pop("version", None)
        link, _ = services.share_link_create(
            project=self.project, actor=request.user, **_changes(data)
        )
        link = selectors.share_link_get(project=self.project, link_id=link.pk)
        return versioned(
            _out(request, self.membership, link), link.version, status.HTTP_201_CREATED
        )


class ShareLinkDetail(ProjectView):
    @extend_schema(responses={200: ShareLinkOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, link_id: int) -> Response:
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        return versioned(_out(request, self.membership, link), link.version)

    @extend_schema(
        request=ShareLinkInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: ShareLinkOutSerializer, **ERRORS},
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, link_id: int) -> Response:
        data = parse(ShareLinkInSerializer, request, partial=True)
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        services.share_link_update(
            link=link,
            actor=request.user,
            expected_version=expected_version(request, data.pop("version", None)),
            **_changes(data),
        )
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        return versioned(_out(request, self.membership, link), link.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, link_id: int) -> Response:
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        services.share_link_delete(
            link=link, expected_version=expected_version(request), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShareLinkRevoke(ProjectView):
    @extend_schema(
        request=None,
        responses={200: ShareLinkOutSerializer, **ERRORS},
        description="Stop the link for good; its pages answer 'not available' from now on.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int, link_id: int) -> Response:
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        services.share_link_revoke(link=link, actor=request.user)
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        return Response(_out(request, self.membership, link))


class ShareLinkRotate(ProjectView):
    @extend_schema(
        request=None,
        parameters=[VERSION_HEADER],
        responses={200: ShareLinkOutSerializer, **ERRORS},
        description="Give the link a new token; the old URL stops working at once.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int, link_id: int) -> Response:
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        services.share_link_rotate(
            link=link, actor=request.user, expected_version=expected_version(request)
        )
        link = selectors.share_link_get(project=self.project, link_id=link_id)
        return Response(_out(request, self.membership, link))
