"""AsyncAPI 3.0 export over REST: every exported document passes the official parser, and
says what the project holds (servers, channels, bindings, operations with replies, messages,
schemas, extensions) without any secret value."""

from __future__ import annotations

import json
from typing import Any

import yaml

from tests.asyncapi_parser import assert_valid_asyncapi
from tests.conftest import assert_error
from tests.endpoints.asyncapi.conftest import SECRET, Rich


def _get(api: Any, rich: Rich, syntax: str, **params: Any) -> Any:
    return api.get(f"/api/v1/projects/{rich.team.project.pk}/asyncapi.{syntax}", params)


def test_project_export_yaml_and_json_pass_the_official_parser(rich: Rich, client_for: Any) -> None:
    api = client_for(rich.team.viewer)
    as_yaml = _get(api, rich, "yaml")
    assert as_yaml.status_code == 200, as_yaml.content
    assert as_yaml["Content-Type"] == "application/yaml; charset=utf-8"
    assert 'filename="Trading-API-asyncapi.yaml"' in as_yaml["Content-Disposition"]
    text = as_yaml.content.decode()
    assert SECRET not in text
    assert_valid_asyncapi(text)
    as_json = _get(api, rich, "json")
    assert as_json.status_code == 200
    assert_valid_asyncapi(as_json.content.decode())
    assert json.loads(as_json.content) == yaml.safe_load(text)


def test_what_the_document_says(rich: Rich, client_for: Any) -> None:
    document = yaml.safe_load(_get(client_for(rich.team.viewer), rich, "yaml").content)
    servers = document["servers"]
    # Environments with a base URL, and the origin of the absolute URL; the secret stays out.
    assert servers["Staging"] == {
        "host": "{region}.staging.example.test",
        "protocol": "wss",
        "pathname": "/v1",
        "title": "Staging",
        "variables": {"region": {"default": "eu"}},
    }
    assert servers["Production"]["host"] == "api.example.test"
    assert servers["chat.example.test-8443"]["x-switchboard-from-url"] is True

    ticker = document["channels"]["Ticker"]
    assert ticker["address"] == "/ticker"
    assert [s["$ref"] for s in ticker["servers"]] == ["#/servers/Staging", "#/servers/Production"]
    assert ticker["description"].startswith("Live **trades**.")
    assert ticker["tags"] == [{"name": "Market"}, {"name": "public"}]
    ws = ticker["bindings"]["ws"]
    assert ws["bindingVersion"] == "0.1.0"
    assert ws["query"]["properties"]["depth"] == {
        "type": "string",
        "description": "Book depth",
        "default": "10",
    }
    assert ws["query"]["properties"]["debug"]["x-switchboard-enabled"] is False
    assert ws["headers"]["properties"]["Authorization"]["default"] == "Bearer {{token}}"
    assert ticker["x-switchboard-status"] == "released"
    assert ticker["x-switchboard-responsible"] == "eve"
    assert ticker["x-switchboard-folder"] == ["Market data"]
    assert list(ticker["messages"]) == ["subscribe", "subscribed", "trade", "error"]
    assert ticker["messages"]["error"]["payload"] == {"$ref": "#/components/schemas/Error"}
    assert ticker["messages"]["subscribe"]["examples"][0]["payload"] == {
        "op": "subscribe",
        "symbols": ["BTC-USD"],
    }
    assert ticker["messages"]["subscribe"]["x-switchboard-examples"] == [
        {"index": 1, "name": "Chosen", "body": '{"op": "subscribe", "symbols": ["{{symbol}}"]}'}
    ]

    operations = document["operations"]
    # The server's view: what the client sends, the server receives; replies ride along.
    assert operations["Ticker.subscribe"]["action"] == "receive"
    assert operations["Ticker.subscribe"]["reply"]["messages"] == [
        {"$ref": "#/channels/Ticker/messages/subscribed"}
    ]
    assert operations["Ticker.trade"]["action"] == "send"
    assert "Ticker.subscribed" not in operations

    chat = document["channels"]["Chat-room"]
    assert chat["address"] == "/rooms/{room}" and chat["parameters"] == {"room": {}}
    assert chat["x-switchboard-cookies"][0]["value"] == "{{token}}"
    query = chat["bindings"]["ws"]["query"]
    assert query["properties"] == {"tag": {"type": "string", "default": "a"}}
    assert [row["value"] for row in query["x-switchboard-rows"]] == ["a", "b"]
    assert chat["x-switchboard-subprotocols"] == ["chat.v1"]
    assert chat["x-switchboard-settings"] == {"verify_tls": False, "ping_interval": 5.0}
    assert chat["x-switchboard-strict"] is True
    assert chat["messages"]["ping"]["x-switchboard-format"] == "hex"
    assert chat["messages"]["notice"]["contentType"] == "application/xml"
    # A JSON example is shown as its payload; its own spacing is kept beside it.
    joined = chat["messages"]["joined"]
    assert joined["examples"] == [{"name": "Compact", "payload": {"who": "ada", "n": 1}}]
    assert joined["x-switchboard-example-bodies"] == [{"index": 0, "body": '{"who":"ada","n":1}'}]
    assert document["components"]["schemas"]["Error"]["required"] == ["type", "message"]


def test_folder_export_holds_the_folder_only(rich: Rich, client_for: Any) -> None:
    response = _get(client_for(rich.team.viewer), rich, "json", folder=rich.folder.pk)
    assert response.status_code == 200
    assert 'filename="Market-data-asyncapi.json"' in response["Content-Disposition"]
    assert_valid_asyncapi(response.content.decode())
    document = response.json()
    assert list(document["channels"]) == ["Ticker"]
    assert "x-switchboard-folder" not in document["channels"]["Ticker"]  # relative to the folder
    assert list(document["components"]["schemas"]) == ["Error"]


def test_who_may_export(rich: Rich, client_for: Any) -> None:
    assert_error(_get(client_for(rich.team.outsider), rich, "yaml"), 404, "not_found")
    assert_error(_get(client_for(None), rich, "yaml"), 401)
    bad = _get(client_for(rich.team.viewer), rich, "yaml", folder=999999)
    assert assert_error(bad, 400, "validation_error")["fields"]["folder"]
