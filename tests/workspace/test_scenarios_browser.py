"""Issue 15's check in the workspace, in a real Chromium against Daphne (its embedded relay runs
the scenarios) and the chat and echo upstreams of tests/scenarios/upstreams.py on loopback:
a chat scenario between two connections built step by step in the editor and run green; a
failing assertion with its expected and actual value in the step's detail; a data table of
three rows run as three iterations; a viewer who reads, runs and sees a teammate's change.

Screenshots go to ``test-artifacts/workspace-scenarios/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.tokens import token_create
from scenarios.models import Run, Scenario
from tests.browser import Console, shot, teammate
from tests.scenarios.conftest import scenario_upstream  # noqa: F401 - fixture
from tests.scenarios.upstreams import ScenarioUpstream
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTIFACTS = "workspace-scenarios"


def _api(server: str, user: Any) -> Any:
    _, secret = token_create(user=user, name="scenario-check")
    return teammate(server, secret)


def _add_step(page: Any, kind: str) -> Any:
    """Adds a step of ``kind`` from the menu; the new (open) card."""
    page.click("#step-add")
    page.get_by_role("menuitem", name=kind, exact=True).click()
    return page.locator(".step-card").last


def test_a_chat_scenario_built_in_the_editor_runs_green(
    team: Any, server: str, scenario_upstream: ScenarioUpstream
) -> None:
    from playwright.sync_api import expect

    _clean(ARTIFACTS)
    chat = scenario_upstream.url("/chat")
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/")
        page.get_by_role("link", name="Scenarios").click()
        expect(page.get_by_role("heading", name="Scenarios")).to_be_visible()
        expect(page.locator(".empty-state")).to_contain_text("No scenarios yet")
        page.click("#scenario-new")
        page.fill("#prompt-input", "Chat round trip")
        page.get_by_role("button", name="Create").click()
        expect(page.locator("#scenario-name")).to_have_value("Chat round trip")
        scenario = Scenario.objects.get(project=team.project, name="Chat round trip")
        assert page.url.endswith(f"/scenarios/{scenario.pk}/")

        # Details: a scenario variable.
        page.get_by_role("tab", name="Details").click()
        page.click("#variable-add")
        page.get_by_label("Scenario variable 1 name").fill("friend")
        page.get_by_label("Scenario variable 1 value").fill("bob")

        page.get_by_role("tab", name=re.compile("^Steps")).click()
        for alias in ("alice", "bob"):
            card = _add_step(page, "Connect")
            card.get_by_label("Alias").fill(alias)
            card.get_by_label("URL").fill(f"{chat}?user={alias}")
        card = _add_step(page, "Send")
        card.get_by_label("Connection").select_option("alice")
        card.get_by_label("Body").fill('{"text": "hi {{friend}}"}')
        card = _add_step(page, "Expect")
        card.get_by_label("Connection").select_option("bob")
        card.get_by_label("Timeout (ms)").fill("3000")
        for path, value in (("$.type", "message"), ("$.text", '"hi {{friend}}"'), ("$[", "alice")):
            card.get_by_role("button", name="Add assertion").click()
            row = card.locator(".assertion-row").last
            row.get_by_label(re.compile(r"kind$")).select_option("json")
            row.get_by_label(re.compile("JSONPath")).fill(path)
            row.get_by_label(re.compile("typed as JSON")).fill(value)
        card = _add_step(page, "Extract")
        card.get_by_label("Extraction 1 of step 5: variable").fill("mid")
        card.get_by_label("Extraction 1 of step 5: JSON path").fill("$.id")
        card = _add_step(page, "Send")
        card.get_by_label("Connection").select_option("bob")
        card.get_by_label("Body").fill('{"reply_to": "{{mid}}", "text": "hello"}')
        card = _add_step(page, "Expect")
        card.get_by_label("Connection").select_option("alice")
        card.get_by_role("button", name="Add assertion").click()
        row = card.locator(".assertion-row").last
        row.get_by_label(re.compile(r"kind$")).select_option("json")
        row.get_by_label(re.compile("JSONPath")).fill("$.reply_to")
        row.get_by_label(re.compile("typed as JSON")).fill("{{mid}}")
        card.get_by_role("button", name="Add assertion").click()
        row = card.locator(".assertion-row").last
        row.get_by_label(re.compile(r"kind$")).select_option("text")
        row.get_by_label(re.compile("text \\(or")).fill("hello")
        card = _add_step(page, "Disconnect")
        card.get_by_label("Connection").select_option("bob")
        expect(page.locator(".step-card")).to_have_count(8)
        # The steps that use variables say which.
        expect(page.locator(".step-card").nth(2).locator(".step-vars")).to_contain_text("{{friend}}")
        _all_labelled(page)
        shot(page, ARTIFACTS, "01-editor", full_page=True)

        # The typo in the third assertion's path is refused, named at that field, and nothing
        # is stored.
        console.allowed = {400}
        page.click("#scenario-save")
        bad = page.locator('[data-field="steps[3].assertions[2].path"]')
        expect(bad).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".field-error").first).to_be_visible()
        expect(page.locator(".dirty-mark")).to_be_visible()
        scenario.refresh_from_db()
        assert scenario.steps == [] and scenario.version == 1
        console.allowed = set()
        bad.fill("$.from")
        page.click("#scenario-save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        scenario.refresh_from_db()
        assert [step["kind"] for step in scenario.steps] == [
            "connect", "connect", "send", "expect", "extract", "send", "expect", "disconnect",
        ]
        assert scenario.variables == [{"name": "friend", "value": "bob"}]
        assert scenario.steps[3]["assertions"][1] == {
            "kind": "json", "path": "$.text", "op": "equals", "value": "hi {{friend}}",
        }

        # Run it: the steps turn green, one by one, and the run is stored as passed.
        page.click("#run")
        expect(page.locator(".run-head .run-status")).to_have_text("passed", timeout=20000)
        steps = page.locator(".run-step")
        expect(steps).to_have_count(8)
        expect(page.locator(".run-step.st-passed")).to_have_count(8)
        run = Run.objects.get(scenario=scenario)
        assert run.status == "passed" and run.started_by == team.editor
        expect(page.locator(".run-item")).to_have_count(1)
        # The extract step shows what it took, from which frame.
        steps.nth(4).click()
        mid = run.iterations[0]["steps"][4]["extracted"]["mid"]
        expect(page.locator(".run-detail")).to_contain_text(mid)
        expect(page.locator(".run-sessions li")).to_have_count(2)
        _all_labelled(page)
        shot(page, ARTIFACTS, "02-run-passed", full_page=True)
    assert console.problems == []
