"""A new member's first hour in the web workspace, in a real Chromium (Debian's, via Playwright)
against Daphne, with a real upstream WebSocket server on loopback that wants a header.

Screenshots of every step go to ``test-artifacts/workspace/``. Every page must stay free of
console errors, failed requests, unexpected HTTP errors and CSP violations.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections
from django.utils import timezone

from endpoints.models import Endpoint, Role
from endpoints.projects.services import member_add, project_create
from endpoints.tree.services import endpoint_create, endpoint_update, folder_create
from sessions.models import Event
from tests.browser import (
    ARTIFACTS,
    PHONE,
    Console,
    launch,
    no_sideways_scroll,
    require_browser,
    shot,
)
from tests.factories import log_entry, make_closed_session

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "first-hour-Pa55"
DESKTOP = {"width": 1280, "height": 860}


def _login_password(user: Any) -> None:
    """The server runs the real settings (not the test's MD5): store a hash it accepts."""
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "workspace-salt", iterations=1000)
    user.save(update_fields=["password"])


def _session_cookie(user: Any, server: str) -> dict[str, Any]:
    """A login session for ``user``, as the login form would create it."""
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return {"name": "sessionid", "value": store.session_key, "url": server}


def _logged_in(
    chromium: Any, user: Any, server: str, console: Console, viewport: dict[str, int] = DESKTOP
) -> tuple[Any, Any]:
    """A browser context (desktop unless told) logged in as ``user``, and a page in it that
    ``console`` watches."""
    context = chromium.new_context(viewport=viewport)
    context.add_cookies([_session_cookie(user, server)])
    page = context.new_page()
    console.watch(page)
    return context, page


UNLABELLED = """() => Array.from(document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button, a[href], [role=tab], [role=radio]"))
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !((el.labels && el.labels.length) || el.getAttribute("aria-label") ||
    el.getAttribute("aria-labelledby") || el.getAttribute("title") || el.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 120))"""


@contextlib.contextmanager
def chromium_open() -> Iterator[Any]:
    """Chromium for one test, closed after it with the database connections it used."""
    with require_browser().sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
            # ORM calls made beside Playwright ran in its greenlet, with their own connection.
            connections.close_all()


def _all_labelled(page: Any) -> None:
    """Every visible control has a name a screen reader can say."""
    assert page.evaluate(UNLABELLED) == []


def _clean(folder: str) -> None:
    target = ARTIFACTS / folder
    if target.exists():
        shutil.rmtree(target)


