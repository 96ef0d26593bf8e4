"""Each JSON shape is produced in one place (a ``*_data`` function) and documented by one
serializer that only describes it for the schema; this test keeps the two from drifting.

Every response below is compared with its serializer: each field it declares as required is
there, and nothing undeclared is.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.serializers import TokenOutSerializer
from docs_app.serializers import ShareLinkOutSerializer
from endpoints.activity.serializers import CommentOutSerializer, RevisionOutSerializer
from endpoints.environments.serializers import EnvironmentOutSerializer, VariableOutSerializer
from endpoints.projects.serializers import MemberOutSerializer, ProjectOutSerializer
from endpoints.tree.message_serializers import MessageOutSerializer
from endpoints.tree.serializers import (
    EndpointOutSerializer,
    FolderOutSerializer,
    TagOutSerializer,
)
from sessions.serializers import SessionOutSerializer


def assert_shape(body: dict[str, Any], schema: type[serializers.Serializer]) -> None:
    fields = schema().fields
    required = {name for name, field in fields.items() if field.required}
    assert required <= set(body), f"{schema.__name__}: missing {required - set(body)}"
    assert set(body) <= set(fields), f"{schema.__name__}: undeclared {set(body) - set(fields)}"


def test_every_output_shape_matches_its_schema(team, client_for, bearer_client):
    api = client_for(team.admin)
    bearer_client(team.admin)  # a token to list
    base = f"/api/v1/projects/{team.project.pk}"

    def ok(response: Any, status: int = 200) -> Any:
        assert response.status_code == status, response.content[:300]
        return response.json()

    folder = ok(api.post(f"{base}/folders/", {"name": "Streams"}, format="json"), 201)
    assert_shape(folder, FolderOutSerializer)
    endpoint = ok(
        api.post(
            f"{base}/endpoints/",
            {
                "name": "Ticker",
                "url": "wss://example.test/ticker",
                "folder": folder["id"],
                "tags": ["market"],
                "assignee": team.editor.pk,
                "messages": [{"name": "sub", "format": "json", "body": "{}"}],
            },
            format="json",
        ),
        201,
    )
    assert_shape(endpoint, EndpointOutSerializer)
    assert_shape(endpoint["messages"][0], MessageOutSerializer)
    assert_shape(ok(api.get(f"{base}/endpoints/"))["results"][0], EndpointOutSerializer)
    assert_shape(ok(api.get(f"{base}/")), ProjectOutSerializer)
    assert_shape(ok(api.get("/api/v1/projects/"))[0], ProjectOutSerializer)
    assert_shape(ok(api.get(f"{base}/members/"))[0], MemberOutSerializer)
    assert_shape(ok(api.get(f"{base}/tags/"))[0], TagOutSerializer)
    assert_shape(
        ok(api.post(f"{base}/tags/", {"name": "new"}, format="json"), 201), TagOutSerializer
    )
    environment = ok(api.post(f"{base}/environments/", {"name": "Staging"}, format="json"), 201)
    assert_shape(environment, EnvironmentOutSerializer)
    variable = {"name": "key", "initial_value": "v", "environment": environment["id"]}
    assert_shape(
        ok(api.post(f"{base}/variables/", variable, format="json"), 201), VariableOutSerializer
    )
    history = ok(api.get(f"{base}/endpoints/{endpoint['id']}/history/"))["results"]
    assert_shape(history[0], RevisionOutSerializer)
    comment = {"body": f"@{team.editor.username} look"}
    url = f"{base}/endpoints/{endpoint['id']}/comments/"
    assert_shape(ok(api.post(url, comment, format="json"), 201), CommentOutSerializer)
    assert_shape(ok(api.get("/api/v1/auth/tokens/"))[0], TokenOutSerializer)
    link = ok(api.post(f"{base}/share-links/", {"name": "Partners"}, format="json"), 201)
    assert_shape(link, ShareLinkOutSerializer)
    session = {"endpoint": endpoint["id"]}
    assert_shape(
        ok(api.post("/api/v1/sessions/", session, format="json"), 201), SessionOutSerializer
    )
