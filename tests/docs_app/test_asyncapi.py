"""The AsyncAPI document of a share link (``asyncapi.yaml`` / ``.json`` beside the pages): the
link's scope and environment only, no secret, responsible people only where the pages show
them, behind the link's password; valid for the official parser."""

from __future__ import annotations

import json
from typing import Any

import yaml
from django.test import Client

from docs_app import services as docs_services
from tests.asyncapi_parser import assert_valid_asyncapi


def test_a_scoped_link_downloads_its_scope(docs: Any, browser: Client, page_text: Any) -> None:
    _, token = docs.link(
        environment_id=docs.environment.pk,
        whole_project=False,
        folder_ids=[docs.folders["market"].pk],
        endpoint_ids=[docs.endpoints["health"].pk],
    )
    response = browser.get(f"/share/{token}/asyncapi.yaml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert 'filename="Trading-API-asyncapi.yaml"' in response["Content-Disposition"]
    assert response["Content-Security-Policy"].endswith("sandbox")
    text = page_text(response)
    for secret in docs.secrets:
        assert secret not in text
    assert_valid_asyncapi(text)
    document = yaml.safe_load(text)
    titles = [channel["title"] for channel in document["channels"].values()]
    assert titles == ["Health probe", "Ticker stream", "Depth stream"]
    # The link's environment is the one server of {{baseUrl}}; nobody responsible is named.
    assert [s.get("title") for s in document["servers"].values()] == [
        "Production",
        None,
        None,
    ]
    assert "x-switchboard-responsible" not in text
    ticker = next(c for c in document["channels"].values() if c["title"] == "Ticker stream")
    assert ticker["bindings"]["ws"]["headers"]["properties"]["X-Api-Key"]["default"] == (
        "{{apiKey}}"
    )
    as_json = browser.get(f"/share/{token}/asyncapi.json")
    assert as_json.status_code == 200
    assert json.loads(page_text(as_json)) == document


def test_responsible_people_where_the_pages_show_them(
    docs: Any, browser: Client, page_text: Any
) -> None:
    _, token = docs.link(show_assignee=True)
    text = page_text(browser.get(f"/share/{token}/asyncapi.yaml"))
    assert "x-switchboard-responsible: Ada Lovelace" in text
    assert "servers" not in yaml.safe_load(text)["channels"]["Ticker-stream"]


def test_the_index_links_the_download(docs: Any, browser: Client, page_text: Any) -> None:
    _, token = docs.link()
    page = page_text(browser.get(f"/share/{token}/"))
    assert '<a href="./asyncapi.yaml" download>Download AsyncAPI</a>' in page


def test_password_and_revocation_apply(docs: Any, browser: Client, page_text: Any) -> None:
    locked, token = docs.link(password="open sesame")
    response = browser.get(f"/share/{token}/asyncapi.yaml")
    assert response.status_code == 403
    assert "Trading" not in page_text(response)
    unlocked = browser.post(
        f"/share/{token}/unlock/", {"password": "open sesame", "next": "asyncapi.yaml"}
    )
    assert unlocked.status_code == 303 and unlocked["Location"].endswith("/asyncapi.yaml")
    assert browser.get(f"/share/{token}/asyncapi.yaml").status_code == 200
    docs_services.share_link_revoke(link=locked, actor=docs.team.admin)
    assert browser.get(f"/share/{token}/asyncapi.yaml").status_code == 404


def test_members_preview_offers_it_too(docs: Any, page_text: Any) -> None:
    reader = Client()
    reader.force_login(docs.team.viewer)
    response = reader.get(f"/projects/{docs.team.project.pk}/docs/asyncapi.json")
    assert response.status_code == 200
    document = json.loads(page_text(response))
    assert len(document["channels"]) == 5
    assert "servers" not in document["channels"]["Ticker-stream"]  # no environment chosen