def test_a_new_members_first_hour(make_user: Any, server: str, upstream: str) -> None:
    sync_api = require_browser()
    expect = sync_api.expect
    _clean("workspace")
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    eve = make_user("eve", first_name="Eve", last_name="Moneypenny")
    _login_password(ada)
    console = Console()

    def step(page: Any, name: str, full_page: bool = False) -> None:
        shot(page, "workspace", name, full_page=full_page)

    with chromium_open() as chromium:
        desktop = chromium.new_context(viewport=DESKTOP)
        desktop.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page = desktop.new_page()
        console.watch(page)

        # Log in: the root is the workspace, which asks for the login first.
        page.goto(f"{server}/")
        expect(page.locator("#id_username")).to_be_visible()
        step(page, "01-login")
        page.fill("#id_username", "ada")
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_role("heading", name="Your projects")).to_be_visible()
        step(page, "02-projects-empty")

        # Create a project.
        page.get_by_label("Name").fill("Market feeds")
        page.get_by_label("Description").fill("Live prices over WebSockets.")
        page.get_by_role("button", name="Create project").click()
        expect(page.locator("#home-title")).to_have_text("Market feeds")
        opened = re.search(r"/projects/(\d+)/", page.url)
        assert opened, page.url
        project_id = int(opened.group(1))
        expect(page.locator("#live-status.live")).to_be_attached()
        step(page, "03-project-home")

        # Manage members: Eve joins as an editor.
        page.locator(".topnav").get_by_role("link", name="Members").click()
        page.fill("#member-user", "eve")
        page.select_option("#member-role", "editor")
        page.click("#member-add")
        expect(page.locator("table.members")).to_contain_text("Eve Moneypenny")
        step(page, "04-members")
        _all_labelled(page)

        # Eve opens the project in her own browser.
        teammate, eve_page = _logged_in(chromium, eve, server, console)
        eve_page.goto(f"{server}/projects/{project_id}/")
        expect(eve_page.locator("#live-status.live")).to_be_attached()

        # A folder, then an endpoint in it pointing at the upstream.
        page.locator(".project-title").click()
        page.click("#new-folder")
        page.fill("#folder-name", "Streams")
        step(page, "05-new-folder-dialog")
        page.click("#folder-create")
        expect(
            page.locator("#tree").get_by_role("button", name=re.compile("^Streams"))
        ).to_be_visible()
        page.click("#new-endpoint")
        page.fill("#endpoint-name", "Ticker")
        page.fill("#endpoint-url", upstream)
        page.select_option("#endpoint-folder", label="\u2003Streams")
        page.click("#endpoint-create")
        expect(page).to_have_url(re.compile(r"/endpoints/\d+/$"))
        endpoint_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
        expect(page.locator(".req-name")).to_have_value("Ticker")
        step(page, "06-endpoint-editor")

        # Eve sees it appear in her tree without reloading.
        expect(
            eve_page.locator("#tree").get_by_role("link", name=re.compile("Ticker"))
        ).to_be_visible()
        step(eve_page, "07-teammate-sees-the-new-endpoint")

        # The upstream wants a header: add it in the Headers table.
        page.click("#tab-headers")
        page.get_by_label("New header name").fill("X-Api-Key")
        page.locator('[data-field="headers[0].value"]').fill("k1")
        page.locator('[data-field="headers[0].description"]').fill("Issued per team")

        # Connect; the handshake fields lock while connected, visibly.
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        expect(page.locator(".log-row.in").first).to_contain_text('"hello": "k1"')
        expect(page.locator('[data-field="headers[0].value"]')).to_be_disabled()
        expect(page.locator(".lock-note")).to_be_visible()
        expect(page.locator("#req-url")).to_have_attribute("readonly", "")

        # Send JSON (formatted first, then Ctrl+Enter) and hex.
        page.select_option("#composer-format", "json")
        page.fill("#composer", '{"op":"subscribe","symbols":["BTC","ETH"]}')
        page.click("#format-body")
        expect(page.locator("#composer")).to_have_value(re.compile(r'\{\n\s+"op": "subscribe"'))
        page.locator("#composer").press("Control+Enter")
        expect(page.locator(".log-row.in")).to_have_count(2)
        page.select_option("#composer-format", "hex")
        page.fill("#composer", "de ad be ef")
        page.click("#send")
        expect(page.locator(".log-row.in")).to_have_count(3)
        expect(page.locator(".log-row.out")).to_have_count(2)
        expect(page.locator(".log-row.in").nth(1)).to_contain_text('"op": "subscribe"')
        expect(page.locator(".log-row.in").nth(2)).to_contain_text("de ad be ef")
        step(page, "08-connected-sent-and-received")
        _all_labelled(page)

        # The echoed bytes open as a hexdump on the right.
        page.locator(".log-row.in").nth(2).click()
        expect(page.locator(".detail-pre.view-hexdump")).to_contain_text("de ad be ef")
        expect(page.locator(".detail")).to_contain_text("Received message")
        step(page, "09-hexdump")
        page.get_by_role("radio", name="Base64").click()
        expect(page.locator(".detail-pre.view-base64")).to_have_text("3q2+7w==")
        page.locator(".log-row.in").nth(1).click()
        expect(page.locator(".detail-pre.view-json .tk-key").first).to_be_visible()
        step(page, "10-json-detail")
        _all_labelled(page)

        # Disconnect, edit the header, reconnect with it.
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))
        expect(page.locator('[data-field="headers[0].value"]')).to_be_enabled()
        page.locator('[data-field="headers[0].value"]').fill("k2")
        page.click("#connect")
        expect(page.locator(".log-row.in").last).to_contain_text('"hello": "k2"')
        step(page, "11-reconnected-with-new-header")

        # Save: the header goes back into the endpoint.
        expect(page.locator(".dirty-mark")).to_be_visible()
        page.keyboard.press("Control+s")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        saved = Endpoint.objects.get(pk=endpoint_id)
        assert saved.headers[0]["value"] == "k2"
        assert saved.headers[0]["description"] == "Issued per team"
        step(page, "12-saved")

        # A stale save: Eve, in her browser, documents the endpoint while Ada renames it.
        # Ada sees who changed what, and overwrites deliberately.
        eve_page.locator("#tree").get_by_role("link", name=re.compile("Ticker")).click()
        expect(page.locator(".req-presence .avatar")).to_have_count(1)
        page.locator(".req-name").fill("Ticker v2")
        eve_page.click("#tab-docs")
        eve_page.select_option("#doc-status", "testing")
        eve_page.fill("#doc-description", "Streams **every** trade.")
        eve_page.get_by_role("radio", name="Preview").click()
        expect(eve_page.locator(".markdown-preview strong")).to_have_text("every")
        step(eve_page, "13-teammate-documents")
        eve_page.click("#save")
        expect(eve_page.locator(".dirty-mark")).to_be_hidden()
        expect(page.locator(".banner")).to_contain_text("Eve Moneypenny changed")
        step(page, "14-teammate-changed-it")
        console.allowed = {412}
        page.click("#save")
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("Eve Moneypenny saved this endpoint")
        expect(dialog).to_contain_text("description")
        step(page, "15-stale-save")
        page.click("#conflict-overwrite")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        console.allowed = set()
        saved = Endpoint.objects.get(pk=endpoint_id)
        assert (saved.name, saved.status, saved.description) == (
            "Ticker v2",
            "testing",
            "Streams **every** trade.",
        )
        # Eve had nothing unsaved: her editor follows.
        expect(eve_page.locator(".req-name")).to_have_value("Ticker v2")
        expect(eve_page.locator("#tree")).to_contain_text("Ticker v2")

        # Share the docs and open the link.
        page.locator(".topnav").get_by_role("link", name="Share").click()
        page.fill("#link-name", "Partner docs")
        page.click("#link-create")
        copy = page.locator("[data-copy-link]").first
        copy.click()
        expect(copy).to_have_text("Copied")
        link = page.locator("[data-open-link]").first.get_attribute("href")
        assert page.evaluate("navigator.clipboard.readText()") == link
        step(page, "16-share-link")
        _all_labelled(page)
        reader = desktop.new_page()
        console.watch(reader)
        reader.goto(link)
        expect(reader.locator("h1")).to_have_text("Market feeds")
        reader.get_by_role("link", name="Ticker v2").first.click()
        expect(reader.locator("h1")).to_have_text("Ticker v2")
        expect(reader.locator("body")).to_contain_text("X-Api-Key")
        step(reader, "17-shared-docs", full_page=True)
        reader.close()

        # Environments: a secret is never shown back.
        page.locator(".topnav").get_by_role("link", name="Environments").click()
        page.fill("#new-var-name", "apiKey")
        page.get_by_label("New variable shared value").fill("k2")
        page.get_by_label("New variable is secret").check()
        page.click("#var-add")
        secret = page.get_by_label("Variable apiKey: shared value (secret)")
        expect(secret).to_have_value("")
        expect(secret).to_have_attribute("placeholder", re.compile("set"))
        step(page, "18-environments")
        _all_labelled(page)
        storage = desktop.storage_state()
        teammate.close()
        desktop.close()

        # A phone: the editor and the tree at 375 px, nothing scrolls sideways.
        phone = chromium.new_context(**PHONE, storage_state=storage)
        page = phone.new_page()
        console.watch(page)
        page.goto(f"{server}/projects/{project_id}/endpoints/{endpoint_id}/")
        expect(page.locator(".log-row").first).to_be_visible()
        no_sideways_scroll(page)
        step(page, "19-phone-editor", full_page=True)
        page.click("#tree-toggle")
        expect(
            page.locator("#tree").get_by_role("link", name=re.compile("Ticker v2"))
        ).to_be_visible()
        step(page, "20-phone-tree")
        page.keyboard.press("Escape")
        page.goto(f"{server}/")
        no_sideways_scroll(page)
        step(page, "21-phone-projects", full_page=True)
        phone.close()

    assert console.problems == []


