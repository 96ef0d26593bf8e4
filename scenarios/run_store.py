"""The database side of a scenario run, called by the runner (in a relay, through its database
thread): load what to run, open a connection's debug session, save progress and the result.
Plain synchronous functions, a fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from endpoints.environments.selectors import variable_values_for
from endpoints.models import Endpoint, Message, Project
from scenarios.engine.data import parse_table
from scenarios.models import FINISHED, Run, RunSession, RunStatus, SuiteRun
from sessions import services as session_services
from sessions.models import Relay
from sessions.relay.registry import lost_cutoff


@dataclass(frozen=True)
class DocumentedBody:
    format: str
    examples: dict[str, str]  # name -> body, in order
    direction: str
    event: str = ""  # a Socket.IO endpoint's message: its event


@dataclass
class RunPlan:
    """What a run executes, read once when it starts."""

    run_id: int
    project_id: int
    user_id: int | None
    scenario_name: str
    environment_id: int | None
    steps: list[dict[str, Any]]
    rows: list[dict[str, str] | None]
    # The scenario's variables under the run's (the data row goes between them per iteration).
    base_variables: dict[str, str]
    run_variables: dict[str, str]
    messages: dict[int, dict[str, DocumentedBody]] = field(default_factory=dict)
    endpoint_names: dict[int, str] = field(default_factory=dict)
    endpoint_protocols: dict[int, str] = field(default_factory=dict)


def run_begin(run_id: int, relay_pk: int) -> RunPlan | str:
    """Mark the run running on this relay and read what it executes; a string when it cannot
    start (the reason it ends ``error``)."""
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return "The run was deleted."
        if run.status != RunStatus.QUEUED:
            return f"The run is already {run.status}."
        run.status = RunStatus.RUNNING
        run.relay_id = relay_pk
        run.started_at = timezone.now()
        run.save(update_fields=["status", "relay", "started_at"])
    rows: list[dict[str, str] | None] = [None]
    if run.data_table:
        rows = list(parse_table(run.data_table["format"], run.data_table["text"]).rows)
    plan = RunPlan(
        run_id=run.pk,
        project_id=run.project_id,
        user_id=run.started_by_id,
        scenario_name=run.scenario_name,
        environment_id=run.environment_id,
        steps=list(run.steps),
        rows=rows,
        base_variables={row["name"]: row["value"] for row in run.scenario_variables or ()},
        run_variables=dict(run.variables or {}),
    )
    endpoint_ids = {
        step["endpoint"]
        for step in plan.steps
        if step.get("kind") == "connect" and isinstance(step.get("endpoint"), int)
    }
    for pk, name, protocol in Endpoint.objects.filter(
        project_id=run.project_id, pk__in=endpoint_ids
    ).values_list("pk", "name", "protocol"):
        plan.endpoint_names[pk] = name
        plan.endpoint_protocols[pk] = protocol
    for endpoint_id, name, fmt, direction, examples, event in Message.objects.filter(
        endpoint_id__in=plan.endpoint_names
    ).values_list("endpoint_id", "name", "format", "direction", "examples", "event"):
        plan.messages.setdefault(endpoint_id, {})[name] = DocumentedBody(
            fmt,
            {str(e.get("name")): str(e.get("body", "")) for e in examples or ()},
            direction,
            event,
        )
    return plan


def iteration_values(plan: RunPlan, overrides: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """``(values, secrets)`` of one iteration: ``overrides`` over the environment and globals,
    as the run's starter sees them."""
    user = User.objects.get(pk=plan.user_id or 0)
    project = Project.objects.get(pk=plan.project_id)
    return variable_values_for(
        project=project, user=user, environment_id=plan.environment_id, overrides=overrides
    )


