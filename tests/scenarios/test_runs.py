"""Runs of scenarios on the server, through a relay (in a thread, as a worker), against real
upstreams on loopback: a chat between two connections, a documented ticker with negative and
schema assertions, a data-driven run, failures with expected and actual values, and runs that
end error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scenarios.models import Run, RunSession
from sessions.models import DebugSession, Event
from tests.factories import make_ticker, make_var
from tests.scenarios.conftest import Scenarios
from tests.scenarios.upstreams import ScenarioUpstream


def _scenario(api: Any, scenarios: Scenarios, steps: list[Any], **fields: Any) -> int:
    response = api.post(
        scenarios.base, {"name": fields.pop("name", "S"), "steps": steps, **fields}, format="json"
    )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _run(api: Any, scenarios: Scenarios, scenario_id: int, **body: Any) -> dict[str, Any]:
    response = api.post(
        f"{scenarios.base}{scenario_id}/runs/", {"wait": True, **body}, format="json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def _steps(run: dict[str, Any], iteration: int = 0) -> list[tuple[str, str]]:
    return [(s["title"], s["status"]) for s in run["iterations"][iteration]["steps"]]


def chat_steps(url: str) -> list[dict[str, Any]]:
    return [
        {"kind": "connect", "alias": "alice", "url": url + "?user=alice"},
        {"kind": "connect", "alias": "bob", "url": url + "?user=bob"},
        {"kind": "send", "alias": "alice", "format": "json", "body": '{"text": "hi {{friend}}"}'},
        {
            "kind": "expect",
            "alias": "bob",
            "timeout_ms": 3000,
            "assertions": [
                {"kind": "json", "path": "$.type", "op": "equals", "value": "message"},
                {"kind": "json", "path": "$.text", "op": "equals", "value": "hi {{friend}}"},
                {"kind": "json", "path": "$.from", "op": "equals", "value": "alice"},
            ],
        },
        {"kind": "extract", "extract": [{"variable": "mid", "path": "$.id"}]},
        {
            "kind": "send",
            "alias": "bob",
            "format": "json",
            "body": '{"reply_to": "{{mid}}", "text": "hello"}',
        },
        {
            "kind": "expect",
            "alias": "alice",
            "timeout_ms": 3000,
            "assertions": [
                {"kind": "json", "path": "$.reply_to", "op": "equals", "value": "{{mid}}"},
                {"kind": "text", "op": "contains", "value": "hello"},
            ],
        },
        {"kind": "disconnect", "alias": "bob", "code": 1000, "reason": "done"},
    ]


def test_a_chat_between_two_connections(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    scenario = _scenario(
        api,
        scenarios,
        chat_steps(scenario_upstream.url("/chat")),
        variables=[{"name": "friend", "value": "bob"}],
    )
    run = _run(api, scenarios, scenario)
    assert run["status"] == "passed", run
    assert all(status == "passed" for _, status in _steps(run))
    steps = run["iterations"][0]["steps"]
    assert steps[4]["extracted"]["mid"].startswith("m-")
    assert steps[6]["frame"]["text"].count(steps[4]["extracted"]["mid"]) == 1
    assert run["counts"] == {"passed": 8, "failed": 0, "error": 0, "skipped": 0}
    # Each connection is a debug session of the run, with its whole log kept.
    sessions = {item["alias"]: item["session"] for item in run["sessions"]}
    assert set(sessions) == {"alice", "bob"}
    alice = DebugSession.objects.get(pk=sessions["alice"])
    assert alice.owner == scenarios.team.editor and alice.state == "closed"
    # They stay out of the member's own session list (the endpoint editor picks from it).
    own = api.get("/api/v1/sessions/", {"project": scenarios.team.project.pk}).json()["results"]
    assert not {item["id"] for item in own} & set(sessions.values())
    assert api.get(f"/api/v1/sessions/{sessions['alice']}/").status_code == 200
    kinds = list(Event.objects.filter(session=alice).order_by("seq").values_list("kind", flat=True))
    assert kinds == ["connecting", "open", "sent", "received", "closed"]
    frame = steps[6]["frame"]
    stored = Event.objects.get(session_id=frame["session"], seq=frame["seq"])
    assert stored.kind == "received" and "hello" in (stored.text or "")


def test_a_documented_ticker_with_negative_and_schema_assertions(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    ticker = make_ticker(scenarios.team, name="Live ticker", url=scenario_upstream.url("/ticker"))
    steps = [
        {"kind": "connect", "alias": "t", "endpoint": ticker.pk},
        {"kind": "send", "alias": "t", "message": "subscribe", "example": "Chosen"},
        {"kind": "expect", "alias": "t", "assertions": [{"kind": "message", "name": "subscribed"}]},
        {
            "kind": "expect",
            "alias": "t",
            "mode": "any",
            "assertions": [
                {"kind": "message", "name": "trade"},
                {"kind": "valid"},
                {"kind": "json", "path": "$.symbol", "op": "equals", "value": "{{symbol}}"},
                {"kind": "json", "path": "$.price", "op": "gt", "value": 0},
            ],
        },
        {
            "kind": "expect",
            "alias": "t",
            "none": True,
            "timeout_ms": 300,
            "assertions": [{"kind": "message", "name": "error"}],
        },
    ]
    scenario = _scenario(api, scenarios, steps, variables=[{"name": "symbol", "value": "BTC-USD"}])
    run = _run(api, scenarios, scenario)
    assert run["status"] == "passed", run
    trade = run["iterations"][0]["steps"][3]
    assert trade["frame"]["message"] == "trade" and trade["frame"]["contract"] == "valid"

    # The same with the symbol whose trade breaks the schema: the valid assertion fails, with
    # the schema's problem as what it found.
    failing = _run(api, scenarios, scenario, variables={"symbol": "BAD"})
    assert failing["status"] == "failed"
    assert [status for _, status in _steps(failing)] == [
        "passed",
        "passed",
        "passed",
        "failed",
        "skipped",
    ]
    step = failing["iterations"][0]["steps"][3]
    assert "No matching frame" in step["message"]
    valid = next(a for a in step["assertions"] if a["summary"] == "is valid against its schema")
    assert valid["passed"] is False and valid["expected"] == "valid"
    assert any("/price" in problem for problem in valid["actual"])
    assert [frame["message"] for frame in step["frames_seen"]] == [None, "trade"]


def test_a_data_driven_run_and_a_failure_with_expected_and_actual(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    steps = [
        {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
        {
            "kind": "send",
            "alias": "e",
            "format": "json",
            "body": '{"n": {{n}}, "word": "{{word}}"}',
        },
        {
            "kind": "expect",
            "alias": "e",
            "assertions": [
                {"kind": "json", "path": "$.n", "op": "lt", "value": 3},
                {"kind": "json", "path": "$.word", "op": "matches", "value": "^[a-z]+$"},
            ],
        },
    ]
    table = {"format": "csv", "text": "n,word\n1,one\n2,two\n5,five\n"}
    scenario = _scenario(api, scenarios, steps, data_table=table)
    run = _run(api, scenarios, scenario)
    assert run["status"] == "failed"
    assert [(it["row"], it["status"]) for it in run["iterations"]] == [
        ({"n": "1", "word": "one"}, "passed"),
        ({"n": "2", "word": "two"}, "passed"),
        ({"n": "5", "word": "five"}, "failed"),
    ]
    step = run["iterations"][2]["steps"][2]
    assert step["message"] == "$.n < 3: expected 3, got 5"
    assert step["assertions"][0] == {
        "summary": "$.n < 3",
        "passed": False,
        "expected": 3,
        "actual": 5,
        "reason": "",
    }
    assert step["frame"]["text"] == '{"n": 5, "word": "five"}'
    assert run["counts"] == {"passed": 8, "failed": 1, "error": 0, "skipped": 0}
    assert RunSession.objects.filter(run_id=run["id"]).count() == 3


def test_runs_that_end_error(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    refused = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "x", "url": "ws://upstream.test:1/nothing"},
            {"kind": "send", "alias": "x", "body": "hi"},
        ],
    )
    run = _run(api, scenarios, refused)
    assert run["status"] == "error"
    first = run["iterations"][0]["steps"][0]
    assert first["status"] == "error" and "could not connect" in first["message"]
    assert run["iterations"][0]["steps"][1]["status"] == "skipped"

    closing = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "c", "url": scenario_upstream.url("/close?code=4001")},
            {"kind": "send", "alias": "c", "body": "bye?"},
            {"kind": "expect_close", "alias": "c", "code": 4001, "by": "server"},
        ],
    )
    assert _run(api, scenarios, closing)["status"] == "passed"
    unknown = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
            {"kind": "send", "alias": "e", "body": "{{nobody}}"},
        ],
    )
    run = _run(api, scenarios, unknown)
    assert run["status"] == "error"
    assert "Unknown variable(s) in the body: nobody" in run["iterations"][0]["steps"][1]["message"]


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_every_member_may_run_and_read_runs(
    relay: Any,
    scenarios: Scenarios,
    scenario_upstream: ScenarioUpstream,
    client_for: Any,
    role: str,
) -> None:
    scenario = _scenario(
        client_for(scenarios.team.editor),
        scenarios,
        [{"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")}],
    )
    api = client_for(scenarios.team.user(role))
    run = _run(api, scenarios, scenario)
    assert run["status"] == "passed"
    base = f"/api/v1/projects/{scenarios.team.project.pk}/"
    assert client_for(scenarios.team.admin).get(f"{base}runs/{run['id']}/").json() == run
    listed = api.get(f"{scenarios.base}{scenario}/runs/").json()
    assert [item["id"] for item in listed] == [run["id"]]
    assert client_for(scenarios.team.outsider).get(f"{base}runs/{run['id']}/").status_code == 404
    # The run's connection logs, for every member through the run (the session itself is the
    # starter's: other members' session API answers 404).
    session = run["sessions"][0]["session"]
    log_url = f"{base}runs/{run['id']}/sessions/{session}/events/"
    other = "admin"
    log = client_for(scenarios.team.user(other)).get(log_url)
    assert log.status_code == 200, log.content
    assert [e["kind"] for e in log.json()["results"]] == ["connecting", "open", "closed"]
    assert (
        client_for(scenarios.team.user(other)).get(f"/api/v1/sessions/{session}/").status_code
        == 404
    )
    assert client_for(scenarios.team.outsider).get(log_url).status_code == 404
    assert api.get(f"{base}runs/{run['id']}/sessions/{session + 1000}/events/").status_code == 404
    assert Run.objects.get(pk=run["id"]).started_by == scenarios.team.user(role)


def test_a_suite_by_tag_runs_in_parallel_and_counts(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    api = client_for(scenarios.team.editor)
    echo = scenario_upstream.url("/slow?ms=200")
    ids = []
    for name, word in (("A", "a"), ("B", "b"), ("C", "c"), ("Fails", "x")):
        steps = [
            {"kind": "connect", "alias": "e", "url": echo},
            {"kind": "send", "alias": "e", "body": word},
            {
                "kind": "expect",
                "alias": "e",
                "assertions": [{"kind": "text", "op": "matches", "value": "^[abc]$"}],
            },
        ]
        ids.append(_scenario(api, scenarios, steps, name=name, tags=["smoke"]))
    _scenario(api, scenarios, [{"kind": "wait", "ms": 1}], name="Other", tags=["slow"])
    base = f"/api/v1/projects/{scenarios.team.project.pk}/suite-runs/"
    response = api.post(base, {"tag": "smoke", "parallelism": 4, "wait": True}, format="json")
    assert response.status_code == 201, response.content
    suite = response.json()
    assert suite["status"] == "failed"
    assert [run["scenario"]["name"] for run in suite["runs"]] == ["A", "B", "C", "Fails"]
    assert suite["counts"] == {"passed": 3, "failed": 1, "error": 0, "running": 0, "queued": 0}
    # Four runs of ~0.2 s each, four at a time: together, not one after the other.
    runs = Run.objects.filter(suite_id=suite["id"])
    first_end = min(run.finished_at for run in runs if run.finished_at)
    assert all(run.started_at and run.started_at < first_end for run in runs)
    assert api.get(f"{base}{suite['id']}/").json() == suite
    listed = api.post(base, {"scenarios": [ids[1], ids[0]], "wait": True}, format="json").json()
    assert [run["scenario"]["name"] for run in listed["runs"]] == ["B", "A"]
    assert listed["status"] == "passed"


def test_too_many_runs_at_once_is_429(
    scenarios: Scenarios, client_for: Any, settings: Any, transactional_db: None
) -> None:
    from django.utils import timezone

    from sessions.models import Relay as RelayRow

    # A relay that is registered but never answers: runs stay queued.
    RelayRow.objects.create(
        channel_name="relay.test!silent",
        host="t",
        pid=1,
        mode="worker",
        capacity=10,
        heartbeat_at=timezone.now(),
    )
    settings.SCENARIO_MAX_RUNS_PER_USER = 2
    api = client_for(scenarios.team.editor)
    scenario = _scenario(api, scenarios, [{"kind": "wait", "ms": 1}])
    url = f"{scenarios.base}{scenario}/runs/"
    assert api.post(url, {}, format="json").status_code == 201
    assert api.post(url, {}, format="json").status_code == 201
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_runs"
    assert Run.objects.count() == 2
    # Another member is not held back by eve's runs.
    assert client_for(scenarios.team.admin).post(url, {}, format="json").status_code == 201


def test_negative_expect_extraction_failure_and_limits(
    relay: Any,
    scenarios: Scenarios,
    scenario_upstream: ScenarioUpstream,
    client_for: Any,
    settings: Any,
) -> None:
    api = client_for(scenarios.team.editor)
    echo = scenario_upstream.url("/echo")
    negative = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": echo},
            {"kind": "send", "alias": "e", "body": "surprise"},
            {
                "kind": "expect",
                "alias": "e",
                "none": True,
                "timeout_ms": 1000,
                "assertions": [{"kind": "text", "op": "contains", "value": "surprise"}],
            },
        ],
    )
    run = _run(api, scenarios, negative)
    step = run["iterations"][0]["steps"][2]
    assert run["status"] == "failed" and step["message"] == "A frame matched within the timeout."
    assert step["frame"]["text"] == "surprise"

    extraction = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": echo},
            {"kind": "send", "alias": "e", "format": "json", "body": '{"a": 1}'},
            {"kind": "expect", "alias": "e"},
            {"kind": "extract", "extract": [{"variable": "b", "path": "$.b"}]},
            {"kind": "send", "alias": "e", "body": "{{b}}"},
        ],
    )
    run = _run(api, scenarios, extraction)
    assert [status for _, status in _steps(run)] == [
        "passed", "passed", "passed", "failed", "skipped",
    ]  # fmt: skip
    assert run["iterations"][0]["steps"][3]["message"] == "b: $.b finds nothing"

    # A run that would go on longer than SCENARIO_MAX_RUN_SECONDS ends error, not hanging.
    settings.SCENARIO_MAX_RUN_SECONDS = 0.5
    slow = _scenario(
        api,
        scenarios,
        [{"kind": "connect", "alias": "e", "url": echo}, {"kind": "wait", "ms": 5000}],
    )
    started = Run.objects.count()
    run = _run(api, scenarios, slow)
    assert run["status"] == "error" and "SCENARIO_MAX_RUN_SECONDS" in run["error"]
    assert Run.objects.count() == started + 1
    settings.SCENARIO_MAX_RUN_SECONDS = 600

    # More frames than SCENARIO_MAX_FRAMES: error, with the limit named.
    settings.SCENARIO_MAX_FRAMES = 3
    chatty = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": echo},
            *[{"kind": "send", "alias": "e", "body": f"m{n}"} for n in range(5)],
            {"kind": "wait", "ms": 300},
            {"kind": "expect", "alias": "e", "mode": "any", "timeout_ms": 200,
             "assertions": [{"kind": "text", "op": "equals", "value": "never"}]},
        ],
    )  # fmt: skip
    run = _run(api, scenarios, chatty)
    assert run["status"] == "error" and "SCENARIO_MAX_FRAMES" in run["error"]


def test_assertions_see_the_frame_as_it_arrived_not_as_the_log_cut_it(
    relay: Any,
    scenarios: Scenarios,
    scenario_upstream: ScenarioUpstream,
    client_for: Any,
    settings: Any,
) -> None:
    settings.SESSION_STORED_BYTES_PER_FRAME = 16  # the log keeps 16 bytes of each frame
    api = client_for(scenarios.team.editor)
    body = '{"pad": "' + "x" * 100 + '", "id": "tail-7"}'
    scenario = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
            {"kind": "send", "alias": "e", "format": "json", "body": body},
            {
                "kind": "expect",
                "alias": "e",
                "assertions": [{"kind": "json", "path": "$.id", "op": "equals", "value": "tail-7"}],
            },
            {"kind": "extract", "extract": [{"variable": "id", "path": "$.id"}]},
        ],
    )
    run = _run(api, scenarios, scenario)
    assert run["status"] == "passed", run
    steps = run["iterations"][0]["steps"]
    assert steps[3]["extracted"] == {"id": "tail-7"}
    assert steps[2]["frame"]["text"] == body[:16]  # what the log holds


def test_a_secret_echoed_back_never_reaches_the_results(
    relay: Any, scenarios: Scenarios, scenario_upstream: ScenarioUpstream, client_for: Any
) -> None:
    make_var(scenarios.team, "token", "s3cr3t-value-123", secret=True)
    api = client_for(scenarios.team.editor)
    scenario = _scenario(
        api,
        scenarios,
        [
            {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
            {"kind": "send", "alias": "e", "body": "token={{token}}"},
            {
                "kind": "expect",
                "alias": "e",
                "assertions": [{"kind": "text", "op": "equals", "value": "something else"}],
            },
        ],
    )
    run = _run(api, scenarios, scenario)
    assert run["status"] == "failed"
    assert "s3cr3t-value-123" not in json.dumps(run)
    assert run["iterations"][0]["steps"][2]["assertions"][0]["actual"] == "token=••••"
