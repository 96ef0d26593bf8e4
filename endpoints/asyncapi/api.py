"""REST API of AsyncAPI documents: a project's or a folder's export in YAML or JSON, and the
import of an uploaded document (with a dry run)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.errors import ValidationFailed
from core.query import whole_number
from core.requests import AuthenticatedRequest
from endpoints.asyncapi import export, selectors, services
from endpoints.asyncapi import serializers as s
from endpoints.models import Folder, Project
from endpoints.projects.access import ProjectView

FOLDER_PARAMETER = OpenApiParameter(
    "folder", int, description="Export only this folder and everything below it."
)


def document_response(document: dict, syntax: str, name: str) -> HttpResponse:
    """The document as a YAML or JSON download named after ``name``."""
    body, content_type = export.document_text(document, syntax)
    response = HttpResponse(body.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name(name, syntax)}"'
    return response


def _export(view: ProjectView, request: AuthenticatedRequest, syntax: str) -> HttpResponse:
    project: Project = view.project
    folder_id = whole_number(request.query_params, "folder", default=None, low=1, high=10**18)
    folder = None
    if folder_id is not None:
        folder = Folder.objects.filter(project=project, pk=folder_id).first()
        if folder is None:
            raise ValidationFailed({"folder": [f"No folder {folder_id} in this project."]})
    facts = selectors.export_facts(project=project, folder=folder)
    name = folder.name if folder else project.name
    return document_response(export.build_document(facts), syntax, name)


_EXPORT_DESCRIPTION = (
    "The project (or one folder of it) as an AsyncAPI 3.0.0 document: servers from the "
    "environments, a channel per endpoint, operations and messages from the documented "
    "messages, project schemas under components. Secret values are never written; their "
    "{{name}} stays. See docs/asyncapi.md."
)


class AsyncApiYaml(ProjectView):
    @extend_schema(
        parameters=[FOLDER_PARAMETER],
        # The YAML text of the same object as asyncapi.json (schemathesis parses YAML bodies).
        responses={(200, "application/yaml"): OpenApiTypes.OBJECT, **ERRORS},
        description=_EXPORT_DESCRIPTION,
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> HttpResponse:
        return _export(self, request, "yaml")


class AsyncApiJson(ProjectView):
    @extend_schema(
        parameters=[FOLDER_PARAMETER],
        responses={(200, "application/json"): OpenApiTypes.OBJECT, **ERRORS},
        description=_EXPORT_DESCRIPTION,
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> HttpResponse:
        return _export(self, request, "json")


class AsyncApiImport(ProjectView):
    @extend_schema(
        request=s.ImportInSerializer,
        responses={200: s.ImportOutSerializer, **ERRORS},
        description="Import an AsyncAPI 3.0.0 or 2.6.0 document (YAML or JSON text) into the "
        "project or one of its folders: environments from servers, endpoints from channels, "
        "documented messages from messages and operations, schemas from components. All or "
        "nothing; importing the same document again updates what it made. With dry_run, "
        "nothing is written and the answer lists what would be. A document that is too "
        "large, too deep, a YAML alias bomb, has an external $ref or is not valid AsyncAPI is "
        "a 400 whose fields.document names each place.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.ImportInSerializer, request)
        report = services.asyncapi_import(
            project=self.project,
            actor=request.user,
            text=data["document"],
            folder_id=data.get("folder"),
            dry_run=data["dry_run"],
        )
        return Response(s.report_data(report))