def test_twenty_thousand_log_entries_render_only_the_visible_rows(
    make_user: Any, server: str
) -> None:
    sync_api = require_browser()
    expect = sync_api.expect
    _clean("workspace-log")
    ada = make_user("ada")
    session = make_closed_session(
        ada, project="Firehose", endpoint="Trades", url="ws://127.0.0.1:9/trades"
    )
    project, endpoint = session.project, session.endpoint
    assert endpoint is not None  # make_closed_session opens it from an endpoint
    start = timezone.now() - timedelta(minutes=5)
    total = 20_000
    events = []
    for seq in range(1, total + 1):
        outgoing = seq % 2 == 1
        text = json.dumps({"n": seq, "op": "trade" if not outgoing else "ack"})
        at = start + timedelta(milliseconds=seq)
        events.append(log_entry(session, seq, at, text, sent=outgoing))
    Event.objects.bulk_create(events, batch_size=5000)
    console = Console()

    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator(".log-count")).to_have_text("20,000 entries", timeout=20000)
        rows = page.locator(".log-row")
        # Auto-scroll kept the newest entry in view, and only a screenful exists.
        expect(rows.last).to_contain_text('"n": 20000')
        assert rows.count() < 60, rows.count()
        shot(page, "workspace-log", "01-twenty-thousand-at-the-end", full_page=False)

        viewport = page.locator(".log-viewport")
        height = viewport.evaluate("v => v.scrollHeight")
        assert height >= total * 30
        viewport.evaluate("v => { v.scrollTop = v.scrollHeight / 2; }")
        expect(page.locator("#log-row-10000")).to_be_attached()
        assert rows.count() < 60, rows.count()
        page.locator("#log-row-10001").click()
        expect(page.locator(".detail-pre")).to_contain_text('"n": 10001')
        shot(page, "workspace-log", "02-the-middle-with-detail", full_page=False)

        # Scrolled up, new entries do not pull the view down; filters re-count.
        page.get_by_role("radio", name="Received").click()
        expect(page.locator(".log-count")).to_have_text("10,000 of 20,000")
        page.get_by_label("Filter messages by text").fill('"n": 12346')
        expect(page.locator(".log-count")).to_have_text("1 of 20,000")
        expect(rows).to_have_count(1)
        page.get_by_label("Filter messages by text").fill("")
        page.get_by_role("radio", name="All").click()
        viewport.focus()
        page.keyboard.press("End")
        expect(page.locator("#log-row-20000")).to_be_attached()
        assert rows.count() < 60, rows.count()
        context.close()

    assert console.problems == []


