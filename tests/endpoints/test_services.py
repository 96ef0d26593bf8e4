"""Workspace services: tree ordering, moves, versions, saved messages, batches."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed, VersionConflict
from endpoints.errors import FolderCycle, FolderNotEmpty
from endpoints.models import Endpoint, Folder, Message, Tag
from endpoints.projects.services import member_remove, member_update, project_create
from endpoints.tree.services import (
    endpoint_create,
    endpoint_update,
    endpoints_batch,
    folder_create,
    folder_delete,
    folder_update,
)


def names(queryset):
    return list(queryset.order_by("position", "id").values_list("name", flat=True))


def test_folders_append_insert_and_reorder(team):
    p, who = team.project, team.editor
    a = folder_create(project=p, actor=who, name="a")
    folder_create(project=p, actor=who, name="b")
    folder_create(project=p, actor=who, name="first", position=0)
    assert names(Folder.objects.filter(project=p, parent=None)) == ["first", "a", "b"]
    folder_update(folder=a, actor=who, position=99)
    roots = Folder.objects.filter(project=p, parent=None)
    assert names(roots) == ["first", "b", "a"]
    assert sorted(roots.values_list("position", flat=True)) == [0, 1, 2]


def test_folder_move_rejects_cycles_and_bumps_version(team):
    p, who = team.project, team.editor
    top = folder_create(project=p, actor=who, name="top")
    mid = folder_create(project=p, actor=who, name="mid", parent_id=top.pk)
    leaf = folder_create(project=p, actor=who, name="leaf", parent_id=mid.pk)
    for target in (top, mid, leaf):
        with pytest.raises(FolderCycle):
            folder_update(folder=top, actor=who, parent_id=target.pk)
    top.refresh_from_db()
    assert top.parent_id is None and top.version == 1
    moved = folder_update(folder=leaf, actor=who, parent_id=None, expected_version=1)
    assert moved.parent_id is None and moved.version == 2
    with pytest.raises(VersionConflict) as stale:
        folder_update(folder=leaf, actor=who, name="x", expected_version=1)
    assert stale.value.extra["current_version"] == 2
    assert stale.value.extra["updated_by"]["username"] == who.username


def test_folder_delete_needs_recursive_when_not_empty(team):
    p, who = team.project, team.editor
    top = folder_create(project=p, actor=who, name="top")
    sub = folder_create(project=p, actor=who, name="sub", parent_id=top.pk)
    endpoint_create(project=p, actor=who, data={"name": "e", "url": "ws://h/", "folder": sub.pk})
    with pytest.raises(FolderNotEmpty):
        folder_delete(folder=top)
    assert Folder.objects.count() == 2 and Endpoint.objects.count() == 1
    folder_delete(folder=top, recursive=True)
    assert not Folder.objects.exists() and not Endpoint.objects.exists()


def test_folder_from_another_project_is_rejected(team, make_user):
    other = project_create(actor=team.admin, name="Other")
    foreign = folder_create(project=other, actor=team.admin, name="x")
    with pytest.raises(ValidationFailed):
        folder_create(project=team.project, actor=team.admin, name="y", parent_id=foreign.pk)
    with pytest.raises(ValidationFailed):
        endpoint_create(
            project=team.project,
            actor=team.admin,
            data={"name": "e", "url": "ws://h", "folder": foreign.pk},
        )
    assert Folder.objects.filter(project=team.project).count() == 0


def test_saved_messages_keep_ids_order_and_drop_missing(team):
    e = endpoint_create(
        project=team.project,
        actor=team.editor,
        data={
            "name": "e",
            "url": "ws://h",
            "messages": [
                {"name": "one", "format": "text", "body": "1"},
                {"name": "two", "format": "json", "body": "{}"},
                {"name": "three", "format": "hex", "body": "ff"},
            ],
        },
    )
    one, two, three = e.messages.order_by("position")
    endpoint_update(
        endpoint=e,
        actor=team.editor,
        data={
            "messages": [
                {"id": three.pk, "name": "three!"},
                {"name": "new", "format": "text", "body": ""},
                {"id": one.pk, "name": "one"},
            ]
        },
    )
    after = list(Message.objects.filter(endpoint=e).order_by("position"))
    assert [m.name for m in after] == ["three!", "new", "one"]
    assert (
        after[0].pk == three.pk and after[2].pk == one.pk and after[0].examples[0]["body"] == "ff"
    )
    assert not Message.objects.filter(pk=two.pk).exists()


def test_unknown_message_id_writes_nothing(team):
    e = endpoint_create(
        project=team.project, actor=team.editor, data={"name": "e", "url": "ws://h"}
    )
    with pytest.raises(ValidationFailed):
        endpoint_update(
            endpoint=e,
            actor=team.editor,
            data={"name": "renamed", "messages": [{"id": 999999, "name": "x"}]},
        )
    e.refresh_from_db()
    assert e.name == "e" and e.version == 1


def test_batch_is_all_or_nothing(team):
    p, who = team.project, team.editor
    folder = folder_create(project=p, actor=who, name="dest")
    es = [
        endpoint_create(
            project=p, actor=who, data={"name": f"e{i}", "url": "ws://h", "tags": ["old"]}
        )
        for i in range(3)
    ]
    ids = [e.pk for e in es]
    with pytest.raises(ValidationFailed):
        endpoints_batch(
            project=p,
            actor=who,
            ids=[*ids, 424242],
            operations=[{"op": "set_status", "status": "tested"}],
        )
    with pytest.raises(VersionConflict):
        endpoints_batch(
            project=p,
            actor=who,
            ids=ids,
            operations=[{"op": "set_status", "status": "tested"}],
            versions={ids[0]: 1, ids[1]: 7},
        )
    with pytest.raises(ValidationFailed):
        # The assignee check fails after the move was applied in memory: nothing may stick.
        endpoints_batch(
            project=p,
            actor=who,
            ids=ids,
            operations=[
                {"op": "move", "folder": folder.pk},
                {"op": "set_assignee", "assignee": team.outsider.pk},
            ],
        )
    assert set(Endpoint.objects.values_list("status", "folder_id", "version")) == {
        ("developing", None, 1)
    }

    result = endpoints_batch(
        project=p,
        actor=who,
        ids=ids,
        operations=[
            {"op": "move", "folder": folder.pk},
            {"op": "set_status", "status": "tested"},
            {"op": "set_assignee", "assignee": team.viewer.pk},
            {"op": "add_tags", "tags": ["New", "old"]},
            {"op": "remove_tags", "tags": ["OLD"]},
        ],
    )
    assert result["updated"] == sorted(ids)
    for e in Endpoint.objects.filter(pk__in=ids):
        assert (e.folder_id, e.status, e.assignee_id, e.version) == (
            folder.pk,
            "tested",
            team.viewer.pk,
            2,
        )
        assert [t.name for t in e.tags.all()] == ["New"]
    assert (
        list(Endpoint.objects.filter(pk__in=ids).order_by("position").values_list("pk", flat=True))
        == ids
    )
    assert Tag.objects.filter(project=p).count() == 2
    endpoints_batch(project=p, actor=who, ids=ids, operations=[{"op": "delete"}])
    assert not Endpoint.objects.exists()


def test_member_rules(team):
    from endpoints.errors import LastAdmin

    p = team.project
    with pytest.raises(LastAdmin):
        member_update(project=p, user_id=team.admin.pk, role="editor")
    with pytest.raises(LastAdmin):
        member_remove(project=p, user_id=team.admin.pk, actor=team.admin)
    member_update(project=p, user_id=team.editor.pk, role="admin")
    member_remove(project=p, user_id=team.admin.pk, actor=team.editor)
    assert list(p.memberships.filter(role="admin").values_list("user__username", flat=True)) == [
        "eve"
    ]
