"""Connection control in a real Chromium: the Ping button puts a ping and its pong in the log
(hidden and shown again by the Ping/pong toggle), the timers panel repeats the composer's
message, and the settings tab carries compression and auto-reconnect.

Screenshots go to ``test-artifacts/workspace-control/``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from endpoints.models import Endpoint
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create
from sessions.models import Event
from tests.browser import Console, require_browser, shot
from tests.sessions.upstreams import LoopThread
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def echo_upstream() -> Iterator[tuple[str, list[str | bytes]]]:
    runner = LoopThread()
    received: list[str | bytes] = []

    async def handler(connection: ServerConnection) -> None:
        async for message in connection:
            received.append(message)
            await connection.send(message)

    async def start() -> Any:
        return await serve(handler, "127.0.0.1", 0, compression=None)

    server = runner.run(start())
    yield f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}/", received

    async def stop() -> None:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 5)

    runner.run(stop())
    runner.stop()


def test_ping_button_control_frame_toggle_timers_and_settings(
    make_user: Any, server: str, echo_upstream: tuple[str, list[str | bytes]]
) -> None:
    expect = require_browser().expect
    _clean("workspace-control")
    url, received = echo_upstream
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Control")
    endpoint = endpoint_create(project=project, actor=ada, data={"name": "Echo", "url": url})
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator("#ping")).to_be_hidden()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))

        page.click("#ping")
        rows = page.locator(".log-row")
        expect(page.locator(".log-row .log-kind", has_text="pong")).to_have_count(1)
        expect(page.locator(".log-row .log-kind", has_text="ping")).to_have_count(1)
        expect(page.locator(".log-row", has_text="round trip")).to_have_count(1)
        pong = Event.objects.get(kind="pong")
        assert pong.direction == "in" and (pong.info or {})["rtt_ms"] >= 0
        shot(page, "workspace-control", "01-ping-and-pong", full_page=False)
        page.locator(".log-control-toggle input").uncheck()
        expect(page.locator(".log-row .log-kind", has_text="pong")).to_have_count(0)
        page.locator(".log-control-toggle input").check()
        expect(page.locator(".log-row .log-kind", has_text="pong")).to_have_count(1)

        page.fill("#composer", "tick")
        page.locator(".timers summary").click()
        page.fill("#timer-interval", "100")
        page.fill("#timer-count", "5")
        page.click("#timer-start")
        expect(page.locator(".log-row.out", has_text="tick")).to_have_count(5, timeout=10000)
        expect(page.locator(".log-row", has_text="finished after 5 sends")).to_have_count(1)
        expect(page.locator(".timer-list .timer")).to_have_count(0)
        assert received.count("tick") == 5
        shot(page, "workspace-control", "02-timer-finished", full_page=False)

        # A running timer is listed with a Stop button.
        page.fill("#timer-count", "")
        page.fill("#timer-interval", "5000")
        page.click("#timer-start")
        expect(page.locator(".timer-list .timer")).to_have_count(1)
        expect(page.locator(".timers summary")).to_contain_text("1 running")
        _all_labelled(page)
        page.locator(".timer-list .timer button").click()
        expect(page.locator(".timer-list .timer")).to_have_count(0)
        expect(page.locator(".log-row", has_text="stopped by request")).to_have_count(1)
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))
        assert rows.count() > 0

        # Compression and auto-reconnect are endpoint settings.
        page.get_by_role("tab", name="Settings").click()
        page.select_option("#setting-compression", "deflate")
        page.check("#setting-reconnect")
        page.fill("#setting-reconnect_max_attempts", "3")
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        saved = Endpoint.objects.get(pk=endpoint.pk).connection_settings
        assert saved["compression"] == "deflate"
        assert saved["reconnect"] is True and saved["reconnect_max_attempts"] == 3
        context.close()
    assert console.problems == []
