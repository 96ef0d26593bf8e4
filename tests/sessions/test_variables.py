"""{{variables}} in debug sessions, against a real upstream that echoes the handshake it got:
precedence of every layer in the URL, a header, a cookie and a body; values resolved again at
every send; unknown names stopping everything before it starts; secrets kept out of the
connection record, the log, errors, responses and logs."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from accounts.tokens import token_create
from config.asgi import application
from endpoints.environments.services import current_value_set, environment_create, variable_create
from endpoints.models import Environment, Variable
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create
from sessions.models import Connection, DebugSession, Event
from tests.conftest import Team, assert_error
from tests.polling import wait_for
from tests.sessions.conftest import API, SessionClient
from tests.sessions.upstreams import LoopThread, ServedWebsockets

pytestmark = pytest.mark.django_db(transaction=True)

MASK = "••••"
# Characters that are percent-encoded in a query and escaped nowhere else: every spelling of
# the secret must be masked, not just the one written.
SECRET = "sk live/9+Zq&x=7"
SECRET_FORMS = (SECRET, quote(SECRET, safe=""), quote(SECRET, safe=",:@/!$'()*"), "sk+live")
OTHER_PRIVATE = "ada-private-current-Qm2"


class HandshakeEcho(ServedWebsockets):
    """A ``websockets`` upstream on loopback. Its first message is the handshake it received,
    as JSON (``path`` with query, ``query`` decoded, ``headers``, ``cookies``); then it echoes
    every message, except ``close:<reason>``, which it answers by closing with 4000 and that
    reason. ``/refuse`` answers 401 with that JSON as the body instead. Everything it saw is
    kept in ``handshakes`` and ``messages``."""

    def __init__(self, runner: LoopThread) -> None:
        self.runner = runner
        self.port = 0
        self.lock = threading.Lock()
        self.handshakes: list[dict[str, Any]] = []
        self.messages: list[str | bytes] = []
        self.server: Any = None

    def url(self, path: str = "/hs", host: str = "127.0.0.1") -> str:
        return f"ws://{host}:{self.port}{path}"

    def start(self) -> HandshakeEcho:
        async def start() -> Any:
            return await serve(
                self._handler,
                "127.0.0.1",
                0,
                process_request=self._process_request,
                compression=None,
            )

        self.serve_on_loop(start())
        return self

    @staticmethod
    def seen(request: Request) -> dict[str, Any]:
        cookies = {}
        for header in request.headers.get_all("Cookie"):
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                cookies[name] = value
        return {
            "path": request.path,
            "query": parse_qs(urlsplit(request.path).query),
            "headers": {name: value for name, value in request.headers.raw_items()},
            "cookies": cookies,
        }

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if urlsplit(request.path).path == "/refuse":
            return connection.respond(401, json.dumps(self.seen(request)))
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None  # set by the handshake, before the handler runs
        seen = self.seen(connection.request)
        with self.lock:
            self.handshakes.append(seen)
        await connection.send(json.dumps(seen))
        async for message in connection:
            with self.lock:
                self.messages.append(message)
            if isinstance(message, str) and message.startswith("close:"):
                await connection.close(4000, message.removeprefix("close:"))
                return
            await connection.send(message)

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.handshakes), len(self.messages)

    def next_message(self, send: Any) -> str | bytes:
        """Call ``send`` and return the message it made arrive here (the API answers once the
        relay sent and stored it, which can be before this server read it)."""
        before = self.counts()[1]
        send()
        wait_for(lambda: self.counts()[1] > before)
        with self.lock:
            assert len(self.messages) == before + 1
            return self.messages[-1]


@pytest.fixture(scope="module")
def echo() -> Iterator[HandshakeEcho]:
    runner = LoopThread()
    server = HandshakeEcho(runner).start()
    yield server
    server.stop()
    runner.stop()


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["kind"] for e in events]


def project_url(team: Team, rest: str) -> str:
    return f"/api/v1/projects/{team.project.pk}/{rest}"


# --- precedence, table-driven ---------------------------------------------------------------

# The handshake and the body use {{token}} everywhere; {{baseUrl}} picks the host, so the
# upstream's Host header tells which layer supplied it.
DRAFT = {
    "url": "{{baseUrl}}/hs?u={{token}}",
    "params": [{"name": "p", "value": "{{token}}"}],
    "headers": [{"name": "X-Token", "value": "{{token}}"}],
    "cookies": [{"name": "c", "value": "{{token}}"}],
}
BODY = '{"token": "{{token}}"}'

PRECEDENCE = [
    # id, environment, the owner's current values, session values, send values,
    # expected in the handshake, expected in the body, expected host (baseUrl's layer)
    ("global", None, {}, {}, {}, "g-initial", "g-initial", "localhost"),
    ("environment", "staging", {}, {}, {}, "stg-initial", "stg-initial", "127.0.0.1"),
    (
        "other-environment",
        "production",
        {},
        {},
        {},
        "prod-initial",
        "prod-initial",
        "upstream.test",
    ),
    ("global-current", None, {"global": "eve-g"}, {}, {}, "eve-g", "eve-g", "localhost"),
    (
        "global-current-beats-environment",
        "staging",
        {"global": "eve-g"},
        {},
        {},
        "eve-g",
        "eve-g",
        "127.0.0.1",
    ),
    (
        "environment-current-beats-global-current",
        "staging",
        {"global": "eve-g", "staging": "eve-stg"},
        {},
        {},
        "eve-stg",
        "eve-stg",
        "127.0.0.1",
    ),
    (
        "current-of-an-unchosen-environment-never-applies",
        "production",
        {"staging": "eve-stg"},
        {},
        {},
        "prod-initial",
        "prod-initial",
        "upstream.test",
    ),
    (
        "no-environment-ignores-environment-currents",
        None,
        {"staging": "eve-stg"},
        {},
        {},
        "g-initial",
        "g-initial",
        "localhost",
    ),
    (
        "session-value-beats-everything",
        "staging",
        {"global": "eve-g", "staging": "eve-stg"},
        {"token": "session-v"},
        {},
        "session-v",
        "session-v",
        "127.0.0.1",
    ),
    (
        "send-value-is-for-that-message-only",
        "staging",
        {},
        {"token": "session-v"},
        {"token": "send-v"},
        "session-v",
        "send-v",
        "127.0.0.1",
    ),
]


@pytest.mark.parametrize(
    "environment, currents, session_values, send_values, in_handshake, in_body, host",
    [case[1:] for case in PRECEDENCE],
    ids=[case[0] for case in PRECEDENCE],
)
def test_precedence_as_the_upstream_sees_it(
    relay: Any,
    team: Team,
    sessions_for: Any,
    echo: HandshakeEcho,
    environment: str | None,
    currents: dict[str, str],
    session_values: dict[str, str],
    send_values: dict[str, str],
    in_handshake: str,
    in_body: str,
    host: str,
) -> None:
    admin = team.admin
    envs = {
        "staging": environment_create(
            project=team.project, actor=admin, name="Staging", base_url=echo.url("", "127.0.0.1")
        ),
        # Its own baseUrl variable wins over its base_url field (which would not connect).
        "production": environment_create(
            project=team.project, actor=admin, name="Production", base_url="ws://wrong.test:1"
        ),
    }
    token = {
        "global": variable_create(
            project=team.project, actor=admin, name="token", initial_value="g-initial"
        ),
        **{
            env: variable_create(
                project=team.project,
                actor=admin,
                name="token",
                environment_id=envs[env].pk,
                initial_value=f"{prefix}-initial",
            )
            for env, prefix in (("staging", "stg"), ("production", "prod"))
        },
    }
    variable_create(
        project=team.project, actor=admin, name="baseUrl", initial_value=echo.url("", "localhost")
    )
    variable_create(
        project=team.project,
        actor=admin,
        name="baseUrl",
        environment_id=envs["production"].pk,
        initial_value=echo.url("", "upstream.test"),
    )
    for scope, value in currents.items():
        current_value_set(variable=token[scope], user=team.editor, value=value)
    # Another member's private values never apply to this member's session.
    for variable in token.values():
        current_value_set(variable=variable, user=admin, value=OTHER_PRIVATE)

    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        environment=envs[environment].pk if environment else None,
        variables=session_values,
        **DRAFT,
    )
    assert session["environment"] == (envs[environment].pk if environment else None)
    assert session["variables"] == session_values
    before = echo.counts()
    opened = api.connect(session["id"]).json()
    assert opened["state"] == "open", opened
    sent = api.send(session["id"], format="json", body=BODY, variables=send_values)
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == 2)
    assert echo.counts() == (before[0] + 1, before[1] + 1)

    seen = echo.handshakes[-1]
    assert seen["headers"]["Host"] == f"{host}:{echo.port}"
    assert seen["query"] == {"u": [in_handshake], "p": [in_handshake]}
    assert seen["headers"]["X-Token"] == in_handshake
    assert seen["cookies"] == {"c": in_handshake}
    assert json.loads(echo.messages[-1]) == {"token": in_body}
    # The log holds the same: the upstream's echo of its handshake, then the body both ways.
    received = [e for e in events if e["kind"] == "received"]
    assert json.loads(received[0]["text"]) == seen
    assert json.loads(received[1]["text"]) == {"token": in_body}
    sent_entry = next(e for e in events if e["seq"] == sent["seq"])
    assert json.loads(sent_entry["text"]) == {"token": in_body} and sent_entry["info"] is None
    record = opened["connection"]["request"]
    assert record["url"] == f"ws://{host}:{echo.port}/hs?u={in_handshake}&p={in_handshake}"
    assert ["X-Token", in_handshake] in record["headers"]
    assert record["cookies"] == [["c", in_handshake]]
    assert OTHER_PRIVATE not in json.dumps(events) + json.dumps(opened)


# --- values resolved at every send ----------------------------------------------------------


def test_a_changed_variable_changes_the_next_message_without_reconnecting(
    relay: Any, team: Team, sessions_for: Any, client_for: Any, echo: HandshakeEcho
) -> None:
    n = variable_create(project=team.project, actor=team.admin, name="n", initial_value="1")
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=echo.url("/hs?n={{n}}"))
    sid = session["id"]
    api.connect(sid)
    handshakes = echo.counts()[0]

    def send_and_read(**values: str) -> Any:
        message = echo.next_message(
            lambda: api.send(sid, format="json", body='{"n": {{n}}}', variables=values)
        )
        return json.loads(message)["n"]

    assert send_and_read() == 1
    # An editor changes the shared value...
    changed = client_for(team.admin).patch(
        project_url(team, f"variables/{n.pk}/"), {"initial_value": "2"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert send_and_read() == 2
    # ...the member sets a private current value...
    mine = client_for(team.editor).put(
        project_url(team, f"variables/{n.pk}/current/"), {"value": "3"}, format="json"
    )
    assert mine.status_code == 200, mine.json()
    assert send_and_read() == 3
    # ...the session's own values change while it is open (they are not part of the
    # handshake, so this is no 409)...
    patched = api.patch(sid, variables={"n": "4"})
    assert patched.status_code == 200, patched.json()
    assert patched.json()["state"] == "open" and patched.json()["variables"] == {"n": "4"}
    assert send_and_read() == 4
    # ...and one send may carry its own.
    assert send_and_read(n="5") == 5
    assert send_and_read() == 4

    # One connection throughout; the handshake kept the value it had at connect.
    events = api.wait_events(sid, lambda ev: kinds(ev).count("received") == 7)
    assert kinds(events).count("connecting") == 1 and kinds(events).count("open") == 1
    assert echo.counts()[0] == handshakes
    assert echo.handshakes[-1]["query"] == {"n": ["1"]}
    assert api.get(sid)["connection_count"] == 1


def test_dynamic_values_differ_at_each_use(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho
) -> None:
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=echo.url("/hs?id={{$randomUUID}}"))
    uuid = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    seen: list[str] = []
    for _ in range(2):
        message = echo.next_message(
            lambda: api.send(session["id"], body="{{$randomUUID}} {{ $randomUUID }} {{$timestamp}}")
        )
        first, second, stamp = str(message).split(" ")
        assert re.fullmatch(uuid, first) and re.fullmatch(uuid, second)
        assert stamp.isdigit() and abs(int(stamp) - time.time()) < 60
        seen += [first, second]
    seen.append(echo.handshakes[-1]["query"]["id"][0])
    assert len(set(seen)) == 5
    # The log shows what was sent: dynamic values are no secret.
    sent = [e for e in api.events(session["id"]) if e["kind"] == "sent"]
    assert [e["text"].split(" ")[:2] for e in sent] == [seen[0:2], seen[2:4]]


# --- unknown names: 400, nothing sent, nothing changed ---------------------------------------

UNKNOWN = [
    ("url", {"url": "ws://{{nope}}/hs"}, "url"),
    ("param", {"params": [{"name": "p", "value": "{{nope}}"}]}, "params[0].value"),
    ("param-name", {"params": [{"name": "{{nope}}", "value": "1"}]}, "params[0].name"),
    ("header", {"headers": [{"name": "X-A", "value": "a {{nope}}"}]}, "headers[0].value"),
    (
        "header-name",
        {
            "headers": [
                {"name": "X-Off", "value": "{{alsoUnknownButDisabled}}", "enabled": False},
                {"name": "{{nope}}", "value": "1"},
            ]
        },
        "headers[1].name",
    ),
    ("cookie", {"cookies": [{"name": "c", "value": "x{{nope}}y"}]}, "cookies[0].value"),
    ("subprotocol", {"subprotocols": ["v1", "{{nope}}"]}, "subprotocols[1]"),
]


def _state(api: SessionClient, sid: int) -> tuple[Any, ...]:
    detail = api.get(sid)
    for moving in ("last_activity_at", "updated_at"):
        detail.pop(moving)
    return (
        detail,
        api.events(sid),
        list(Connection.objects.filter(session_id=sid).values_list("number", flat=True)),
    )


@pytest.mark.parametrize("fields, where", [c[1:] for c in UNKNOWN], ids=[c[0] for c in UNKNOWN])
def test_an_unknown_variable_anywhere_in_the_handshake_stops_the_connect(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho, fields: Any, where: str
) -> None:
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, **{"url": echo.url(), **fields})
    sid = session["id"]
    before, upstream_before = _state(api, sid), echo.counts()

    body = assert_error(api.connect(sid, status=None), 400, "unresolved_variables")
    assert body["unresolved"] == [{"name": "nope", "where": where}]
    assert body["fields"] == {where: ["Unknown variable 'nope'."]}
    assert "nope" in body["detail"] and where in body["detail"]

    assert _state(api, sid) == before
    assert before[0]["state"] == "idle" and before[0]["connection_count"] == 0
    assert echo.counts() == upstream_before


def test_every_unknown_name_is_listed_at_once(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho
) -> None:
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        url=echo.url("/hs?a={{first}}"),
        headers=[{"name": "X-A", "value": "{{second}}{{$nope}}"}],
        cookies=[{"name": "c", "value": "{{first}}"}],
    )
    body = assert_error(api.connect(session["id"], status=None), 400, "unresolved_variables")
    assert body["unresolved"] == [
        {"name": "first", "where": "url"},
        {"name": "second", "where": "headers[0].value"},
        {"name": "$nope", "where": "headers[0].value"},
        {"name": "first", "where": "cookies[0].value"},
    ]
    assert body["fields"]["headers[0].value"] == [
        "Unknown variable 'second'.",
        "Unknown dynamic value '$nope'.",
    ]
    assert api.get(session["id"])["state"] == "idle"


def test_a_handshake_that_breaks_once_resolved_is_refused_before_connecting(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho
) -> None:
    variable_create(project=team.project, actor=team.admin, name="h", initial_value="Host")
    variable_create(
        project=team.project, actor=team.admin, name="where", initial_value=SECRET, secret=True
    )
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        url=echo.url(),
        headers=[{"name": "X-Off", "value": "", "enabled": False}, {"name": "{{h}}", "value": "x"}],
    )
    body = assert_error(api.connect(session["id"], status=None), 400, "validation_error")
    assert list(body["fields"]) == ["headers[1].name"]
    assert "Host" in body["fields"]["headers[1].name"][0]

    # A secret that makes the URL invalid is not quoted in the error.
    api.patch(session["id"], headers=[], url="ws://{{where}}/hs")
    body = assert_error(api.connect(session["id"], status=None), 400, "validation_error")
    assert "url" in body["fields"] and not any(f in json.dumps(body) for f in SECRET_FORMS)
    assert api.get(session["id"])["connection_count"] == 0
    assert Event.objects.filter(session_id=session["id"]).count() == 0


def test_an_unknown_variable_in_a_body_sends_nothing(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho
) -> None:
    endpoint = endpoint_create(
        project=team.project,
        actor=team.admin,
        data={
            "name": "Echo",
            "url": echo.url(),
            "messages": [{"name": "sub", "format": "json", "body": '{"id": "{{subId}}"}'}],
        },
    )
    message_id = endpoint.messages.get().pk
    api = sessions_for(team.editor)
    session = api.create(endpoint=endpoint.pk)
    sid = session["id"]
    api.connect(sid)
    api.wait_events(sid, lambda ev: "received" in kinds(ev))
    before, upstream_before = _state(api, sid), echo.counts()

    response = api.client.post(f"{API}{sid}/messages/", {"body": "a {{nope}}"}, format="json")
    body = assert_error(response, 400, "unresolved_variables")
    assert body["unresolved"] == [{"name": "nope", "where": "body"}]
    response = api.client.post(f"{API}{sid}/messages/", {"message_id": message_id}, format="json")
    body = assert_error(response, 400, "unresolved_variables")
    assert body["unresolved"] == [{"name": "subId", "where": "body"}]
    # Bad values for one send are a 400 too.
    response = api.client.post(
        f"{API}{sid}/messages/", {"body": "x", "variables": {"1bad": "v"}}, format="json"
    )
    assert "variables.1bad" in assert_error(response, 400, "validation_error")["fields"]

    assert _state(api, sid) == before and before[0]["state"] == "open"
    assert echo.counts() == upstream_before
    # With a value for this send the saved message goes out, resolved.
    message = echo.next_message(
        lambda: api.send(sid, message_id=message_id, variables={"subId": "s-1"})
    )
    assert json.loads(message) == {"id": "s-1"}


# --- the environment and the session's values on the draft ----------------------------------


def test_environment_and_values_on_the_draft(
    relay: Any, team: Team, sessions_for: Any, echo: HandshakeEcho
) -> None:
    staging = environment_create(
        project=team.project, actor=team.admin, name="Staging", base_url=echo.url("")
    )
    elsewhere = project_create(actor=team.editor, name="Elsewhere")
    foreign = environment_create(project=elsewhere, actor=team.editor, name="X")
    api = sessions_for(team.editor)

    # A URL made of references is a valid draft; a literal scheme must still be ws/wss.
    session = api.create(project=team.project.pk, url="{{baseUrl}}/hs")
    sid = session["id"]
    assert session["environment"] is None and session["variables"] == {}
    bad = api.patch(sid, url="https://{{host}}/x")
    assert "url" in assert_error(bad, 400, "validation_error")["fields"]
    bad = api.patch(sid, environment=foreign.pk)
    assert "environment" in assert_error(bad, 400, "validation_error")["fields"]
    bad = api.patch(sid, variables={"ok": "1", "1bad": "x", "n": 5})
    assert set(assert_error(bad, 400, "validation_error")["fields"]) == {
        "variables.1bad",
        "variables.n",
    }
    bad = api.patch(sid, variables={"new": None})
    assert "variables.new" in assert_error(bad, 400, "validation_error")["fields"]
    assert api.get(sid)["environment"] is None

    # Without an environment there is no {{baseUrl}}.
    assert_error(api.connect(sid, status=None), 400, "unresolved_variables")
    done = api.patch(sid, environment=staging.pk, variables={"x": "1"})
    assert done.status_code == 200, done.json()
    assert done.json()["environment"] == staging.pk
    assert api.connect(sid).json()["state"] == "open"

    # The environment is part of the handshake: frozen while connected; values are not.
    conflict = api.patch(sid, environment=None)
    assert_error(conflict, 409, "session_connected")
    assert api.patch(sid, variables={"x": "2"}).status_code == 200
    api.disconnect(sid)
    assert api.patch(sid, environment=None).json()["environment"] is None

    # Saving keeps the references; a deleted environment leaves the session without one.
    api.patch(sid, environment=staging.pk)
    saved = api.client.post(f"{API}{sid}/save/", {"target": "new", "name": "Hs"}, format="json")
    assert saved.status_code == 201, saved.json()
    assert saved.json()["url"] == "{{baseUrl}}/hs"
    Environment.objects.filter(pk=staging.pk).delete()
    assert api.get(sid)["environment"] is None


def test_session_list_stays_a_fixed_number_of_queries_with_values(
    team: Team, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    env = environment_create(project=team.project, actor=team.admin, name="E")
    variable_create(
        project=team.project, actor=team.admin, name="key", initial_value="k", secret=True
    )
    api = client_for(team.editor)

    def make(count: int) -> None:
        for index in range(count):
            DebugSession.objects.create(
                owner=team.editor,
                project=team.project,
                environment=env if index % 2 else None,
                variables={"key": f"v{index}", "plain": "p"},
            )

    make(2)
    with django_assert_max_num_queries(10) as small:
        first = api.get(API)
    make(20)
    with django_assert_max_num_queries(len(small.captured_queries)):
        second = api.get(API)
    assert first.status_code == second.status_code == 200
    assert all(
        item["variables"] == {"key": None, "plain": "p"} for item in second.json()["results"]
    )


# --- secrets --------------------------------------------------------------------------------


def _no_secret(*texts: Any) -> None:
    text = " ".join(t if isinstance(t, str) else json.dumps(t, ensure_ascii=False) for t in texts)
    for form in SECRET_FORMS:
        assert form not in text, f"{form!r} leaked"


def test_secrets_are_masked_everywhere_they_could_be_stored_or_shown(
    relay: Any,
    team: Team,
    sessions_for: Any,
    client_for: Any,
    echo: HandshakeEcho,
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    variable_create(
        project=team.project, actor=team.admin, name="apiKey", initial_value=SECRET, secret=True
    )
    variable_create(
        project=team.project, actor=team.admin, name="hexKey", initial_value="c0ffee", secret=True
    )
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        # Values go into the URL as they are (a space would break it), params get encoded.
        url=echo.url("/hs?h={{hexKey}}"),
        params=[{"name": "key", "value": "{{apiKey}}"}, {"name": "plain", "value": "1"}],
        headers=[{"name": "X-Key", "value": "Bearer {{apiKey}}"}],
        cookies=[{"name": "c", "value": "{{apiKey}}"}],
        variables={"plain": "visible"},
    )
    sid = session["id"]
    opened = api.connect(sid).json()
    api.send(sid, format="json", body='{"key": "{{apiKey}}", "n": 1}')
    api.send(sid, format="hex", body="de ad {{hexKey}}")
    api.send(sid, format="text", body="{{apiKey}}", variables={"apiKey": SECRET + "-once"})
    events = api.wait_events(sid, lambda ev: kinds(ev).count("received") == 4)

    # The upstream got the real values...
    seen = echo.handshakes[-1]
    assert seen["query"] == {"h": ["c0ffee"], "key": [SECRET], "plain": ["1"]}
    assert seen["headers"]["X-Key"] == f"Bearer {SECRET}" and seen["cookies"] == {"c": SECRET}
    assert echo.messages[-3:] == [
        f'{{"key": "{SECRET}", "n": 1}}',
        bytes.fromhex("deadc0ffee"),
        SECRET + "-once",
    ]
    # ...the connection record shows ••••.
    request = opened["connection"]["request"]
    assert request["url"] == f"{echo.url()}?h={MASK}&key={MASK}&plain=1"
    assert ["X-Key", f"Bearer {MASK}"] in request["headers"]
    assert ["Cookie", f"c={MASK}"] in request["headers"]
    assert request["cookies"] == [["c", MASK]]
    assert opened["connection"]["response"]["status"] == 101

    # The log: sent bodies masked (with the real size), the upstream's echoes masked too.
    sent = [e for e in events if e["kind"] == "sent"]
    assert sent[0]["text"] == f'{{"key": "{MASK}", "n": 1}}' and sent[0]["info"]["masked"]
    assert sent[0]["size"] == len(f'{{"key": "{SECRET}", "n": 1}}')
    assert sent[1]["opcode"] == "binary" and sent[1]["size"] == 5
    assert sent[1]["text"] == f"de ad {MASK}" and sent[1]["info"] == {
        "masked": True,
        "format": "hex",
    }
    assert sent[2]["text"] == MASK and sent[2]["size"] == len(SECRET) + 5
    received = [e for e in events if e["kind"] == "received"]
    assert all(e["info"] == {"masked": True} for e in (received[0], received[1], received[3]))
    echoed = json.loads(received[0]["text"])
    assert echoed["query"] == {"h": [MASK], "key": [MASK], "plain": ["1"]}
    assert echoed["headers"]["X-Key"] == f"Bearer {MASK}" and echoed["cookies"] == {"c": MASK}
    assert received[3]["text"] == MASK
    assert events[0]["text"] == f"Connecting to {request['url']}"

    detail = api.client.get(f"{API}{sid}/events/{sent[1]['seq']}/").json()
    assert detail["content"] == f"de ad {MASK}" and "secret" in detail["problem"]

    # No response carries the value in any spelling.
    responses = [
        api.get(sid),
        api.events(sid),
        api.client.get(f"{API}{sid}/connections/").json(),
        api.client.get(API).json(),
        *(api.client.get(f"{API}{sid}/events/{e['seq']}/").json() for e in events),
        *(api.client.get(f"{API}{sid}/events/{e['seq']}/?as=base64").json() for e in events),
        client_for(team.editor).get(project_url(team, "variables/")).json(),
    ]
    _no_secret(*responses)
    _no_secret(*(bytes(e.data or b"").decode("latin-1") for e in Event.objects.all()))

    # A value the session keeps for a secret name is not shown either; null keeps it.
    patched = api.patch(sid, variables={"plain": "visible", "apiKey": SECRET})
    assert patched.json()["variables"] == {"plain": "visible", "apiKey": None}
    again = api.patch(sid, variables=patched.json()["variables"])
    assert again.json()["variables"] == {"plain": "visible", "apiKey": None}
    assert DebugSession.objects.get(pk=sid).variables == {"plain": "visible", "apiKey": SECRET}
    _no_secret(api.get(sid), api.client.get(API).json(), patched.json(), again.json())

    # Errors: a format error in a body holding a secret does not say where (or what).
    bad = api.client.post(
        f"{API}{sid}/messages/", {"format": "json", "body": "{{apiKey}}"}, format="json"
    )
    _no_secret(assert_error(bad, 400, "validation_error"))
    # The upstream closes with the secret as its reason.
    api.send(sid, body="close:{{apiKey}}")
    closed = api.wait_events(sid, lambda ev: "closed" in kinds(ev))[-1]
    assert closed["info"]["reason"] == MASK and closed["info"]["by"] == "upstream"
    assert closed["info"]["received"] == {"code": 4000, "reason": MASK}
    assert api.wait_state(sid, "closed")["connection"]["close"]["reason"] == MASK

    # A refused handshake that echoes the credentials, and a failure naming a secret host.
    api.patch(sid, url=echo.url("/refuse?h={{hexKey}}"))
    refused = assert_error(api.connect(sid, status=None), 502, "connect_failed")
    assert refused["connection"]["response"]["status"] == 401
    assert json.loads(refused["connection"]["response"]["body"])["cookies"] == {"c": MASK}
    variable_create(
        project=team.project,
        actor=team.admin,
        name="host",
        initial_value="secret-host.invalid",
        secret=True,
    )
    api.patch(sid, url="ws://{{host}}:1/x", params=[], headers=[], cookies=[])
    unknown_host = assert_error(api.connect(sid, status=None), 502, "connect_failed")
    assert unknown_host["kind"] == "dns" and MASK in unknown_host["detail"]
    assert "secret-host" not in json.dumps(unknown_host) + json.dumps(api.events(sid))
    _no_secret(
        refused, unknown_host, api.events(sid), api.client.get(f"{API}{sid}/connections/").json()
    )

    # Nothing Switchboard logged carries it, at any level (the test's own upstream may).
    _no_secret(
        *(r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server"))
    )

    # Another member of the project sees neither the session nor anyone's private value.
    current_value_set(
        variable=Variable.objects.get(name="apiKey"), user=team.editor, value="eve-private-Zk"
    )
    other = client_for(team.admin)
    for path in ("", "events/", "connections/", f"events/{events[0]['seq']}/"):
        assert_error(other.get(f"{API}{sid}/{path}"), 404, "not_found")
    assert_error(other.post(f"{API}{sid}/messages/", {"body": "x"}, format="json"), 404)
    assert sid not in [item["id"] for item in other.get(API).json()["results"]]
    variables = other.get(project_url(team, "variables/")).json()
    _no_secret(variables)
    assert "eve-private-Zk" not in json.dumps(variables)


async def test_the_live_socket_sends_with_values_and_never_shows_a_secret(
    relay: Any, team: Team, echo: HandshakeEcho
) -> None:
    await sync_to_async(variable_create)(
        project=team.project, actor=team.admin, name="apiKey", initial_value=SECRET, secret=True
    )
    await sync_to_async(variable_create)(
        project=team.project, actor=team.admin, name="n", initial_value="1"
    )
    api = SessionClient(APIClient())
    api.client.force_authenticate(team.editor)
    session = await sync_to_async(api.create)(
        project=team.project.pk,
        url=echo.url(),
        params=[{"name": "k", "value": "{{apiKey}}"}],
    )
    sid = session["id"]
    await sync_to_async(api.connect)(sid)
    _, token = await sync_to_async(token_create)(user=team.editor, name="live")
    viewer = WebsocketCommunicator(
        application,
        f"/ws/sessions/{sid}/",
        headers=[(b"authorization", f"Bearer {token}".encode())],
    )
    connected, _ = await viewer.connect(timeout=10)
    assert connected
    messages = [json.loads(await viewer.receive_from(timeout=10))]
    for ref, body, values in (
        (1, "n={{n}} key={{apiKey}}", None),
        (2, "n={{n}}", {"n": "2"}),
        (3, "{{missing}}", None),
    ):
        message = {"type": "send", "body": body, "ref": ref}
        if values is not None:
            message["variables"] = values
        await viewer.send_to(json.dumps(message))
    events: list[dict[str, Any]] = []
    replies: dict[Any, dict[str, Any]] = {}
    deadline = asyncio.get_running_loop().time() + 15
    while kinds(events).count("received") < 3 or len(replies) < 3:
        assert asyncio.get_running_loop().time() < deadline, (events, replies)
        message = json.loads(await viewer.receive_from(timeout=10))
        messages.append(message)
        if message["type"] == "events":
            events.extend(message["events"])
        else:
            replies[message["ref"]] = message
    await viewer.disconnect()

    assert replies[1]["type"] == replies[2]["type"] == "ack"
    assert replies[3]["code"] == "unresolved_variables"
    assert replies[3]["unresolved"] == [{"name": "missing", "where": "body"}]
    assert echo.messages[-2:] == [f"n=1 key={SECRET}", "n=2"]
    sent = [e for e in events if e["kind"] == "sent"]
    assert [e["text"] for e in sent] == [f"n=1 key={MASK}", "n=2"]
    assert sent[0]["info"]["masked"] and sent[1]["info"] is None
    _no_secret(messages)
