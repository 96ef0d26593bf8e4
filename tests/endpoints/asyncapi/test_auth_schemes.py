"""The Auth tab in AsyncAPI: each endpoint's effective auth (its own, a folder's, the project's)
is a security scheme that its operations require — never a credential — valid for the official
parser; an import gives the endpoint that scheme as its Auth tab with ``{{variables}}``, and
the round trip gives the same document."""

from __future__ import annotations

from typing import Any

import yaml

from endpoints.models import Endpoint
from endpoints.tree.services import endpoint_create, folder_create, folder_update
from tests.asyncapi_parser import assert_valid_asyncapi
from tests.endpoints.asyncapi.test_round_trip import empty_project_like, export, import_into

SECRET = "s3cr3t-never-exported"
MESSAGES = [
    {
        "name": "subscribe",
        "direction": "send",
        "format": "json",
        "examples": [{"name": "default", "body": '{"type": "subscribe"}'}],
    },
    {
        "name": "tick",
        "direction": "receive",
        "format": "json",
        "examples": [{"name": "default", "body": '{"type": "tick"}'}],
    },
]


def make_authorised(team: Any) -> None:
    project = team.project
    project.auth = {"type": "basic", "username": "ops", "password": SECRET}
    project.save(update_fields=["auth"])
    folder = folder_create(project=project, actor=team.admin, name="Private")
    folder_update(folder=folder, actor=team.admin, auth={"type": "bearer", "token": SECRET})
    # Inherits the folder's Bearer token.
    endpoint_create(
        project=project,
        actor=team.editor,
        data={
            "name": "Orders",
            "url": "wss://api.example.test/orders",
            "folder": folder.pk,
            "messages": MESSAGES,
        },
    )
    # Its own API key in the query.
    endpoint_create(
        project=project,
        actor=team.editor,
        data={
            "name": "Prices",
            "url": "wss://api.example.test/prices",
            "auth": {"type": "api_key", "name": "api_key", "in": "query", "value": SECRET},
            "messages": MESSAGES,
        },
    )
    # Inherits the project's Basic auth, and has no operation at all.
    endpoint_create(
        project=project,
        actor=team.editor,
        data={"name": "Status", "url": "wss://api.example.test/status"},
    )


def test_effective_auth_is_a_required_security_scheme_and_never_a_value(
    team: Any, client_for: Any
) -> None:
    make_authorised(team)
    text = export(client_for(team.admin), team.project)
    assert SECRET not in text
    assert_valid_asyncapi(text)
    document = yaml.safe_load(text)
    assert document["components"]["securitySchemes"] == {
        "apiKey_query_api_key": {"type": "httpApiKey", "name": "api_key", "in": "query"},
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer"},
    }
    by_title = {c["title"]: c for c in document["channels"].values()}
    assert by_title["Orders"]["x-switchboard-auth"] == "bearer"
    assert by_title["Prices"]["x-switchboard-auth"] == "apiKey_query_api_key"
    assert by_title["Status"]["x-switchboard-auth"] == "basic"
    required = {
        operation["channel"]["$ref"].rsplit("/", 1)[-1]: operation["security"]
        for operation in document["operations"].values()
    }
    orders_key = next(k for k, c in document["channels"].items() if c["title"] == "Orders")
    assert required[orders_key] == [{"$ref": "#/components/securitySchemes/bearer"}]


def test_import_gives_the_scheme_as_the_auth_tab_and_round_trips(
    team: Any, client_for: Any
) -> None:
    make_authorised(team)
    api = client_for(team.admin)
    first = export(api, team.project)
    copy = empty_project_like(team, team.project)
    report = import_into(api, copy, first)
    assert report["unsupported"] == []
    auths = {e.name: e.auth for e in Endpoint.objects.filter(project=copy)}
    assert auths["Orders"] == {"type": "bearer", "token": "{{bearer}}"}
    assert auths["Prices"] == {
        "type": "api_key",
        "name": "api_key",
        "in": "query",
        "value": "{{apiKey_query_api_key}}",
    }
    assert auths["Status"]["type"] == "basic"
    assert yaml.safe_load(export(api, copy)) == yaml.safe_load(first)


def test_a_foreign_operation_security_becomes_the_auth_tab(team: Any, client_for: Any) -> None:
    text = yaml.safe_dump(
        {
            "asyncapi": "3.0.0",
            "info": {"title": "Feed", "version": "1"},
            "channels": {
                "feed": {
                    "address": "/feed",
                    "messages": {"update": {"payload": {"type": "object"}}},
                }
            },
            "operations": {
                "onUpdate": {
                    "action": "send",
                    "channel": {"$ref": "#/channels/feed"},
                    "security": [{"$ref": "#/components/securitySchemes/feedKey"}],
                }
            },
            "components": {
                "securitySchemes": {
                    "feedKey": {"type": "httpApiKey", "name": "X-Feed-Key", "in": "header"}
                }
            },
        }
    )
    report = import_into(client_for(team.admin), team.project, text)
    endpoint = Endpoint.objects.get(project=team.project, name="feed")
    assert endpoint.auth == {
        "type": "api_key",
        "name": "X-Feed-Key",
        "in": "header",
        "value": "{{feedKey}}",
    }
    assert "{{feedKey}}" in str(report["unsupported"])
