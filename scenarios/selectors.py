"""Reading scenarios: the list of a project (filtered) and one scenario, in fixed queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from endpoints.models import Endpoint, Message, Project
from scenarios.engine.steps import DocumentedMessage, EndpointFacts, step_variables
from scenarios.models import (
    Run,
    RunSession,
    Scenario,
    ScenarioFolder,
    ScenarioRevision,
    SuiteRun,
)
from sessions.models import DebugSession


def endpoint_facts(*, project: Project, steps: Any) -> dict[int, EndpointFacts]:
    """The facts of every endpoint of ``project`` a connect step names, in two queries."""
    ids = {
        step["endpoint"]
        for step in (steps if isinstance(steps, list) else ())
        if isinstance(step, Mapping)
        and step.get("kind") == "connect"
        and isinstance(step.get("endpoint"), int)
        and not isinstance(step.get("endpoint"), bool)
    }
    if not ids:
        return {}
    rows = Endpoint.objects.filter(project=project, pk__in=ids).values_list(
        "pk", "name", "protocol"
    )
    names = {pk: name for pk, name, _ in rows}
    protocols = {pk: protocol for pk, _, protocol in rows}
    messages: dict[int, dict[str, DocumentedMessage]] = {pk: {} for pk in names}
    for endpoint_id, name, direction, examples, event in Message.objects.filter(
        endpoint_id__in=names
    ).values_list("endpoint_id", "name", "direction", "examples", "event"):
        examples = examples or ()
        messages[endpoint_id][name] = DocumentedMessage(
            direction,
            tuple(str(example.get("name")) for example in examples),
            {
                str(example.get("name")): tuple(step_variables(str(example.get("body", ""))))
                for example in examples
            },
            event,
        )
    return {pk: EndpointFacts(name, messages[pk], protocols[pk]) for pk, name in names.items()}


def scenarios_of(
    *, project: Project, folder: int | None = None, tag: str | None = None, q: str = ""
) -> QuerySet[Scenario]:
    rows = Scenario.objects.filter(project=project).prefetch_related("tags")
    if folder is not None:
        rows = rows.filter(folder_id=folder)
    if tag:
        rows = rows.filter(tags__name__iexact=tag)
    if q:
        rows = rows.filter(name__icontains=q)
    return rows.order_by("folder_id", "position", "id")


def scenario_get(*, project: Project, scenario_id: int) -> Scenario:
    row = (
        Scenario.objects.select_related("project", "created_by", "updated_by")
        .prefetch_related("tags")
        .filter(project=project, pk=scenario_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def scenario_history(*, scenario: Scenario) -> QuerySet[ScenarioRevision]:
    return ScenarioRevision.objects.filter(scenario=scenario).select_related("actor")


def run_get(*, project: Project, run_id: int) -> Run:
    row = (
        Run.objects.select_related("started_by")
        .prefetch_related("sessions")
        .filter(project=project, pk=run_id)
        .first()
    )
    if row is None:
        raise NotFound()
    return row


def runs_of(*, scenario: Scenario, limit: int = 50) -> list[Run]:
    return list(
        Run.objects.filter(scenario=scenario)
        .select_related("started_by")
        .defer("iterations", "steps", "data_table", "scenario_variables")
        .order_by("-id")[:limit]
    )


def suite_get(*, project: Project, suite_id: int) -> tuple[SuiteRun, list[Run]]:
    suite = (
        SuiteRun.objects.filter(project=project, pk=suite_id).select_related("started_by").first()
    )
    if suite is None:
        raise NotFound()
    runs = list(
        Run.objects.filter(suite=suite)
        .select_related("started_by")
        .prefetch_related("sessions")
        .order_by("position", "id")
    )
    return suite, runs


def run_session(*, project: Project, run_id: int, session_id: int) -> DebugSession:
    """A connection's session of a run of ``project`` (404 unless it is one)."""
    found = (
        RunSession.objects.filter(run_id=run_id, run__project=project, session_id=session_id)
        .select_related("session")
        .first()
    )
    if found is None:
        raise NotFound()
    return found.session


def scenario_folders(*, project: Project) -> QuerySet[ScenarioFolder]:
    return ScenarioFolder.objects.filter(project=project).order_by("parent_id", "position", "id")


def scenario_folder_get(*, project: Project, folder_id: int) -> ScenarioFolder:
    row = ScenarioFolder.objects.filter(project=project, pk=folder_id).first()
    if row is None:
        raise NotFound()
    return row
