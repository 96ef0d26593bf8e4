"""Bad input of every kind is a 4xx in the one error shape and leaves the database unchanged.

Each case is one row of a table: who sends it, what, where, and which status, code and field
path the answer must carry. Every row compares a snapshot of all workspace rows before and
after the request, so a half-applied write cannot hide behind a correct status code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from accounts.models import AccessToken
from endpoints.models import Endpoint, Folder, Membership, Message, Project, Role, Tag
from tests.conftest import Team, assert_error

User = get_user_model()


def workspace_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every workspace table (history and events included), with every column.

    Tokens are left out: a token's ``last_used_at`` moves on reads, by design.
    """
    models = [
        model
        for model in apps.get_app_config("endpoints").get_models(include_auto_created=True)
        if model is not AccessToken
    ]
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values()) for model in models
    }


def quick_team(project_name: str = "Trading API") -> Team:
    """The conftest ``team`` in a handful of queries: the tables are built directly, since
    hundreds of table rows each need a fresh one and services are what the requests test."""
    admin, editor, viewer, outsider = User.objects.bulk_create(
        User(username=name, email=f"{name}@example.test") for name in ("ada", "eve", "vic", "otto")
    )
    project = Project.objects.create(name=project_name, description="Quotes", created_by=admin)
    Membership.objects.bulk_create(
        Membership(project=project, user=user, role=role)
        for user, role in ((admin, Role.ADMIN), (editor, Role.EDITOR), (viewer, Role.VIEWER))
    )
    return Team(project, admin, editor, viewer, outsider)


@dataclass
class World:
    """A project with a three-level tree and a populated endpoint, and a stranger's project."""

    team: Team
    folder_a: Folder  # root folder holding `endpoint`; version 2
    folder_b: Folder  # child of a
    folder_c: Folder  # child of b, holds `endpoint_c`
    folder_empty: Folder
    endpoint: Endpoint  # version 2 (edited once), so version 1 is a realistic stale read
    endpoint_c: Endpoint
    other_project: Project
    other_folder: Folder
    other_endpoint: Endpoint
    tag_beta: Tag  # unused; a rename target that clashes with "market"

    @property
    def ids(self) -> dict[str, int]:
        return {
            "p": self.team.project.pk,
            "a": self.folder_a.pk,
            "b": self.folder_b.pk,
            "c": self.folder_c.pk,
            "empty": self.folder_empty.pk,
            "e": self.endpoint.pk,
            "ec": self.endpoint_c.pk,
            "other_p": self.other_project.pk,
            "other_f": self.other_folder.pk,
            "other_e": self.other_endpoint.pk,
            "tag_beta": self.tag_beta.pk,
            "admin": self.team.admin.pk,
            "editor": self.team.editor.pk,
            "viewer": self.team.viewer.pk,
            "outsider": self.team.outsider.pk,
        }


@pytest.fixture
def world(db: None) -> World:
    team = quick_team()
    project, editor = team.project, team.editor
    folder_a = Folder.objects.create(project=project, name="Alpha", version=2, updated_by=editor)
    folder_b = Folder.objects.create(project=project, parent=folder_a, name="B", updated_by=editor)
    folder_c = Folder.objects.create(project=project, parent=folder_b, name="C", updated_by=editor)
    folder_empty = Folder.objects.create(project=project, name="Empty", position=1)
    endpoint = Endpoint.objects.create(
        project=project,
        folder=folder_a,
        name="Ticker",
        url="wss://example.test/ticker",
        assignee=team.viewer,
        description="Live ticks.",
        version=2,
        created_by=editor,
        updated_by=editor,
    )
    Message.objects.create(
        endpoint=endpoint,
        name="sub",
        format="json",
        examples=[{"name": "Example", "body": '{"op": 1}'}],
    )
    market, tag_beta = Tag.objects.bulk_create(
        [Tag(project=project, name="market"), Tag(project=project, name="beta")]
    )
    endpoint.tags.add(market)
    endpoint_c = Endpoint.objects.create(
        project=project, folder=folder_c, name="Deep", url="ws://example.test/deep"
    )
    other_project = Project.objects.create(name="Not yours", created_by=team.outsider)
    Membership.objects.create(project=other_project, user=team.outsider, role=Role.ADMIN)
    other_folder = Folder.objects.create(project=other_project, name="X")
    other_endpoint = Endpoint.objects.create(
        project=other_project, name="Theirs", url="ws://example.test/theirs"
    )
    Message.objects.create(
        endpoint=other_endpoint, name="m", examples=[{"name": "Example", "body": "hi"}]
    )
    return World(
        team,
        folder_a,
        folder_b,
        folder_c,
        folder_empty,
        endpoint,
        endpoint_c,
        other_project,
        other_folder,
        other_endpoint,
        tag_beta,
    )


