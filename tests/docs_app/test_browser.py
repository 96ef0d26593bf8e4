"""A real Chromium (Debian's, driven by Playwright) reads a share link served by Daphne.

It navigates the tree, searches, opens an endpoint, copies the URL, unlocks a protected link,
reads the pages at phone width and without JavaScript, and keeps screenshots under
``test-artifacts/docs/``. The console must show no CSP violation and no error.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from endpoints.tree.services import endpoint_create
from tests.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, ROOT, Console, require_browser, shot
from tests.browser import no_sideways_scroll as _no_sideways_scroll

ARTIFACTS = ROOT / "test-artifacts" / "docs"

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _shot(page: Any, name: str) -> None:
    shot(page, "docs", name)


def test_a_reader_browses_a_share_link_in_chromium(docs: Any, server: str) -> None:
    sync_api = require_browser()
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    # A hostile author: markup in a name, a tag, a description and an example.
    endpoint_create(
        project=docs.team.project,
        actor=docs.team.admin,
        data={
            "name": "<img src=x onerror=alert(1)>",
            "url": "wss://evil.example/",
            "folder": docs.folders["market"].pk,
            "tags": ["<script>alert(2)</script>"],
            "description": "<script>alert(3)</script>\n\n[click](javascript:alert(4))",
            "messages": [{"name": "x", "format": "html", "body": "<svg onload=alert(5)>"}],
        },
    )
    _, token = docs.link(
        environment_id=docs.environment.pk,
        show_assignee=True,
        whole_project=False,
        folder_ids=[docs.folders["market"].pk, docs.folders["orders"].pk],
        endpoint_ids=[docs.endpoints["health"].pk],
    )
    locked, locked_token = docs.link(name="Locked", password="open sesame")
    # The test settings hash with MD5 for speed; the server runs the real settings.
    locked.password_hash = PBKDF2PasswordHasher().encode("open sesame", "browser-test-salt")
    locked.save(update_fields=["password_hash"])
    base = f"{server}/share/{token}/"
    console = Console()

    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            desktop = chromium.new_context(viewport={"width": 1280, "height": 900})
            desktop.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = desktop.new_page()
            console.watch(page)

            # The index: project, description, the tree with status marks.
            page.goto(base)
            assert page.title().startswith("Trading API")
            assert page.locator("h1").inner_text() == "Trading API"
            assert page.locator(".contents").get_by_role("link", name="Market data").is_visible()
            assert page.locator(".card").count() == 5
            assert page.locator(".card .badge").first.is_visible()
            assert "Audit firehose" not in page.content()
            _shot(page, "01-index-desktop")

            # Tree navigation: a folder in the contents jumps to its section.
            page.locator(".contents").get_by_role("link", name="Orders").click()
            assert page.url.endswith(f"#folder-{docs.folders['orders'].pk}")

            # Search (server-side): a tag finds its endpoints.
            page.fill("#q", "trading")
            page.keyboard.press("Enter")
            page.wait_for_load_state()
            assert "1 result" in page.locator(".results h2").inner_text()
            _shot(page, "02-search-desktop")

            # Open the result: the endpoint page.
            page.locator(".results .card-name").first.click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Place order"
            sidebar = page.locator(".sidebar")
            assert not sidebar.get_by_role("link", name="Ticker stream").is_visible()
            sidebar.locator("summary", has_text="Market data").click()
            sidebar.locator("summary", has_text="Spot").click()
            sidebar.get_by_role("link", name="Ticker stream").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Ticker stream"
            assert page.locator(".badge").first.inner_text().lower() == "developing"
            assert "Ada Lovelace" in page.locator(".meta").inner_text()
            assert page.locator("pre.url").inner_text() == (
                "wss://api.example.com/v2/ticker?region=eu-west"
            )
            assert page.locator(".hl .nt").count() > 0, "JSON is highlighted"
            assert page.locator(".hexdump").count() == 2
            _shot(page, "03-endpoint-desktop")

            # Copy (progressive enhancement): the button puts the URL on the clipboard.
            button = page.locator(".copyable .copy-button").first
            button.click()
            sync_api.expect(button).to_have_text("Copied")
            assert page.evaluate("navigator.clipboard.readText()") == (
                "wss://api.example.com/v2/ticker?region=eu-west"
            )

            # A hostile author's markup is shown as text, and nothing runs (no dialog opens).
            page.goto(f"{base}?q=evil.example")
            hostile = page.locator(".results .card-name")
            assert hostile.inner_text() == "<img src=x onerror=alert(1)>"
            hostile.click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "<img src=x onerror=alert(1)>"

            # Markdown of the same page, and a page outside the scope.
            page.goto(f"{base}endpoints/{docs.endpoints['ticker'].pk}.md")
            assert "# Ticker stream" in page.inner_text("body")
            console.allow_404 = True
            page.goto(f"{base}endpoints/{docs.endpoints['audit'].pk}/")
            assert page.locator("h1").inner_text() == "Page not found"
            page.goto(f"{server}/share/{'x' * 43}/")
            assert page.locator("h1").inner_text() == "This link is not available"
            _shot(page, "04-not-available")
            console.allow_404 = False

            # A protected link: the password form first, then the docs.
            page.goto(f"{server}/share/{locked_token}/")
            assert page.locator("h1").inner_text() == "Password required"
            assert "Trading API" not in page.content()
            _shot(page, "05-password")
            page.fill("#password", "open sesame")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Trading API"
            desktop.close()

            # A phone: 375 px wide, nothing scrolls sideways.
            phone = chromium.new_context(**PHONE)
            page = phone.new_page()
            console.watch(page)
            page.goto(base)
            _no_sideways_scroll(page)
            _shot(page, "06-index-phone")
            page.goto(f"{base}endpoints/{docs.endpoints['ticker'].pk}/")
            _no_sideways_scroll(page)
            _shot(page, "07-endpoint-phone")
            for name, anchor in (
                ("08-phone-handshake", "#handshake-title"),
                ("09-phone-messages", "#messages-title"),
            ):
                page.locator(anchor).scroll_into_view_if_needed()
                page.evaluate(f"document.querySelector('{anchor}').scrollIntoView()")
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(ARTIFACTS / "10-phone-top.png"))
            phone.close()

            # No JavaScript: everything is still there, only the copy buttons are not.
            plain = chromium.new_context(java_script_enabled=False)
            page = plain.new_page()
            console.watch(page)
            page.goto(f"{base}endpoints/{docs.endpoints['ticker'].pk}/")
            assert page.locator(".copy-button").count() == 0
            assert page.locator(".example").count() == 6
            page.goto(f"{base}?q=depth")
            assert page.locator(".results .card").count() == 1
            plain.close()
        finally:
            chromium.close()

    assert console.problems == []


def test_a_reader_sees_the_documented_messages_in_chromium(
    docs: Any, ticker_contract: Any, server: str
) -> None:
    """Logged out, through a real share link: messages by direction, the reply under its
    request, the schema tables and the examples; readable at phone width."""
    sync_api = require_browser()
    _, token = docs.link(environment_id=docs.environment.pk)
    url = f"{server}/share/{token}/endpoints/{ticker_contract.pk}/"
    console = Console()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            desktop = chromium.new_context(viewport={"width": 1280, "height": 900})
            page = desktop.new_page()
            console.watch(page)
            page.goto(url)
            send = page.locator(".direction-send")
            receive = page.locator(".direction-receive")
            assert send.locator("h3").inner_text() == "Client → server (send)"
            assert receive.locator("h3").inner_text() == "Server → client (receive)"
            assert send.locator(".replies h5").inner_text() == "Reply: subscribed"
            assert receive.locator("article.message > header h4").all_inner_texts() == [
                "trade",
                "error",
            ]
            trade = receive.locator("article.message").first
            rows = trade.locator("table.schema tbody tr")
            cells = [
                [cell.strip() for cell in row.locator("td").all_inner_texts()] for row in rows.all()
            ]
            assert ["fills[].px", "number", "yes", "> 0", "Price"] in cells
            assert ["maker.id", "integer", "yes", "≥ 1", "Account number"] in cells
            assert [
                "symbol",
                "string",
                "yes",
                "length ≤ 12\npattern /^[A-Z]+$/",
                "",
            ] in cells
            assert trade.locator("table.schema th").all_inner_texts() == [
                "Property",
                "Type",
                "Required",
                "Constraints",
                "Description",
            ]
            assert trade.locator("h5").inner_text() == "A trade"
            example = send.locator(".example").first
            assert '"channel": "ticker.v2"' in example.locator("pre").inner_text()
            (schema_title,) = page.locator(".project-schema h3").all_inner_texts()
            assert schema_title.startswith("Fill") and "project schema" in schema_title.lower()
            assert page.locator(".project-schema table.schema tbody tr").count() == 3
            trade.locator("table.schema").scroll_into_view_if_needed()
            _shot(page, "11-messages-desktop")
            desktop.close()

            phone = chromium.new_context(**PHONE)
            page = phone.new_page()
            console.watch(page)
            page.goto(url)
            _no_sideways_scroll(page)
            page.locator("#messages-receive").scroll_into_view_if_needed()
            _shot(page, "12-messages-phone")
            phone.close()
        finally:
            chromium.close()
    assert console.problems == []
