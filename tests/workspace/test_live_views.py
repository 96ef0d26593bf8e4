"""The environments and share views follow a teammate's changes live, in Debian's Chromium
against Daphne: before the typed events, those writes announced nothing and an open tab
showed stale data until reloaded."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.tokens import token_create
from endpoints.environments.services import environment_create
from endpoints.models import Role
from endpoints.projects.services import member_add, project_create
from tests.browser import Console, teammate
from tests.workspace.test_browser_fixes import _expect, browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_environments_and_share_links_appear_as_a_teammate_changes_them(
    make_user: Any, server: str
) -> None:
    expect = _expect()
    ada, eve = make_user("ada"), make_user("eve")
    project = project_create(actor=ada, name="Live views")
    member_add(project=project, user_ref=eve.pk, role=Role.EDITOR)
    staging = environment_create(project=project, actor=ada, name="Staging")
    eve_api = teammate(server, token_create(user=eve, name="script")[1])
    base = f"/projects/{project.pk}"
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}{base}/environments/")
        expect(page.locator("#live-status")).to_have_class(re.compile("live"))
        page.locator(".env-item", has_text="Staging").click()
        expect(page.locator("#env-name")).to_have_value("Staging")

        eve_api(
            "POST",
            f"/projects/{project.pk}/variables/",
            {"name": "token", "environment": staging.pk, "initial_value": "t1"},
        )
        expect(page.get_by_label("Variable token: name")).to_have_value("token")
        eve_api("POST", f"/projects/{project.pk}/environments/", {"name": "Prod"})
        expect(page.locator(".env-item", has_text="Prod")).to_be_visible()
        eve_api("DELETE", f"/projects/{project.pk}/environments/{staging.pk}/")
        expect(page.locator(".env-item", has_text="Staging")).to_have_count(0)
        expect(page.get_by_label("Variable token: name")).to_have_count(0)

        page.goto(f"{server}{base}/share/")
        expect(page.locator("#live-status")).to_have_class(re.compile("live"))
        link = eve_api("POST", f"/projects/{project.pk}/share-links/", {"name": "Partner docs"})
        card = page.locator(".link-card", has_text="Partner docs")
        expect(card.locator(".pill")).to_have_text("active")
        eve_api("POST", f"/projects/{project.pk}/share-links/{link['id']}/revoke/")
        expect(card.locator(".pill")).to_have_text("revoked")
    assert console.problems == [], console.problems
