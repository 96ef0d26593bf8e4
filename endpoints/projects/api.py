"""REST API of projects and members."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS, parse
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.projects import selectors, services
from endpoints.projects import serializers as s
from endpoints.projects.access import Action, ProjectView, project_actions


class ProjectListCreate(APIView):
    @extend_schema(responses={200: s.ProjectOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest) -> Response:
        memberships = selectors.projects_of_user(user=request.user)
        return Response([s.project_data(m.project, m.role, m.member_count) for m in memberships])

    @extend_schema(request=s.ProjectInSerializer, responses={201: s.ProjectOutSerializer, **ERRORS})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = parse(s.ProjectInSerializer, request)
        project = services.project_create(
            actor=request.user, name=data["name"], description=data.get("description", "")
        )
        return Response(s.project_data(project, "admin", 1), status=status.HTTP_201_CREATED)


class ProjectDetail(ProjectView):
    actions = project_actions(delete=Action.MANAGE, patch=Action.MANAGE)

    @extend_schema(responses={200: s.ProjectOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return versioned(s.project_data(self.project, self.membership.role), self.project.version)

    @extend_schema(
        request=s.ProjectInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.ProjectOutSerializer, **ERRORS},
    )
    def patch(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.ProjectInSerializer, request, partial=True)
        project = services.project_update(
            project=self.project,
            expected_version=expected_version(request, data.get("version")),
            name=data.get("name"),
            description=data.get("description"),
            auth=data.get("auth"),
            actor=request.user,
        )
        return versioned(s.project_data(project, self.membership.role), project.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int) -> Response:
        services.project_delete(project=self.project, expected_version=expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListCreate(ProjectView):
    actions = project_actions(post=Action.MANAGE)

    @extend_schema(responses={200: s.MemberOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response([s.member_data(m) for m in selectors.project_members(project=self.project)])

    @extend_schema(request=s.MemberAddSerializer, responses={201: s.MemberOutSerializer, **ERRORS})
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.MemberAddSerializer, request)
        added = services.member_add(
            project=self.project, user_ref=data["user"], role=data["role"], actor=request.user
        )
        return Response(s.member_data(added), status=status.HTTP_201_CREATED)


class MemberDetail(ProjectView):
    actions = project_actions(delete=Action.MANAGE, patch=Action.MANAGE)

    @extend_schema(request=s.MemberRoleSerializer, responses={200: s.MemberOutSerializer, **ERRORS})
    def patch(self, request: AuthenticatedRequest, project_id: int, user_id: int) -> Response:
        data = parse(s.MemberRoleSerializer, request)
        changed = services.member_update(
            project=self.project, user_id=user_id, role=data["role"], actor=request.user
        )
        return Response(s.member_data(changed))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, user_id: int) -> Response:
        services.member_remove(project=self.project, user_id=user_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
