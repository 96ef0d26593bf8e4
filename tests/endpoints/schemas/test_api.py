"""Project schemas over REST: create, read, list with the messages using each, change under a
version check, delete; changes announced live; lists in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from endpoints.models import Endpoint, ProjectEvent, ProjectSchema
from endpoints.schemas.serializers import ProjectSchemaOutSerializer
from tests.conftest import assert_error
from tests.endpoints.schemas.conftest import TRADE, Schemas, make_message, make_schema
from tests.test_shapes import assert_shape


def test_create_read_list_update_delete(schemas: Schemas, client_for: Any) -> None:
    api = client_for(schemas.team.editor)
    created = api.post(
        schemas.base,
        {"name": "Quote", "description": "Bid and ask", "schema": {"type": "object"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert_shape(body, ProjectSchemaOutSerializer)
    assert body["name"] == "Quote" and body["schema"] == {"type": "object"}
    assert body["version"] == 1 and body["used_by"] == []
    assert body["updated_by"]["username"] == "eve"
    assert created["ETag"] == '"1"'

    url = f"{schemas.base}{body['id']}/"
    assert api.get(url).json() == body

    listed = api.get(schemas.base).json()
    assert [item["name"] for item in listed] == ["Quote", "Spare", "Trade"]
    trade = next(item for item in listed if item["name"] == "Trade")
    assert trade["used_by"] == [
        {"endpoint": schemas.endpoint.pk, "endpoint_name": "Ticker", "message": "trade"}
    ]

    changed = api.patch(
        url,
        {"version": 1, "schema_text": '{\n  "type": "object",\n  "required": ["bid"]\n}'},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["schema"] == {"type": "object", "required": ["bid"]}
    assert changed.json()["version"] == 2

    stale = api.patch(url, {"version": 1, "description": "late"}, format="json")
    assert assert_error(stale, 412, "version_conflict")["current_version"] == 2
    renamed = api.patch(url, {"name": "Quote2"}, format="json", HTTP_IF_MATCH='"2"')
    assert renamed.status_code == 200 and renamed.json()["name"] == "Quote2"

    assert api.delete(url).status_code == 204
    assert not ProjectSchema.objects.filter(pk=body["id"]).exists()
    assert_error(api.get(url), 404, "not_found")


def test_patch_needs_the_version_read(schemas: Schemas, client_for: Any) -> None:
    api = client_for(schemas.team.editor)
    body = assert_error(
        api.patch(schemas.url(schemas.spare), {"description": "x"}, format="json"),
        400,
        "validation_error",
    )
    assert "version" in body["fields"]


def test_a_message_refers_to_a_schema_and_is_listed_as_using_it(
    schemas: Schemas, client_for: Any
) -> None:
    make_message(schemas.endpoint, "spare", {"$ref": "#/components/schemas/Spare"}, '"x"')
    api = client_for(schemas.team.viewer)
    used = api.get(schemas.url(schemas.spare)).json()["used_by"]
    assert used == [
        {"endpoint": schemas.endpoint.pk, "endpoint_name": "Ticker", "message": "spare"}
    ]


def test_schemas_may_refer_to_each_other_and_to_themselves(
    schemas: Schemas, client_for: Any
) -> None:
    api = client_for(schemas.team.editor)
    node = {
        "type": "object",
        "properties": {
            "trade": {"$ref": "#/components/schemas/Trade"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
        },
    }
    response = api.post(schemas.base, {"name": "Node", "schema": node}, format="json")
    assert response.status_code == 201, response.content


def test_changes_are_announced_live(
    schemas: Schemas, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = client_for(schemas.team.editor)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post(schemas.base, {"name": "Q", "schema": True}, format="json").json()
        api.patch(
            f"{schemas.base}{created['id']}/", {"version": 1, "description": "d"}, format="json"
        )
        api.delete(f"{schemas.base}{created['id']}/")
    stored = list(
        ProjectEvent.objects.filter(project=schemas.team.project)
        .order_by("seq")
        .values_list("kind", "data")
    )
    assert [kind for kind, _ in stored] == ["schema.created", "schema.updated", "schema.deleted"]
    assert all(data["schema"]["name"] == "Q" for _, data in stored)
    assert "description" not in repr(stored)


def _grow(schemas: Schemas, count: int) -> None:
    start = ProjectSchema.objects.filter(project=schemas.team.project).count()
    ProjectSchema.objects.bulk_create(
        ProjectSchema(
            project=schemas.team.project,
            name=f"S{start + i}",
            schema={"type": "object"},
            updated_by=schemas.team.editor,
        )
        for i in range(count)
    )
    endpoint = Endpoint.objects.create(
        project=schemas.team.project, name=f"E{start}", url="wss://example.test/e"
    )
    for i in range(count):
        make_message(endpoint, f"m{i}", {"$ref": f"#/components/schemas/S{start + i}"}, "{}")


def test_the_list_takes_a_fixed_number_of_queries(
    schemas: Schemas, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    api = client_for(schemas.team.viewer)
    _grow(schemas, 3)
    with django_assert_max_num_queries(4) as small:
        assert len(api.get(schemas.base).json()) == 5
    _grow(schemas, 40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api.get(schemas.base).json()
    assert len(body) == 45
    assert all(len(item["used_by"]) == 1 for item in body if item["name"] != "Spare")


def test_a_reference_inside_a_const_is_not_a_use(schemas: Schemas, client_for: Any) -> None:
    make_message(schemas.endpoint, "const", {"const": {"$ref": "#/components/schemas/Spare"}}, "{}")
    api = client_for(schemas.team.viewer)
    assert api.get(schemas.url(schemas.spare)).json()["used_by"] == []
    assert make_schema(schemas.team, "Plain", TRADE).pk
