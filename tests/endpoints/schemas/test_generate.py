"""Generate a schema from an example or from a logged frame of one of your sessions (genson):
the payload satisfies the schema it gets; nothing is saved; what is not JSON is refused."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest
from django.utils import timezone

from endpoints.contracts.limits import MAX_EXAMPLE_BYTES
from endpoints.models import Project
from sessions.models import DebugSession, Event
from tests.conftest import assert_error
from tests.endpoints.schemas.conftest import TRADE_EXAMPLE, Schemas
from tests.endpoints.test_bad_input import workspace_rows
from tests.factories import log_event


@pytest.fixture
def session(schemas: Schemas) -> DebugSession:
    """A closed session of the viewer's in the project, with a logged conversation."""
    made = DebugSession.objects.create(
        owner=schemas.team.viewer,
        project=schemas.team.project,
        name="Ticker",
        url="wss://example.test/ticker",
        state="closed",
        connection_count=1,
    )
    now = timezone.now()
    Event.objects.bulk_create(
        [
            log_event(made, 1, now, "open"),
            Event(
                session=made,
                seq=2,
                connection_number=1,
                kind="received",
                direction="in",
                opcode="text",
                text=TRADE_EXAMPLE,
                created_at=now,
            ),
            log_event(made, 3, now, "received", direction="in", opcode="text", body="pong"),
            log_event(made, 4, now, "received", direction="in", opcode="binary", body=b"\xff\x00"),
            log_event(made, 5, now, "sent", direction="out", opcode="text", body='[{"id": 1}]'),
        ]
    )
    return made


def generate(schemas: Schemas, client_for: Any, body: dict[str, Any], role: str = "viewer") -> Any:
    path = f"/api/v1/projects/{schemas.team.project.pk}/schemas/generate/"
    return client_for(schemas.team.user(role)).post(path, body, format="json")


def test_from_an_example(schemas: Schemas, client_for: Any) -> None:
    before = workspace_rows()
    response = generate(schemas, client_for, {"example": TRADE_EXAMPLE})
    assert response.status_code == 200, response.content
    schema = response.json()["schema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["properties"]["price"] == {"type": "number"}
    assert set(schema["required"]) == {"type", "symbol", "price"}
    assert jsonschema_rs.validator_for(schema).is_valid(json.loads(TRADE_EXAMPLE))
    assert workspace_rows() == before


def test_from_a_logged_frame(schemas: Schemas, session: DebugSession, client_for: Any) -> None:
    received = generate(schemas, client_for, {"session": session.pk, "seq": 2}).json()["schema"]
    assert received["properties"]["symbol"] == {"type": "string"}
    sent = generate(schemas, client_for, {"session": session.pk, "seq": 5}).json()["schema"]
    assert sent["type"] == "array" and sent["items"]["properties"]["id"] == {"type": "integer"}


def test_a_generated_schema_can_be_saved(schemas: Schemas, client_for: Any) -> None:
    schema = generate(schemas, client_for, {"example": TRADE_EXAMPLE}).json()["schema"]
    api = client_for(schemas.team.editor)
    path = f"/api/v1/projects/{schemas.team.project.pk}/schemas/"
    response = api.post(path, {"name": "Generated", "schema": schema}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"example": "not json"}, "example", "not JSON"),
        ({"example": '{"a": 1,}'}, "example", "line 1, column 9"),
        ({"example": ""}, "example", "not JSON"),
        ({}, "example", "Send an example"),
        ({"example": "{}", "session": 1, "seq": 1}, "example", "not both"),
        ({"session": 1}, "seq", "session and seq"),
        ({"seq": 2, "session": "SESSION"}, "seq", None),  # a valid frame: see below
    ],
)
def test_bad_examples_are_refused(
    schemas: Schemas,
    session: DebugSession,
    client_for: Any,
    body: dict[str, Any],
    field: str,
    says: str | None,
) -> None:
    body = {key: session.pk if value == "SESSION" else value for key, value in body.items()}
    response = generate(schemas, client_for, body)
    if says is None:
        assert response.status_code == 200
        return
    error = assert_error(response, 400, "validation_error")
    assert says in " ".join(error["fields"][field]), error


@pytest.mark.parametrize(
    ("seq", "says"),
    [
        (1, "not a message"),
        (3, "not JSON"),
        (4, "binary"),
    ],
)
def test_a_frame_that_is_not_json_is_refused(
    schemas: Schemas, session: DebugSession, client_for: Any, seq: int, says: str
) -> None:
    error = assert_error(
        generate(schemas, client_for, {"session": session.pk, "seq": seq}), 400, "validation_error"
    )
    assert says in " ".join(error["fields"]["seq"]), error


def test_a_truncated_frame_is_refused(
    schemas: Schemas, session: DebugSession, client_for: Any
) -> None:
    Event.objects.filter(session=session, seq=2).update(truncated=True)
    error = assert_error(generate(schemas, client_for, {"session": session.pk, "seq": 2}), 400)
    assert "truncated" in " ".join(error["fields"]["seq"])


def test_unknown_frames_and_sessions_of_other_projects_are_not_found(
    schemas: Schemas, session: DebugSession, client_for: Any
) -> None:
    assert_error(generate(schemas, client_for, {"session": session.pk, "seq": 99}), 404)
    assert_error(generate(schemas, client_for, {"session": 2_000_000_000, "seq": 1}), 404)
    # The viewer's own session, but in another project.
    elsewhere = Project.objects.create(name="Elsewhere", created_by=schemas.team.viewer)
    DebugSession.objects.filter(pk=session.pk).update(project=elsewhere)
    assert_error(generate(schemas, client_for, {"session": session.pk, "seq": 2}), 404)


def test_an_example_over_the_limit_is_413(schemas: Schemas, client_for: Any) -> None:
    big = json.dumps({"a": "x" * 1_100_000})
    assert_error(generate(schemas, client_for, {"example": big}), 413, "too_large")


def test_an_example_over_the_limit_names_its_field_size_and_limit(
    schemas: Schemas, client_for: Any
) -> None:
    big = json.dumps({"a": "x" * 1_100_000})
    body = assert_error(generate(schemas, client_for, {"example": big}), 413, "too_large")
    assert set(body["fields"]) == {"example"}, body
    assert body["size"] == len(big) and body["limit"] == MAX_EXAMPLE_BYTES, body
    assert str(MAX_EXAMPLE_BYTES) in body["fields"]["example"][0], body
