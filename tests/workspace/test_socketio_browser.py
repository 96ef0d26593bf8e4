"""Socket.IO in the workspace, in a real Chromium against Daphne: an endpoint created as
Socket.IO, its settings and documented events edited (errors on the field the API names), and
debug sessions against real servers in processes of their own — python-socketio
(tests/core/socketio/python_server.py): connect, emit with and without an ack, a documented
event from its chip, a broadcast with a binary attachment, the log's event filter and
heartbeat toggle, an ack's link to its emit, the detail with the arguments and raw packets,
connect_error for a refused namespace; Node's socket.io 4 (tests/node/socketio_server.js): an
ack timeout linked to its emit, a v2 client refused with the version to choose, a blank
request into /chat with an auth payload saved as an endpoint; and a
server that asks for an ack (tests/workspace/sio_question_server.py), answered from the detail.

Screenshots go to ``test-artifacts/workspace-socketio/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from endpoints.models import Endpoint
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create
from tests.browser import PHONE, Console, no_sideways_scroll, shot
from tests.workspace.test_browser import (
    _all_labelled,
    _clean,
    _logged_in,
    _session_cookie,
    chromium_open,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
FOLDER = "workspace-socketio"


def _serve(command: list[str]) -> Iterator[str]:
    """A Socket.IO server in a process of its own; its base URL (http://127.0.0.1:<port>/)."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("port "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}/"
    finally:
        process.kill()
        process.wait(10)


@pytest.fixture
def sio_server() -> Iterator[str]:
    """python-socketio (tests/core/socketio/python_server.py)."""
    yield from _serve(
        [sys.executable, str(ROOT / "tests" / "core" / "socketio" / "python_server.py")]
    )


@pytest.fixture
def question_server() -> Iterator[str]:
    """A server that asks for an ack on connect (tests/workspace/sio_question_server.py)."""
    yield from _serve([sys.executable, str(Path(__file__).with_name("sio_question_server.py"))])


@pytest.fixture
def node_server() -> Iterator[str]:
    """Node's socket.io 4 (tests/node/socketio_server.js): "shout" takes no ack."""
    yield from _serve(["node", str(ROOT / "tests" / "node" / "socketio_server.js"), "4"])


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
        # What the emit composer holds becomes a documented event in one click.
        page.fill("#emit-event", "leave")
        page.locator("#emit-args").fill('["lobby"]')
        page.get_by_role("button", name="Add the composer's message").click()
        expect(page.get_by_label("Message 2 event name")).to_have_value("leave")
        expect(page.get_by_label("Message 2 example 1 body")).to_have_value('["lobby"]')
        _all_labelled(page)
        shot(page, FOLDER, "02-documented-event")

        # On a phone the emit composer and the Socket.IO tab fit the width.
        phone = chromium.new_context(**PHONE)
        phone.add_cookies([_session_cookie(ada, server)])
        small = phone.new_page()
        console.watch(small)
        small.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        small.click("#tab-socketio")
        expect(small.locator("#emit-event")).to_be_visible()
        no_sideways_scroll(small)
        shot(small, FOLDER, "02-phone", full_page=True)
        phone.close()

        # Back to WebSocket: the Socket.IO tab goes, the message card has a format again.
        page.select_option("#req-protocol", "websocket")
        expect(page.locator("#tab-socketio")).to_be_hidden()
        expect(page.get_by_label("Message 1 format")).to_be_visible()
        context.close()
    assert console.problems == []


def _emit(page: Any, event: str, args: str, *, ack: bool) -> None:
    page.fill("#emit-event", event)
    page.locator("#emit-args").fill(args)
    page.locator("#emit-ack").set_checked(ack)
    page.click("#emit")


def test_a_socketio_debug_session_against_python_socketio(
    make_user: Any, server: str, sio_server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={
            "name": "Room",
            "protocol": "socketio",
            "url": sio_server,
            "messages": [
                {
                    "name": "echo",
                    "direction": "send",
                    "examples": [{"name": "Hi", "body": '["hi", {"n": 1}]'}],
                    "ack_schema": {"type": "array"},
                }
            ],
        },
    )
    refused = endpoint_create(
        project=project,
        actor=ada,
        data={
            "name": "Private",
            "protocol": "socketio",
            "url": sio_server,
            "socketio": {"namespace": "/chat"},
        },
    )
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        expect(page.locator(".emit-composer")).to_be_visible()
        expect(page.locator("#composer")).to_be_hidden()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        rows = page.locator(".log-row")
        # The client's CONNECT and the server's answer; then the server's welcome.
        connects = rows.filter(has=page.get_by_text("connect", exact=True))
        expect(connects).to_have_count(2)
        expect(
            page.locator(".log-row.in", has=page.get_by_text("connect", exact=True))
        ).to_have_count(1)
        shot(page, FOLDER, "03-connected", full_page=False)
        expect(page.locator(".log-row .log-event", has_text="welcome")).to_have_count(1)

        # Arguments that are not an array are caught before anything is sent.
        _emit(page, "echo", '{"text": "hi"}', ack=True)
        expect(page.locator("#emit-args")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("#emit-args-error")).to_contain_text("JSON array")
        expect(page.locator(".log-row .log-event", has_text="echo")).to_have_count(0)
        # While they do not parse, typing the event name stays in that field.
        page.locator("#emit-args").fill('["hi", ')
        page.locator("#emit-event").press_sequentially("!")
        expect(page.locator("#emit-event")).to_be_focused()
        expect(page.locator("#emit-args-error")).to_contain_text("line 1")

        # With an ack: the ack row links to its emit; the link selects the emit.
        _emit(page, "echo", '["hi", {"n": 1}]', ack=True)
        ack_row = rows.filter(has=page.get_by_text("ack", exact=True))
        expect(ack_row).to_have_count(1)
        expect(ack_row).to_contain_text('["hi",{"n":1}]')
        expect(page.locator(".emit-result")).to_contain_text("acknowledged")
        ack_row.locator(".log-goto").click()
        expect(page.locator(".log-row.selected .log-event")).to_have_text("echo")
        expect(page.locator("#detail-title")).to_contain_text("Event echo")
        expect(page.locator(".sio-args")).to_contain_text('"n": 1')
        shot(page, FOLDER, "03-ack-linked-to-emit", full_page=False)

        # A binary argument goes as an attachment; the ack echoes it back as one.
        _emit(page, "echo", '["pic", {"$binary": "AQID/w=="}]', ack=True)
        sent = page.locator(".log-row.out", has=page.locator(".log-event", has_text="echo"))
        expect(sent.last).to_contain_text("+1 bin")
        expect(page.locator(".emit-result")).to_contain_text("acknowledged")
        expect(ack_row.last).to_contain_text("<binary #0>")

        # Without an ack: a broadcast comes back with a binary attachment.
        _emit(page, "shout", '["hello"]', ack=False)
        news = rows.filter(has=page.locator(".log-event", has_text="news"))
        expect(news).to_have_count(1)
        expect(news).to_contain_text("<binary #0>")
        # Three binary frames so far: the emit's, its ack's and the broadcast's.
        expect(rows.filter(has=page.get_by_text("attachment", exact=True))).to_have_count(3)

        # The event filter keeps the event and its attachment.
        page.fill("#log-event", "news")
        expect(rows).to_have_count(2)
        news.click()
        expect(page.locator("#detail-title")).to_contain_text("Event news")
        expect(page.locator(".sio-args")).to_contain_text('"text": "hello"')
        expect(page.locator(".sio-packet")).to_contain_text("news")
        expect(page.locator(".sio-attachment pre")).to_contain_text("01 02 03 ff")
        shot(page, FOLDER, "04-binary-detail", full_page=False)
        page.fill("#log-event", "")

        # Heartbeats come every second; the toggle hides them.
        beats = page.locator(".log-row .sio-beat")
        expect(beats.first).to_be_visible(timeout=10000)
        page.locator("#log-heartbeats").uncheck()
        expect(beats).to_have_count(0)
        # Hidden heartbeats stay hidden after a reload (the connection stays open).
        page.reload()
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        expect(page.locator(".log-row .log-event", has_text="welcome")).to_have_count(1)
        expect(page.locator("#log-heartbeats")).not_to_be_checked()
        expect(beats).to_have_count(0)
        page.locator("#log-heartbeats").check()
        expect(beats.first).to_be_visible()
        # A documented event from its chip: emitted by id, recognised as that message.
        page.get_by_role("button", name="Emit echo now").click()
        # Filtered to the event, the log fits in view: three emits, two acks, two attachments.
        page.fill("#log-event", "echo")
        expect(rows).to_have_count(7)
        echoes = page.locator(".log-row.out", has=page.locator(".log-event", has_text="echo"))
        expect(echoes).to_have_count(3)
        expect(echoes.last.locator(".log-msg")).to_have_text("echo")
        _all_labelled(page)
        # Disconnect, and let its answer arrive before the page moves on.
        with page.expect_response(lambda response: "/disconnect/" in response.url):
            page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))

        # A namespace the server refuses: connect_error with its reason.
        page.goto(f"{server}/projects/{project.pk}/endpoints/{refused.pk}/")
        console.allowed = {502}
        page.click("#connect")
        refusal = rows.filter(has=page.get_by_text("connect_error", exact=True))
        expect(refusal).to_contain_text("not authorized")
        expect(page.locator(".connect-error")).to_contain_text("not authorized")
        shot(page, FOLDER, "05-connect-error", full_page=False)
        context.close()
    assert console.problems == []


