"""Runs under the embedded default (Daphne with its relay inside, as ``make serve`` runs it):
one relay however many runs start, so the database pool never runs dry."""

from __future__ import annotations

import time
from typing import Any

import pytest

from accounts.tokens import token_create
from sessions.models import Relay
from tests.browser import teammate
from tests.scenarios.upstreams import ScenarioUpstream

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_runs_share_the_one_embedded_relay(
    team: Any, server: str, scenario_upstream: ScenarioUpstream
) -> None:
    _, secret = token_create(user=team.editor, name="runs")
    api = teammate(server, secret)
    base = f"/projects/{team.project.pk}/scenarios/"
    steps = [
        {"kind": "connect", "alias": "a", "url": scenario_upstream.url("/echo")},
        {"kind": "connect", "alias": "b", "url": scenario_upstream.url("/echo")},
        {"kind": "send", "alias": "a", "format": "text", "body": "x"},
        {
            "kind": "expect",
            "alias": "a",
            "assertions": [{"kind": "text", "op": "equals", "value": "x"}],
        },
    ]
    scenario = api("POST", base, {"name": "Echo twice", "steps": steps})
    # Each connect step once started a relay of its own (from the run's relay thread, on a
    # throwaway loop), each holding database connections: the fourth run met 503s.
    for _ in range(5):
        run = api("POST", f"{base}{scenario['id']}/runs/", {})
        deadline = time.monotonic() + 15
        while run["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.1)
            run = api("GET", f"/projects/{team.project.pk}/runs/{run['id']}/")
        assert run["status"] == "passed", run
    assert Relay.objects.count() == 1