def endpoint_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body; each case overrides one thing to make it invalid."""
    body: dict[str, Any] = {"name": "Quotes", "url": "wss://example.test/quotes"}
    body.update(overrides)
    return body


Body = dict[str, Any] | list[Any] | str | bytes | Callable[[dict[str, int]], Any] | None


@dataclass
class Case:
    method: str
    path: str  # formatted with World.ids
    body: Body = None  # a callable gets World.ids; a str is sent raw
    status: int = 400
    code: str = "validation_error"
    field: str | None = None  # the one field path the error must name
    says: str | None = None  # text the field message (or detail) must contain
    role: str = "editor"
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    content_type: str = "application/json"
    # Extra top-level keys the error body must carry, such as current_version.
    expect: dict[str, Any] = dataclasses.field(default_factory=dict)


EP = "/api/v1/projects/{p}/endpoints/"
EP_ONE = "/api/v1/projects/{p}/endpoints/{e}/"
FOLDERS = "/api/v1/projects/{p}/folders/"
BATCH = "/api/v1/projects/{p}/endpoints/batch/"
FOLDER_A = "/api/v1/projects/{p}/folders/{a}/"
PROJECT = "/api/v1/projects/{p}/"
MEMBERS = "/api/v1/projects/{p}/members/"
IF_MATCH_1 = {"If-Match": '"1"'}


def create(field_path: str | None, says: str | None = None, **overrides: Any) -> Case:
    return Case("post", EP, endpoint_body(**overrides), field=field_path, says=says)


def message(fmt: str, body: str) -> list[dict[str, Any]]:
    """A valid first message and an invalid second one, so the index in the path matters."""
    return [
        {"name": "ok", "format": "text", "body": "fine"},
        {"name": "bad", "format": fmt, "body": body},
    ]


def setting(name: str, value: Any, says: str | None = None) -> Case:
    """A created endpoint whose setting ``name`` is ``value``, which it may not be."""
    return create(f"settings.{name}", says, settings={name: value})


def saved_body(fmt: str, body: str, says: str) -> Case:
    """A created endpoint whose second saved message is not valid ``fmt``."""
    return create("messages[1].body", says, messages=message(fmt, body))


def member_add(body: Body, **expected: Any) -> Case:
    """The project's admin adds a member with ``body``."""
    return Case("post", MEMBERS, body, role="admin", **expected)


def member_change(method: str, who: str, body: Body, **expected: Any) -> Case:
    """The project's admin changes or removes the membership of ``who`` (a World.ids key)."""
    return Case(method, MEMBERS + "{" + who + "}/", body, role="admin", **expected)


def batch(field: str, operations: Body) -> Case:
    """A batch on the project's endpoint whose ``operations`` (a list, or a function of
    World.ids that makes it) are invalid at ``field``."""

    def body(ids: dict[str, int]) -> dict[str, Any]:
        return {
            "ids": [ids["e"]],
            "operations": operations(ids) if callable(operations) else operations,
        }

    return Case("post", BATCH, body, field=field)


def stale(method: str, path: str, body: Body, current: int | None = None, **extra: Any) -> Case:
    """A write with an outdated version: 412, naming the ``current`` version when given."""
    expect = {"current_version": current} if current is not None else {}
    return Case(method, path, body, status=412, code="version_conflict", expect=expect, **extra)


def move_folder(folder: str, body: Body, code: str = "validation_error") -> Case:
    """A PATCH of folder ``folder`` (a World.ids key) whose new ``parent`` is refused."""
    path = "/api/v1/projects/{p}/folders/" + "{" + folder + "}/"
    return Case("patch", path, body, code=code, field="parent")


def not_empty(path: str) -> Case:
    """Deleting a folder that still holds something, without recursive=true: 409."""
    return Case("delete", path, None, status=409, code="folder_not_empty")


def missing(method: str, path: str, body: Body = None) -> Case:
    """A path naming something that does not exist, or not in this project: 404."""
    return Case(method, path, body, status=404, code="not_found")


