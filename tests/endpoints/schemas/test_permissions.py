"""Who may do what with project schemas, as one table: every member reads and generates (it
writes nothing), editors and admins write, an outsider gets the 404 of a project that does not
exist, an anonymous caller 401. A refused write changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sessions.models import DebugSession
from tests.conftest import assert_error
from tests.endpoints.schemas.conftest import Schemas
from tests.endpoints.test_bad_input import workspace_rows
from tests.factories import log_entry

READ, WRITE = "read", "write"
ALLOWED = {READ: {"admin", "editor", "viewer"}, WRITE: {"admin", "editor"}}
ROLES = ("admin", "editor", "viewer", "outsider", "anonymous")
UNUSED_PROJECT_ID = 2_000_000_000


@dataclass(frozen=True)
class Operation:
    action: str
    method: str
    path: str  # formatted with p (project) and s (the unused schema Spare)
    body: dict[str, Any] | None = None
    success: int = 200


P = "/api/v1/projects/{p}/schemas/"
OPERATIONS = {
    "list": Operation(READ, "get", P),
    "read": Operation(READ, "get", P + "{s}/"),
    "generate": Operation(READ, "post", P + "generate/", {"example": '{"a": 1}'}),
    "create": Operation(WRITE, "post", P, {"name": "Quote", "schema": {"type": "object"}}, 201),
    "update": Operation(WRITE, "patch", P + "{s}/", {"version": 1, "description": "Spare"}),
    "delete": Operation(WRITE, "delete", P + "{s}/", success=204),
}
MATRIX = [pytest.param(role, name, id=f"{role}-{name}") for name in OPERATIONS for role in ROLES]


def perform(api: APIClient, operation: Operation, ids: dict[str, Any]) -> Any:
    path = operation.path.format(**ids)
    if operation.method == "get":
        return api.get(path)
    return getattr(api, operation.method)(path, operation.body, format="json")


@pytest.mark.parametrize(("role", "name"), MATRIX)
def test_permission_matrix(schemas: Schemas, client_for: Any, role: str, name: str) -> None:
    operation = OPERATIONS[name]
    ids = {"p": schemas.team.project.pk, "s": schemas.spare.pk}
    api = APIClient() if role == "anonymous" else client_for(schemas.team.user(role))
    before = workspace_rows()

    response = perform(api, operation, ids)

    if role == "anonymous":
        assert_error(response, 401, "not_authenticated")
    elif role == "outsider":
        body = assert_error(response, 404, "not_found")
        nowhere = perform(api, operation, {**ids, "p": UNUSED_PROJECT_ID})
        assert nowhere.status_code == 404 and body == nowhere.json()
    elif role in ALLOWED[operation.action]:
        assert response.status_code == operation.success, (response.status_code, response.content)
        assert (workspace_rows() != before) == (operation.action == WRITE)
        return
    else:
        body = assert_error(response, 403, "permission_denied")
        assert body["role"] == role
    assert workspace_rows() == before


def test_a_schema_of_another_project_is_not_found(
    schemas: Schemas, client_for: Any, make_user: Any
) -> None:
    from endpoints.projects.services import project_create

    other = project_create(actor=schemas.team.editor, name="Other")
    api = client_for(schemas.team.editor)
    url = f"/api/v1/projects/{other.pk}/schemas/{schemas.spare.pk}/"
    assert_error(api.get(url), 404, "not_found")
    assert_error(api.delete(url), 404, "not_found")


def test_generating_from_someone_elses_session_is_not_found(
    schemas: Schemas, client_for: Any
) -> None:
    session = DebugSession.objects.create(
        owner=schemas.team.admin, project=schemas.team.project, name="Ada's", url="wss://x.test"
    )
    log_entry(session, 1, timezone.now(), '{"a": 1}').save()
    body = {"session": session.pk, "seq": 1}
    path = f"/api/v1/projects/{schemas.team.project.pk}/schemas/generate/"
    for role in ("editor", "viewer", "outsider"):
        assert_error(client_for(schemas.team.user(role)).post(path, body, format="json"), 404)
    assert client_for(schemas.team.admin).post(path, body, format="json").status_code == 200
