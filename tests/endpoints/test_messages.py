"""Documented messages over the REST API: the ticker contract written, read, listed, changed,
announced and restored; every kind of bad message input refused in the one error shape with
the database unchanged."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from core.errors import ValidationFailed
from endpoints.contracts.limits import (
    MAX_EXAMPLE_BYTES,
    MAX_EXAMPLES_PER_MESSAGE,
    MAX_MESSAGES_PER_ENDPOINT,
    MAX_SCHEMA_BYTES,
)
from endpoints.models import Endpoint, ProjectEvent, ProjectSchema
from endpoints.tree.services import endpoint_update
from tests.conftest import Team, assert_error
from tests.endpoints.test_bad_input import workspace_rows
from tests.factories import ERROR_SCHEMA, TRADE_SCHEMA, make_endpoint, make_ticker, ticker_messages


def ticker_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Ticker",
        "url": "wss://example.test/ticker",
        "strict": True,
        "messages": ticker_messages(),
        **overrides,
    }


@pytest.fixture
def error_schema(team: Team) -> ProjectSchema:
    return ProjectSchema.objects.create(project=team.project, name="Error", schema=ERROR_SCHEMA)


def endpoints_url(team: Team) -> str:
    return f"/api/v1/projects/{team.project.pk}/endpoints/"


def without_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # A WebSocket endpoint's messages are no Socket.IO events and have no acknowledgement.
    assert all(m["event"] == "" and m["ack_schema"] is None for m in messages)
    return [
        {k: v for k, v in m.items() if k not in ("id", "body", "event", "ack_schema")}
        for m in messages
    ]


# --- the happy path -------------------------------------------------------------------------


def test_the_ticker_contract_is_written_and_read_back(
    team: Team, client_for: Callable[[Any], APIClient], error_schema: ProjectSchema
) -> None:
    api = client_for(team.editor)
    created = api.post(endpoints_url(team), ticker_body(), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["strict"] is True
    assert without_ids(body["messages"]) == ticker_messages()
    # Old scripts read the first example's body.
    assert [m["body"] for m in body["messages"]] == [
        m["examples"][0]["body"] for m in ticker_messages()
    ]
    assert {v["name"]: v["where"] for v in body["variables"]} == {
        "symbol": ["messages[0].examples[1].body"],
        "$randomInt": ["messages[2].examples[2].body"],
    }

    detail = api.get(f"{endpoints_url(team)}{body['id']}/").json()
    listed = api.get(endpoints_url(team)).json()["results"]
    # The list's fast row path gives exactly what the detail's serializer gives.
    assert [{**e, "updated_at": None} for e in listed] == [{**detail, "updated_at": None}]
    assert {k: v for k, v in detail.items() if k != "updated_at"} == {
        k: v for k, v in body.items() if k != "updated_at"
    }


def test_old_scripts_write_a_body_and_read_it_back(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    api = client_for(team.editor)
    created = api.post(
        endpoints_url(team),
        {
            "name": "Legacy",
            "url": "wss://h.test",
            "messages": [{"name": "ping", "format": "json", "body": '{"op": "ping"}'}],
        },
        format="json",
    ).json()
    (message,) = created["messages"]
    assert created["strict"] is False
    assert message["examples"] == [{"name": "Example", "body": '{"op": "ping"}'}]
    assert (message["body"], message["direction"], message["match"]) == (
        '{"op": "ping"}',
        "send",
        {"kind": "any"},
    )
    assert (message["schema"], message["reply_to"]) == (None, "")
    # Keeping the id and writing a body replaces the one example.
    patched = api.patch(
        f"{endpoints_url(team)}{created['id']}/",
        {"messages": [{"id": message["id"], "name": "ping", "format": "json", "body": "[1]"}]},
        format="json",
    ).json()
    assert patched["messages"][0]["id"] == message["id"]
    assert patched["messages"][0]["examples"] == [{"name": "Example", "body": "[1]"}]


def test_a_message_change_is_history_announced_and_restored(
    team: Team, client_for: Callable[[Any], APIClient], error_schema: ProjectSchema
) -> None:
    api = client_for(team.editor)
    created = api.post(endpoints_url(team), ticker_body(), format="json").json()
    url = f"{endpoints_url(team)}{created['id']}/"
    changed = copy.deepcopy(created["messages"])
    changed[2]["schema"] = {**TRADE_SCHEMA, "required": ["type", "price"]}
    changed[2]["examples"] = changed[2]["examples"][:1]
    changed[1]["reply_to"] = ""
    del changed[3]
    patched = api.patch(url, {"messages": changed, "strict": False}, format="json")
    assert patched.status_code == 200, patched.json()
    assert [m["id"] for m in patched.json()["messages"]] == [
        m["id"] for m in created["messages"][:3]
    ]

    history = api.get(f"{url}history/").json()["results"]
    newest, first = history[0], history[-1]
    diff = {c["field"]: c for c in newest["changes"]}
    assert set(diff) == {"messages", "strict"}
    assert (diff["strict"]["old"], diff["strict"]["new"]) == (True, False)
    assert diff["messages"]["old"][2]["schema"] == TRADE_SCHEMA
    assert diff["messages"]["new"][2]["schema"]["required"] == ["type", "price"]
    announced = ProjectEvent.objects.filter(project=team.project, kind="endpoint.updated").last()
    assert announced is not None and set(announced.data["changed"]) == {"messages", "strict"}

    reverted = api.post(f"{url}history/{first['id']}/revert/", format="json")
    assert reverted.status_code == 200, reverted.json()
    back = reverted.json()
    assert back["strict"] is True
    assert without_ids(back["messages"]) == ticker_messages()
    assert [m["id"] for m in back["messages"][:3]] == [m["id"] for m in created["messages"][:3]]


def test_an_old_snapshot_with_bodies_restores_as_one_example_each(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    endpoint = make_endpoint(team, messages=[{"name": "sub", "format": "text", "body": "v2"}])
    first = endpoint.revisions.get()
    # A snapshot recorded before documented messages: body only, no direction or examples.
    first.snapshot["messages"] = [
        {"id": 999_999, "name": "sub", "format": "text", "body": "v1", "description": ""},
        {"name": "unsub", "format": "json", "body": '{"op": "unsub"}', "description": ""},
    ]
    first.snapshot.pop("strict", None)
    first.save()
    api = client_for(team.editor)
    url = f"{endpoints_url(team)}{endpoint.pk}/"
    reverted = api.post(f"{url}history/{first.pk}/revert/", format="json")
    assert reverted.status_code == 200, reverted.json()
    messages = reverted.json()["messages"]
    assert [(m["name"], m["direction"], m["examples"]) for m in messages] == [
        ("sub", "send", [{"name": "Example", "body": "v1"}]),
        ("unsub", "send", [{"name": "Example", "body": '{"op": "unsub"}'}]),
    ]


def test_the_ticker_factory_documents_every_message(team: Team) -> None:
    endpoint = make_ticker(team, strict=True)
    assert endpoint.strict is True
    assert list(endpoint.messages.values_list("name", "direction", "reply_to")) == [
        ("subscribe", "send", ""),
        ("subscribed", "receive", "subscribe"),
        ("trade", "receive", ""),
        ("error", "receive", ""),
    ]


def test_the_service_is_the_gate_for_every_write_path(team: Team) -> None:
    """Factories, reverts and sessions saved as endpoints call the service, not the API: a
    duplicate name is refused there too, before anything is written."""
    before = workspace_rows()
    with pytest.raises(ValidationFailed) as refused:
        make_endpoint(
            team,
            messages=[{"name": "m", "body": "a"}, {"name": "m", "body": "b"}],
        )
    assert set(refused.value.extra["fields"]) == {"messages[1].name"}
    assert workspace_rows() == before


# --- bad input ------------------------------------------------------------------------------


@dataclass
class Bad:
    change: Callable[[list[dict[str, Any]]], Any]  # edits the ticker messages in place
    field: str
    says: str | None = None
    status: int = 400
    code: str = "validation_error"


def at(index: int, **values: Any) -> Callable[[list[dict[str, Any]]], None]:
    def change(messages: list[dict[str, Any]]) -> None:
        messages[index].update(values)

    return change


def example(index: int, number: int, body: str) -> Callable[[list[dict[str, Any]]], None]:
    def change(messages: list[dict[str, Any]]) -> None:
        messages[index]["examples"][number]["body"] = body

    return change


def trade_schema(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(TRADE_SCHEMA), **changes}


def trade(price: Any = 1, **more: Any) -> str:
    return json.dumps({"type": "trade", "symbol": "BTC-USD", "price": price, "size": 1, **more})


def too_many_examples(messages: list[dict[str, Any]]) -> None:
    messages[1]["examples"] = [
        {"name": f"e{i}", "body": "{}"} for i in range(MAX_EXAMPLES_PER_MESSAGE + 1)
    ]


def too_many_messages(messages: list[dict[str, Any]]) -> None:
    messages.extend(
        {"name": f"m{i}", "examples": [{"name": "e", "body": ""}]}
        for i in range(MAX_MESSAGES_PER_ENDPOINT - len(messages) + 1)
    )


def huge_example(messages: list[dict[str, Any]]) -> None:
    messages.append(
        {"name": "big", "format": "text", "examples": [{"name": "e", "body": "é" * 500_001}]}
    )


def huge_schema(messages: list[dict[str, Any]]) -> None:
    messages[2]["schema"] = trade_schema(description="x" * MAX_SCHEMA_BYTES)


def duplicate_example_names(messages: list[dict[str, Any]]) -> None:
    messages[2]["examples"][1]["name"] = "BTC buy"


CASES: dict[str, Bad] = {
    # names
    "two-messages-one-name": Bad(at(3, name="trade"), "messages[3].name", "'trade'"),
    "name-missing": Bad(lambda m: m[1].pop("name"), "messages[1].name"),
    "name-empty": Bad(at(1, name=""), "messages[1].name"),
    # direction and format
    "direction-unknown": Bad(at(0, direction="both"), "messages[0].direction"),
    "format-unknown": Bad(at(0, format="yaml"), "messages[0].format"),
    # schemas
    "schema-on-text": Bad(at(0, format="text"), "messages[0].schema", "JSON messages"),
    "schema-wrong-type-keyword": Bad(
        at(2, schema=trade_schema(properties={"price": {"type": "money"}})),
        "messages[2].schema",
        "/properties/price/type",
    ),
    "schema-not-an-object": Bad(at(2, schema=[1]), "messages[2].schema", "object"),
    "schema-other-draft": Bad(
        at(2, schema=trade_schema(**{"$schema": "http://json-schema.org/draft-07/schema#"})),
        "messages[2].schema",
        "/$schema",
    ),
    "schema-unknown-ref": Bad(
        at(3, schema={"$ref": "#/components/schemas/Nope"}), "messages[3].schema", "'Nope'"
    ),
    "schema-remote-ref": Bad(
        at(3, schema={"$ref": "https://example.test/s.json"}), "messages[3].schema", "outside"
    ),
    "schema-circular-ref": Bad(
        at(
            2,
            schema={
                "$ref": "#/$defs/a",
                "$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"allOf": [{"$ref": "#/$defs/a"}]}},
            },
        ),
        "messages[2].schema",
        "circular",
    ),
    "schema-circular-through-project": Bad(
        at(3, schema={"$ref": "#/components/schemas/Loop"}), "messages[3].schema", "circular"
    ),
    # examples
    "example-violates-schema": Bad(
        example(2, 1, trade(-1)),
        "messages[2].examples[1].body",
        "/price: -1 is less than the minimum of 0",
    ),
    "example-misses-required": Bad(
        example(2, 0, '{"type": "trade", "symbol": "X", "price": 1}'),
        "messages[2].examples[0].body",
        '"size" is a required property',
    ),
    "example-through-project-schema": Bad(
        example(3, 0, '{"type": "error"}'),
        "messages[3].examples[0].body",
        '"message" is a required property',
    ),
    "example-not-json": Bad(
        example(2, 1, '{"type": "trade",}'), "messages[2].examples[1].body", "line 1"
    ),
    "examples-empty": Bad(at(1, examples=[]), "messages[1].examples", "at least one"),
    "example-names-repeat": Bad(
        duplicate_example_names, "messages[2].examples[1].name", "'BTC buy'"
    ),
    "example-without-name": Bad(
        lambda m: m[0]["examples"][0].pop("name"), "messages[0].examples[0].name"
    ),
    "example-without-body": Bad(
        lambda m: m[1]["examples"][0].pop("body"), "messages[1].examples[0].body"
    ),
    "examples-not-a-list": Bad(at(0, examples={"name": "x"}), "messages[0].examples"),
    # replies
    "reply-to-unknown": Bad(at(1, reply_to="subscrbe"), "messages[1].reply_to", "'subscrbe'"),
    "reply-to-a-receive-message": Bad(at(1, reply_to="trade"), "messages[1].reply_to"),
    "reply-from-a-send-message": Bad(
        at(0, reply_to="subscribe"), "messages[0].reply_to", "receive"
    ),
    # match rules
    "match-bad-jsonpath": Bad(
        at(2, match={"kind": "path", "path": "$[?(@.type=="}), "messages[2].match.path"
    ),
    "match-path-no-start": Bad(
        at(2, match={"kind": "path", "path": "type"}), "messages[2].match.path", "start"
    ),
    "match-bad-pointer": Bad(
        at(2, match={"kind": "path", "path": "/a~2b"}), "messages[2].match.path", "Pointer"
    ),
    "match-bad-regex": Bad(
        at(3, match={"kind": "regex", "pattern": "(["}), "messages[3].match.pattern"
    ),
    "match-regex-empty": Bad(
        at(3, match={"kind": "regex", "pattern": ""}), "messages[3].match.pattern"
    ),
    "match-unknown-kind": Bad(at(2, match={"kind": "glob"}), "messages[2].match.kind"),
    "match-stray-key": Bad(
        at(2, match={"kind": "any", "path": "$.x"}), "messages[2].match.path", "not a field"
    ),
    "match-not-an-object": Bad(at(2, match="$.type"), "messages[2].match"),
    # sizes: 413
    "schema-too-large": Bad(huge_schema, "messages[2].schema", str(MAX_SCHEMA_BYTES), 413),
    "example-too-large": Bad(
        huge_example, "messages[4].examples[0].body", str(MAX_EXAMPLE_BYTES), 413
    ),
    "too-many-examples": Bad(too_many_examples, "messages[1].examples", None, 413),
    "too-many-messages": Bad(too_many_messages, "messages", None, 413),
}
for case in CASES.values():
    if case.status == 413:
        case.code = "too_large"


@pytest.mark.parametrize("method", ["post", "patch"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_messages_are_refused_and_change_nothing(
    team: Team,
    client_for: Callable[[Any], APIClient],
    error_schema: ProjectSchema,
    case: Bad,
    method: str,
) -> None:
    ProjectSchema.objects.create(
        project=team.project, name="Loop", schema={"$ref": "#/components/schemas/Loop"}
    )
    api = client_for(team.editor)
    existing = api.post(endpoints_url(team), ticker_body(name="Existing"), format="json")
    assert existing.status_code == 201, existing.json()
    messages = ticker_messages()
    case.change(messages)
    before = workspace_rows()
    if method == "post":
        response = api.post(endpoints_url(team), ticker_body(messages=messages), format="json")
    else:
        response = api.patch(
            f"{endpoints_url(team)}{existing.json()['id']}/",
            {"messages": messages, "strict": False, "name": "Renamed"},
            format="json",
        )
    body = assert_error(response, case.status, case.code)
    assert set(body.get("fields") or {}) == {case.field}, body
    if case.says is not None:
        assert any(case.says in text for text in body["fields"][case.field]), body
    if case.status == 413:
        assert body["size"] > body["limit"], body
    assert workspace_rows() == before


def test_strict_must_be_a_boolean(team: Team, client_for: Callable[[Any], APIClient]) -> None:
    before = workspace_rows()
    response = client_for(team.editor).post(
        endpoints_url(team), ticker_body(strict="maybe", messages=[]), format="json"
    )
    assert set(assert_error(response, 400, "validation_error")["fields"]) == {"strict"}
    assert workspace_rows() == before
    assert not Endpoint.objects.exists()


def test_the_detail_names_the_first_problem(
    team: Team, client_for: Callable[[Any], APIClient], error_schema: ProjectSchema
) -> None:
    messages = ticker_messages()
    example(2, 1, trade(-1))(messages)
    response = client_for(team.editor).post(
        endpoints_url(team), ticker_body(messages=messages), format="json"
    )
    detail = assert_error(response, 400, "validation_error")["detail"]
    assert detail.startswith("messages[2].examples[1].body: Example 'ETH'"), detail
    assert "/price: -1 is less than the minimum of 0" in detail


def test_the_worked_example_of_the_docs_is_accepted(
    team: Team, client_for: Callable[[Any], APIClient], error_schema: ProjectSchema
) -> None:
    """docs/api.md "Documented messages" creates the ticker with a heredoc: it must work."""
    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    payload = json.loads(text.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0])
    api = client_for(team.editor)
    created = api.post(endpoints_url(team), payload, format="json")
    assert created.status_code == 201, created.json()
    assert [m["name"] for m in created.json()["messages"]] == [
        "subscribe",
        "subscribed",
        "trade",
        "error",
    ]
    payload["messages"][2]["examples"][0]["body"] = trade(-1)
    body = assert_error(api.post(endpoints_url(team), payload, format="json"), 400)
    assert body["fields"] == {
        "messages[2].examples[0].body": [
            "Example 'BTC' does not fit the schema: /price: -1 is less than the minimum of 0"
        ]
    }


# --- examples against the format the message has after the write ------------------------------


def patch_messages(
    team: Team, client_for: Callable[[Any], APIClient], endpoint: Endpoint, items: Any
) -> Any:
    return client_for(team.editor).patch(
        f"{endpoints_url(team)}{endpoint.pk}/", {"messages": items}, format="json"
    )


FORMAT_AFTER_PATCH: dict[str, tuple[str, str, dict[str, Any], str]] = {
    # The format changes; the stored example stays: it is checked against the new format.
    "format-only": ("text", "hello", {"format": "json"}, "messages[0].examples[0].body"),
    # Examples without a format: checked against the stored format, not text.
    "examples-only": (
        "json",
        "[1]",
        {"examples": [{"name": "e", "body": "hello"}]},
        "messages[0].examples[0].body",
    ),
    # A legacy body without a format: the error names the field written.
    "body-only": ("json", "[1]", {"body": "hello"}, "messages[0].body"),
    "format-to-hex": ("text", "hello", {"format": "hex"}, "messages[0].examples[0].body"),
}


@pytest.mark.parametrize("case", list(FORMAT_AFTER_PATCH), ids=list(FORMAT_AFTER_PATCH))
def test_a_patch_checks_examples_against_the_format_after_it(
    team: Team, client_for: Callable[[Any], APIClient], case: str
) -> None:
    stored_format, stored_body, change, field = FORMAT_AFTER_PATCH[case]
    endpoint = make_endpoint(
        team, messages=[{"name": "m", "format": stored_format, "body": stored_body}]
    )
    (message,) = endpoint.messages.all()
    before = workspace_rows()
    response = patch_messages(team, client_for, endpoint, [{"id": message.pk, **change}])
    body = assert_error(response, 400, "validation_error")
    assert set(body["fields"]) == {field}, body
    assert body["detail"].startswith(f"{field}: "), body
    assert workspace_rows() == before


def test_a_patch_to_json_keeps_examples_with_references_for_the_send(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    """{{references}} are substituted at send and checked then, whatever the write."""
    endpoint = make_endpoint(
        team, messages=[{"name": "m", "format": "text", "body": '{"id": {{id}}}'}]
    )
    (message,) = endpoint.messages.all()
    response = patch_messages(team, client_for, endpoint, [{"id": message.pk, "format": "json"}])
    assert response.status_code == 200, response.json()
    assert response.json()["messages"][0]["format"] == "json"
    # The same PATCH with a valid JSON example is accepted and keeps the examples.
    response = patch_messages(
        team, client_for, endpoint, [{"id": message.pk, "examples": [{"name": "e", "body": "[1]"}]}]
    )
    assert response.status_code == 200, response.json()
    assert response.json()["messages"][0]["examples"] == [{"name": "e", "body": "[1]"}]


def test_every_write_path_checks_the_effective_format(team: Team) -> None:
    """The service (which reverts and saved sessions call too) merges an item with the stored
    message before the format check."""
    endpoint = make_endpoint(team, messages=[{"name": "m", "format": "text", "body": "hello"}])
    (message,) = endpoint.messages.all()
    before = workspace_rows()
    with pytest.raises(ValidationFailed) as refused:
        endpoint_update(
            endpoint=endpoint,
            actor=team.editor,
            data={"messages": [{"id": message.pk, "format": "json"}]},
        )
    assert set(refused.value.extra["fields"]) == {"messages[0].examples[0].body"}
    assert workspace_rows() == before


def test_a_revert_to_a_snapshot_with_an_invalid_example_is_refused(
    team: Team, client_for: Callable[[Any], APIClient]
) -> None:
    endpoint = make_endpoint(team, messages=[{"name": "m", "format": "text", "body": "hello"}])
    first = endpoint.revisions.get()
    first.snapshot["messages"][0]["format"] = "json"  # a snapshot no write could have made
    first.save()
    before = workspace_rows()
    url = f"{endpoints_url(team)}{endpoint.pk}/history/{first.pk}/revert/"
    body = assert_error(client_for(team.editor).post(url, format="json"), 400)
    assert set(body["fields"]) == {"messages[0].examples[0].body"}, body
    assert "Invalid JSON" in body["fields"]["messages[0].examples[0].body"][0], body
    assert workspace_rows() == before
