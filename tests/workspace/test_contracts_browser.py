"""Issue 14's check in a real Chromium: a documented ticker endpoint, an upstream on loopback
that answers a subscribe with a confirmation, two valid trades, a trade whose price is a
string and an undocumented heartbeat. The log names each message and marks exactly the invalid
and the undocumented frame; its contract filter, the detail's problems beside the schema and
a schema generated from the undocumented frame agree with what the API stored.

Screenshots go to ``test-artifacts/workspace-contracts/``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from websockets.asyncio.server import ServerConnection, serve

from accounts.tokens import token_create
from endpoints.models import ProjectSchema
from sessions.models import DebugSession, Event
from tests.browser import PHONE, Console, no_sideways_scroll, require_browser, shot, teammate
from tests.factories import log_entry, log_event, make_ticker
from tests.sessions.upstreams import LoopThread
from tests.workspace.test_browser import _all_labelled, _clean, _logged_in, chromium_open

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SUBSCRIBE = '{"op": "subscribe", "symbols": ["BTC-USD"]}'
REPLIES = (
    '{"type": "subscribed", "symbols": ["BTC-USD"]}',
    '{"type": "trade", "symbol": "BTC-USD", "price": 64000.5, "size": 0.1, "side": "buy"}',
    '{"type": "trade", "symbol": "ETH-USD", "price": 3100, "size": 2}',
    '{"type": "trade", "symbol": "BTC-USD", "price": "abc", "size": 1}',
    '{"type": "heartbeat", "at": 1764633600}',
)


class TickerUpstream:
    """Answers ``{"op": "subscribe"}`` with ``REPLIES``, in order; ignores anything else."""

    def __init__(self) -> None:
        self.runner = LoopThread()
        self.received: list[str | bytes] = []
        self.url = ""

    def start(self) -> TickerUpstream:
        async def handler(connection: ServerConnection) -> None:
            async for message in connection:
                self.received.append(message)
                if json.loads(message).get("op") == "subscribe":
                    for reply in REPLIES:
                        await connection.send(reply)

        async def start() -> Any:
            return await serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None)

        self.server = self.runner.run(start())
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/ticker"
        return self

    def stop(self) -> None:
        async def stop() -> None:
            self.server.close()
            await asyncio.wait_for(self.server.wait_closed(), 5)

        self.runner.run(stop())
        self.runner.stop()


@pytest.fixture
def ticker_upstream() -> Iterator[TickerUpstream]:
    server = TickerUpstream().start()
    yield server
    server.stop()


def test_the_log_marks_invalid_and_undocumented_frames_and_the_detail_explains(
    team: Any, server: str, ticker_upstream: TickerUpstream
) -> None:
    expect = require_browser().expect
    _clean("workspace-contracts")
    endpoint = make_ticker(team, url=ticker_upstream.url)
    _, secret = token_create(user=team.editor, name="check")
    api = teammate(server, secret)
    console = Console()

    def step(page: Any, name: str) -> None:
        shot(page, "workspace-contracts", name, full_page=False)

    with chromium_open() as chromium:
        context, page = _logged_in(chromium, team.editor, server, console)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
        page.goto(f"{server}/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
        contract_filter = page.get_by_role("radiogroup", name="Contract check")
        # Nothing checked yet: no contract filter to offer.
        expect(page.locator(".log-toolbar")).to_be_visible()
        expect(contract_filter).to_be_hidden()

        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.select_option("#composer-format", "json")
        page.fill("#composer", SUBSCRIBE)
        page.click("#send")

        frames = page.locator(".log-row.in, .log-row.out")
        expect(frames).to_have_count(6)
        expect(frames.locator(".log-msg")).to_have_text(
            ["subscribe", "subscribed", "trade", "trade", "trade"]
        )
        invalid = page.locator(".log-row.c-invalid")
        undocumented = page.locator(".log-row.c-undocumented")
        expect(invalid).to_have_count(1)
        expect(invalid).to_contain_text('"price": "abc"')
        expect(invalid.locator(".log-verdict")).to_have_text("invalid")
        expect(invalid).to_have_attribute("title", re.compile(r"^Invalid trade: /price: .+"))
        expect(undocumented).to_have_count(1)
        expect(undocumented).to_contain_text("heartbeat")
        expect(undocumented.locator(".log-verdict")).to_have_text("undocumented")
        expect(undocumented.locator(".log-msg")).to_have_count(0)
        expect(page.locator(".log-row.c-valid")).to_have_count(4)
        assert ticker_upstream.received == [SUBSCRIBE]
        step(page, "01-log-marks")

        # The filter: counts on it, combinable with direction and text.
        expect(contract_filter).to_be_visible()
        invalid_radio = contract_filter.get_by_role("radio", name=re.compile("^Invalid"))
        undocumented_radio = contract_filter.get_by_role(
            "radio", name=re.compile("^Not documented")
        )
        expect(invalid_radio).to_have_text(re.compile(r"Invalid\s*1$"))
        expect(undocumented_radio).to_have_text(re.compile(r"Not documented\s*1$"))
        expect(contract_filter.get_by_role("radio", name=re.compile("^Valid"))).to_have_text(
            re.compile(r"Valid\s*4$")
        )
        rows = page.locator(".log-row")
        invalid_radio.click()
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text('"price": "abc"')
        expect(page.locator(".log-count")).to_have_text(re.compile(r"^1 of \d+$"))
        page.get_by_role("radio", name="Sent", exact=True).click()
        expect(rows).to_have_count(0)
        expect(invalid_radio).to_have_text(re.compile(r"Invalid\s*0$"))
        expect(page.locator(".log-empty")).to_contain_text("Nothing matches the filter")
        page.get_by_role("radio", name="Received", exact=True).click()
        expect(rows).to_have_count(1)
        page.get_by_label("Filter messages by text").fill("ETH")
        expect(rows).to_have_count(0)
        page.get_by_label("Filter messages by text").fill("")
        expect(rows).to_have_count(1)
        undocumented_radio.click()
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("heartbeat")

        # The same entries over the API.
        session = DebugSession.objects.get(endpoint=endpoint)
        stored = api("GET", f"/sessions/{session.pk}/events/?contract=invalid")["results"]
        assert [(e["message"], e["text"]) for e in stored] == [("trade", REPLIES[3])]
        assert stored[0]["problems"][0]["path"] == "/price"
        stored = api("GET", f"/sessions/{session.pk}/events/?contract=undocumented")["results"]
        assert [(e["message"], e["text"]) for e in stored] == [(None, REPLIES[4])]
        stored = api("GET", f"/sessions/{session.pk}/events/?contract=valid")["results"]
        assert [e["message"] for e in stored] == ["subscribe", "subscribed", "trade", "trade"]

        # The invalid trade's detail: the problem beside the schema, the property marked.
        invalid_radio.click()
        rows.first.click()
        contract = page.get_by_role("region", name="Contract check")
        expect(contract).to_contain_text("Recognised as trade (receive)")
        expect(contract.locator(".contract-pill")).to_have_text("Invalid")
        problems = contract.locator(".contract-problems li")
        expect(problems).to_have_count(1)
        expect(problems.locator(".problem-path")).to_have_text("/price")
        expect(problems.locator(".problem-reason")).to_contain_text('"abc"')
        schema = contract.get_by_label("Schema of trade", exact=True)
        expect(schema).to_contain_text('"exclusiveMinimum"')
        expect(schema.locator("mark.schema-hit")).to_have_count(1)
        expect(schema.locator("mark.schema-hit")).to_contain_text('"price": {')
        expect(schema.locator("mark.schema-hit")).to_contain_text('"type": "number"')
        beside = problems.bounding_box(), schema.bounding_box()
        assert beside[0] and beside[1] and beside[0]["x"] + beside[0]["width"] <= beside[1]["x"]
        assert beside[0]["y"] < beside[1]["y"] + beside[1]["height"]
        expect(page.locator(".detail-pre")).to_contain_text('"abc"')
        _all_labelled(page)
        step(page, "02-invalid-detail")

        # The undocumented heartbeat: generate a schema from it, copy it, save it.
        undocumented_radio.click()
        rows.first.click()
        expect(contract).to_contain_text("No documented receive message matches this frame.")
        expect(contract.locator(".contract-pill")).to_have_text("Undocumented")
        contract.get_by_role("button", name="Generate a schema from this frame").click()
        generated = contract.get_by_label("Generated schema", exact=True)
        expect(generated).to_contain_text('"at": {')
        expected = api(
            "POST",
            f"/projects/{team.project.pk}/schemas/generate/",
            {"session": session.pk, "seq": int(rows.first.get_attribute("data-seq") or 0)},
        )["schema"]
        assert json.loads(generated.inner_text()) == expected
        contract.get_by_role("button", name="Copy the generated schema").click()
        expect(page.locator(".toast")).to_contain_text("Copied")
        assert json.loads(page.evaluate("navigator.clipboard.readText()")) == expected
        step(page, "03-generated-schema")

        contract.get_by_role("button", name="Save as project schema…").click()
        dialog = page.locator("dialog[open]")
        console.allowed = {400}
        dialog.get_by_label("Name").fill("not a name!")
        dialog.get_by_role("button", name="Save schema").click()
        expect(dialog.locator(".field-error")).to_be_visible()
        expect(dialog.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
        console.allowed = set()
        step(page, "04-save-refused")
        dialog.get_by_label("Name").fill("Heartbeat")
        dialog.get_by_label("Description").fill("Sent every few seconds")
        dialog.get_by_role("button", name="Save schema").click()
        expect(dialog).to_have_count(0)
        expect(page.locator(".toast").last).to_contain_text('"Heartbeat"')
        saved = ProjectSchema.objects.get(project=team.project, name="Heartbeat")
        assert saved.schema == expected
        assert saved.description == "Sent every few seconds"

        # A new session starts with an unfiltered log, though Invalid was picked in the last one.
        invalid_radio.click()
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-closed"))
        page.get_by_role("button", name="More actions").click()
        page.get_by_role("menuitem", name="Start a new session (clear the log)").click()
        expect(contract_filter).to_be_hidden()
        expect(page.locator(".log-empty")).to_contain_text("No messages yet")
        page.click("#connect")
        expect(page.locator(".conn-pill")).to_have_class(re.compile("st-open"))
        page.fill("#composer", SUBSCRIBE)
        page.click("#send")
        # (The direction filter stays on Received, as it does across sessions.)
        expect(page.locator(".log-row.in")).to_have_count(5)
        expect(undocumented).to_have_count(1)
        expect(contract_filter.get_by_role("radio", name="All")).to_have_attribute(
            "aria-checked", "true"
        )
        expect(invalid_radio).to_have_text(re.compile(r"Invalid\s*1$"))
        assert DebugSession.objects.filter(endpoint=endpoint).count() == 2
        context.close()

    assert console.problems == []


def test_a_viewer_reads_stored_checks_and_generates_but_cannot_save(team: Any, server: str) -> None:
    """A closed session's stored verdicts come back through the replay; a required property
    missing is marked in the schema; a viewer may generate a schema but not save one."""
    expect = require_browser().expect
    endpoint = make_ticker(team, url="ws://127.0.0.1:9/ticker")
    session = DebugSession.objects.create(
        owner=team.viewer,
        project=team.project,
        endpoint=endpoint,
        name="Ticker",
        url=endpoint.url,
        state="closed",
        connection_count=1,
    )
    at = timezone.now()
    entries = [
        log_event(session, 1, at, "open"),
        log_entry(session, 2, at, SUBSCRIBE, sent=True),
        log_entry(session, 3, at, '{"type": "trade", "symbol": "X", "price": 1}'),
        log_entry(session, 4, at, REPLIES[3]),
        log_entry(session, 5, at, REPLIES[4]),
        log_entry(session, 6, at, '{"type": "trade", "symbol": 1, "price": -1, "size": 0}'),
    ]
    verdicts = [
        ("", "", None),
        ("valid", "subscribe", None),
        ("invalid", "trade", [{"path": "", "reason": '"size" is a required property'}]),
        ("invalid", "trade", [{"path": "/price", "reason": '"abc" is not of type "number"'}]),
        ("undocumented", "", None),
        (
            "invalid",
            "trade",
            [
                {"path": "/price", "reason": "-1 is less than the minimum of 0"},
                {"path": "", "reason": "and 2 more"},
            ],
        ),
    ]
    for entry, (contract, message, problems) in zip(entries, verdicts, strict=True):
        entry.contract, entry.message, entry.problems = contract, message, problems
    Event.objects.bulk_create(entries)
    console = Console()

    with chromium_open() as chromium:
        context, page = _logged_in(chromium, team.viewer, server, console)
        page.goto(f"{server}/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
        rows = page.locator(".log-row")
        expect(rows).to_have_count(6)
        expect(page.locator(".log-row.c-invalid")).to_have_count(3)
        contract_filter = page.get_by_role("radiogroup", name="Contract check")
        expect(contract_filter.get_by_role("radio", name=re.compile("^Invalid"))).to_have_text(
            re.compile(r"Invalid\s*3$")
        )

        page.locator("#log-row-3").click()
        contract = page.get_by_role("region", name="Contract check")
        expect(contract.locator(".problem-path")).to_have_text("(whole message)")
        marked = contract.get_by_label("Schema of trade", exact=True).locator("mark.schema-hit")
        expect(marked).to_have_count(1)
        expect(marked).to_contain_text('"size": {')

        page.locator("#log-row-6").click()
        expect(contract.locator(".problem-path")).to_have_text("/price")
        expect(contract.locator(".problem-more")).to_have_text("and 2 more")

        page.locator("#log-row-2").click()
        expect(contract).to_contain_text("Recognised as subscribe (send)")
        expect(contract.locator(".contract-pill")).to_have_text("Valid")
        schema = contract.get_by_label("Schema of subscribe", exact=True)
        expect(schema).to_be_hidden()
        contract.get_by_text("Schema of subscribe").click()
        expect(schema).to_contain_text('"minItems"')

        page.locator("#log-row-5").click()
        expect(contract).to_contain_text("No documented receive message matches this frame.")
        contract.get_by_role("button", name="Generate a schema from this frame").click()
        expect(contract.get_by_label("Generated schema", exact=True)).to_contain_text('"at": {')
        expect(contract.get_by_role("button", name="Copy the generated schema")).to_be_visible()
        expect(contract.get_by_role("button", name="Save as project schema…")).to_have_count(0)
        _all_labelled(page)
        context.close()

        # At phone width: the filter wraps, the detail covers the page, nothing scrolls sideways.
        phone, page = _logged_in(chromium, team.viewer, server, console, viewport=PHONE["viewport"])
        page.goto(f"{server}/projects/{team.project.pk}/endpoints/{endpoint.pk}/")
        contract_filter = page.get_by_role("radiogroup", name="Contract check")
        expect(contract_filter).to_be_visible()
        no_sideways_scroll(page)
        contract_filter.get_by_role("radio", name=re.compile("^Invalid")).click()
        expect(page.locator(".log-row")).to_have_count(3)
        page.locator("#log-row-4").click()
        contract = page.get_by_role("region", name="Contract check")
        expect(contract.locator(".problem-path")).to_have_text("/price")
        no_sideways_scroll(page)
        shot(page, "workspace-contracts", "05-phone-invalid-detail", full_page=False)
        phone.close()

    assert console.problems == []