CASES: dict[str, Case] = {
    # --- URL -----------------------------------------------------------------------------
    "url-http": create("url", "ws or wss", url="http://example.test/"),
    "url-https": create("url", "ws or wss", url="https://example.test/"),
    "url-file": create("url", "ws or wss", url="file:///etc/passwd"),
    "url-javascript": create("url", "ws or wss", url="javascript:alert(1)"),
    "url-ftp": create("url", "ws or wss", url="ftp://example.test/"),
    "url-no-scheme": create("url", None, url="example.test/socket"),
    "url-relative": create("url", None, url="/socket"),
    "url-no-host": create("url", "no host", url="ws://"),
    "url-no-host-path": create("url", "no host", url="ws:///path"),
    "url-only-port": create("url", "no host", url="wss://:443/"),
    "url-only-userinfo": create("url", None, url="ws://user@/"),
    "url-space-in-host": create("url", "spaces", url="ws://exa mple.test/"),
    "url-space-in-path": create("url", "spaces", url="ws://example.test/a b"),
    "url-leading-space": create("url", "spaces", url=" ws://example.test/"),
    "url-newline": create("url", "control", url="ws://example.test/\n"),
    "url-crlf": create("url", "control", url="ws://example.test/\r\nHost: evil"),
    "url-tab": create("url", "control", url="ws://example.test/\t"),
    "url-bad-port": create("url", "malformed", url="ws://example.test:99999/"),
    "url-text-port": create("url", "malformed", url="ws://example.test:abc/"),
    "url-bad-ipv6": create("url", "malformed", url="ws://[::1/"),
    "url-empty": create("url", None, url=""),
    "url-not-string": create("url", None, url=["ws://example.test/"]),
    "url-too-long": create("url", None, url="wss://example.test/" + "a" * 2048),
    "url-missing": Case("post", EP, {"name": "x"}, field="url"),
    "patch-url-http": Case("patch", EP_ONE, {"url": "http://example.test/"}, field="url"),
    # --- handshake rows ------------------------------------------------------------------
    "params-not-list": create("params", "list", params="a=b"),
    "params-object": create("params", "list", params={"name": "a", "value": "b"}),
    "params-row-not-object": create("params[0]", None, params=["a=b"]),
    "params-row-missing-name": create("params[0].name", "required", params=[{"value": "x"}]),
    "params-row-blank-name": create("params[0].name", "required", params=[{"name": " "}]),
    "params-row-int-value": create("params[0].value", "string", params=[{"name": "a", "value": 1}]),
    "params-row-null-value": create(
        "params[0].value", "string", params=[{"name": "a", "value": None}]
    ),
    "params-row-enabled-string": create(
        "params[0].enabled", None, params=[{"name": "a", "value": "b", "enabled": "yes"}]
    ),
    "params-row-unknown-key": create(
        "params[0]", "Unknown", params=[{"name": "a", "value": "b", "secret": True}]
    ),
    "params-too-many": create(
        "params", "200", params=[{"name": f"p{i}", "value": ""} for i in range(201)]
    ),
    "params-second-row-bad": create(
        "params[1].name",
        None,
        params=[{"name": "ok", "value": "1"}, {"name": "", "value": "2"}],
    ),
    "headers-name-colon": create(
        "headers[0].name", "token", headers=[{"name": "X-A:b", "value": "1"}]
    ),
    "headers-name-space": create(
        "headers[0].name", "token", headers=[{"name": "X A", "value": "1"}]
    ),
    "headers-name-crlf": create(
        "headers[0].name", None, headers=[{"name": "X-A\r\nX-B", "value": "1"}]
    ),
    "headers-value-crlf": create(
        "headers[0].value",
        "Line breaks",
        headers=[{"name": "X-A", "value": "1\r\nX-Injected: yes"}],
    ),
    "headers-value-lf": create(
        "headers[0].value", "Line breaks", headers=[{"name": "X-A", "value": "1\n2"}]
    ),
    "headers-value-nul": create(
        "headers[0].value", "NUL", headers=[{"name": "X-A", "value": "1\x002"}]
    ),
    "headers-value-too-long": create(
        "headers[0].value", "8192", headers=[{"name": "X-A", "value": "v" * 8193}]
    ),
    "headers-name-too-long": create(
        "headers[0].name", "256", headers=[{"name": "X" * 257, "value": ""}]
    ),
    "headers-description-nul": create(
        "headers[0].description",
        None,
        headers=[{"name": "X-A", "value": "", "description": "a\x00b"}],
    ),
    "headers-description-not-string": create(
        "headers[0].description", "string", headers=[{"name": "X-A", "value": "", "description": 5}]
    ),
    "headers-value-surrogate": create(
        "headers[0].value", None, headers=[{"name": "X-A", "value": "\ud800"}]
    ),
    "params-name-surrogate": create(
        "params[0].name", None, params=[{"name": "a\udfff", "value": ""}]
    ),
    "cookies-description-surrogate": create(
        "cookies[0].description",
        None,
        cookies=[{"name": "a", "value": "", "description": "\ud83d"}],
    ),
    "name-surrogate": create("name", None, name="\ud800"),
    "message-body-surrogate": create(
        "messages[0].body", None, messages=[{"name": "m", "body": "\ud800"}]
    ),
    "tag-surrogate": create("tags[0]", None, tags=["\udc00"]),
    "message-body-nul": create("messages[0].body", None, messages=[{"name": "m", "body": "a\x00"}]),
    "settings-key-surrogate": create("settings.\ufffd", None, settings={"\ud800": 1}),
    "params-key-surrogate": create("params[0]", None, params=[{"name": "a", "\udc00": 1}]),
    "status-surrogate": create("status", None, status="\ud800"),
    "cookies-value-newline": create(
        "cookies[0].value", "Line breaks", cookies=[{"name": "sid", "value": "a\nb"}]
    ),
    "cookies-not-list": create("cookies", "list", cookies="sid=1"),
    "patch-headers-colon": Case(
        "patch", EP_ONE, {"headers": [{"name": "Bad:Name", "value": "1"}]}, field="headers[0].name"
    ),
    # --- subprotocols --------------------------------------------------------------------
    "subprotocols-not-list": create("subprotocols", "list", subprotocols="chat"),
    "subprotocols-space": create("subprotocols[0]", "token", subprotocols=["chat v2"]),
    "subprotocols-empty": create("subprotocols[0]", "token", subprotocols=[""]),
    "subprotocols-number": create("subprotocols[0]", "token", subprotocols=[1]),
    "subprotocols-comma": create("subprotocols[1]", "token", subprotocols=["a", "b,c"]),
    "subprotocols-too-many": create(
        "subprotocols", "32", subprotocols=[f"p{i}" for i in range(33)]
    ),
    # --- settings ------------------------------------------------------------------------
    "settings-not-object": create("settings", "object", settings=[10]),
    "settings-unknown": setting("retries", 3, "Unknown setting"),
    "settings-open-timeout-zero": setting("open_timeout", 0, "between"),
    "settings-open-timeout-high": setting("open_timeout", 121, "between"),
    "settings-max-size-zero": setting("max_message_size", 0, "between"),
    "settings-max-size-high": setting("max_message_size", 64 * 1024 * 1024 + 1, "between"),
    "settings-max-size-fraction": setting("max_message_size", 1.5, "whole"),
    "settings-ping-negative": setting("ping_interval", -1, "between"),
    "settings-ping-high": setting("ping_interval", 3601, "between"),
    "settings-open-timeout-string": setting("open_timeout", "5", "number"),
    "settings-open-timeout-bool": setting("open_timeout", True, "number"),
    "settings-verify-tls-string": setting("verify_tls", "no"),
    "settings-verify-tls-int": setting("verify_tls", 0),
    "patch-settings-out-of-bounds": Case(
        "patch", EP_ONE, {"settings": {"ping_interval": 99999}}, field="settings.ping_interval"
    ),
    # --- saved messages (the error names messages[i].body and says where) ------------------
    "message-json": saved_body("json", '{"op": }', "line 1, column 8"),
    "message-json-multiline": saved_body("json", '{\n  "a": 1,\n}', "line 3, column 1"),
    "message-json-empty": saved_body("json", "", "line 1, column 1"),
    "message-xml": saved_body("xml", "<a>\n<b></a>", "line 2"),
    "message-xml-two-roots": saved_body("xml", "<a/><b/>", "line 1"),
    "message-base64-char": saved_body("base64", "aGVsb*8=", "column 6"),
    "message-base64-length": saved_body("base64", "aGVsb", "whole bytes"),
    "message-base64-padding": saved_body("base64", "aG=Vs", "padding"),
    "message-hex-char": saved_body("hex", "0a 0b zz", "column 7"),
    "message-hex-odd": saved_body("hex", "abc", "odd"),
    "message-hex-second-line": saved_body("hex", "0a0b\n0cxy", "line 2, column 3"),
    "message-unknown-format": create("messages[1].format", None, messages=message("yaml", "a: 1")),
    "message-missing-name": create(
        "messages[0].name", None, messages=[{"format": "text", "body": "x"}]
    ),
    "message-not-list": create("messages", None, messages={"name": "m"}),
    "message-body-too-long": create(
        "messages[0].body", None, messages=[{"name": "m", "body": "x" * 1_000_001}]
    ),
    "message-foreign-id": Case(
        "patch",
        EP_ONE,
        lambda ids: {
            "name": "Renamed",
            "messages": [
                {
                    "id": Message.objects.get(endpoint_id=ids["other_e"]).pk,
                    "name": "stolen",
                    "body": "x",
                }
            ],
        },
        field="messages[0].id",
    ),
    "create-message-with-id-and-new-tag": create(
        "messages[0].id", None, tags=["brand-new"], messages=[{"id": 1, "name": "m", "body": "x"}]
    ),
    "patch-message-json": Case(
        "patch",
        EP_ONE,
        {"messages": [{"name": "x", "format": "json", "body": "[1,]"}]},
        field="messages[0].body",
        says="line 1, column 4",
    ),
    # --- documentation fields ------------------------------------------------------------
    "status-unknown": create("status", None, status="done"),
    "status-wrong-case": create("status", None, status="Developing"),
    "status-empty": create("status", None, status=""),
    "patch-status-unknown": Case("patch", EP_ONE, {"status": "shipped"}, field="status"),
    "folder-unknown": create("folder", "No folder", folder=999_999),
    "folder-other-project": Case(
        "post", EP, lambda ids: endpoint_body(folder=ids["other_f"]), field="folder"
    ),
    "folder-text": create("folder", None, folder="A"),
    "folder-huge-id": create("folder", None, folder=10**30),
    "assignee-huge-id": create("assignee", None, assignee=10**30),
    "batch-huge-id": Case(
        "post", BATCH, {"ids": [10**30], "operations": [{"op": "delete"}]}, field="ids"
    ),
    "batch-move-huge-folder": batch("operations[0].folder", [{"op": "move", "folder": 10**30}]),
    "folder-create-huge-parent": Case(
        "post", FOLDERS, {"name": "f", "parent": 10**30}, field="parent"
    ),
    "member-add-huge-id": member_add({"user": str(10**30), "role": "viewer"}, field="user"),
    "version-huge": stale("patch", EP_ONE, {"name": "x", "version": 10**30}),
    "folder-zero": create("folder", None, folder=0),
    "patch-folder-other-project-with-name": Case(
        "patch", EP_ONE, lambda ids: {"name": "Renamed", "folder": ids["other_f"]}, field="folder"
    ),
    "assignee-outsider": Case(
        "post",
        EP,
        lambda ids: endpoint_body(assignee=ids["outsider"]),
        field="assignee",
        says="member",
    ),
    "assignee-unknown-user": create("assignee", "member", assignee=999_999),
    "assignee-username": create("assignee", None, assignee="vic"),
    "patch-assignee-outsider-with-name": Case(
        "patch",
        EP_ONE,
        lambda ids: {"name": "Renamed", "assignee": ids["outsider"]},
        field="assignee",
    ),
    "tags-not-list": create("tags", None, tags="market"),
    "tags-item-object": create("tags[0]", None, tags=[{"name": "x"}]),
    "tags-item-blank": create("tags[0]", None, tags=["  "]),
    "tags-item-too-long": create("tags[0]", None, tags=["t" * 65]),
    "tags-too-many": create("tags", None, tags=[f"t{i}" for i in range(51)]),
    "position-negative": create("position", None, position=-1),
    "position-text": create("position", None, position="first"),
    # --- wrong types, missing and oversized strings ---------------------------------------
    "name-missing": Case("post", EP, {"url": "ws://example.test/"}, field="name"),
    "name-blank": create("name", None, name="   "),
    "name-list": create("name", None, name=["Quotes"]),
    "name-object": create("name", None, name={"en": "Quotes"}),
    "name-bool": create("name", None, name=True),
    "name-null": create("name", None, name=None),
    "name-nul-char": create("name", None, name="a\x00b"),
    "name-too-long": create("name", "200", name="n" * 201),
    "description-too-long": create("description", None, description="d" * 100_001),
    "description-number-list": create("description", None, description=[1]),
    "version-zero": Case("patch", EP_ONE, {"name": "x", "version": 0}, field="version"),
    "version-text": Case("patch", EP_ONE, {"name": "x", "version": "latest"}, field="version"),
    # --- bodies that are not a JSON object ------------------------------------------------
    "json-malformed": Case("post", EP, '{"name": "x", "url": ', code="parse_error"),
    "json-trailing-garbage": Case("post", EP, '{"name": "x"} tail', code="parse_error"),
    "json-nan": Case(
        "post",
        EP,
        '{"name": "x", "url": "ws://h/", "settings": {"open_timeout": NaN}}',
        code="parse_error",
    ),
    "json-not-utf8": Case("post", EP, b'{"name": "\xff\xfe"}', code="parse_error"),
    "json-deeply-nested": Case("post", EP, "[" * 100_000 + "]" * 100_000, code="parse_error"),
    "json-list": Case("post", EP, [endpoint_body()], field="non_field_errors"),
    "json-string": Case("post", EP, '"ws://example.test/"', field="non_field_errors"),
    "json-number": Case("post", EP, "42", field="non_field_errors"),
    "json-null": Case("post", EP, "null", field="non_field_errors"),
    "json-list-patch": Case("patch", EP_ONE, "[]", field="non_field_errors"),
    "json-list-folder": Case("post", FOLDERS, "[]", field="non_field_errors"),
    "json-list-batch": Case("post", BATCH, "[1, 2]", field="non_field_errors"),
    "json-list-project": Case(
        "patch", "/api/v1/projects/{p}/", "[]", field="non_field_errors", role="admin"
    ),
    "form-encoded": Case(
        "post",
        EP,
        "name=x&url=ws%3A%2F%2Fh%2F",
        status=415,
        code="unsupported_media_type",
        content_type="application/x-www-form-urlencoded",
    ),
    # --- versions ------------------------------------------------------------------------
    "endpoint-stale-if-match": stale("patch", EP_ONE, {"name": "Mine"}, 2, headers=IF_MATCH_1),
    "endpoint-stale-version-field": stale("patch", EP_ONE, {"name": "Mine", "version": 1}, 2),
    "endpoint-stale-if-match-wins-over-field": stale(
        "patch", EP_ONE, {"name": "Mine", "version": 2}, 2, headers=IF_MATCH_1
    ),
    "endpoint-stale-future-version": stale(
        "patch", EP_ONE, {"name": "Mine"}, headers={"If-Match": '"3"'}
    ),
    "endpoint-delete-stale": stale("delete", EP_ONE, None, headers=IF_MATCH_1),
    "folder-patch-stale-if-match": stale(
        "patch", FOLDER_A, {"name": "Mine"}, 2, headers={"If-Match": 'W/"1"'}
    ),
    "folder-patch-stale-version-field": stale("patch", FOLDER_A, {"parent": None, "version": 1}, 2),
    "folder-delete-stale": stale("delete", FOLDER_A + "?recursive=true", None, headers=IF_MATCH_1),
    "project-patch-stale": stale("patch", PROJECT, {"name": "Mine", "version": 7}, 1, role="admin"),
    "project-delete-stale": stale(
        "delete", PROJECT, None, role="admin", headers={"If-Match": '"7"'}
    ),
    "if-match-text": Case(
        "patch", EP_ONE, {"name": "x"}, field="If-Match", headers={"If-Match": "abc"}
    ),
    "if-match-list": Case(
        "patch", EP_ONE, {"name": "x"}, field="If-Match", headers={"If-Match": '"1", "2"'}
    ),
    "if-match-trailing": Case(
        "patch", EP_ONE, {"name": "x"}, field="If-Match", headers={"If-Match": '"2"x'}
    ),
    "if-match-too-long": Case(
        "patch", EP_ONE, {"name": "x"}, field="If-Match", headers={"If-Match": '"12345678901"'}
    ),
    "if-match-malformed-on-delete": Case(
        "delete", EP_ONE, None, field="If-Match", headers={"If-Match": "v2"}
    ),
    "if-match-malformed-folder-delete": Case(
        "delete",
        "/api/v1/projects/{p}/folders/{empty}/",
        None,
        field="If-Match",
        headers={"If-Match": "?"},
    ),
    # --- batch -----------------------------------------------------------------------------
    "batch-one-unknown-id": Case(
        "post",
        BATCH,
        lambda ids: {
            "ids": [ids["e"], 999_999],
            "operations": [{"op": "set_status", "status": "tested"}],
        },
        field="ids",
        says="999999",
    ),
    "batch-id-of-other-project": Case(
        "post",
        BATCH,
        lambda ids: {"ids": [ids["e"], ids["other_e"]], "operations": [{"op": "delete"}]},
        field="ids",
    ),
    "batch-one-stale-version": Case(
        "post",
        BATCH,
        lambda ids: {
            "ids": [ids["e"], ids["ec"]],
            "operations": [
                {"op": "set_status", "status": "tested"},
                {"op": "add_tags", "tags": ["x"]},
            ],
            "versions": {str(ids["e"]): 1, str(ids["ec"]): 1},
        },
        status=412,
        code="version_conflict",
    ),
    "batch-unknown-op": batch("operations[0].op", [{"op": "rename"}]),
    "batch-set-status-missing": batch("operations[0].status", [{"op": "set_status"}]),
    "batch-set-status-invalid": batch(
        "operations[1].status",
        [{"op": "add_tags", "tags": ["new"]}, {"op": "set_status", "status": "done"}],
    ),
    "batch-move-missing-folder": batch("operations[0].folder", [{"op": "move"}]),
    "batch-move-other-project": batch(
        "operations[1].folder",
        lambda ids: [
            {"op": "set_status", "status": "tested"},
            {"op": "move", "folder": ids["other_f"]},
        ],
    ),
    "batch-move-unknown-folder": batch("operations[0].folder", [{"op": "move", "folder": 999_999}]),
    "batch-assignee-outsider": batch(
        "operations[1].assignee",
        lambda ids: [
            {"op": "add_tags", "tags": ["new"]},
            {"op": "set_assignee", "assignee": ids["outsider"]},
        ],
    ),
    "batch-delete-combined": batch(
        "operations", [{"op": "add_tags", "tags": ["new"]}, {"op": "delete"}]
    ),
    "batch-no-ids": Case("post", BATCH, {"ids": [], "operations": [{"op": "delete"}]}, field="ids"),
    "batch-ids-not-list": Case(
        "post", BATCH, lambda ids: {"ids": ids["e"], "operations": [{"op": "delete"}]}, field="ids"
    ),
    "batch-id-text": Case(
        "post", BATCH, {"ids": ["one"], "operations": [{"op": "delete"}]}, field="ids[0]"
    ),
    "batch-no-operations": batch("operations", []),
    "batch-operations-missing": Case(
        "post", BATCH, lambda ids: {"ids": [ids["e"]]}, field="operations"
    ),
    "batch-versions-bad-key": Case(
        "post",
        BATCH,
        lambda ids: {"ids": [ids["e"]], "operations": [{"op": "delete"}], "versions": {"first": 1}},
        field="versions",
    ),
    "batch-tags-not-list": batch("operations[0].tags", [{"op": "add_tags", "tags": "new"}]),
    # --- folders ---------------------------------------------------------------------------
    "folder-create-missing-name": Case("post", FOLDERS, {}, field="name"),
    "folder-create-blank-name": Case("post", FOLDERS, {"name": " "}, field="name"),
    "folder-create-name-too-long": Case("post", FOLDERS, {"name": "f" * 201}, field="name"),
    "folder-create-unknown-parent": Case(
        "post", FOLDERS, {"name": "f", "parent": 999_999}, field="parent"
    ),
    "folder-create-parent-other-project": Case(
        "post", FOLDERS, lambda ids: {"name": "f", "parent": ids["other_f"]}, field="parent"
    ),
    "folder-create-parent-text": Case(
        "post", FOLDERS, {"name": "f", "parent": "A"}, field="parent"
    ),
    "folder-create-position-negative": Case(
        "post", FOLDERS, {"name": "f", "position": -1}, field="position"
    ),
    "folder-move-into-descendant": move_folder(
        "a", lambda ids: {"name": "Renamed", "parent": ids["c"]}, "folder_cycle"
    ),
    "folder-move-into-child": move_folder("a", lambda ids: {"parent": ids["b"]}, "folder_cycle"),
    "folder-move-into-itself": move_folder("b", lambda ids: {"parent": ids["b"]}, "folder_cycle"),
    "folder-move-other-project": move_folder(
        "b", lambda ids: {"name": "Renamed", "parent": ids["other_f"]}
    ),
    "folder-delete-non-empty": not_empty("/api/v1/projects/{p}/folders/{a}/"),
    "folder-delete-non-empty-recursive-false": not_empty(
        "/api/v1/projects/{p}/folders/{b}/?recursive=false"
    ),
    "folder-delete-only-subfolders": not_empty("/api/v1/projects/{p}/folders/{b}/"),
    "folder-other-project-is-404": missing(
        "patch", "/api/v1/projects/{p}/folders/{other_f}/", {"name": "x"}
    ),
    # --- unknown objects in the URL --------------------------------------------------------
    "endpoint-unknown": missing("patch", "/api/v1/projects/{p}/endpoints/999999/", {"name": "x"}),
    "endpoint-other-project": missing("delete", "/api/v1/projects/{p}/endpoints/{other_e}/"),
    "endpoint-huge-id": missing(
        "patch", "/api/v1/projects/{p}/endpoints/99999999999999999999/", {"name": "x"}
    ),
    "project-huge-id": missing("patch", "/api/v1/projects/99999999999999999999/", {"name": "x"}),
    # --- projects, members, tags -----------------------------------------------------------
    "project-create-missing-name": Case(
        "post", "/api/v1/projects/", {"description": "x"}, field="name"
    ),
    "project-create-name-too-long": Case(
        "post", "/api/v1/projects/", {"name": "p" * 201}, field="name"
    ),
    "project-patch-blank-name": Case(
        "patch", "/api/v1/projects/{p}/", {"name": ""}, field="name", role="admin"
    ),
    "member-add-unknown-user": member_add({"user": "nobody", "role": "viewer"}, field="user"),
    "member-add-bad-role": member_add({"user": "otto", "role": "owner"}, field="role"),
    "member-add-missing-role": member_add({"user": "otto"}, field="role"),
    "member-add-already-member": member_add(
        {"user": "vic", "role": "editor"}, status=409, code="already_member"
    ),
    "member-patch-bad-role": member_change("patch", "viewer", {"role": "root"}, field="role"),
    "member-patch-non-member": member_change(
        "patch", "outsider", {"role": "editor"}, status=404, code="not_found"
    ),
    "member-demote-last-admin": member_change(
        "patch", "admin", {"role": "editor"}, status=409, code="last_admin"
    ),
    "member-remove-last-admin": member_change(
        "delete", "admin", None, status=409, code="last_admin"
    ),
    "tag-create-blank": Case("post", "/api/v1/projects/{p}/tags/", {"name": ""}, field="name"),
    "tag-create-too-long": Case(
        "post", "/api/v1/projects/{p}/tags/", {"name": "t" * 65}, field="name"
    ),
    "tag-rename-clash": Case(
        "patch",
        "/api/v1/projects/{p}/tags/{tag_beta}/",
        {"name": "MARKET"},
        status=409,
        code="conflict",
    ),
    "tag-rename-blank": Case(
        "patch", "/api/v1/projects/{p}/tags/{tag_beta}/", {"name": ""}, field="name"
    ),
    # --- list filters (reads, but still the one error shape) -------------------------------
    "list-status-unknown": Case("get", EP + "?status=developing,done", None, field="status"),
    "list-ordering-unknown": Case("get", EP + "?ordering=password", None, field="ordering"),
    "list-folder-text": Case("get", EP + "?folder=A", None, field="folder"),
    "list-assignee-text": Case("get", EP + "?assignee=vic", None, field="assignee"),
    "list-q-nul": Case("get", EP + "?q=a%00b", None, field="q"),
    "list-tag-nul": Case("get", EP + "?tag=a%00b", None, field="tag"),
    "list-page-out-of-range": Case("get", EP + "?page=99", None, status=404, code="not_found"),
    # Whole numbers are ASCII digits only: "²" passes str.isdigit() and int("²") raises (a 500
    # once), and int("\N{ARABIC-INDIC DIGIT FIVE}") is 5 (a silent filter on folder 5).
    "list-folder-superscript-digit": Case("get", EP + "?folder=%C2%B2", None, field="folder"),
    "list-folder-arabic-digit": Case("get", EP + "?folder=%D9%A5", None, field="folder"),
    "list-assignee-superscript-digit": Case("get", EP + "?assignee=%C2%B2", None, field="assignee"),
    "list-recursive-not-a-boolean": Case(
        "get", EP + "?folder={a}&recursive=maybe", None, field="recursive"
    ),
    "folder-delete-recursive-not-a-boolean": Case(
        "delete", FOLDERS + "{empty}/?recursive=maybe", None, field="recursive"
    ),
    "variables-environment-superscript-digit": Case(
        "get", "/api/v1/projects/{p}/variables/?environment=%C2%B2", None, field="environment"
    ),
    "endpoint-variables-environment-superscript-digit": Case(
        "get", EP_ONE + "variables/?environment=%C2%B2", None, field="environment"
    ),
    "member-add-superscript-digit-user": member_add(
        {"user": "\u00b2", "role": "viewer"}, field="user"
    ),
}


