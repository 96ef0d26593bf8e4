"""Scenarios over REST: create, read, list, change under a version check with history, delete;
changes announced live; every bad input a 400 naming the step and field, with nothing written;
who may do what, as a matrix."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from endpoints.models import ProjectEvent
from scenarios.models import Scenario, ScenarioRevision
from scenarios.serializers import ScenarioOutSerializer, ScenarioSummarySerializer
from tests.conftest import assert_error
from tests.factories import make_env
from tests.scenarios.conftest import Scenarios, all_rows, ticker_steps
from tests.test_shapes import assert_shape


def _create(api: APIClient, scenarios: Scenarios, **fields: Any) -> Any:
    body = {"name": "Ticker smoke", "steps": ticker_steps(scenarios.ticker.pk), **fields}
    return api.post(scenarios.base, body, format="json")


def test_create_read_list_change_history_delete(scenarios: Scenarios, client_for: Any) -> None:
    api = client_for(scenarios.team.editor)
    env = make_env(scenarios.team, "Staging", "wss://staging.example.test")
    created = _create(
        api,
        scenarios,
        description="Subscribes and reads a trade.",
        environment=env.pk,
        variables=[{"name": "symbol", "value": "BTC-USD"}],
        tags=["smoke", "ticker"],
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert_shape(body, ScenarioOutSerializer)
    assert body["version"] == 1 and created["ETag"] == '"1"'
    assert body["tags"] == ["smoke", "ticker"] and body["environment"] == env.pk
    assert body["step_count"] == 7 and body["data_driven"] is False
    assert body["step_info"][1] == {"title": "t: send subscribe (Chosen)", "variables": ["symbol"]}
    assert body["step_info"][3]["variables"] == ["symbol"]
    url = f"{scenarios.base}{body['id']}/"
    assert api.get(url).json() == body

    listed = api.get(scenarios.base).json()
    assert [item["name"] for item in listed] == ["Ticker smoke"]
    assert_shape(listed[0], ScenarioSummarySerializer)
    assert api.get(scenarios.base, {"tag": "SMOKE"}).json() == listed
    assert api.get(scenarios.base, {"tag": "other"}).json() == []
    assert api.get(scenarios.base, {"q": "smo"}).json() == listed

    steps = body["steps"] + [{"kind": "wait", "ms": 50}]
    changed = api.patch(url, {"version": 1, "steps": steps, "name": "Ticker"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2 and changed.json()["steps"][-1] == {
        "kind": "wait",
        "ms": 50,
    }
    same = api.patch(url, {"version": 2, "name": "Ticker"}, format="json")
    assert same.json()["version"] == 2  # nothing changed: no new version
    stale = api.patch(url, {"version": 1, "description": "late"}, format="json")
    assert assert_error(stale, 412, "version_conflict")["current_version"] == 2
    assert_error(api.patch(url, {"name": "x"}, format="json"), 400, "validation_error")

    history = api.get(url + "history/").json()
    assert [(r["version"], r["action"]) for r in history] == [(2, "updated"), (1, "created")]
    assert [c["field"] for c in history[0]["changes"]] == ["name", "steps"]
    assert history[0]["actor"]["username"] == "eve"

    kinds = list(ProjectEvent.objects.order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["scenario.created", "scenario.updated"]
    updated = ProjectEvent.objects.filter(kind="scenario.updated").get().data
    assert updated["changed"] == ["name", "steps"]
    assert updated["scenario"] == {"id": body["id"], "name": "Ticker", "folder": None, "version": 2}

    assert api.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not Scenario.objects.exists() and not ScenarioRevision.objects.exists()
    last = ProjectEvent.objects.order_by("seq").last()
    assert last is not None and last.kind == "scenario.deleted"
    assert_error(api.get(url), 404, "not_found")


def test_a_data_driven_scenario(scenarios: Scenarios, client_for: Any) -> None:
    api = client_for(scenarios.team.editor)
    table = {"format": "csv", "text": "symbol\nBTC-USD\nETH-USD\nSOL-USD\n"}
    created = _create(api, scenarios, data_table=table)
    assert created.status_code == 201, created.content
    assert created.json()["data_driven"] is True and created.json()["data_table"] == table


BAD = [
    ({"steps": "connect"}, "steps"),
    ({"steps": [{"kind": "teleport"}]}, "steps[0].kind"),
    ({"steps": [{"kind": "send", "alias": "ghost", "body": "hi"}]}, "steps[0].alias"),
    ({"steps": [{"kind": "connect", "alias": "t", "endpoint": 999999}]}, "steps[0].endpoint"),
    (
        {
            "steps": [
                {"kind": "connect", "alias": "t", "endpoint": "{ticker}"},
                {"kind": "send", "alias": "t", "message": "unsubscribe"},
            ]
        },
        "steps[1].message",
    ),
    (
        {
            "steps": [
                {"kind": "connect", "alias": "t", "url": "ws://127.0.0.1:9/"},
                {
                    "kind": "expect",
                    "alias": "t",
                    "assertions": [{"kind": "json", "path": "$..[", "op": "exists"}],
                },
            ]
        },
        "steps[1].assertions[0].path",
    ),
    (
        {
            "steps": [
                {"kind": "connect", "alias": "t", "url": "ws://127.0.0.1:9/"},
                {
                    "kind": "expect",
                    "alias": "t",
                    "assertions": [{"kind": "text", "op": "matches", "value": "(("}],
                },
            ]
        },
        "steps[1].assertions[0].value",
    ),
    ({"data_table": {"format": "csv", "text": "a,b\n1\n"}}, "data_table.text"),
    ({"data_table": {"format": "csv", "text": "symbol,unused\nBTC,1\n"}}, "data_table.text"),
    ({"data_table": {"format": "xls", "text": "a"}}, "data_table.format"),
    ({"data_table": "symbol\nBTC"}, "data_table"),
    ({"variables": [{"name": "1x", "value": ""}]}, "variables[0].name"),
    ({"variables": [{"name": "a", "value": ""}, {"name": "a", "value": ""}]}, "variables[1].name"),
    ({"environment": 999999}, "environment"),
    ({"folder": 999999}, "folder"),
    ({"name": ""}, "name"),
]


@pytest.mark.parametrize(("fields", "field"), BAD, ids=[field for _, field in BAD])
def test_bad_input_names_the_field_and_writes_nothing(
    scenarios: Scenarios, client_for: Any, fields: dict[str, Any], field: str
) -> None:
    api = client_for(scenarios.team.editor)
    if "steps" in fields and isinstance(fields["steps"], list):
        for step in fields["steps"]:
            if step.get("endpoint") == "{ticker}":
                step["endpoint"] = scenarios.ticker.pk
    before = all_rows()
    response = _create(api, scenarios, **fields)
    body = assert_error(response, 400, "validation_error")
    assert field in body["fields"], body
    assert all_rows() == before


P = "/api/v1/projects/{p}/scenarios/"
OPERATIONS = {
    "list": ("read", "get", P, None, 200),
    "read": ("read", "get", P + "{s}/", None, 200),
    "history": ("read", "get", P + "{s}/history/", None, 200),
    "create": ("write", "post", P, {"name": "New"}, 201),
    "update": ("write", "patch", P + "{s}/", {"version": 1, "name": "Renamed"}, 200),
    "delete": ("write", "delete", P + "{s}/", None, 204),
}
ALLOWED = {"read": {"admin", "editor", "viewer"}, "write": {"admin", "editor"}}
ROLES = ("admin", "editor", "viewer", "outsider", "anonymous")


@pytest.mark.parametrize(("role", "name"), [(r, n) for n in OPERATIONS for r in ROLES])
def test_permission_matrix(scenarios: Scenarios, client_for: Any, role: str, name: str) -> None:
    action, method, path, body, success = OPERATIONS[name]
    scenario = _create(client_for(scenarios.team.editor), scenarios).json()
    api = APIClient() if role == "anonymous" else client_for(scenarios.team.user(role))
    url = path.format(p=scenarios.team.project.pk, s=scenario["id"])
    before = all_rows()
    response = getattr(api, method)(url, body, format="json") if body else getattr(api, method)(url)
    if role in ALLOWED[action]:
        assert response.status_code == success, response.content
        return
    expected = {"anonymous": 401, "outsider": 404}.get(role, 403)
    assert response.status_code == expected, response.content
    assert all_rows() == before


@pytest.mark.parametrize("count", [2, 20])
def test_the_list_takes_a_fixed_number_of_queries(
    scenarios: Scenarios, client_for: Any, django_assert_max_num_queries: Any, count: int
) -> None:
    api = client_for(scenarios.team.viewer)
    editor = client_for(scenarios.team.editor)
    for number in range(count):
        assert _create(editor, scenarios, name=f"S{number}", tags=["smoke"]).status_code == 201
    with django_assert_max_num_queries(6):
        assert len(api.get(scenarios.base).json()) == count
