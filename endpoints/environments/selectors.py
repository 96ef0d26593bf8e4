"""Reads of environments and variables, and the values a member resolves with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth.models import User
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    TextField,
    Value,
)

from core.errors import NotFound, ValidationFailed
from endpoints.auth import resolve_auth, with_auth_rows
from endpoints.environments.resolver import (
    Dynamics,
    ResolvedHandshake,
    is_known_dynamic,
    resolve_handshake,
)
from endpoints.models import Endpoint, Environment, Project, Variable
from endpoints.rows import as_int
from endpoints.tree.serializers import endpoint_variables_used

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class OwnValue(TypedDict):
    """What ``_with_own_value`` joins to a variable: the caller's current value, if any."""

    own_value_id: int | None
    own_value: str | None


# ``environment`` value for the project globals.
GLOBAL = "global"


def project_environments(*, project: Project) -> QuerySet[Environment]:
    return (
        Environment.objects.filter(project=project)
        .select_related("updated_by")
        .annotate(variable_count=Count("variables"))
        .order_by("position", "id")
    )


def environment_get(*, project: Project, environment_id: int | str) -> Environment:
    environment = project_environments(project=project).filter(pk=as_int(environment_id)).first()
    if environment is None:
        raise NotFound()
    return environment


def _with_own_value(
    queryset: QuerySet[Variable], user: User | None
) -> QuerySet[WithAnnotations[Variable, OwnValue]]:
    """Annotate ``own_value_id``/``own_value``: ``user``'s current value, joined in the same query.

    ``user=None`` (the shared docs pages: no member) joins nobody's current value.
    """
    if user is None:
        return queryset.annotate(
            own_value_id=Value(None, output_field=BigIntegerField()),
            own_value=Value(None, output_field=TextField()),
        )
    return queryset.annotate(
        own=FilteredRelation("current_values", condition=Q(current_values__user_id=user.pk)),
        own_value_id=F("own__id"),
        own_value=F("own__value"),
    )


def project_variables(
    *, project: Project, user: User, environment: int | str | None = None
) -> QuerySet[WithAnnotations[Variable, OwnValue]]:
    """Variables of ``project``, each with the caller's own current value; one query.

    ``environment`` narrows: ``GLOBAL`` for the project globals, an environment id for
    that environment's variables, None for all (globals first, then by environment).
    """
    queryset = Variable.objects.filter(project=project)
    if environment == GLOBAL:
        queryset = queryset.filter(environment__isnull=True)
    elif isinstance(environment, int):
        queryset = queryset.filter(environment_id=environment)
    return _with_own_value(queryset.select_related("updated_by"), user).order_by(
        F("environment__position").asc(nulls_first=True), "environment_id", "position", "id"
    )


def variable_get(
    *, project: Project, user: User, variable_id: int | str
) -> WithAnnotations[Variable, OwnValue]:
    variable = (
        _with_own_value(Variable.objects.select_related("updated_by"), user)
        .filter(project=project, pk=as_int(variable_id))
        .first()
    )
    if variable is None:
        raise NotFound()
    return variable


@dataclass(frozen=True)
class VariableValue:
    """The value a name resolves to for one member, and which layer it came from."""

    value: str
    source: str  # override | current_value | environment | base_url | global
    secret: bool


# Narrowest first: a smaller number wins.
_LAYERS = {
    "override": 0,
    "environment_current": 1,
    "global_current": 2,
    "environment": 3,
    "base_url": 4,
    "global": 5,
}


_SOURCE_NAMES = {"environment_current": "current_value", "global_current": "current_value"}


BASE_URL_NAME = "baseUrl"


