"""Who may do what: every role by every operation of the workspace API, as one table.

Viewers read; editors also write the tree, endpoints and tags; admins also manage members and
the project. An authenticated non-member gets the same 404 as for a project that does not
exist (no hint that it does), and an anonymous caller gets 401. A refused write changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from endpoints.models import Endpoint, Folder, Membership, Message, Role, Tag
from tests.conftest import Team, assert_error
from tests.endpoints.test_bad_input import quick_team, workspace_rows

User = get_user_model()

READ, WRITE, MANAGE = "read", "write", "manage"
ALLOWED = {
    READ: {"admin", "editor", "viewer"},
    WRITE: {"admin", "editor"},
    MANAGE: {"admin"},
}
ROLES = ("admin", "editor", "viewer", "outsider", "anonymous")
UNUSED_PROJECT_ID = 2_000_000_000


@dataclass
class Workspace:
    team: Team
    folder: Folder  # holds `endpoint`
    empty_folder: Folder
    endpoint: Endpoint
    tag: Tag
    member: Any  # a viewer other than team.viewer, target of member patch/delete
    newcomer: Any  # an account that is not a member yet

    @property
    def ids(self) -> dict[str, Any]:
        return {
            "p": self.team.project.pk,
            "f": self.folder.pk,
            "empty": self.empty_folder.pk,
            "e": self.endpoint.pk,
            "t": self.tag.pk,
            "member": self.member.pk,
            "newcomer": self.newcomer.username,
        }


@pytest.fixture
def workspace(db: None) -> Workspace:
    team = quick_team()
    project, editor = team.project, team.editor
    member, newcomer = User.objects.bulk_create([User(username="wendy"), User(username="nina")])
    Membership.objects.create(project=project, user=member, role=Role.VIEWER)
    folder = Folder.objects.create(project=project, name="Market data", updated_by=editor)
    empty_folder = Folder.objects.create(project=project, name="Empty", position=1)
    endpoint = Endpoint.objects.create(
        project=project,
        folder=folder,
        name="Ticker",
        url="wss://example.test/ticker",
        assignee=editor,
        created_by=editor,
        updated_by=editor,
    )
    Message.objects.create(
        endpoint=endpoint, name="sub", format="json", examples=[{"name": "Example", "body": "{}"}]
    )
    tag = Tag.objects.create(project=project, name="market")
    endpoint.tags.add(tag)
    return Workspace(team, folder, empty_folder, endpoint, tag, member, newcomer)


@dataclass(frozen=True)
class Operation:
    action: str
    method: str
    path: str  # formatted with Workspace.ids
    body: dict[str, Any] | None = None
    success: int = 200


P = "/api/v1/projects/{p}"
OPERATIONS: dict[str, Operation] = {
    # writes
    "project-patch": Operation(MANAGE, "patch", P + "/", {"name": "Renamed"}),
    "project-delete": Operation(MANAGE, "delete", P + "/", success=204),
    "member-add": Operation(
        MANAGE, "post", P + "/members/", {"user": "{newcomer}", "role": "editor"}, 201
    ),
    "member-patch": Operation(MANAGE, "patch", P + "/members/{member}/", {"role": "editor"}),
    "member-delete": Operation(MANAGE, "delete", P + "/members/{member}/", success=204),
    "folder-create": Operation(WRITE, "post", P + "/folders/", {"name": "New"}, 201),
    "folder-patch": Operation(WRITE, "patch", P + "/folders/{f}/", {"name": "Renamed"}),
    "folder-delete": Operation(WRITE, "delete", P + "/folders/{empty}/", success=204),
    "endpoint-create": Operation(
        WRITE, "post", P + "/endpoints/", {"name": "New", "url": "ws://example.test/n"}, 201
    ),
    "endpoint-patch": Operation(WRITE, "patch", P + "/endpoints/{e}/", {"status": "tested"}),
    "endpoint-delete": Operation(WRITE, "delete", P + "/endpoints/{e}/", success=204),
    "batch": Operation(
        WRITE,
        "post",
        P + "/endpoints/batch/",
        {"ids": ["{e}"], "operations": [{"op": "set_status", "status": "released"}]},
    ),
    "tag-create": Operation(WRITE, "post", P + "/tags/", {"name": "fresh"}, 201),
    "tag-patch": Operation(WRITE, "patch", P + "/tags/{t}/", {"name": "markets"}),
    "tag-delete": Operation(WRITE, "delete", P + "/tags/{t}/", success=204),
    # reads
    "project-read": Operation(READ, "get", P + "/"),
    "members-list": Operation(READ, "get", P + "/members/"),
    "folders-list": Operation(READ, "get", P + "/folders/"),
    "folder-read": Operation(READ, "get", P + "/folders/{f}/"),
    "endpoints-list": Operation(READ, "get", P + "/endpoints/?status=developing"),
    "endpoint-read": Operation(READ, "get", P + "/endpoints/{e}/"),
    "tree": Operation(READ, "get", P + "/tree/"),
    "tags-list": Operation(READ, "get", P + "/tags/"),
}


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Put ids into a body template; a string that is exactly one placeholder keeps its type."""
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def perform(api: APIClient, operation: Operation, ids: dict[str, Any]) -> Any:
    path = operation.path.format(**ids)
    if operation.method == "get":
        return api.get(path)
    body = _fill(operation.body, ids) if operation.body is not None else None
    return getattr(api, operation.method)(path, body, format="json")


