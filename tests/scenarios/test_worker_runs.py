"""A run in a relay worker process that is killed mid-run ends error within the documented
bound (RELAY_LOST_AFTER, plus the heartbeat), and its sessions are marked lost."""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from tests.polling import wait_for
from tests.scenarios.conftest import Scenarios
from tests.scenarios.upstreams import ScenarioUpstream
from tests.sessions.test_worker import Worker, worker_env  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_killing_the_relay_mid_run_ends_the_run_error(
    worker_env: dict[str, str],  # noqa: F811
    scenarios: Scenarios,
    scenario_upstream: ScenarioUpstream,
    client_for: Any,
) -> None:
    api = client_for(scenarios.team.editor)
    steps = [
        {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
        {"kind": "send", "alias": "e", "body": "before"},
        {
            "kind": "expect",
            "alias": "e",
            "assertions": [{"kind": "text", "op": "equals", "value": "before"}],
        },
        {"kind": "wait", "ms": 60_000},
        {"kind": "send", "alias": "e", "body": "never"},
    ]
    created = api.post(scenarios.base, {"name": "Long", "steps": steps}, format="json")
    assert created.status_code == 201, created.content
    worker = Worker(worker_env)
    try:
        run = api.post(f"{scenarios.base}{created.json()['id']}/runs/", {}, format="json").json()
        url = f"/api/v1/projects/{scenarios.team.project.pk}/runs/{run['id']}/"

        def waiting() -> bool:
            steps_now = api.get(url).json()["iterations"]
            return bool(steps_now) and steps_now[0]["steps"][3]["status"] == "running"

        wait_for(waiting, timeout=20)
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(5)
        killed_at = time.monotonic()
        wait_for(lambda: api.get(url).json()["status"] == "error", timeout=15)
        # RELAY_LOST_AFTER (1.5 s here) after the last heartbeat (0.3 s), plus slack.
        assert time.monotonic() - killed_at < 1.5 + 0.3 + 2.0
    finally:
        worker.stop()
    final = api.get(url).json()
    assert "relay running it stopped or was lost" in final["error"]
    assert "never" not in scenario_upstream.received_on("/echo")
