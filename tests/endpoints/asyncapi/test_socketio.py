"""Socket.IO endpoints in AsyncAPI 3: a server with protocol socketio (the URL's scheme kept),
the namespace as the channel's address, events as message names with the arguments array as
payload, the acknowledgement as the operation's reply, version and path (and the auth
payload's field names, never a value) in x-switchboard-socketio. The official parser accepts
the export; an import makes the same endpoint again, and the round trip holds."""

from __future__ import annotations

import json
from typing import Any

import yaml

from endpoints.models import Endpoint, ProjectSchema
from endpoints.schemas.services import schema_create
from endpoints.tree.services import endpoint_create
from tests.asyncapi_parser import assert_valid_asyncapi
from tests.endpoints.asyncapi.conftest import make_rich
from tests.endpoints.asyncapi.test_round_trip import empty_project_like, export, import_into

AUTH_LITERAL = "literal-auth-value-42"
SAY_SCHEMA = {
    "type": "array",
    "prefixItems": [{"type": "string"}, {"$ref": "#/components/schemas/Room"}],
    "minItems": 1,
}
ACK_SCHEMA = {"type": "array", "prefixItems": [{"enum": ["ok", "muted"]}]}
ASK_ACK = {"type": "array", "prefixItems": [{"type": "boolean"}]}


def make_chat(team: Any, **overrides: Any) -> Endpoint:
    if not ProjectSchema.objects.filter(project=team.project, name="Room").exists():
        schema_create(
            project=team.project,
            actor=team.admin,
            name="Room",
            schema={"type": "object", "properties": {"room": {"type": "integer"}}},
        )
    data = {
        "name": "Desk chat",
        "protocol": "socketio",
        "url": "https://chat.example.test",
        "headers": [{"name": "X-Team", "value": "blue", "enabled": True, "description": ""}],
        "socketio": {
            "namespace": "/desk",
            "path": "/rt/",
            "auth": json.dumps({"token": "{{token}}", "client": AUTH_LITERAL}),
        },
        "messages": [
            {
                "name": "Say something",
                "event": "say",
                "direction": "send",
                "schema": SAY_SCHEMA,
                "examples": [{"name": "Hello", "body": '["hello", {"room": 1}]'}],
                "ack_schema": ACK_SCHEMA,
            },
            {
                "name": "said",
                "direction": "receive",
                "examples": [{"name": "Reply", "body": '["hi back"]'}],
            },
            {
                "name": "confirm",
                "direction": "receive",
                "examples": [{"name": "Ask", "body": '["sure?"]'}],
                "ack_schema": ASK_ACK,
            },
        ],
        **overrides,
    }
    return endpoint_create(project=team.project, actor=team.admin, data=data)


def test_a_socketio_endpoint_is_exported_as_the_spec_allows(team: Any, client_for: Any) -> None:
    make_chat(team)
    text = export(client_for(team.admin), team.project)
    assert_valid_asyncapi(text)
    assert AUTH_LITERAL not in text
    document = yaml.safe_load(text)
    [(server_key, server)] = document["servers"].items()
    assert server == {
        "host": "chat.example.test",
        "protocol": "socketio",
        "x-switchboard-scheme": "https",
        "x-switchboard-from-url": True,
    }
    [(key, channel)] = document["channels"].items()
    assert channel["address"] == "/desk"
    assert channel["servers"] == [{"$ref": f"#/servers/{server_key}"}]
    assert channel["x-switchboard-socketio"] == {
        "version": "v4",
        "path": "/rt/",
        "auth": ["token", "client"],
    }
    messages = channel["messages"]
    say = messages["Say-something"]
    assert (say["name"], say["title"], say["payload"]) == ("say", "Say something", SAY_SCHEMA)
    assert say["examples"] == [{"name": "Hello", "payload": ["hello", {"room": 1}]}]
    assert messages["Say-something.ack"] == {
        "title": "Acknowledgement of say",
        "contentType": "application/json",
        "payload": ACK_SCHEMA,
        "x-switchboard-ack": True,
    }
    assert "title" not in messages["said"]
    operations = document["operations"]
    by_message = {op["messages"][0]["$ref"].rsplit("/", 1)[1]: op for op in operations.values()}
    # The client's emit is an event the server receives; its ack is the reply.
    assert by_message["Say-something"]["action"] == "receive"
    assert by_message["Say-something"]["reply"] == {
        "channel": {"$ref": f"#/channels/{key}"},
        "messages": [{"$ref": f"#/channels/{key}/messages/Say-something.ack"}],
    }
    # The server's emit asks the client for an ack: the reply of a send operation.
    assert by_message["confirm"]["action"] == "send"
    assert by_message["confirm"]["reply"]["messages"] == [
        {"$ref": f"#/channels/{key}/messages/confirm.ack"}
    ]
    assert "reply" not in by_message["said"]
    assert "Say-something.ack" not in by_message


