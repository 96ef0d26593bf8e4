"""The sidebar tree in a real Chromium: folders stay as the user left them, the keyboard walks
the tree, the current endpoint's folders open, and drag and drop moves an endpoint."""

from __future__ import annotations

import re
from typing import Any

import pytest

from endpoints.models import Endpoint
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create, folder_create
from tests.browser import Console
from tests.workspace.test_browser_fixes import _expect, browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_folders_keyboard_and_drag_and_drop(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Tree")
    streams = folder_create(project=project, actor=ada, name="Streams")
    archive = folder_create(project=project, actor=ada, name="Archive")
    ticker = endpoint_create(
        project=project, actor=ada, data={"name": "Ticker", "url": "", "folder": streams.pk}
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        tree = page.locator("#tree")
        streams_toggle = tree.get_by_role("button", name=re.compile("^Streams"))
        ticker_link = tree.get_by_role("link", name=re.compile("Ticker"))
        expect(ticker_link).to_be_visible()

        # A closed folder stays closed after a reload; the keyboard opens it and walks in.
        streams_toggle.click()
        expect(ticker_link).to_have_count(0)
        page.reload()
        expect(streams_toggle).to_have_attribute("aria-expanded", "false")
        streams_toggle.focus()
        page.keyboard.press("ArrowRight")
        expect(streams_toggle).to_have_attribute("aria-expanded", "true")
        expect(streams_toggle).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(ticker_link).to_be_focused()
        page.keyboard.press("ArrowLeft")
        expect(streams_toggle).to_be_focused()

        # Opening an endpoint (here from a link outside the tree) opens the folders above it.
        page.keyboard.press("ArrowLeft")
        expect(streams_toggle).to_have_attribute("aria-expanded", "false")
        url = f"/projects/{project.pk}/endpoints/{ticker.pk}/"
        page.evaluate(
            "(url) => window.dispatchEvent(new CustomEvent('sb:navigate', { detail: { url } }))",
            url,
        )
        expect(ticker_link).to_have_attribute("aria-current", "page")
        expect(streams_toggle).to_have_attribute("aria-expanded", "true")

        # Drag and drop onto another folder moves the endpoint there. Opening the endpoint just
        # now announced it to the project; the presence update that follows repaints the tree
        # and would cancel a drag in progress, so a drag that moved nothing is tried again.
        moved = page.locator(f'[data-folder-id="{archive.pk}"]').get_by_role(
            "link", name=re.compile("Ticker")
        )
        # A drag that a repaint cancels can leave Chromium's drag state stuck, so every retry
        # fails too: wait (at most 5 s) for that repaint before the first drag.
        page.evaluate(
            """() => new Promise((done) => {
                const observer = new MutationObserver(() => { observer.disconnect(); done(); });
                observer.observe(document.querySelector("#tree"), { childList: true, subtree: true });
                setTimeout(() => { observer.disconnect(); done(); }, 5000);
            })"""
        )
        for _attempt in range(3):
            ticker_link.drag_to(tree.locator(f'[data-drop-folder="{archive.pk}"]'))
            try:
                expect(moved).to_be_visible(timeout=3000)
                break
            except AssertionError:
                continue
        expect(moved).to_be_visible()
        assert Endpoint.objects.get(pk=ticker.pk).folder == archive
    assert console.problems == []
