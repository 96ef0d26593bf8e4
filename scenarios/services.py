"""How scenarios change: every field checked first (steps by ``scenarios.engine`` against the
project's endpoints and their documented messages), then written with a revision in the
scenario's history and announced live, all in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import ValidationFailed
from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.environments.resolver import is_valid_name
from endpoints.errors import FolderCycle, FolderNotEmpty
from endpoints.models import Environment, Project, RevisionAction
from endpoints.rows import UNSET as UNSET_PARENT
from endpoints.rows import append_position, apply_edit, lock_current, place
from endpoints.tree.services import tags_resolve
from scenarios.engine.assertions import SpecError
from scenarios.engine.data import parse_table, unused_columns
from scenarios.engine.steps import (
    StepErrors,
    check_steps,
    variables_used,
)
from scenarios.models import Scenario, ScenarioFolder, ScenarioRevision
from scenarios.selectors import endpoint_facts

# The fields a revision records, in this order.
SNAPSHOT_FIELDS = (
    "name",
    "description",
    "folder",
    "environment",
    "variables",
    "data_table",
    "steps",
    "tags",
)
MAX_VARIABLES = 200
MAX_VARIABLE_VALUE_CHARS = 100_000


def _clean_variables(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise ValidationFailed({"variables": ['A list of {"name", "value"}.']})
    if len(value) > MAX_VARIABLES:
        raise ValidationFailed({"variables": [f"At most {MAX_VARIABLES} variables."]})
    seen: set[str] = set()
    cleaned = []
    for index, row in enumerate(value):
        where = f"variables[{index}]"
        if not isinstance(row, Mapping) or set(row) - {"name", "value"}:
            raise ValidationFailed({where: ['An object with "name" and "value".']})
        name, text = row.get("name"), row.get("value", "")
        if not isinstance(name, str) or not is_valid_name(name) or name.startswith("$"):
            raise ValidationFailed({f"{where}.name": [f"{name!r} is not a variable name."]})
        if name in seen:
            raise ValidationFailed({f"{where}.name": [f"{name!r} is listed twice."]})
        if not isinstance(text, str) or len(text) > MAX_VARIABLE_VALUE_CHARS or "\x00" in text:
            raise ValidationFailed(
                {f"{where}.value": [f"Text of at most {MAX_VARIABLE_VALUE_CHARS:,} characters."]}
            )
        seen.add(name)
        cleaned.append({"name": name, "value": text})
    return cleaned


def _check_steps_and_data(
    project: Project, steps: Any, data: Any, variables: list[dict[str, str]]
) -> None:
    facts = endpoint_facts(project=project, steps=steps)
    try:
        check_steps(steps, facts.get)
    except StepErrors as exc:
        raise ValidationFailed(exc.errors, str(exc)) from None
    if data is None:
        return
    if not isinstance(data, Mapping) or set(data) != {"format", "text"}:
        raise ValidationFailed(
            {"data_table": ['{"format": "csv" or "json", "text": "..."}, or null.']}
        )
    try:
        table = parse_table(data["format"], data["text"])
    except SpecError as exc:
        raise ValidationFailed({f"data_table.{exc.field}": [exc.reason]}) from None
    used = variables_used(steps).names | {
        name for row in variables for name in variables_used([row["value"]]).names
    }
    unused = unused_columns(table, used)
    if unused:
        raise ValidationFailed(
            {
                "data_table.text": [
                    f"No step uses the column {unused[0]!r} (as {{{{{unused[0]}}}}})."
                ]
            }
        )


def _folder(project: Project, folder_id: int | None) -> ScenarioFolder | None:
    if folder_id is None:
        return None
    folder = ScenarioFolder.objects.filter(project=project, pk=folder_id).first()
    if folder is None:
        raise ValidationFailed({"folder": ["No such scenario folder in this project."]})
    return folder


def _environment(project: Project, environment_id: int | None) -> Environment | None:
    if environment_id is None:
        return None
    environment = Environment.objects.filter(project=project, pk=environment_id).first()
    if environment is None:
        raise ValidationFailed({"environment": ["No such environment in this project."]})
    return environment


def _snapshot(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "description": scenario.description,
        "folder": scenario.folder_id,
        "environment": scenario.environment_id,
        "variables": scenario.variables,
        "data_table": scenario.data_table,
        "steps": scenario.steps,
        "tags": sorted(tag.name for tag in scenario.tags.all()),
    }


def _record(
    scenario: Scenario,
    actor: User | None,
    action: str,
    before: dict[str, Any] | None,
    revert_of: int | None = None,
) -> None:
    after = _snapshot(scenario)
    changes = [
        {"field": name, "old": (before or {}).get(name), "new": after[name]}
        for name in SNAPSHOT_FIELDS
        if before is None or before.get(name) != after[name]
    ]
    ScenarioRevision.objects.create(
        project_id=scenario.project_id,
        scenario=scenario,
        version=scenario.version,
        action=action,
        actor=actor,
        changes=changes,
        snapshot=after,
        revert_of=revert_of,
    )
    _announce(scenario, actor, _KINDS[action], [change["field"] for change in changes])


_KINDS: dict[str, EventKind] = {
    RevisionAction.CREATED: EventKind.SCENARIO_CREATED,
    RevisionAction.UPDATED: EventKind.SCENARIO_UPDATED,
    RevisionAction.MOVED: EventKind.SCENARIO_UPDATED,
    RevisionAction.REVERTED: EventKind.SCENARIO_UPDATED,
}


def _announce(
    scenario: Scenario, actor: User | None, kind: EventKind, changed: list[str] | None = None
) -> None:
    payload: dict[str, Any] = {
        "id": scenario.pk,
        "name": scenario.name,
        "folder": scenario.folder_id,
        "version": scenario.version,
    }
    event: dict[str, Any] = {"kind": kind, "scenario": payload}
    if changed is not None and kind == EventKind.SCENARIO_UPDATED:
        event["changed"] = changed
    events.publish(project_id=scenario.project_id, actor=actor, events=[event])


@transaction.atomic
def scenario_create(
    *,
    project: Project,
    actor: User,
    name: str,
    description: str = "",
    folder: int | None = None,
    environment: int | None = None,
    variables: Any = None,
    data_table: Any = None,
    steps: Any = None,
    tags: list[str] | None = None,
) -> Scenario:
    steps = [] if steps is None else steps
    cleaned = _clean_variables([] if variables is None else variables)
    _check_steps_and_data(project, steps, data_table, cleaned)
    folder_row = _folder(project, folder)
    scenario = Scenario.objects.create(
        project=project,
        folder=folder_row,
        position=append_position(Scenario.objects.filter(project=project, folder=folder_row)),
        name=name,
        description=description,
        environment=_environment(project, environment),
        variables=cleaned,
        data_table=data_table,
        steps=steps,
        created_by=actor,
        updated_by=actor,
    )
    if tags:
        scenario.tags.set(tags_resolve(project=project, names=tags))
    _record(scenario, actor, RevisionAction.CREATED, None)
    return scenario


class _Unchanged(Exception):
    """An update that changes nothing, undone by leaving its savepoint."""


@transaction.atomic
def scenario_update(
    *,
    scenario: Scenario,
    actor: User,
    expected_version: int | None = None,
    changes: Mapping[str, Any],
) -> Scenario:
    """Change the fields in ``changes`` (the others stay); steps and data are checked together
    whichever of them changes."""
    row: Scenario = lock_current(
        Scenario.objects.select_related("project"), scenario.pk, expected_version
    )
    before = _snapshot(row)
    project = row.project
    variables = _clean_variables(changes["variables"]) if "variables" in changes else row.variables
    steps = changes.get("steps", row.steps)
    data = changes.get("data_table", row.data_table)
    if {"steps", "data_table", "variables"} & set(changes):
        _check_steps_and_data(project, steps, data, variables)
    folder = _folder(project, changes["folder"]) if "folder" in changes else row.folder
    environment = (
        _environment(project, changes["environment"])
        if "environment" in changes
        else row.environment
    )
    try:
        with transaction.atomic():
            row.folder, row.environment = folder, environment
            row.variables, row.steps, row.data_table = variables, steps, data
            apply_edit(row, actor, name=changes.get("name"), description=changes.get("description"))
            row.save()
            if "tags" in changes:
                row.tags.set(tags_resolve(project=project, names=changes["tags"]))
            if _snapshot(row) == before:
                raise _Unchanged
    except _Unchanged:
        # Nothing changed: no new version, no revision, no event.
        return Scenario.objects.get(pk=row.pk)
    action = RevisionAction.MOVED if set(changes) == {"folder"} else RevisionAction.UPDATED
    _record(row, actor, action, before)
    return row


@transaction.atomic
def scenario_delete(
    *, scenario: Scenario, actor: User | None, expected_version: int | None = None
) -> None:
    row: Scenario = lock_current(Scenario.objects.all(), scenario.pk, expected_version)
    _announce(row, actor, EventKind.SCENARIO_DELETED)
    row.delete()


# --- folders --------------------------------------------------------------------------------


def _folder_ref(folder: ScenarioFolder) -> dict[str, Any]:
    return {
        "id": folder.pk,
        "name": folder.name,
        "parent": folder.parent_id,
        "position": folder.position,
        "version": folder.version,
    }


def _announce_folder(folder: ScenarioFolder, actor: User | None, kind: EventKind) -> None:
    events.publish(
        project_id=folder.project_id,
        actor=actor,
        events=[{"kind": kind, "scenario_folder": _folder_ref(folder)}],
    )


def _ancestors(project: Project, folder_id: int | None) -> set[int]:
    parents = dict(ScenarioFolder.objects.filter(project=project).values_list("pk", "parent_id"))
    found: set[int] = set()
    while folder_id is not None and folder_id not in found:
        found.add(folder_id)
        folder_id = parents.get(folder_id)
    return found


def _check_folder_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed({"name": ["A folder needs a name."]})
    return name


@transaction.atomic
def scenario_folder_create(
    *, project: Project, actor: User, name: str, parent: int | None = None
) -> ScenarioFolder:
    parent_row = _folder(project, parent) if parent is not None else None
    siblings = ScenarioFolder.objects.filter(project=project, parent=parent_row)
    folder = ScenarioFolder.objects.create(
        project=project,
        parent=parent_row,
        name=_check_folder_name(name),
        position=append_position(siblings),
        updated_by=actor,
    )
    _announce_folder(folder, actor, EventKind.SCENARIO_FOLDER_CREATED)
    return folder


@transaction.atomic
def scenario_folder_update(
    *,
    folder: ScenarioFolder,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    parent: Any = UNSET_PARENT,
    position: int | None = None,
) -> ScenarioFolder:
    """Rename, move under another folder (or to the top with None) or reorder."""
    row: ScenarioFolder = lock_current(ScenarioFolder.objects.all(), folder.pk, expected_version)
    project = row.project
    moving = parent is not UNSET_PARENT and parent != row.parent_id
    if moving:
        if parent is not None:
            _folder(project, parent)
            if row.pk in _ancestors(project, parent):
                raise FolderCycle(fields={"parent": [FolderCycle.default_detail]})
        row.parent_id = parent
    apply_edit(row, actor, name=_check_folder_name(name) if name is not None else None)
    row.save()
    if moving or position is not None:
        siblings = ScenarioFolder.objects.filter(project=project, parent_id=row.parent_id)
        row.position = place(siblings, row.pk, position)
    _announce_folder(row, actor, EventKind.SCENARIO_FOLDER_UPDATED)
    return row


@transaction.atomic
def scenario_folder_delete(
    *, folder: ScenarioFolder, actor: User | None, expected_version: int | None = None
) -> None:
    """Delete an empty folder (409 folder_not_empty otherwise: scenarios are never deleted
    as a side effect)."""
    row: ScenarioFolder = lock_current(ScenarioFolder.objects.all(), folder.pk, expected_version)
    if row.children.exists() or row.scenarios.exists():
        raise FolderNotEmpty("The folder is not empty; move or delete its scenarios first.")
    _announce_folder(row, actor, EventKind.SCENARIO_FOLDER_DELETED)
    row.delete()
