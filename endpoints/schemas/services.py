"""How project schemas change: checked as JSON Schema, never leaving a message or another schema
that refers to them broken, and announced live."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core.errors import ValidationFailed
from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.contracts.limits import MAX_SCHEMA_BYTES, json_size, unstorable
from endpoints.contracts.schemas import (
    SchemaError,
    check_schema,
    compile_schema,
    referenced_names,
)
from endpoints.errors import SchemaInUse
from endpoints.models import Project, ProjectSchema
from endpoints.rows import UNSET, apply_edit, lock_current, save_unique
from endpoints.schemas.selectors import referring_messages, schema_contents
from endpoints.tree.messages import example_problems, problem_text, too_large

# Usable as a JSON Pointer segment (no "/" or "~") and as an AsyncAPI component key.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")
NAME_RULE = (
    "A schema name starts with a letter or '_' and continues with at most 99 letters, digits, "
    "'_', '.' or '-'."
)


def _check_name(name: str, others: dict[str, Any]) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise ValidationFailed({"name": [NAME_RULE]})
    if name in others:
        raise ValidationFailed({"name": [f"A schema named {name!r} already exists."]})


def _check_schema(name: str, schema: Any, others: dict[str, Any]) -> None:
    """``schema`` is usable as project schema ``name`` beside ``others`` (413 when too big)."""
    size = json_size(schema)
    if size > MAX_SCHEMA_BYTES:
        raise too_large("schema", "The schema", size, MAX_SCHEMA_BYTES)
    if unstorable(schema):
        raise ValidationFailed(
            {"schema": ["NUL and unpaired surrogate characters cannot be stored."]}
        )
    try:
        # The schema may refer to itself (a tree); a cycle through others is found this way too.
        check_schema(schema, {**others, name: schema})
    except SchemaError as exc:
        where = exc.path or "/"
        raise ValidationFailed(
            {"schema": [f"{where}: {exc.reason}"]},
            f"The schema is not usable at {where}: {exc.reason}",
        ) from None
    except RecursionError:
        raise ValidationFailed({"schema": ["The schema is nested too deeply."]}) from None


def _referrers(name: str, contents: dict[str, Any], project: Project) -> list[str]:
    """Who refers to schema ``name`` directly: other schemas, then messages (described)."""
    found = [
        f"schema {other!r}"
        for other, schema in contents.items()
        if other != name and name in referenced_names(schema)
    ]
    found += [m.describe() for m in referring_messages(project=project) if name in m.refers_to]
    return found


def _refuse_if_referred_to(
    name: str, contents: dict[str, Any], project: Project, doing: str
) -> None:
    referrers = _referrers(name, contents, project)
    if referrers:
        listed = ", ".join(referrers[:10]) + (
            f" and {len(referrers) - 10} more" if len(referrers) > 10 else ""
        )
        raise SchemaInUse(
            f"Schema {name!r} cannot be {doing}: {listed} refer to it.", used_by=referrers
        )


def _dependents(name: str, contents: dict[str, Any]) -> set[str]:
    """``name`` and every other schema that refers to it, directly or through others."""
    refs = {other: referenced_names(schema) for other, schema in contents.items()}
    found = {name}
    grew = True
    while grew:
        grew = False
        for other, names in refs.items():
            if other not in found and names & found:
                found.add(other)
                grew = True
    return found


def _refuse_if_it_breaks_users(
    name: str, schema: Any, contents: dict[str, Any], project: Project
) -> None:
    """The changed ``schema`` of ``name`` leaves every schema and message that refers to it
    (directly or through other schemas) usable, and every stored JSON example valid."""
    after = {**contents, name: schema}
    affected = _dependents(name, after)
    broken: list[str] = []
    for other in sorted(affected - {name}):
        try:
            check_schema(after[other], after)
        except SchemaError as exc:
            broken.append(f"schema {other!r} would break at {exc.path or '/'}: {exc.reason}")
    for message in referring_messages(project=project):
        if not message.refers_to & affected:
            continue
        try:
            check_schema(message.schema, after)
        except SchemaError as exc:
            broken.append(f"{message.describe()} would break at {exc.path or '/'}: {exc.reason}")
            continue
        if message.format != "json":
            continue
        validator = compile_schema(message.schema, after)
        for example in message.examples:
            # The same rule as a message write: bodies with {{references}} wait for the send.
            problems = example_problems(validator, str(example.get("body", "")), limit=1)
            if problems:
                broken.append(
                    f"example {example.get('name')!r} of {message.describe()} would no longer "
                    f"be valid: {problem_text(problems[0])}"
                )
    if broken:
        raise ValidationFailed(
            {"schema": broken}, f"This change would break what refers to {name!r}: {broken[0]}"
        )


def _announce(row: ProjectSchema, actor: User | None, kind: EventKind) -> None:
    """``schema.created``, ``.updated`` or ``.deleted``: which schema, not its content."""
    events.publish(
        project_id=row.project_id,
        actor=actor,
        events=[{"kind": kind, "schema": {"id": row.pk, "name": row.name, "version": row.version}}],
    )


@transaction.atomic
def schema_create(
    *, project: Project, actor: User, name: str, schema: Any, description: str = ""
) -> ProjectSchema:
    contents = schema_contents(project=project)
    _check_name(name, contents)
    _check_schema(name, schema, contents)
    row = ProjectSchema(
        project=project, name=name, description=description, schema=schema, updated_by=actor
    )
    save_unique(row, "name", f"A schema named {name!r} already exists.")
    _announce(row, actor, EventKind.SCHEMA_CREATED)
    return row


@transaction.atomic
def schema_update(
    *,
    project_schema: ProjectSchema,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    description: str | None = None,
    schema: Any = UNSET,
) -> ProjectSchema:
    """Rename, describe or change the schema (each left as it is unless given).

    Refused when it would leave a referring message or schema broken: a rename of a schema in
    use (409), a change that breaks a referring schema or a stored JSON example (400)."""
    row: ProjectSchema = lock_current(
        ProjectSchema.objects.select_related("updated_by", "project"),
        project_schema.pk,
        expected_version,
    )
    contents = schema_contents(project=row.project)
    others = {key: value for key, value in contents.items() if key != row.name}
    new_name = row.name if name is None else name
    schema_given = schema is not UNSET
    new_schema = schema if schema_given else row.schema
    if new_name != row.name:
        _check_name(new_name, others)
    if schema_given or new_name != row.name:
        _check_schema(new_name, new_schema, others)
    if new_name != row.name:
        _refuse_if_referred_to(row.name, contents, row.project, "renamed")
    elif schema_given and new_schema != row.schema:
        _refuse_if_it_breaks_users(row.name, new_schema, contents, row.project)
    apply_edit(row, actor, name=name, description=description)
    if schema_given:
        row.schema = new_schema
    save_unique(row, "name", f"A schema named {new_name!r} already exists.")
    _announce(row, actor, EventKind.SCHEMA_UPDATED)
    return row


@transaction.atomic
def schema_delete(
    *, project_schema: ProjectSchema, actor: User | None = None, expected_version: int | None = None
) -> None:
    """Delete a schema nothing refers to (409 naming who does, otherwise)."""
    row: ProjectSchema = lock_current(
        ProjectSchema.objects.select_related("updated_by", "project"),
        project_schema.pk,
        expected_version,
    )
    _refuse_if_referred_to(row.name, schema_contents(project=row.project), row.project, "deleted")
    _announce(row, actor, EventKind.SCHEMA_DELETED)
    row.delete()
