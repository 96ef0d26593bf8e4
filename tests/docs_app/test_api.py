"""The share-link API: who may do what (role by action), what a link holds, and how it changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from docs_app.models import ShareLink
from docs_app.tokens import token_digest
from endpoints.tree.services import folder_delete
from tests.conftest import assert_error

ROLES = ("admin", "editor", "viewer", "outsider")


def _base(docs: Any) -> str:
    return f"/api/v1/projects/{docs.team.project.pk}/share-links/"


def _call(client: Any, action: str, base: str, link: ShareLink) -> Any:
    detail = f"{base}{link.pk}/"
    if action == "list":
        return client.get(base)
    if action == "get":
        return client.get(detail)
    if action == "create":
        return client.post(base, {"name": "New"}, format="json")
    if action == "edit":
        return client.patch(detail, {"name": "Renamed"}, format="json")
    if action == "revoke":
        return client.post(f"{detail}revoke/")
    if action == "rotate":
        return client.post(f"{detail}rotate/")
    if action == "delete":
        return client.delete(detail)
    raise AssertionError(action)


EXPECTED = {
    "admin": {"list": 200, "get": 200, "create": 201, "edit": 200, "revoke": 200, "rotate": 200,
              "delete": 204},
    "editor": {"list": 200, "get": 200, "create": 201, "edit": 200, "revoke": 200, "rotate": 200,
               "delete": 204},
    "viewer": {"list": 200, "get": 200, "create": 403, "edit": 403, "revoke": 403, "rotate": 403,
               "delete": 403},
    "outsider": {"list": 404, "get": 404, "create": 404, "edit": 404, "revoke": 404,
                 "rotate": 404, "delete": 404},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["list", "get", "create", "edit", "revoke", "rotate", "delete"])
def test_role_action_matrix(docs, client_for, role, action):
    link, _ = docs.link()
    response = _call(client_for(docs.team.user(role)), action, _base(docs), link)
    expected = EXPECTED[role][action]
    assert response.status_code == expected, (role, action, response.content[:300])
    if expected >= 400:
        assert_error(response, expected, "not_found" if expected == 404 else "permission_denied")
        link.refresh_from_db()
        assert link.name == "Partner docs" and link.revoked_at is None


def test_anonymous_and_bearer_callers(docs, bearer_client, client):
    link, _ = docs.link()
    assert_error(client.get(_base(docs)), 401, "not_authenticated")
    response = bearer_client(docs.team.editor).get(f"{_base(docs)}{link.pk}/")
    assert response.status_code == 200 and response.json()["url"]


def test_create_returns_the_url_and_stores_only_a_digest(docs, client_for):
    response = client_for(docs.team.editor).post(
        _base(docs),
        {"name": "Partners", "password": "hunter22", "show_assignee": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    assert len(token) == 43 and body["url"] == f"http://testserver/share/{token}/"
    assert body["whole_project"] is True and body["has_password"] is True
    assert body["active"] is True and body["view_count"] == 0 and body["show_assignee"] is True
    assert "password" not in body and response["ETag"] == '"1"'
    link = ShareLink.objects.get(pk=body["id"])
    assert link.token_digest == token_digest(token)
    stored = " ".join(
        str(value) for value in ShareLink.objects.filter(pk=link.pk).values().get().values()
    )
    assert token not in stored and "hunter22" not in stored


def test_editors_can_copy_the_link_again_viewers_never_see_it(docs, client_for):
    created = client_for(docs.team.admin).post(_base(docs), {"name": "A"}, format="json").json()
    again = client_for(docs.team.editor).get(f"{_base(docs)}{created['id']}/").json()
    assert again["url"] == created["url"] and again["token"] == created["token"]
    for listed in (
        client_for(docs.team.viewer).get(_base(docs)).json()[0],
        client_for(docs.team.viewer).get(f"{_base(docs)}{created['id']}/").json(),
    ):
        assert listed["url"] is None and listed["token"] is None
        assert listed["token_prefix"] == created["token"][:6]
        assert created["token"] not in str(listed)


def test_a_link_minted_under_another_secret_key_cannot_be_shown_again(docs, client_for, settings):
    link, _ = docs.link()
    settings.SECRET_KEY = "another-key-" + "x" * 40
    body = client_for(docs.team.admin).get(f"{_base(docs)}{link.pk}/").json()
    assert body["url"] is None and body["token"] is None
    rotated = client_for(docs.team.admin).post(f"{_base(docs)}{link.pk}/rotate/").json()
    assert rotated["url"] and rotated["token"]


def test_scope_can_be_chosen_and_is_checked(docs, client_for, team):
    api = client_for(docs.team.editor)
    folders, endpoints = docs.folders, docs.endpoints
    body = api.post(
        _base(docs),
        {"name": "Part", "folders": [folders["market"].pk], "endpoints": [endpoints["place"].pk]},
        format="json",
    ).json()
    assert body["whole_project"] is False
    assert body["folders"] == [folders["market"].pk] and body["endpoints"] == [
        endpoints["place"].pk
    ]

    other = api.post("/api/v1/projects/", {"name": "Elsewhere"}, format="json").json()
    foreign = api.post(
        f"/api/v1/projects/{other['id']}/folders/", {"name": "Theirs"}, format="json"
    ).json()
    fields = assert_error(
        api.post(_base(docs), {"name": "X", "folders": [foreign["id"]]}, format="json"),
        400,
        "validation_error",
    )["fields"]
    assert "folders" in fields
    fields = assert_error(
        api.post(_base(docs), {"name": "X", "whole_project": False}, format="json"), 400
    )["fields"]
    assert "folders" in fields
    fields = assert_error(
        api.post(
            _base(docs),
            {"name": "X", "whole_project": True, "endpoints": [endpoints["place"].pk]},
            format="json",
        ),
        400,
    )["fields"]
    assert "whole_project" in fields
    assert ShareLink.objects.count() == 1, "nothing partial is left by a rejected create"


def test_other_options_are_validated(docs, client_for):
    api = client_for(docs.team.editor)
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    cases = [
        ({"name": "X", "expires_at": past}, "expires_at"),
        ({"name": "X", "password": "abc"}, "password"),
        ({"name": "X", "environment": 999999}, "environment"),
        ({"name": ""}, "name"),
        ({"name": "X", "folders": ["a"]}, "folders[0]"),
    ]
    for payload, field in cases:
        body = assert_error(api.post(_base(docs), payload, format="json"), 400, "validation_error")
        assert field in body["fields"], (payload, body)


def test_edit_changes_options_and_respects_versions(docs, client_for):
    link, _ = docs.link(password="first-pass")
    api = client_for(docs.team.editor)
    url = f"{_base(docs)}{link.pk}/"
    future = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    response = api.patch(
        url,
        {
            "name": "Renamed",
            "password": "",
            "expires_at": future.isoformat(),
            "environment": docs.environment.pk,
            "public": True,
            "endpoints": [docs.endpoints["health"].pk],
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Renamed" and body["has_password"] is False
    assert body["environment"] == docs.environment.pk and body["public"] is True
    assert body["whole_project"] is False and body["endpoints"] == [docs.endpoints["health"].pk]
    assert body["expires_at"] == future.isoformat().replace("+00:00", "Z")
    assert body["version"] == 2 and response["ETag"] == '"2"'

    stale = api.patch(url, {"name": "Late"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error(stale, 412, "version_conflict")
    back = api.patch(url, {"whole_project": True}, format="json").json()
    assert back["whole_project"] is True and back["endpoints"] == [] and back["folders"] == []


def test_revoke_is_final_and_shows_in_the_list(docs, client_for, browser):
    link, token = docs.link()
    api = client_for(docs.team.admin)
    assert browser.get(f"/share/{token}/").status_code == 200
    body = api.post(f"{_base(docs)}{link.pk}/revoke/").json()
    assert body["revoked"] is True and body["active"] is False and body["revoked_at"]
    assert browser.get(f"/share/{token}/").status_code == 404
    assert_error(api.post(f"{_base(docs)}{link.pk}/rotate/"), 409, "link_revoked")
    listed = api.get(_base(docs)).json()
    assert [item["revoked"] for item in listed] == [True]


def test_rotate_replaces_the_token(docs, client_for, browser):
    link, token = docs.link()
    body = client_for(docs.team.editor).post(f"{_base(docs)}{link.pk}/rotate/").json()
    assert body["token"] != token
    assert browser.get(f"/share/{token}/").status_code == 404
    assert browser.get(f"/share/{body['token']}/").status_code == 200


def test_delete_removes_the_link(docs, client_for, browser):
    link, token = docs.link()
    api = client_for(docs.team.editor)
    assert api.delete(f"{_base(docs)}{link.pk}/").status_code == 204
    assert_error(api.get(f"{_base(docs)}{link.pk}/"), 404, "not_found")
    assert browser.get(f"/share/{token}/").status_code == 404


def test_views_are_counted(docs, client_for, browser):
    link, token = docs.link()
    endpoint = docs.endpoints["ticker"].pk
    for path in ("", f"endpoints/{endpoint}/", "index.md", f"endpoints/{endpoint}.md", "llms.txt"):
        assert browser.get(f"/share/{token}/{path}").status_code == 200
    browser.get(f"/share/{token}/endpoints/999999/")  # not a page of these docs: not a view
    body = client_for(docs.team.viewer).get(f"{_base(docs)}{link.pk}/").json()
    assert body["view_count"] == 5 and body["last_viewed_at"]


def test_expired_links_are_listed_as_expired(docs, client_for):
    link, _ = docs.link(expires_at=timezone.now() + timedelta(seconds=30))
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    body = client_for(docs.team.editor).get(f"{_base(docs)}{link.pk}/").json()
    assert body["expired"] is True and body["active"] is False


def test_list_query_count_does_not_grow(docs, client_for, django_assert_max_num_queries):
    api = client_for(docs.team.editor)
    docs.link(folder_ids=[docs.folders["market"].pk], whole_project=False)
    with django_assert_max_num_queries(4):
        assert len(api.get(_base(docs)).json()) == 1
    for n in range(8):
        docs.link(name=f"L{n}", endpoint_ids=[docs.endpoints["place"].pk], whole_project=False)
    # membership + links (with creator and environment) + scope folders + scope endpoints
    with django_assert_max_num_queries(4):
        assert len(api.get(_base(docs)).json()) == 9


def test_emptying_one_list_never_widens_a_link(docs, client_for, browser):
    link, token = docs.link(
        whole_project=False,
        folder_ids=[docs.folders["orders"].pk],
        endpoint_ids=[docs.endpoints["health"].pk],
    )
    api = client_for(docs.team.editor)
    body = api.patch(f"{_base(docs)}{link.pk}/", {"folders": []}, format="json").json()
    assert body["whole_project"] is False and body["endpoints"] == [docs.endpoints["health"].pk]
    html = browser.get(f"/share/{token}/").content.decode()
    assert "Health probe" in html and "Place order" not in html and "Ticker" not in html
    assert_error(api.patch(f"{_base(docs)}{link.pk}/", {"endpoints": []}, format="json"), 400)


def test_deleting_what_a_link_shares_leaves_it_empty_not_wide(docs, browser):
    _, token = docs.link(whole_project=False, folder_ids=[docs.folders["orders"].pk])
    folder_delete(folder=docs.folders["orders"], recursive=True)
    html = browser.get(f"/share/{token}/").content.decode()
    assert "No endpoints are shared here yet." in html
    assert "Ticker" not in html and "Health probe" not in html
