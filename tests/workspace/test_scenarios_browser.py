"""Issue 15's check in the workspace, in a real Chromium against Daphne (its embedded relay runs
the scenarios) and the chat and echo upstreams of tests/scenarios/upstreams.py on loopback:
a chat scenario between two connections built step by step in the editor and run green; a
failing assertion with its expected and actual value in the step's detail; a data table of
three rows run as three iterations; a viewer who reads, runs and sees a teammate's change.

Screenshots go to ``test-artifacts/workspace-scenarios/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from accounts.tokens import token_create
from core.people import user_brief
from scenarios.models import Run, Scenario, ScenarioFolder, ScenarioRevision
from sessions.models import Relay
from tests.browser import Console, daphne_server, no_sideways_scroll, shot, teammate
from tests.factories import make_ticker
from tests.scenarios.upstreams import ScenarioUpstream
from tests.sessions.upstreams import LoopThread
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ARTIFACTS = "workspace-scenarios"


@pytest.fixture(scope="module")
def scenario_upstream() -> Iterator[ScenarioUpstream]:
    """The chat room and echo of the scenario tests (tests/scenarios/upstreams.py)."""
    runner = LoopThread()
    server = ScenarioUpstream(runner).start()
    yield server
    server.stop()
    runner.stop()


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
        page.fill("#scenario-description", "Alice and **Bob** chat.")
        page.get_by_role("radio", name="Preview").click()
        expect(page.locator(".markdown-preview strong")).to_have_text("Bob")
        page.get_by_role("radio", name="Write").click()
        page.select_option("#data-format", "csv")
        _all_labelled(page)
        page.select_option("#data-format", "")

        page.get_by_role("tab", name=re.compile("^Steps")).click()
        for alias in ("alice", "bob"):
            card = _add_step(page, "Connect")
            card.get_by_label("Alias").fill(alias)
            card.get_by_label("URL").fill(f"{chat}?user={alias}")
        card.get_by_role("button", name="Add header").click()
        card.get_by_label("Step 2 header 1 name").fill("X-User")
        card.get_by_label("Step 2 header 1 value").fill("{{friend}}")
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
        expect(page.locator(".step-card").nth(2).locator(".step-vars")).to_contain_text(
            "{{friend}}"
        )
        _all_labelled(page)
        shot(page, ARTIFACTS, "01-editor", full_page=True)

        # Leaving with unsaved changes asks first.
        page.get_by_role("link", name="Environments").click()
        expect(page.locator("#dialog")).to_contain_text("Discard unsaved changes?")
        page.locator("#dialog").get_by_role("button", name="Cancel").click()
        expect(page.locator(".step-card")).to_have_count(8)

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
        page.keyboard.press("Control+s")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        scenario.refresh_from_db()
        assert [step["kind"] for step in scenario.steps] == [
            "connect",
            "connect",
            "send",
            "expect",
            "extract",
            "send",
            "expect",
            "disconnect",
        ]
        assert scenario.variables == [{"name": "friend", "value": "bob"}]
        assert scenario.description == "Alice and **Bob** chat."
        assert scenario.steps[1]["headers"] == [
            {"name": "X-User", "value": "{{friend}}", "enabled": True}
        ]
        assert "step" not in scenario.steps[4]
        # Saving keeps the cards that were open open.
        expect(page.locator(".step-card").last.locator(".step-toggle")).to_have_attribute(
            "aria-expanded", "true"
        )
        assert scenario.steps[3]["assertions"][1] == {
            "kind": "json",
            "path": "$.text",
            "op": "equals",
            "value": "hi {{friend}}",
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


def _echo_steps(url: str, sent: str, expected: str) -> list[dict[str, Any]]:
    return [
        {"kind": "connect", "alias": "e", "url": url},
        {"kind": "send", "alias": "e", "format": "text", "body": sent},
        {
            "kind": "expect",
            "alias": "e",
            "timeout_ms": 2000,
            "assertions": [{"kind": "text", "op": "equals", "value": expected}],
        },
        {"kind": "disconnect", "alias": "e"},
    ]


def test_a_failure_shows_expected_and_actual_and_data_rows_are_iterations(
    team: Any, server: str, scenario_upstream: ScenarioUpstream
) -> None:
    from playwright.sync_api import expect

    echo = scenario_upstream.url("/echo")
    api = _api(server, team.editor)
    base = f"/projects/{team.project.pk}/scenarios/"
    failing = api(
        "POST",
        base,
        {
            "name": "Echo says goodbye",
            "tags": ["smoke"],
            "steps": _echo_steps(echo, "hello", "goodbye"),
        },
    )
    rows = api(
        "POST",
        base,
        {
            "name": "Echo every word",
            "tags": ["data"],
            "steps": _echo_steps(echo, "{{word}}", "{{word}}"),
            "data_table": {"format": "csv", "text": "word\nalpha\nbeta\ngamma\n"},
        },
    )
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/scenarios/")
        table = page.locator(".scenario-table tbody tr")
        expect(table).to_have_count(2)
        expect(table.filter(has_text="Echo every word").locator(".data-badge")).to_have_text(
            "data-driven"
        )
        page.select_option("#scenario-tag", "smoke")
        expect(table).to_have_count(1)
        page.fill("#scenario-search", "nothing like it")
        expect(page.locator(".scenario-list-body")).to_contain_text("No scenario matches")
        page.fill("#scenario-search", "")
        page.get_by_role("link", name="Echo says goodbye").click()
        expect(page.locator("#scenario-name")).to_have_value("Echo says goodbye")

        # The failing run: the failed step is chosen, its assertion says what it expected
        # and what it found; the step after it is skipped.
        page.click("#run")
        expect(page.locator(".run-head .run-status")).to_have_text("failed", timeout=20000)
        expect(page.locator(".run-step.st-failed")).to_have_count(1)
        expect(page.locator(".run-step.st-skipped")).to_have_count(1)
        row = page.locator(".run-assertions tbody tr.bad")
        expect(row.locator(".expected")).to_have_text("goodbye")
        expect(row.locator(".actual")).to_have_text("hello")
        expect(page.locator(".run-detail .run-frame pre")).to_have_text("hello")
        _all_labelled(page)
        shot(page, ARTIFACTS, "03-run-failed", full_page=True)
        stored = Run.objects.get(scenario_id=failing["id"])
        assert stored.status == "failed"
        step = stored.iterations[0]["steps"][2]
        assert step["status"] == "failed"
        assert step["assertions"][0]["expected"] == "goodbye"
        assert step["assertions"][0]["actual"] == "hello"
        run_url = page.url
        assert run_url.endswith(f"?run={stored.pk}")

        # The data-driven scenario: three rows, three iterations, each with its own word.
        page.goto(f"{server}/projects/{team.project.pk}/scenarios/{rows['id']}/")
        expect(page.locator("#scenario-name")).to_have_value("Echo every word")
        page.click("#run")
        expect(page.locator(".run-head .run-status")).to_have_text("passed", timeout=20000)
        tabs = page.get_by_role("tab", name=re.compile("^Row"))
        expect(tabs).to_have_count(3)
        tabs.nth(2).click()
        expect(page.locator(".run-row")).to_contain_text("word=gamma")
        page.locator(".run-step").nth(2).click()
        expect(page.locator(".run-detail .run-frame pre")).to_have_text("gamma")
        _all_labelled(page)
        shot(page, ARTIFACTS, "04-data-rows", full_page=True)
        stored = Run.objects.get(scenario_id=rows["id"])
        assert stored.status == "passed"
        assert [iteration["row"] for iteration in stored.iterations] == [
            {"word": "alpha"},
            {"word": "beta"},
            {"word": "gamma"},
        ]

        # A past run opens from its link, and from the list of past runs.
        page.goto(run_url)
        expect(page.locator(".run-head h2")).to_have_text(
            f"Run #{Run.objects.get(scenario_id=failing['id']).pk}"
        )
        expect(page.locator(".run-head .run-status")).to_have_text("failed")
        page.click("#run")
        expect(page.locator(".run-item")).to_have_count(2)
        expect(page.locator(".run-head .run-status")).to_have_text("failed", timeout=20000)
        page.locator(".run-item").last.click()
        expect(page.locator(".run-item").last).to_have_attribute("aria-current", "true")
        assert Run.objects.filter(scenario_id=failing["id"]).count() == 2
        # On a phone the run and its detail stack, and nothing scrolls sideways.
        page.set_viewport_size({"width": 375, "height": 812})
        expect(page.locator(".run-detail")).to_be_visible()
        no_sideways_scroll(page)
        shot(page, ARTIFACTS, "07-phone-run")
        # Four runs, one embedded relay: a run's connections do not start relays of their own
        # (each held database connections until the pool ran dry and every request got 503).
        assert Relay.objects.count() == 1
    assert console.problems == []


def test_documented_messages_a_stale_save_and_a_viewer_who_runs(
    team: Any, server: str, scenario_upstream: ScenarioUpstream
) -> None:
    from playwright.sync_api import expect

    ticker = make_ticker(
        team, actor=team.editor, name="Ticker", url=scenario_upstream.url("/ticker")
    )
    editor_api = _api(server, team.editor)
    admin_api = _api(server, team.admin)
    base = f"/projects/{team.project.pk}/scenarios/"
    created = editor_api(
        "POST",
        base,
        {
            "name": "Ticker smoke",
            "tags": ["smoke"],
            "variables": [{"name": "symbol", "value": "BTC-USD"}],
            "steps": [
                {"kind": "connect", "alias": "t", "endpoint": ticker.pk},
                {"kind": "send", "alias": "t", "message": "subscribe", "example": "Chosen"},
                {
                    "kind": "expect",
                    "alias": "t",
                    "assertions": [{"kind": "message", "name": "subscribed"}],
                },
                {
                    "kind": "expect",
                    "alias": "t",
                    "mode": "any",
                    "timeout_ms": 3000,
                    "assertions": [{"kind": "message", "name": "trade"}, {"kind": "valid"}],
                },
                {
                    "kind": "expect",
                    "alias": "t",
                    "none": True,
                    "timeout_ms": 300,
                    "assertions": [{"kind": "message", "name": "error"}],
                },
            ],
        },
    )
    url = f"{server}/projects/{team.project.pk}/scenarios/{created['id']}/"
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(url)
        cards = page.locator(".step-card")
        expect(cards).to_have_count(5)
        # The send of a documented example says which variables its example uses.
        expect(cards.nth(1).locator(".step-vars")).to_contain_text("{{symbol}}")
        cards.nth(0).locator(".step-toggle").click()
        expect(cards.nth(0).get_by_label("Endpoint", exact=True)).to_have_value(str(ticker.pk))
        cards.nth(1).locator(".step-toggle").click()
        send = cards.nth(1)
        expect(send.get_by_label("Message", exact=True)).to_have_value("subscribe")
        expect(send.get_by_label("Example", exact=True)).to_have_value("Chosen")
        expect(send.locator(".step-preview")).to_contain_text("{{symbol}}")
        send.get_by_label("Example", exact=True).select_option("BTC")
        expect(send.locator(".step-preview")).to_contain_text('"BTC-USD"')
        cards.nth(3).locator(".step-toggle").click()
        expect(cards.nth(3).get_by_label("Frames", exact=True)).to_have_value("any")
        _all_labelled(page)
        shot(page, ARTIFACTS, "05-documented-messages", full_page=True)

        # A teammate saves while this editor has unsaved changes: a banner, then the stale
        # save shows what they changed, and overwriting keeps their description.
        admin_api(
            "PATCH",
            f"{base}{created['id']}/",
            {"description": "Checks the BTC feed.", "version": created["version"]},
        )
        expect(page.locator(".banner")).to_contain_text("changed description")
        console.allowed = {412}
        page.click("#scenario-save")
        expect(page.locator("#dialog")).to_contain_text("saved this scenario while you were")
        expect(page.locator("#dialog")).to_contain_text("description")
        page.click("#conflict-overwrite")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        console.allowed = set()
        scenario = Scenario.objects.get(pk=created["id"])
        assert scenario.steps[1]["example"] == "BTC"
        assert scenario.description == "Checks the BTC feed."
        assert scenario.version == 3

        # A viewer reads it (nothing editable), runs it, and sees a teammate's rename live.
        _, viewer = _logged_in(chromium, team.viewer, server, console)
        viewer.goto(f"{server}/projects/{team.project.pk}/scenarios/")
        expect(viewer.locator("#scenario-new")).to_have_count(0)
        expect(viewer.locator(".scenario-table tbody tr")).to_have_count(1)
        editor_api("POST", base, {"name": "Another one", "steps": []})
        expect(viewer.locator(".scenario-table tbody tr")).to_have_count(2)
        viewer.get_by_role("link", name="Ticker smoke").click()
        expect(viewer.locator("#scenario-name")).to_have_value("Ticker smoke")
        expect(viewer.locator("#scenario-save")).to_be_hidden()
        expect(viewer.locator("#step-add")).to_be_hidden()
        viewer.locator(".step-card").nth(1).locator(".step-toggle").click()
        expect(
            viewer.locator(".step-card").nth(1).get_by_label("Example", exact=True)
        ).to_be_disabled()
        _all_labelled(viewer)
        viewer.click("#run")
        expect(viewer.locator(".run-head .run-status")).to_have_text("passed", timeout=20000)
        expect(viewer.locator(".run-step.st-passed")).to_have_count(5)
        run = Run.objects.get(scenario_id=created["id"])
        assert run.status == "passed" and run.started_by == team.viewer
        assert run.iterations[0]["steps"][3]["frame"]["message"] == "trade"
        admin_api("PATCH", f"{base}{created['id']}/", {"name": "Ticker smoke v2", "version": 3})
        expect(viewer.locator("#scenario-name")).to_have_value("Ticker smoke v2")
        shot(viewer, ARTIFACTS, "06-viewer-run", full_page=True)
        expect(viewer.locator(".run-sessions a")).to_have_count(1)

        # The editor reads the viewer's run: its sessions are the viewer's, its logs everyone's.
        page.get_by_role("tab", name=re.compile("^Runs")).click()
        page.locator(f'.run-item[data-run="{run.pk}"]').click()
        expect(page.locator(".run-head .run-status")).to_have_text("passed")
        expect(page.locator(".run-sessions")).to_contain_text("They belong to")
        # Every member reads the logs through the run (the sessions stay the viewer's).
        link = page.locator(".run-sessions a")
        expect(link).to_have_count(1)
        assert f"/runs/{run.pk}/sessions/" in (link.get_attribute("href") or "")
    assert console.problems == []


@pytest.fixture
def one_run_server(tmp_path: Any) -> Iterator[str]:
    """Daphne that lets each member run one scenario at a time."""
    with daphne_server(tmp_path, SCENARIO_MAX_RUNS_PER_USER="1") as url:
        yield url


def test_a_run_going_blocks_the_next_and_is_followed_live(
    team: Any, one_run_server: str, scenario_upstream: ScenarioUpstream
) -> None:
    from playwright.sync_api import expect

    server = one_run_server
    api = _api(server, team.editor)
    base = f"/projects/{team.project.pk}/scenarios/"
    scenario = api(
        "POST",
        base,
        {
            "name": "Slow",
            "steps": [
                {"kind": "connect", "alias": "e", "url": scenario_upstream.url("/echo")},
                {"kind": "wait", "ms": 2500},
                {"kind": "disconnect", "alias": "e"},
            ],
        },
    )
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/scenarios/{scenario['id']}/")
        expect(page.locator("#scenario-name")).to_have_value("Slow")
        going = api("POST", f"{base}{scenario['id']}/runs/", {})
        console.allowed = {429}
        page.click("#run")
        expect(page.locator(".run-notice")).to_contain_text("Too many runs going")
        console.allowed = set()
        assert Run.objects.filter(scenario_id=scenario["id"]).count() == 1

        # The run going, opened from the past runs, is followed as it goes.
        page.get_by_role("tab", name=re.compile("^Runs")).click()
        page.locator(f'.run-item[data-run="{going["id"]}"]').click()
        expect(page.locator(".run-step").nth(1)).to_have_attribute("data-status", "running")
        expect(page.locator(".run-step").nth(0)).to_have_attribute("data-status", "passed")
        expect(page.locator(".run-step").nth(2)).to_have_attribute("data-status", "pending")
        expect(page.locator(".run-head .run-live")).to_be_visible()
        shot(page, ARTIFACTS, "08-run-going")
        expect(page.locator(".run-head .run-status")).to_have_text("passed", timeout=15000)
        expect(page.locator(".run-step.st-passed")).to_have_count(3)
        expect(page.locator(".run-head .run-live")).to_have_count(0)
        assert Run.objects.get(pk=going["id"]).status == "passed"
    assert console.problems == []


def test_folders_group_the_list_and_the_history_tab_lists_revisions(team: Any, server: str) -> None:
    from playwright.sync_api import expect

    editor_api = _api(server, team.editor)
    admin_api = _api(server, team.admin)
    base = f"/projects/{team.project.pk}/scenarios/"
    smoke = editor_api("POST", base, {"name": "Ticker smoke", "steps": []})
    editor_api("POST", base, {"name": "Loose one", "steps": []})
    listing = f"{server}/projects/{team.project.pk}/scenarios/"
    console = Console()
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, team.editor, server, console)
        page.goto(listing)
        rows = page.locator(".scenario-table tbody tr")
        expect(rows).to_have_count(2)

        # A folder at the top, then one inside it (the selected folder).
        page.click("#scenario-folder-new")
        page.fill("#prompt-input", "Smoke")
        page.get_by_role("button", name="Create").click()
        expect(page.locator(".folder-row")).to_have_count(1)
        folder = ScenarioFolder.objects.get(project=team.project, name="Smoke")
        assert folder.parent_id is None
        page.locator(".folder-name", has_text="Smoke").click()
        expect(page.locator(".folder-name", has_text="Smoke")).to_have_attribute(
            "aria-pressed", "true"
        )
        page.click("#scenario-folder-new")
        expect(page.locator("#dialog")).to_contain_text("New folder in “Smoke”")
        page.fill("#prompt-input", "Nightly")
        page.get_by_role("button", name="Create").click()
        expect(page.locator(".folder-row")).to_have_count(2)
        nested = ScenarioFolder.objects.get(project=team.project, name="Nightly")
        assert nested.parent_id == folder.pk
        _all_labelled(page)

        # Moved into the folder from the Details tab, saved with the scenario.
        page.get_by_role("link", name="Ticker smoke").click()
        page.get_by_role("tab", name="Details").click()
        page.get_by_label("Folder", exact=True).select_option(label="Smoke")
        expect(page.locator(".dirty-mark")).to_be_visible()
        page.click("#scenario-save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        assert Scenario.objects.get(pk=smoke["id"]).folder_id == folder.pk

        # The History tab: the move, then the create.
        page.get_by_role("tab", name=re.compile("^History")).click()
        revisions = page.locator("#scenario-history tbody tr")
        expect(revisions).to_have_count(2)
        expect(revisions.nth(0)).to_contain_text("moved")
        expect(revisions.nth(0)).to_contain_text("folder: no folder → Smoke")
        expect(revisions.nth(0)).to_contain_text(user_brief(team.editor)["display_name"])
        expect(revisions.nth(1)).to_contain_text("created")
        expect(revisions.nth(1)).to_contain_text("“Ticker smoke”")
        stored = ScenarioRevision.objects.filter(scenario_id=smoke["id"]).order_by("version")
        assert [(r.version, r.action) for r in stored] == [(1, "created"), (2, "moved")]
        _all_labelled(page)
        shot(page, ARTIFACTS, "07-history", full_page=True)

        # The list: the folder, its subfolder and its scenario, then the one without a folder.
        page.goto(listing)
        expect(rows).to_have_count(4)
        expect(rows.nth(0)).to_have_attribute("data-folder", str(folder.pk))
        expect(rows.nth(1)).to_have_attribute("data-folder", str(nested.pk))
        expect(rows.nth(2)).to_have_attribute("data-scenario", str(smoke["id"]))
        expect(rows.nth(3)).to_contain_text("Loose one")
        page.get_by_role("button", name="Fold folder Smoke").click()
        expect(rows).to_have_count(2)
        page.get_by_role("button", name="Unfold folder Smoke").click()
        expect(rows).to_have_count(4)
        shot(page, ARTIFACTS, "08-folders", full_page=True)

        # A folder holding a scenario is not deleted, and says why; an empty one is.
        console.allowed = {409}
        page.get_by_role("button", name="Delete folder Smoke").click()
        page.get_by_role("button", name="Delete folder", exact=True).click()
        expect(page.locator(".scenario-folder-notice")).to_contain_text(
            "“Smoke” was not deleted: it is not empty"
        )
        console.allowed = set()
        assert ScenarioFolder.objects.filter(pk=folder.pk).exists()
        page.get_by_role("button", name="Delete folder Nightly").click()
        page.get_by_role("button", name="Delete folder", exact=True).click()
        expect(page.locator(".folder-row")).to_have_count(1)
        assert not ScenarioFolder.objects.filter(pk=nested.pk).exists()

        # A teammate's folder appears without a reload.
        admin_api("POST", f"/projects/{team.project.pk}/scenario-folders/", {"name": "Regression"})
        expect(page.locator(".folder-row", has_text="Regression")).to_have_count(1)

        # A viewer sees the tree and the history, and can change neither.
        _, viewer = _logged_in(chromium, team.viewer, server, console)
        viewer.goto(listing)
        expect(viewer.locator(".folder-row")).to_have_count(2)
        expect(viewer.locator("#scenario-folder-new")).to_have_count(0)
        expect(
            viewer.get_by_role("button", name=re.compile("^(Rename|Delete) folder"))
        ).to_have_count(0)
        viewer.get_by_role("link", name="Ticker smoke").click()
        expect(viewer.locator(".crumb-folder")).to_have_text(" Smoke /")
        viewer.get_by_role("tab", name="Details").click()
        expect(viewer.get_by_label("Folder", exact=True)).to_be_disabled()
        viewer.get_by_role("tab", name=re.compile("^History")).click()
        expect(viewer.locator("#scenario-history tbody tr")).to_have_count(2)
        _all_labelled(viewer)
    assert console.problems == []
