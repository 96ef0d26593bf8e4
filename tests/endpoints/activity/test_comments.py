"""Comments on endpoints: sanitized Markdown, member mentions, author rules, resolve/reopen.

Who may do what (role by action):

| action                         | admin | editor | viewer | non-member | anonymous |
|--------------------------------|-------|--------|--------|------------|-----------|
| list, read                     | yes   | yes    | yes    | 404        | 401       |
| add                            | yes   | yes    | yes    | 404        | 401       |
| edit own / others'             | yes / 403 | yes / 403 | yes / 403 | 404   | 401       |
| delete own / others'           | yes / yes | yes / 403 | yes / 403 | 404   | 401       |
| resolve, reopen own / others'  | yes / yes | yes / yes | yes / 403 | 404   | 401       |

Viewers comment because feedback does not change the endpoint; nobody edits someone else's
words; admins may delete any comment (moderation); resolving is editors' work, and any author
may resolve their own thread.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from endpoints.activity.mentions import highlight_mentions, mentioned_names
from endpoints.activity.services import comment_create, comment_set_resolved
from endpoints.models import Comment, Role
from endpoints.projects.services import member_add
from endpoints.tree.services import endpoint_create
from tests.conftest import assert_error
from tests.factories import make_endpoint


@pytest.fixture
def endpoint(team):
    return make_endpoint(team, url="wss://h/t")


def url(team, endpoint, suffix: str = "") -> str:
    return f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/comments/{suffix}"


# --- pure helpers ---------------------------------------------------------------------------


def test_mentioned_names_skip_code_and_email_addresses():
    source = (
        "Ping @Ana and @bo.b. — not me@example.com, not `@code` nor\n"
        "```\n@fenced\n```\nbut @ana again and @x-y+z"
    )
    assert mentioned_names(source) == ["ana", "bo.b", "x-y+z"]


def test_highlight_mentions_only_in_text_outside_code_and_links():
    html = '<p>hi @ana, <code>@ana</code> <a href="https://x">@ana</a> @bob @ana.</p>'
    members = {"ana": {"id": 7, "username": "ana"}}
    assert highlight_mentions(html, members) == (
        '<p>hi <span class="mention" data-user-id="7">@ana</span>, <code>@ana</code> '
        '<a href="https://x">@ana</a> @bob '
        '<span class="mention" data-user-id="7">@ana</span>.</p>'
    )


# --- behaviour ------------------------------------------------------------------------------


def test_markdown_is_sanitized_and_only_members_are_mentioned(team, endpoint, client_for):
    api = client_for(team.viewer)
    body = (
        "Looks good @eve, cc @otto and @nobody.\n\n"
        "<script>alert(1)</script> [x](javascript:alert(1)) **bold**"
    )
    response = api.post(url(team, endpoint), {"body": body}, format="json")
    assert response.status_code == 201, response.json()
    comment = response.json()
    assert comment["author"]["username"] == "vic" and comment["resolved"] is False
    assert [m["username"] for m in comment["mentions"]] == ["eve"]  # otto is no member
    html = comment["body_html"]
    assert f'<span class="mention" data-user-id="{team.editor.pk}">@eve</span>' in html
    assert "@otto" in html and 'data-user-id="' + str(team.outsider.pk) not in html
    assert "<script" not in html and "&lt;script&gt;" in html  # shown, never run
    assert "href" not in html  # the javascript: link is not a link
    assert "<strong>bold</strong>" in html
    assert comment["body"] == body  # the source is kept as written


def test_edit_resolve_reopen_delete_and_filters(team, endpoint, client_for):
    editor, viewer = client_for(team.editor), client_for(team.viewer)
    first = viewer.post(url(team, endpoint), {"body": "one"}, format="json").json()
    second = editor.post(url(team, endpoint), {"body": "two @vic"}, format="json").json()

    edited = viewer.patch(
        url(team, endpoint, f"{first['id']}/"), {"body": "one @eve"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["edited_at"] and edited.json()["mentions"][0]["username"] == "eve"

    resolved = editor.post(url(team, endpoint, f"{first['id']}/resolve/")).json()
    assert resolved["resolved"] and resolved["resolved_by"]["username"] == "eve"
    listing = viewer.get(url(team, endpoint) + "?state=open").json()
    assert [c["id"] for c in listing["results"]] == [second["id"]]
    listing = viewer.get(url(team, endpoint) + "?state=resolved").json()
    assert [c["id"] for c in listing["results"]] == [first["id"]]
    listing = viewer.get(url(team, endpoint)).json()
    assert [c["id"] for c in listing["results"]] == [first["id"], second["id"]]
    assert_error(viewer.get(url(team, endpoint) + "?state=maybe"), 400, "validation_error")

    reopened = viewer.post(url(team, endpoint, f"{first['id']}/reopen/")).json()
    assert reopened["resolved"] is False and reopened["resolved_by"] is None
    assert viewer.delete(url(team, endpoint, f"{first['id']}/")).status_code == 204
    assert list(Comment.objects.values_list("pk", flat=True)) == [second["id"]]

    empty = viewer.post(url(team, endpoint), {"body": "   "}, format="json")
    assert "body" in assert_error(empty, 400, "validation_error")["fields"]


def test_a_comment_belongs_to_its_endpoint(team, endpoint, client_for):
    other = endpoint_create(
        project=team.project, actor=team.editor, data={"name": "Other", "url": "wss://h/o"}
    )
    comment = comment_create(endpoint=other, actor=team.editor, body="elsewhere")
    api = client_for(team.editor)
    assert_error(api.get(url(team, endpoint, f"{comment.pk}/")), 404, "not_found")
    assert_error(api.post(url(team, endpoint, f"{comment.pk}/resolve/")), 404, "not_found")


# --- the permission matrix ------------------------------------------------------------------

ROLES = ("admin", "editor", "viewer", "outsider", "anonymous")
ACTIONS = {
    # action: (whose comment, method, suffix, body, {role: expected status})
    "list": ("other", "get", "", None, {"admin": 200, "editor": 200, "viewer": 200}),
    "read": ("other", "get", "{id}/", None, {"admin": 200, "editor": 200, "viewer": 200}),
    "add": ("other", "post", "", {"body": "hi"}, {"admin": 201, "editor": 201, "viewer": 201}),
    "edit own": ("own", "patch", "{id}/", {"body": "x"}, {r: 200 for r in ROLES[:3]}),
    "edit others'": ("other", "patch", "{id}/", {"body": "x"}, {r: 403 for r in ROLES[:3]}),
    "delete own": ("own", "delete", "{id}/", None, {r: 204 for r in ROLES[:3]}),
    "delete others'": (
        "other",
        "delete",
        "{id}/",
        None,
        {"admin": 204, "editor": 403, "viewer": 403},
    ),
    "resolve own": ("own", "post", "{id}/resolve/", None, {r: 200 for r in ROLES[:3]}),
    "resolve others'": (
        "other",
        "post",
        "{id}/resolve/",
        None,
        {"admin": 200, "editor": 200, "viewer": 403},
    ),
    "reopen others'": (
        "resolved",
        "post",
        "{id}/reopen/",
        None,
        {"admin": 200, "editor": 200, "viewer": 403},
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_comment_permission_matrix(team, endpoint, make_user, client_for, role, action):
    whose, method, suffix, payload, allowed = ACTIONS[action]
    author = make_user("carol")
    member_add(project=team.project, user_ref=author.pk, role=Role.EDITOR)
    if whose == "own" and role in {"admin", "editor", "viewer"}:
        comment = comment_create(endpoint=endpoint, actor=team.user(role), body="mine")
    else:
        comment = comment_create(endpoint=endpoint, actor=author, body="theirs")
    if whose == "resolved":
        comment_set_resolved(comment=comment, actor=author, role=Role.EDITOR, resolved=True)
    before = list(Comment.objects.order_by("id").values_list("id", "body", "resolved_at"))
    client = APIClient() if role == "anonymous" else client_for(team.user(role))
    kwargs = {"format": "json"} if payload is not None else {}
    args = (payload,) if payload is not None else ()
    response = getattr(client, method)(
        url(team, endpoint, suffix.format(id=comment.pk)), *args, **kwargs
    )
    expected = {"outsider": 404, "anonymous": 401}.get(role) or allowed[role]
    assert response.status_code == expected, (response.status_code, response.content[:300])
    if expected >= 400:
        assert_error(response, expected)
        after = list(Comment.objects.order_by("id").values_list("id", "body", "resolved_at"))
        assert after == before  # a refused action changes nothing


@pytest.mark.parametrize("count", [2, 15])
def test_comment_list_uses_a_fixed_number_of_queries(
    team, endpoint, client_for, django_assert_max_num_queries, count
):
    for i in range(count):
        author = (team.admin, team.editor, team.viewer)[i % 3]
        comment = comment_create(
            endpoint=endpoint, actor=author, body=f"note {i} for @eve and @vic"
        )
        if i % 2:
            comment_set_resolved(comment=comment, actor=team.admin, role=Role.ADMIN, resolved=True)
    api = client_for(team.viewer)
    # membership + endpoint + count + page (author, resolver joined) + mentions
    with django_assert_max_num_queries(5):
        listing = api.get(url(team, endpoint) + "?page_size=100")
    assert listing.json()["count"] == count
    assert all(len(c["mentions"]) == 2 for c in listing.json()["results"])
    with django_assert_max_num_queries(5):
        assert api.get(url(team, endpoint) + "?state=resolved").json()["count"] == count // 2
