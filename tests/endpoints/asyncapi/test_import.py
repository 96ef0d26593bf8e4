"""Importing AsyncAPI documents over REST: the three documents written for the tests (a ticker
with replies over two servers, a chat with several channels and a secured server, a 2.6 feed)
become the expected endpoints, messages, schemas and environments; a dry run lists the same and
writes nothing; a second import updates what the first made."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from endpoints.models import Endpoint, Environment, Message, ProjectEvent, ProjectSchema, Revision
from tests.asyncapi_parser import assert_valid_asyncapi
from tests.conftest import assert_error

DOCUMENTS = Path(__file__).resolve().parent / "documents"


def document(name: str) -> str:
    return (DOCUMENTS / name).read_text()


def import_url(team: Any) -> str:
    return f"/api/v1/projects/{team.project.pk}/asyncapi/import/"


def do_import(api: Any, team: Any, text: str, **extra: Any) -> Any:
    return api.post(import_url(team), {"document": text, **extra}, format="json")


def messages_of(endpoint: Endpoint) -> list[tuple[str, str, str, str]]:
    return [
        (m.name, m.direction, m.format, m.reply_to)
        for m in Message.objects.filter(endpoint=endpoint).order_by("position")
    ]


def test_the_test_documents_pass_the_official_parser() -> None:
    assert_valid_asyncapi(document("ticker.yaml"))
    assert_valid_asyncapi(document("chat.yaml"))
    assert_valid_asyncapi(document("market-2.6.yaml"), version="2.6.0")


def test_ticker_with_replies_over_two_servers(team: Any, client_for: Any) -> None:
    api = client_for(team.editor)
    response = do_import(api, team, document("ticker.yaml"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == "3.0.0" and body["dry_run"] is False
    made = {(item["kind"], item["name"], item["outcome"]) for item in body["items"]}
    assert made == {
        ("schema", "Ack", "created"),
        ("environment", "Production", "created"),
        ("environment", "Sandbox", "created"),
        ("variable", "Sandbox: region", "created"),
        ("endpoint", "Ticker", "created"),
    }
    # The enum of the server variable has no place: reported, with where it is.
    assert "/servers/sandbox/variables/region/enum" in {n["where"] for n in body["unsupported"]}

    environments = {e.name: e.base_url for e in Environment.objects.filter(project=team.project)}
    assert environments == {
        "Production": "wss://ws.ticker.example.test/v2",
        "Sandbox": "wss://{{region}}.sandbox.ticker.example.test/v2",
    }
    ticker = Endpoint.objects.get(project=team.project)
    assert ticker.name == "Ticker" and ticker.url == "{{baseUrl}}/ticker"
    assert ticker.asyncapi_channel == "ticker"
    assert ticker.description == "Subscribe to symbols and receive their **prices**."
    assert ticker.tag_names == ["market"]
    assert ticker.params == [
        {"name": "format", "value": "json", "enabled": True, "description": "Payload encoding"}
    ]
    assert messages_of(ticker) == [
        ("subscribe", "send", "json", ""),
        ("unsubscribe", "send", "json", ""),
        ("subscribed", "receive", "json", "subscribe"),
        ("unsubscribed", "receive", "json", "unsubscribe"),
        ("price", "receive", "json", ""),
    ]
    subscribe = Message.objects.get(endpoint=ticker, name="subscribe")
    assert subscribe.asyncapi_operation == "subscribe"
    assert [e["name"] for e in subscribe.examples] == ["BTC", "Two"]
    assert subscribe.examples[0]["body"] == '{"op": "subscribe", "symbols": ["BTC-USD"]}'
    unsubscribed = Message.objects.get(endpoint=ticker, name="unsubscribed")
    assert unsubscribed.schema == {"$ref": "#/components/schemas/Ack"}
    # It had no example: one made from the schema, and said so.
    assert unsubscribed.examples == [
        {"name": "Example", "body": '{"type": "subscribed", "symbols": []}'}
    ]
    assert any(
        n["where"] == "/channels/ticker/messages/unsubscribed/examples" for n in body["unsupported"]
    )
    assert Message.objects.get(endpoint=ticker, name="price").description == "A price update."
    assert ProjectSchema.objects.get(project=team.project, name="Ack").schema["required"] == [
        "type",
        "symbols",
    ]
    # Written by the services: history and live events, as a member's own edits.
    assert Revision.objects.filter(endpoint=ticker, action="created").count() == 1
    assert ProjectEvent.objects.filter(project=team.project, kind="endpoint.created").exists()


def test_chat_with_several_channels_and_a_secured_server(team: Any, client_for: Any) -> None:
    body = do_import(client_for(team.editor), team, document("chat.yaml")).json()
    endpoints = {e.name: e for e in Endpoint.objects.filter(project=team.project)}
    assert list(endpoints) == ["Room", "Presence", "Typing"]
    assert endpoints["Room"].url == "{{baseUrl}}/rooms/{{roomId}}"
    assert endpoints["Room"].headers == [
        {"name": "X-Client", "value": "web", "enabled": True, "description": ""}
    ]
    # The server's API key (in the query) is a param of every channel on it, as a variable.
    token = {
        "name": "token",
        "value": "{{token}}",
        "enabled": True,
        "description": "From security scheme 'token': set {{token}}, as a secret.",
    }
    assert [e.params for e in endpoints.values()] == [[token], [token], [token]]
    assert messages_of(endpoints["Room"]) == [
        ("say", "send", "json", ""),
        ("said", "receive", "json", ""),
    ]
    say = Message.objects.get(endpoint=endpoints["Room"], name="say")
    assert say.examples == [{"name": "Example", "body": '{"text": "x"}'}]
    assert messages_of(endpoints["Presence"]) == [("joined", "receive", "text", "")]
    assert Message.objects.get(name="joined").examples == [
        {"name": "Example 1", "body": "ada joined"}
    ]
    assert messages_of(endpoints["Typing"]) == [("typing", "send", "base64", "")]
    # The security requirement becomes a handshake row, and the report says so.
    notes = {item["where"]: item["detail"] for item in body["unsupported"]}
    assert notes["/servers/chat/security/0"].startswith(
        "Security scheme 'token' is imported as the param 'token'"
    )
    unsupported = set(notes)
    assert "/channels/room/parameters" not in unsupported  # they are the URL's {{roomId}}


def test_a_2_6_document(team: Any, client_for: Any) -> None:
    body = do_import(client_for(team.editor), team, document("market-2.6.yaml")).json()
    assert body["version"] == "2.6.0"
    assert Environment.objects.get(project=team.project).base_url == "wss://feed.example.test/ws"
    quotes = Endpoint.objects.get(project=team.project)
    assert quotes.name == "/quotes" and quotes.url == "{{baseUrl}}/quotes"
    assert quotes.description == "Quotes of the symbols you asked for."
    assert messages_of(quotes) == [
        ("ask", "send", "json", ""),
        ("quote", "receive", "json", ""),
        ("heartbeat", "receive", "text", ""),
    ]
    operations = dict(
        Message.objects.filter(endpoint=quotes).values_list("name", "asyncapi_operation")
    )
    assert operations == {
        "ask": "askQuotes",
        "quote": "receiveQuotes",
        "heartbeat": "receiveQuotes",
    }
    assert Message.objects.get(name="quote").schema == {"$ref": "#/components/schemas/Quote"}


def test_dry_run_lists_and_writes_nothing(team: Any, client_for: Any) -> None:
    api = client_for(team.editor)
    events = ProjectEvent.objects.filter(project=team.project).count()
    dry = do_import(api, team, document("ticker.yaml"), dry_run=True)
    assert dry.status_code == 200, dry.content
    assert dry.json()["dry_run"] is True
    assert not Endpoint.objects.filter(project=team.project).exists()
    assert not Environment.objects.filter(project=team.project).exists()
    assert not ProjectSchema.objects.filter(project=team.project).exists()
    assert ProjectEvent.objects.filter(project=team.project).count() == events
    real = do_import(api, team, document("ticker.yaml")).json()
    assert real["items"] == dry.json()["items"]


def test_importing_again_updates_what_it_made(team: Any, client_for: Any) -> None:
    api = client_for(team.editor)
    folder = api.post(
        f"/api/v1/projects/{team.project.pk}/folders/", {"name": "Feeds"}, format="json"
    ).json()
    first = do_import(api, team, document("ticker.yaml"), folder=folder["id"])
    assert first.status_code == 200, first.content
    ticker = Endpoint.objects.get(project=team.project)
    assert ticker.folder_id == folder["id"]
    ids = dict(Message.objects.filter(endpoint=ticker).values_list("name", "pk"))
    changed = document("ticker.yaml").replace("title: Ticker\n", "title: Prices\n")
    second = do_import(api, team, changed, folder=folder["id"]).json()
    actions = {(i["kind"], i["outcome"]) for i in second["items"]}
    assert ("endpoint", "updated") in actions and ("environment", "unchanged") in actions
    assert ("schema", "unchanged") in actions and ("variable", "unchanged") in actions
    ticker.refresh_from_db()
    assert Endpoint.objects.filter(project=team.project).count() == 1
    assert ticker.name == "Prices"
    # The same messages, kept (not deleted and made again).
    assert dict(Message.objects.filter(endpoint=ticker).values_list("name", "pk")) == ids
    revisions = Revision.objects.filter(endpoint=ticker).count()
    events = ProjectEvent.objects.filter(project=team.project).count()

    # The same document a third time changes nothing: no new version, history or event.
    third = do_import(api, team, changed, folder=folder["id"]).json()
    assert {i["outcome"] for i in third["items"]} == {"unchanged"}
    assert Revision.objects.filter(endpoint=ticker).count() == revisions
    assert ProjectEvent.objects.filter(project=team.project).count() == events
    assert Endpoint.objects.get(pk=ticker.pk).version == ticker.version


def test_who_may_import(team: Any, client_for: Any) -> None:
    text = document("chat.yaml")
    assert_error(do_import(client_for(team.viewer), team, text), 403, "permission_denied")
    assert_error(do_import(client_for(team.outsider), team, text), 404, "not_found")
    bad_folder = do_import(client_for(team.editor), team, text, folder=999999)
    assert "folder" in assert_error(bad_folder, 400, "validation_error")["fields"]
    assert not Endpoint.objects.filter(project=team.project).exists()


def test_what_has_no_place_is_reported(team: Any, client_for: Any) -> None:
    # A 2.6 message in Avro (its schema is not JSON Schema) that shares another's name.
    text = document("market-2.6.yaml").replace(
        "      name: heartbeat\n      contentType: text/plain\n      payload:\n        type: string\n",
        "      name: quote\n      schemaFormat: application/vnd.apache.avro;version=1.9.0\n"
        "      contentType: application/json\n      payload:\n        type: record\n"
        "        name: Beat\n        fields: [{name: at, type: long}]\n",
    )
    assert "vnd.apache.avro" in text
    body = do_import(client_for(team.editor), team, text).json()
    notes = {item["where"]: item["detail"] for item in body["unsupported"]}
    # (2.6 channels key their messages by name: the second "quote" is "quote-2".)
    assert notes["/channels/quotes/messages/quote-2"] == (
        "Another message is named 'quote': named 'quote-2'."
    )
    assert notes["/channels/quotes/messages/quote-2/payload"].startswith(
        "A application/vnd.apache.avro;version=1.9.0 schema is not imported"
    )
    beat = Message.objects.get(name="quote-2")
    assert beat.schema is None and beat.format == "json" and beat.direction == "receive"
