"""REST API of environments, variables, and what an endpoint resolves to."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.errors import ValidationFailed
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.environments import selectors, services
from endpoints.environments import serializers as s
from endpoints.projects.access import Action, ProjectView, project_actions
from endpoints.tree.selectors import auth_inherited, endpoint_get, endpoint_handshake


class EnvironmentListCreate(ProjectView):
    @extend_schema(
        responses={200: s.EnvironmentOutSerializer(many=True), **ERRORS},
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        environments = selectors.project_environments(project=self.project)
        return Response([s.environment_data(e) for e in environments])

    @extend_schema(
        request=s.EnvironmentInSerializer, responses={201: s.EnvironmentOutSerializer, **ERRORS}
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.EnvironmentInSerializer, request)
        created = services.environment_create(
            project=self.project,
            actor=request.user,
            name=data["name"],
            base_url=data.get("base_url", ""),
            position=data.get("position"),
        )
        environment = selectors.environment_get(project=self.project, environment_id=created.pk)
        return versioned(
            s.environment_data(environment), environment.version, status.HTTP_201_CREATED
        )


class EnvironmentDetail(ProjectView):
    @extend_schema(responses={200: s.EnvironmentOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, environment_id: int) -> Response:
        environment = selectors.environment_get(project=self.project, environment_id=environment_id)
        return versioned(s.environment_data(environment), environment.version)

    @extend_schema(
        request=s.EnvironmentInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.EnvironmentOutSerializer, **ERRORS},
        description="Rename (name), change base_url, or reorder (position).",
    )
    def patch(
        self, request: AuthenticatedRequest, project_id: int, environment_id: int
    ) -> Response:
        data = parse(s.EnvironmentInSerializer, request, partial=True)
        environment = selectors.environment_get(project=self.project, environment_id=environment_id)
        services.environment_update(
            environment=environment,
            actor=request.user,
            expected_version=expected_version(request, data.get("version")),
            name=data.get("name"),
            base_url=data.get("base_url"),
            position=data.get("position"),
        )
        environment = selectors.environment_get(project=self.project, environment_id=environment_id)
        return versioned(s.environment_data(environment), environment.version)

    @extend_schema(
        parameters=[VERSION_HEADER],
        responses={204: None, **ERRORS},
        description="Deletes the environment and its variables.",
    )
    def delete(
        self, request: AuthenticatedRequest, project_id: int, environment_id: int
    ) -> Response:
        environment = selectors.environment_get(project=self.project, environment_id=environment_id)
        services.environment_delete(
            environment=environment,
            expected_version=expected_version(request),
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariableListCreate(ProjectView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "environment", str, description="An environment id, or 'global' for globals."
            )
        ],
        responses={200: s.VariableOutSerializer(many=True), **ERRORS},
        description="Globals and environment variables. Secret values are never returned; "
        "current_value is your own private value.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        filters = s.VariableFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        variables = selectors.project_variables(
            project=self.project, user=request.user, **filters.validated_data
        )
        return Response([s.variable_data(v) for v in variables])

    @extend_schema(
        request=s.VariableInSerializer, responses={201: s.VariableOutSerializer, **ERRORS}
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.VariableInSerializer, request)
        created = services.variable_create(
            project=self.project,
            actor=request.user,
            name=data["name"],
            environment_id=data.get("environment"),
            initial_value=data.get("initial_value", ""),
            description=data.get("description", ""),
            secret=data.get("secret", False),
            position=data.get("position"),
        )
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=created.pk
        )
        return versioned(s.variable_data(variable), variable.version, status.HTTP_201_CREATED)


class VariableDetail(ProjectView):
    @extend_schema(responses={200: s.VariableOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, variable_id: int) -> Response:
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
        )
        return versioned(s.variable_data(variable), variable.version)

    @extend_schema(
        request=s.VariableInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.VariableOutSerializer, **ERRORS},
        description="Change name, initial_value, description, secret or position. Turning "
        "secret off clears the initial value unless a new one is sent too.",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, variable_id: int) -> Response:
        data = parse(s.VariableInSerializer, request, partial=True)
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
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
            project=self.project, user=request.user, variable_id=variable_id
        )
        return versioned(s.variable_data(variable), variable.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, variable_id: int) -> Response:
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
        )
        services.variable_delete(
            variable=variable, expected_version=expected_version(request), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VariableCurrentValue(ProjectView):
    """Your own private current value; any member, viewers included, may set theirs."""

    actions = project_actions(delete=Action.READ, put=Action.READ)

    @extend_schema(
        request=s.CurrentValueInSerializer, responses={200: s.VariableOutSerializer, **ERRORS}
    )
    def put(self, request: AuthenticatedRequest, project_id: int, variable_id: int) -> Response:
        data = parse(s.CurrentValueInSerializer, request)
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
        )
        services.current_value_set(variable=variable, user=request.user, value=data["value"])
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
        )
        return Response(s.variable_data(variable))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, variable_id: int) -> Response:
        variable = selectors.variable_get(
            project=self.project, user=request.user, variable_id=variable_id
        )
        services.current_value_clear(variable=variable, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EndpointVariables(ProjectView):
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
    def get(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        endpoint = endpoint_get(project=self.project, endpoint_id=endpoint_id)
        filters = s.EndpointVariablesFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return Response(
            selectors.endpoint_variable_status(
                project=self.project,
                user=request.user,
                endpoint=endpoint,
                environment_id=filters.validated_data["environment"],
            )
        )


class EndpointPreview(ProjectView):
    actions = project_actions(post=Action.READ)

    @extend_schema(
        request=s.PreviewInSerializer,
        responses={200: s.PreviewOutSerializer, **ERRORS},
        description="The endpoint's handshake resolved for you with the chosen environment "
        "and its effective Auth tab, secrets and credentials shown as ••••, without connecting. 400 unresolved_variables names every "
        "unknown variable and where it is used.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int, endpoint_id: int) -> Response:
        data = parse(s.PreviewInSerializer, request)
        endpoint = endpoint_get(project=self.project, endpoint_id=endpoint_id)
        resolved = selectors.resolve_handshake_for(
            project=self.project,
            user=request.user,
            environment_id=data.get("environment"),
            handshake=endpoint_handshake(endpoint),
            overrides=data.get("values"),
            auth=auth_inherited(
                own=endpoint.auth, project=self.project, folder_id=endpoint.folder_id
            ).auth,
        )
        return Response({"environment": data.get("environment"), "handshake": resolved.masked})
