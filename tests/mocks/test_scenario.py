"""A scenario targets an endpoint's mock (embedded server, as ``make serve`` runs it): its
connect step's URL is the mock URL, the relay connects to the server's own loopback address,
and the run checks the mock's welcome and the reply carrying the request's id."""

from __future__ import annotations

import time
from typing import Any

import pytest

from accounts.tokens import token_create
from mocks.models import MockConnection
from tests.browser import teammate
from tests.conftest import Team
from tests.mocks.chat import make_chat
from tests.mocks.test_chat import mock_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def json_is(path: str, value: Any) -> dict[str, Any]:
    return {"kind": "json", "path": path, "op": "equals", "value": value}


def test_a_scenario_checks_the_docs_against_the_mock(team: Team, server: str) -> None:
    endpoint, key = make_chat(team)
    _, secret = token_create(user=team.editor, name="runs")
    api = teammate(server, secret)
    base = f"/projects/{team.project.pk}/scenarios/"
    steps = [
        {
            "kind": "connect",
            "alias": "m",
            "url": mock_url(server, key),
            "headers": [{"name": "Authorization", "value": "Bearer scenario", "enabled": True}],
        },
        {"kind": "expect", "alias": "m", "assertions": [json_is("$.type", "welcome")]},
        {"kind": "send", "alias": "m", "format": "json", "body": '{"type": "say", "id": "sc-1"}'},
        {
            "kind": "expect",
            "alias": "m",
            "mode": "any",
            "assertions": [json_is("$.type", "said"), json_is("$.id", "sc-1")],
        },
        {"kind": "disconnect", "alias": "m"},
    ]
    scenario = api("POST", base, {"name": "Chat against its mock", "steps": steps})
    run = api("POST", f"{base}{scenario['id']}/runs/", {})
    deadline = time.monotonic() + 20
    while run["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        run = api("GET", f"/projects/{team.project.pk}/runs/{run['id']}/")
    assert run["status"] == "passed", run
    assert MockConnection.objects.filter(endpoint=endpoint).count() == 1
