"""The issue's "How we will check it" script, through the REST API alone, with real tokens.

A script exchanges a password for a personal access token, builds a project with three levels
of folders and fifty endpoints using every field, reads the tree back identical, moves a
folder (a cycle is refused), runs batches, loses a race with a teammate (412, nothing written)
and meets 401/403/404 exactly where the permission matrix says. The list filters and the
pagination a script relies on are checked on a small, hand-made tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from endpoints.handshake import DEFAULT_SETTINGS
from endpoints.models import EndpointStatus
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create
from tests.conftest import assert_error

API = "/api/v1"
STATUSES = list(EndpointStatus.values)
PASSWORD = "a-long-script-password"


def token_client(username: str, password: str = PASSWORD, name: str = "ci") -> APIClient:
    """Exchange a username and password for a token, as a script would, and use it."""
    response = APIClient().post(
        f"{API}/auth/tokens/",
        {"username": username, "password": password, "name": name},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["token"].startswith("sb_")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    return client


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:800])
    return response.json() if response.content else None


@dataclass
class FolderNode:
    name: str
    id: int = 0
    folders: list[FolderNode] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)  # create bodies, in order


def expected_shape(node: FolderNode, people: dict[int, str]) -> dict[str, Any]:
    return {
        "id": node.id or None,
        "name": node.name,
        "folders": [expected_shape(child, people) for child in node.folders],
        "endpoints": [
            (
                body["name"],
                body["url"],
                body["status"],
                people.get(body["assignee"]) if body["assignee"] else None,
                sorted({t.lower() for t in body["tags"]}),
            )
            for body in node.endpoints
        ],
    }


def tree_shape(node: dict[str, Any]) -> dict[str, Any]:
    """The tree as the API gives it, reduced to what a user sees: names, nesting, order, docs."""
    return {
        "id": node.get("id"),
        "name": node.get("name", ""),
        "folders": [tree_shape(child) for child in node["folders"]],
        "endpoints": [
            (
                e["name"],
                e["url"],
                e["status"],
                e["assignee"]["username"] if e["assignee"] else None,
                [t.lower() for t in e["tags"]],
            )
            for e in node["endpoints"]
        ],
    }


def endpoint_body(index: int, folder: int | None, assignees: list[int | None]) -> dict[str, Any]:
    """An endpoint that uses every field the issue lists."""
    tags = ["market", f"group-{index % 3}"] + (["Beta"] if index % 2 else [])
    return {
        "name": f"Stream {index:02d}",
        "url": f"wss://stream{index}.example.test:8443/v{index % 3}/feed?x={index}",
        "folder": folder,
        "params": [
            {"name": "symbol", "value": f"SYM{index}", "enabled": True, "description": "ticker"},
            {"name": "depth", "value": "{{depth}}", "enabled": index % 2 == 0, "description": ""},
        ],
        "headers": [
            {"name": "X-Api-Key", "value": "{{api_key}}", "enabled": True, "description": "key"},
            {"name": "Accept-Language", "value": "en", "enabled": False, "description": ""},
        ],
        "cookies": [{"name": "sid", "value": f"c{index}", "enabled": True, "description": ""}],
        "subprotocols": ["v2.feed", "json"] if index % 4 else [],
        "settings": {
            "open_timeout": 1 + index % 5,
            "max_message_size": 4096 * (index + 1),
            "verify_tls": index % 3 != 0,
            "ping_interval": 0 if index % 7 == 0 else 15.5,
        },
        "messages": [
            {"name": "text", "format": "text", "body": f"hello {index}", "description": ""},
            {
                "name": "json",
                "format": "json",
                "body": f'{{"op": "sub", "n": {index}}}',
                "description": "subscribe",
            },
            {"name": "xml", "format": "xml", "body": f"<sub n='{index}'/>", "description": ""},
            {"name": "html", "format": "html", "body": "<p>hi", "description": ""},
            {"name": "b64", "format": "base64", "body": "aGVsbG8=", "description": ""},
            {"name": "hex", "format": "hex", "body": "de ad be ef", "description": "binary"},
        ],
        "status": STATUSES[index % len(STATUSES)],
        "assignee": assignees[index % len(assignees)],
        "tags": tags,
        "description": f"Endpoint **{index}** streams `ticks`.\n\n- one\n- two",
    }


def all_endpoints(api: APIClient, project_id: int) -> list[dict[str, Any]]:
    page = ok(api.get(f"{API}/projects/{project_id}/endpoints/?page_size=500"))
    assert page["next"] is None
    return page["results"]


def test_a_script_builds_reads_moves_batches_and_races(make_user: Callable[..., Any]) -> None:
    make_user("scripter", password=PASSWORD)
    teammate = make_user("tess", password=PASSWORD)
    watcher = make_user("val", password=PASSWORD)
    make_user("olga", password=PASSWORD)
    api = token_client("scripter")
    me = ok(api.get(f"{API}/auth/me/"))

    # --- a project, members, and a three-level tree ------------------------------------------
    project = ok(
        api.post(f"{API}/projects/", {"name": "Trading", "description": "WS"}, format="json"), 201
    )
    pid = project["id"]
    base = f"{API}/projects/{pid}"
    ok(api.post(f"{base}/members/", {"user": "tess", "role": "editor"}, format="json"), 201)
    ok(
        api.post(f"{base}/members/", {"user": str(watcher.pk), "role": "viewer"}, format="json"),
        201,
    )

    root = FolderNode("")
    for top in ("Market data", "Trading"):
        top_node = FolderNode(top)
        top_node.id = ok(api.post(f"{base}/folders/", {"name": top}, format="json"), 201)["id"]
        root.folders.append(top_node)
        for child in ("Spot", "Futures"):
            child_node = FolderNode(f"{top}/{child}")
            child_node.id = ok(
                api.post(
                    f"{base}/folders/",
                    {"name": child_node.name, "parent": top_node.id},
                    format="json",
                ),
                201,
            )["id"]
            top_node.folders.append(child_node)
            leaf = FolderNode(f"{child_node.name}/Level 3")
            leaf.id = ok(
                api.post(
                    f"{base}/folders/", {"name": leaf.name, "parent": child_node.id}, format="json"
                ),
                201,
            )["id"]
            child_node.folders.append(leaf)
    places: list[FolderNode] = [root]
    stack = list(root.folders)
    while stack:
        node = stack.pop(0)
        places.append(node)
        stack.extend(node.folders)
    assert len(places) == 11  # the root and ten folders on three levels

    # --- fifty endpoints with every field ----------------------------------------------------
    assignees = [me["id"], teammate.pk, watcher.pk, None]
    created: dict[int, dict[str, Any]] = {}
    for index in range(50):
        place = places[index % len(places)]
        body = endpoint_body(index, place.id or None, assignees)
        response = api.post(f"{base}/endpoints/", body, format="json")
        out = ok(response, 201)
        assert response["ETag"] == '"1"' and out["version"] == 1
        place.endpoints.append(body)
        created[out["id"]] = body
    people = {me["id"]: "scripter", teammate.pk: "tess", watcher.pk: "val"}

    # --- everything reads back as it was written ---------------------------------------------
    listed = all_endpoints(api, pid)
    assert len(listed) == 50
    for out in listed:
        body = created[out["id"]]
        for key in ("name", "url", "folder", "params", "headers", "cookies", "subprotocols"):
            assert out[key] == body[key], (key, out[key], body[key])
        # What was written, and the defaults of the settings it left out.
        assert out["settings"] == {**DEFAULT_SETTINGS, **body["settings"]}
        assert [{k: m[k] for k in body["messages"][0]} for m in out["messages"]] == body["messages"]
        assert out["status"] == body["status"] and out["description"] == body["description"]
        assert (out["assignee"] or {}).get("id") == body["assignee"]
        assert out["tags"] == sorted(body["tags"], key=str.lower)
        assert out["created_by"]["username"] == "scripter"
    tree = ok(api.get(f"{base}/tree/"))
    assert tree["project"] == {"id": pid, "name": "Trading"}
    assert tree_shape(tree) == expected_shape(root, people)
    tags = {t["name"]: t["endpoint_count"] for t in ok(api.get(f"{base}/tags/"))}
    assert tags == {"Beta": 25, "group-0": 17, "group-1": 17, "group-2": 16, "market": 50}

    # --- move a folder; a cycle is refused and changes nothing --------------------------------
    spot = root.folders[0].folders[0]  # Market data/Spot, with its level-3 folder
    moved = ok(
        api.patch(f"{base}/folders/{spot.id}/", {"parent": root.folders[1].id}, format="json")
    )
    assert moved["parent"] == root.folders[1].id and moved["version"] == 2
    root.folders[0].folders.remove(spot)
    root.folders[1].folders.append(spot)
    assert tree_shape(ok(api.get(f"{base}/tree/"))) == expected_shape(root, people)
    # Reorder: the moved folder goes first among its new siblings.
    ok(api.patch(f"{base}/folders/{spot.id}/", {"position": 0}, format="json"))
    root.folders[1].folders.insert(0, root.folders[1].folders.pop())
    before = ok(api.get(f"{base}/tree/"))
    assert tree_shape(before) == expected_shape(root, people)
    trading = root.folders[1]
    for into in (spot.folders[0].id, trading.id):
        cycle = api.patch(f"{base}/folders/{trading.id}/", {"parent": into}, format="json")
        assert assert_error(cycle, 400, "folder_cycle")["fields"] == {
            "parent": ["A folder cannot be moved into itself or one of its descendants."]
        }
    assert ok(api.get(f"{base}/tree/")) == before

    # --- a batch: move, re-status, tag and untag, then delete ---------------------------------
    target = root.folders[0]  # Market data, which now holds only Futures and some endpoints
    batch_ids = sorted(created)[:10]
    versions = {e["id"]: e["version"] for e in all_endpoints(api, pid)}
    result = ok(
        api.post(
            f"{base}/endpoints/batch/",
            {
                "ids": batch_ids,
                "operations": [
                    {"op": "move", "folder": target.id},
                    {"op": "set_status", "status": "testing"},
                    {"op": "add_tags", "tags": ["batch", "beta"]},
                    {"op": "remove_tags", "tags": ["MARKET"]},
                ],
                "versions": {str(pk): versions[pk] for pk in batch_ids},
            },
            format="json",
        )
    )
    assert result == {"updated": batch_ids, "deleted": []}
    after = {e["id"]: e for e in all_endpoints(api, pid)}
    staying = [b for b in target.endpoints if not any(created[i] is b for i in batch_ids)]
    for pk in batch_ids:
        e = after[pk]
        assert e["folder"] == target.id and e["status"] == "testing"
        assert e["version"] == versions[pk] + 1 and e["updated_by"]["username"] == "scripter"
        # "beta" matches the existing "Beta" tag case-insensitively: no duplicate tag.
        assert e["tags"] == sorted(
            {"batch", "Beta", f"group-{int(e['name'][-2:]) % 3}"}, key=str.lower
        )
    for pk in set(after) - set(batch_ids):
        assert after[pk]["version"] == versions[pk] and "market" in after[pk]["tags"]
    tags = {t["name"]: t["endpoint_count"] for t in ok(api.get(f"{base}/tags/"))}
    assert tags["market"] == 40 and tags["batch"] == 10
    # Moved endpoints go after the ones already there, in id order.
    folder_page = ok(api.get(f"{base}/endpoints/?folder={target.id}&page_size=100"))
    assert [e["name"] for e in folder_page["results"]] == [b["name"] for b in staying] + [
        after[pk]["name"] for pk in batch_ids
    ]

    deleted = ok(
        api.post(
            f"{base}/endpoints/batch/",
            {"ids": batch_ids[:5], "operations": [{"op": "delete"}]},
            format="json",
        )
    )
    assert deleted == {"updated": [], "deleted": batch_ids[:5]}
    for pk in batch_ids[:5]:
        assert_error(api.get(f"{base}/endpoints/{pk}/"), 404, "not_found")
    assert ok(api.get(f"{base}/endpoints/"))["count"] == 45

    # --- a race with a teammate: the stale write gets 412 and writes nothing ------------------
    mate = token_client("tess", name="laptop")
    pk = batch_ids[5]
    mine = api.get(f"{base}/endpoints/{pk}/")
    etag = mine["ETag"]
    ok(mate.patch(f"{base}/endpoints/{pk}/", {"name": "Tess was here"}, format="json"))
    stale = api.patch(
        f"{base}/endpoints/{pk}/",
        {"name": "Mine", "status": "released", "tags": []},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    body = assert_error(stale, 412, "version_conflict")
    assert body["current_version"] == mine.json()["version"] + 1
    assert body["updated_by"]["username"] == "tess"
    stale = api.patch(
        f"{base}/endpoints/{pk}/",
        {"name": "Mine", "version": mine.json()["version"]},
        format="json",
    )
    assert_error(stale, 412, "version_conflict")
    stale = api.post(
        f"{base}/endpoints/batch/",
        {
            "ids": [pk, batch_ids[6]],
            "operations": [{"op": "delete"}],
            "versions": {str(pk): mine.json()["version"]},
        },
        format="json",
    )
    assert_error(stale, 412, "version_conflict")
    stale = api.delete(f"{base}/endpoints/{pk}/", HTTP_IF_MATCH=etag)
    assert_error(stale, 412, "version_conflict")
    now = api.get(f"{base}/endpoints/{pk}/")
    assert now.json()["name"] == "Tess was here" and now.json()["status"] == "testing"
    assert now.json()["tags"] and now["ETag"] == f'"{mine.json()["version"] + 1}"'
    assert ok(api.get(f"{base}/endpoints/"))["count"] == 45
    # A folder race, too.
    folder_etag = api.get(f"{base}/folders/{target.id}/")["ETag"]
    ok(mate.patch(f"{base}/folders/{target.id}/", {"name": "Market"}, format="json"))
    assert_error(
        api.patch(
            f"{base}/folders/{target.id}/",
            {"name": "Mine"},
            format="json",
            HTTP_IF_MATCH=folder_etag,
        ),
        412,
        "version_conflict",
    )
    assert ok(api.get(f"{base}/folders/{target.id}/"))["name"] == "Market"
    # Re-reading and writing with the fresh version works.
    ok(
        api.patch(
            f"{base}/endpoints/{pk}/", {"name": "Mine"}, format="json", HTTP_IF_MATCH=now["ETag"]
        )
    )

    # --- 401 / 403 / 404 exactly where the matrix says ----------------------------------------
    viewer = token_client("val")
    outsider = token_client("olga")
    anonymous = APIClient()
    ok(viewer.get(f"{base}/tree/"))
    ok(viewer.get(f"{base}/endpoints/{pk}/"))
    snapshot = ok(api.get(f"{base}/tree/"))
    for client, status, code in (
        (viewer, 403, "permission_denied"),
        (outsider, 404, "not_found"),
        (anonymous, 401, "not_authenticated"),
    ):
        assert_error(
            client.post(f"{base}/endpoints/", {"name": "x", "url": "ws://h/"}, format="json"),
            status,
            code,
        )
        assert_error(
            client.patch(f"{base}/endpoints/{pk}/", {"name": "x"}, format="json"), status, code
        )
        assert_error(
            client.post(
                f"{base}/endpoints/batch/",
                {"ids": [pk], "operations": [{"op": "delete"}]},
                format="json",
            ),
            status,
            code,
        )
        assert_error(client.delete(f"{base}/folders/{target.id}/?recursive=true"), status, code)
        assert_error(
            client.post(f"{base}/members/", {"user": "olga", "role": "admin"}, format="json"),
            status,
            code,
        )
    assert_error(outsider.get(f"{base}/tree/"), 404, "not_found")
    assert_error(anonymous.get(f"{base}/tree/"), 401, "not_authenticated")
    # The editor writes endpoints but may not manage members or the project.
    assert_error(
        mate.patch(f"{base}/members/{watcher.pk}/", {"role": "admin"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        mate.patch(f"{base}/", {"name": "Mine now"}, format="json"), 403, "permission_denied"
    )
    assert_error(mate.delete(f"{base}/"), 403, "permission_denied")
    assert ok(api.get(f"{base}/tree/")) == snapshot

    # --- revoking the token ends the script's access -----------------------------------------
    tokens = ok(api.get(f"{API}/auth/tokens/"))
    assert [t["name"] for t in tokens] == ["ci"] and "token" not in tokens[0]
    assert api.delete(f"{API}/auth/tokens/{tokens[0]['id']}/").status_code == 204
    assert_error(api.get(f"{base}/tree/"), 401, "authentication_failed")


# --- list filters and pagination --------------------------------------------------------------


@dataclass
class Catalogue:
    api: APIClient
    base: str
    ids: dict[str, int]  # endpoint name -> id
    folders: dict[str, int]
    viewer_id: int

    def names(self, query: str) -> list[str]:
        page = ok(self.api.get(f"{self.base}/endpoints/?{query}"))
        assert page["count"] == len(page["results"])
        return [e["name"] for e in page["results"]]


@pytest.fixture
def catalogue(make_user: Callable[..., Any], bearer_client: Callable[..., Any]) -> Catalogue:
    editor, viewer = make_user("ed"), make_user("vi")
    api = bearer_client(editor)
    project = ok(api.post(f"{API}/projects/", {"name": "Catalogue"}, format="json"), 201)
    base = f"{API}/projects/{project['id']}"
    ok(api.post(f"{base}/members/", {"user": "vi", "role": "viewer"}, format="json"), 201)
    folders: dict[str, int] = {}
    for name, parent in (("A", None), ("B", "A"), ("C", None)):
        body = {"name": name, "parent": folders.get(parent) if parent else None}
        folders[name] = ok(api.post(f"{base}/folders/", body, format="json"), 201)["id"]
    rows = [
        ("Alpha ticker", "A", "developing", editor.pk, ["market", "beta"], "prices", "alpha"),
        ("Beta book", "B", "testing", viewer.pk, ["market"], "", "book"),
        ("Gamma trades", "C", "released", None, ["beta"], "", "trades"),
        ("Delta", None, "testing", editor.pk, [], "has a TICKER in its text", "delta"),
        ("Echo", "A", "deprecated", None, ["Market", "internal"], "", "echo"),
    ]
    ids: dict[str, int] = {}
    for name, folder, status, assignee, tags, description, host in rows:
        fields = {
            "name": name,
            "url": f"wss://{host}.example.test/ws",
            "folder": folders[folder] if folder else None,
            "status": status,
            "assignee": assignee,
            "tags": tags,
            "description": description,
        }
        ids[name] = ok(api.post(f"{base}/endpoints/", fields, format="json"), 201)["id"]
    return Catalogue(api, base, ids, folders, viewer.pk)


BY_NAME = ["Alpha ticker", "Beta book", "Delta", "Echo", "Gamma trades"]
FILTERS = {
    "all-in-tree-order": ("", ["Alpha ticker", "Echo", "Beta book", "Gamma trades", "Delta"]),
    "folder": ("folder={A}", ["Alpha ticker", "Echo"]),
    "folder-recursive": ("folder={A}&recursive=true", ["Alpha ticker", "Echo", "Beta book"]),
    "folder-leaf-recursive": ("folder={B}&recursive=1", ["Beta book"]),
    "folder-root": ("folder=root", ["Delta"]),
    "folder-root-recursive": (
        "folder=root&recursive=true",
        ["Alpha ticker", "Echo", "Beta book", "Gamma trades", "Delta"],
    ),
    "folder-unknown": ("folder=999999", []),
    "status": ("status=testing", ["Beta book", "Delta"]),
    "status-comma": ("status=testing,released", ["Beta book", "Gamma trades", "Delta"]),
    "status-repeated": ("status=testing&status=deprecated", ["Echo", "Beta book", "Delta"]),
    "assignee-me": ("assignee=me", ["Alpha ticker", "Delta"]),
    "assignee-none": ("assignee=none", ["Echo", "Gamma trades"]),
    "assignee-id": ("assignee={viewer}", ["Beta book"]),
    "assignee-me-or-none": ("assignee=me,none", ["Alpha ticker", "Echo", "Gamma trades", "Delta"]),
    "tag": ("tag=market", ["Alpha ticker", "Echo", "Beta book"]),
    "tag-case-insensitive": ("tag=MARKET", ["Alpha ticker", "Echo", "Beta book"]),
    "tags-several-all-required": ("tag=market&tag=beta", ["Alpha ticker"]),
    "tags-several-comma": ("tag=market,internal", ["Echo"]),
    "tag-unknown": ("tag=nothing", []),
    "q-name": ("q=gamma", ["Gamma trades"]),
    "q-name-or-description": ("q=ticker", ["Alpha ticker", "Delta"]),
    "q-url": ("q=book.example", ["Beta book"]),
    "q-no-match": ("q=zzz", []),
    "combined": ("folder={A}&recursive=true&tag=market&status=testing", ["Beta book"]),
    "ordering-name": ("ordering=name", BY_NAME),
    "ordering-minus-name": ("ordering=-name", BY_NAME[::-1]),
    "ordering-status": (
        "ordering=status",
        ["Echo", "Alpha ticker", "Gamma trades", "Beta book", "Delta"],
    ),
    "ordering-created": (
        "ordering=-created_at",
        ["Echo", "Delta", "Gamma trades", "Beta book", "Alpha ticker"],
    ),
}


@pytest.mark.parametrize(("query", "expected"), list(FILTERS.values()), ids=list(FILTERS))
def test_endpoint_list_filters(catalogue: Catalogue, query: str, expected: list[str]) -> None:
    query = query.format(**catalogue.folders, viewer=catalogue.viewer_id)
    assert catalogue.names(query) == expected


def test_pagination(catalogue: Catalogue) -> None:
    url = f"{catalogue.base}/endpoints/?ordering=name&page_size=2"
    first = ok(catalogue.api.get(url))
    assert first["count"] == 5 and first["previous"] is None
    assert [e["name"] for e in first["results"]] == ["Alpha ticker", "Beta book"]
    assert (
        "page=2" in first["next"]
        and "page_size=2" in first["next"]
        and "ordering=name" in first["next"]
    )
    seen, page, hops = [], first, 0
    while page is not None and hops < 10:  # follow `next` like a script would
        seen += [e["name"] for e in page["results"]]
        page = ok(catalogue.api.get(page["next"])) if page["next"] else None
        hops += 1
    assert seen == ["Alpha ticker", "Beta book", "Delta", "Echo", "Gamma trades"] and hops == 3
    last = ok(catalogue.api.get(f"{url}&page=3"))
    assert last["next"] is None and "page=2" in last["previous"]
    assert [e["name"] for e in last["results"]] == ["Gamma trades"]
    # Filters and pagination combine; count is the filtered count.
    filtered = ok(catalogue.api.get(f"{catalogue.base}/endpoints/?tag=market&page_size=1&page=2"))
    assert filtered["count"] == 3 and len(filtered["results"]) == 1
    # page_size is capped, never an error; the default page holds 50.
    assert ok(catalogue.api.get(f"{catalogue.base}/endpoints/?page_size=100000"))["count"] == 5
    assert [e["name"] for e in ok(catalogue.api.get(f"{url}&page=last"))["results"]] == [
        "Gamma trades"
    ]
    for bad in ("page=4", "page=0", "page=first"):
        assert_error(catalogue.api.get(f"{url}&{bad}"), 404, "not_found")


def test_default_page_size_and_page_size_cap(
    make_user: Callable[..., Any], client_for: Callable[..., Any]
) -> None:
    user = make_user("bulk")
    project = project_create(actor=user, name="Bulk")
    for index in range(60):
        endpoint_create(
            project=project, actor=user, data={"name": f"e{index:02d}", "url": "ws://h/"}
        )
    api = client_for(user)
    base = f"{API}/projects/{project.pk}/endpoints/"
    first = ok(api.get(base))
    assert first["count"] == 60 and len(first["results"]) == 50 and first["next"]
    assert len(ok(api.get(base + "?page_size=500"))["results"]) == 60
