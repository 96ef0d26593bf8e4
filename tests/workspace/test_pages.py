"""The workspace's pages as the server sends them: who may open them, the security headers,
no inline script or style anywhere, the static files, and the Markdown preview call."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "workspace" / "static" / "workspace"
PAGES = ["", "new/", "environments/", "share/", "members/", "schemas/"]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _assert_strict(response: Any) -> None:
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self' ws://testserver" in policy
    html = response.content.decode()
    # Scripts come from files; the only inline one is data (json_script), never run.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_the_root_is_the_workspace_and_asks_for_a_login(team: Any) -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")
    response = Client().get(f"/projects/{team.project.pk}/")
    assert response.status_code == 302


def test_the_projects_page_lists_only_your_projects(team: Any, make_user: Any) -> None:
    project_create(actor=team.outsider, name="Someone else's")
    response = _client(team.viewer).get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trading API" in html
    assert "Someone else" not in html
    assert 'href="/api/docs/"' in html
    _assert_strict(response)


@pytest.mark.parametrize("path", PAGES)
def test_every_project_page_is_the_shell_with_your_role(team: Any, path: str) -> None:
    response = _client(team.editor).get(f"/projects/{team.project.pk}/{path}")
    assert response.status_code == 200
    _assert_strict(response)
    html = response.content.decode()
    script = re.search(r'<script id="boot" type="application/json">(.*?)</script>', html)
    assert script, html
    boot = json.loads(script.group(1))
    assert boot["role"] == "editor"
    assert (boot["can_write"], boot["can_manage"]) == (True, False)
    assert boot["me"]["username"] == "eve"


def test_an_endpoint_page_and_the_viewer_shell(team: Any) -> None:
    endpoint = endpoint_create(
        project=team.project, actor=team.admin, data={"name": "Ticker", "url": "wss://x/"}
    )
    response = _client(team.viewer).get(f"/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '"can_write": false' in html
    # Viewers get no buttons that would only be refused.
    assert re.search(r'id="new-endpoint"\s+hidden', html)


def test_a_project_you_are_not_in_is_not_found(team: Any) -> None:
    response = _client(team.outsider).get(f"/projects/{team.project.pk}/")
    assert response.status_code == 404
    assert "Trading API" not in response.content.decode()
    assert _client(team.outsider).get("/projects/999999/share/").status_code == 404


def test_pages_answer_only_reads(team: Any) -> None:
    response = _client(team.admin).post(f"/projects/{team.project.pk}/")
    assert response.status_code in (403, 405)


def test_the_markdown_preview_is_sanitized_and_needs_a_login_and_csrf(team: Any) -> None:
    source = "**bold** <script>alert(1)</script> [x](javascript:alert(2))"
    assert Client().post(
        "/workspace/markdown/", {"text": source}, "application/json"
    ).status_code in (
        401,
        403,
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.viewer)
    refused = client.post("/workspace/markdown/", {"text": source}, "application/json")
    assert refused.status_code == 403
    client.get("/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/workspace/markdown/", {"text": source}, "application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert 'href="javascript:' not in html


def test_static_files_are_served_by_the_app(team: Any) -> None:
    client = _client(team.admin)
    for name in ("js/main.js", "workspace.css", "icon.svg"):
        response = client.get(f"/static/workspace/{name}")
        assert response.status_code == 200, name
        body = response.getvalue()  # streamed or not
        assert body, name


def test_the_scripts_never_write_markup_from_data() -> None:
    """Text goes in as text: the only innerHTML are the server's sanitized Markdown (the
    description preview, a comment's ``body_html``, the project's ``description_html``), and no
    script sets a style attribute (the policy would refuse it)."""
    uses = []
    for path in sorted((STATIC / "js").glob("*.js")):
        source = path.read_text()
        uses += [(path.name, line) for line in source.splitlines() if "innerHTML" in line]
        assert 'setAttribute("style"' not in source, path.name
        assert "insertAdjacentHTML" not in source, path.name
        assert "eval(" not in source and "new Function" not in source, path.name
    assert [name for name, _ in uses] == ["activity.js", "home.js", "panels.js"], uses
    assert uses[0][1].strip() == "body.innerHTML = comment.body_html;", uses
    assert uses[1][1].strip() == "lead.innerHTML = boot.project.description_html;", uses


def test_the_markdown_preview_refuses_what_is_not_text(team: Any) -> None:
    client = _client(team.viewer)
    body = '{"text": "a \\ud800 b"}'
    response = client.post("/workspace/markdown/", body, "application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "text" in response.json()["fields"]
    response = client.post("/workspace/markdown/", {"text": "x" * 100_001}, "application/json")
    assert response.status_code == 400
