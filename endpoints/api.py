"""REST API of the workspace: parse, check permission, call one service or selector, serialize."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS, Pagination, paginated_schema, parse
from core.errors import ValidationFailed
from core.query import whole_number
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints import selectors, services
from endpoints import serializers as s
from endpoints.access import Action, project_membership
from endpoints.variables import is_known_dynamic

User = get_user_model()


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
            actor=request.user,
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
            project=membership.project, user_ref=data["user"], role=data["role"], actor=request.user
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
            project=membership.project, user_id=user_id, role=data["role"], actor=request.user
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
            OpenApiParameter(
                "recursive",
                str,
                enum=list(selectors.BOOLEAN_WORDS),
                description="Delete contents too.",
            ),
        ],
        responses={204: None, **ERRORS},
    )
    def delete(self, request: Request, project_id: int, folder_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        folder = selectors.folder_get(project=membership.project, folder_id=folder_id)
        recursive_word = request.query_params.get("recursive", "false")
        if recursive_word not in selectors.BOOLEAN_WORDS:
            raise ValidationFailed({"recursive": ["Use true or false."]})
        recursive = selectors.BOOLEAN_WORDS[recursive_word]
        services.folder_delete(
            folder=folder,
            recursive=recursive,
            expected_version=expected_version(request),
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- endpoints ------------------------------------------------------------------------------

LIST_FILTERS = [
    OpenApiParameter("folder", str, description="Folder id, or 'root' for the top level."),
    OpenApiParameter(
        "recursive",
        str,
        enum=list(selectors.BOOLEAN_WORDS),
        description="With folder: include sub-folders.",
    ),
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
        rows = paginator.paginate_queryset(selectors.endpoint_rows(queryset), request, view=self)
        return paginator.get_paginated_response(
            [s.endpoint_row_data(row) for row in selectors.endpoint_rows_complete(rows)]
        )

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
        services.endpoint_delete(
            endpoint=endpoint, expected_version=expected_version(request), actor=request.user
        )
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
        return Response(
            s.tag_data(services.tag_rename(tag=tag, name=data["name"], actor=request.user))
        )

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, tag_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        services.tag_delete(
            tag=selectors.tag_get(project=membership.project, tag_id=tag_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- environments and variables -------------------------------------------------------------


class EnvironmentListCreate(APIView):
    @extend_schema(
        operation_id="environments_list",
        responses={200: s.EnvironmentOutSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        environments = selectors.project_environments(project=membership.project)
        return Response([s.environment_data(e) for e in environments])

    @extend_schema(
        request=s.EnvironmentInSerializer, responses={201: s.EnvironmentOutSerializer, **ERRORS}
    )
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.EnvironmentInSerializer, request)
        created = services.environment_create(
            project=membership.project,
            actor=request.user,
            name=data["name"],
            base_url=data.get("base_url", ""),
            position=data.get("position"),
        )
        environment = selectors.environment_get(
            project=membership.project, environment_id=created.pk
        )
        return Response(
            s.environment_data(environment),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{environment.version}"'},
        )


class EnvironmentDetail(APIView):
    @extend_schema(responses={200: s.EnvironmentOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int, environment_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        environment = selectors.environment_get(
            project=membership.project, environment_id=environment_id
        )
        return versioned(s.environment_data(environment), environment.version)

    @extend_schema(
        request=s.EnvironmentInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.EnvironmentOutSerializer, **ERRORS},
        description="Rename (name), change base_url, or reorder (position).",
    )
    def patch(self, request: Request, project_id: int, environment_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.EnvironmentInSerializer, request, partial=True)
        environment = selectors.environment_get(
            project=membership.project, environment_id=environment_id
        )
        services.environment_update(
            environment=environment,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
            name=data.get("name"),
            base_url=data.get("base_url"),
            position=data.get("position"),
        )
        environment = selectors.environment_get(
            project=membership.project, environment_id=environment_id
        )
        return versioned(s.environment_data(environment), environment.version)

    @extend_schema(
        parameters=[VERSION_HEADER],
        responses={204: None, **ERRORS},
        description="Deletes the environment and its variables.",
    )
    def delete(self, request: Request, project_id: int, environment_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        environment = selectors.environment_get(
            project=membership.project, environment_id=environment_id
        )
        services.environment_delete(
            environment=environment, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariableListCreate(APIView):
    @extend_schema(
        operation_id="variables_list",
        parameters=[
            OpenApiParameter(
                "environment", str, description="An environment id, or 'global' for globals."
            )
        ],
        responses={200: s.VariableOutSerializer(many=True), **ERRORS},
        description="Globals and environment variables. Secret values are never returned; "
        "current_value is your own private value.",
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        variables = selectors.project_variables(
            project=membership.project,
            user=request.user,
            environment=request.query_params.get("environment"),
        )
        return Response([s.variable_data(v) for v in variables])

    @extend_schema(
        request=s.VariableInSerializer, responses={201: s.VariableOutSerializer, **ERRORS}
    )
    def post(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.VariableInSerializer, request)
        created = services.variable_create(
            project=membership.project,
            actor=request.user,
            name=data["name"],
            environment_id=data.get("environment"),
            initial_value=data.get("initial_value", ""),
            description=data.get("description", ""),
            secret=data.get("secret", False),
            position=data.get("position"),
        )
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=created.pk
        )
        return Response(
            s.variable_data(variable),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{variable.version}"'},
        )


class VariableDetail(APIView):
    @extend_schema(responses={200: s.VariableOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int, variable_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        return versioned(s.variable_data(variable), variable.version)

    @extend_schema(
        request=s.VariableInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.VariableOutSerializer, **ERRORS},
        description="Change name, initial_value, description, secret or position. Turning "
        "secret off clears the initial value unless a new one is sent too.",
    )
    def patch(self, request: Request, project_id: int, variable_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.VariableInSerializer, request, partial=True)
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        if "environment" in data and data["environment"] != variable.environment_id:
            raise ValidationFailed(
                {"environment": ["A variable stays in its scope; create it in the other one."]}
            )
        services.variable_update(
            variable=variable,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
            name=data.get("name"),
            initial_value=data.get("initial_value"),
            description=data.get("description"),
            secret=data.get("secret"),
            position=data.get("position"),
        )
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        return versioned(s.variable_data(variable), variable.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, variable_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        services.variable_delete(variable=variable, expected_version=expected_version(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariableCurrentValue(APIView):
    """Your own private current value; any member, viewers included, may set theirs."""

    @extend_schema(
        request=s.CurrentValueInSerializer, responses={200: s.VariableOutSerializer, **ERRORS}
    )
    def put(self, request: Request, project_id: int, variable_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        data = parse(s.CurrentValueInSerializer, request)
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        services.current_value_set(variable=variable, user=request.user, value=data["value"])
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        return Response(s.variable_data(variable))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: Request, project_id: int, variable_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        variable = selectors.variable_get(
            project=membership.project, user=request.user, variable_id=variable_id
        )
        services.current_value_clear(variable=variable, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _environment_param(raw: str | None) -> int | None:
    if raw is None or raw.strip().lower() in {"", "none", "null", "global"}:
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed({"environment": ["Use an environment id, or leave it out."]})
    return int(raw)


class EndpointVariables(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "environment",
                str,
                description="Resolve with this environment (its id); empty, 'global' or 'none' "
                "for the globals only.",
            )
        ],
        responses={200: s.EndpointVariablesSerializer, **ERRORS},
        description="Which variables the endpoint uses and where, and whether each has a "
        "value for you with the chosen environment. Values are not shown.",
    )
    def get(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        environment_id = _environment_param(request.query_params.get("environment"))
        sources = selectors.variable_sources_for(
            project=membership.project, user=request.user, environment_id=environment_id
        )
        variables, unresolved = [], []
        for entry in s.endpoint_variables_used(endpoint):
            name = entry["name"]
            if entry["dynamic"]:
                resolves, source, secret = is_known_dynamic(name), "dynamic", False
            else:
                found = sources.get(name)
                resolves = found is not None
                source = found.source if found else None
                secret = bool(found and found.secret)
            variables.append({**entry, "resolves": resolves, "source": source, "secret": secret})
            if not resolves:
                unresolved.extend({"name": name, "where": where} for where in entry["where"])
        return Response(
            {"environment": environment_id, "variables": variables, "unresolved": unresolved}
        )


class EndpointPreview(APIView):
    @extend_schema(
        request=s.PreviewInSerializer,
        responses={200: s.PreviewOutSerializer, **ERRORS},
        description="The endpoint's handshake resolved for you with the chosen environment, "
        "secrets shown as ••••, without connecting. 400 unresolved_variables names every "
        "unknown variable and where it is used.",
    )
    def post(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        data = parse(s.PreviewInSerializer, request)
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        resolved = selectors.resolve_handshake_for(
            project=membership.project,
            user=request.user,
            environment_id=data.get("environment"),
            handshake=selectors.endpoint_handshake(endpoint),
            overrides=data.get("values"),
        )
        return Response({"environment": data.get("environment"), "handshake": resolved.masked})


# --- history, comments and project events ---------------------------------------------------


class EndpointHistory(APIView):
    @extend_schema(
        operation_id="endpoint_history_list",
        responses={
            200: paginated_schema(s.RevisionOutSerializer, "PaginatedRevisionList"),
            **ERRORS,
        },
        description="Every change to the endpoint, newest first: who, when, and each changed "
        "field's old and new value.",
    )
    def get(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.endpoint_history(endpoint=endpoint), request, view=self
        )
        return paginator.get_paginated_response([s.revision_data(r) for r in page])


class EndpointRevisionDetail(APIView):
    @extend_schema(
        responses={200: s.EndpointRevisionDetailSerializer, **ERRORS},
        description="One revision, with the endpoint as it was right after it.",
    )
    def get(
        self, request: Request, project_id: int, endpoint_id: int, revision_id: int
    ) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        revision = selectors.revision_get(endpoint=endpoint, revision_id=revision_id)
        return Response(s.revision_data(revision, with_snapshot=True))


class EndpointRevert(APIView):
    @extend_schema(
        request=s.RevertInSerializer,
        parameters=[VERSION_HEADER],
        responses={200: s.EndpointOutSerializer, **ERRORS},
        description="Make the endpoint as it was after this revision. The revert is a new "
        "revision (history is never rewritten); a stale version is rejected with 412.",
    )
    def post(
        self, request: Request, project_id: int, endpoint_id: int, revision_id: int
    ) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.WRITE
        )
        data = parse(s.RevertInSerializer, request)
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        revision = selectors.revision_get(endpoint=endpoint, revision_id=revision_id)
        services.endpoint_revert(
            endpoint=endpoint,
            revision=revision,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
        )
        endpoint = selectors.endpoint_get(project=membership.project, endpoint_id=endpoint_id)
        return versioned(s.endpoint_data(endpoint), endpoint.version)


class FolderHistory(APIView):
    @extend_schema(
        operation_id="folder_history_list",
        responses={
            200: paginated_schema(s.FolderRevisionOutSerializer, "PaginatedFolderRevisionList"),
            **ERRORS,
        },
        description="Creation, renames and moves of the folder, newest first.",
    )
    def get(self, request: Request, project_id: int, folder_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        folder = selectors.folder_get(project=membership.project, folder_id=folder_id)
        paginator = Pagination()
        page = paginator.paginate_queryset(
            selectors.folder_history(folder=folder), request, view=self
        )
        return paginator.get_paginated_response(
            [s.revision_data(r, with_snapshot=True) for r in page]
        )


class CommentListCreate(APIView):
    @extend_schema(
        operation_id="comments_list",
        parameters=[OpenApiParameter("state", str, enum=list(selectors.COMMENT_STATES))],
        responses={
            200: paginated_schema(s.CommentOutSerializer, "PaginatedCommentList"),
            **ERRORS,
        },
        description="Comments on the endpoint, oldest first; state=open or resolved filters.",
    )
    def get(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        comments = selectors.endpoint_comments(
            endpoint=endpoint, state=request.query_params.get("state", "all")
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response([s.comment_data(c) for c in page])

    @extend_schema(
        request=s.CommentInSerializer,
        responses={201: s.CommentOutSerializer, **ERRORS},
        description="Any member may comment, viewers included. @username of a member is a "
        "mention; of anyone else, plain text.",
    )
    def post(self, request: Request, project_id: int, endpoint_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.COMMENT
        )
        data = parse(s.CommentInSerializer, request)
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        comment = services.comment_create(endpoint=endpoint, actor=request.user, body=data["body"])
        return Response(s.comment_data(comment), status=status.HTTP_201_CREATED)


class CommentDetail(APIView):
    def _comment(
        self, request: Request, project_id: int, endpoint_id: int, comment_id: int, action: Action
    ) -> tuple[Any, Any]:
        membership = project_membership(user=request.user, project_id=project_id, action=action)
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        return membership, selectors.comment_get(endpoint=endpoint, comment_id=comment_id)

    @extend_schema(responses={200: s.CommentOutSerializer, **ERRORS})
    def get(self, request: Request, project_id: int, endpoint_id: int, comment_id: int) -> Response:
        _, comment = self._comment(request, project_id, endpoint_id, comment_id, Action.READ)
        return Response(s.comment_data(comment))

    @extend_schema(
        request=s.CommentInSerializer,
        responses={200: s.CommentOutSerializer, **ERRORS},
        description="Edit the body; only its author may.",
    )
    def patch(
        self, request: Request, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        _, comment = self._comment(request, project_id, endpoint_id, comment_id, Action.COMMENT)
        data = parse(s.CommentInSerializer, request)
        comment = services.comment_update(comment=comment, actor=request.user, body=data["body"])
        return Response(s.comment_data(comment))

    @extend_schema(
        responses={204: None, **ERRORS},
        description="Delete; the author may, and project admins may delete any comment.",
    )
    def delete(
        self, request: Request, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        membership, comment = self._comment(
            request, project_id, endpoint_id, comment_id, Action.COMMENT
        )
        services.comment_delete(comment=comment, actor=request.user, role=membership.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CommentResolve(APIView):
    resolved = True

    @extend_schema(
        request=None,
        responses={200: s.CommentOutSerializer, **ERRORS},
        description="Editors, admins and the comment's author may resolve and reopen.",
    )
    def post(
        self, request: Request, project_id: int, endpoint_id: int, comment_id: int
    ) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.COMMENT
        )
        endpoint = selectors.endpoint_head(project=membership.project, endpoint_id=endpoint_id)
        comment = services.comment_set_resolved(
            comment=selectors.comment_get(endpoint=endpoint, comment_id=comment_id),
            actor=request.user,
            role=membership.role,
            resolved=self.resolved,
        )
        return Response(s.comment_data(comment))


class CommentReopen(CommentResolve):
    resolved = False


class ProjectEvents(APIView):
    @extend_schema(
        operation_id="project_events_list",
        parameters=[
            OpenApiParameter("after", int, description="Last sequence number you have (0: all)."),
            OpenApiParameter("limit", int, description="At most this many (1-1000, default 500)."),
        ],
        responses={200: s.ProjectEventsSerializer, **ERRORS},
        description="The project's stored live events after a sequence number: the same "
        "events WS /ws/projects/{id}/ sends, for scripts that poll.",
    )
    def get(self, request: Request, project_id: int) -> Response:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        after = whole_number(request.query_params, "after", default=0, low=0, high=10**18)
        limit = whole_number(request.query_params, "limit", default=500, low=1, high=1000)
        events = selectors.project_events(
            project_id=membership.project.pk, after=after, limit=limit
        )
        return Response({"events": events, "last_seq": membership.project.last_event_seq})
