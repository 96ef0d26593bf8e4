"""A Socket.IO endpoint on the docs pages, as a logged-out reader of a share link gets them:
that it is Socket.IO (version, path, namespace, an auth payload's field names but never its
values), connection code to copy, and each event with its direction, arguments table,
examples and acknowledgement; the same in Markdown and llms.txt. WebSocket pages keep
their words."""

from __future__ import annotations

import subprocess
from typing import Any

from docs_app.schema_table import arguments_rows
from docs_app.socketio_docs import auth_fields, server_url
from tests.docs_app.conftest import AUTH_LITERAL
from tests.docs_app.test_messages import _section
from tests.docs_app.test_pages import visible_text


def _pages(docs: Any, browser: Any, endpoint_id: int) -> tuple[str, str, str]:
    _, token = docs.link(environment_id=docs.environment.pk)
    html = browser.get(f"/share/{token}/endpoints/{endpoint_id}/")
    markdown = browser.get(f"/share/{token}/endpoints/{endpoint_id}.md")
    llms = browser.get(f"/share/{token}/llms.txt")
    assert (html.status_code, markdown.status_code, llms.status_code) == (200, 200, 200)
    return html.content.decode(), markdown.content.decode(), llms.content.decode()


def test_the_share_page_says_how_to_connect_and_never_shows_the_auth_values(
    docs, chat_endpoint, browser
):
    html, markdown, llms = _pages(docs, browser, chat_endpoint.pk)
    text = " ".join(visible_text(html).split())
    assert "Socket.IO" in text and "not a plain WebSocket" in text
    facts = _section(html, '<dl class="meta socketio-facts">', "</dl>")
    assert " ".join(visible_text(facts).split()) == (
        "Version Socket.IO 3 and 4 (Engine.IO 4) Path /rt/ Namespace /desk "
        "Auth payload sent with the connect packet (fields: token, client); "
        "its values are not shown"
    )
    # The connection code: the namespace in the address, the URL's own query and the shared
    # params, the Socket.IO path, the WebSocket transport, the auth fields without values.
    assert "JavaScript (socket.io-client)" in text and "Python (python-socketio)" in text
    assert "https://chat.example.com/desk?tenant=acme&amp;lang=eu-west" in html
    assert "socket.io-client 4.x" in text and "python-socketio 5.x" in text
    for page in (html, markdown, llms):
        assert AUTH_LITERAL not in page
        for secret in docs.secrets:
            assert secret not in page
    assert "{{apiKey}}" in markdown  # a secret's reference stays a placeholder

    # Events by direction, an arguments table per argument, examples, the acknowledgement.
    assert text.index("Client → server (emit)") < text.index("Server → client (event)")
    assert "Client → server (send)" not in text and "Matches:" not in text
    say = " ".join(visible_text(_section(html, "<h4>say</h4>", "</article>")).split())
    assert "Event: say" in say
    assert "Arguments: arguments ≥ 1; no other arguments" in say
    assert "Argument Type Required Constraints Description" in say
    assert "1 string yes length ≤ 500 The text" in say
    assert "2 object no" in say and "2.room integer yes ≥ 1" in say
    assert '"hello"' in html and "Example <q>Hello</q>" in html
    assert "Acknowledgement The server acknowledges" in say
    assert '1 string no one of "ok", "muted" Outcome' in say
    said = " ".join(visible_text(_section(html, "<h4>Someone spoke</h4>", "</article>")).split())
    assert "Event: said" in said and "each string no" in said
    assert "Acknowledgement" not in said

    # Markdown and llms.txt say the same.
    assert "## Socket.IO" in markdown and "- Namespace: `/desk`" in markdown
    assert '```js\nimport { io } from "socket.io-client"' in markdown
    assert "| Argument | Type | Required | Constraints | Description |" in markdown
    assert "Event: `say`." in markdown and "Acknowledgement: The server acknowledges" in markdown
    assert "Socket.IO endpoint" in llms and "Client → server (emit)" in llms
    assert "| `2.room` | integer | yes | ≥ 1 |" in llms


