"""Scenarios on a Socket.IO endpoint, run through the relay against python-socketio and Node's
socket.io 4 (started on loopback by the test): emit an event with {{variables}} and wait for
its ack, extract from the ack, emit a documented message, expect a server event by name with
JSON assertions on its arguments array, leave an ack to an expect step, and an ack that never
comes failing its step. A WebSocket endpoint's connection cannot emit (checked when saved)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from endpoints.environments.services import variable_create
from endpoints.tree.services import endpoint_create
from tests.core.socketio.test_servers import SERVERS, Server, start
from tests.scenarios.conftest import Scenarios
from tests.scenarios.test_runs import _run, _scenario, _steps

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture(scope="module", params=["python-socketio", "node-socket.io-4"])
def sio_server(request: pytest.FixtureRequest) -> Iterator[Server]:
    version, command = SERVERS[request.param]
    process, port = start(command)
    try:
        yield Server(request.param, version, port)
    finally:
        process.kill()
        process.wait(10)


def _endpoint(scenarios: Scenarios, server: Server) -> int:
    endpoint = endpoint_create(
        project=scenarios.team.project,
        actor=scenarios.team.editor,
        data={
            "name": "Echo",
            "protocol": "socketio",
            "url": server.url(),
            "messages": [
                {
                    "name": "tell",
                    "direction": "send",
                    "examples": [{"name": "Two", "body": '["told {{who}}", 2]'}],
                },
                {"name": "echoed", "direction": "receive"},
            ],
        },
    )
    return int(endpoint.pk)


def test_emit_ack_extract_and_expect_events(
    relay: Any, scenarios: Scenarios, sio_server: Server, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    endpoint = _endpoint(scenarios, sio_server)
    steps = [
        {"kind": "connect", "alias": "a", "endpoint": endpoint},
        {
            "kind": "expect",
            "alias": "a",
            "assertions": [
                {"kind": "event", "name": "welcome"},
                {"kind": "json", "path": "$[0].nsp", "op": "equals", "value": "/"},
            ],
        },
        {
            "kind": "emit",
            "alias": "a",
            "event": "echo",
            "args": ["hi {{who}}", {"n": 7}],
            "ack": True,
            "ack_timeout_ms": 3000,
        },
        {"kind": "extract", "extract": [{"variable": "n", "path": "$[1].n"}]},
        {"kind": "emit", "alias": "a", "message": "tell"},
        {
            "kind": "expect",
            "alias": "a",
            "assertions": [
                {"kind": "event", "name": "echoed"},
                {"kind": "message", "name": "echoed"},
                {"kind": "json", "path": "$", "op": "equals", "value": ["told {{who}}", 2]},
            ],
        },
        {
            "kind": "emit",
            "alias": "a",
            "event": "echo",
            "args": ["{{n}}"],
            "ack": True,
            "wait_ack": False,
        },
        {
            "kind": "expect",
            "alias": "a",
            "assertions": [
                {"kind": "ack", "event": "echo"},
                {"kind": "json", "path": "$[0]", "op": "equals", "value": "7"},
            ],
        },
        {"kind": "disconnect", "alias": "a"},
    ]
    scenario = _scenario(api, scenarios, steps, variables=[{"name": "who", "value": "bob"}])
    run = _run(api, scenarios, scenario)
    assert run["status"] == "passed", run
    titles = _steps(run)
    assert titles[2] == ("a: emit echo and wait for the ack", "passed")
    assert titles[4] == ("a: emit tell", "passed")
    result = run["iterations"][0]["steps"]
    assert result[3]["extracted"] == {"n": "7"}
    assert result[2]["frame"]["sio"]["type"] == "ack"
    assert result[5]["frame"]["sio"] == {
        "type": "event",
        "namespace": "/",
        "event": "echoed",
        "ack_id": None,
    }


def test_an_ack_that_never_comes_fails_its_step(
    relay: Any, scenarios: Scenarios, sio_server: Server, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    endpoint = _endpoint(scenarios, sio_server)
    steps = [
        {"kind": "connect", "alias": "a", "endpoint": endpoint},
        {
            "kind": "emit",
            "alias": "a",
            "event": "nobody-listens",
            "ack": True,
            "ack_timeout_ms": 300,
        },
    ]
    run = _run(api, scenarios, _scenario(api, scenarios, steps))
    assert run["status"] == "failed", run
    failed = run["iterations"][0]["steps"][1]
    assert failed["status"] == "failed"
    assert failed["message"] == "No acknowledgement within 300 ms."


def test_emit_steps_are_checked_when_saved(scenarios: Scenarios, client_for: Any) -> None:
    api = client_for(scenarios.team.editor)
    ticker = scenarios.ticker.pk
    response = api.post(
        scenarios.base,
        {
            "name": "S",
            "steps": [
                {"kind": "connect", "alias": "t", "endpoint": ticker},
                {"kind": "emit", "alias": "t", "event": "x"},
                {"kind": "connect", "alias": "u", "url": "ws://127.0.0.1:9/"},
                {"kind": "emit", "alias": "u", "event": "x"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert fields["steps[1].alias"] == ["'t' is not a Socket.IO endpoint: send messages instead"]
    assert fields["steps[3].alias"] == ["'u' connects to a URL: only a Socket.IO endpoint emits"]


def test_a_secret_echoed_in_an_ack_is_compared_as_its_value(
    relay: Any, scenarios: Scenarios, sio_server: Server, client_for: Any
) -> None:
    variable_create(
        project=scenarios.team.project,
        actor=scenarios.team.admin,
        name="key",
        initial_value="s3cr3t-value",
        secret=True,
    )
    api = client_for(scenarios.team.editor)
    endpoint = _endpoint(scenarios, sio_server)
    steps = [
        {"kind": "connect", "alias": "a", "endpoint": endpoint},
        {"kind": "expect", "alias": "a", "assertions": [{"kind": "event", "name": "welcome"}]},
        {
            "kind": "emit",
            "alias": "a",
            "event": "echo",
            "args": ["{{key}}"],
            "ack": True,
            "wait_ack": False,
        },
        {
            "kind": "expect",
            "alias": "a",
            "assertions": [
                {"kind": "ack", "event": "echo"},
                {"kind": "json", "path": "$[0]", "op": "equals", "value": "{{key}}"},
            ],
        },
    ]
    run = _run(api, scenarios, _scenario(api, scenarios, steps))
    assert run["status"] == "passed", json.dumps(run["iterations"])[:3000]
    assert "s3cr3t-value" not in json.dumps(run)