def variable_sources_for(
    *,
    project: Project,
    user: User | None,
    environment_id: int | None,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, VariableValue]:
    """Every name ``user`` can reference with ``environment_id`` chosen; two queries at most.

    Precedence, narrowest first: ``overrides`` (values for one session or send) → the
    member's current value (of the environment's variable, then of the global) → the
    environment variable's initial value → the environment's base URL as ``{{baseUrl}}`` →
    the global's initial value. A name is secret when a variable of that name is secret in
    the globals or the chosen environment, whichever layer supplies the value.
    ``user=None`` gives the shared values only, as the docs pages show them.
    """
    base_url = ""
    if environment_id is not None:
        found = (
            Environment.objects.filter(project=project, pk=environment_id)
            .values_list("base_url", flat=True)
            .first()
        )
        if found is None:
            raise ValidationFailed({"environment": [f"No environment {environment_id} here."]})
        base_url = found
    scope = Q(environment__isnull=True)
    if environment_id is not None:
        scope |= Q(environment_id=environment_id)
    rows = _with_own_value(Variable.objects.filter(scope, project=project), user).values_list(
        "name", "environment_id", "initial_value", "secret", "own_value_id", "own_value"
    )
    candidates: dict[str, tuple[int, str, str]] = {}
    secret_names: set[str] = set()

    def offer(name: str, layer: str, value: str) -> None:
        rank = _LAYERS[layer]
        if name not in candidates or rank < candidates[name][0]:
            candidates[name] = (rank, layer, value)

    for name, env_id, initial_value, secret, own_id, own_value in rows:
        in_environment = env_id is not None
        if secret:
            secret_names.add(name)
        offer(name, "environment" if in_environment else "global", initial_value)
        if own_id is not None:
            offer(name, "environment_current" if in_environment else "global_current", own_value)
    if base_url:
        offer(BASE_URL_NAME, "base_url", base_url)
    for name, value in (overrides or {}).items():
        offer(name, "override", value)
    return {
        name: VariableValue(value, _SOURCE_NAMES.get(layer, layer), name in secret_names)
        for name, (_, layer, value) in candidates.items()
    }


def variable_values_for(
    *,
    project: Project,
    user: User,
    environment_id: int | None,
    overrides: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], set[str]]:
    """``(values, secrets)`` for the resolver: what ``user`` sends with ``environment_id``.

    See ``variable_sources_for`` for the precedence. Two queries, whatever the counts.
    """
    sources = variable_sources_for(
        project=project, user=user, environment_id=environment_id, overrides=overrides
    )
    values = {name: item.value for name, item in sources.items()}
    return values, {name for name, item in sources.items() if item.secret}


def resolve_handshake_for(
    *,
    project: Project,
    user: User,
    environment_id: int | None,
    handshake: Mapping[str, Any],
    overrides: Mapping[str, str] | None = None,
    dynamics: Dynamics | None = None,
    auth: Mapping[str, Any] | None = None,
) -> ResolvedHandshake:
    """``handshake`` resolved for ``user`` (raises UnresolvedVariables / ValidationFailed),
    with the effective Auth tab ``auth`` (endpoints.auth) applied when given."""
    values, secrets = variable_values_for(
        project=project, user=user, environment_id=environment_id, overrides=overrides
    )
    resolved = resolve_handshake(handshake, values, secrets, dynamics=dynamics)
    if auth is not None:
        with_auth_rows(resolved, resolve_auth(auth, values, secrets, dynamics=dynamics))
    return resolved


def endpoint_variable_status(
    *, project: Project, user: User, endpoint: Endpoint, environment_id: int | None
) -> dict[str, Any]:
    """Which variables ``endpoint`` uses and where, whether each has a value for ``user`` with
    the environment (and where from), and every place a reference would stay unresolved."""
    sources = variable_sources_for(project=project, user=user, environment_id=environment_id)
    variables: list[dict[str, Any]] = []
    unresolved: list[dict[str, str]] = []
    source: str | None
    for entry in endpoint_variables_used(endpoint):
        name = entry["name"]
        if entry["dynamic"]:
            resolves, source, secret = is_known_dynamic(name), "dynamic", False
        else:
            found = sources.get(name)
            resolves = found is not None
            source = found.source if found else None
            secret = bool(found and found.secret)
        variables.append({**entry, "resolves": resolves, "source": source, "secret": secret})
        if not resolves:
            unresolved.extend({"name": name, "where": where} for where in entry["where"])
    return {"environment": environment_id, "variables": variables, "unresolved": unresolved}
