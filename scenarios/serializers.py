"""Shapes of scenarios in the API: ``scenario_data`` makes the JSON, the ``*Out`` serializers
describe it for the schema, the ``*In`` serializers parse input."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.people import UserBriefSerializer, user_brief
from core.timestamps import iso
from core.versioning import VersionedInput
from endpoints.environments.serializers import storable
from scenarios.engine.steps import Lookup, describe, steps_variables
from scenarios.models import Run, RunStatus, Scenario, ScenarioFolder, ScenarioRevision, SuiteRun

STEPS_HELP = (
    "Ordered steps, each an object with a kind: connect, send, expect, extract, wait, "
    "disconnect, expect_close, or emit on a Socket.IO endpoint's connection (docs/scenarios.md)."
)
DATA_HELP = 'A data table run once per row: {"format": "csv" or "json", "text": "..."}, or null.'


def _tags(scenario: Scenario) -> list[str]:
    return [tag.name for tag in scenario.tags.all()]


def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    return {
        "id": scenario.pk,
        "folder": scenario.folder_id,
        "position": scenario.position,
        "name": scenario.name,
        "tags": _tags(scenario),
        "step_count": len(scenario.steps or ()),
        "data_driven": scenario.data_table is not None,
        "version": scenario.version,
        "updated_at": iso(scenario.updated_at),
    }


def scenario_data(scenario: Scenario, lookup: Lookup | None = None) -> dict[str, Any]:
    """The scenario; ``lookup`` (the facts of its endpoints) adds to each send of a documented
    message the variables of the example it sends."""
    steps = scenario.steps or []
    variables = steps_variables(steps, lookup)
    return {
        **scenario_summary(scenario),
        "project": scenario.project_id,
        "description": scenario.description,
        "environment": scenario.environment_id,
        "variables": scenario.variables,
        "data_table": scenario.data_table,
        "steps": steps,
        "step_info": [
            {
                "title": (step.get("title") or describe(step)) if isinstance(step, dict) else "",
                "variables": names,
            }
            for step, names in zip(steps, variables, strict=True)
        ],
        "created_at": iso(scenario.created_at),
        "created_by": user_brief(scenario.created_by),
        "updated_by": user_brief(scenario.updated_by),
    }


def revision_data(revision: ScenarioRevision) -> dict[str, Any]:
    return {
        "id": revision.pk,
        "version": revision.version,
        "action": revision.action,
        "actor": user_brief(revision.actor),
        "created_at": iso(revision.created_at),
        "changes": revision.changes,
        "revert_of": revision.revert_of,
    }


class ScenarioSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    folder = serializers.IntegerField(allow_null=True)
    position = serializers.IntegerField()
    name = serializers.CharField()
    tags = serializers.ListField(child=serializers.CharField())
    step_count = serializers.IntegerField()
    data_driven = serializers.BooleanField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class StepInfoSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(help_text="The step's title, or one made from its fields.")
    variables = serializers.ListField(
        child=serializers.CharField(), help_text="The {{names}} the step uses."
    )


class ScenarioOutSerializer(ScenarioSummarySerializer):
    project = serializers.IntegerField()
    description = serializers.CharField(allow_blank=True)
    environment = serializers.IntegerField(allow_null=True)
    variables = serializers.JSONField(help_text='[{"name", "value"}]')
    data_table = serializers.JSONField(allow_null=True, help_text=DATA_HELP)
    steps = serializers.JSONField(help_text=STEPS_HELP)
    step_info = StepInfoSerializer(many=True)
    created_at = serializers.DateTimeField()
    created_by = UserBriefSerializer(allow_null=True)
    updated_by = UserBriefSerializer(allow_null=True)


class ScenarioRevisionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    action = serializers.CharField()
    actor = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    changes = serializers.JSONField(help_text='[{"field", "old", "new"}]')
    revert_of = serializers.IntegerField(allow_null=True)


class ScenarioInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200, validators=[storable])
    description = serializers.CharField(
        allow_blank=True, required=False, max_length=100_000, validators=[storable]
    )
    folder = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    environment = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    variables = serializers.JSONField(required=False, help_text='[{"name", "value"}]')
    data_table = serializers.JSONField(required=False, allow_null=True, help_text=DATA_HELP)
    steps = serializers.JSONField(required=False, help_text=STEPS_HELP)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=50
    )


# --- runs -----------------------------------------------------------------------------------


def _duration_ms(start: Any, end: Any) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() * 1000)


def run_counts(run: Run) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for iteration in run.iterations or ():
        for step in iteration.get("steps", ()):
            if step.get("status") in counts:
                counts[step["status"]] += 1
    return counts


def run_summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.pk,
        "scenario": {"id": run.scenario_id, "name": run.scenario_name},
        "suite": run.suite_id,
        "status": run.status,
        "error": run.error,
        "started_by": user_brief(run.started_by),
        "created_at": iso(run.created_at),
        "started_at": iso(run.started_at) if run.started_at else None,
        "finished_at": iso(run.finished_at) if run.finished_at else None,
        "duration_ms": _duration_ms(run.started_at, run.finished_at),
    }


def run_data(run: Run) -> dict[str, Any]:
    return {
        **run_summary(run),
        "project": run.project_id,
        "environment": run.environment_id,
        "variables": run.variables,
        "scenario_version": run.scenario_version,
        "counts": run_counts(run),
        "iterations": run.iterations,
        "sessions": [
            {"alias": item.alias, "session": item.session_id, "iteration": item.iteration}
            for item in run.sessions.all()
        ],
    }


def suite_data(suite: SuiteRun, runs: list[Run]) -> dict[str, Any]:
    counts = {status: 0 for status in ("passed", "failed", "error", "running", "queued")}
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
    return {
        "id": suite.pk,
        "project": suite.project_id,
        "status": suite.status,
        "error": suite.error,
        "selection": suite.selection,
        "parallelism": suite.parallelism,
        "started_by": user_brief(suite.started_by),
        "created_at": iso(suite.created_at),
        "started_at": iso(suite.started_at) if suite.started_at else None,
        "finished_at": iso(suite.finished_at) if suite.finished_at else None,
        "duration_ms": _duration_ms(suite.started_at, suite.finished_at),
        "counts": counts,
        "runs": [run_data(run) for run in runs],
    }


class RunScenarioSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class RunSummarySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    scenario = RunScenarioSerializer(help_text="id null once the scenario is deleted.")
    suite = serializers.IntegerField(allow_null=True)
    status = serializers.ChoiceField(choices=RunStatus.choices)
    error = serializers.CharField(allow_blank=True, help_text="Why the run ended error.")
    started_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)


class RunSessionSerializer(serializers.Serializer[Any]):
    alias = serializers.CharField()
    session = serializers.IntegerField()
    iteration = serializers.IntegerField()


class RunCountsSerializer(serializers.Serializer[Any]):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    error = serializers.IntegerField()
    skipped = serializers.IntegerField()


class RunOutSerializer(RunSummarySerializer):
    project = serializers.IntegerField()
    environment = serializers.IntegerField(allow_null=True)
    variables = serializers.DictField(child=serializers.CharField())
    scenario_version = serializers.IntegerField()
    counts = RunCountsSerializer(help_text="Steps by status, over every iteration.")
    iterations = serializers.JSONField(
        help_text="Per data row: index, row, status, duration_ms, and steps (index, kind, "
        "title, status, duration_ms, message, assertions, frame, frames_seen, extracted)."
    )
    sessions = RunSessionSerializer(many=True)


class SuiteCountsSerializer(serializers.Serializer[Any]):
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    error = serializers.IntegerField()
    running = serializers.IntegerField()
    queued = serializers.IntegerField()


class SuiteOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    project = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    error = serializers.CharField(allow_blank=True)
    selection = serializers.JSONField()
    parallelism = serializers.IntegerField()
    started_by = UserBriefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    counts = SuiteCountsSerializer(help_text="Runs by status.")
    runs = RunOutSerializer(many=True)


WAIT_HELP = "Answer once the run finished (at most SCENARIO_MAX_RUN_SECONDS)."


class RunInSerializer(serializers.Serializer[Any]):
    environment = serializers.IntegerField(
        allow_null=True, required=False, min_value=1, help_text="Default: the scenario's."
    )
    variables = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Values for this run, over the scenario's variables.",
    )
    wait = serializers.BooleanField(default=False, help_text=WAIT_HELP)


class SuiteInSerializer(RunInSerializer):
    scenarios = serializers.ListField(child=serializers.IntegerField(), required=False)
    tag = serializers.CharField(required=False, max_length=64)
    folder = serializers.IntegerField(required=False, min_value=1)
    parallelism = serializers.IntegerField(default=1, min_value=1, max_value=20)


# --- folders --------------------------------------------------------------------------------


def folder_data(folder: ScenarioFolder) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "parent": folder.parent_id,
        "position": folder.position,
        "name": folder.name,
        "version": folder.version,
        "updated_at": iso(folder.updated_at),
    }


class ScenarioFolderOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    # A declared field named like Field.parent; DRF's metaclass moves it off the class.
    parent = serializers.IntegerField(allow_null=True)  # type: ignore[assignment]
    position = serializers.IntegerField()
    name = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class ScenarioFolderInSerializer(VersionedInput):
    name = serializers.CharField(max_length=200, validators=[storable])
    parent = serializers.IntegerField(  # type: ignore[assignment]
        allow_null=True, required=False, min_value=1
    )
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
