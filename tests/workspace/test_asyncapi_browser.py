"""AsyncAPI in the workspace, in Debian's Chromium against Daphne: an editor imports a document
into a folder from the folder's menu (a dry run lists what it would make and what has no place
here; nothing is written until Import), then downloads the project's export from the sidebar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from endpoints.models import Endpoint
from endpoints.projects.services import project_create
from endpoints.tree.services import folder_create
from tests.asyncapi_parser import assert_valid_asyncapi
from tests.browser import Console, shot
from tests.endpoints.asyncapi.test_import import DOCUMENTS
from tests.workspace.test_browser import _all_labelled
from tests.workspace.test_browser_fixes import _expect, browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_import_with_a_dry_run_then_export(make_user: Any, server: str) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Feeds")
    folder = folder_create(project=project, actor=ada, name="Streams")
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        page.locator("#tree").get_by_role("button", name="Actions for folder Streams").click()
        page.get_by_role("menuitem", name="Import AsyncAPI here…").click()
        dialog = page.locator("dialog[open]")
        expect(dialog.locator("h2")).to_have_text("Import AsyncAPI")
        expect(dialog.locator("#asyncapi-folder")).to_have_value(str(folder.pk))
        _all_labelled(page)
        dialog.locator("#asyncapi-file").set_input_files(str(DOCUMENTS / "chat.yaml"))
        dialog.locator("#asyncapi-check").click()
        plan = dialog.locator("#asyncapi-plan")
        expect(plan.locator(".asyncapi-summary")).to_have_text("AsyncAPI 3.0.0 · Create: 4")
        expect(plan.locator("tbody tr")).to_have_count(4)
        expect(plan.locator(".asyncapi-unsupported")).to_contain_text("/servers/chat/security/0")
        shot(page, "workspace", "asyncapi-dry-run")
        assert not Endpoint.objects.filter(project=project).exists()

        dialog.locator("#asyncapi-import").click()
        expect(page.locator("dialog[open]")).to_have_count(0)
        tree = page.locator("#tree")
        expect(tree.get_by_role("link", name="Room")).to_be_visible()
        assert set(
            Endpoint.objects.filter(project=project).values_list("folder_id", flat=True)
        ) == {folder.pk}

        page.click("#asyncapi-menu")
        with page.expect_download() as info:
            page.get_by_role("menuitem", name="Export project as AsyncAPI (YAML)").click()
        download = info.value
        assert download.suggested_filename == "Feeds-asyncapi.yaml"
        text = Path(download.path()).read_text()
    assert console.problems == [], console.problems
    assert_valid_asyncapi(text)
    document = yaml.safe_load(text)
    assert [c["title"] for c in document["channels"].values()] == ["Room", "Presence", "Typing"]
    assert document["channels"]["room"]["x-switchboard-folder"] == ["Streams"]
