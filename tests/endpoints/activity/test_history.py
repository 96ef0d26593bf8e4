"""Change history: every change to an endpoint or folder is a revision; revert is a new one."""

from __future__ import annotations

import pytest

from endpoints.activity import history
from endpoints.models import Endpoint, Revision
from endpoints.projects.services import member_remove
from endpoints.tree.services import (
    endpoint_delete,
    endpoint_update,
    endpoints_batch,
    folder_create,
    folder_delete,
    folder_update,
    tag_delete,
    tag_rename,
)
from tests.conftest import assert_error
from tests.factories import make_endpoint


def revisions_of(endpoint) -> list[Revision]:
    return list(Revision.objects.filter(endpoint=endpoint).order_by("id"))


def fields_of(revision: Revision) -> dict:
    return {change["field"]: (change["old"], change["new"]) for change in revision.changes}


# --- pure helpers ---------------------------------------------------------------------------


def test_diff_lists_only_changed_fields_in_field_order():
    old = {"name": "a", "url": "ws://x", "tags": ["t"], "status": "developing"}
    new = {"name": "b", "url": "ws://x", "tags": ["t", "u"], "status": "developing"}
    assert history.diff(old, new, history.ENDPOINT_FIELDS) == [
        {"field": "name", "old": "a", "new": "b"},
        {"field": "tags", "old": ["t"], "new": ["t", "u"]},
    ]
    created = history.diff(None, {"name": "a", "parent": None}, history.FOLDER_FIELDS)
    assert created == [{"field": "name", "old": None, "new": "a"}]


@pytest.mark.parametrize(
    ("fields", "created", "reverted", "action"),
    [
        ({"folder"}, False, False, "moved"),
        ({"folder", "position"}, False, False, "moved"),
        ({"position", "name"}, False, False, "updated"),
        (set(), False, False, "updated"),
        ({"name"}, True, False, "created"),
        ({"folder"}, False, True, "reverted"),
    ],
)
def test_revision_action(fields, created, reverted, action):
    changes = [{"field": f, "old": 1, "new": 2} for f in sorted(fields)]
    assert history.revision_action(changes, created=created, reverted=reverted) == action


def test_revert_data_does_not_resurrect_what_is_gone():
    snapshot = {
        "name": "n",
        "url": "ws://h",
        "folder": 7,
        "position": 2,
        "messages": [
            {"id": 1, "name": "kept", "format": "text", "body": "a", "description": ""},
            {"id": 2, "name": "deleted since", "format": "json", "body": "{}", "description": ""},
        ],
        "assignee": {"id": 9, "username": "left", "display_name": "left"},
        "tags": ["a"],
    }
    data = history.revert_data(snapshot, message_ids={1}, folder_ids=set(), member_ids=set())
    assert data["messages"][0]["id"] == 1 and "id" not in data["messages"][1]
    assert "folder" not in data and "position" not in data  # the folder is gone: stay put
    assert data["assignee"] is None  # no longer a member
    assert data["tags"] == ["a"] and data["name"] == "n"
    back = history.revert_data(snapshot, message_ids=set(), folder_ids={7}, member_ids={9})
    assert back["folder"] == 7 and back["position"] == 2 and back["assignee"] == 9


# --- recording in the services --------------------------------------------------------------


def test_every_field_change_is_a_revision_with_old_and_new(team):
    folder = folder_create(project=team.project, actor=team.editor, name="Quotes")
    e = make_endpoint(team, messages=[{"name": "sub", "format": "json", "body": "{}"}])
    created = revisions_of(e)[0]
    assert (created.action, created.version, created.actor) == ("created", 1, team.editor)
    assert fields_of(created)["name"] == (None, "Ticker")
    message_id = created.snapshot["messages"][0]["id"]

    endpoint_update(
        endpoint=e,
        actor=team.admin,
        data={
            "status": "testing",
            "assignee": team.viewer.pk,
            "tags": ["market"],
            "description": "Live **ticks**",
            "headers": [{"name": "X-Key", "value": "k"}],
            "settings": {"open_timeout": 5},
            "messages": [
                {"id": message_id, "name": "subscribe", "format": "json", "body": "{}"},
                {"name": "ping", "format": "text", "body": "ping"},
            ],
        },
    )
    updated = revisions_of(e)[1]
    assert (updated.action, updated.version, updated.actor) == ("updated", 2, team.admin)
    changed = fields_of(updated)
    assert list(changed) == [
        "headers",
        "settings",
        "messages",
        "status",
        "assignee",
        "tags",
        "description",
    ]
    assert changed["status"] == ("developing", "testing")
    assert changed["assignee"][0] is None and changed["assignee"][1]["username"] == "vic"
    assert changed["tags"] == ([], ["market"])
    assert (
        changed["settings"][0]["open_timeout"] == 10 and changed["settings"][1]["open_timeout"] == 5
    )
    assert [m["name"] for m in changed["messages"][0]] == ["sub"]
    assert [m["name"] for m in changed["messages"][1]] == ["subscribe", "ping"]

    endpoint_update(endpoint=e, actor=team.editor, data={"folder": folder.pk})
    moved = revisions_of(e)[2]
    assert moved.action == "moved" and fields_of(moved)["folder"] == (None, folder.pk)
    assert moved.snapshot["folder"] == folder.pk and moved.version == 3


