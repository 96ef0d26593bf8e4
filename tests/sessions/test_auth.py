"""The Auth tab against real upstreams that want credentials: Bearer set on a folder and
inherited by an endpoint, its sessions and a subfolder; an API key in the query; Basic from the
project. Each connects with it and fails clearly without it; credentials stay out of every
record and response."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection as db_connection

from endpoints.environments.services import variable_create
from endpoints.projects.services import project_update
from endpoints.tree.services import folder_create, folder_update
from sessions.models import Connection, Event
from tests.conftest import Team, assert_error
from tests.factories import make_endpoint
from tests.sessions.conftest import SessionClient
from tests.sessions.upstreams import (
    API_KEY,
    BASIC_PASSWORD,
    BASIC_USER,
    BEARER_TOKEN,
    WebsocketsUpstream,
)

pytestmark = pytest.mark.django_db(transaction=True)

MASK = "••••"


def stored_text(session_id: int) -> str:
    """Everything stored about a session's connections and what its log received, as one
    text to search (a sent message is stored as the user wrote it)."""
    rows = list(Connection.objects.filter(session_id=session_id).values()) + list(
        Event.objects.filter(session_id=session_id).exclude(kind="sent").values("text", "info")
    )
    return repr(rows)


def failure_of(sessions: SessionClient, session_id: int) -> dict[str, Any]:
    """Connect, expecting the upstream to turn it away (502 connect_failed); the record."""
    body = assert_error(sessions.connect(session_id, status=None), 502, "connect_failed")
    assert body["kind"] == "handshake", body
    return sessions.get(session_id)["connection"]


def test_bearer_from_a_folder_is_inherited_by_endpoints_sessions_and_subfolders(
    team: Team, relay: Any, ws_upstream: WebsocketsUpstream, sessions_for: Any, client_for: Any
) -> None:
    folder = folder_create(project=team.project, actor=team.editor, name="Private")
    inner = folder_create(
        project=team.project, actor=team.editor, name="Inner", parent_id=folder.pk
    )
    endpoint = make_endpoint(team, url=ws_upstream.url("/bearer"), folder=inner.pk)
    sessions = sessions_for(team.editor)

    # Without credentials the upstream refuses, and the record says so.
    refused = sessions.create(endpoint=endpoint.pk)
    failure = failure_of(sessions, refused["id"])
    assert failure["failure"]["kind"] == "handshake"
    assert failure["response"]["status"] == 401
    assert "Bearer" in failure["response"]["body"]

    api = client_for(team.editor)
    response = api.patch(
        f"/api/v1/projects/{team.project.pk}/folders/{folder.pk}/",
        {"auth": {"type": "bearer", "token": BEARER_TOKEN}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    # Write-only: the token never comes back.
    assert response.json()["auth"] == {"type": "bearer", "token": None, "token_set": True}

    session = sessions.create(endpoint=endpoint.pk)
    assert session["auth"] == {"type": "inherit"}
    sessions.connect(session["id"])
    record = sessions.get(session["id"])["connection"]
    assert ["Authorization", f"Bearer {MASK}"] in record["request"]["headers"]
    # An upstream echoing the credential back: masked in the log.
    sessions.send(session["id"], format="text", body=f"echo {BEARER_TOKEN}")
    events = sessions.wait_events(session["id"], lambda e: any(x["kind"] == "received" for x in e))
    received = next(x for x in events if x["kind"] == "received")
    assert received["text"] == f"echo {MASK}"
    sessions.disconnect(session["id"])
    assert BEARER_TOKEN not in stored_text(session["id"])

    # The endpoint's own tab wins over the folder's: "none" sends nothing again.
    api.patch(
        f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/",
        {"auth": {"type": "none"}},
        format="json",
    )
    again = sessions.create(endpoint=endpoint.pk)
    assert failure_of(sessions, again["id"])["response"]["status"] == 401
    history = api.get(f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/history/")
    assert BEARER_TOKEN not in history.content.decode()


def test_an_api_key_in_the_query_from_a_variable(
    team: Team, relay: Any, ws_upstream: WebsocketsUpstream, sessions_for: Any
) -> None:
    variable_create(
        project=team.project, actor=team.editor, name="apiKey", initial_value=API_KEY, secret=True
    )
    endpoint = make_endpoint(
        team,
        url=ws_upstream.url("/apikey"),
        auth={"type": "api_key", "name": "api_key", "value": "{{apiKey}}", "in": "query"},
    )
    sessions = sessions_for(team.editor)
    session = sessions.create(endpoint=endpoint.pk)
    # A value that is only a reference is shown: the secret lives in the variable.
    assert session["auth"]["value"] == "{{apiKey}}"
    sessions.connect(session["id"])
    record = sessions.get(session["id"])["connection"]
    assert record["request"]["url"].endswith(f"/apikey?api_key={MASK}")
    sessions.disconnect(session["id"])
    assert "k3y" not in stored_text(session["id"])

    # Without it: the key turned off on the session, the upstream refuses.
    plain = sessions.create(endpoint=endpoint.pk, auth={"type": "none"})
    failure = failure_of(sessions, plain["id"])
    assert failure["response"]["status"] == 401 and "api_key" in failure["response"]["body"]


def test_basic_from_the_project_and_a_session_override(
    team: Team, relay: Any, ws_upstream: WebsocketsUpstream, sessions_for: Any
) -> None:
    project_update(
        project=team.project,
        actor=team.admin,
        auth={"type": "basic", "username": BASIC_USER, "password": BASIC_PASSWORD},
    )
    endpoint = make_endpoint(team, url=ws_upstream.url("/basic"))
    sessions = sessions_for(team.viewer)
    session = sessions.create(endpoint=endpoint.pk)
    sessions.connect(session["id"])
    assert ["Authorization", f"Basic {MASK}"] in sessions.get(session["id"])["connection"][
        "request"
    ]["headers"]
    sessions.disconnect(session["id"])
    wrong = sessions.create(
        endpoint=endpoint.pk, auth={"type": "basic", "username": "ada", "password": "nope"}
    )
    assert failure_of(sessions, wrong["id"])["response"]["status"] == 401


def test_a_header_row_of_the_same_name_wins_over_the_auth_tab(
    team: Team, relay: Any, ws_upstream: WebsocketsUpstream, sessions_for: Any
) -> None:
    endpoint = make_endpoint(
        team,
        url=ws_upstream.url("/bearer"),
        headers=[{"name": "Authorization", "value": "Bearer wrong"}],
        auth={"type": "bearer", "token": BEARER_TOKEN},
    )
    sessions = sessions_for(team.editor)
    session = sessions.create(endpoint=endpoint.pk)
    assert failure_of(sessions, session["id"])["response"]["status"] == 401


@pytest.mark.parametrize(
    "auth, field",
    [
        ({"type": "bearer", "token": "a\nb"}, "auth.token"),
        ({"type": "basic", "username": "x", "password": "p\r\nX-Evil: 1"}, "auth.password"),
        ({"type": "api_key", "name": "X-Key\n", "value": "v"}, "auth.name"),
        ({"type": "api_key", "name": "", "value": "v"}, "auth.name"),
        ({"type": "api_key", "name": "k", "value": "v", "in": "body"}, "auth.in"),
        ({"type": "bearer", "token": "t", "password": "p"}, "auth.password"),
        ({"type": "digest"}, "auth.type"),
        ({"type": "basic", "username": "a:b", "password": "p"}, "auth.username"),
    ],
)
def test_bad_auth_is_a_400_naming_the_field_and_nothing_is_stored(
    team: Team, client_for: Any, auth: dict[str, Any], field: str
) -> None:
    endpoint = make_endpoint(team, auth={"type": "bearer", "token": "kept"})
    api = client_for(team.editor)
    response = api.patch(
        f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/",
        {"auth": auth},
        format="json",
    )
    body = assert_error(response, 400, "validation_error")
    assert field in body["fields"], body
    endpoint.refresh_from_db()
    assert endpoint.auth == {"type": "bearer", "token": "kept"}


def test_null_credentials_keep_the_stored_ones_so_a_response_can_be_sent_back(
    team: Team, client_for: Any
) -> None:
    endpoint = make_endpoint(team, auth={"type": "bearer", "token": "kept"})
    api = client_for(team.editor)
    url = f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/"
    shown = api.get(url).json()["auth"]
    assert shown == {"type": "bearer", "token": None, "token_set": True}
    assert api.patch(url, {"auth": shown}, format="json").status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.auth == {"type": "bearer", "token": "kept"}
    # Only admins change the project's tab; a viewer cannot change a folder's.
    project_url = f"/api/v1/projects/{team.project.pk}/"
    assert (
        client_for(team.editor)
        .patch(project_url, {"auth": {"type": "none"}}, format="json")
        .status_code
        == 403
    )
    assert client_for(team.admin).get(project_url).json()["auth"] == {"type": "none"}


def test_an_auth_variable_that_is_unknown_is_reported_before_connecting(
    team: Team, relay: Any, ws_upstream: WebsocketsUpstream, sessions_for: Any
) -> None:
    endpoint = make_endpoint(
        team, url=ws_upstream.url("/bearer"), auth={"type": "bearer", "token": "{{nope}}"}
    )
    sessions = sessions_for(team.editor)
    session = sessions.create(endpoint=endpoint.pk)
    body = assert_error(sessions.connect(session["id"], status=None), 400, "unresolved_variables")
    assert body["unresolved"] == [{"name": "nope", "where": "auth.token"}]
    assert not db_connection.in_atomic_block


def test_the_preview_shows_the_inherited_auth_masked(team: Team, client_for: Any) -> None:
    folder = folder_create(project=team.project, actor=team.editor, name="Keys")
    folder_update(
        folder=folder,
        actor=team.editor,
        auth={"type": "api_key", "name": "api_key", "value": "q-secret", "in": "query"},
    )
    endpoint = make_endpoint(team, url="wss://example.test/feed?x=1", folder=folder.pk)
    response = client_for(team.viewer).post(
        f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/preview/", {}, format="json"
    )
    assert response.status_code == 200, response.json()
    handshake = response.json()["handshake"]
    assert handshake["url"] == f"wss://example.test/feed?x=1&api_key={MASK}"
    assert "q-secret" not in response.content.decode()


def test_a_field_left_out_keeps_its_stored_value(team: Team, client_for: Any) -> None:
    endpoint = make_endpoint(
        team, auth={"type": "api_key", "name": "X-Key", "value": "v1", "in": "query"}
    )
    url = f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/"
    api = client_for(team.editor)
    assert (
        api.patch(url, {"auth": {"type": "api_key", "value": "v2"}}, format="json").status_code
        == 200
    )
    endpoint.refresh_from_db()
    assert endpoint.auth == {"type": "api_key", "name": "X-Key", "value": "v2", "in": "query"}
    # Another type starts empty: nothing of the old one is carried over.
    assert api.patch(url, {"auth": {"type": "bearer"}}, format="json").status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.auth == {"type": "bearer", "token": ""}


@pytest.mark.parametrize(
    "role, folder_status, project_status",
    [("admin", 200, 200), ("editor", 200, 403), ("viewer", 403, 403), ("outsider", 404, 404)],
)
def test_role_matrix_of_the_auth_tabs(
    team: Team, client_for: Any, role: str, folder_status: int, project_status: int
) -> None:
    folder = folder_create(project=team.project, actor=team.editor, name="F")
    client = client_for(team.user(role))
    auth = {"auth": {"type": "bearer", "token": "t"}}
    root = f"/api/v1/projects/{team.project.pk}/"
    assert client.patch(f"{root}folders/{folder.pk}/", auth, format="json").status_code == (
        folder_status
    )
    assert client.patch(root, auth, format="json").status_code == project_status