def send(api: APIClient, case: Case, ids: dict[str, int]) -> Any:
    path = case.path.format(**ids)
    body = case.body(ids) if callable(case.body) else case.body
    if body is None:
        payload: bytes | str | None = None
    elif isinstance(body, str | bytes):
        payload = body
    else:
        payload = json.dumps(body)
    extra = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in case.headers.items()
    }
    if case.method == "get":
        return api.get(path, data=None, follow=False, **extra)
    return api.generic(
        case.method.upper(),
        path,
        # Django sends bytes as they are (the non-UTF-8 cases); DRF's stub says only str.
        data=payload or "",  # type: ignore[arg-type]
        content_type=case.content_type,
        secure=False,
        **extra,
    )


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_rejected_in_the_error_shape_and_writes_nothing(
    world: World, client_for: Callable[[Any], APIClient], case: Case
) -> None:
    ids = world.ids
    api = client_for(world.team.user(case.role))
    before = workspace_rows()

    response = send(api, case, ids)

    body = assert_error(response, case.status, case.code)
    if case.field is not None:
        fields = body.get("fields") or {}
        # Exactly the one field the case breaks: the rest of the body is valid.
        assert set(fields) == {case.field}, body
        if case.says is not None:
            assert any(case.says in text for text in fields[case.field]), body
    elif case.says is not None:
        assert case.says in body["detail"], body
    for key, value in case.expect.items():
        assert body.get(key) == value, body
    assert workspace_rows() == before


