"""A project with a documented ticker endpoint and the scenario API's address."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps

from endpoints.models import Endpoint
from tests.conftest import Team
from tests.endpoints.test_bad_input import quick_team, workspace_rows
from tests.factories import make_ticker
from tests.scenarios.upstreams import ScenarioUpstream
from tests.sessions.conftest import _relay_settings, relay  # noqa: F401 - fixtures
from tests.sessions.upstreams import LoopThread


@dataclass
class Scenarios:
    team: Team
    ticker: Endpoint

    @property
    def base(self) -> str:
        return f"/api/v1/projects/{self.team.project.pk}/scenarios/"


@pytest.fixture
def scenarios(db: None) -> Scenarios:
    team = quick_team()
    return Scenarios(team, make_ticker(team, actor=team.editor, name="Ticker"))


def all_rows() -> dict[str, list[dict[str, Any]]]:
    """Every workspace and scenario row, to show a refused write changed nothing."""
    rows = workspace_rows()
    for model in apps.get_app_config("scenarios").get_models(include_auto_created=True):
        rows[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return rows


def ticker_steps(endpoint: int) -> list[dict[str, Any]]:
    return [
        {"kind": "connect", "alias": "t", "endpoint": endpoint},
        {"kind": "send", "alias": "t", "message": "subscribe", "example": "Chosen"},
        {
            "kind": "expect",
            "alias": "t",
            "assertions": [{"kind": "message", "name": "subscribed"}],
        },
        {
            "kind": "expect",
            "alias": "t",
            "mode": "any",
            "timeout_ms": 3000,
            "assertions": [
                {"kind": "message", "name": "trade"},
                {"kind": "valid"},
                {"kind": "json", "path": "$.symbol", "op": "equals", "value": "{{symbol}}"},
            ],
        },
        {"kind": "extract", "extract": [{"variable": "price", "path": "$.price"}]},
        {
            "kind": "expect",
            "alias": "t",
            "none": True,
            "timeout_ms": 300,
            "assertions": [{"kind": "message", "name": "error"}],
        },
        {"kind": "disconnect", "alias": "t"},
    ]


@pytest.fixture(scope="session")
def scenario_upstream() -> Iterator[ScenarioUpstream]:
    runner = LoopThread()
    server = ScenarioUpstream(runner).start()
    yield server
    server.stop()
    runner.stop()