def client_as(role: str, team: Team, client_for: Callable[[Any], APIClient]) -> APIClient:
    return APIClient() if role == "anonymous" else client_for(team.user(role))


MATRIX = [pytest.param(role, name, id=f"{role}-{name}") for name in OPERATIONS for role in ROLES]


@pytest.mark.parametrize(("role", "name"), MATRIX)
def test_permission_matrix(
    workspace: Workspace, client_for: Callable[[Any], APIClient], role: str, name: str
) -> None:
    operation = OPERATIONS[name]
    ids = workspace.ids
    api = client_as(role, workspace.team, client_for)
    before = workspace_rows()

    response = perform(api, operation, ids)

    if role == "anonymous":
        assert_error(response, 401, "not_authenticated")
    elif role == "outsider":
        body = assert_error(response, 404, "not_found")
        # No hint that the project exists: the answer is the one for a project that does not.
        nowhere = perform(api, operation, {**ids, "p": UNUSED_PROJECT_ID})
        assert nowhere.status_code == 404 and body == nowhere.json()
    elif role in ALLOWED[operation.action]:
        assert response.status_code == operation.success, (response.status_code, response.content)
        if operation.action != READ:
            assert workspace_rows() != before, "an accepted write must change something"
        return
    else:
        body = assert_error(response, 403, "permission_denied")
        assert body["role"] == role
    assert workspace_rows() == before


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_weak_roles_are_refused_before_their_input_is_read(
    workspace: Workspace, client_for: Callable[..., Any], role: str
) -> None:
    """A 403 (not a 400) even for garbage: permission is checked first and reveals nothing."""
    api = client_for(workspace.team.user(role))
    response = api.generic(
        "PATCH", f"/api/v1/projects/{workspace.team.project.pk}/", "{not json", "application/json"
    )
    assert_error(response, 403, "permission_denied")


