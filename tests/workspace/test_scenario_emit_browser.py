"""The scenario editor's emit step (Socket.IO), in a real Chromium against Daphne and Node's
socket.io 4 on loopback: a scenario written through the API opens with its emit and its
event/ack assertions readable, an emit step is added and filled in the editor (arguments
checked as a JSON array while typed), saved, and the scenario runs green."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from endpoints.tree.services import endpoint_create
from scenarios.models import Scenario
from tests.browser import Console, shot
from tests.core.socketio.test_servers import SERVERS, Server, start
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open
from tests.workspace.test_scenarios_browser import _add_step, _api

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTIFACTS = "workspace-scenario-emit"


@pytest.fixture(scope="module")
def node4() -> Iterator[Server]:
    version, command = SERVERS["node-socket.io-4"]
    process, port = start(command)
    try:
        yield Server("node-socket.io-4", version, port)
    finally:
        process.kill()
        process.wait(10)


def test_an_emit_step_is_read_added_saved_and_run(team: Any, server: str, node4: Server) -> None:
    from playwright.sync_api import expect

    _clean(ARTIFACTS)
    endpoint = endpoint_create(
        project=team.project,
        actor=team.editor,
        data={
            "name": "Chat",
            "protocol": "socketio",
            "url": node4.url(),
            "messages": [
                {
                    "name": "tell",
                    "direction": "send",
                    "examples": [{"name": "Two", "body": '["x", 2]'}],
                }
            ],
        },
    )
    api = _api(server, team.editor)
    created = api(
        "POST",
        f"/projects/{team.project.pk}/scenarios/",
        {
            "name": "Echo over Socket.IO",
            "steps": [
                {"kind": "connect", "alias": "a", "endpoint": endpoint.pk},
                {
                    "kind": "expect",
                    "alias": "a",
                    "assertions": [{"kind": "event", "name": "welcome"}],
                },
                {
                    "kind": "emit",
                    "alias": "a",
                    "event": "echo",
                    "args": ["hi", {"n": 1}],
                    "ack": True,
                    "wait_ack": False,
                },
                {"kind": "expect", "alias": "a", "assertions": [{"kind": "ack", "event": "echo"}]},
            ],
        },
    )
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/scenarios/{created['id']}/")
        cards = page.locator(".step-card")
        expect(cards).to_have_count(4)
        expect(cards.nth(2)).to_contain_text("a: emit echo")
        cards.nth(2).locator(".step-toggle").click()
        emit = cards.nth(2)
        expect(emit.get_by_label("Event", exact=True)).to_have_value("echo")
        expect(emit.get_by_label("Arguments", exact=True)).to_have_value('["hi",{"n":1}]')
        expect(emit.get_by_label("Ack", exact=True)).to_have_value("later")
        cards.nth(3).locator(".step-toggle").click()
        expect(cards.nth(3).locator(".assertion-kind")).to_have_value("ack")

        # A new emit step: the arguments are checked as a JSON array while typed.
        card = _add_step(page, "Emit (Socket.IO)")
        expect(card.get_by_label("Connection", exact=True)).to_have_value("a")
        card.get_by_label("Event", exact=True).fill("echo")
        arguments = card.get_by_label("Arguments", exact=True)
        arguments.fill('{"not": "an array"}')
        expect(card.locator(".field-error")).to_contain_text("JSON array")
        arguments.fill('["told", 3]')
        expect(card.locator(".field-error")).to_have_text("")
        card.get_by_label("Ack", exact=True).select_option("wait")
        _all_labelled(page)
        shot(page, ARTIFACTS, "01-emit-step", full_page=True)
        page.click("#scenario-save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        stored = Scenario.objects.get(pk=created["id"]).steps[4]
        assert stored == {
            "kind": "emit",
            "alias": "a",
            "event": "echo",
            "args": ["told", 3],
            "ack": True,
        }

        page.click("#run")
        expect(page.locator(".run-head .run-status")).to_have_text("passed", timeout=20000)
        expect(page.locator(".run-step.st-passed")).to_have_count(5)
        shot(page, ARTIFACTS, "02-run-passed", full_page=True)
    assert console.problems == []
