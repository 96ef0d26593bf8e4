"""Workspace rows for tests, made through the services (as a user would make them)."""

from __future__ import annotations

from typing import Any

from endpoints.environments.services import environment_create, variable_create
from endpoints.models import Endpoint, Environment, Variable
from endpoints.tree.services import endpoint_create


def make_endpoint(team: Any, *, actor: Any = None, **data: Any) -> Endpoint:
    """An endpoint in the team's project ("Ticker" at wss://example.test/ticker unless told)."""
    fields = {"name": "Ticker", "url": "wss://example.test/ticker", **data}
    return endpoint_create(project=team.project, actor=actor or team.editor, data=fields)


def make_env(team: Any, name: str, base_url: str = "") -> Environment:
    return environment_create(project=team.project, actor=team.admin, name=name, base_url=base_url)


def make_var(team: Any, name: str, value: str = "", env: Any = None, **extra: Any) -> Variable:
    return variable_create(
        project=team.project,
        actor=team.admin,
        name=name,
        environment_id=env.pk if env else None,
        initial_value=value,
        **extra,
    )