def test_outsider_404_is_the_same_for_existing_and_missing_objects(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    api = client_for(workspace.team.outsider)
    p, e = workspace.team.project.pk, workspace.endpoint.pk
    answers = [
        api.get(f"/api/v1/projects/{p}/endpoints/{e}/"),
        api.get(f"/api/v1/projects/{p}/endpoints/999999/"),
        api.get(f"/api/v1/projects/{UNUSED_PROJECT_ID}/endpoints/{e}/"),
        api.patch(f"/api/v1/projects/{p}/endpoints/{e}/", {"name": "x"}, format="json"),
        api.generic("POST", f"/api/v1/projects/{p}/endpoints/", "{broken", "application/json"),
        api.get(f"/api/v1/projects/{p}/endpoints/?status=not-a-status"),
        api.delete(f"/api/v1/projects/{p}/folders/{workspace.folder.pk}/", HTTP_IF_MATCH="junk"),
    ]
    bodies = [assert_error(r, 404, "not_found") for r in answers]
    assert all(body == bodies[0] for body in bodies), bodies


def test_outsider_with_a_real_token_sees_no_trace_of_the_project(
    workspace: Workspace, bearer_client: Callable[..., Any]
) -> None:
    api = bearer_client(workspace.team.outsider)
    assert api.get("/api/v1/projects/").json() == []
    assert_error(api.get(f"/api/v1/projects/{workspace.team.project.pk}/tree/"), 404, "not_found")
    # Creating a project of one's own is open to every account; the creator is its admin.
    created = api.post("/api/v1/projects/", {"name": "Mine"}, format="json")
    assert created.status_code == 201 and created.json()["role"] == "admin"
    assert [p["name"] for p in api.get("/api/v1/projects/").json()] == ["Mine"]


def test_anonymous_cannot_list_or_create_projects(workspace: Workspace) -> None:
    before = workspace_rows()
    assert_error(APIClient().get("/api/v1/projects/"), 401, "not_authenticated")
    assert_error(
        APIClient().post("/api/v1/projects/", {"name": "x"}, format="json"),
        401,
        "not_authenticated",
    )
    assert workspace_rows() == before


def test_project_list_shows_each_members_role(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    for role in ("admin", "editor", "viewer"):
        (project,) = client_for(workspace.team.user(role)).get("/api/v1/projects/").json()
        assert project["id"] == workspace.team.project.pk
        assert project["role"] == role and project["member_count"] == 4


# --- admins, roles and assignees ------------------------------------------------------------


def members_url(workspace: Workspace, user: Any = None) -> str:
    base = f"/api/v1/projects/{workspace.team.project.pk}/members/"
    return base if user is None else f"{base}{user.pk}/"


def test_the_last_admin_can_be_neither_demoted_nor_removed(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    admin = workspace.team.admin
    api = client_for(admin)
    before = workspace_rows()
    for role in ("editor", "viewer"):
        assert_error(
            api.patch(members_url(workspace, admin), {"role": role}, format="json"),
            409,
            "last_admin",
        )
    assert_error(api.delete(members_url(workspace, admin)), 409, "last_admin")
    assert workspace_rows() == before
    # Re-stating the role of the only admin is not a demotion.
    assert api.patch(members_url(workspace, admin), {"role": "admin"}, format="json").json()[
        "role"
    ] == ("admin")


def test_with_two_admins_either_may_step_down_but_not_both(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    team = workspace.team
    api = client_for(team.admin)
    response = api.patch(members_url(workspace, team.editor), {"role": "admin"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "admin"
    # The promoted editor now manages; the original admin steps down to editor.
    second = client_for(team.editor)
    response = second.patch(members_url(workspace, team.admin), {"role": "editor"}, format="json")
    assert response.status_code == 200, response.json()
    # The original admin lost MANAGE at once.
    assert_error(
        api.patch(members_url(workspace, team.editor), {"role": "viewer"}, format="json"),
        403,
        "permission_denied",
    )
    before = workspace_rows()
    assert_error(second.delete(members_url(workspace, team.editor)), 409, "last_admin")
    assert_error(
        second.patch(members_url(workspace, team.editor), {"role": "viewer"}, format="json"),
        409,
        "last_admin",
    )
    assert workspace_rows() == before
    # An admin may remove another admin while one remains.
    api2 = client_for(team.admin)
    assert api2.get(f"/api/v1/projects/{team.project.pk}/").json()["role"] == "editor"
    response = second.patch(members_url(workspace, team.admin), {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert second.delete(members_url(workspace, team.admin)).status_code == 204
    assert_error(api2.get(f"/api/v1/projects/{team.project.pk}/"), 404, "not_found")


def test_role_changes_take_effect_on_the_next_request(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    team = workspace.team
    admin, editor = client_for(team.admin), client_for(team.editor)
    folders = f"/api/v1/projects/{team.project.pk}/folders/"
    assert editor.post(folders, {"name": "one"}, format="json").status_code == 201
    admin.patch(members_url(workspace, team.editor), {"role": "viewer"}, format="json")
    assert_error(editor.post(folders, {"name": "two"}, format="json"), 403, "permission_denied")
    assert editor.get(folders).status_code == 200
    admin.delete(members_url(workspace, team.editor))
    assert_error(editor.get(folders), 404, "not_found")


def test_removing_a_member_clears_them_as_assignee(
    workspace: Workspace, client_for: Callable[..., Any]
) -> None:
    team = workspace.team
    api = client_for(team.admin)
    endpoints = f"/api/v1/projects/{team.project.pk}/endpoints/"
    kept = api.post(
        endpoints,
        {"name": "Kept", "url": "ws://example.test/k", "assignee": workspace.member.pk},
        format="json",
    ).json()
    assigned = api.get(f"{endpoints}{workspace.endpoint.pk}/").json()
    assert assigned["assignee"]["id"] == team.editor.pk

    assert api.delete(members_url(workspace, team.editor)).status_code == 204

    after = api.get(f"{endpoints}{workspace.endpoint.pk}/")
    assert after.json()["assignee"] is None
    # Clearing the assignee is a change: a client holding the old version must not overwrite it.
    assert after.json()["version"] == assigned["version"] + 1
    assert after.json()["updated_by"]["id"] == team.admin.pk
    assert datetime.fromisoformat(after.json()["updated_at"]) > datetime.fromisoformat(
        assigned["updated_at"]
    )
    assert after["ETag"] == f'"{assigned["version"] + 1}"'
    assert api.get(f"{endpoints}{kept['id']}/").json()["assignee"]["id"] == workspace.member.pk
    tree = api.get(f"/api/v1/projects/{team.project.pk}/tree/").json()
    assert tree["folders"][0]["endpoints"][0]["assignee"] is None
    assert api.get(f"{endpoints}?assignee={team.editor.pk}").json()["count"] == 0
    # ... and a former member cannot be assigned again.
    assert_error(
        api.patch(
            f"{endpoints}{workspace.endpoint.pk}/", {"assignee": team.editor.pk}, format="json"
        ),
        400,
        "validation_error",
    )


@pytest.mark.parametrize("who", ["outsider", "unknown"])
def test_assignee_must_be_a_member(
    workspace: Workspace, client_for: Callable[..., Any], who: str
) -> None:
    team = workspace.team
    api = client_for(team.editor)
    user_id = team.outsider.pk if who == "outsider" else 999_999
    endpoints = f"/api/v1/projects/{team.project.pk}/endpoints/"
    before = workspace_rows()
    attempts = [
        (
            "assignee",
            api.post(
                endpoints, {"name": "x", "url": "ws://h/", "assignee": user_id}, format="json"
            ),
        ),
        (
            "assignee",
            api.patch(f"{endpoints}{workspace.endpoint.pk}/", {"assignee": user_id}, format="json"),
        ),
        (
            "operations[0].assignee",
            api.post(
                f"{endpoints}batch/",
                {
                    "ids": [workspace.endpoint.pk],
                    "operations": [{"op": "set_assignee", "assignee": user_id}],
                },
                format="json",
            ),
        ),
    ]
    for path, response in attempts:
        body = assert_error(response, 400, "validation_error")
        assert list(body["fields"]) == [path], body
    assert workspace_rows() == before
    # Any member may be the responsible person, whatever their role; null clears it.
    for member in (team.viewer, team.admin, None):
        response = api.patch(
            f"{endpoints}{workspace.endpoint.pk}/",
            {"assignee": member.pk if member else None},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert (response.json()["assignee"] or {}).get("id") == (member.pk if member else None)


def test_member_management_answers(workspace: Workspace, client_for: Callable[..., Any]) -> None:
    team = workspace.team
    api = client_for(team.admin)
    added = api.post(members_url(workspace), {"user": "nina", "role": "viewer"}, format="json")
    assert added.status_code == 201
    assert added.json()["user"]["username"] == "nina" and added.json()["role"] == "viewer"
    by_id = api.post(
        members_url(workspace), {"user": str(team.outsider.pk), "role": "editor"}, format="json"
    )
    assert by_id.status_code == 201 and by_id.json()["user"]["username"] == "otto"
    listed = api.get(members_url(workspace)).json()
    assert [(m["user"]["username"], m["role"]) for m in listed] == [
        ("ada", "admin"),
        ("eve", "editor"),
        ("nina", "viewer"),
        ("otto", "editor"),
        ("vic", "viewer"),
        ("wendy", "viewer"),
    ]
    assert Membership.objects.filter(project=team.project).count() == 6