def test_an_ack_that_never_comes_and_the_wrong_version_against_node_socketio(
    make_user: Any, server: str, node_server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={"name": "Node", "protocol": "socketio", "url": node_server},
    )
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.locator("#emit-ack").check()
        page.fill("#emit-ack-timeout", "0.5")
        _emit(page, "shout", '["anyone?"]', ack=True)
        timeout = page.locator(".log-row", has=page.get_by_text("ack timeout", exact=True))
        expect(timeout).to_contain_text("No ack for shout within 0.5 s")
        expect(page.locator(".emit-result")).to_contain_text("no ack within 0.5 s")
        # Its link goes to the emit that waited.
        timeout.locator(".log-goto").click()
        expect(page.locator(".log-row.selected .log-event")).to_have_text("shout")
        shot(page, FOLDER, "06-ack-timeout", full_page=False)
        # Disconnect, and let its answer arrive before the page moves on.
        with page.expect_response(lambda response: "/disconnect/" in response.url):
            page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))

        # A v2 client against a v4 server: the connect fails saying which version to pick.
        page.click("#tab-socketio")
        page.select_option("#sio-version", "v2")
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        console.allowed = {502}
        page.click("#connect")
        expect(page.locator(".connect-error")).to_contain_text("v4")
        shot(page, FOLDER, "07-wrong-version", full_page=False)
        context.close()
    assert console.problems == []