def test_environments_drafts_and_tree_changes(make_user: Any, server: str, upstream: str) -> None:
    """A secret from an environment fills a header; a blank request is saved into a folder;
    the tree is searched, moved, renamed and pruned while a teammate watches; log out."""
    sync_api = require_browser()
    expect = sync_api.expect
    _clean("workspace-more")
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    eve = make_user("eve", first_name="Eve", last_name="Moneypenny")
    project = project_create(actor=ada, name="Trading desk")
    member_add(project=project, user_ref=eve.pk, role=Role.EDITOR)
    streams = folder_create(project=project, actor=ada, name="Streams")
    header = {"name": "X-Api-Key", "value": "{{apiKey}}", "enabled": True, "description": ""}
    ticker = endpoint_create(
        project=project,
        actor=ada,
        data={"name": "Ticker", "url": upstream, "folder": streams.pk, "headers": [header]},
    )
    hostile = "<img src=x onerror=alert(1)>"
    endpoint_create(
        project=project, actor=eve, data={"name": hostile, "url": "wss://evil.example/"}
    )
    base = f"{server}/projects/{project.pk}"
    console = Console()

    def step(page: Any, name: str) -> None:
        shot(page, "workspace-more", name, full_page=False)

    with chromium_open() as chromium:
        desktop, page = _logged_in(chromium, ada, server, console)
        teammate, eve_page = _logged_in(chromium, eve, server, console)
        eve_page.goto(f"{base}/")
        eve_tree = eve_page.locator("#tree")
        expect(eve_tree.get_by_role("link", name=re.compile("Ticker"))).to_be_visible()
        # Markup in a name is text (and nothing runs: the console sees no dialog).
        expect(eve_tree.get_by_role("link", name=re.compile("img src"))).to_have_text(
            re.compile(re.escape(hostile))
        )

        # An environment with a secret; the endpoint's header refers to it.
        page.goto(f"{base}/environments/")
        page.click("#env-new")
        page.fill("#prompt-input", "Staging")
        page.keyboard.press("Enter")
        expect(page.locator("#env-name")).to_have_value("Staging")
        page.fill("#new-var-name", "apiKey")
        page.get_by_label("New variable shared value").fill("k2")
        page.get_by_label("New variable is secret").check()
        page.click("#var-add")
        expect(page.get_by_label("Variable apiKey: shared value (secret)")).to_have_value("")
        step(page, "01-environment-with-a-secret")

        page.locator("#tree").get_by_role("link", name=re.compile("Ticker")).click()
        page.select_option("#req-env", "")
        expect(page.locator(".vars-hint")).to_contain_text("{{apiKey}}")
        page.select_option("#req-env", label="Staging")
        expect(page.locator(".vars-hint")).to_be_hidden()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        expect(page.locator(".log-row.in").first).to_contain_text("hello")
        expect(page.locator("#req-env")).to_be_disabled()
        step(page, "02-connected-through-the-environment")

        # A blank request against the built-in echo, saved into a folder.
        page.click("#new-request")
        expect(page.locator(".req-crumbs")).to_have_text("New request · not saved")
        page.fill("#req-url", server.replace("http://", "ws://") + "/ws/echo/")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.select_option("#composer-format", "text")
        page.fill("#composer", "ping")
        page.locator("#composer").press("Control+Enter")
        expect(page.locator(".log-row.in")).to_have_count(1)
        page.click("#save")
        page.fill("#save-name", "Echo")
        page.select_option("#save-folder", label="\u2003Streams")
        step(page, "03-save-the-draft")
        page.click("#save-new-confirm")
        expect(page).to_have_url(re.compile(r"/endpoints/\d+/$"))
        expect(page.locator(".req-name")).to_have_value("Echo")
        expect(page.locator(".log-row.in")).to_have_count(1)
        echo = Endpoint.objects.get(project=project, name="Echo")
        assert echo.folder_id == streams.pk
        expect(eve_tree.get_by_role("link", name=re.compile("Echo"))).to_be_visible()
        step(page, "04-the-draft-is-an-endpoint")

        # Search and filter.
        page.fill("#tree-search", "ech")
        expect(page.locator("#tree .node-link[data-kind=endpoint]")).to_have_count(1)
        expect(page.locator("#tree-summary")).to_have_text("1 of 3 endpoints match")
        page.fill("#tree-search", "")
        page.click("#filter-toggle")
        page.select_option("#filter-status", "released")
        expect(page.locator("#tree")).to_contain_text("No endpoint matches.")
        step(page, "05-filtered")
        page.click("#filter-clear")
        expect(page.locator("#tree .node-link[data-kind=endpoint]")).to_have_count(3)

        # Move Echo to the top level (menu), rename the folder (F2), delete Echo.
        page.locator("#tree").get_by_role("button", name="Actions for Echo").click()
        page.get_by_role("menuitem", name="Move to…").click()
        page.select_option("#move-target", "")
        page.click("#move-confirm")
        top_level = eve_page.locator("#tree > .tree-list > .tree-endpoint")
        expect(top_level.filter(has_text="Echo")).to_have_count(1)
        page.locator("#tree").get_by_role("button", name=re.compile("^Streams")).focus()
        page.keyboard.press("F2")
        page.fill("#prompt-input", "Live streams")
        page.keyboard.press("Enter")
        expect(eve_tree).to_contain_text("Live streams")
        page.locator("#tree").get_by_role("button", name="Actions for Echo").click()
        page.get_by_role("menuitem", name="Delete…").click()
        page.get_by_role("button", name="Delete endpoint").click()
        expect(page).to_have_url(f"{base}/")
        expect(eve_tree.get_by_role("link", name=re.compile("Echo"))).to_have_count(0)
        assert not Endpoint.objects.filter(pk=echo.pk).exists()
        assert Endpoint.objects.filter(pk=ticker.pk).exists()
        step(eve_page, "06-teammate-sees-the-tree-change")

        # Log out.
        page.locator(".account summary").click()
        page.click("#logout")
        expect(page.locator("#id_username")).to_be_visible()
        teammate.close()
        desktop.close()

    assert console.problems == []