def session_open(
    plan: RunPlan,
    *,
    alias: str,
    iteration: int,
    step: dict[str, Any],
    overrides: dict[str, str],
    relay_pk: int,
) -> tuple[int, dict[str, Any]]:
    """A debug session for a connect step, owned by the run's starter and claimed for this
    relay; returns its id and the connect command (HandshakeError, UnresolvedVariables and
    the other session errors propagate: the step errs with their text)."""
    user = User.objects.get(pk=plan.user_id or 0)
    project = Project.objects.get(pk=plan.project_id)
    endpoint = None
    if "endpoint" in step:
        endpoint = Endpoint.objects.filter(project=project, pk=step["endpoint"]).first()
        if endpoint is None:
            raise LookupError(f"Endpoint {step['endpoint']} no longer exists.")
    data: dict[str, Any] = {
        "name": f"{plan.scenario_name} · {alias}"[:200],
        "variables": overrides,
    }
    if plan.environment_id is not None:
        data["environment"] = plan.environment_id
    if "url" in step:
        data["url"] = step["url"]
    for key in ("params", "headers", "cookies", "subprotocols"):
        if key in step:
            data[key] = step[key]
    session = session_services.session_create(
        actor=user, project=project, endpoint=endpoint, data=data, for_run=True
    )
    RunSession.objects.create(run_id=plan.run_id, session=session, alias=alias, iteration=iteration)
    relay = Relay.objects.get(pk=relay_pk)
    _, message, _ = session_services.session_claim(
        session=session, actor=user, relay=relay, for_run=True
    )
    return session.pk, message


def run_progress(run_id: int, iterations: list[dict[str, Any]]) -> None:
    Run.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(iterations=iterations)


def run_finish(run_id: int, status: str, error: str, iterations: list[dict[str, Any]]) -> None:
    Run.objects.filter(pk=run_id).exclude(status__in=FINISHED).update(
        status=status, error=error[:2000], iterations=iterations, finished_at=timezone.now()
    )


def stale_runs_end(*, run_ids: list[int] | None = None) -> int:
    """End ``error`` the queued or running runs (and suites) whose relay was lost, or that
    waited for a relay longer than SCENARIO_QUEUE_TIMEOUT; how many ended."""
    now = timezone.now()
    lost = Relay.objects.filter(heartbeat_at__lt=lost_cutoff()).values("pk")
    unfinished = Run.objects.exclude(status__in=FINISHED)
    if run_ids is not None:
        unfinished = unfinished.filter(pk__in=run_ids)
    # A lost relay's row is deleted once another relay reaps it: a running run with no relay
    # lost its relay too.
    gone = Q(relay__in=lost) | Q(status=RunStatus.RUNNING, relay__isnull=True)
    ended = unfinished.filter(gone).update(
        status=RunStatus.ERROR,
        error="The relay running it stopped or was lost; the run did not finish.",
        finished_at=now,
    )
    waited = now - timedelta(seconds=settings.SCENARIO_QUEUE_TIMEOUT)
    ended += unfinished.filter(
        status=RunStatus.QUEUED, relay__isnull=True, created_at__lt=waited, suite__isnull=True
    ).update(
        status=RunStatus.ERROR,
        error="No relay started the run in time (is a relay running?).",
        finished_at=now,
    )
    SuiteRun.objects.exclude(status__in=FINISHED).filter(gone).update(
        status=RunStatus.ERROR,
        error="The relay running the suite stopped or was lost.",
        finished_at=now,
    )
    return ended


def suite_begin(suite_id: int, relay_pk: int) -> tuple[list[int], int] | None:
    """Mark the suite running on this relay; its queued runs in order and its parallelism
    (None when it is gone or already started)."""
    with transaction.atomic():
        suite = SuiteRun.objects.select_for_update().filter(pk=suite_id).first()
        if suite is None or suite.status != RunStatus.QUEUED:
            return None
        suite.status = RunStatus.RUNNING
        suite.relay_id = relay_pk
        suite.started_at = timezone.now()
        suite.save(update_fields=["status", "relay", "started_at"])
    runs = Run.objects.filter(suite=suite, status=RunStatus.QUEUED).order_by("position", "pk")
    return list(runs.values_list("pk", flat=True)), suite.parallelism


def suite_finish(suite_id: int) -> None:
    """The suite's status from its runs': error over failed over passed."""
    statuses = set(Run.objects.filter(suite_id=suite_id).values_list("status", flat=True))
    status = RunStatus.PASSED
    if statuses & {RunStatus.ERROR, RunStatus.QUEUED, RunStatus.RUNNING}:
        status = RunStatus.ERROR
    elif RunStatus.FAILED in statuses:
        status = RunStatus.FAILED
    SuiteRun.objects.filter(pk=suite_id).exclude(status__in=FINISHED).update(
        status=status, finished_at=timezone.now()
    )
