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
from scenarios.models import Scenario, ScenarioRevision

STEPS_HELP = (
    "Ordered steps, each an object with a kind: connect, send, expect, extract, wait, "
    "disconnect or expect_close (docs/scenarios.md)."
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
