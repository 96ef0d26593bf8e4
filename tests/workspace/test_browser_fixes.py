"""What a real-browser walk of the workspace found (issue 13), each reproduced in Debian's
Chromium against Daphne: every test here failed before its fix.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from endpoints import services
from tests.browser import Console, launch, require_browser
from tests.workspace.test_browser import DESKTOP, KeyedUpstream, _session_cookie

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

KEY_HEADER = {"name": "X-Api-Key", "value": "k1", "enabled": True, "description": ""}


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def upstream() -> Iterator[str]:
    server = KeyedUpstream()
    url = server.start()
    yield url
    server.stop()


@contextlib.contextmanager
def browsing(user: Any, server: str, console: Console, viewport: dict[str, int] = DESKTOP) -> Any:
    """A page in Chromium, logged in as ``user``, that ``console`` watches."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            context = chromium.new_context(viewport=viewport)
            context.add_cookies([_session_cookie(user, server)])
            page = context.new_page()
            console.watch(page)
            yield page
        finally:
            chromium.close()
            # ORM calls made beside Playwright ran in its greenlet, with their own connection.
            connections.close_all()


def _expect() -> Any:
    return require_browser().expect


def test_dialogs_without_a_description_show_no_null(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = services.project_create(actor=ada, name="Dialogs")
    services.folder_create(project=project, actor=ada, name="Streams")
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        dialog = page.locator("dialog[open]")

        def opened(title: str) -> None:
            expect(dialog.locator("h2")).to_have_text(title)
            assert "null" not in dialog.inner_text()
            dialog.get_by_role("button", name="Cancel").click()
            expect(dialog).to_have_count(0)

        page.click("#new-folder")
        opened("New folder")
        page.locator("#tree").get_by_role("button", name="Actions for folder Streams").click()
        page.get_by_role("menuitem", name="Rename…").click()
        opened("Rename folder")
        page.locator("#tree").get_by_role("button", name="Actions for folder Streams").click()
        page.get_by_role("menuitem", name="Delete…").click()
        opened('Delete folder "Streams"?')
        page.locator(".topnav").get_by_role("link", name="Environments").click()
        page.click("#env-new")
        opened("New environment")
    assert console.problems == []
