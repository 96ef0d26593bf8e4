"""The docs pages as a reader gets them: content, variants, headers, caching, passwords, the
"not available" page and the members' preview."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.utils import timezone
from django.utils.http import http_date

from docs_app.models import PasswordFailure, ShareLink
from endpoints.environments.services import variable_update
from endpoints.tree.services import endpoint_update
from tests.docs_app.conftest import GLOBAL_SECRET_VALUE, PRIVATE_VALUE, SECRET_VALUE


def visible_text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_index_shows_project_tree_status_and_summaries(docs, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    response = browser.get(f"/share/{token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "<h1>Trading API</h1>" in html
    assert "<strong>market data</strong>" in html, "the project description is rendered Markdown"
    for name in ("Ticker stream", "Depth stream", "Place order", "Audit firehose", "Health probe"):
        assert name in html
    assert '<span class="badge s-released">Released</span>' in html
    assert "wss://api.example.com/v2/ticker?region=eu-west" in html, "shared values are filled in"
    assert "Streams every trade." in html, "the first paragraph of the description"
    assert f'href="./endpoints/{docs.endpoints["ticker"].pk}/"' in html
    assert '<a href="#folder-' in html, "the contents tree links to folder sections"
    assert token not in html, "links are relative: the page never spells out the token"


def test_search_looks_at_names_urls_tags_and_descriptions(docs, browser):
    _, token = docs.link(environment_id=docs.environment.pk)

    def found(query: str) -> list[str]:
        html = browser.get(f"/share/{token}/", {"q": query}).content.decode()
        return re.findall(r'class="card-name" href="[^"]+">([^<]+)<', html)

    assert found("depth") == ["Depth stream"]  # name
    assert found("orders.example") == ["Place order"]  # URL
    assert found("api.example.com") == ["Ticker stream"]  # URL as shown, value filled in
    assert found("TRADING") == ["Place order"]  # tag, any case
    assert found("compliance") == ["Audit firehose"]  # description
    assert found("stream market") == ["Ticker stream", "Depth stream"]  # every word
    assert found("no-such-thing") == []
    assert "0 results" in browser.get(f"/share/{token}/?q=zzz").content.decode()


def test_endpoint_page_shows_everything_a_reader_needs(docs, browser):
    _, token = docs.link(environment_id=docs.environment.pk, show_assignee=True)
    html = browser.get(f"/share/{token}/endpoints/{docs.endpoints['ticker'].pk}/").content.decode()
    text = visible_text(html)
    assert "<h1>Ticker stream</h1>" in html
    assert '<span class="badge s-developing">Developing</span>' in html
    assert "<li>market</li><li>public</li>" in html
    assert "Ada Lovelace" in text and "ada@example.test" not in html
    assert re.search(r"Last updated\s+\d{1,2} \w+ \d{4}", text)
    assert "wss://api.example.com/v2/ticker?region=eu-west" in html
    # enabled rows only, with their descriptions
    assert "symbols" in html and "Comma-separated instruments." in html
    assert "debug" not in text and "X-Disabled-Header" not in html
    assert "X-Client" in html and "docs-ticker.v2" in html
    # secrets stay placeholders; nobody's private value is used
    assert "{{apiKey}}" in html and "{{globalToken}}" in html
    for secret in (SECRET_VALUE, GLOBAL_SECRET_VALUE, PRIVATE_VALUE):
        assert secret not in html
    assert "placeholders" in text
    assert "<code>v2.ticker</code>" in html
    # examples: pretty-printed and highlighted JSON with its numbers as written
    assert '<span class="nt">"channel"</span>' in html
    assert '<span class="mf">1.50</span>' in html
    assert '\n<span class="w">  </span>' in html, "pretty-printed across lines"
    assert '<span class="nt">&lt;level</span>' in html, "XML is highlighted"
    # binary examples as hexdump, with the Base64 / hex to copy
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f" in html
    assert "AAECAwQFBgcICQoLDA0ODxAREhM=" in html
    assert "00000000  de ad be ef" in html
    # the Markdown description, rendered, its headings below the page's own
    assert "<h3>Ticker</h3>" in html and "<strong>every trade</strong>" in html
    assert html.count("<h1>") == 1
    assert '<div class="copyable">' in html and "docs.js" in html
    assert 'rel="prev"' not in html and "Previous" in text and "Next" in text


def test_the_responsible_person_only_when_the_link_says_so(docs, browser):
    _, token = docs.link(show_assignee=False)
    html = browser.get(f"/share/{token}/endpoints/{docs.endpoints['ticker'].pk}/").content.decode()
    assert "Responsible" not in html and "Ada" not in html and "Lovelace" not in html


def test_the_username_stands_in_for_a_missing_name_never_the_email(docs, browser):
    admin = docs.team.admin
    admin.first_name = admin.last_name = ""
    admin.save()
    _, token = docs.link(show_assignee=True)
    html = browser.get(f"/share/{token}/endpoints/{docs.endpoints['ticker'].pk}/").content.decode()
    assert "ada" in visible_text(html) and "@example.test" not in html


def test_without_an_environment_references_stay_placeholders(docs, browser):
    _, token = docs.link()
    html = browser.get(f"/share/{token}/endpoints/{docs.endpoints['ticker'].pk}/").content.decode()
    assert "{{baseUrl}}/v2/ticker?region=eu-west" in html, "globals still apply"
    assert "docs-{{channel}}" in html


def test_markdown_variants_and_llms_txt(docs, browser):
    _link, token = docs.link(environment_id=docs.environment.pk, show_assignee=True)
    ticker = docs.endpoints["ticker"].pk
    index = browser.get(f"/share/{token}/index.md")
    assert index["Content-Type"] == "text/markdown; charset=utf-8"
    body = index.content.decode()
    assert body.startswith("# Trading API\n")
    assert f"- [Ticker stream](endpoints/{ticker}.md) — Developing — " in body
    assert "## Market data\n\n### Spot" in body

    page = browser.get(f"/share/{token}/endpoints/{ticker}.md").content.decode()
    assert page.startswith("# Ticker stream\n")
    assert "- Responsible: Ada Lovelace" in page and "- Folder: Market data / Spot" in page
    assert "```\nwss://api.example.com/v2/ticker?region=eu-west\n```" in page
    assert "| `X-Api-Key` | `{{apiKey}}` | Issued per team; keep it out of logs. |" in page
    assert '```json\n{\n  "op": "subscribe",\n  "channel": "ticker.v2",' in page
    assert "20 bytes, sent as one binary frame" in page and "AAECAwQFBgcICQoLDA0ODxAREhM=" in page
    assert "Streams **every trade**." in page
    for secret in (SECRET_VALUE, GLOBAL_SECRET_VALUE, PRIVATE_VALUE):
        assert secret not in page

    llms = browser.get(f"/share/{token}/llms.txt")
    assert llms["Content-Type"] == "text/plain; charset=utf-8"
    text = llms.content.decode()
    assert text.startswith("# Trading API\n\n> Real-time market data and order entry")
    assert f"- [Ticker stream](http://testserver/share/{token}/endpoints/{ticker}.md)" in text
    assert f"http://testserver/share/{token}/index.md" in text
    for response in (index, llms):
        assert "sandbox" in response["Content-Security-Policy"]


def test_markdown_escapes_what_would_break_it(docs, browser):
    endpoint_update(
        endpoint=docs.endpoints["place"],
        actor=docs.team.admin,
        data={
            "name": "Pipes | and [brackets]",
            "headers": [{"name": "X-Pipe", "value": "a|b`c", "description": "x | y"}],
            "messages": [{"name": "fence", "format": "text", "body": "```\nnot the end\n```"}],
        },
    )
    _, token = docs.link()
    place = docs.endpoints["place"].pk
    index = browser.get(f"/share/{token}/index.md").content.decode()
    assert f"[Pipes | and \\[brackets\\]](endpoints/{place}.md)" in index
    page = browser.get(f"/share/{token}/endpoints/{place}.md").content.decode()
    assert "| `X-Pipe` | ``a|b`c`` | x \\| y |" in page
    assert "````\n```\nnot the end\n```\n````" in page


def test_security_headers_on_every_response(docs, browser):
    _, token = docs.link()
    _locked, locked_token = docs.link(name="Locked", password="sesame-123")
    ticker = docs.endpoints["ticker"].pk
    responses = [
        browser.get(f"/share/{token}/"),
        browser.get(f"/share/{token}/endpoints/{ticker}/"),
        browser.get(f"/share/{token}/endpoints/999999/"),
        browser.get(f"/share/{token}/index.md"),
        browser.get(f"/share/{'A' * 43}/"),
        browser.get(f"/share/{locked_token}/"),
        browser.post(f"/share/{locked_token}/unlock/", {"password": "nope-nope"}),
    ]
    for response in responses:
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    html = responses[0].content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/docs_app/docs.js" defer>']


def test_public_links_may_be_indexed(docs, browser):
    _, token = docs.link(public=True)
    response = browser.get(f"/share/{token}/")
    assert "X-Robots-Tag" not in response
    assert 'name="robots"' not in response.content.decode()
    assert response["Content-Security-Policy"]


def test_static_assets_hold_no_inline_script(browser):
    js = browser.get("/static/docs_app/docs.js")
    css = browser.get("/static/docs_app/docs.css")
    assert js.status_code == 200 and css.status_code == 200
    body = b"".join(js.streaming_content).decode()
    assert "eval(" not in body and "innerHTML" not in body


@pytest.mark.parametrize(
    "path", ["", "endpoints/{id}/", "index.md", "endpoints/{id}.md", "llms.txt"]
)
def test_etag_and_last_modified_answer_conditional_gets(docs, browser, path):
    _, token = docs.link()
    url = f"/share/{token}/" + path.format(id=docs.endpoints["ticker"].pk)
    first = browser.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = browser.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["Content-Security-Policy"]
    assert browser.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    endpoint_update(
        endpoint=docs.endpoints["ticker"], actor=docs.team.admin, data={"name": "Renamed"}
    )
    changed = browser.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_a_changed_variable_changes_the_etag(docs, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    url = f"/share/{token}/endpoints/{docs.endpoints['ticker'].pk}/"
    etag = browser.get(url)["ETag"]
    region = docs.team.project.variables.get(name="region")
    variable_update(variable=region, actor=docs.team.admin, initial_value="us-east")
    response = browser.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and b"region=us-east" in response.content


def test_unknown_expired_and_revoked_links_look_the_same(docs, browser):
    expired, expired_token = docs.link(name="Old")
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    revoked, revoked_token = docs.link(name="Gone")
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    _live, live_token = docs.link(name="Live")
    wrong = live_token[:-1] + ("A" if live_token[-1] != "A" else "B")
    tokens = [expired_token, revoked_token, wrong, "short", "x" * 500, "%3Cscript%3E"]
    responses = [browser.get(f"/share/{token}/") for token in tokens]
    responses += [browser.get(f"/share/{expired_token}/endpoints/1/")]
    responses += [browser.get(f"/share/{revoked_token}/index.md")]
    responses += [browser.post(f"/share/{revoked_token}/unlock/", {"password": "x"})]
    first = responses[0]
    assert first.status_code == 404
    assert b"This link is not available" in first.content
    # A fresh request id each time says nothing about the link.
    ignore = {"Date", "X-Request-ID"}
    for response in responses[1:]:
        assert response.status_code == first.status_code
        assert response.content == first.content
        assert {k: v for k, v in response.items() if k not in ignore} == {
            k: v for k, v in first.items() if k not in ignore
        }
    for secret in ("Trading API", "Ticker", "Old", "Gone"):
        assert secret.encode() not in first.content
    assert not first.cookies


def test_a_link_is_only_valid_until_it_expires(docs, browser):
    link, token = docs.link(expires_at=timezone.now() + timedelta(hours=1))
    assert browser.get(f"/share/{token}/").status_code == 200
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert browser.get(f"/share/{token}/").status_code == 404


def test_password_form_then_the_docs_for_this_browser_session_only(docs, browser, client):
    link, token = docs.link(password="correct horse")
    ticker = docs.endpoints["ticker"].pk
    form = browser.get(f"/share/{token}/endpoints/{ticker}/")
    html = form.content.decode()
    assert form.status_code == 200 and "Password required" in html
    assert "Trading API" not in html and "Ticker" not in html
    assert 'action="../../unlock/"' in html and f'value="endpoints/{ticker}/"' in html
    assert browser.get(f"/share/{token}/index.md").status_code == 403

    wrong = browser.post(f"/share/{token}/unlock/", {"password": "wrong", "next": ""})
    assert wrong.status_code == 403 and "not right" in wrong.content.decode()
    assert "sb_docs_unlock" not in wrong.cookies

    done = browser.post(
        f"/share/{token}/unlock/", {"password": "correct horse", "next": f"endpoints/{ticker}/"}
    )
    assert done.status_code == 303
    assert done["Location"] == f"/share/{token}/endpoints/{ticker}/"
    cookie = done.cookies["sb_docs_unlock"]
    assert cookie["path"] == f"/share/{token}/" and cookie["httponly"] and not cookie["max-age"]
    assert not cookie["expires"], "a session cookie: gone when the browser closes"
    assert cookie["samesite"] == "Lax"
    assert b"<h1>Ticker stream</h1>" in browser.get(f"/share/{token}/endpoints/{ticker}/").content
    assert browser.get(f"/share/{token}/index.md").status_code == 200

    # another browser has to unlock on its own; a new password locks everyone out again
    assert b"Password required" in client.get(f"/share/{token}/").content
    services_update(docs, link, password="another horse")
    assert b"Password required" in browser.get(f"/share/{token}/").content


def services_update(docs: Any, link: ShareLink, **changes: Any) -> None:
    from docs_app import services as docs_services

    docs_services.share_link_update(link=link, actor=docs.team.admin, **changes)


def test_unlock_redirects_only_inside_the_link(docs, browser):
    _, token = docs.link(password="correct horse")
    for evil in ("https://evil.example/", "//evil.example", "../../admin/", "endpoints/1/../../x"):
        done = browser.post(f"/share/{token}/unlock/", {"password": "correct horse", "next": evil})
        assert done["Location"] == f"/share/{token}/"


def test_wrong_passwords_are_rate_limited(docs, browser, client, settings):
    settings.DOCS_PASSWORD_ATTEMPTS = 3
    link, token = docs.link(password="correct horse")
    url = f"/share/{token}/unlock/"
    for _ in range(3):
        assert browser.post(url, {"password": "guess"}).status_code == 403
    limited = browser.post(url, {"password": "correct horse"})
    assert limited.status_code == 429, "even the right password waits once the limit is hit"
    assert int(limited["Retry-After"]) > 0 and "Too many" in limited.content.decode()
    # another client address still gets its own attempts
    assert client.post(url, {"password": "guess"}, REMOTE_ADDR="10.9.8.7").status_code == 403
    assert (
        client.post(url, {"password": "correct horse"}, REMOTE_ADDR="10.9.8.7").status_code == 303
    )
    # the window passes: the first client may try again
    PasswordFailure.objects.filter(link=link).update(
        failed_at=timezone.now() - timedelta(seconds=settings.DOCS_PASSWORD_WINDOW + 1)
    )
    assert browser.post(url, {"password": "correct horse"}).status_code == 303
    assert PasswordFailure.objects.filter(link=link).count() <= 4, "old failures are pruned"


def test_all_clients_together_are_capped_per_link(docs, client, settings):
    settings.DOCS_PASSWORD_ATTEMPTS = 1
    _, token = docs.link(password="correct horse")
    url = f"/share/{token}/unlock/"
    for n in range(10):
        assert client.post(url, {"password": "x"}, REMOTE_ADDR=f"10.0.0.{n}").status_code == 403
    assert client.post(url, {"password": "x"}, REMOTE_ADDR="10.0.1.1").status_code == 429


def test_a_page_outside_the_scope_is_just_missing(docs, browser):
    _, token = docs.link(whole_project=False, endpoint_ids=[docs.endpoints["health"].pk])
    inside = browser.get(f"/share/{token}/endpoints/{docs.endpoints['health'].pk}/")
    outside = browser.get(f"/share/{token}/endpoints/{docs.endpoints['audit'].pk}/")
    unknown = browser.get(f"/share/{token}/endpoints/987654/")
    assert inside.status_code == 200
    assert outside.status_code == unknown.status_code == 404
    assert outside.content == unknown.content and b"Audit" not in outside.content
    md = browser.get(f"/share/{token}/endpoints/{docs.endpoints['audit'].pk}.md")
    assert md.status_code == 404 and md["Content-Type"].startswith("text/plain")


def test_other_methods_are_refused(docs, browser):
    _, token = docs.link()
    assert browser.post(f"/share/{token}/").status_code == 405
    assert browser.get(f"/share/{token}/unlock/").status_code == 405
    assert browser.head(f"/share/{token}/").status_code == 200


def test_members_preview_the_docs_without_a_link(docs, client):
    project = docs.team.project.pk
    ticker = docs.endpoints["ticker"].pk
    anonymous = client.get(f"/projects/{project}/docs/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    client.force_login(docs.team.outsider)
    assert client.get(f"/projects/{project}/docs/").status_code == 404
    client.force_login(docs.team.viewer)
    index = client.get(f"/projects/{project}/docs/")
    html = index.content.decode()
    assert index.status_code == 200 and "Preview for project members" in html
    assert "Audit firehose" in html and index["X-Robots-Tag"] == "noindex, nofollow"
    page = client.get(f"/projects/{project}/docs/endpoints/{ticker}/").content.decode()
    assert "Ada Lovelace" in page and PRIVATE_VALUE not in page
    assert client.get(f"/projects/{project}/docs/endpoints/{ticker}.md").status_code == 200
    assert client.get(f"/projects/{project}/docs/llms.txt").status_code == 200


def test_members_preview_exactly_what_a_link_shows(docs, client):
    link, token = docs.link(
        whole_project=False,
        folder_ids=[docs.folders["orders"].pk],
        environment_id=docs.environment.pk,
    )
    client.force_login(docs.team.viewer)
    base = f"/projects/{docs.team.project.pk}/docs/links/{link.pk}/"
    html = client.get(base).content.decode()
    assert "Place order" in html and "Ticker stream" not in html
    assert "Partner docs" in html and token not in html
    assert client.get(f"{base}endpoints/{docs.endpoints['ticker'].pk}/").status_code == 404
    ShareLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    assert "(revoked)" in client.get(base).content.decode()
    link_before = ShareLink.objects.get(pk=link.pk)
    assert link_before.view_count == 0, "previews are not counted as views"


def test_last_modified_is_the_latest_change(docs, browser):
    _, token = docs.link()
    ticker = docs.endpoints["ticker"]
    ticker.refresh_from_db()
    response = browser.get(f"/share/{token}/endpoints/{ticker.pk}/")
    link = ShareLink.objects.get(name="Partner docs")
    latest = max(ticker.updated_at, link.updated_at)
    assert response["Last-Modified"] == http_date(int(latest.timestamp()))


def test_the_auth_scheme_is_shown_never_its_value(docs, browser):
    from endpoints.models import Folder
    from endpoints.projects.services import project_update
    from endpoints.tree.services import folder_create

    endpoint = docs.endpoints["ticker"]
    project = endpoint.project
    _, token = docs.link()
    url = f"/share/{token}/endpoints/{endpoint.pk}/"
    assert "Auth" not in visible_text(browser.get(url).content.decode())

    admin = project.memberships.get(role="admin").user
    project_update(project=project, actor=admin, auth={"type": "bearer", "token": "proj-Tok-77"})
    html = browser.get(url).content.decode()
    assert "Bearer token" in visible_text(html) and "proj-Tok-77" not in html
    # A folder above the endpoint's overrides the project's, even a folder the link hides.
    if endpoint.folder_id is None:
        folder = folder_create(project=project, actor=admin, name="Keys")
        Folder.objects.filter(pk=folder.pk).update(
            auth={"type": "api_key", "name": "X-Api-Key", "value": "fold-Key-88", "in": "header"}
        )
        endpoint_update(endpoint=endpoint, actor=admin, data={"folder": folder.pk})
    else:
        Folder.objects.filter(pk=endpoint.folder_id).update(
            auth={"type": "api_key", "name": "X-Api-Key", "value": "fold-Key-88", "in": "header"}
        )
    _, token = docs.link()
    html = browser.get(f"/share/{token}/endpoints/{endpoint.pk}/").content.decode()
    assert "API key in the header (X-Api-Key)" in visible_text(html)
    assert "fold-Key-88" not in html and "proj-Tok-77" not in html
    markdown = browser.get(f"/share/{token}/endpoints/{endpoint.pk}.md").content.decode()
    assert "- Auth: API key in the header (X-Api-Key)" in markdown
    assert "fold-Key-88" not in markdown
