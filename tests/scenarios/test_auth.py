"""A scenario's connection to an endpoint inherits the endpoint's Auth tab: the Bearer token a
folder sets reaches an upstream that refuses connections without it."""

from __future__ import annotations

from typing import Any

import pytest

from endpoints.tree.services import endpoint_create, folder_create, folder_update
from tests.scenarios.conftest import Scenarios
from tests.sessions.upstreams import BEARER_TOKEN, LoopThread, WebsocketsUpstream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bearer_upstream() -> Any:
    runner = LoopThread()
    server = WebsocketsUpstream(runner).start()
    yield server
    server.stop()
    runner.stop()


def test_a_scenario_connects_with_the_auth_its_endpoint_inherits(
    relay: Any, scenarios: Scenarios, bearer_upstream: WebsocketsUpstream, client_for: Any
) -> None:
    team = scenarios.team
    folder = folder_create(project=team.project, actor=team.editor, name="Private")
    endpoint = endpoint_create(
        project=team.project,
        actor=team.editor,
        data={"name": "Echo", "url": bearer_upstream.url("/bearer"), "folder": folder.pk},
    )
    api = client_for(team.editor)
    steps = [
        {"kind": "connect", "alias": "e", "endpoint": endpoint.pk},
        {"kind": "send", "alias": "e", "format": "text", "body": "ping"},
        {
            "kind": "expect",
            "alias": "e",
            "assertions": [{"kind": "text", "op": "equals", "value": "ping"}],
        },
    ]
    created = api.post(scenarios.base, {"name": "Auth", "steps": steps}, format="json")
    assert created.status_code == 201, created.content
    runs = f"{scenarios.base}{created.json()['id']}/runs/"

    def run() -> dict[str, Any]:
        response = api.post(runs, {"wait": True}, format="json")
        assert response.status_code == 201, response.content
        return dict(response.json())

    refused = run()
    assert refused["status"] != "passed", refused
    folder_update(folder=folder, actor=team.editor, auth={"type": "bearer", "token": BEARER_TOKEN})
    passed = run()
    assert passed["status"] == "passed", passed
