"""REST API of test scenarios: list, create, read, change, delete, and each one's history.
Editors and admins write; every member reads (and, once runs exist, runs)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.errors import ValidationFailed
from core.query import as_whole_number, whole_number
from core.requests import AuthenticatedRequest
from core.versioning import VERSION_HEADER, expected_version, versioned
from endpoints.projects.access import Action, ProjectView, project_actions
from scenarios import run_services, run_store, selectors, services
from scenarios import serializers as s
from scenarios.junit import junit_xml
from scenarios.models import Scenario
from sessions import selectors as session_selectors
from sessions.event_serializers import EventPageSerializer
from sessions.relay.protocol import event_data


def _data(row: Scenario) -> dict[str, Any]:
    facts = selectors.endpoint_facts(project=row.project, steps=row.steps)
    return s.scenario_data(row, facts.get)


FILTERS = [
    OpenApiParameter("folder", int, description="Only the scenarios of this scenario folder."),
    OpenApiParameter("tag", str, description="Only scenarios with this tag (any case)."),
    OpenApiParameter("q", str, description="Only scenarios whose name contains this."),
]


class ScenarioListCreate(ProjectView):
    @extend_schema(
        parameters=FILTERS,
        responses={200: s.ScenarioSummarySerializer(many=True), **ERRORS},
        description="The project's scenarios, by folder and position.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        folder_text = request.query_params.get("folder")
        folder = as_whole_number(folder_text) if folder_text else None
        if folder_text and folder is None:
            raise ValidationFailed({"folder": ["A scenario folder id."]})
        rows = selectors.scenarios_of(
            project=self.project,
            folder=folder,
            tag=request.query_params.get("tag"),
            q=request.query_params.get("q", "").strip(),
        )
        return Response([s.scenario_summary(row) for row in rows])

    @extend_schema(
        request=s.ScenarioInSerializer,
        responses={201: s.ScenarioOutSerializer, **ERRORS},
        description="Every field is checked before anything is written: a bad step is a 400 "
        "naming it and its field (steps[3].assertions[0].path).",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.ScenarioInSerializer, request)
        data.pop("version", None)
        created = services.scenario_create(project=self.project, actor=request.user, **data)
        row = selectors.scenario_get(project=self.project, scenario_id=created.pk)
        return versioned(_data(row), row.version, status.HTTP_201_CREATED)


class ScenarioDetail(ProjectView):
    @extend_schema(responses={200: s.ScenarioOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        return versioned(_data(row), row.version)

    @extend_schema(
        request=s.ScenarioInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.ScenarioOutSerializer, **ERRORS},
        description="Changes the fields sent; needs the version you read (`version` or "
        "If-Match). A change is one revision in the scenario's history.",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        data = parse(s.ScenarioInSerializer, request, partial=True)
        version = expected_version(request, data.pop("version", None))
        if version is None:
            raise ValidationFailed(
                {"version": ['Send the version you read (a "version" field or If-Match).']}
            )
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        services.scenario_update(
            scenario=row, actor=request.user, expected_version=version, changes=data
        )
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        return versioned(_data(row), row.version)

    @extend_schema(parameters=[VERSION_HEADER], responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        services.scenario_delete(
            scenario=row, actor=request.user, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScenarioHistory(ProjectView):
    @extend_schema(
        responses={200: s.ScenarioRevisionSerializer(many=True), **ERRORS},
        description="The scenario's revisions, newest first.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        return Response([s.revision_data(r) for r in selectors.scenario_history(scenario=row)])


# --- runs -----------------------------------------------------------------------------------

# Every member may run a scenario (a run writes only its own results and sessions).
RUN_ACTIONS = project_actions(get=Action.READ, post=Action.READ)


class ScenarioRuns(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(
        responses={200: s.RunSummarySerializer(many=True), **ERRORS},
        description="The scenario's latest 50 runs, newest first.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        run_store.stale_runs_end()
        return Response([s.run_summary(run) for run in selectors.runs_of(scenario=row)])

    @extend_schema(
        request=s.RunInSerializer,
        responses={201: s.RunOutSerializer, **ERRORS},
        description="Run the scenario on the server (every row of its data table). With "
        "`wait`, answers when it finished; else at once, `queued` or `running`: read it at "
        "`/runs/{id}/`. 429 too_many_runs past SCENARIO_MAX_RUNS_PER_USER.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int, scenario_id: int) -> Response:
        data = parse(s.RunInSerializer, request)
        row = selectors.scenario_get(project=self.project, scenario_id=scenario_id)
        run = run_services.run_start(
            scenario=row,
            actor=request.user,
            environment=data.get("environment"),
            variables=data.get("variables"),
        )
        if data["wait"]:
            run_services.run_wait(run)
        run = selectors.run_get(project=self.project, run_id=run.pk)
        return Response(s.run_data(run), status=status.HTTP_201_CREATED)


class RunDetail(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(responses={200: s.RunOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, run_id: int) -> Response:
        run_store.stale_runs_end(run_ids=[run_id])
        run = selectors.run_get(project=self.project, run_id=run_id)
        return Response(s.run_data(run))


class SuiteRuns(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(
        request=s.SuiteInSerializer,
        responses={201: s.SuiteOutSerializer, **ERRORS},
        description="Run many scenarios — `scenarios` (ids, in this order), a `tag` or a "
        "`folder` — at most `parallelism` at a time.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.SuiteInSerializer, request)
        chosen = run_services.suite_scenarios(
            project=self.project,
            scenarios=data.get("scenarios"),
            tag=data.get("tag"),
            folder=data.get("folder"),
        )
        selection = {key: data[key] for key in ("scenarios", "tag", "folder") if key in data}
        suite = run_services.suite_start(
            project=self.project,
            actor=request.user,
            scenarios=chosen,
            selection=selection,
            environment=data.get("environment"),
            variables=data.get("variables"),
            parallelism=data["parallelism"],
        )
        if data["wait"]:
            run_services.suite_wait(suite)
        found, runs = selectors.suite_get(project=self.project, suite_id=suite.pk)
        return Response(s.suite_data(found, runs), status=status.HTTP_201_CREATED)


class SuiteDetail(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(responses={200: s.SuiteOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, suite_id: int) -> Response:
        run_store.stale_runs_end()
        suite, runs = selectors.suite_get(project=self.project, suite_id=suite_id)
        return Response(s.suite_data(suite, runs))


def _xml(document: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(document, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


JUNIT_RESPONSES: dict[Any, Any] = {(200, "application/xml"): OpenApiTypes.STR, **ERRORS}


class RunJUnit(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(
        responses=JUNIT_RESPONSES,
        description="The run as JUnit XML: one testsuite per iteration, one testcase per step.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, run_id: int) -> HttpResponse:
        run_store.stale_runs_end(run_ids=[run_id])
        run = selectors.run_get(project=self.project, run_id=run_id)
        return _xml(junit_xml(s.run_data(run)), f"run-{run.pk}.xml")


class SuiteJUnit(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(
        responses=JUNIT_RESPONSES,
        description="The suite as JUnit XML (Jenkins, GitLab and GitHub test reporters read it).",
    )
    def get(self, request: AuthenticatedRequest, project_id: int, suite_id: int) -> HttpResponse:
        run_store.stale_runs_end()
        suite, runs = selectors.suite_get(project=self.project, suite_id=suite_id)
        return _xml(junit_xml(s.suite_data(suite, runs)), f"suite-{suite.pk}.xml")


class RunSessionEvents(ProjectView):
    actions = RUN_ACTIONS

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Only events with a larger seq."),
            OpenApiParameter("limit", int, description="At most this many (default 100)."),
        ],
        responses={200: EventPageSerializer, **ERRORS},
        description="The log of one of the run's connections (a debug session of the member "
        "who started the run), for every member of the project, read through the run.",
    )
    def get(
        self, request: AuthenticatedRequest, project_id: int, run_id: int, session_id: int
    ) -> Response:
        session = selectors.run_session(project=self.project, run_id=run_id, session_id=session_id)
        params = request.query_params
        after = whole_number(params, "after", default=0, low=0, high=2**62)
        limit = whole_number(params, "limit", default=100, low=1, high=settings.API_MAX_PAGE_SIZE)
        events, has_more = session_selectors.session_events(
            session=session, after=after, limit=limit
        )
        next_after = events[-1].seq if events and has_more else None
        return Response(
            {
                "results": [event_data(event) for event in events],
                "has_more": has_more,
                "next_after": next_after,
                "next": None
                if next_after is None
                else request.build_absolute_uri(f"{request.path}?after={next_after}&limit={limit}"),
            }
        )


# --- folders --------------------------------------------------------------------------------


class ScenarioFolderListCreate(ProjectView):
    @extend_schema(
        responses={200: s.ScenarioFolderOutSerializer(many=True), **ERRORS},
        description="The scenario folders of the project (a tree by `parent`), by position.",
    )
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response(
            [s.folder_data(f) for f in selectors.scenario_folders(project=self.project)]
        )

    @extend_schema(
        request=s.ScenarioFolderInSerializer,
        responses={201: s.ScenarioFolderOutSerializer, **ERRORS},
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(s.ScenarioFolderInSerializer, request)
        folder = services.scenario_folder_create(
            project=self.project, actor=request.user, name=data["name"], parent=data.get("parent")
        )
        return versioned(s.folder_data(folder), folder.version, status.HTTP_201_CREATED)


class ScenarioFolderDetail(ProjectView):
    @extend_schema(
        request=s.ScenarioFolderInSerializer(partial=True),
        parameters=[VERSION_HEADER],
        responses={200: s.ScenarioFolderOutSerializer, **ERRORS},
        description="Rename, move (`parent`, null for the top) or reorder (`position`).",
    )
    def patch(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        data = parse(s.ScenarioFolderInSerializer, request, partial=True)
        version = expected_version(request, data.pop("version", None))
        folder = selectors.scenario_folder_get(project=self.project, folder_id=folder_id)
        changed = services.scenario_folder_update(
            folder=folder,
            actor=request.user,
            expected_version=version,
            name=data.get("name"),
            parent=data.get("parent", services.UNSET_PARENT),
            position=data.get("position"),
        )
        return versioned(s.folder_data(changed), changed.version)

    @extend_schema(
        parameters=[VERSION_HEADER],
        responses={204: None, **ERRORS},
        description="Only an empty folder (409 folder_not_empty otherwise).",
    )
    def delete(self, request: AuthenticatedRequest, project_id: int, folder_id: int) -> Response:
        folder = selectors.scenario_folder_get(project=self.project, folder_id=folder_id)
        services.scenario_folder_delete(
            folder=folder, actor=request.user, expected_version=expected_version(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
