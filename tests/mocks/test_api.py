"""Mocks over REST: the project's mock settings (members read; admins switch off, set a header
token, rotate the key), each endpoint's behaviour under a version check with every bad part a
400 naming it and nothing stored, the recorded traffic, and who may do what, as a matrix."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.models import MockBehaviour, MockConnection, MockSettings
from mocks.recording import FrameRecord, connection_opened, frames_recorded
from mocks.serializers import (
    MockBehaviourOutSerializer,
    MockConnectionSerializer,
    MockFrameSerializer,
    MockSettingsOutSerializer,
)
from tests.conftest import Team, assert_error
from tests.mocks.chat import CHAT_SPEC, make_chat
from tests.test_shapes import assert_shape

pytestmark = pytest.mark.django_db


def urls(team: Team, endpoint_id: int) -> tuple[str, str]:
    project = f"/api/v1/projects/{team.project.pk}/"
    return project + "mock/", project + f"endpoints/{endpoint_id}/mock/"


def test_settings_behaviour_and_traffic(team: Team, client_for: Any) -> None:
    endpoint, key = make_chat(team)
    settings_url, behaviour_url = urls(team, endpoint.pk)
    admin, viewer = client_for(team.admin), client_for(team.viewer)

    read = viewer.get(settings_url)
    assert read.status_code == 200
    assert_shape(read.json(), MockSettingsOutSerializer)
    assert read.json()["key"] == key and read.json()["enabled"] is True
    assert read.json()["base_url"] == f"ws://testserver/mock/{key}"

    changed = admin.patch(
        settings_url, {"header_name": "X-Mock-Token", "header_value": "s3"}, format="json"
    )
    assert changed.json()["header_name"] == "X-Mock-Token"
    rotated = admin.post(settings_url + "rotate-key/")
    assert rotated.status_code == 200 and rotated.json()["key"] != key
    off = admin.patch(settings_url, {"enabled": False}, format="json")
    assert off.json()["enabled"] is False and off.json()["header_value"] == "s3"

    behaviour = viewer.get(behaviour_url)
    assert behaviour.status_code == 200
    body = behaviour.json()
    assert_shape(body, MockBehaviourOutSerializer)
    assert body["stored"] is True and body["version"] == 1 and behaviour["ETag"] == '"1"'
    assert body["path"] == "/v1/chat"
    assert body["url"] == f"ws://testserver/mock/{rotated.json()['key']}/v1/chat"
    assert body["spec"]["faults"]["close_after_messages"] == 10 and body["problem"] is None

    editor = client_for(team.editor)
    spec = {**CHAT_SPEC, "pushes": []}
    stale = editor.put(behaviour_url, {"spec": spec}, format="json", HTTP_IF_MATCH='"7"')
    assert_error(stale, 412, "version_conflict")
    put = editor.put(behaviour_url, {"spec": spec, "version": 1}, format="json")
    assert put.status_code == 200 and put.json()["version"] == 2
    assert put.json()["spec"]["pushes"] == []

    connection = connection_opened(endpoint_id=endpoint.pk, client="127.0.0.1:5")
    from django.utils import timezone

    frames_recorded(
        batch={
            connection["id"]: [
                FrameRecord(1, "out", '{"type": "welcome"}', "welcome", "on open", timezone.now()),
                FrameRecord(2, "in", b"\x00\x01", "", "ignored", timezone.now()),
            ]
        },
    )
    listed = viewer.get(behaviour_url + "connections/").json()
    assert [c["id"] for c in listed] == [connection["id"]]
    assert_shape(listed[0], MockConnectionSerializer)
    frames = viewer.get(behaviour_url + f"connections/{connection['id']}/frames/").json()
    assert [(f["seq"], f["direction"], f["binary"], f["body"]) for f in frames] == [
        (1, "out", False, '{"type": "welcome"}'),
        (2, "in", True, "AAE="),
    ]
    assert_shape(frames[0], MockFrameSerializer)
    after = viewer.get(behaviour_url + f"connections/{connection['id']}/frames/?after=1").json()
    assert [f["seq"] for f in after] == [2]
    other = viewer.get(behaviour_url + f"connections/{10**9}/frames/")
    assert_error(other, 404, "not_found")


def test_a_stale_behaviour_says_why_and_the_default_serves(team: Team, client_for: Any) -> None:
    from endpoints.models import Message
    from mocks.selectors import mock_target

    endpoint, key = make_chat(team)
    Message.objects.filter(endpoint=endpoint, name="presence").update(name="online")
    _, behaviour_url = urls(team, endpoint.pk)
    body = client_for(team.viewer).get(behaviour_url).json()
    assert body["stored"] is True and body["problem"] == (
        "pushes[0].message: 'presence' is not a documented message of this endpoint"
    )
    assert body["spec"]["pushes"] == [] and body["spec"]["on_open"] == []
    target = mock_target(key=key, path="/v1/chat")
    assert target is not None and target.spec == body["spec"]


def test_only_the_newest_connections_are_kept(team: Team, settings: Any) -> None:
    settings.MOCK_LOG_CONNECTIONS = 3
    endpoint, _ = make_chat(team)
    ids = [connection_opened(endpoint_id=endpoint.pk, client="c")["id"] for _ in range(5)]
    kept = list(MockConnection.objects.filter(endpoint=endpoint).values_list("id", flat=True))
    assert kept == ids[:1:-1]


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"rules": [{"when": "nope"}]}, "spec.rules[0].when"),
        (
            {"rules": [{"when": "say", "extract": [{"variable": "v", "path": "$[?("}]}]},
            "spec.rules[0].extract[0].path",
        ),
        ({"rules": [{"when": "say", "delay_ms": -5}]}, "spec.rules[0].delay_ms"),
        ({"pushes": [{"message": "presence", "interval_ms": 10}]}, "spec.pushes[0].interval_ms"),
        ({"on_open": [{"message": "nope"}]}, "spec.on_open[0].message"),
        ({"handshake": {"body": "a\u0000b"}}, "spec.handshake.body"),
        (
            {"rules": [{"when": "say", "extract": [{"variable": "v", "path": "$.\u0000"}]}]},
            "spec.rules[0].extract[0].path",
        ),
        ("not an object", "spec"),
    ],
)
def test_bad_behaviour_is_a_400_naming_the_field(
    team: Team, client_for: Any, spec: Any, field: str
) -> None:
    endpoint, _ = make_chat(team)
    _, behaviour_url = urls(team, endpoint.pk)
    before = MockBehaviour.objects.get(endpoint=endpoint).spec
    response = client_for(team.editor).put(behaviour_url, {"spec": spec}, format="json")
    body = assert_error(response, 400, "validation_error")
    assert list(body["fields"]) == [field], body
    assert MockBehaviour.objects.get(endpoint=endpoint).spec == before


def test_bad_settings_are_a_400(team: Team, client_for: Any) -> None:
    settings_url = f"/api/v1/projects/{team.project.pk}/mock/"
    admin = client_for(team.admin)
    body = assert_error(
        admin.patch(settings_url, {"header_name": "Bad Name", "header_value": "x"}, format="json"),
        400,
        "validation_error",
    )
    assert list(body["fields"]) == ["header_name"]
    body = assert_error(
        admin.patch(settings_url, {"header_name": "X-T"}, format="json"), 400, "validation_error"
    )
    assert list(body["fields"]) == ["header_value"]
    assert not MockSettings.objects.filter(project=team.project).exclude(header_name="").exists()


@pytest.mark.parametrize(
    ("role", "read", "behaviour", "manage"),
    [
        ("admin", 200, 200, 200),
        ("editor", 200, 200, 403),
        ("viewer", 200, 403, 403),
        ("outsider", 404, 404, 404),
    ],
)
def test_role_matrix(
    team: Team, client_for: Any, role: str, read: int, behaviour: int, manage: int
) -> None:
    endpoint, key = make_chat(team)
    settings_url, behaviour_url = urls(team, endpoint.pk)
    api = client_for(team.user(role))
    assert api.get(settings_url).status_code == read
    assert api.get(behaviour_url).status_code == read
    assert api.get(behaviour_url + "connections/").status_code == read
    put = api.put(behaviour_url, {"spec": CHAT_SPEC}, format="json")
    assert put.status_code == behaviour, put.content
    assert api.patch(settings_url, {"enabled": False}, format="json").status_code == manage
    assert api.post(settings_url + "rotate-key/").status_code == manage
    row = MockSettings.objects.get(project=team.project)
    assert (row.key == key) == (manage != 200)
    assert row.enabled == (manage != 200)


@pytest.mark.parametrize("size", [2, 15])
def test_traffic_reads_take_a_fixed_number_of_queries(
    team: Team, client_for: Any, django_assert_max_num_queries: Any, size: int
) -> None:
    from django.utils import timezone

    endpoint, _ = make_chat(team)
    _, behaviour_url = urls(team, endpoint.pk)
    ids = [connection_opened(endpoint_id=endpoint.pk, client="c")["id"] for _ in range(size)]
    now = timezone.now()
    frames_recorded(
        batch={ids[-1]: [FrameRecord(n, "out", "x", "", "push", now) for n in range(1, size * 10)]}
    )
    api = client_for(team.viewer)
    api.get(behaviour_url + "connections/")  # the session and the user, loaded once
    with django_assert_max_num_queries(4):
        listed = api.get(behaviour_url + "connections/").json()
    assert len(listed) == size
    with django_assert_max_num_queries(5):
        frames = api.get(behaviour_url + f"connections/{ids[-1]}/frames/").json()
    assert len(frames) == size * 10 - 1
