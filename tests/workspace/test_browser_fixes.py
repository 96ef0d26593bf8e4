"""What a real-browser walk of the workspace found (issue 13), each reproduced in Debian's
Chromium against Daphne: every test here failed before its fix.
"""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accounts.tokens import token_create
from endpoints.environments.services import environment_create, variable_create
from endpoints.projects.services import member_add, project_create
from endpoints.tree.services import endpoint_create, folder_create
from sessions.models import DebugSession
from tests.browser import Console, require_browser, teammate
from tests.factories import log_entry, make_closed_session
from tests.workspace.test_browser import DESKTOP, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

KEY_HEADER = {"name": "X-Api-Key", "value": "k1", "enabled": True, "description": ""}


@contextlib.contextmanager
def browsing(user: Any, server: str, console: Console, viewport: dict[str, int] = DESKTOP) -> Any:
    """A page in Chromium, logged in as ``user``, that ``console`` watches."""
    with chromium_open() as chromium:
        _, page = _logged_in(chromium, user, server, console, viewport)
        yield page


def _expect() -> Any:
    return require_browser().expect


def test_dialogs_without_a_description_show_no_null(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Dialogs")
    folder_create(project=project, actor=ada, name="Streams")
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        dialog = page.locator("dialog[open]")

        def opened(title: str) -> None:
            expect(dialog.locator("h2")).to_have_text(title)
            assert "null" not in dialog.inner_text()
            dialog.get_by_role("button", name="Cancel").click()
            expect(dialog).to_have_count(0)

        page.click("#new-folder")
        opened("New folder")
        page.locator("#tree").get_by_role("button", name="Actions for folder Streams").click()
        page.get_by_role("menuitem", name="Rename…").click()
        opened("Rename folder")
        page.locator("#tree").get_by_role("button", name="Actions for folder Streams").click()
        page.get_by_role("menuitem", name="Delete…").click()
        opened('Delete folder "Streams"?')
        page.locator(".topnav").get_by_role("link", name="Environments").click()
        page.click("#env-new")
        opened("New environment")
    assert console.problems == []


def test_the_environment_choice_survives_a_slow_environments_list(
    make_user: Any, server: str, upstream: str
) -> None:
    """The endpoint's key comes from the chosen environment: without it the upstream says 401."""
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Slow lists")
    staging = environment_create(project=project, actor=ada, name="Staging")
    variable_create(
        project=project, actor=ada, name="apiKey", environment_id=staging.pk, initial_value="k1"
    )
    header = {**KEY_HEADER, "value": "{{apiKey}}"}
    endpoint = endpoint_create(
        project=project, actor=ada, data={"name": "Ticker", "url": upstream, "headers": [header]}
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator("#req-env option")).to_have_count(2)
        with page.expect_response(re.compile(r"/variables/\?environment=")):
            page.select_option("#req-env", label="Staging")
        page.wait_for_load_state("networkidle")
        held: list[Any] = []
        page.route(
            re.compile(r"/api/v1/projects/\d+/environments/$"), lambda route: held.append(route)
        )
        page.reload()
        expect(page.locator(".req-name")).to_have_value("Ticker")
        page.wait_for_timeout(300)  # the editor is built while the list is still on its way
        assert len(held) == 1
        held[0].continue_()
        expect(page.locator("#req-env option")).to_have_count(2)
        expect(page.locator("#req-env")).to_have_value(str(staging.pk))
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        expect(page.locator(".log-row.in").first).to_contain_text('"hello": "k1"')
    session = DebugSession.objects.get(endpoint=endpoint)
    assert session.environment_id == staging.pk
    assert console.problems == [], console.problems


def test_the_composer_starts_in_text_and_remembers_the_format(
    make_user: Any, server: str, upstream: str
) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Composer")
    endpoint_create(project=project, actor=ada, data={"name": "Quotes", "url": upstream})
    console = Console()
    with browsing(ada, server, console) as page:
        # A blank request: plain text is sent as it is.
        page.goto(f"{server}/projects/{project.pk}/new/")
        expect(page.locator("#composer-format")).to_have_value("text")
        page.fill("#req-url", upstream)
        page.click("#tab-headers")
        page.get_by_label("New header name").fill("X-Api-Key")
        page.locator('[data-field="headers[0].value"]').fill("k1")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.fill("#composer", "hello there")
        page.click("#send")
        expect(page.locator(".log-row.in").last).to_contain_text("hello there")

        # Save as endpoint keeps what is in the composer.
        page.select_option("#composer-format", "hex")
        page.fill("#composer", "ca fe")
        page.click("#save")
        page.fill("#save-name", "Echo")
        page.click("#save-new-confirm")
        expect(page).to_have_url(re.compile(r"/endpoints/\d+/$"))
        expect(page.locator(".req-name")).to_have_value("Echo")
        expect(page.locator("#composer-format")).to_have_value("hex")
        expect(page.locator("#composer")).to_have_value("ca fe")
        expect(page.locator(".log-row.in").last).to_contain_text("hello there")  # replayed

        # An endpoint starts in Text, and remembers the format last used with it.
        page.locator("#tree").get_by_role("link", name=re.compile("Quotes")).click()
        expect(page.locator(".req-name")).to_have_value("Quotes")
        expect(page.locator("#composer-format")).to_have_value("text")
        page.select_option("#composer-format", "base64")
        page.locator(".project-title").click()
        expect(page.locator("#home-title")).to_have_text("Composer")
        page.locator("#tree").get_by_role("link", name=re.compile("Quotes")).click()
        expect(page.locator(".req-name")).to_have_value("Quotes")
        expect(page.locator("#composer-format")).to_have_value("base64")
    assert console.problems == []


def test_the_hexdump_fits_the_detail_pane_at_1440_px(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    session = make_closed_session(
        ada, project="Bytes", endpoint="Frames", url="ws://127.0.0.1:9/frames"
    )
    project, endpoint = session.project, session.endpoint
    assert endpoint is not None  # make_closed_session opens it from an endpoint
    at = timezone.now() - timedelta(seconds=5)
    log_entry(session, 1, at, bytes(range(64))).save()
    console = Console()
    with browsing(ada, server, console, viewport={"width": 1440, "height": 900}) as page:
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.locator(".log-row.in").first.click()
        dump = page.locator(".detail-pre.view-hexdump")
        expect(dump).to_contain_text("|0123456789:;<=>?|")
        hidden = dump.evaluate("pre => pre.scrollWidth - pre.clientWidth")
        assert hidden <= 0, f"the hexdump is cut off by {hidden}px"
    assert console.problems == []


def test_project_descriptions_are_rendered_markdown(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(
        actor=ada, name="Markets", description="Live **prices** <script>alert(1)</script>"
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/")
        card = page.locator(".project-card")
        expect(card.locator("strong")).to_have_text("prices")
        expect(card).not_to_contain_text("**")
        page.goto(f"{server}/projects/{project.pk}/")
        lead = page.locator(".home .lead")
        expect(lead.locator("strong")).to_have_text("prices")
        expect(lead).not_to_contain_text("**")
        assert page.locator(".home script").count() == 0
    assert console.problems == []


def test_the_home_page_shows_a_changed_description_without_a_reload(
    make_user: Any, server: str
) -> None:
    """Saved on Members, or by a teammate while the home page is open: the home page renders
    the new Markdown at once."""
    expect = _expect()
    ada, bob = make_user("ada"), make_user("bob")
    project = project_create(actor=ada, name="Markets", description="Old words")
    member_add(project=project, user_ref=bob.pk, role="admin", actor=ada)
    bob_api = teammate(server, token_create(user=bob, name="script")[1])
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        lead = page.locator(".home .lead")
        expect(lead).to_have_text("Old words")
        page.get_by_role("link", name="Members").click()
        page.fill("#project-description-edit", "Now with **bold** words")
        page.get_by_role("button", name="Save project").click()
        expect(page.locator(".toast")).to_contain_text("Project saved")
        page.locator(".project-title").click()
        expect(lead.locator("strong")).to_have_text("bold")

        expect(page.locator("#live-status")).to_have_class(re.compile("live"))
        bob_api("PATCH", f"/projects/{project.pk}/", {"description": "A teammate's *new* text"})
        expect(lead.locator("em")).to_have_text("new")
        expect(lead).not_to_contain_text("bold")
    assert console.problems == []


# Both ways to connect: the URL field keeps focus after Enter, the button after a click.
CONNECT_BY = {
    "enter-in-url": lambda page: page.locator("#req-url").press("Enter"),
    "connect-button": lambda page: page.click("#connect"),
}


@pytest.mark.parametrize("connect", CONNECT_BY)
def test_keys_typed_while_connecting_reach_the_composer(
    make_user: Any, server: str, upstream: str, connect: str
) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Focus")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={"name": "Quotes", "url": upstream, "headers": [KEY_HEADER]},
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        held: list[Any] = []
        page.route(re.compile(r"/api/v1/sessions/\d+/connect/$"), lambda route: held.append(route))
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-idle"))
        with page.expect_request(re.compile(r"/connect/$")):
            CONNECT_BY[connect](page)
        page.keyboard.type("ping")  # the connect request has not answered yet
        assert len(held) == 1
        held[0].continue_()
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        expect(page.locator("#composer")).to_have_value("ping")
        expect(page.locator("#req-url")).to_have_value(upstream)
    assert console.problems == []


def test_a_phone_shows_the_whole_name_and_docs_preview(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Phone")
    endpoint = endpoint_create(
        project=project, actor=ada, data={"name": "Ticker stream", "url": "wss://x.example/"}
    )
    console = Console()
    phone = {"width": 390, "height": 844}
    with browsing(ada, server, console, viewport=phone) as page:
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        name = page.locator(".req-name")
        expect(name).to_have_value("Ticker stream")
        clipped = name.evaluate("input => input.scrollWidth - input.clientWidth")
        assert clipped <= 0, f"the endpoint name is clipped by {clipped}px"
        docs = page.locator(".topnav").get_by_role("link", name="Docs preview")
        box = docs.bounding_box()
        nav = page.locator(".topnav").bounding_box()
        assert box["x"] >= nav["x"] and box["x"] + box["width"] <= nav["x"] + nav["width"] + 0.5
        assert box["x"] + box["width"] <= phone["width"]
    assert console.problems == []


def test_a_folder_created_during_a_search_is_shown(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Search")
    endpoint_create(project=project, actor=ada, data={"name": "Ticker", "url": ""})
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        tree = page.locator("#tree")
        expect(tree.get_by_role("link", name=re.compile("Ticker"))).to_be_visible()
        page.fill("#tree-search", "tick")
        expect(page.locator("#tree-summary")).to_have_text("1 of 1 endpoint match")
        page.click("#new-folder")
        page.fill("#folder-name", "Archive")
        page.click("#folder-create")
        expect(tree.get_by_role("button", name=re.compile("^Archive"))).to_be_visible()
    assert console.problems == []
