"""Documented messages on the docs pages, as a logged-out reader of a share link gets them:
by direction, schema tables, match rules, examples, replies under their request, the project
schemas they use; the same in Markdown and llms.txt."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from docs_app import rendering
from docs_app.models import ShareLink
from endpoints.models import ProjectSchema
from tests.docs_app.conftest import FILL_SCHEMA, document_endpoint
from tests.docs_app.test_pages import visible_text


def _section(html: str, start: str, end: str) -> str:
    return html[html.index(start) : html.index(end, html.index(start))]


def test_the_share_page_shows_messages_tables_and_examples(docs, ticker_contract, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    response = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    text = " ".join(visible_text(html).split())

    # by direction, in that order; the reply is under its request, not among the received
    assert text.index("Client → server (send)") < text.index("Server → client (receive)")
    send = _section(html, 'id="messages-send"', 'id="messages-receive"')
    receive = _section(html, 'id="messages-receive"', 'id="schemas-title"')
    assert "<h4>subscribe</h4>" in send
    assert '<span class="reply-label">Reply:</span> subscribed</h5>' in send
    assert "Confirms a subscription." in send
    assert "subscribed" not in receive
    assert "<h4>trade</h4>" in receive and "<h4>error</h4>" in receive

    # match rules in words
    assert "Matches: <code>$.type = &quot;trade&quot;</code>" in html
    assert "Matches: <code>text matching /^ERR/</code>" in html

    # the Markdown description, sanitized, its heading below the message's
    assert "<h5>A trade</h5>" in html and "<em>channels</em>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html

    # the schema table: paths, types, required, constraints, descriptions
    trade = _section(html, "<h4>trade</h4>", "<h4>error</h4>")
    table = " ".join(visible_text(trade).split())
    assert "Property Type Required Constraints Description" in table
    assert 'type string yes = "trade"' in table
    assert "symbol string yes length ≤ 12 pattern /^[A-Z]+$/" in table
    assert 'side string no one of "buy", "sell" default "buy"' in table
    assert "maker.id integer yes ≥ 1 Account number" in table
    assert "maker.tier string or null no" in table
    assert "fills array of Fill (project schema) yes items ≥ 1" in table
    assert "fills[].px number yes > 0 Price" in table
    assert "fills[].next Fill (project schema) no" in table

    # named examples, values filled in, pretty-printed and highlighted
    assert "Example <q>Ticker</q>" in send and "Example <q>Depth</q>" in send
    assert '<span class="s2">"ticker.v2"</span>' in send
    assert '\n<span class="w">  </span><span class="nt">"channel"</span>' in send
    assert "ERR unknown channel" in receive

    # the project schema it uses, with its own table; the unused one is not listed
    schemas = html[html.index('id="schemas-title"') :]
    assert "<h3>Fill <span" in schemas and "<strong>fill</strong>" in schemas
    assert "px number yes &gt; 0 Price" in " ".join(visible_text(schemas).split()) or (
        "px number yes > 0 Price" in " ".join(visible_text(schemas).split())
    )
    assert "Unused" not in html
    assert "next.px" not in schemas, "Fill refers to itself: listed once"


def test_markdown_and_llms_txt_include_the_messages(docs, ticker_contract, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    page = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}.md").content.decode()
    llms = browser.get(f"/share/{token}/llms.txt").content.decode()
    for text, level in ((page, 2), (llms, 4)):
        h = "#" * level
        assert f"\n{h} Messages\n\n{h}# Client → server (send)\n\n{h}## subscribe\n" in text
        assert f"\n{'#' * min(6, level + 3)} Reply: subscribed\n" in text  # h6 at most
        assert f"\n{h}# Server → client (receive)\n\n{h}## trade\n" in text
        assert 'Format: JSON. Matches: $.type = "trade".' in text
        assert "Format: Text. Matches: text matching /^ERR/." in text
        assert "| Property | Type | Required | Constraints | Description |" in text
        assert "| `symbol` | string | yes | length ≤ 12; pattern /^[A-Z]+$/ |   |" in text
        assert "| `fills` | array of Fill (project schema) | yes | items ≥ 1 |   |" in text
        assert "| `fills[].px` | number | yes | > 0 | Price |" in text
        assert (
            'Example “Ticker”:\n\n```json\n{\n  "op": "subscribe",\n  "channel": "ticker.v2"'
            in text
        )
        assert "Example “Bad channel”:\n\n```\nERR unknown channel\n```" in text
        assert f"\n{h} Schemas\n\n{h}# Fill (project schema)\n\nOne **fill** of an order." in text
        assert "Unused" not in text
        # the reply is not listed again among the received messages
        assert text.count("subscribed\n") == 1
    assert f"### Ticker stream\n\nPage: http://testserver/share/{token}/endpoints/" in llms


def test_expired_and_revoked_links_show_none_of_it(docs, ticker_contract, browser):
    expired, expired_token = docs.link(name="Old")
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(1))
    revoked, revoked_token = docs.link(name="Gone")
    ShareLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    for token in (expired_token, revoked_token):
        for page in (f"endpoints/{ticker_contract.pk}/", f"endpoints/{ticker_contract.pk}.md"):
            response = browser.get(f"/share/{token}/{page}")
            assert response.status_code == 404
            body = response.content.decode()
            assert not re.search(r"subscribe|trade|Fill|fills", body)
        llms = browser.get(f"/share/{token}/llms.txt")
        assert llms.status_code == 404 and "trade" not in llms.content.decode()


def test_a_link_scoped_elsewhere_lists_no_messages_of_the_ticker(docs, ticker_contract, browser):
    _, token = docs.link(whole_project=False, endpoint_ids=[docs.endpoints["health"].pk])
    assert browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}/").status_code == 404
    llms = browser.get(f"/share/{token}/llms.txt").content.decode()
    assert "## Messages" not in llms and "subscribed" not in llms and "Fill" not in llms


def test_a_reply_to_an_unknown_request_stays_among_the_received(docs, ticker_contract, browser):
    ticker_contract.messages.filter(name="subscribed").update(reply_to="nothing")
    _, token = docs.link()
    html = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}/").content.decode()
    receive = html[html.index('id="messages-receive"') :]
    assert "<h4>subscribed</h4>" in receive and "Reply:" not in html


def test_messages_without_schema_or_examples(docs, ticker_contract, browser):
    ticker_contract.messages.exclude(name="error").delete()
    ticker_contract.messages.update(examples=[], description="")
    _, token = docs.link()
    html = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}/").content.decode()
    assert "<h4>error</h4>" in html
    assert (
        'id="messages-send"' not in html and 'class="schema"' not in html and "Schemas" not in html
    )
    page = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}.md").content.decode()
    assert "## Messages\n\n### Server → client (receive)\n\n#### error\n" in page


def test_a_changed_project_schema_is_a_changed_page(docs, ticker_contract, browser):
    _, token = docs.link()
    for later, url in enumerate(
        (
            f"/share/{token}/endpoints/{ticker_contract.pk}/",
            f"/share/{token}/endpoints/{ticker_contract.pk}.md",
            f"/share/{token}/llms.txt",
        ),
        start=1,
    ):
        first = browser.get(url)
        fill = ProjectSchema.objects.get(project=docs.team.project, name="Fill")
        edited_at = timezone.now() + timedelta(seconds=10 * later)
        changed = {**fill.schema, "properties": {"px": {"type": "number"}, "venue": {}}}
        ProjectSchema.objects.filter(pk=fill.pk).update(schema=changed, updated_at=edited_at)
        again = browser.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert again.status_code == 200, url
        assert again["Last-Modified"] != first["Last-Modified"]
        assert "fills[].venue" in again.content.decode()
        # back to the original for the next page
        ProjectSchema.objects.filter(pk=fill.pk).update(schema=FILL_SCHEMA)


def test_past_its_budget_llms_txt_outlines_the_messages(
    docs, ticker_contract, browser, monkeypatch
):
    document_endpoint(
        docs.endpoints["depth"],
        [{"name": "snapshot", "direction": "receive", "format": "json", "examples": []}],
    )
    _, token = docs.link()
    # the ticker's four fit, the depth stream's one does not
    monkeypatch.setattr(rendering, "LLMS_FULL_MESSAGES", 4)
    text = browser.get(f"/share/{token}/llms.txt").content.decode()
    depth = docs.endpoints["depth"].pk
    assert "| `fills[].px` | number | yes | > 0 | Price |" in text
    assert (
        f"### Depth stream\n\nPage: http://testserver/share/{token}/endpoints/{depth}.md\n\n"
        "- Server → client (receive): `snapshot`\n\nSchemas and examples: on the page above."
    ) in text
    monkeypatch.setattr(rendering, "LLMS_FULL_MESSAGES", 3)
    text = browser.get(f"/share/{token}/llms.txt").content.decode()
    assert "| Property |" not in text and "Example “" not in text
    assert (
        "- Client → server (send): `subscribe` (reply: `subscribed`)\n"
        "- Server → client (receive): `trade`, `error`\n"
    ) in text


def test_what_a_whole_message_must_be_is_written_above_its_table(docs, ticker_contract, browser):
    ProjectSchema.objects.create(
        project=docs.team.project,
        name="OrderBook",
        schema={"type": "object", "additionalProperties": False, "properties": {"bids": {}}},
    )
    document_endpoint(
        ticker_contract,
        [
            {
                "name": "book",
                "direction": "receive",
                "format": "json",
                "schema": {"$ref": "#/components/schemas/OrderBook"},
            }
        ],
    )
    _, token = docs.link()
    html = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}/").content.decode()
    assert '<p class="schema-root">OrderBook (project schema): no other properties</p>' in html
    page = browser.get(f"/share/{token}/endpoints/{ticker_contract.pk}.md").content.decode()
    assert "OrderBook (project schema): no other properties\n\n| Property |" in page
