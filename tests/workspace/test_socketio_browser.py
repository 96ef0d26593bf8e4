"""Socket.IO in the workspace, in a real Chromium against Daphne: an endpoint created as
Socket.IO, its settings and documented events edited, with errors on the field the API names.

Screenshots go to ``test-artifacts/workspace-socketio/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from endpoints.models import Endpoint
from endpoints.projects.services import project_create
from tests.browser import Console, shot
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

FOLDER = "workspace-socketio"


def test_a_socketio_endpoint_is_created_configured_and_documented(
    make_user: Any, server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    _clean(FOLDER)
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/")
        page.click("#new-endpoint")
        page.fill("#endpoint-name", "Chat")
        page.select_option("#endpoint-protocol", "socketio")
        expect(page.locator("#endpoint-url")).to_have_attribute("placeholder", re.compile("https"))
        page.fill("#endpoint-url", "https://chat.example.test")
        page.click("#endpoint-create")
        expect(page.locator("#req-protocol")).to_have_value("socketio")
        endpoint = Endpoint.objects.get(name="Chat")
        assert endpoint.protocol == "socketio"
        # The tree marks it; its Socket.IO tab has the defaults.
        expect(page.locator(".tree-endpoint .proto-mark")).to_have_text("SIO")
        page.click("#tab-socketio")
        expect(page.locator("#sio-version")).to_have_value("v4")
        expect(page.locator("#sio-path")).to_have_value("/socket.io/")

        # A namespace without its slash: the API's error is shown on the field.
        page.fill("#sio-namespace", "chat")
        page.fill("#sio-auth", '{"token": "{{token}}"}')
        console.allowed = {400}
        page.click("#save")
        expect(page.locator('[data-field="socketio.namespace"]')).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(page.locator(".field-error")).to_contain_text("/")
        console.allowed = set()
        endpoint.refresh_from_db()
        assert endpoint.socketio["namespace"] == "/"
        # Auth that is not a JSON object is caught before asking.
        page.fill("#sio-namespace", "/chat")
        page.fill("#sio-auth", "[1, 2]")
        expect(page.locator(".sio-settings .field-hint.bad")).to_contain_text("JSON object")
        page.fill("#sio-auth", '{"token": "{{token}}"}')
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        endpoint.refresh_from_db()
        assert endpoint.socketio == {
            "version": "v4",
            "path": "/socket.io/",
            "namespace": "/chat",
            "auth": '{"token": "{{token}}"}',
        }
        shot(page, FOLDER, "01-settings")

        # A documented event: its name, arguments schema, an example and the ack schema.
        page.click("#tab-messages")
        page.get_by_role("button", name="Add send message").click()
        page.get_by_label("Message 1 name").fill("Say")
        expect(page.get_by_label("Message 1 format")).to_have_count(0)
        expect(page.get_by_label("Message 1 match rule")).to_have_count(0)
        page.get_by_label("Message 1 event name").fill("say")
        page.get_by_label("Message 1 arguments schema (JSON Schema)").fill(
            '{"type": "array", "prefixItems": [{"type": "string"}]}'
        )
        page.get_by_label("Message 1 example 1 body").fill('{"text": "hi"}')
        page.get_by_label("Message 1 ack schema (JSON Schema)").fill(
            '{"type": "array", "prefixItems": [{"const": "ok"}]}'
        )
        console.allowed = {400}
        page.click("#save")
        body = page.get_by_label("Message 1 example 1 body")
        expect(body).to_have_attribute("aria-invalid", "true")
        console.allowed = set()
        body.fill('["hi"]')
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        message = endpoint.messages.get()
        assert (message.event, message.examples[0]["body"]) == ("say", '["hi"]')
        assert message.ack_schema == {"type": "array", "prefixItems": [{"const": "ok"}]}
        expect(page.locator(".msg-card .msg-event")).to_have_text("say")
        _all_labelled(page)
        shot(page, FOLDER, "02-documented-event")

        # Back to WebSocket: the Socket.IO tab goes, the message card has a format again.
        page.select_option("#req-protocol", "websocket")
        expect(page.locator("#tab-socketio")).to_be_hidden()
        expect(page.get_by_label("Message 1 format")).to_be_visible()
        context.close()
    assert console.problems == []
