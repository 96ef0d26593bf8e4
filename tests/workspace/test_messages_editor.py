"""The Messages tab in a real Chromium against Daphne: documenting an endpoint's messages
(direction, match rule, reply_to, a project schema picked, a generated schema, examples), what
a refused save shows and stores (nothing), and sending documented examples through the live
socket: by id and example, with a contract warning, and refused by a strict endpoint.

Screenshots go to ``test-artifacts/workspace-messages/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from endpoints.models import Endpoint, ProjectSchema, Role
from endpoints.projects.services import member_add, project_create
from endpoints.tree.services import endpoint_create
from sessions.models import DebugSession, Event
from tests.browser import Console, no_sideways_scroll, shot
from tests.factories import ERROR_SCHEMA, ticker_messages
from tests.workspace.test_browser import (
    _all_labelled,
    _clean,
    _logged_in,
    chromium_open,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

KEY = [{"name": "X-Api-Key", "value": "k1", "enabled": True, "description": ""}]
BTC = '{"op": "subscribe", "symbols": ["BTC-USD"]}'
ETH = '{"op": "subscribe", "symbols": ["ETH-USD"]}'


def _stored(endpoint: Endpoint) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "direction": m.direction,
            "format": m.format,
            "schema": m.schema,
            "examples": m.examples,
            "reply_to": m.reply_to,
            "match": m.match,
        }
        for m in endpoint.messages.order_by("position", "id")
    ]


def test_documenting_an_endpoint_in_the_editor(make_user: Any, server: str, upstream: str) -> None:
    """A send message with a path rule, a generated schema and two examples, and a receive
    message answering it with a project schema picked; a schema that is not JSON and an example
    that breaks the schema are shown where they are, and store nothing; a viewer reads only."""
    from playwright.sync_api import expect

    _clean("workspace-messages")
    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    eve = make_user("eve", first_name="Eve", last_name="Moneypenny")
    project = project_create(actor=ada, name="Market feeds")
    member_add(project=project, user_ref="eve", role=Role.VIEWER, actor=ada)
    ProjectSchema.objects.create(project=project, name="Error", schema=ERROR_SCHEMA)
    endpoint = endpoint_create(
        project=project, actor=ada, data={"name": "Ticker", "url": upstream, "headers": KEY}
    )
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#tab-messages")
        expect(page.locator(".msg-group.dir-send")).to_contain_text("No send messages.")

        # The request the client sends: a JSON path rule and two examples.
        page.get_by_role("button", name="Add send message").click()
        page.get_by_label("Message 1 name").fill("subscribe")
        page.get_by_label("Message 1 match rule").select_option("path")
        page.get_by_label("Message 1 match path").fill("$.op")
        page.get_by_label("Message 1 match value (JSON)").fill("subscribe")
        expect(page.locator(".msg-match .field-hint")).to_contain_text("Text goes in quotes")
        page.get_by_label("Message 1 match value (JSON)").fill('"subscribe"')
        page.get_by_label("Message 1 example 1 name").fill("BTC")
        page.get_by_label("Message 1 example 1 body").fill(BTC)
        page.locator(".msg-card").first.get_by_role("button", name="Add example").click()
        page.get_by_label("Message 1 example 2 name").fill("ETH")
        page.get_by_label("Message 1 example 2 body").fill(ETH)

        # A schema typed wrong is named by line and column, here and when saving.
        schema = page.get_by_label("Message 1 schema (JSON Schema)")
        schema.fill('{\n  "type": "object",\n  "required" ["op"]\n}')
        expect(page.locator(".msg-schema-field .field-hint")).to_contain_text(
            "Invalid JSON at line 3"
        )
        page.click("#save")
        expect(page.locator('[data-field="messages[0].schema"]')).to_have_attribute(
            "aria-invalid", "true"
        )
        assert not endpoint.messages.exists()
        page.get_by_role("button", name="Generate from example").click()
        expect(schema).to_have_value(re.compile(r'"\$schema"'))
        generated = json.loads(schema.input_value())
        assert generated["properties"]["symbols"]["type"] == "array"

        # The server's answer to it, with a project schema picked.
        page.get_by_role("button", name="Add receive message").click()
        page.get_by_label("Message 2 name").fill("error")
        page.get_by_label("Message 2 replies to").select_option("subscribe")
        page.get_by_label("Message 2 match rule").select_option("path")
        page.get_by_label("Message 2 match path").fill("/type")
        page.get_by_label("Message 2 match value (JSON)").fill('"error"')
        page.get_by_label("Message 2: refer to a project schema").select_option("Error")
        expect(page.get_by_label("Message 2 schema (JSON Schema)")).to_have_value(
            re.compile(r"#/components/schemas/Error")
        )
        page.get_by_label("Message 2 example 1 name").fill("Unknown")
        page.get_by_label("Message 2 example 1 body").fill('{"type": "error", "message": "no"}')
        page.get_by_label("Strict", exact=True).check()
        _all_labelled(page)
        shot(page, "workspace-messages", "01-documented", full_page=True)

        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        endpoint.refresh_from_db()
        assert endpoint.strict is True
        assert _stored(endpoint) == [
            {
                "name": "subscribe",
                "direction": "send",
                "format": "json",
                "schema": generated,
                "examples": [{"name": "BTC", "body": BTC}, {"name": "ETH", "body": ETH}],
                "reply_to": "",
                "match": {"kind": "path", "path": "$.op", "value": "subscribe"},
            },
            {
                "name": "error",
                "direction": "receive",
                "format": "json",
                "schema": {"$ref": "#/components/schemas/Error"},
                "examples": [{"name": "Unknown", "body": '{"type": "error", "message": "no"}'}],
                "reply_to": "subscribe",
                "match": {"kind": "path", "path": "/type", "value": "error"},
            },
        ]
        # The composer offers the send message, with a pick of its examples.
        expect(page.locator(".saved-chips .chip-msg")).to_have_count(1)
        page.get_by_role("button", name="Examples of subscribe").click()
        page.get_by_role("menuitem", name='Use "ETH"').click()
        expect(page.locator("#composer")).to_have_value(ETH)
        expect(page.locator(".composer-doc")).to_have_text("subscribe · ETH")

        # An example that breaks the schema: the API's error is shown at that body, in a card
        # opened for it, and nothing is stored.
        page.get_by_label("Message 1 example 1 body").fill('{"op": 5, "symbols": ["BTC-USD"]}')
        page.get_by_role("button", name="Message 1: subscribe").click()
        expect(page.get_by_label("Message 1 example 1 body")).to_be_hidden()
        console.allowed = {400}
        page.click("#save")
        body = page.locator('[data-field="messages[0].examples[0].body"]')
        expect(body).to_be_visible()
        expect(body).to_have_attribute("aria-invalid", "true")
        expect(page.locator(".msg-examples .field-error")).to_contain_text(
            "does not fit the schema"
        )
        assert _stored(endpoint)[0]["examples"][0]["body"] == BTC
        shot(page, "workspace-messages", "02-bad-example", full_page=True)

        # Too large (413, with fields) is shown the same way.
        body.fill(BTC)
        page.get_by_label("Message 1 example 2 body").fill('"' + "x" * 1_000_000 + '"')
        console.allowed = {413}
        page.click("#save")
        expect(page.locator('[data-field="messages[0].examples[1].body"]')).to_have_attribute(
            "aria-invalid", "true"
        )
        expect(page.locator(".msg-examples .field-error")).to_contain_text("1000000")
        console.allowed = set()
        page.get_by_label("Message 1 example 2 body").fill(ETH)
        expect(page.locator(".msg-examples .field-error")).to_have_count(0)

        # Duplicate, move up, save; then remove the copy again.
        page.get_by_role("button", name="Duplicate message 1 (subscribe)").click()
        expect(page.get_by_label("Message 2 name")).to_have_value("subscribe copy")
        page.get_by_role("button", name="Move up message 2 (subscribe copy)").click()
        expect(page.locator(".msg-group.dir-send .msg-title")).to_have_text(
            ["subscribe copy", "subscribe"]
        )
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        assert [m["name"] for m in _stored(endpoint)] == ["subscribe copy", "subscribe", "error"]
        assert _stored(endpoint)[0]["examples"] == _stored(endpoint)[1]["examples"]
        page.get_by_role("button", name="Remove message 1 (subscribe copy)").click()
        page.click("#save")
        expect(page.locator(".dirty-mark")).to_be_hidden()
        assert [m["name"] for m in _stored(endpoint)] == ["subscribe", "error"]
        context.close()

        # A viewer, on a phone, reads the messages and uses them, and changes nothing.
        context, page = _logged_in(chromium, eve, server, console, {"width": 375, "height": 812})
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#tab-messages")
        page.get_by_role("button", name="Message 1: subscribe").click()
        expect(page.get_by_label("Message 1 name")).not_to_be_editable()
        expect(page.get_by_label("Message 1 example 2 body")).not_to_be_editable()
        expect(page.get_by_label("Strict", exact=True)).to_be_disabled()
        expect(page.get_by_role("button", name="Add send message")).to_be_hidden()
        expect(page.get_by_role("button", name="Generate from example")).to_have_count(0)
        page.get_by_role("button", name="Use Message 1 example 2 (ETH)").click()
        expect(page.locator("#composer")).to_have_value(ETH)
        _all_labelled(page)
        no_sideways_scroll(page)
        shot(page, "workspace-messages", "05-viewer-phone", full_page=True)
        context.close()
    assert console.problems == []


def _ticker(project: Any, ada: Any, upstream: str, *, strict: bool) -> Endpoint:
    """The ticker of tests/factories.py, with plain examples (and one whose {{$randomInt}}
    breaks the schema once sent), and a subscribe rule no example meets: only a send by id is
    recognised as subscribe."""
    messages = ticker_messages()
    messages[0]["examples"] = [
        {"name": "BTC", "body": BTC},
        {"name": "ETH", "body": ETH},
        {"name": "Random", "body": '{"op": "subscribe", "symbols": {{$randomInt}}}'},
    ]
    messages[0]["match"] = {"kind": "path", "path": "$.op", "value": "never"}
    ProjectSchema.objects.get_or_create(
        project=project, name="Error", defaults={"schema": ERROR_SCHEMA}
    )
    return endpoint_create(
        project=project,
        actor=ada,
        data={
            "name": "Strict ticker" if strict else "Ticker",
            "url": upstream,
            "headers": KEY,
            "messages": messages,
            "strict": strict,
        },
    )


def _sent(endpoint: Endpoint) -> list[tuple[str, str]]:
    events = Event.objects.filter(session__endpoint=endpoint, direction="out").order_by("seq")
    return [(e.text or "", e.message) for e in events]


def test_sending_documented_examples(make_user: Any, server: str, upstream: str) -> None:
    """Send example 2 from its card, then from the composer after Use: both go by id and are
    logged as the documented message; an edited body goes as typed; an invalid body is sent
    with a warning."""
    from playwright.sync_api import expect

    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Market feeds")
    endpoint = _ticker(project, ada, upstream, strict=False)
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#tab-messages")
        page.get_by_role("button", name="Message 1: subscribe").click()
        send = page.get_by_role("button", name="Send Message 1 example 2 (ETH)")
        expect(send).to_be_disabled()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))

        send.click()
        expect(page.locator(".log-row.out")).to_have_count(1)
        assert _sent(endpoint) == [(ETH, "subscribe")]

        # Use, then Send from the composer: still the documented message, until edited.
        page.get_by_role("button", name="Use Message 1 example 2 (ETH)").click()
        expect(page.locator(".composer-doc")).to_have_text("subscribe · ETH")
        page.click("#send")
        expect(page.locator(".log-row.out")).to_have_count(2)
        page.locator("#composer").fill(ETH + " ")
        expect(page.locator(".composer-doc")).to_be_hidden()
        page.click("#send")
        expect(page.locator(".log-row.out")).to_have_count(3)
        assert [message for _, message in _sent(endpoint)] == ["subscribe", "subscribe", ""]

        # A body that breaks the schema once its variable is filled in: sent, with a warning.
        page.get_by_role("button", name="Send Message 1 example 3 (Random)").click()
        expect(page.locator(".toast-warning")).to_contain_text("violates the schema")
        expect(page.locator(".toast-warning")).to_contain_text("/symbols")
        expect(page.locator(".log-row.out")).to_have_count(4)
        last = Event.objects.filter(session__endpoint=endpoint, direction="out").latest("seq")
        assert (last.message, last.contract) == ("subscribe", "invalid")
        shot(page, "workspace-messages", "03-sent-with-warning")
        context.close()
    assert console.problems == []


def test_a_strict_endpoint_refuses_an_invalid_send(
    make_user: Any, server: str, upstream: str
) -> None:
    """On a strict endpoint an invalid documented example is refused: the composer says it was
    not sent and where the body is wrong, and nothing is sent or logged."""
    from playwright.sync_api import expect

    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Market feeds")
    endpoint = _ticker(project, ada, upstream, strict=True)
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{endpoint.pk}/")
        page.click("#tab-messages")
        expect(page.get_by_label("Strict", exact=True)).to_be_checked()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.get_by_role("button", name="Examples of subscribe").click()
        page.get_by_role("menuitem", name='Send "Random"').click()
        error = page.locator(".composer-error")
        expect(error).to_contain_text("Not sent.")
        expect(error).to_contain_text("strict")
        expect(error.locator("li")).to_contain_text("/symbols")
        shot(page, "workspace-messages", "04-strict-refusal")
        assert _sent(endpoint) == []
        # A valid one still goes.
        page.get_by_role("button", name="Send subscribe now").click()
        expect(page.locator(".log-row.out")).to_have_count(1)
        expect(error).to_be_hidden()
        assert _sent(endpoint) == [(BTC, "subscribe")]
        context.close()
    assert console.problems == []


def test_save_as_a_new_endpoint_keeps_the_documented_messages(
    make_user: Any, server: str, upstream: str
) -> None:
    """ "Save as a new endpoint…" copies every documented field (not only name, format and body)
    and the strict setting; the copies are new messages, the original keeps its own."""
    from playwright.sync_api import expect

    ada = make_user("ada", first_name="Ada", last_name="Lovelace")
    project = project_create(actor=ada, name="Market feeds")
    source = _ticker(project, ada, upstream, strict=True)
    console = Console()
    with chromium_open() as chromium:
        context, page = _logged_in(chromium, ada, server, console)
        page.goto(f"{server}/projects/{project.pk}/endpoints/{source.pk}/")
        page.click("#tab-messages")
        page.get_by_role("button", name="More actions").first.click()
        page.get_by_role("menuitem", name="Save as a new endpoint…").click()
        page.fill("#save-name", "Ticker v2")
        page.click("#save-new-confirm")
        expect(page.locator(".req-name")).to_have_value("Ticker v2")
        copy = Endpoint.objects.get(project=project, name="Ticker v2")
        assert copy.strict is True
        assert _stored(copy) == _stored(source)
        assert [m["name"] for m in _stored(copy)] == ["subscribe", "subscribed", "trade", "error"]
        kept = set(source.messages.values_list("pk", flat=True))
        assert kept.isdisjoint(copy.messages.values_list("pk", flat=True))
        assert source.messages.count() == 4

        # Again from the copy while connected: through its debug session this time.
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.get_by_role("button", name="More actions").first.click()
        page.get_by_role("menuitem", name="Save as a new endpoint…").click()
        page.fill("#save-name", "Ticker v3")
        page.click("#save-new-confirm")
        expect(page.locator(".req-name")).to_have_value("Ticker v3")
        third = Endpoint.objects.get(project=project, name="Ticker v3")
        assert third.strict is True
        assert _stored(third) == _stored(source)
        assert DebugSession.objects.filter(endpoint=third).exists()  # the session went along
        context.close()
    assert console.problems == []