def test_answering_the_ack_a_server_asks_for(
    make_user: Any, server: str, question_server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={"name": "Quiz", "protocol": "socketio", "url": question_server},
    )
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#connect")
        question = page.locator(".log-row.in", has=page.locator(".log-event", has_text="question"))
        expect(question.locator(".log-ackid")).to_have_text(re.compile(r"^ack \d+$"))
        question.click()
        page.click("#sio-answer")
        expect(page.locator(".emit-answering")).to_contain_text(
            re.compile(r'Answering ack \d+ of "question"')
        )
        expect(page.locator("#emit-event")).to_be_disabled()
        page.locator("#emit-args").fill('["yes", 42]')
        page.click("#emit")
        # The ack went out, and the server says what it got.
        expect(page.locator(".emit-answering")).to_be_hidden()
        expect(page.locator(".emit-result")).to_contain_text(
            re.compile(r"^Answered ack \d+ · #\d+$")
        )
        expect(page.locator("#emit-event")).not_to_have_attribute("aria-invalid", "true")
        answered = page.locator(".log-row", has=page.locator(".log-event", has_text="answered"))
        expect(answered).to_contain_text('[["yes",42]]')
        expect(page.locator(".log-row.out", has=page.get_by_text("ack", exact=True))).to_have_count(
            1
        )
        shot(page, FOLDER, "08-answered-ack", full_page=False)
        context.close()
    assert console.problems == []