def test_the_base_bodies_of_the_table_are_valid(
    world: World, client_for: Callable[..., Any]
) -> None:
    """Every create case differs from an accepted body in one thing only."""
    api = client_for(world.team.editor)
    response = api.post(EP.format(**world.ids), endpoint_body(), format="json")
    assert response.status_code == 201, response.json()
    for fmt, body in [
        ("json", '{"op": 1}'),
        ("xml", "<a><b/></a>"),
        ("base64", "aGVsbG8="),
        ("hex", "0a 0b:0c,0d"),
        ("html", "<p>unclosed"),
        ("text", "anything {{var}}"),
    ]:
        response = api.post(
            EP.format(**world.ids),
            endpoint_body(messages=[{"name": "m", "format": fmt, "body": body}]),
            format="json",
        )
        assert response.status_code == 201, (fmt, response.json())


def test_stale_write_answers_with_who_and_when(
    world: World, client_for: Callable[..., Any]
) -> None:
    api = client_for(world.team.admin)
    response = api.patch(
        EP_ONE.format(**world.ids), {"name": "Mine"}, format="json", HTTP_IF_MATCH='"1"'
    )
    body = assert_error(response, 412, "version_conflict")
    assert body["current_version"] == 2 and body["your_version"] == 1
    assert body["updated_by"]["username"] == "eve"
    # Written as every other body writes a moment (UTC as Z, not +00:00): the one the GET shows.
    assert body["updated_at"].endswith("Z")
    assert body["updated_at"] == api.get(EP_ONE.format(**world.ids)).json()["updated_at"]
    # The fresh version goes through, and the answer carries the next one as ETag.
    response = api.patch(
        EP_ONE.format(**world.ids), {"name": "Mine"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"3"' and response.json()["version"] == 3


def test_batch_stale_answer_lists_each_stale_endpoint(
    world: World, client_for: Callable[..., Any]
) -> None:
    ids = world.ids
    response = client_for(world.team.editor).post(
        BATCH.format(**ids),
        {
            "ids": [ids["e"], ids["ec"]],
            "operations": [{"op": "delete"}],
            "versions": {str(ids["e"]): 1, str(ids["ec"]): 1},
        },
        format="json",
    )
    body = assert_error(response, 412, "version_conflict")
    assert body["stale"] == [{"id": ids["e"], "current_version": 2, "your_version": 1}]


def test_refusals_of_every_kind_share_the_one_shape(
    world: World, client_for: Callable[..., Any]
) -> None:
    """Not only validation: auth, role, unknown path and method answer with code + detail too."""
    ids = world.ids
    anonymous = APIClient().get(EP.format(**ids))
    assert_error(anonymous, 401, "not_authenticated")
    assert anonymous["WWW-Authenticate"] == "Bearer"
    bad_token = APIClient()
    bad_token.credentials(HTTP_AUTHORIZATION="Bearer sb_not-a-real-token")
    assert_error(bad_token.get(EP.format(**ids)), 401, "authentication_failed")
    empty_token = APIClient()
    empty_token.credentials(HTTP_AUTHORIZATION="Bearer ")
    assert_error(empty_token.get(EP.format(**ids)), 401, "authentication_failed")
    viewer = client_for(world.team.viewer)
    assert_error(
        viewer.post(EP.format(**ids), endpoint_body(), format="json"), 403, "permission_denied"
    )
    assert_error(viewer.get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(
        viewer.put(EP_ONE.format(**ids), endpoint_body(), format="json"), 405, "method_not_allowed"
    )


def test_if_match_star_pins_no_version(world: World, client_for: Callable[..., Any]) -> None:
    """RFC 9110: ``If-Match: *`` matches any current version; the body's version still counts."""
    api = client_for(world.team.editor)
    url = EP_ONE.format(**world.ids)
    response = api.patch(url, {"name": "Any"}, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200 and response.json()["version"] == 3
    before = workspace_rows()
    stale = api.patch(url, {"name": "Old", "version": 2}, format="json", HTTP_IF_MATCH="*")
    assert_error(stale, 412, "version_conflict")
    assert workspace_rows() == before
