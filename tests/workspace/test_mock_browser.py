"""Issue 16's check in a real Chromium: the chat endpoint's Mock tab shows where its mock
answers; a Python client drives the mock from outside the server while the tab watches the
connection and its frames arrive live (the replies carrying the request ids, the close after
10 messages); a bad behaviour is refused naming the field, a good one is saved.

Screenshots go to ``test-artifacts/workspace-mock/``.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

import pytest

from mocks.models import MockBehaviour, MockSettings
from tests.browser import Console, require_browser, shot
from tests.mocks.chat import make_chat
from tests.mocks.test_chat import check_conversation, mock_url, python_chat
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_mock_tab_watches_a_client_drive_the_mock(team: Any, server: str) -> None:
    expect = require_browser().expect
    _clean("workspace-mock")
    endpoint, key = make_chat(team)
    console = Console()

    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
        page.get_by_role("tab", name="Mock").click()
        url = page.get_by_label("Mock URL")
        expect(url).to_have_text(re.compile(rf"^ws://127\.0\.0\.1:\d+/mock/{key}/v1/chat$"))
        expect(page.locator(".mock-live")).to_have_text("· live")
        expect(page.locator(".mock-connections")).to_contain_text("No mock connections yet")
        spec = page.get_by_label("Mock behaviour (JSON)")
        expect(spec).to_have_value(re.compile('"close_after_messages": 10'))
        shot(page, "workspace-mock", "01-tab", full_page=False)

        result: dict[str, Any] = {}
        client = threading.Thread(
            target=lambda: result.update(chat=asyncio.run(python_chat(mock_url(server, key))))
        )
        client.start()
        connection = page.locator(".mock-connection")
        expect(connection).to_have_count(1)
        expect(connection).to_contain_text("closed 4000 bye", timeout=15000)
        client.join(15)
        messages, close = result["chat"]
        check_conversation(messages, "py")
        assert close.code == 4000
        said = page.locator(".mock-frames tbody tr", has_text='"type": "said"')
        expect(said).to_have_count(10)
        expect(said.first).to_contain_text('"id": "py-1"')
        expect(said.last).to_contain_text('"id": "py-10"')
        first = page.locator(".mock-frames tbody tr").first
        expect(first).to_contain_text("welcome")
        expect(first).to_contain_text("on open")
        _all_labelled(page)
        page.locator(".mock-traffic").scroll_into_view_if_needed()
        shot(page, "workspace-mock", "02-traffic", full_page=False)

        # A push faster than the documented minimum: refused, naming the field; nothing stored.
        bad = {"pushes": [{"message": "presence", "interval_ms": 10}]}
        spec.fill(json.dumps(bad))
        console.allowed = {400}
        page.get_by_role("button", name="Save behaviour").click()
        error = page.locator(".mock-errors li")
        expect(error).to_contain_text("spec.pushes[0].interval_ms")
        console.allowed = set()
        assert MockBehaviour.objects.get(endpoint=endpoint).version == 1
        error.scroll_into_view_if_needed()
        shot(page, "workspace-mock", "03-refused", full_page=False)
        spec.fill(json.dumps({"unmatched": {"policy": "echo"}}))
        page.get_by_role("button", name="Save behaviour").click()
        expect(page.locator(".mock-stored")).to_have_text("Version 2")
        expect(error).to_have_count(0)
        assert MockBehaviour.objects.get(endpoint=endpoint).spec["unmatched"]["policy"] == "echo"
        # An editor sees no admin controls.
        expect(page.get_by_role("button", name="Rotate key")).to_be_hidden()

        # An admin requires a header token and rotates the key; the URL follows.
        _, admin = _logged_in(chromium, team.admin, server, console)
        admin.goto(f"{server}/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
        admin.get_by_role("tab", name="Mock").click()
        expect(admin.locator(".mock-live")).to_have_text("· live")
        admin.get_by_label("Required header name").fill("X-Mock-Token")
        admin.get_by_label("Required header value").fill("s3cret")
        admin.get_by_role("button", name="Save header").click()
        expect(admin.locator(".mock-state")).to_contain_text("X-Mock-Token: s3cret")
        admin.get_by_role("button", name="Rotate key").click()
        admin.get_by_role("dialog").get_by_role("button", name="Rotate").click()
        expect(admin.get_by_label("Mock URL")).not_to_have_text(re.compile(key))
        new_key = MockSettings.objects.get(project=team.project).key
        expect(admin.get_by_label("Mock URL")).to_have_text(
            re.compile(rf"/mock/{new_key}/v1/chat$")
        )
        assert new_key != key
        settings = MockSettings.objects.get(project=team.project)
        assert (settings.header_name, settings.header_value) == ("X-Mock-Token", "s3cret")
        _all_labelled(admin)
        shot(admin, "workspace-mock", "04-admin", full_page=False)
    assert console.problems == []