def test_batch_records_one_revision_per_endpoint(team):
    folder = folder_create(project=team.project, actor=team.editor, name="dest")
    es = [make_endpoint(team, name=f"e{i}", tags=["old"]) for i in range(3)]
    endpoints_batch(
        project=team.project,
        actor=team.admin,
        ids=[e.pk for e in es],
        operations=[
            {"op": "move", "folder": folder.pk},
            {"op": "set_status", "status": "tested"},
            {"op": "add_tags", "tags": ["new"]},
            {"op": "remove_tags", "tags": ["old"]},
        ],
    )
    for e in es:
        revisions = revisions_of(e)
        assert [r.action for r in revisions] == ["created", "updated"]
        changed = fields_of(revisions[1])
        assert changed["folder"] == (None, folder.pk)
        assert changed["status"] == ("developing", "tested")
        assert changed["tags"] == (["old"], ["new"])
        assert revisions[1].actor == team.admin and revisions[1].version == 2


def test_folder_renames_and_moves_are_recorded_on_the_folder(team, client_for):
    p, who = team.project, team.editor
    top = folder_create(project=p, actor=who, name="Top")
    child = folder_create(project=p, actor=who, name="Child")
    folder_update(folder=child, actor=team.admin, name="Renamed")
    folder_update(folder=child, actor=who, parent_id=top.pk)
    api = client_for(team.viewer)
    body = api.get(f"/api/v1/projects/{p.pk}/folders/{child.pk}/history/").json()
    assert [r["action"] for r in body["results"]] == ["moved", "updated", "created"]
    moved, renamed, _ = body["results"]
    assert moved["changes"][0] == {"field": "parent", "old": None, "new": top.pk}
    assert moved["folder"]["parent"] == top.pk and moved["folder"]["version"] == 3
    assert renamed["changes"] == [{"field": "name", "old": "Child", "new": "Renamed"}]
    assert renamed["actor"]["username"] == "ada"


def test_removing_a_member_records_the_cleared_assignee(team):
    e = make_endpoint(team, assignee=team.viewer.pk)
    member_remove(project=team.project, user_id=team.viewer.pk, actor=team.admin)
    last = revisions_of(e)[-1]
    assert last.version == 2 and last.actor == team.admin
    assert fields_of(last)["assignee"][1] is None


def test_renaming_a_tag_is_a_change_of_the_endpoints_carrying_it(team):
    e = make_endpoint(team, tags=["beta"])
    other = make_endpoint(team, name="untagged")
    tag = e.tags.get()
    tag_rename(tag=tag, name="Beta2", actor=team.editor)
    e.refresh_from_db()
    assert e.version == 2 and fields_of(revisions_of(e)[-1])["tags"] == (["beta"], ["Beta2"])
    assert len(revisions_of(other)) == 1
    tag_delete(tag=tag, actor=team.editor)
    assert fields_of(revisions_of(e)[-1])["tags"] == (["Beta2"], [])


# --- the API --------------------------------------------------------------------------------


def test_history_revision_and_revert_over_the_api(team, client_for):
    e = make_endpoint(team, messages=[{"name": "sub", "format": "text", "body": "v1"}])
    editor, viewer = client_for(team.editor), client_for(team.viewer)
    base = f"/api/v1/projects/{team.project.pk}/endpoints/{e.pk}"
    first = editor.get(f"{base}/").json()
    editor.patch(
        f"{base}/",
        {"name": "Ticker v2", "messages": [{"name": "sub", "format": "text", "body": "v2"}]},
        format="json",
        HTTP_IF_MATCH='"1"',
    )

    listing = viewer.get(f"{base}/history/").json()
    assert listing["count"] == 2
    newest, oldest = listing["results"]
    assert (newest["version"], newest["action"], oldest["action"]) == (2, "updated", "created")
    assert "endpoint" not in newest  # the list is light; one revision shows the whole endpoint
    assert {c["field"] for c in newest["changes"]} == {"name", "messages"}

    as_it_was = viewer.get(f"{base}/history/{oldest['id']}/").json()["endpoint"]
    assert as_it_was["name"] == "Ticker" and as_it_was["version"] == 1
    assert as_it_was["messages"][0]["body"] == "v1"
    assert {k: as_it_was[k] for k in ("url", "headers", "settings", "tags")} == {
        k: first[k] for k in ("url", "headers", "settings", "tags")
    }

    assert_error(viewer.post(f"{base}/history/{oldest['id']}/revert/"), 403, "permission_denied")
    stale = editor.post(f"{base}/history/{oldest['id']}/revert/", HTTP_IF_MATCH='"1"')
    assert assert_error(stale, 412, "version_conflict")["current_version"] == 2
    assert Revision.objects.filter(endpoint=e).count() == 2

    reverted = editor.post(f"{base}/history/{oldest['id']}/revert/", {"version": 2}, format="json")
    assert reverted.status_code == 200, reverted.json()
    body = reverted.json()
    assert body["name"] == "Ticker" and body["version"] == 3 and reverted["ETag"] == '"3"'
    assert [m["body"] for m in body["messages"]] == ["v1"]

    listing = viewer.get(f"{base}/history/").json()["results"]
    assert [r["action"] for r in listing] == ["reverted", "updated", "created"]
    assert listing[0]["revert_of"] == oldest["id"]
    assert {c["field"]: (c["old"], c["new"]) for c in listing[0]["changes"]}["name"] == (
        "Ticker v2",
        "Ticker",
    )