def test_editor_tabs_a_refused_handshake_and_link_revocation(
    make_user: Any, server: str, upstream: str
) -> None:
    """A refused handshake is explained (status and the connection record); saved messages,
    tags, responsible person and settings are saved; leaving with unsaved edits asks first."""
    sync_api = require_browser()
    expect = sync_api.expect
    _clean("workspace-editor")
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Quotes desk")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={
            "name": "Quotes",
            "url": upstream,
            "messages": [{"name": "Subscribe", "format": "json", "body": '{"op":"sub"}'}],
        },
    )
    console = Console()

    def step(page: Any, name: str) -> None:
        shot(page, "workspace-editor", name, full_page=False)

    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")

        # No header: the upstream refuses the handshake, and the page says how.
        console.allowed = {502}
        page.click("#connect")
        expect(page.locator(".connect-error")).to_contain_text("401")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-failed"))
        console.allowed = set()
        page.locator(".log-row.st-error").first.click()
        expect(page.locator(".record")).to_contain_text("401")
        step(page, "01-refused-handshake")

        # Messages, docs fields and settings, saved together.
        page.click("#tab-messages")
        page.get_by_role("button", name="Add send message").click()
        page.get_by_label("Message 2 name").fill("Ping")
        page.get_by_label("Message 2 format").select_option("text")
        page.get_by_label("Message 2 example 1 body").fill("ping")
        page.click("#tab-docs")
        page.fill("#doc-tags", "market")
        page.keyboard.press("Enter")
        page.select_option("#doc-assignee", label="Ada Lovelace (@ada)")
        page.click("#tab-settings")
        page.fill("#setting-open_timeout", "5")
        page.fill("#subprotocols", "v2.json")
        page.keyboard.press("Enter")
        step(page, "02-settings")

        # Leaving with unsaved edits asks first.
        page.locator(".topnav").get_by_role("link", name="Members").click()
        expect(page.locator("dialog[open]")).to_contain_text("Discard unsaved changes?")
        page.locator("dialog[open]").get_by_role("button", name="Cancel").click()
        expect(page).to_have_url(re.compile(r"/endpoints/\d+/$"))

        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        endpoint.refresh_from_db()
        assert [m.name for m in endpoint.messages.order_by("position", "id")] == [
            "Subscribe",
            "Ping",
        ]
        assert endpoint.tag_names == ["market"]
        assert endpoint.assignee_id == ada.pk
        assert endpoint.connection_settings["open_timeout"] == 5
        assert endpoint.subprotocols == ["v2.json"]

        # With the header, connect and send a saved message straight from its chip.
        page.click("#tab-headers")
        page.get_by_label("New header name").fill("X-Api-Key")
        page.locator('[data-field="headers[0].value"]').fill("k1")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.get_by_role("button", name="Send Ping now").click()
        expect(page.locator(".log-row.in").last).to_have_text(re.compile("ping"))
        step(page, "03-saved-message-sent")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))
        page.keyboard.press("Control+s")
        expect(page.locator(".dirty-mark")).to_be_hidden()

        # A share link, revoked.
        page.locator(".topnav").get_by_role("link", name="Share").click()
        page.fill("#link-name", "Temporary")
        page.click("#link-create")
        card = page.locator(".link-card").first
        card.get_by_role("button", name="Revoke").click()
        page.locator("dialog[open]").get_by_role("button", name="Revoke link").click()
        expect(card.locator(".pill")).to_have_text("revoked")
        step(page, "04-link-revoked")
        context.close()

    assert console.problems == []


