"""Starting scenario runs: one scenario, or a suite of several, checked first, then handed to
a relay, which executes them (scenarios.runner). Optionally waits for the result."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from core.errors import ValidationFailed
from endpoints.environments.resolver import is_valid_name
from endpoints.models import Environment, Project
from scenarios import run_store
from scenarios.engine.steps import StepErrors, check_steps
from scenarios.errors import TooManyRuns
from scenarios.models import FINISHED, Run, Scenario, SuiteRun
from scenarios.runner import RUN_START, SUITE_START
from scenarios.selectors import endpoint_facts
from sessions.relay import client, registry

MAX_PARALLELISM = 20
MAX_SUITE_SCENARIOS = 500
WAIT_POLL_S = 0.05


def _clean_run_variables(variables: Any) -> dict[str, str]:
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise ValidationFailed({"variables": ['An object of {"name": "value"}.']})
    for name, value in variables.items():
        if not is_valid_name(name) or name.startswith("$"):
            raise ValidationFailed({"variables": [f"{name!r} is not a variable name."]})
        if not isinstance(value, str) or "\x00" in value:
            raise ValidationFailed({f"variables.{name}": ["A variable's value is text."]})
    return dict(variables)


def _environment(
    project: Project, environment: int | None, scenario: Scenario | None
) -> int | None:
    if environment is None:
        return scenario.environment_id if scenario is not None else None
    if not Environment.objects.filter(project=project, pk=environment).exists():
        raise ValidationFailed({"environment": ["No such environment in this project."]})
    return environment


def _check_runnable(scenario: Scenario) -> None:
    """A scenario whose steps no longer fit its endpoints (one was deleted, a message renamed)
    is refused before it runs, naming the step."""
    if not scenario.steps:
        raise ValidationFailed({"steps": [f"Scenario {scenario.name!r} has no steps."]})
    facts = endpoint_facts(project=scenario.project, steps=scenario.steps)
    try:
        check_steps(scenario.steps, facts.get)
    except StepErrors as exc:
        raise ValidationFailed(
            exc.errors, f"Scenario {scenario.name!r} cannot run: {exc}"
        ) from None


def _check_capacity(actor: User, adding: int) -> None:
    run_store.stale_runs_end()
    going = (
        Run.objects.filter(started_by=actor, suite__isnull=True)
        .exclude(status__in=FINISHED)
        .count()
        + SuiteRun.objects.filter(started_by=actor).exclude(status__in=FINISHED).count()
    )
    limit = settings.SCENARIO_MAX_RUNS_PER_USER
    if going + adding > limit:
        raise TooManyRuns(
            f"You already have {going} runs or suites going, at most {limit} "
            "(SCENARIO_MAX_RUNS_PER_USER); wait for one to finish.",
            limit=limit,
        )


def _snapshot(run: Run, scenario: Scenario) -> None:
    run.scenario = scenario
    run.scenario_name = scenario.name
    run.scenario_version = scenario.version
    run.steps = scenario.steps
    run.scenario_variables = scenario.variables
    run.data_table = scenario.data_table


def _dispatch(message: dict[str, Any]) -> None:
    in_process = registry.embedded_relay() if settings.RELAY_EMBEDDED else None
    relay = registry.relay_choose(in_process=in_process)
    client.send_sync(relay.channel_name, message)


def run_start(
    *,
    scenario: Scenario,
    actor: User,
    environment: int | None = None,
    variables: Any = None,
) -> Run:
    """Check the scenario and start a run of it on a relay (RelayUnavailable when none)."""
    values = _clean_run_variables(variables)
    _check_runnable(scenario)
    environment_id = _environment(scenario.project, environment, scenario)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        _check_capacity(actor, 1)
        run = Run(
            project=scenario.project,
            started_by=actor,
            environment_id=environment_id,
            variables=values,
        )
        _snapshot(run, scenario)
        run.save()
    _dispatch({"type": RUN_START, "run": run.pk})
    return run


def suite_scenarios(
    *, project: Project, scenarios: Any = None, tag: str | None = None, folder: int | None = None
) -> list[Scenario]:
    """The scenarios a suite runs: listed ids in their order, or a tag's or a folder's."""
    given = [
        key
        for key, value in (("scenarios", scenarios), ("tag", tag), ("folder", folder))
        if value is not None
    ]
    if len(given) != 1:
        raise ValidationFailed({"scenarios": ["Choose the scenarios: a list, a tag or a folder."]})
    rows = Scenario.objects.filter(project=project).select_related("project")
    if scenarios is not None:
        if not isinstance(scenarios, list) or not all(isinstance(i, int) for i in scenarios):
            raise ValidationFailed({"scenarios": ["A list of scenario ids."]})
        found = {row.pk: row for row in rows.filter(pk__in=scenarios)}
        missing = [i for i in scenarios if i not in found]
        if missing:
            raise ValidationFailed({"scenarios": [f"No scenario {missing[0]} in this project."]})
        chosen = [found[i] for i in dict.fromkeys(scenarios)]
    elif tag is not None:
        chosen = list(rows.filter(tags__name__iexact=tag).order_by("folder_id", "position", "id"))
    else:
        chosen = list(rows.filter(folder_id=folder).order_by("position", "id"))
    if not chosen:
        raise ValidationFailed({"scenarios": ["No scenario matches."]})
    if len(chosen) > MAX_SUITE_SCENARIOS:
        raise ValidationFailed({"scenarios": [f"At most {MAX_SUITE_SCENARIOS} scenarios."]})
    return chosen


def suite_start(
    *,
    project: Project,
    actor: User,
    scenarios: list[Scenario],
    selection: dict[str, Any],
    environment: int | None = None,
    variables: Any = None,
    parallelism: int = 1,
    dispatch: bool = True,
) -> SuiteRun:
    """Check every scenario and start the suite on a relay (``dispatch`` False: the caller
    runs it, as ``manage.py run_scenarios`` does in its own relay)."""
    values = _clean_run_variables(variables)
    if not 1 <= parallelism <= MAX_PARALLELISM:
        raise ValidationFailed({"parallelism": [f"From 1 to {MAX_PARALLELISM}."]})
    for scenario in scenarios:
        _check_runnable(scenario)
    if environment is not None:
        _environment(project, environment, None)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=actor.pk).first()
        _check_capacity(actor, 1)
        suite = SuiteRun.objects.create(
            project=project, started_by=actor, selection=selection, parallelism=parallelism
        )
        runs = []
        for position, scenario in enumerate(scenarios):
            run = Run(
                project=project,
                suite=suite,
                position=position,
                started_by=actor,
                environment_id=environment if environment is not None else scenario.environment_id,
                variables=values,
            )
            _snapshot(run, scenario)
            runs.append(run)
        Run.objects.bulk_create(runs)
    if dispatch:
        _dispatch({"type": SUITE_START, "suite": suite.pk})
    return suite


def wait_finished(model: type[Run] | type[SuiteRun], pk: int, timeout: float) -> None:
    """Poll until the run or suite finished (or ``timeout`` passed, or its relay was lost)."""
    deadline = time.monotonic() + timeout
    checked_relays = time.monotonic()
    while time.monotonic() < deadline:
        status = model.objects.filter(pk=pk).values_list("status", flat=True).first()
        if status is None or status in FINISHED:
            return
        if time.monotonic() - checked_relays > 1:
            checked_relays = time.monotonic()
            run_store.stale_runs_end()
        time.sleep(WAIT_POLL_S)


def run_wait(run: Run) -> None:
    wait_finished(Run, run.pk, settings.SCENARIO_MAX_RUN_SECONDS + 10)


def suite_wait(suite: SuiteRun) -> None:
    wait_finished(SuiteRun, suite.pk, settings.SCENARIO_MAX_RUN_SECONDS * 2 + 10)
