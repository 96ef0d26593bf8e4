"""The project's Schemas page in Debian's Chromium against Daphne: a schema generated from a
pasted example, edited in the JSON editor (a syntax error named by line, nothing stored; fixed
and saved), refused deletion while a message refers to it, a teammate's changes arriving live,
a stale save resolved, and a viewer who reads without writing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from accounts.tokens import token_create
from endpoints.models import ProjectSchema, Role
from endpoints.projects.services import member_add, project_create
from endpoints.schemas.services import schema_create
from tests.browser import Console, no_sideways_scroll, shot, teammate
from tests.workspace.test_browser import _all_labelled
from tests.workspace.test_browser_fixes import _expect, browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

EXAMPLE = '{"type": "trade", "symbol": "BTC-USD", "price": 64000.5}'
# Line 4 has two commas: the server's error names line 4.
BROKEN = """{
  "type": "object",
  "properties": {"price": {"type": "number"}},
  "required": ["price"],,
  "title": "Trade"
}"""
FIXED = """{
  "type": "object",
  "properties": {"price": {"type": "number", "minimum": 0}, "symbol": {"type": "string"}},
  "required": ["price"]
}"""
STATUS_SCHEMA = {"type": "object", "properties": {"state": {"type": "string"}}}


def _trade_message(name: str = "trade") -> dict[str, Any]:
    """A receive message whose schema is the project schema "Trade"."""
    return {
        "name": name,
        "direction": "receive",
        "format": "json",
        "schema": {"$ref": "#/components/schemas/Trade"},
        "examples": [{"name": "BTC", "body": '{"price": 1, "symbol": "BTC"}'}],
        "match": {"kind": "path", "path": "$.type", "value": "trade"},
    }


def _caret_line(page: Any) -> int:
    return int(
        page.locator("#schema-text").evaluate(
            "area => area.value.slice(0, area.selectionStart).split('\\n').length"
        )
    )


def test_a_schema_from_an_example_edited_saved_and_kept_while_in_use(
    make_user: Any, server: str
) -> None:
    expect = _expect()
    ada = make_user("ada", first_name="Ada")
    project = project_create(actor=ada, name="Schemas")
    base = f"{server}/projects/{project.pk}"
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{base}/")
        expect(page.locator("#live-status")).to_have_class(re.compile("live"))
        page.locator(".topnav").get_by_role("link", name="Schemas").click()
        expect(page).to_have_url(f"{base}/schemas/")
        expect(page.locator(".topnav a[data-nav=schemas]")).to_have_attribute(
            "aria-current", "page"
        )
        expect(page.locator(".schema-detail")).to_contain_text("No schemas in this project yet")
        _all_labelled(page)

        # New: paste an example, generate, create.
        page.click("#schema-new")
        expect(page.locator("#schema-text")).to_have_value('{\n  "type": "object"\n}')
        page.fill("#schema-name", "Trade")
        expect(page.locator("#schema-ref")).to_have_text('{"$ref": "#/components/schemas/Trade"}')
        page.fill("#schema-example", '{"type": "trade",')
        console.allowed = {400}
        page.click("#schema-generate")
        expect(page.locator("#schema-example + .field-error")).to_contain_text("line 1")
        page.fill("#schema-example", EXAMPLE)
        page.click("#schema-generate")
        editor = page.locator("#schema-text")
        expect(editor).to_have_value(re.compile(r'"price": \{\s+"type": "number"'))
        _all_labelled(page)
        shot(page, "workspace-schemas", "01-generated")
        page.click("#schema-save")
        item = page.locator(".schema-item", has_text="Trade")
        expect(item).to_have_attribute("aria-current", "true")
        expect(page.locator(".schema-meta")).to_contain_text("Version 1")
        stored = ProjectSchema.objects.get(project=project, name="Trade")
        assert stored.schema["properties"]["price"] == {"type": "number"}
        assert sorted(stored.schema["required"]) == ["price", "symbol", "type"]
        expect(page).to_have_url(f"{base}/schemas/?schema={stored.pk}")

        # A syntax error: the server names line 4, the caret goes there, nothing is stored.
        page.fill("#schema-text", BROKEN)
        page.click("#schema-save")
        error = page.locator("#schema-text-error")
        expect(error).to_contain_text("line 4")
        expect(editor).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".jt-gutter span.bad")).to_have_text("4")
        assert _caret_line(page) == 4
        shot(page, "workspace-schemas", "02-syntax-error")
        stored.refresh_from_db()
        assert stored.version == 1 and "title" not in stored.schema

        # Tab indents by two spaces; Format pretty-prints; fixed, it saves.
        page.fill("#schema-text", "{}")
        editor.focus()
        page.keyboard.press("End")
        page.keyboard.press("Tab")
        expect(editor).to_have_value("{}  ")
        page.fill("#schema-text", '{"type":"object","properties":{"price":{"type":"number"}}}')
        page.click("#schema-format")
        expect(editor).to_have_value(re.compile(r'^\{\n  "type": "object",\n  "properties": \{'))
        page.fill("#schema-text", FIXED)
        expect(error).to_be_hidden()
        page.fill("#schema-description", "One executed trade")
        page.click("#schema-save")
        expect(page.locator(".schema-meta")).to_contain_text("Version 2")
        expect(item).to_contain_text("One executed trade")
        stored.refresh_from_db()
        assert stored.version == 2
        assert stored.schema["properties"]["price"] == {"type": "number", "minimum": 0}
        assert stored.description == "One executed trade"

        # Unsaved edits hold the page: leaving asks first.
        page.fill("#schema-description", "Half typed")
        page.locator(".topnav").get_by_role("link", name="Environments").click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("This schema has changes that are not saved")
        dialog.get_by_role("button", name="Cancel").click()
        expect(page).to_have_url(re.compile(r"/schemas/"))
        page.fill("#schema-description", "One executed trade")
        expect(page.locator("#schema-save")).to_be_disabled()

        # A message refers to it (written by Ada's script): "used by" follows live; Delete is
        # refused and says who.
        ada_api = teammate(server, token_create(user=ada, name="script")[1])
        endpoint = ada_api(
            "POST",
            f"/projects/{project.pk}/endpoints/",
            {"name": "Ticker", "url": "wss://x.example/", "messages": [_trade_message()]},
        )
        expect(item.locator(".schema-uses")).to_have_text("used by 1")
        uses = page.locator(".schema-used-by")
        expect(uses.get_by_role("link", name="Ticker")).to_have_attribute(
            "href", f"/projects/{project.pk}/endpoints/{endpoint['id']}/"
        )
        page.click("#schema-delete")
        console.allowed = {409}
        page.locator("dialog[open]").get_by_role("button", name="Delete schema").click()
        in_use = page.locator("#schema-in-use")
        expect(in_use).to_contain_text('"Trade" was not deleted')
        expect(in_use).to_contain_text("trade")
        shot(page, "workspace-schemas", "03-in-use")
        assert ProjectSchema.objects.filter(pk=stored.pk).exists()
        console.allowed = set()
        in_use.get_by_role("link", name="Ticker").click()
        expect(page).to_have_url(f"{base}/endpoints/{endpoint['id']}/")
        expect(page.locator(".req-name")).to_have_value("Ticker")
    assert console.problems == [], console.problems


def test_teammates_changes_arrive_live_and_a_stale_save_asks(make_user: Any, server: str) -> None:
    expect = _expect()
    ada, eve = make_user("ada"), make_user("eve", first_name="Eve")
    project = project_create(actor=ada, name="Live schemas")
    member_add(project=project, user_ref=eve.pk, role=Role.EDITOR)
    status = schema_create(project=project, actor=ada, name="Status", schema=STATUS_SCHEMA)
    eve_api = teammate(server, token_create(user=eve, name="script")[1])
    path = f"/projects/{project.pk}/schemas/{status.pk}/"
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/schemas/")
        expect(page.locator("#live-status")).to_have_class(re.compile("live"))
        editor = page.locator("#schema-text")
        expect(editor).to_have_value(re.compile('"state"'))

        # Nothing unsaved: Eve's change replaces what is shown.
        changed = {**STATUS_SCHEMA, "required": ["state"]}
        eve_api("PATCH", path, {"version": 1, "schema": changed})
        expect(editor).to_have_value(re.compile('"required"'))
        expect(page.locator(".schema-meta")).to_contain_text("Version 2")
        expect(page.locator(".schema-meta")).to_contain_text("Eve")

        # Her new schema appears in the list.
        eve_api("POST", f"/projects/{project.pk}/schemas/", {"name": "Quote", "schema": {}})
        expect(page.locator(".schema-item", has_text="Quote")).to_be_visible()
        expect(page.locator(".schema-summary")).to_have_text("2 schemas")
        page.fill("#schema-filter", "quo")
        expect(page.locator(".schema-item")).to_have_count(1)
        expect(page.locator(".schema-summary")).to_have_text("1 of 2 schemas match")
        page.fill("#schema-filter", "")

        # Unsaved edits: a banner, then saving is a conflict resolved by reloading hers.
        page.fill("#schema-description", "Mine")
        eve_api("PATCH", path, {"version": 2, "description": "Hers"})
        expect(page.locator("#schema-banner")).to_contain_text("saved a newer version")
        expect(page.locator("#schema-description")).to_have_value("Mine")
        console.allowed = {412}
        page.click("#schema-save")
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("Eve saved this schema while you were editing")
        shot(page, "workspace-schemas", "04-conflict")
        page.click("#schema-conflict-reload")
        expect(page.locator("#schema-description")).to_have_value("Hers")
        console.allowed = set()
        assert ProjectSchema.objects.get(pk=status.pk).description == "Hers"

        # Eve deletes the open schema: with nothing unsaved the page lets go of it...
        quote = ProjectSchema.objects.get(project=project, name="Quote")
        page.locator(".schema-item", has_text="Quote").click()
        expect(page.locator("#schema-name")).to_have_value("Quote")
        eve_api("DELETE", f"/projects/{project.pk}/schemas/{quote.pk}/")
        expect(page.locator(".toast").last).to_contain_text('Eve deleted schema "Quote"')
        expect(page.locator(".schema-item", has_text="Quote")).to_have_count(0)
        expect(page.locator("#schema-name")).to_have_value("Status")
        # ...with unsaved edits it keeps them, and they can be created again.
        page.fill("#schema-description", "Kept")
        eve_api("DELETE", path)
        expect(page.locator("#schema-banner")).to_contain_text('Eve deleted "Status"')
        expect(page.locator("#schema-save")).to_be_disabled()
        page.get_by_role("button", name="Keep mine as a new schema").click()
        expect(page.locator("#schema-name")).to_have_value("Status")
        page.click("#schema-save")
        expect(page.locator(".schema-item", has_text="Status")).to_have_attribute(
            "aria-current", "true"
        )
        again = ProjectSchema.objects.get(project=project, name="Status")
        assert again.pk != status.pk and again.description == "Kept"
        assert again.schema["required"] == ["state"]
    assert console.problems == [], console.problems


def test_a_viewer_reads_schemas_without_writing(make_user: Any, server: str) -> None:
    expect = _expect()
    ada, vic = make_user("ada"), make_user("vic")
    project = project_create(actor=ada, name="Read only")
    member_add(project=project, user_ref=vic.pk, role=Role.VIEWER)
    schema_create(
        project=project, actor=ada, name="Status", schema=STATUS_SCHEMA, description="State"
    )
    console = Console()
    # At phone width: the list stacks over the editor and nothing scrolls sideways.
    with browsing(vic, server, console, viewport={"width": 390, "height": 844}) as page:
        page.goto(f"{server}/projects/{project.pk}/schemas/")
        editor = page.locator("#schema-text")
        expect(editor).to_have_value(re.compile('"state"'))
        expect(editor).to_have_attribute("readonly", "")
        expect(page.locator("#schema-name")).to_have_attribute("readonly", "")
        for control in ("#schema-save", "#schema-delete", "#schema-new", "#schema-format"):
            expect(page.locator(control)).to_have_count(0)
        expect(page.locator("#schema-ref")).to_have_text('{"$ref": "#/components/schemas/Status"}')
        expect(page.locator(".schema-used-by")).to_contain_text("Nothing refers to it yet")
        _all_labelled(page)
        no_sideways_scroll(page)
        shot(page, "workspace-schemas", "05-viewer-phone")
    assert console.problems == [], console.problems
