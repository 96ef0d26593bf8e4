"""REST API of the workspace: parse, check permission, call one service or selector, serialize."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.errors import DomainError, NotFound, ValidationFailed
from endpoints import selectors, services
from endpoints import serializers as s
from endpoints.access import Action, project_membership
from endpoints.tokens import token_create

User = get_user_model()

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,10})"?\s*$')


class AuthenticationRequired(DomainError):
    code = "authentication_failed"
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "Wrong username or password."


def expected_version(request: Request, body_version: int | None = None) -> int | None:
    """The version the client read: If-Match wins over a ``version`` field; neither means none."""
    header = request.headers.get("If-Match")
    if header:
        match = _IF_MATCH.match(header)
        if not match:
            raise ValidationFailed({"If-Match": ['Send the version you read, e.g. If-Match: "3".']})
        return int(match.group(1))
    return body_version


def versioned(data: dict[str, Any], version: int) -> Response:
    return Response(data, headers={"ETag": f'"{version}"'})


def parse(
    serializer_class: type[serializers.Serializer], request: Request, **kwargs: Any
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE


def paginated_schema(item: type[serializers.Serializer], name: str) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


ERRORS = {
    400: s.ErrorSerializer,
    401: s.ErrorSerializer,
    403: s.ErrorSerializer,
    404: s.ErrorSerializer,
    409: s.ErrorSerializer,
    412: s.ErrorSerializer,
}
VERSION_HEADER = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description='The version you read, e.g. "3". A stale version is rejected with 412.',
)


# --- auth -----------------------------------------------------------------------------------


class TokenListCreate(APIView):
    throttle_scope = "auth"

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self) -> list[Any]:
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(
        responses={200: s.TokenOutSerializer(many=True), **ERRORS}, operation_id="tokens_list"
    )
    def get(self, request: Request) -> Response:
        return Response([s.token_data(t) for t in selectors.user_tokens(user=request.user)])

    @extend_schema(
        request=s.TokenCreateSerializer,
        responses={201: s.TokenCreatedSerializer, **ERRORS},
        auth=[],
        description="Exchange a username and password for a named personal access token.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.TokenCreateSerializer, request)
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None or not user.is_active:
            raise AuthenticationRequired()
        token, secret = token_create(
            user=user, name=data["name"], expires_at=data.get("expires_at")
        )
        return Response({**s.token_data(token), "token": secret}, status=status.HTTP_201_CREATED)


class TokenDetail(APIView):
    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, token_id: int) -> Response:
        deleted, _ = selectors.user_tokens(user=request.user).filter(pk=token_id).delete()
        if not deleted:
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class Me(APIView):
    @extend_schema(responses={200: s.UserBriefSerializer, **ERRORS})
    def get(self, request: Request) -> Response:
        return Response(services.user_brief(request.user))


class Signup(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "auth"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        request=s.SignupSerializer, responses={201: s.UserBriefSerializer, **ERRORS}, auth=[]
    )
    def post(self, request: Request) -> Response:
        if not settings.SIGNUP_ENABLED:
            raise NotFound("Self-service sign-up is turned off on this server.")
        data = parse(s.SignupSerializer, request)
        if User.objects.filter(username__iexact=data["username"]).exists():
            raise ValidationFailed({"username": ["That username is taken."]})
        user = User.objects.create_user(data["username"], data.get("email", ""), data["password"])
        return Response(services.user_brief(user), status=status.HTTP_201_CREATED)


# --- projects and members -------------------------------------------------------------------


class ProjectListCreate(APIView):
    @extend_schema(
        operation_id="projects_list", responses={200: s.ProjectOutSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request) -> Response:
        memberships = selectors.projects_of_user(user=request.user)
        return Response([s.project_data(m.project, m.role, m.member_count) for m in memberships])

    @extend_schema(request=s.ProjectInSerializer, responses={201: s.ProjectOutSerializer, **ERRORS})
    def post(self, request: Request) -> Response:
        data = parse(s.ProjectInSerializer, request)
        project = services.project_create(
            actor=request.user, name=data["name"], description=data.get("description", "")
        )
        return Response(s.project_data(project, "admin", 1), status=status.HTTP_201_CREATED)


class ProjectDetail(APIView):
    @extend_schema(responses={200: s.ProjectOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        return versioned(
            s.project_data(membership.project, membership.role), membership.project.version
        )

    @extend_schema(
        request=s.ProjectInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.ProjectOutSerializer, **ERRORS},
    )
    def patch(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.MANAGE
        )
        data = parse(s.ProjectInSerializer, request, partial=True)
        project = services.project_update(
            project=membership.project,
            expected_version=expected_version(request, data.get("version")),
            name=data.get("name"),
            description=data.get("description"),
        )
        return versioned(s.project_data(project, membership.role), project.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.MANAGE
        )
        services.project_delete(
            project=membership.project, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberListCreate(APIView):
    @extend_schema(
        operation_id="members_list", responses={200: s.MemberOutSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        return Response(
            [s.member_data(m) for m in selectors.project_members(project=membership.project)]
        )

    @extend_schema(request=s.MemberAddSerializer, responses={201: s.MemberOutSerializer, **ERRORS})
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.MANAGE
        )
        data = parse(s.MemberAddSerializer, request)
        added = services.member_add(
            project=membership.project, user_ref=data["user"], role=data["role"]
        )
        return Response(s.member_data(added), status=status.HTTP_201_CREATED)


class MemberDetail(APIView):
    @extend_schema(request=s.MemberRoleSerializer, responses={200: s.MemberOutSerializer, **ERRORS})
    def patch(self, request: Request, project_id: int, user_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.MANAGE
        )
        data = parse(s.MemberRoleSerializer, request)
        changed = services.member_update(
            project=membership.project, user_id=user_id, role=data["role"]
        )
        return Response(s.member_data(changed))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, user_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.MANAGE
        )
        services.member_remove(project=membership.project, user_id=user_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- folders --------------------------------------------------------------------------------


class FolderListCreate(APIView):
    @extend_schema(
        operation_id="folders_list", responses={200: s.FolderOutSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        return Response(
            [s.folder_data(f) for f in selectors.project_folders(project=membership.project)]
        )

    @extend_schema(request=s.FolderInSerializer, responses={201: s.FolderOutSerializer, **ERRORS})
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.FolderInSerializer, request)
        folder = services.folder_create(
            project=membership.project,
            actor=request.user,
            name=data["name"],
            parent_id=data.get("parent"),
            position=data.get("position"),
        )
        return Response(
            s.folder_data(folder),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{folder.version}"'},
        )


class FolderDetail(APIView):
    @extend_schema(responses={200: s.FolderOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int, folder_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        folder = selectors.folder_get(project=membership.project, folder_id=folder_id)
        return versioned(s.folder_data(folder), folder.version)

    @extend_schema(
        request=s.FolderInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.FolderOutSerializer, **ERRORS},
        description="Rename (name), move (parent; null is the root) or reorder (position).",
    )
    def patch(self, request: Request, project_id: int, folder_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.FolderInSerializer, request, partial=True)
        folder = selectors.folder_get(project=membership.project, folder_id=folder_id)
        changes: dict[str, Any] = {"name": data.get("name"), "position": data.get("position")}
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
            OpenApiParameter("recursive", bool, description="Delete contents too."),
        ],
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, project_id: int, folder_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        folder = selectors.folder_get(project=membership.project, folder_id=folder_id)
        recursive = request.query_params.get("recursive", "").lower() in {"1", "true", "yes"}
        services.folder_delete(
            folder=folder, recursive=recursive, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- endpoints ------------------------------------------------------------------------------

LIST_FILTERS = [
    OpenApiParameter("folder", str, description="Folder id, or 'root' for the top level."),
    OpenApiParameter("recursive", bool, description="With folder: include sub-folders."),
    OpenApiParameter("status", str, description="One or more statuses, comma-separated."),
    OpenApiParameter("assignee", str, description="User id, 'me' or 'none'."),
    OpenApiParameter("tag", str, many=True, description="Tag name; repeat to require several."),
    OpenApiParameter("q", str, description="Text in name, URL or description."),
    OpenApiParameter("ordering", str, enum=list(selectors.ENDPOINT_ORDERINGS)),
]


class EndpointListCreate(APIView):
    @extend_schema(
        operation_id="endpoints_list",
        parameters=LIST_FILTERS,
        responses={
            200: paginated_schema(s.EndpointOutSerializer, "PaginatedEndpointList"),
            **ERRORS,
        },
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        queryset = selectors.endpoints_filtered(
            project=membership.project, user=request.user, params=dict(request.query_params.lists())
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response([s.endpoint_data(e) for e in page])

    @extend_schema(
        request=s.EndpointInSerializer, responses={201: s.EndpointOutSerializer, **ERRORS}
    )
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.EndpointInSerializer, request)
        created = services.endpoint_create(
            project=membership.project, actor=request.user, data=data
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=created.pk)
        return Response(
            s.endpoint_data(endpoint),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{endpoint.version}"'},
        )


class EndpointDetail(APIView):
    @extend_schema(responses={200: s.EndpointOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        return versioned(s.endpoint_data(endpoint), endpoint.version)

    @extend_schema(
        request=s.EndpointInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.EndpointOutSerializer, **ERRORS},
        description="Change any fields; `folder` moves, `position` reorders, `messages` "
        "replaces the saved messages (keep an item's `id` to keep it).",
    )
    def patch(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.EndpointInSerializer, request, partial=True)
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        version = expected_version(request, data.pop("version", None))
        services.endpoint_update(
            endpoint=endpoint, actor=request.user, data=data, expected_version=version
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        return versioned(s.endpoint_data(endpoint), endpoint.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        services.endpoint_delete(endpoint=endpoint, expected_version=expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointBatch(APIView):
    @extend_schema(
        request=s.BatchSerializer,
        responses={200: s.BatchResultSerializer, **ERRORS},
        description="Apply operations in order to many endpoints, all or nothing.",
    )
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.BatchSerializer, request)
        result = services.endpoints_batch(
            project=membership.project,
            actor=request.user,
            ids=data["ids"],
            operations=data["operations"],
            versions=data.get("versions"),
        )
        return Response(result)


class Tree(APIView):
    @extend_schema(responses={200: s.TreeSerializer, **ERRORS})
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        return Response(selectors.project_tree(project=membership.project))


# --- tags -----------------------------------------------------------------------------------


class TagListCreate(APIView):
    @extend_schema(
        operation_id="tags_list", responses={200: s.TagOutSerializer(many=True), **ERRORS}
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        return Response([s.tag_data(t) for t in selectors.project_tags(project=membership.project)])

    @extend_schema(request=s.TagInSerializer, responses={201: s.TagOutSerializer, **ERRORS})
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.TagInSerializer, request)
        with transaction.atomic():
            (tag,) = services.tags_resolve(project=membership.project, names=[data["name"]])
        return Response(s.tag_data(tag), status=status.HTTP_201_CREATED)


class TagDetail(APIView):
    @extend_schema(request=s.TagInSerializer, responses={200: s.TagOutSerializer, **ERRORS})
    def patch(self, request: Request, project_id: int, tag_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.TagInSerializer, request)
        tag = selectors.tag_get(project=membership.project, tag_id=tag_id)
        return Response(s.tag_data(services.tag_rename(tag=tag, name=data["name"])))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, tag_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        services.tag_delete(tag=selectors.tag_get(project=membership.project, tag_id=tag_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
