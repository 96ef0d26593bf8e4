"""Round trip: export → import into an empty project → export gives the same document (up to
key order), for a project built in Switchboard and for each test document imported first.
Every exported document passes the official parser."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from endpoints.models import Role
from endpoints.projects.services import member_add, project_create
from tests.asyncapi_parser import assert_valid_asyncapi
from tests.endpoints.asyncapi.conftest import make_rich
from tests.endpoints.asyncapi.test_import import document


def export(api: Any, project: Any, syntax: str = "yaml") -> str:
    response = api.get(f"/api/v1/projects/{project.pk}/asyncapi.{syntax}")
    assert response.status_code == 200, response.content
    return response.content.decode()


def import_into(api: Any, project: Any, text: str) -> dict[str, Any]:
    response = api.post(
        f"/api/v1/projects/{project.pk}/asyncapi/import/", {"document": text}, format="json"
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def empty_project_like(team: Any, project: Any) -> Any:
    other = project_create(actor=team.admin, name=project.name, description=project.description)
    member_add(project=other, user_ref=team.editor.pk, role=Role.EDITOR)
    return other


@pytest.mark.parametrize("syntax", ["yaml", "json"])
def test_a_switchboard_project_round_trips(team: Any, client_for: Any, syntax: str) -> None:
    make_rich(team)
    api = client_for(team.admin)
    first = export(api, team.project, syntax)
    assert_valid_asyncapi(first)
    copy = empty_project_like(team, team.project)
    report = import_into(api, copy, first)
    assert report["unsupported"] == []
    second = export(api, copy, syntax)
    assert yaml.safe_load(second) == yaml.safe_load(first)


@pytest.mark.parametrize("name", ["ticker.yaml", "chat.yaml", "market-2.6.yaml"])
def test_the_test_documents_round_trip(team: Any, client_for: Any, name: str) -> None:
    api = client_for(team.admin)
    import_into(api, team.project, document(name))
    first = export(api, team.project)
    assert_valid_asyncapi(first)
    copy = empty_project_like(team, team.project)
    report = import_into(api, copy, first)
    assert report["unsupported"] == []
    assert yaml.safe_load(export(api, copy)) == yaml.safe_load(first)