def test_history_is_for_members_only(team, client_for):
    e = make_endpoint(team)
    rev = Revision.objects.get(endpoint=e)
    other = make_endpoint(team, name="other")
    outsider = client_for(team.outsider)
    base = f"/api/v1/projects/{team.project.pk}/endpoints/{e.pk}"
    assert_error(outsider.get(f"{base}/history/"), 404, "not_found")
    assert_error(outsider.get(f"{base}/history/{rev.pk}/"), 404, "not_found")
    assert_error(outsider.post(f"{base}/history/{rev.pk}/revert/"), 404, "not_found")
    editor = client_for(team.editor)
    # A revision of another endpoint is not this endpoint's.
    other_rev = Revision.objects.get(endpoint=other)
    assert_error(editor.get(f"{base}/history/{other_rev.pk}/"), 404, "not_found")
    assert_error(editor.post(f"{base}/history/{other_rev.pk}/revert/"), 404, "not_found")


def test_revert_into_a_deleted_folder_leaves_the_endpoint_where_it_is(team, client_for):
    p = team.project
    old_folder = folder_create(project=p, actor=team.editor, name="old")
    e = make_endpoint(team, folder=old_folder.pk)
    endpoint_update(endpoint=e, actor=team.editor, data={"folder": None})
    folder_delete(folder=old_folder, actor=team.editor)
    created = Revision.objects.filter(endpoint=e).earliest("id")
    response = client_for(team.editor).post(
        f"/api/v1/projects/{p.pk}/endpoints/{e.pk}/history/{created.pk}/revert/"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["folder"] is None


@pytest.mark.parametrize("edits", [2, 12])
def test_history_list_uses_a_fixed_number_of_queries(
    team, client_for, django_assert_max_num_queries, edits
):
    e = make_endpoint(team)
    for i in range(edits):
        endpoint_update(
            endpoint=e,
            actor=team.editor if i % 2 else team.admin,
            data={"name": f"n{i}", "tags": [f"t{i}"]},
        )
    api = client_for(team.viewer)
    base = f"/api/v1/projects/{team.project.pk}/endpoints/{e.pk}"
    # membership + endpoint + count + page (joined with the actor)
    with django_assert_max_num_queries(4):
        listing = api.get(f"{base}/history/?page_size=100")
    assert listing.json()["count"] == edits + 1
    newest = Revision.objects.filter(endpoint=e).latest("id").pk
    with django_assert_max_num_queries(3):
        assert api.get(f"{base}/history/{newest}/").status_code == 200
    folder = folder_create(project=team.project, actor=team.editor, name="f")
    for i in range(edits):
        folder_update(folder=folder, actor=team.editor, name=f"f{i}")
    # membership + folder + count + page
    with django_assert_max_num_queries(4):
        folders = api.get(f"/api/v1/projects/{team.project.pk}/folders/{folder.pk}/history/")
    assert folders.json()["count"] == edits + 1


def test_deleting_an_endpoint_takes_its_history_along(team):
    e = make_endpoint(team)
    endpoint_update(endpoint=e, actor=team.editor, data={"name": "x"})
    endpoint_delete(endpoint=e, actor=team.editor)
    assert not Revision.objects.filter(endpoint_id=e.pk).exists()
    assert not Endpoint.objects.filter(pk=e.pk).exists()


def test_saving_from_a_debug_session_records_revisions(team, client_for):
    e = make_endpoint(team)
    editor = client_for(team.editor)
    sessions = "/api/v1/sessions/"
    session_id = editor.post(sessions, {"endpoint": e.pk}, format="json").json()["id"]
    editor.patch(f"{sessions}{session_id}/", {"url": "wss://example.test/v2"}, format="json")
    saved = editor.post(f"{sessions}{session_id}/save/", {"version": 1}, format="json")
    assert saved.status_code in {200, 201}, saved.json()
    last = revisions_of(e)[-1]
    assert (last.action, last.version, last.actor) == ("updated", 2, team.editor)
    assert fields_of(last)["url"] == ("wss://example.test/ticker", "wss://example.test/v2")

    created = editor.post(
        f"{sessions}{session_id}/save/", {"target": "new", "name": "Copy"}, format="json"
    )
    assert created.status_code == 201, created.json()
    copy = Endpoint.objects.get(pk=created.json()["id"])
    assert [r.action for r in revisions_of(copy)] == ["created"]
