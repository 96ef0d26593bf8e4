"""A project with a schema "Trade" that one message refers to, and helpers for the schema API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from endpoints.models import Endpoint, Message, ProjectSchema
from tests.conftest import Team
from tests.endpoints.test_bad_input import quick_team

TRADE = {
    "type": "object",
    "properties": {"symbol": {"type": "string"}, "price": {"type": "number"}},
    "required": ["symbol", "price"],
}
TRADE_EXAMPLE = '{"type": "trade", "symbol": "BTC", "price": 42000.5}'


@dataclass
class Schemas:
    team: Team
    trade: ProjectSchema  # used by the message `trade` of `endpoint`
    spare: ProjectSchema  # used by nobody
    endpoint: Endpoint

    @property
    def base(self) -> str:
        return f"/api/v1/projects/{self.team.project.pk}/schemas/"

    def url(self, row: Any) -> str:
        return f"{self.base}{row.pk}/"


def make_schema(team: Team, name: str, schema: Any, **extra: Any) -> ProjectSchema:
    return ProjectSchema.objects.create(
        project=team.project, name=name, schema=schema, updated_by=team.editor, **extra
    )


def make_message(endpoint: Endpoint, name: str, schema: Any, body: str, **extra: Any) -> Message:
    return Message.objects.create(
        endpoint=endpoint,
        name=name,
        direction="receive",
        format="json",
        schema=schema,
        examples=[{"name": "BTC", "body": body}],
        **extra,
    )


@pytest.fixture
def schemas(db: None) -> Schemas:
    team = quick_team()
    trade = make_schema(team, "Trade", TRADE, description="One trade")
    spare = make_schema(team, "Spare", {"type": "string"})
    endpoint = Endpoint.objects.create(
        project=team.project, name="Ticker", url="wss://example.test/ticker"
    )
    make_message(
        endpoint,
        "trade",
        {"allOf": [{"$ref": "#/components/schemas/Trade"}], "required": ["type"]},
        TRADE_EXAMPLE,
    )
    return Schemas(team, trade, spare, endpoint)
