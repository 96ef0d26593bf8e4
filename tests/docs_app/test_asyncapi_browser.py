"""A reader without an account downloads a share link's AsyncAPI document in real Chromium
(Debian's, driven by Playwright, from Daphne): the link on the index gives the link's scope,
which the official parser accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.asyncapi_parser import assert_valid_asyncapi
from tests.browser import CHROMIUM, CHROMIUM_ARGS, Console, require_browser, shot

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_download_asyncapi_from_a_share_page(docs: Any, server: str) -> None:
    sync_api = require_browser()
    _, token = docs.link(
        environment_id=docs.environment.pk,
        whole_project=False,
        folder_ids=[docs.folders["orders"].pk],
    )
    console = Console()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = chromium.new_context(accept_downloads=True)
            page = context.new_page()
            console.watch(page)
            page.goto(f"{server}/share/{token}/")
            link = page.get_by_role("link", name="Download AsyncAPI")
            assert link.is_visible()
            shot(page, "docs", "asyncapi-download-link")
            with page.expect_download() as info:
                link.click()
            download = info.value
            assert download.suggested_filename == "Trading-API-asyncapi.yaml"
            text = Path(download.path()).read_text()
        finally:
            chromium.close()
    assert console.problems == [], console.problems
    for secret in docs.secrets:
        assert secret not in text
    assert_valid_asyncapi(text)
    document = yaml.safe_load(text)
    assert [channel["title"] for channel in document["channels"].values()] == ["Place order"]
