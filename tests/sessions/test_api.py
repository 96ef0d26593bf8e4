"""The session API without upstream traffic: drafts, privacy, the log's paging and filters,
message details, the format helper, saving into the tree, and relay bookkeeping."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from endpoints.projects.services import member_remove
from endpoints.tree.services import folder_create
from sessions.models import Connection, DebugSession, Event
from tests.conftest import assert_error
from tests.factories import log_event, make_endpoint
from tests.sessions.conftest import relay_row

API = "/api/v1/sessions/"


@pytest.fixture
def endpoint(team):
    return make_endpoint(
        team,
        url="wss://stream.example.test/ticker",
        params=[{"name": "symbols", "value": "BTC", "enabled": True, "description": ""}],
        headers=[{"name": "X-Key", "value": "k", "enabled": False, "description": "off"}],
        cookies=[{"name": "sid", "value": "1", "enabled": True, "description": ""}],
        subprotocols=["v2.json"],
        settings={"open_timeout": 3},
        messages=[{"name": "sub", "format": "json", "body": '{"op": "sub"}'}],
    )


def make_session(team, user=None, **fields):
    return DebugSession.objects.create(
        owner=user or team.editor, project=team.project, url="ws://127.0.0.1:9/", **fields
    )


def log(session, *entries):
    """Store log entries as the relay would (the relay itself is tested in test_relay)."""
    now = timezone.now()
    Event.objects.bulk_create(
        log_event(session, seq, now, kind, direction=direction, opcode=opcode, body=payload)
        for seq, (kind, direction, opcode, payload) in enumerate(entries, start=1)
    )


def test_open_from_an_endpoint_copies_its_handshake(team, client_for, endpoint):
    api = client_for(team.viewer)  # viewers may debug
    created = api.post(API, {"endpoint": endpoint.pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["endpoint"] == endpoint.pk and body["project"] == team.project.pk
    assert body["name"] == "Ticker" and body["url"] == endpoint.url
    assert body["params"] == endpoint.params and body["headers"] == endpoint.headers
    assert body["cookies"] == endpoint.cookies and body["subprotocols"] == ["v2.json"]
    assert body["settings"]["open_timeout"] == 3.0 and body["settings"]["verify_tls"] is True
    assert body["state"] == "idle" and body["connection"] is None
    assert body["live_url"] == f"/ws/sessions/{body['id']}/"


def test_open_blank_and_edit_the_draft(team, client_for):
    api = client_for(team.viewer)
    created = api.post(API, {"project": team.project.pk}, format="json").json()
    assert created["url"] == "" and created["settings"]["max_message_size"] == 1024 * 1024
    changed = api.patch(
        f"{API}{created['id']}/",
        {
            "url": "ws://echo.example.test/x",
            "headers": [{"name": "Authorization", "value": "Bearer t"}],
            "settings": {"ping_interval": 0},
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["headers"][0]["enabled"] is True
    assert changed.json()["settings"]["ping_interval"] == 0.0
    assert changed.json()["settings"]["open_timeout"] == 10.0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "http://x.test"}, "url"),
        ({"headers": [{"name": "Sec-WebSocket-Protocol", "value": "x"}]}, "headers[0].name"),
        ({"headers": [{"name": "Host", "value": "x"}]}, "headers[0].name"),
        ({"headers": [{"name": "bad name", "value": "x"}]}, "headers[0].name"),
        ({"cookies": [{"name": "a", "value": "x\ny"}]}, "cookies[0].value"),
        ({"subprotocols": ["a b"]}, "subprotocols[0]"),
        ({"settings": {"open_timeout": 0}}, "settings.open_timeout"),
        ({"settings": {"nope": 1}}, "settings.nope"),
    ],
)
def test_invalid_drafts_say_where(team, client_for, data, field):
    session = make_session(team)
    response = client_for(team.editor).patch(f"{API}{session.pk}/", data, format="json")
    assert field in assert_error(response, 400, "validation_error")["fields"]


def live_relay():
    return relay_row(
        channel_name="relay.test!live", heartbeat_at=timezone.now() + timedelta(hours=1)
    )


def test_handshake_is_frozen_while_connecting_or_open(team, client_for):
    session = make_session(team, state="connecting", relay=live_relay())
    api = client_for(team.editor)
    for state in ("connecting", "open", "closing"):
        DebugSession.objects.filter(pk=session.pk).update(state=state)
        response = api.patch(f"{API}{session.pk}/", {"url": "ws://other.test/"}, format="json")
        body = assert_error(response, 409, "session_connected")
        assert "disconnect first" in body["detail"]
    DebugSession.objects.filter(pk=session.pk).update(state="closed")
    response = api.patch(f"{API}{session.pk}/", {"url": "ws://other.test/"}, format="json")
    assert response.status_code == 200


def test_sessions_are_private_to_their_owner(team, client_for):
    session = make_session(team, user=team.viewer)
    for user in (team.admin, team.editor, team.outsider):
        api = client_for(user)
        for url in ("", "events/", "events/1/", "connections/"):
            assert_error(api.get(f"{API}{session.pk}/{url}"), 404, "not_found")
        for url in ("connect/", "disconnect/", "messages/", "save/"):
            assert_error(api.post(f"{API}{session.pk}/{url}", {}, format="json"), 404)
        assert_error(api.patch(f"{API}{session.pk}/", {"name": "x"}, format="json"), 404)
        assert_error(api.delete(f"{API}{session.pk}/"), 404)
        assert api.get(API).json()["count"] == 0
    assert client_for(team.viewer).get(API).json()["count"] == 1
    assert_error(client_for(None).get(f"{API}{session.pk}/"), 401)


def test_an_owner_who_left_the_project_loses_the_session(team, client_for):
    session = make_session(team, user=team.viewer)
    member_remove(project=team.project, user_id=team.viewer.pk, actor=team.admin)
    assert_error(client_for(team.viewer).get(f"{API}{session.pk}/"), 404)


def test_outsiders_cannot_open_sessions_in_the_project(team, client_for, endpoint):
    api = client_for(team.outsider)
    assert_error(api.post(API, {"project": team.project.pk}, format="json"), 404)
    response = api.post(API, {"endpoint": endpoint.pk}, format="json")
    assert "endpoint" in assert_error(response, 400)["fields"]


def test_list_is_a_fixed_number_of_queries(team, client_for, django_assert_max_num_queries):
    api = client_for(team.editor)
    make_session(team)
    with django_assert_max_num_queries(3) as small:
        assert api.get(API).json()["count"] == 1
    for _ in range(15):
        log(make_session(team), ("connecting", "", "", "x"))
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = api.get(f"{API}?project={team.project.pk}").json()
    assert body["count"] == 16
    assert {s["last_seq"] for s in body["results"]} == {0, 1}
    assert api.get(f"{API}?state=idle").json()["count"] == 16
    assert_error(api.get(f"{API}?state=nope"), 400)


def test_log_pages_and_filters(team, client_for, django_assert_max_num_queries):
    session = make_session(team)
    entries = [("connecting", "", "", "Connecting"), ("open", "", "", "Connected")]
    for index in range(30):
        entries.append(("sent", "out", "text", f"ping {index}"))
        entries.append(("received", "in", "text", f"PONG {index}"))
    log(session, *entries)
    api = client_for(team.editor)
    url = f"{API}{session.pk}/events/"
    with django_assert_max_num_queries(4):
        first = api.get(url, {"limit": 10}).json()
    assert [e["seq"] for e in first["results"]] == list(range(1, 11))
    assert first["has_more"] and first["next_after"] == 10
    second = api.get(first["next"]).json()
    assert second["results"][0]["seq"] == 11
    resumed = api.get(url, {"after": 60}).json()
    assert [e["seq"] for e in resumed["results"]] == [61, 62] and not resumed["has_more"]
    incoming = api.get(url, {"direction": "in", "limit": 500}).json()["results"]
    assert len(incoming) == 30 and all(e["kind"] == "received" for e in incoming)
    found = api.get(url, {"q": "pong 2"}).json()["results"]
    assert [e["text"] for e in found] == ["PONG 2"] + [f"PONG {i}" for i in range(20, 30)]
    status = api.get(url, {"kind": "connecting,open"}).json()["results"]
    assert [e["kind"] for e in status] == ["connecting", "open"]
    assert_error(api.get(url, {"kind": "bogus"}), 400)
    assert_error(api.get(url, {"direction": "up"}), 400)
    assert_error(api.get(url, {"after": "x"}), 400)


def test_message_detail_views(team, client_for):
    session = make_session(team)
    log(
        session,
        ("received", "in", "text", '{"b": [1, 2.50], "a": "é"}'),
        ("received", "in", "text", "<r><x>1</x></r>"),
        ("received", "in", "text", "<html><body><p>Hi</p></body></html>"),
        ("received", "in", "binary", b"\x00\x01hello\xff"),
        ("received", "in", "text", "not json"),
        ("received", "in", "binary", "é".encode("latin-1")),
    )
    api = client_for(team.editor)
    url = f"{API}{session.pk}/events/"
    as_json = api.get(f"{url}1/").json()
    assert as_json["view"] == "json" and as_json["problem"] is None
    assert as_json["content"] == '{\n  "b": [\n    1,\n    2.50\n  ],\n  "a": "é"\n}'
    assert api.get(f"{url}1/", {"format": "text"}).json()["content"].startswith('{"b"')
    assert api.get(f"{url}2/").json()["content"] == "<r>\n  <x>1</x>\n</r>"
    html = api.get(f"{url}3/").json()
    assert html["view"] == "html" and "\n    <p>Hi</p>" in html["content"]
    binary = api.get(f"{url}4/").json()
    assert binary["view"] == "hexdump" and binary["encoding"] is None
    assert (
        binary["content"]
        == "00000000  00 01 68 65 6c 6c 6f ff                           |..hello.|"
    )
    assert (
        api.get(f"{url}4/", {"as": "base64"}).json()["content"]
        == base64.b64encode(b"\x00\x01hello\xff").decode()
    )
    raw = api.get(f"{url}4/", {"as": "raw"})
    assert raw["Content-Type"] == "application/octet-stream"
    assert "attachment" in raw["Content-Disposition"] and raw.content == b"\x00\x01hello\xff"
    wrong = api.get(f"{url}5/", {"format": "json"}).json()
    assert wrong["view"] == "text" and wrong["content"] == "not json"
    assert wrong["problem"].startswith("Invalid JSON at line 1, column 1")
    assert api.get(f"{url}6/", {"encoding": "latin-1"}).json()["content"] == "é"
    assert api.get(f"{url}6/", {"encoding": "utf-8"}).json()["content"] == "\ufffd"
    utf16 = api.get(f"{url}1/", {"encoding": "utf-16-le", "format": "text"}).json()
    assert utf16["encoding"] == "utf-16-le"
    assert_error(api.get(f"{url}1/", {"encoding": "klingon"}), 400)
    assert_error(api.get(f"{url}99/"), 404)


def test_format_helper(team, client_for):
    api = client_for(team.viewer)
    ok = api.post(
        f"{API}format/", {"format": "json", "body": '{"a":[1,{"b":null}]}'}, format="json"
    )
    assert json.loads(ok.json()["formatted"]) == {"a": [1, {"b": None}]}
    assert ok.json()["formatted"].count("\n") == 7
    bad = api.post(f"{API}format/", {"format": "xml", "body": "<a><b></a>"}, format="json")
    assert assert_error(bad, 400)["fields"]["body"][0].startswith("Invalid XML at line 1")


def test_save_as_new_endpoint_and_back_into_it(team, client_for, endpoint):
    folder = folder_create(project=team.project, actor=team.admin, name="Dbg")
    editor = client_for(team.editor)
    session_id = editor.post(API, {"endpoint": endpoint.pk}, format="json").json()["id"]
    editor.patch(
        f"{API}{session_id}/",
        {"url": "wss://stream.example.test/v2", "headers": [{"name": "X-New", "value": "1"}]},
        format="json",
    )
    created = editor.post(
        f"{API}{session_id}/save/",
        {
            "target": "new",
            "name": "Ticker v2",
            "folder": folder.pk,
            "messages": [{"name": "hello", "format": "text", "body": "hi"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    new = created.json()
    assert new["folder"] == folder.pk and new["url"] == "wss://stream.example.test/v2"
    assert new["headers"][0]["name"] == "X-New" and new["messages"][0]["body"] == "hi"
    assert new["settings"]["open_timeout"] == 3.0 and new["status"] == "developing"
    assert editor.get(f"{API}{session_id}/").json()["endpoint"] == new["id"]

    # Back into it, with its version check.
    editor.patch(f"{API}{session_id}/", {"subprotocols": ["v3"]}, format="json")
    stale = editor.post(f"{API}{session_id}/save/", {"version": new["version"] + 5}, format="json")
    assert assert_error(stale, 412, "version_conflict")["current_version"] == new["version"]
    saved = editor.post(
        f"{API}{session_id}/save/", {}, format="json", HTTP_IF_MATCH=f'"{new["version"]}"'
    )
    assert saved.status_code == 200, saved.json()
    assert saved.json()["subprotocols"] == ["v3"] and saved.json()["version"] == new["version"] + 1
    assert saved["ETag"] == f'"{new["version"] + 1}"'


def test_saving_needs_an_editor_and_a_valid_url(team, client_for, endpoint):
    viewer = client_for(team.viewer)
    session_id = viewer.post(API, {"endpoint": endpoint.pk}, format="json").json()["id"]
    assert_error(viewer.post(f"{API}{session_id}/save/", {}, format="json"), 403)
    blank = make_session(team, user=team.editor)
    DebugSession.objects.filter(pk=blank.pk).update(url="")
    response = client_for(team.editor).post(f"{API}{blank.pk}/save/", {}, format="json")
    assert "url" in assert_error(response, 400)["fields"]
    DebugSession.objects.filter(pk=blank.pk).update(url="ws://x.test/")
    response = client_for(team.editor).post(
        f"{API}{blank.pk}/save/", {"target": "source"}, format="json"
    )
    assert_error(response, 409, "no_source_endpoint")


def test_connect_needs_a_url_and_a_running_relay(team, client_for):
    api = client_for(team.editor)
    blank = api.post(API, {"project": team.project.pk}, format="json").json()
    assert "url" in assert_error(api.post(f"{API}{blank['id']}/connect/"), 400)["fields"]
    api.patch(f"{API}{blank['id']}/", {"url": "ws://127.0.0.1:9/"}, format="json")
    body = assert_error(api.post(f"{API}{blank['id']}/connect/"), 503, "relay_unavailable")
    assert "manage.py relay_worker" in body["detail"]
    assert api.get(f"{API}{blank['id']}/").json()["state"] == "idle"


def test_sending_while_not_connected_or_with_a_bad_body(team, client_for, endpoint):
    api = client_for(team.editor)
    session = api.post(API, {"endpoint": endpoint.pk}, format="json").json()
    url = f"{API}{session['id']}/messages/"
    assert_error(
        api.post(url, {"format": "text", "body": "x"}, format="json"), 409, "not_connected"
    )
    bad = api.post(url, {"format": "base64", "body": "ab$c"}, format="json")
    assert "column 3" in assert_error(bad, 400)["fields"]["body"][0]
    missing = api.post(url, {"message_id": 999999}, format="json")
    assert "message_id" in assert_error(missing, 400)["fields"]
    assert "body" in assert_error(api.post(url, {}, format="json"), 400)["fields"]
    both = api.post(url, {"message_id": 1, "body": "x"}, format="json")
    assert "message_id" in assert_error(both, 400)["fields"]


def test_a_session_whose_relay_stopped_is_lost_on_access(team, client_for):
    dead = relay_row(
        channel_name="relay.dead!x", heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    session = make_session(
        team, state="open", relay=dead, relay_channel=dead.channel_name, connection_count=1
    )
    Connection.objects.create(session=session, number=1)
    log(session, ("connecting", "", "", "Connecting"), ("open", "", "", "Connected"))
    body = client_for(team.editor).get(f"{API}{session.pk}/").json()
    assert body["state"] == "lost"
    assert body["connection"]["failure"]["kind"] == "lost"
    events = client_for(team.editor).get(f"{API}{session.pk}/events/").json()["results"]
    assert events[-1]["seq"] == 3 and events[-1]["kind"] == "error"
    assert "no heartbeat" in events[-1]["text"]


def test_project_ca_bundle_permissions(team, client_for):
    url = f"/api/v1/projects/{team.project.pk}/ca-bundle/"
    assert_error(client_for(team.viewer).get(url), 404)
    assert_error(client_for(team.outsider).get(url), 404)
    assert_error(client_for(team.editor).delete(url), 403)
    assert_error(client_for(team.admin).delete(url), 404)
    bad = client_for(team.admin).put(url, {"pem": "-----BEGIN CERTIFICATE-----\nxx"}, format="json")
    assert "pem" in assert_error(bad, 400)["fields"]


def test_delete_removes_the_log(team, client_for):
    session = make_session(team)
    log(session, ("connecting", "", "", "x"))
    assert client_for(team.editor).delete(f"{API}{session.pk}/").status_code == 204
    assert not Event.objects.filter(session_id=session.pk).exists()
