"""Upgrading: a database made by the oldest migration state we support (every app at its first
migration; apps that came later absent) migrates to the current one with its data intact, and
the current server reads that data through its API (tokens included)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(transaction=True)

# The first release's schema: endpoints and debug sessions at their first migration; accounts,
# shared docs and scenarios did not exist yet.
OLDEST: list[tuple[str, str | None]] = [
    ("endpoints", "0001_workspace"),
    ("debug_sessions", "0001_debug_sessions"),
    ("accounts", None),
    ("docs_app", None),
    ("scenarios", None),
]
TOKEN = "sb_" + "old-token-from-the-first-release-0123456789"
WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def newest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def oldest(transactional_db: None) -> Iterator[Any]:
    """The test database migrated back to OLDEST; the historical models there."""
    executor = MigrationExecutor(connection)
    executor.migrate(OLDEST)
    executor.loader.build_graph()
    try:
        present = [(app, name) for app, name in OLDEST if name is not None]
        yield executor.loader.project_state(present).apps
    finally:
        newest()


def test_the_oldest_schema_upgrades_to_now_with_its_data(oldest: Any) -> None:
    model = oldest.get_model
    User = model("auth", "User")
    ada = User.objects.create(username="ada", email="ada@example.test", is_active=True)
    eve = User.objects.create(username="eve", email="eve@example.test", is_active=True)
    model("endpoints", "AccessToken").objects.create(
        user=ada, name="ci", prefix=TOKEN[:9], digest=hashlib.sha256(TOKEN.encode()).hexdigest()
    )
    project = model("endpoints", "Project").objects.create(
        name="Trading", description="Quotes", created_by=ada
    )
    Membership = model("endpoints", "Membership")
    Membership.objects.create(project=project, user=ada, role="admin")
    Membership.objects.create(project=project, user=eve, role="viewer")
    folder = model("endpoints", "Folder").objects.create(project=project, name="Market data")
    endpoint = model("endpoints", "Endpoint").objects.create(
        project=project,
        folder=folder,
        name="Ticker",
        url="wss://stream.example.test/ticker",
        headers=[{"name": "X-Api-Key", "value": "{{key}}", "description": "issued"}],
        subprotocols=["v2.ticker"],
        status="testing",
        description="Live **ticks**.",
        created_by=ada,
        updated_by=ada,
    )
    tag = model("endpoints", "Tag").objects.create(project=project, name="market")
    endpoint.tags.add(tag)
    SavedMessage = model("endpoints", "SavedMessage")
    SavedMessage.objects.create(
        endpoint=endpoint, position=0, name="subscribe", format="json", body='{"op": "sub"}'
    )
    SavedMessage.objects.create(endpoint=endpoint, position=1, name="ping", body="ping")
    session = model("debug_sessions", "DebugSession").objects.create(
        project=project,
        endpoint=endpoint,
        owner=ada,
        name="Morning check",
        url="wss://stream.example.test/ticker",
        state="closed",
        connection_count=1,
    )
    model("debug_sessions", "Connection").objects.create(
        session=session,
        number=1,
        request_url="wss://stream.example.test/ticker",
        response_status=101,
        close_code=1000,
        closed_by="client",
    )
    Event = model("debug_sessions", "Event")
    frames = [
        ("open", "", "Connected"),
        ("sent", "out", '{"op": "sub"}'),
        ("received", "in", '{"price": 1}'),
        ("closed", "", "Closed by you: 1000"),
    ]
    for seq, (kind, direction, text) in enumerate(frames, start=1):
        Event.objects.create(
            session=session,
            seq=seq,
            connection_number=1,
            kind=kind,
            direction=direction,
            opcode="text" if direction else "",
            size=len(text),
            text=text,
            created_at=WHEN,
        )

    newest()

    # The current server reads all of it; the first release's token still authenticates.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    projects = api.get("/api/v1/projects/")
    assert projects.status_code == 200, projects.json()
    assert [p["name"] for p in projects.json()] == ["Trading"]
    got = api.get(f"/api/v1/projects/{project.pk}/endpoints/{endpoint.pk}/")
    assert got.status_code == 200, got.json()
    body = got.json()
    assert (body["name"], body["url"], body["status"]) == (
        "Ticker",
        "wss://stream.example.test/ticker",
        "testing",
    )
    assert body["folder"] == folder.pk and body["tags"] == ["market"]
    assert body["subprotocols"] == ["v2.ticker"]
    assert [h["name"] for h in body["headers"]] == ["X-Api-Key"]
    assert [(m["name"], m["direction"], m["format"], m["examples"]) for m in body["messages"]] == [
        ("subscribe", "send", "json", [{"name": "Example", "body": '{"op": "sub"}'}]),
        ("ping", "send", "text", [{"name": "Example", "body": "ping"}]),
    ]
    members = api.get(f"/api/v1/projects/{project.pk}/members/").json()
    assert sorted((m["user"]["username"], m["role"]) for m in members) == [
        ("ada", "admin"),
        ("eve", "viewer"),
    ]

    events = api.get(f"/api/v1/sessions/{session.pk}/events/", {"after": 0, "limit": 500})
    assert events.status_code == 200, events.json()
    assert [(e["seq"], e["kind"], e["text"]) for e in events.json()["results"]] == [
        (seq, kind, text) for seq, (kind, _, text) in enumerate(frames, start=1)
    ]
    connections = api.get(f"/api/v1/sessions/{session.pk}/connections/")
    assert connections.status_code == 200, connections.json()
    detail = api.get(f"/api/v1/sessions/{session.pk}/").json()
    assert (detail["name"], detail["state"], detail["endpoint"]) == (
        "Morning check",
        "closed",
        endpoint.pk,
    )

    # And it takes writes in the new shape: documented messages of both directions.
    writer = APIClient()
    writer.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    changed = writer.patch(
        f"/api/v1/projects/{project.pk}/endpoints/{endpoint.pk}/",
        {
            "messages": [
                {"id": body["messages"][0]["id"]},
                {"name": "trade", "direction": "receive", "examples": [{"name": "t", "body": "1"}]},
            ]
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert [m["name"] for m in changed.json()["messages"]] == ["subscribe", "trade"]
