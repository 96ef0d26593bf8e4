"""Workspace rows for tests, made through the services (as a user would make them)."""

from __future__ import annotations

from typing import Any

from endpoints.environments.services import environment_create, variable_create
from endpoints.models import Endpoint, Environment, Variable
from endpoints.tree.services import endpoint_create, folder_create


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


def grow_tree(
    team: Any,
    folders: int,
    per_folder: int,
    *,
    actor: Any = None,
    **extra: Any,
) -> None:
    """``folders`` folders, each with a sub-folder, and ``per_folder`` endpoints alternating
    between the two: tagged, every other one assigned to the viewer, one saved message each.
    ``extra`` adds fields to every endpoint; a callable value is called with ``(f, i)``."""
    actor = actor or team.editor
    for f in range(folders):
        parent = folder_create(project=team.project, actor=actor, name=f"Area {f}")
        child = folder_create(
            project=team.project, actor=actor, name=f"Area {f}.1", parent_id=parent.pk
        )
        for i in range(per_folder):
            data = {
                "name": f"Stream {f}.{i}",
                "url": f"wss://example.test/s/{i}",
                "folder": child.pk if i % 2 else parent.pk,
                "tags": [f"t{i % 3}", "all"],
                "assignee": team.viewer.pk if i % 2 else None,
                "messages": [{"name": "m", "format": "json", "body": '{"a": 1}'}],
            }
            for key, value in extra.items():
                data[key] = value(f, i) if callable(value) else value
            endpoint_create(project=team.project, actor=actor, data=data)
