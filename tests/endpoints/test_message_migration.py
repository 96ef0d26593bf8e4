"""Migration 0005 turns saved messages into send messages with one example each, losing
nothing, and migrating back gives every body back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("endpoints", "0004_access_token_to_accounts")
AFTER = ("endpoints", "0005_documented_messages_and_schemas")

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target: tuple[str, str]) -> Any:
    """Migrate the test database to ``target``; the apps (historical models) there."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@pytest.fixture
def at_0004(transactional_db: None) -> Iterator[Any]:
    apps = migrate(BEFORE)
    try:
        yield apps
    finally:
        # Back to the newest schema for the tests that follow.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


SAVED = {
    "Ticker": [
        ("subscribe", "json", '{"op": "subscribe", "token": "{{token}}"}', "Start ticks."),
        ("Ping", "text", "ping", ""),
        ("Ping", "text", "ping again", "the same name twice"),
        ("Ping (2)", "text", "already named like a copy", ""),
        ("blob", "hex", "01 {{byte}} ff", ""),
    ],
    "Orders": [("Ping", "text", "{{$timestamp}}", "a name the other endpoint uses too")],
    "Empty": [],
}


def test_saved_messages_become_send_messages_and_come_back(at_0004: Any) -> None:
    Project = at_0004.get_model("endpoints", "Project")
    Endpoint = at_0004.get_model("endpoints", "Endpoint")
    SavedMessage = at_0004.get_model("endpoints", "SavedMessage")
    project = Project.objects.create(name="Market")
    ids: dict[str, int] = {}
    for name, messages in SAVED.items():
        endpoint = Endpoint.objects.create(project=project, name=name, url="wss://x.test")
        ids[name] = endpoint.pk
        SavedMessage.objects.bulk_create(
            SavedMessage(
                endpoint=endpoint,
                position=position,
                name=message_name,
                format=fmt,
                body=body,
                description=description,
            )
            for position, (message_name, fmt, body, description) in enumerate(messages)
        )

    after = migrate(AFTER)
    Message = after.get_model("endpoints", "Message")
    got = {
        name: list(
            Message.objects.filter(endpoint_id=pk)
            .order_by("position", "id")
            .values("name", "direction", "format", "description", "examples", "schema", "reply_to")
        )
        for name, pk in ids.items()
    }
    assert [m["name"] for m in got["Ticker"]] == [
        "subscribe",
        "Ping",
        "Ping (2)",
        "Ping (2) (2)",
        "blob",
    ]
    assert [m["name"] for m in got["Orders"]] == ["Ping"]  # names are unique per endpoint only
    assert got["Empty"] == []
    for name, messages in SAVED.items():
        for message, (_, fmt, body, description) in zip(got[name], messages, strict=True):
            assert message == {
                "name": message["name"],
                "direction": "send",
                "format": fmt,
                "description": description,
                "examples": [{"name": "Example", "body": body}],
                "schema": None,
                "reply_to": "",
            }
    assert after.get_model("endpoints", "Endpoint").objects.filter(strict=True).count() == 0

    # A message documented after the migration goes back as its first example's body.
    Message.objects.filter(endpoint_id=ids["Orders"]).update(
        examples=[{"name": "now", "body": "first"}, {"name": "later", "body": "second"}]
    )
    before = migrate(BEFORE)
    bodies = {
        name: list(
            before.get_model("endpoints", "SavedMessage")
            .objects.filter(endpoint_id=pk)
            .order_by("position", "id")
            .values_list("body", flat=True)
        )
        for name, pk in ids.items()
    }
    assert bodies == {
        "Ticker": [body for _, _, body, _ in SAVED["Ticker"]],
        "Orders": ["first"],
        "Empty": [],
    }
