"""REST API of project schemas, and generating a schema from an example or a logged frame."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.errors import ValidationFailed
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.models import ProjectSchema
from endpoints.projects.access import Action, ProjectView, project_actions
from endpoints.rows import UNSET
from endpoints.schemas import generate, selectors, services
from endpoints.schemas import serializers as s


def _data(view: ProjectView, row: ProjectSchema) -> dict:
    usage = selectors.schema_usage(project=view.project, names=[row.name])
    return s.schema_data(row, usage.get(row.name, []))


class SchemaListCreate(ProjectView):
    @extend_schema(
        responses={200: s.ProjectSchemaOutSerializer(many=True), **ERRORS},
        description="The project's reusable schemas, by name, each with the messages using it.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        usage = selectors.schema_usage(project=self.project)
        rows = selectors.project_schemas(project=self.project)
        return Response([s.schema_data(row, usage.get(row.name, [])) for row in rows])

    @extend_schema(
        request=s.ProjectSchemaInSerializer,
        responses={201: s.ProjectSchemaOutSerializer, **ERRORS},
        description="Send the schema as JSON in `schema`, or as text in `schema_text`.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.ProjectSchemaInSerializer, request)
        created = services.schema_create(
            project=self.project,
            actor=request.user,
            name=data["name"],
            description=data.get("description", ""),
            schema=data["schema"],
        )
        row = selectors.schema_get(project=self.project, schema_id=created.pk)
        return versioned(_data(self, row), row.version, status.HTTP_201_CREATED)


class SchemaDetail(ProjectView):
    @extend_schema(responses={200: s.ProjectSchemaOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, schema_id: int) -> Response:
        row = selectors.schema_get(project=self.project, schema_id=schema_id)
        return versioned(_data(self, row), row.version)

    @extend_schema(
        request=s.ProjectSchemaInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.ProjectSchemaOutSerializer, **ERRORS},
        description="Needs the version you read (`version` or If-Match). A rename of a schema in "
        "use is refused (409 schema_in_use), as is a change that would make a referring "
        "message's stored example invalid (400).",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, schema_id: int) -> Response:
        data = parse(s.ProjectSchemaInSerializer, request, partial=True)
        version = expected_version(request, data.get("version"))
        if version is None:
            raise ValidationFailed(
                {"version": ['Send the version you read (a "version" field or If-Match).']}
            )
        row = selectors.schema_get(project=self.project, schema_id=schema_id)
        services.schema_update(
            project_schema=row,
            actor=request.user,
            expected_version=version,
            name=data.get("name"),
            description=data.get("description"),
            schema=data.get("schema", UNSET),
        )
        row = selectors.schema_get(project=self.project, schema_id=schema_id)
        return versioned(_data(self, row), row.version)

    @extend_schema(
        parameters=[VERSION_HEADER],
        responses={204: None, **ERRORS},
        description="Refused (409 schema_in_use) while messages or other schemas refer to it.",
    )
    def delete(self, request: AuthenticatedRequest, project_id: int, schema_id: int) -> Response:
        row = selectors.schema_get(project=self.project, schema_id=schema_id)
        services.schema_delete(
            project_schema=row, actor=request.user, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SchemaGenerate(ProjectView):
    # It writes nothing: whoever may read the project may generate.
    actions = project_actions(post=Action.READ)

    @extend_schema(
        request=s.GenerateInSerializer,
        responses={200: s.GenerateOutSerializer, **ERRORS},
        description='A schema generated from {"example": "<JSON text>"} or from a logged frame '
        'of one of your sessions in this project, {"session": id, "seq": n}. Saves nothing.',
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.GenerateInSerializer, request)
        if "example" in data:
            schema = generate.schema_from_text(data["example"], field="example")
        else:
            frame = selectors.logged_frame(
                project=self.project, user=request.user, session_id=data["session"], seq=data["seq"]
            )
            text = generate.frame_text(frame, data["seq"])
            schema = generate.schema_from_text(text, field="seq", what=f"Frame {data['seq']}")
        return Response({"schema": schema})
