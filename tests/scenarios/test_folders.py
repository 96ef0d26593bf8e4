"""Scenario folders: create, rename, move (never into themselves), reorder, delete only when
empty; scenarios filed in them; who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from scenarios.models import ScenarioFolder
from tests.conftest import assert_error
from tests.scenarios.conftest import Scenarios, all_rows


def _base(scenarios: Scenarios) -> str:
    return f"/api/v1/projects/{scenarios.team.project.pk}/scenario-folders/"


def test_folders_hold_scenarios(scenarios: Scenarios, client_for: Any) -> None:
    api = client_for(scenarios.team.editor)
    base = _base(scenarios)
    smoke = api.post(base, {"name": "Smoke"}, format="json")
    assert smoke.status_code == 201, smoke.content
    chat = api.post(base, {"name": "Chat", "parent": smoke.json()["id"]}, format="json").json()
    assert chat["parent"] == smoke.json()["id"] and chat["position"] == 0
    created = api.post(
        scenarios.base, {"name": "In chat", "folder": chat["id"]}, format="json"
    ).json()
    assert created["folder"] == chat["id"]
    assert [s["name"] for s in api.get(scenarios.base, {"folder": chat["id"]}).json()] == [
        "In chat"
    ]

    url = f"{base}{smoke.json()['id']}/"
    cycle = api.patch(url, {"version": 1, "parent": chat["id"]}, format="json")
    assert_error(cycle, 400, "folder_cycle")
    renamed = api.patch(url, {"version": 1, "name": "Smoke tests"}, format="json")
    assert renamed.json()["name"] == "Smoke tests" and renamed.json()["version"] == 2
    chat_url = f"{base}{chat['id']}/"
    moved = api.patch(chat_url, {"version": 1, "parent": None}, format="json").json()
    assert moved["parent"] is None
    assert [f["name"] for f in api.get(base).json()] == ["Smoke tests", "Chat"]

    before = all_rows()
    assert_error(api.delete(chat_url), 409, "folder_not_empty")
    assert all_rows() == before
    scenario_url = f"{scenarios.base}{created['id']}/"
    api.patch(scenario_url, {"version": 1, "folder": None}, format="json")
    assert api.delete(chat_url).status_code == 204
    assert not ScenarioFolder.objects.filter(pk=chat["id"]).exists()
    assert_error(api.post(base, {"name": "  "}, format="json"), 400, "validation_error")


@pytest.mark.parametrize("role", ["admin", "editor", "viewer", "outsider", "anonymous"])
def test_folder_permissions(scenarios: Scenarios, client_for: Any, role: str) -> None:
    folder = (
        client_for(scenarios.team.editor)
        .post(_base(scenarios), {"name": "F"}, format="json")
        .json()
    )
    api = APIClient() if role == "anonymous" else client_for(scenarios.team.user(role))
    before = all_rows()
    listed = api.get(_base(scenarios))
    created = api.post(_base(scenarios), {"name": "G"}, format="json")
    deleted = api.delete(f"{_base(scenarios)}{folder['id']}/")
    if role in ("admin", "editor"):
        assert (listed.status_code, created.status_code, deleted.status_code) == (200, 201, 204)
        return
    read, write = {"viewer": (200, 403), "outsider": (404, 404), "anonymous": (401, 401)}[role]
    assert (listed.status_code, created.status_code, deleted.status_code) == (read, write, write)
    assert all_rows() == before
