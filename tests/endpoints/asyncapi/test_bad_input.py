"""Documents an import refuses, each with a 400 that says what and where, and nothing written:
a YAML alias bomb, deep nesting, a document over the size limit, an external $ref (never
fetched: a server on loopback sees no request), invalid AsyncAPI, a broken reference, and a
document that fails halfway through (all or nothing)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from endpoints.models import Endpoint, Environment, Folder, ProjectEvent, ProjectSchema
from tests.conftest import assert_error
from tests.endpoints.asyncapi.test_import import do_import, document


def _counts(team: Any) -> tuple[int, ...]:
    project = team.project
    return tuple(
        model.objects.filter(project=project).count()
        for model in (Endpoint, Environment, ProjectSchema, Folder, ProjectEvent)
    )


def refused(team: Any, client_for: Any, text: str) -> list[str]:
    """The problems of a refused import (``fields.document``), after checking nothing changed."""
    before = _counts(team)
    for dry_run in (True, False):
        response = do_import(client_for(team.editor), team, text, dry_run=dry_run)
        body = assert_error(response, 400, "validation_error")
        assert body["detail"].startswith("The document cannot be imported: ")
    assert _counts(team) == before
    problems: list[str] = body["fields"]["document"]
    return problems


BOMB = """asyncapi: 3.0.0
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_yaml_alias_bomb(team: Any, client_for: Any) -> None:
    (problem,) = refused(team, client_for, BOMB)
    assert problem.startswith("line ") and "aliases" in problem


def test_too_many_aliases(team: Any, client_for: Any) -> None:
    text = "asyncapi: 3.0.0\nx: &x 1\nl: [" + ", ".join(["*x"] * 1500) + "]\n"
    (problem,) = refused(team, client_for, text)
    assert "More than 1000 YAML aliases" in problem


def test_a_yaml_alias_to_itself(team: Any, client_for: Any) -> None:
    (problem,) = refused(team, client_for, "asyncapi: 3.0.0\nloop: &l [*l]\n")
    assert "refers to itself" in problem


@pytest.mark.parametrize("syntax", ["yaml", "json"])
def test_deep_nesting(team: Any, client_for: Any, syntax: str) -> None:
    deep = "[" * 200 + "]" * 200
    text = (
        f'{{"asyncapi": "3.0.0", "x": {deep}}}'
        if syntax == "json"
        else f"asyncapi: 3.0.0\nx: {deep}\n"
    )
    (problem,) = refused(team, client_for, text)
    assert "Nested more than 64 levels deep" in problem


def test_over_the_size_limit(team: Any, client_for: Any, settings: Any) -> None:
    text = document("ticker.yaml")
    settings.ASYNCAPI_MAX_DOCUMENT_BYTES = len(text) - 1
    (problem,) = refused(team, client_for, text)
    assert problem == f"/: The document is {len(text)} bytes; the limit is {len(text) - 1} bytes."


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that records every request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"type": "object"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/schema.json", seen
    finally:
        server.shutdown()
        server.server_close()


def test_external_ref_is_refused_and_never_fetched(
    team: Any, client_for: Any, listener: tuple[str, list[str]]
) -> None:
    url, seen = listener
    text = document("ticker.yaml").replace(
        "        payload:\n          $ref: '#/components/schemas/Ack'\n        examples:",
        f"        payload:\n          $ref: '{url}'\n        examples:",
    )
    assert url in text
    (problem,) = refused(team, client_for, text)
    assert problem.startswith(
        "/channels/ticker/messages/subscribed/payload/$ref: External reference"
    )
    assert seen == []


def test_invalid_asyncapi_names_the_place(team: Any, client_for: Any) -> None:
    text = document("ticker.yaml").replace(
        "  sendPrice:\n    action: send", "  sendPrice:\n    action: publish"
    )
    problems = refused(team, client_for, text)
    assert any(p.startswith("/operations/sendPrice") for p in problems), problems


def test_unsupported_version(team: Any, client_for: Any) -> None:
    (problem,) = refused(team, client_for, "asyncapi: 1.2.0\ninfo: {}\n")
    assert problem.startswith("/asyncapi: AsyncAPI version '1.2.0' is not supported")


def test_not_yaml(team: Any, client_for: Any) -> None:
    (problem,) = refused(team, client_for, "asyncapi: 3.0.0\ninfo: [unclosed\n")
    assert problem.startswith("line ") and "Not valid YAML" in problem


def test_a_reference_to_nothing(team: Any, client_for: Any) -> None:
    text = document("ticker.yaml").replace(
        "$ref: '#/components/messages/subscribe'", "$ref: '#/components/messages/nope'"
    )
    (problem,) = refused(team, client_for, text)
    assert problem.startswith("/channels/ticker/messages/subscribe: The reference")


def test_all_or_nothing(team: Any, client_for: Any) -> None:
    # The chat's first channel imports; the last one's example does not fit its format.
    text = document("chat.yaml").replace("payload: AAE=", "payload: 'not base64!'")
    problems = refused(team, client_for, text)
    assert problems[0].startswith("/channels/typing: messages[0].examples[0].body:"), problems