def test_websocket_pages_keep_their_words(docs, ticker_contract, chat_endpoint, browser):
    html, markdown, llms = _pages(docs, browser, ticker_contract.pk)
    assert 'id="socketio-title"' not in html and "## Socket.IO" not in markdown
    assert "Trading chat" in llms and "Ticker stream" in llms
    assert "Client → server (send)" in html and "Matches:" in html
    assert "Client → server (emit)" not in html
    _, token = docs.link()
    index = browser.get(f"/share/{token}/").content.decode()
    assert index.count('class="card-protocol"') == 1
    index_md = browser.get(f"/share/{token}/index.md").content.decode()
    assert index_md.count(" — Socket.IO") == 1


def test_a_v2_endpoint_sends_no_auth_and_names_its_clients(docs, chat_endpoint, browser):
    chat_endpoint.socketio = {"version": "v2", "path": "/socket.io/", "namespace": "/"}
    chat_endpoint.save(update_fields=["socketio"])
    html, markdown, _ = _pages(docs, browser, chat_endpoint.pk)
    assert "Socket.IO 2 (Engine.IO 3)" in html
    assert "- Auth payload: none" in markdown
    assert "socket.io-client 2.x" in markdown and "python-socketio 4.x" in markdown
    assert 'require("socket.io-client")' in markdown and "auth" not in _code(markdown, "js")
    assert "https://chat.example.com?tenant=acme&lang=eu-west" in markdown


def _code(markdown: str, info: str) -> str:
    start = markdown.index(f"```{info}\n") + len(info) + 4
    return markdown[start : markdown.index("\n```", start)]


def test_the_python_snippet_is_python_that_emits_the_documented_example(
    docs, chat_endpoint, browser
):
    _, markdown, _ = _pages(docs, browser, chat_endpoint.pk)
    code = _code(markdown, "python")
    compile(code, "snippet.py", "exec")
    assert "sio.call('say', ('hello', {'room': 1}), namespace='/desk')" in code
    assert "auth={'token': '…', 'client': '…'}" in code
    assert "@sio.on('said', namespace='/desk')" in code
    javascript = _code(markdown, "js")
    assert 'socket.emit("say", "hello", {"room": 1}, (...ack) => console.log(ack));' in javascript
    # The JavaScript parses (node --check reads it as a module).
    checked = subprocess.run(
        ["node", "--input-type=module", "--check"],
        input=javascript,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def test_arguments_tables_name_each_argument() -> None:
    table = arguments_rows(
        {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}}, {}
    )
    assert [(row.path, row.type, row.required) for row in table.rows] == [
        ("1", "string", False),
        ("2+", "number", False),
    ]
    # Not an arguments array of that shape: the ordinary table.
    assert [row.path for row in arguments_rows({"type": "array"}, {}).rows] == ["(message)"]
    local = arguments_rows(
        {
            "$defs": {"Room": {"type": "object", "properties": {"id": {"type": "integer"}}}},
            "prefixItems": [{"$ref": "#/$defs/Room"}],
            "minItems": 1,
        },
        {},
    )
    assert [(row.path, row.required) for row in local.rows] == [("1", True), ("1.id", False)]


def test_auth_field_names_and_server_addresses() -> None:
    assert auth_fields("") is None
    assert auth_fields('{"token": "{{t}}", "n": {{count}}}') == ("token", "n")
    assert auth_fields("not json") == ()
    assert server_url("wss://h.test:8443/x?a=1", "/", [("b", "2 3")]) == (
        "https://h.test:8443?a=1&b=2+3"
    )
    assert server_url("http://h.test", "/admin", []) == "http://h.test/admin"


def test_the_shared_asyncapi_has_the_auth_fields_never_their_values(docs, chat_endpoint, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    text = browser.get(f"/share/{token}/asyncapi.yaml").content.decode()
    assert "x-switchboard-socketio" in text and "- client" in text
    assert AUTH_LITERAL not in text
    for secret in docs.secrets:
        assert secret not in text