def test_an_import_makes_the_socketio_endpoint_again(team: Any, client_for: Any) -> None:
    original = make_chat(team)
    api = client_for(team.admin)
    first = export(api, team.project)
    copy = empty_project_like(team, team.project)
    report = import_into(api, copy, first)
    assert report["unsupported"] == []
    endpoint = Endpoint.objects.get(project=copy)
    assert endpoint.protocol == "socketio"
    assert endpoint.url == original.url
    # The auth payload comes back with a {{variable}} for each field: values are never in it.
    assert endpoint.socketio == {
        "version": "v4",
        "path": "/rt/",
        "namespace": "/desk",
        "auth": json.dumps({"token": "{{token}}", "client": "{{client}}"}),
    }
    rows = {
        message.name: (message.event, message.direction, message.schema, message.ack_schema)
        for message in endpoint.messages.all()
    }
    assert rows == {
        "Say something": ("say", "send", SAY_SCHEMA, ACK_SCHEMA),
        "said": ("said", "receive", None, None),
        "confirm": ("confirm", "receive", None, ASK_ACK),
    }
    assert yaml.safe_load(export(api, copy)) == yaml.safe_load(first)


def test_socketio_beside_websocket_round_trips(team: Any, client_for: Any) -> None:
    make_rich(team)
    make_chat(team)
    make_chat(
        team,
        name="Legacy chat",
        url="{{baseUrl}}",
        socketio={"version": "v2", "namespace": "/"},
        messages=[{"name": "hello", "direction": "send", "ack_schema": ACK_SCHEMA}],
    )
    make_chat(
        team,
        name="Plain chat",
        url="ws://plain.example.test/socket/?tenant=acme",
        socketio={},
        messages=[],
    )
    api = client_for(team.admin)
    first = export(api, team.project)
    assert_valid_asyncapi(first)
    document = yaml.safe_load(first)
    legacy = next(c for c in document["channels"].values() if c["title"] == "Legacy chat")
    assert legacy["address"] == "/"
    assert legacy["x-switchboard-socketio"] == {"version": "v2", "path": "/socket.io/"}
    plain = next(c for c in document["channels"].values() if c["title"] == "Plain chat")
    assert plain["x-switchboard-url"] == "ws://plain.example.test/socket/?tenant=acme"
    copy = empty_project_like(team, team.project)
    report = import_into(api, copy, first)
    assert report["unsupported"] == []
    assert yaml.safe_load(export(api, copy)) == yaml.safe_load(first)


def test_another_tools_socketio_document(team: Any, client_for: Any) -> None:
    """A server with protocol socketio and no scheme (https assumed), a namespace address,
    and a reply that names no event: the acknowledgement."""
    text = yaml.safe_dump(
        {
            "asyncapi": "3.0.0",
            "info": {"title": "Chat", "version": "1"},
            "servers": {"prod": {"host": "chat.example.test", "protocol": "socketio"}},
            "channels": {
                "admin": {
                    "address": "/admin",
                    "servers": [{"$ref": "#/servers/prod"}],
                    "messages": {
                        "kick": {"name": "kick", "payload": {"type": "array"}},
                        "kickAck": {"payload": ACK_SCHEMA},
                    },
                }
            },
            "operations": {
                "kick": {
                    "action": "receive",
                    "channel": {"$ref": "#/channels/admin"},
                    "messages": [{"$ref": "#/channels/admin/messages/kick"}],
                    "reply": {"messages": [{"$ref": "#/channels/admin/messages/kickAck"}]},
                }
            },
        }
    )
    assert_valid_asyncapi(text)
    api = client_for(team.admin)
    import_into(api, team.project, text)
    endpoint = Endpoint.objects.get(project=team.project, name="admin")
    assert (endpoint.protocol, endpoint.url) == ("socketio", "{{baseUrl}}")
    assert endpoint.socketio["namespace"] == "/admin"
    [message] = endpoint.messages.all()
    assert (message.event, message.ack_schema) == ("kick", ACK_SCHEMA)
    environment = team.project.environments.get()
    assert environment.base_url == "https://chat.example.test"