def test_a_blank_socketio_request_is_debugged_then_saved_as_an_endpoint(
    make_user: Any, server: str, node_server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/new/")
        page.select_option("#req-protocol", "socketio")
        expect(page.locator(".emit-composer")).to_be_visible()
        page.fill("#req-url", node_server)
        page.click("#tab-socketio")
        page.fill("#sio-namespace", "/chat")
        page.fill("#sio-auth", '{"token": "letmein"}')
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        connected = page.locator(".log-row.in", has=page.get_by_text("connect", exact=True))
        expect(connected).to_contain_text("/chat connected")
        # Emitted into the endpoint's namespace unless another is named.
        _emit(page, "echo", '["hi"]', ack=True)
        acked = page.locator(".log-row", has=page.get_by_text("ack", exact=True))
        expect(acked).to_contain_text('["hi"]')
        page.click("#save")
        page.fill("#save-name", "Private chat")
        page.click("#save-new-confirm")
        expect(page).to_have_url(re.compile(r"/endpoints/\d+/$"))
        expect(page.locator(".tree-endpoint .proto-mark")).to_have_text("SIO")
        expect(acked).to_have_count(1)
        saved = Endpoint.objects.get(project=project, name="Private chat")
        assert (saved.protocol, saved.socketio["namespace"]) == ("socketio", "/chat")
        assert saved.socketio["auth"] == '{"token": "letmein"}'
        context.close()
    assert console.problems == []


@pytest.fixture
def node2_server() -> Iterator[str]:
    """Node's socket.io 2 (tests/node/socketio_server.js): /chat admits ?token=letmein."""
    yield from _serve(["node", str(ROOT / "tests" / "node" / "socketio_server.js"), "2"])


def test_a_socketio_v2_session_against_node_socketio_2(
    make_user: Any, server: str, node2_server: str
) -> None:
    expect = pytest.importorskip("playwright.sync_api").expect
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Chat")
    endpoint = endpoint_create(
        project=project,
        actor=ada,
        data={
            "name": "Legacy room",
            "protocol": "socketio",
            "url": node2_server,
            "params": [{"name": "token", "value": "letmein"}],
            "socketio": {"version": "v2", "namespace": "/chat"},
        },
    )
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        rows = page.locator(".log-row")
        # Socket.IO 2 connects "/" by itself, then /chat on request: two welcomes.
        expect(page.locator(".log-row .log-event", has_text="welcome")).to_have_count(2)
        _emit(page, "echo", '["old", {"n": 2}]', ack=True)
        ack_row = rows.filter(has=page.get_by_text("ack", exact=True))
        expect(ack_row).to_have_count(1)
        expect(ack_row).to_contain_text('["old",{"n":2}]')
        _emit(page, "shout", '["hello v2"]', ack=False)
        news = rows.filter(has=page.locator(".log-event", has_text="news"))
        expect(news).to_have_count(1)
        expect(news).to_contain_text("<binary #0>")
        news.click()
        expect(page.locator(".sio-args")).to_contain_text('"text": "hello v2"')
        # Engine.IO 3 binary frames carry their message type (04) first.
        expect(page.locator(".sio-attachment pre")).to_contain_text("04 01 02 03 ff")
        shot(page, FOLDER, "08-socketio-v2", full_page=False)
        # The server disconnects the namespace: logged, and the session ends.
        _emit(page, "bye", "[]", ack=False)
        expect(rows.filter(has=page.get_by_text("disconnect", exact=True))).to_have_count(1)
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))
        context.close()
    assert console.problems == []
