"""How environments, variables and private current values change."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Lower

from core.errors import ValidationFailed
from endpoints.activity import recording
from endpoints.activity.event_kinds import EventKind
from endpoints.environments.resolver import MAX_NAME_LENGTH, is_valid_name
from endpoints.models import CurrentValue, Environment, Project, Variable
from endpoints.rows import append_position, apply_edit, lock_current, place, save_unique


def _check_environment_name(project: Project, name: str, exclude_pk: int | None = None) -> str:
    name = name.strip()
    clash = Environment.objects.annotate(lname=Lower("name")).filter(
        project=project, lname=name.lower()
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if not name:
        raise ValidationFailed({"name": ["A name is required."]})
    if clash.exists():
        raise ValidationFailed({"name": [f"An environment named {name!r} already exists."]})
    return name


@transaction.atomic
def environment_create(
    *,
    project: Project,
    actor: User,
    name: str,
    base_url: str = "",
    position: int | None = None,
) -> Environment:
    name = _check_environment_name(project, name)
    siblings = Environment.objects.filter(project=project)
    environment = Environment(
        project=project,
        name=name,
        base_url=base_url,
        position=append_position(siblings),
        updated_by=actor,
    )
    save_unique(environment, "name", f"An environment named {name!r} already exists.")
    if position is not None:
        environment.position = place(siblings, environment.pk, position)
    recording.environment_changed(
        project_id=project.pk,
        actor=actor,
        kind=EventKind.ENVIRONMENT_CREATED,
        environment=environment,
    )
    return environment


@transaction.atomic
def environment_update(
    *,
    environment: Environment,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    base_url: str | None = None,
    position: int | None = None,
) -> Environment:
    """Rename, change the base URL, or reorder (``position`` among the project's environments)."""
    environment = lock_current(
        Environment.objects.select_related("updated_by", "project"),
        environment.pk,
        expected_version,
    )
    if name is not None:
        name = _check_environment_name(environment.project, name, exclude_pk=environment.pk)
    apply_edit(environment, actor, name=name, base_url=base_url)
    save_unique(environment, "name", f"An environment named {environment.name!r} already exists.")
    if position is not None:
        siblings = Environment.objects.filter(project_id=environment.project_id)
        environment.position = place(siblings, environment.pk, position)
    recording.environment_changed(
        project_id=environment.project_id,
        actor=actor,
        kind=EventKind.ENVIRONMENT_UPDATED,
        environment=environment,
    )
    return environment


@transaction.atomic
def environment_delete(
    *,
    environment: Environment,
    expected_version: int | None = None,
    actor: User | None = None,
) -> None:
    """Delete an environment and its variables (and so everyone's current values of them)."""
    environment = lock_current(
        Environment.objects.select_related("updated_by"), environment.pk, expected_version
    )
    recording.environment_changed(
        project_id=environment.project_id,
        actor=actor,
        kind=EventKind.ENVIRONMENT_DELETED,
        environment=environment,
    )
    environment.delete()


def _check_variable_name(
    project: Project, environment_id: int | None, name: str, exclude_pk: int | None = None
) -> None:
    if not is_valid_name(name):
        raise ValidationFailed(
            {
                "name": [
                    f"A name starts with a letter or '_' and has at most {MAX_NAME_LENGTH} "
                    "letters, digits, '_', '-' or '.'."
                ]
            }
        )
    clash = Variable.objects.filter(project=project, environment=environment_id, name=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        scope = "this environment" if environment_id else "the project globals"
        raise ValidationFailed({"name": [f"A variable named {name!r} already exists in {scope}."]})


@transaction.atomic
def variable_create(
    *,
    project: Project,
    actor: User,
    name: str,
    environment_id: int | None = None,
    initial_value: str = "",
    description: str = "",
    secret: bool = False,
    position: int | None = None,
) -> Variable:
    """A project global (``environment_id`` None) or a variable of one of its environments."""
    if (
        environment_id is not None
        and not Environment.objects.filter(project=project, pk=environment_id).exists()
    ):
        raise ValidationFailed(
            {"environment": [f"No environment {environment_id} in this project."]}
        )
    _check_variable_name(project, environment_id, name)
    siblings = Variable.objects.filter(project=project, environment=environment_id)
    variable = Variable(
        project=project,
        environment_id=environment_id,
        name=name,
        initial_value=initial_value,
        description=description,
        secret=secret,
        position=append_position(siblings),
        updated_by=actor,
    )
    save_unique(variable, "name", f"A variable named {name!r} already exists here.")
    if position is not None:
        variable.position = place(siblings, variable.pk, position)
    recording.variable_changed(
        project_id=project.pk, actor=actor, kind=EventKind.VARIABLE_CREATED, variable=variable
    )
    return variable


@transaction.atomic
def variable_update(
    *,
    variable: Variable,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    initial_value: str | None = None,
    description: str | None = None,
    secret: bool | None = None,
    position: int | None = None,
) -> Variable:
    """Change a shared variable. Its scope (global or environment) stays as created.

    Turning ``secret`` off clears the shared initial value unless a new one is given in the
    same call, so unmarking a secret can never be used to read it.
    """
    variable = lock_current(
        Variable.objects.select_related("updated_by", "project"), variable.pk, expected_version
    )
    if name is not None and name != variable.name:
        _check_variable_name(variable.project, variable.environment_id, name, variable.pk)
    if variable.secret and secret is False and initial_value is None:
        initial_value = ""
    apply_edit(
        variable,
        actor,
        name=name,
        secret=secret,
        initial_value=initial_value,
        description=description,
    )
    save_unique(variable, "name", f"A variable named {variable.name!r} already exists here.")
    if position is not None:
        siblings = Variable.objects.filter(
            project_id=variable.project_id, environment=variable.environment_id
        )
        variable.position = place(siblings, variable.pk, position)
    recording.variable_changed(
        project_id=variable.project_id,
        actor=actor,
        kind=EventKind.VARIABLE_UPDATED,
        variable=variable,
    )
    return variable


@transaction.atomic
def variable_delete(
    *,
    variable: Variable,
    expected_version: int | None = None,
    actor: User | None = None,
) -> None:
    variable = lock_current(
        Variable.objects.select_related("updated_by"), variable.pk, expected_version
    )
    recording.variable_changed(
        project_id=variable.project_id,
        actor=actor,
        kind=EventKind.VARIABLE_DELETED,
        variable=variable,
    )
    variable.delete()


@transaction.atomic
def current_value_set(*, variable: Variable, user: User, value: str) -> CurrentValue:
    """Set ``user``'s private current value of ``variable``; it wins over shared values for them.

    Announced to ``user``'s own tabs only, without the value.
    """
    current, _ = CurrentValue.objects.update_or_create(
        variable=variable, user=user, defaults={"value": value}
    )
    recording.current_value_changed(variable=variable, user=user, is_set=True)
    return current


@transaction.atomic
def current_value_clear(*, variable: Variable, user: User) -> None:
    """Forget ``user``'s current value; the shared values apply to them again."""
    deleted, _ = CurrentValue.objects.filter(variable=variable, user=user).delete()
    if deleted:
        recording.current_value_changed(variable=variable, user=user, is_set=False)
