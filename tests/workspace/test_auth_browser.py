"""The Auth tab and the Auth & certificates page in Debian's Chromium against Daphne, with an
upstream on loopback that wants an API key header: a folder's Auth tab set from the tree's menu
makes its endpoint connect; the endpoint's own tab overrides it; the project's tab and the
client certificates page as an admin sees them, and an upload the server refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from endpoints.models import Folder
from endpoints.projects.services import member_add, project_create
from endpoints.tree.services import endpoint_create, folder_create
from sessions.models import ClientCertificate
from tests.browser import Console
from tests.sessions.upstreams import issue, make_ca
from tests.workspace.test_browser_fixes import _expect, browsing

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_folder_auth_tab_from_the_tree_menu_is_inherited_and_overridable(
    make_user: Any, server: str, upstream: str
) -> None:
    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Keys")
    folder = folder_create(project=project, actor=ada, name="Private")
    endpoint = endpoint_create(
        project=project, actor=ada, data={"name": "Ticker", "url": upstream, "folder": folder.pk}
    )
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        page.locator("#tree").get_by_role("button", name="Actions for folder Private").click()
        page.get_by_role("menuitem", name="Auth…").click()
        page.select_option("#dialog-auth-type", "api_key")
        page.fill("#dialog-auth-name", "X-Api-Key")
        page.fill("#dialog-auth-value", "k2")
        page.click("#auth-save")
        expect(page.locator("dialog[open]")).to_have_count(0)

        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#tab-auth")
        expect(page.locator("#auth-type")).to_have_value("inherit")
        expect(page.locator("#panel-auth .panel-hint")).to_have_text(
            'Inherits: API key in the header (X-Api-Key), from folder "Private".'
        )
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        # The upstream greets with the key it got: a credential, masked in the log.
        expect(page.locator(".log-row.in").first).to_contain_text('"hello": "••••"')
        page.click("#connect")  # disconnects
        expect(page.locator(".conn-pill")).not_to_have_class(re.compile("st-open"))

        # The endpoint's own tab wins: no auth, and the upstream says 401.
        page.select_option("#auth-type", "none")
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        console.allowed = {502}  # the connect call answers connect_failed
        page.click("#connect")
        expect(page.locator(".log-row").last).to_contain_text("401")
    assert Folder.objects.get(pk=folder.pk).auth == {
        "type": "api_key",
        "name": "X-Api-Key",
        "value": "k2",
        "in": "header",
    }
    assert console.problems == [], console.problems


def test_the_auth_and_certificates_page(make_user: Any, server: str) -> None:
    expect = _expect()
    ada, vic = make_user("ada"), make_user("vic")
    project = project_create(actor=ada, name="Mutual")
    member_add(project=project, user_ref=vic.pk, role="viewer")
    issued = issue(make_ca("Team CA"), "ci-bot")
    other = issue(make_ca("Team CA"), "someone-else")
    console = Console()
    with browsing(ada, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/")
        page.locator(".topnav").get_by_role("link", name="Auth").click()
        expect(page.locator("#project-auth-summary")).to_have_text("No auth")
        page.click("#project-auth-edit")
        page.select_option("#dialog-auth-type", "bearer")
        page.fill("#dialog-auth-token", "proj-token")
        page.click("#auth-save")
        expect(page.locator("#project-auth-summary")).to_have_text("Bearer token")

        page.fill("#cert-pattern", "*.example.com")
        page.fill("#cert-pem", issued.cert_pem)
        page.fill("#cert-key", other.key_pem)
        console.allowed = {400}  # the upload the server refuses
        page.click("#certificate-add")
        expect(page.locator("#certificate-form .form-error").first).to_contain_text(
            "does not match"
        )
        assert not ClientCertificate.objects.exists()
        page.fill("#cert-key", issued.key_pem)
        page.click("#certificate-add")
        expect(page.locator("#certificates tbody tr")).to_have_count(1)
        expect(page.locator("#certificates")).to_contain_text("CN=ci-bot")
        expect(page.locator("#certificates")).to_contain_text("*.example.com")
        # The form was cleared; nothing of the key is on the page.
        assert issued.key_pem.splitlines()[1] not in page.content()
    with browsing(vic, server, console) as page:
        page.goto(f"{server}/projects/{project.pk}/certificates/")
        expect(page.locator("#certificates")).to_contain_text("CN=ci-bot")
        expect(page.locator("#certificate-form")).to_have_count(0)
        expect(page.locator("#project-auth-edit")).to_have_count(0)
        expect(page.locator("#project-auth-summary")).to_have_text("Bearer token")
    assert console.problems == [], console.problems


def test_the_connection_record_names_the_client_certificate(
    make_user: Any, server: str, tmp_path: Any
) -> None:
    """A wss:// upstream that requires a client certificate: the workspace connects with the
    project's certificate, and the status line's record says which one was presented."""
    from sessions.certificate_services import client_certificate_create
    from sessions.models import ProjectCABundle
    from tests.sessions.upstreams import LoopThread, WebsocketsUpstream, mutual_tls_context

    expect = _expect()
    ada = make_user("ada")
    project = project_create(actor=ada, name="Mutual TLS")
    server_ca, client_ca = make_ca("Server CA"), make_ca("Client CA")
    runner = LoopThread()
    upstream = WebsocketsUpstream(
        runner,
        ssl_context=mutual_tls_context(
            issue(server_ca, "localhost", hosts=("localhost", "127.0.0.1")), client_ca, tmp_path
        ),
    ).start()
    try:
        ProjectCABundle.objects.create(project=project, pem=server_ca.cert_pem)
        client = issue(client_ca, "workspace-client")
        client_certificate_create(
            project=project,
            actor=ada,
            host_pattern="localhost",
            certificate=client.cert_pem,
            private_key=client.key_pem,
        )
        endpoint = endpoint_create(
            project=project,
            actor=ada,
            data={"name": "Secure", "url": upstream.url("/echo", host="localhost")},
        )
        console = Console()
        with browsing(ada, server, console) as page:
            page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
            page.click("#connect")
            expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
            page.locator(".log-row", has_text="Connected").first.click()
            expect(page.locator(".record")).to_contain_text("CN=workspace-client")
            expect(page.locator(".record")).to_contain_text("Client certificate")
        assert console.problems == [], console.problems
    finally:
        upstream.stop()
        runner.stop()