def test_comments_and_history_in_the_activity_tab(
    make_user: Any, server: str, upstream: str
) -> None:
    """An endpoint's Activity tab: comments with mentions (a teammate's arrive live, resolving
    hides them), and its history with what each change did; restoring a version is a new one."""
    sync_api = require_browser()
    expect = sync_api.expect
    _clean("workspace-activity")
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    eve = make_user("eve", first_name="Eve", last_name="Moneypenny")
    project = project_create(actor=ada, name="Quotes desk")
    member_add(project=project, user_ref="eve", role=Role.VIEWER, actor=ada)
    endpoint = endpoint_create(project=project, actor=ada, data={"name": "Quotes", "url": upstream})
    endpoint_update(endpoint=endpoint, actor=ada, data={"url": f"{upstream}?v=2"})
    endpoint_update(endpoint=endpoint, actor=ada, data={"name": "Quotes v3"})
    console = Console()

    def step(page: Any, name: str) -> None:
        shot(page, "workspace-activity", name, full_page=False)

    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator(".req-name")).to_have_value("Quotes v3")

        # History: newest first, who changed what, the current version marked.
        page.click("#tab-activity")
        revisions = page.locator(".revision")
        expect(revisions).to_have_count(3)
        expect(revisions.nth(0)).to_contain_text("v3")
        expect(revisions.nth(0)).to_contain_text("Ada Lovelace changed name")
        expect(revisions.nth(0).locator(".pill")).to_have_text("current")
        expect(revisions.nth(1)).to_contain_text("changed url")
        expect(revisions.nth(2)).to_contain_text("created it")

        # Comments: one with a mention; Eve (a viewer) answers from her browser, live.
        page.fill("#comment-body", "Is **v2** right, @eve?")
        page.click("#comment-post")
        comments = page.locator(".comment")
        expect(comments).to_have_count(1)
        expect(comments.first.locator(".mention")).to_have_text("@eve")
        expect(comments.first.locator("strong").first).to_have_text("Ada Lovelace")
        teammate, eve_page = _logged_in(chromium, eve, server, console)
        eve_page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        eve_page.click("#tab-activity")
        expect(eve_page.locator(".comment")).to_have_count(1)
        # A viewer comments but cannot resolve others' comments or restore versions.
        expect(eve_page.get_by_role("button", name="Resolve")).to_have_count(0)
        expect(eve_page.get_by_role("button", name=re.compile("^Restore"))).to_have_count(0)
        eve_page.fill("#comment-body", "Yes, ship it.")
        eve_page.keyboard.press("Control+Enter")
        expect(eve_page.locator(".comment")).to_have_count(2)
        expect(comments).to_have_count(2)
        expect(comments.nth(1)).to_contain_text("Eve Moneypenny")

        # Markup in a comment is shown, never run; deleting one asks first.
        page.fill("#comment-body", "<script>alert(1)</script> <b onclick=alert(2)>x</b>")
        page.click("#comment-post")
        expect(comments).to_have_count(3)
        expect(comments.nth(2)).to_contain_text("<script>alert(1)</script>")
        assert comments.nth(2).locator("script, [onclick]").count() == 0
        comments.nth(2).get_by_role("button", name=re.compile("^Delete")).click()
        page.locator("dialog[open]").get_by_role("button", name="Delete").click()
        expect(comments).to_have_count(2)
        expect(page.locator("#tab-activity .tab-count")).to_have_text("2")
        _all_labelled(page)
        step(page, "01-comments-and-history")

        # Resolving hides a comment unless resolved ones are shown.
        comments.first.get_by_role("button", name="Resolve").click()
        expect(comments).to_have_count(1)
        expect(page.locator("#tab-activity .tab-count")).to_have_text("1")
        page.check("#comments-resolved")
        expect(comments).to_have_count(2)
        expect(page.locator(".comment.resolved")).to_contain_text("Is v2 right")

        # Restoring version 1: the URL and name come back, as version 4.
        revisions.nth(2).locator("summary").click()
        expect(revisions.nth(2).locator(".rev-changes")).to_contain_text(upstream)
        revisions.nth(2).get_by_role("button", name="Restore v1").click()
        page.locator("dialog[open]").get_by_role("button", name="Restore").click()
        expect(page.locator(".req-name")).to_have_value("Quotes")
        expect(page.locator("#req-url")).to_have_value(upstream)
        expect(revisions).to_have_count(4)
        expect(revisions.nth(0)).to_contain_text("restored")
        expect(revisions.nth(0).locator(".pill")).to_have_text("current")
        step(page, "02-restored")
        endpoint.refresh_from_db()
        assert (endpoint.version, endpoint.name, endpoint.url) == (4, "Quotes", upstream)
        # Eve's editor follows the restore, as it follows any change.
        expect(eve_page.locator(".req-name")).to_have_value("Quotes")
        teammate.close()
        context.close()
    assert console.problems == []
