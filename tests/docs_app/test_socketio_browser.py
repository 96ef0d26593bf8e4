"""A reader without an account opens a Socket.IO endpoint's share page in real Chromium
(Debian's, driven by Playwright, from Daphne): it says it is Socket.IO, the connection code
is copied with one click, the events show their arguments and acknowledgement, and no
auth value or secret is anywhere on the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    Console,
    no_sideways_scroll,
    require_browser,
    shot,
)
from tests.docs_app.conftest import AUTH_LITERAL

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_reader_copies_the_connection_code_of_a_socketio_endpoint(
    docs: Any, chat_endpoint: Any, server: str
) -> None:
    sync_api = require_browser()
    _, token = docs.link(environment_id=docs.environment.pk)
    console = Console()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
            page = context.new_page()
            console.watch(page)
            page.goto(f"{server}/share/{token}/")
            page.get_by_role("link", name="Trading chat").first.click()
            page.wait_for_url(f"**/endpoints/{chat_endpoint.pk}/")
            section = page.locator("section[aria-labelledby=socketio-title]")
            assert section.get_by_role("heading", name="Socket.IO", exact=True).is_visible()
            facts = section.locator(".socketio-facts").inner_text()
            assert "/desk" in facts and "/rt/" in facts and "fields: token, client" in facts

            # The JavaScript connection code goes to the clipboard with the copy button.
            section.locator(".copyable").first.locator(".copy-button").click()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith('import { io } from "socket.io-client";')
            assert 'io("https://chat.example.com/desk?tenant=acme&lang=eu-west"' in copied

            assert page.locator("#messages-send").inner_text() == "Client → server (emit)"
            assert page.locator("#messages-receive").inner_text() == "Server → client (event)"
            say = page.locator("article.message", has=page.locator("h4", has_text="say"))
            assert say.locator(".event code").inner_text() == "say"
            assert say.locator(".ack table.schema").is_visible()
            content = page.content()
            assert AUTH_LITERAL not in content
            for secret in docs.secrets:
                assert secret not in content
            shot(page, "docs", "socketio-endpoint-desktop")

            phone = chromium.new_context(**PHONE)
            small = phone.new_page()
            console.watch(small)
            small.goto(page.url)
            no_sideways_scroll(small)
            shot(small, "docs", "socketio-endpoint-phone")
        finally:
            chromium.close()
    assert console.problems == [], console.problems
