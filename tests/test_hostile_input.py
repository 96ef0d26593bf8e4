"""Hostile and broken input against a real server: the session API, the session WebSocket and
the docs pages, through Daphne on loopback (so frames and request lines arrive exactly as
sent), with a relay and an upstream echo server this module starts.

Each row of ``CASES`` sends one bad thing and checks the answer: a 4xx in the one error shape
(``{"code", "detail", "fields"?}``), an ``error`` message of that shape on the socket (which
stays usable), or a close code that says why. Around every row the test snapshots every row
of every table of every app and requires the database to be unchanged, except for the
columns in ``VOLATILE`` (reads legitimately move them) and the changes a row declares it
causes by design (a refused connect is logged in the session; a wrong docs password is
counted). The workspace API has its own 220-row table in tests/endpoints/test_bad_input.py.

Egress rows point the relay at the metadata address in every spelling (IPv4, decimal, octal,
hex, IPv4-mapped IPv6, AWS IPv6), at a name resolving to a denied address, and at ranges
outside the allow list. The relay's resolver here knows two test names and otherwise parses
numeric hosts like the C library does (``AI_NUMERICHOST``), so no DNS query is ever sent and
nothing but the loopback echo server is ever connected to.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts.tokens import token_create
from docs_app import services as docs_services
from endpoints.models import Presence, Role
from endpoints.projects.services import member_add, project_create
from endpoints.tree.services import endpoint_create, endpoint_update, folder_create
from sessions.models import DebugSession
from tests import daphne as daphne_server
from tests.conftest import assert_error_body
from tests.polling import wait_for
from tests.sessions.conftest import RelayThread
from tests.sessions.upstreams import LoopThread, WebsocketsUpstream
from tests.wire import RawWebSocket, Reply, http

ROOT = Path(__file__).resolve().parents[1]

# Columns that change on reads, by design; everything else must stay byte for byte.
VOLATILE = {
    # A bearer token records when it was last used (at most once a minute).
    "accounts.AccessToken": {"last_used_at"},
    # API calls and live viewers touch a session; the idle timeout counts from it.
    "debug_sessions.DebugSession": {"last_activity_at"},
    # The relay running beside the server writes its heartbeat every second.
    "debug_sessions.Relay": {"heartbeat_at"},
}

# What the relay's resolver knows besides numeric hosts.
NAMES = {
    "metadata.test": ["169.254.169.254"],
    # One good address and one denied: the name is denied as a whole.
    "mixed.test": ["127.0.0.1", "169.254.169.254"],
}


async def numeric_resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
    """getaddrinfo for test names and numeric hosts only (decimal, octal and hex IPv4 spellings
    included, as the C library reads them); any other name fails like an unknown one."""
    if host in NAMES:
        infos = []
        for address in NAMES[host]:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return infos
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)


# --- the stage: a seeded database, an upstream, a relay and Daphne ----------------------------


@dataclass
class Stage:
    port: int
    upstream: WebsocketsUpstream
    token: str  # the owner's
    viewer_token: str
    ids: dict[str, Any] = field(default_factory=dict)

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def path(self, template: str) -> str:
        return template.format(**self.ids)

    def api(
        self,
        method: str,
        template: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        all_headers = {**self.auth(), **({"Content-Type": content_type} if data else {})}
        all_headers.update(headers or {})
        return http(self.port, method, self.path(template), headers=all_headers, body=data)


def handshake_row(rows: str, name: str, value: str, bad: str) -> Case:
    """The idle session's ``rows`` (headers, cookies) set to one row whose ``bad`` part is
    refused."""
    return api("PATCH", IDLE, {rows: [{"name": name, "value": value}]}, field=f"{rows}[0].{bad}")


def _healthz_answers(port: int) -> bool:
    try:
        return http(port, "GET", "/healthz").status in (200, 503)
    except OSError:
        return False


def _seed(upstream: WebsocketsUpstream) -> tuple[dict[str, Any], str, str]:
    from django.contrib.auth import get_user_model

    users = get_user_model()
    owner = users.objects.create_user("hank", "hank@example.test", "pw-hank-correct")
    viewer = users.objects.create_user("vera", "vera@example.test", "pw-vera-correct")
    stranger = users.objects.create_user("sid", "sid@example.test", "pw-sid-correct")
    _, token = token_create(user=owner, name="hostile")
    _, viewer_token = token_create(user=viewer, name="hostile")
    project = project_create(actor=owner, name="Hostile", description="Under fire")
    member_add(project=project, user_ref=viewer.pk, role=Role.VIEWER)
    folder = folder_create(project=project, actor=owner, name="Streams")
    endpoint = endpoint_create(
        project=project,
        actor=owner,
        data={
            "name": "Ticker",
            "url": upstream.url("/echo"),
            "folder": folder.pk,
            "messages": [{"name": "hello", "format": "text", "body": "hello"}],
            "description": "Ticks <b>live</b>.",
        },
    )
    endpoint_update(endpoint=endpoint, actor=owner, data={"status": "testing"})
    theirs = project_create(actor=stranger, name="Not yours")
    their_folder = folder_create(project=theirs, actor=stranger, name="Theirs")
    their_endpoint = endpoint_create(
        project=theirs,
        actor=stranger,
        data={
            "name": "Secret",
            "url": "ws://127.0.0.1:9/",
            "messages": [{"name": "m", "format": "text", "body": "theirs"}],
        },
    )
    from sessions import services as session_services

    idle = session_services.session_create(
        actor=owner, project=project, data={"url": upstream.url("/echo"), "name": "idle"}
    )
    egress = session_services.session_create(
        actor=owner, project=project, data={"url": upstream.url("/echo"), "name": "egress"}
    )
    other_session = session_services.session_create(
        actor=stranger, project=theirs, data={"url": upstream.url("/echo")}
    )
    link, link_token = docs_services.share_link_create(project=project, actor=owner, name="Open")
    _, protected_token = docs_services.share_link_create(
        project=project, actor=owner, name="Locked", password="correct horse battery"
    )
    revoked, revoked_token = docs_services.share_link_create(
        project=project, actor=owner, name="Gone"
    )
    docs_services.share_link_revoke(link=revoked, actor=owner)
    expired, expired_token = docs_services.share_link_create(
        project=project, actor=owner, name="Old"
    )
    type(expired).objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    ids = {
        "project": project.pk,
        "folder": folder.pk,
        "endpoint": endpoint.pk,
        "message": endpoint.messages.get().pk,
        "their_project": theirs.pk,
        "their_folder": their_folder.pk,
        "their_endpoint": their_endpoint.pk,
        "their_message": their_endpoint.messages.get().pk,
        "idle": idle.pk,
        "egress": egress.pk,
        "other_session": other_session.pk,
        "link": link.pk,
        "share": link_token,
        "locked": protected_token,
        "revoked": revoked_token,
        "expired": expired_token,
        "upstream_port": upstream.port,
    }
    return ids, token, viewer_token


@pytest.fixture
def stage(transactional_db: None, tmp_path: Path) -> Iterator[Stage]:
    """Everything the rows need, started once for the table."""
    overrides = override_settings(
        RELAY_EMBEDDED=False,
        RELAY_HEARTBEAT_INTERVAL=1.0,
        # Loopback only: every other address is refused before a packet is sent.
        UPSTREAM_ALLOW_CIDRS=["127.0.0.0/8"],
    )
    overrides.enable()
    runner = LoopThread()
    upstream = WebsocketsUpstream(runner).start()
    relay = RelayThread(resolver=numeric_resolver)
    daphne = None
    try:
        ids, token, viewer_token = _seed(upstream)
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "RELAY_EMBEDDED")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.test_settings",
            TEST_DATABASE_URL=f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}",
            TEST_REDIS_URL=django_settings.REDIS_URL,
            # A web process only: connections are held by the relay this module runs.
            RELAY_EMBEDDED="false",
            LOG_LEVEL="WARNING",
        )
        with (tmp_path / "daphne.log").open("wb") as log:
            daphne, port = daphne_server.start(env=env, stderr=log, ready=_healthz_answers)
        stage = Stage(port=port, upstream=upstream, token=token, viewer_token=viewer_token)
        stage.ids = ids
        # The session the socket rows send on: open, with a small message limit.
        created = stage.api(
            "POST",
            "/api/v1/sessions/",
            {
                "project": ids["project"],
                "url": upstream.url("/echo"),
                "name": "open",
                "settings": {"max_message_size": 1000},
            },
        )
        assert created.status == 201, created.text
        ids["open"] = created.json()["id"]
        opened = stage.api("POST", f"/api/v1/sessions/{ids['open']}/connect/", {})
        assert opened.status == 200 and opened.json()["state"] == "open", opened.text
        yield stage
    finally:
        if daphne is not None:
            daphne_server.stop(daphne)
        relay.stop()
        upstream.stop()
        runner.stop()
        overrides.disable()


# --- the database, before and after -----------------------------------------------------------

Snapshot = dict[str, dict[Any, dict[str, Any]]]


def snapshot() -> Snapshot:
    """Every row of every table of every app (auto-created join tables too), by primary key."""
    tables: Snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        skip = VOLATILE.get(label, set())
        rows = {}
        for row in model._default_manager.order_by("pk").values():
            rows[row[model._meta.pk.attname]] = {
                key: bytes(value) if isinstance(value, memoryview) else value
                for key, value in row.items()
                if key not in skip
            }
        tables[label] = rows
    return tables


@dataclass
class Diff:
    added: dict[str, list[dict[str, Any]]]
    removed: dict[str, list[dict[str, Any]]]
    changed: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def tables(self) -> set[str]:
        return set(self.added) | set(self.removed) | set(self.changed)


def diff(before: Snapshot, after: Snapshot) -> Diff:
    added: dict[str, list[dict[str, Any]]] = {}
    removed: dict[str, list[dict[str, Any]]] = {}
    changed: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for label in before.keys() | after.keys():
        old, new = before.get(label, {}), after.get(label, {})
        if rows := [new[pk] for pk in sorted(new.keys() - old.keys())]:
            added[label] = rows
        if rows := [old[pk] for pk in sorted(old.keys() - new.keys())]:
            removed[label] = rows
        if pairs := [(old[pk], new[pk]) for pk in old.keys() & new.keys() if old[pk] != new[pk]]:
            changed[label] = pairs
    return Diff(added, removed, changed)


# --- rows ---------------------------------------------------------------------------------------


@dataclass
class Case:
    surface: str  # api, ws, docs or egress: what the row attacks
    run: Callable[[Stage], None]  # sends the input and checks the answer
    # The change the row causes by design; None: the database must be unchanged.
    allows: Callable[[Stage, Diff], None] | None = None
    before: Callable[[Stage], object] | None = None  # set-up outside the snapshot window


def error_shape(reply: Reply, status: int, code: str | None, field: str | None = None) -> None:
    assert reply.status == status, (reply.status, reply.text[:500])
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    body = reply.json()
    assert_error_body(body, code)
    if field is not None:
        assert field in body.get("fields", {}), body


def api(
    method: str,
    path: str,
    body: Any = None,
    *,
    status: int = 400,
    code: str | None = "validation_error",
    field: str | None = None,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
    token: str | None = None,
    before: Callable[[Stage], object] | None = None,
) -> Case:
    def run(stage: Stage) -> None:
        sent_headers = dict(headers or {})
        if token == "viewer":
            sent_headers["Authorization"] = f"Bearer {stage.viewer_token}"
        elif token is not None:
            sent_headers["Authorization"] = token
        reply = stage.api(
            method,
            path,
            body(stage) if callable(body) else body,
            headers=sent_headers,
            raw=raw,
            content_type=content_type,
        )
        error_shape(reply, status, code, field)

    return Case("api", run, before=before)


def set_draft(session: str, **fields: Any) -> Callable[[Stage], None]:
    """Set-up: write a session's draft directly (the hostile request is what comes next)."""

    def apply(stage: Stage) -> None:
        values = {
            key: value.format(**stage.ids) if isinstance(value, str) else value
            for key, value in fields.items()
        }
        DebugSession.objects.filter(pk=stage.ids[session]).update(**values)

    return apply


def egress(url: str, says: str = "egress policy") -> Case:
    """Connect the ``egress`` session to ``url``: 403 egress_denied, nothing reaches anything;
    the only change is the session's own log of the refused attempt (docs/debug-sessions.md
    "Egress policy")."""

    def run(stage: Stage) -> None:
        connections = stage.upstream.connections
        reply = stage.api("POST", "/api/v1/sessions/{egress}/connect/", {})
        error_shape(reply, 403, "egress_denied")
        body = reply.json()
        assert says in body["detail"], body
        assert body["kind"] == "egress" and body["state"] == "failed", body
        assert stage.upstream.connections == connections

    return Case("egress", run, allows=refused_attempt_logged, before=set_draft("egress", url=url))


def refused_attempt_logged(stage: Stage, change: Diff) -> None:
    session = stage.ids["egress"]
    assert change.tables() <= {
        "debug_sessions.DebugSession",
        "debug_sessions.Connection",
        "debug_sessions.Event",
    }, change
    assert not change.removed, change
    for old, new in change.changed.get("debug_sessions.DebugSession", []):
        assert old["id"] == session
        moved = {key for key in old if old[key] != new[key]}
        assert moved <= {"state", "connection_count", "relay_id", "relay_channel", "updated_at"}
        assert new["state"] == "failed"
    (record,) = change.added["debug_sessions.Connection"]
    assert record["session_id"] == session and record["failure_kind"] == "egress", record
    assert record["remote_address"] == "" and record["response_status"] is None, record
    # The relay writes its log in batches, so the order of ids is not the order of the log.
    entries = sorted(change.added["debug_sessions.Event"], key=lambda entry: entry["seq"])
    assert all(entry["session_id"] == session for entry in entries)
    assert entries[-1]["kind"] == "error" and entries[-1]["info"]["kind"] == "egress", entries


def password_counted(stage: Stage, change: Diff) -> None:
    """A wrong docs password is remembered: that is the rate limit's memory."""
    assert change.tables() == {"docs_app.PasswordFailure"}, change
    assert not change.removed and not change.changed, change
    assert len(change.added["docs_app.PasswordFailure"]) == 1, change


def presence_cleared(timeout: float = 10) -> None:
    """A project socket records its viewer's presence while open and removes it on close;
    wait for that before the database is compared."""
    wait_for(lambda: not Presence.objects.exists(), timeout)


def socket_error(
    frames: list[tuple[int, bytes | str | Any]],
    code: str,
    field: str | None = None,
    path: str = "/ws/sessions/{open}/",
) -> Case:
    """Frames to a socket (the open session's stream unless ``path`` says otherwise): an
    ``error`` message in the one shape, nothing sent upstream, and the socket still answers a
    ping."""

    def run(stage: Stage) -> None:
        sent = len(stage.upstream.received_on("/echo"))
        ws = RawWebSocket(stage.port, stage.path(path), stage.auth())
        try:
            assert ws.accepted, ws.status
            for opcode, payload in frames:
                if not isinstance(payload, bytes | str):
                    payload = json.dumps(payload)
                ws.send_frame(opcode, payload.encode() if isinstance(payload, str) else payload)
            while (message := ws.recv_json())["type"] != "error":
                pass  # the session snapshot, replayed events, presence...
            assert message["code"] == code, message
            assert isinstance(message["detail"], str) and message["detail"], message
            if field is not None:
                assert field in message.get("fields", {}), message
            ws.send_json({"type": "ping", "ref": "alive"})
            while ws.recv_json()["type"] != "pong":
                pass
        finally:
            ws.close()
        assert len(stage.upstream.received_on("/echo")) == sent
        presence_cleared()

    return Case("ws", run)


def socket_closed(
    path: str, close: int, frames: Sequence[tuple[int, bytes]] = (), headers: Any = "owner"
) -> Case:
    """The socket is accepted, then closed with ``close`` (after an error message, when the
    application closes it) — or refused at the handshake with HTTP 403 when ``close`` is 403."""

    def run(stage: Stage) -> None:
        sent_headers = stage.auth() if headers == "owner" else dict(headers or {})
        ws = RawWebSocket(stage.port, stage.path(path), sent_headers)
        try:
            if close == 403:
                assert ws.status == 403, ws.status
                return
            assert ws.accepted, ws.status
            if frames:
                # Once the greeting came, the server has set the socket up (a project socket
                # has recorded its presence), so what follows is about the frames alone.
                while ws.recv_json()["type"] not in ("session", "ready"):
                    pass
            for opcode, payload in frames:
                ws.send_frame(opcode, payload)
            if close >= 4000:
                message = ws.recv_json()
                assert message["type"] == "error" and isinstance(message["detail"], str), message
            assert ws.close_code() == close
        finally:
            ws.close()
        presence_cleared()

    return Case("ws", run)


def docs(
    method: str,
    target: str,
    status: int,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    host: str | None = None,
    says: str | None = None,
    allows: Callable[[Stage, Diff], None] | None = None,
) -> Case:
    """A docs page request: the status, an HTML or text page, nothing of the input reflected
    as markup, no header made up from the input."""

    def run(stage: Stage) -> None:
        reply = http(stage.port, method, stage.path(target), headers=headers, body=body, host=host)
        assert reply.status == status, (reply.status, reply.text[:300])
        assert "<script>alert" not in reply.text and "onerror=" not in reply.text
        assert not any(name in ("x-injected", "set-cookie") for name, _ in reply.raw_headers)
        if says is not None:
            assert says in reply.text, reply.text[:500]

    return Case("docs", run, allows=allows)


TEXT, BINARY = RawWebSocket.TEXT, RawWebSocket.BINARY
S = "/api/v1/sessions/"
IDLE, OPEN, EGRESS = S + "{idle}/", S + "{open}/", S + "{egress}/"
XSS = "<script>alert(1)</script>"
XSS_URL = urllib.parse.quote(XSS, safe="")

CASES: dict[str, Case] = {
    # --- the session API: bodies that are not what they claim --------------------------------
    "api-malformed-json": api("POST", S, raw=b'{"project": ', code="parse_error"),
    "api-invalid-utf8-body": api("POST", S, raw=b'{"name": "\xff\xfe"}', code="parse_error"),
    "api-json-array": api("POST", S, ["project", 1]),
    "api-json-string": api("POST", S, "project"),
    "api-nested-deep": api("POST", S, raw=b"[" * 100_000 + b"]" * 100_000, code="parse_error"),
    "api-text-plain": api(
        "POST", S, raw=b"project=1", content_type="text/plain", status=415, code=None
    ),
    "api-oversized-body": api(
        "POST",
        S,
        raw=b'{"name": "' + b"x" * (9 * 1024 * 1024) + b'"}',
        status=413,
        code="request_too_large",
    ),
    # Between Django's own 2.5 MiB limit and API_MAX_BODY_BYTES: read and validated.
    "api-3mib-name": api(
        "POST",
        S,
        lambda st: {"project": st.ids["project"], "name": "n" * (3 * 1024 * 1024)},
        field="name",
    ),
    "api-project-wrong-type": api("POST", S, {"project": "one"}, field="project"),
    "api-project-not-yours": api(
        "POST", S, lambda st: {"project": st.ids["their_project"]}, status=404, code="not_found"
    ),
    "api-endpoint-not-yours": api(
        "POST", S, lambda st: {"endpoint": st.ids["their_endpoint"]}, field="endpoint"
    ),
    # --- URL schemes the relay must never be given ----------------------------------------------
    "api-url-http": api(
        "POST",
        S,
        lambda st: {"project": st.ids["project"], "url": "http://127.0.0.1/"},
        field="url",
    ),
    "api-url-file": api(
        "POST",
        S,
        lambda st: {"project": st.ids["project"], "url": "file:///etc/passwd"},
        field="url",
    ),
    "api-url-javascript-xss": api("PATCH", IDLE, {"url": "javascript:" + XSS}, field="url"),
    "api-url-gopher": api("PATCH", IDLE, {"url": "gopher://127.0.0.1:6379/_INFO"}, field="url"),
    "api-url-crlf": api("PATCH", IDLE, {"url": "ws://127.0.0.1/\r\nHost: evil"}, field="url"),
    # --- header injection through handshake rows --------------------------------------------------
    "api-header-value-crlf": handshake_row("headers", "X-A", "1\r\nX-Injected: yes", "value"),
    "api-header-name-crlf": handshake_row("headers", "X-A\r\nX-Injected", "1", "name"),
    "api-header-name-space": handshake_row("headers", "X A", "1", "name"),
    "api-cookie-value-crlf": handshake_row("cookies", "sid", "a\r\nX-Injected: 1", "value"),
    "api-settings-wrong-type": api(
        "PATCH", IDLE, {"settings": {"open_timeout": "fast"}}, field="settings.open_timeout"
    ),
    "api-settings-out-of-range": api(
        "PATCH", IDLE, {"settings": {"max_message_size": -1}}, field="settings.max_message_size"
    ),
    "api-draft-while-open": api(
        "PATCH", OPEN, {"url": "ws://127.0.0.1:9/"}, status=409, code="session_connected"
    ),
    "api-session-not-yours": api("GET", S + "{other_session}/", status=404, code="not_found"),
    "api-session-id-overflow": api("GET", S + "9" * 30 + "/", status=404, code="not_found"),
    # --- messages: formats, sizes, types, variables ----------------------------------------------
    "msg-not-connected": api(
        "POST",
        IDLE + "messages/",
        {"format": "text", "body": "x"},
        status=409,
        code="not_connected",
    ),
    "msg-bad-base64": api(
        "POST", OPEN + "messages/", {"format": "base64", "body": "@@not base64@@"}, field="body"
    ),
    "msg-odd-hex": api("POST", OPEN + "messages/", {"format": "hex", "body": "abc"}, field="body"),
    "msg-non-hex": api("POST", OPEN + "messages/", {"format": "hex", "body": "zz"}, field="body"),
    "msg-bad-json": api(
        "POST", OPEN + "messages/", {"format": "json", "body": '{"a": }'}, field="body"
    ),
    "msg-unknown-format": api(
        "POST", OPEN + "messages/", {"format": "yaml", "body": "a: 1"}, field="format"
    ),
    "msg-body-wrong-type": api(
        "POST", OPEN + "messages/", {"format": "text", "body": 5}, field="body"
    ),
    "msg-lone-surrogate": api(
        "POST", OPEN + "messages/", raw=b'{"format": "text", "body": "\\ud800"}', field="body"
    ),
    "msg-id-and-body": api(
        "POST",
        OPEN + "messages/",
        lambda st: {"message_id": st.ids["message"], "body": "x"},
        field="message_id",
    ),
    "msg-id-not-yours": api(
        "POST",
        OPEN + "messages/",
        lambda st: {"message_id": st.ids["their_message"]},
        field="message_id",
    ),
    "msg-too-large": api(
        "POST",
        OPEN + "messages/",
        {"format": "text", "body": "x" * 2000},
        status=413,
        code="message_too_large",
    ),
    "msg-unknown-variable": api(
        "POST",
        OPEN + "messages/",
        {"format": "text", "body": "hi {{nobody}}"},
        code="unresolved_variables",
    ),
    "connect-unknown-variable": api(
        "POST",
        EGRESS + "connect/",
        {},
        code="unresolved_variables",
        before=set_draft("egress", url="ws://127.0.0.1:{upstream_port}/{{{{nowhere}}}}"),
    ),
    # --- the log: query parameters ------------------------------------------------------------
    "events-after-text": api("GET", OPEN + "events/?after=abc", field="after"),
    "events-after-empty": api("GET", OPEN + "events/?after=", field="after"),
    "events-after-huge": api("GET", OPEN + "events/?after=" + "9" * 30, field="after"),
    "events-limit-zero": api("GET", OPEN + "events/?limit=0", field="limit"),
    "events-direction-empty": api("GET", OPEN + "events/?direction=", field="direction"),
    "events-q-nul": api("GET", OPEN + "events/?q=a%00b", field="q"),
    "event-raw-format-unknown": api("GET", OPEN + "events/1/?as=raw&format=pdf", field="format"),
    "event-as-traversal": api("GET", OPEN + "events/1/?as=../../etc/passwd", field="as"),
    "event-format-xss": api("GET", OPEN + "events/1/?format=" + XSS_URL, code=None),
    "event-encoding-unknown": api("GET", OPEN + "events/1/?encoding=rot13", code=None),
    "event-missing": api("GET", OPEN + "events/999999/", status=404, code="not_found"),
    # --- closing, saving, versions ---------------------------------------------------------------
    "disconnect-reserved-code": api("POST", OPEN + "disconnect/", {"code": 1005}, field="code"),
    "disconnect-long-reason": api(
        "POST", OPEN + "disconnect/", {"reason": "é" * 100}, field="reason"
    ),
    "save-stale-version": api(
        "POST",
        IDLE + "save/",
        {"target": "source"},
        headers={"If-Match": '"1"'},
        status=412,
        code="version_conflict",
        before=lambda st: DebugSession.objects.filter(pk=st.ids["idle"]).update(
            endpoint_id=st.ids["endpoint"]
        ),
    ),
    "save-bad-if-match": api(
        "POST",
        IDLE + "save/",
        {"target": "source"},
        headers={"If-Match": "yesterday"},
        field="If-Match",
    ),
    "save-folder-not-yours": api(
        "POST",
        IDLE + "save/",
        lambda st: {"target": "new", "folder": st.ids["their_folder"]},
        field="folder",
    ),
    "format-bad-json": api("POST", S + "format/", {"format": "json", "body": "{"}, field="body"),
    "ca-bundle-not-pem": api(
        "PUT", "/api/v1/projects/{project}/ca-bundle/", {"pem": XSS}, field="pem"
    ),
    "ca-bundle-viewer": api(
        "PUT",
        "/api/v1/projects/{project}/ca-bundle/",
        {"pem": "x"},
        status=403,
        code="permission_denied",
        token="viewer",
    ),
    "share-link-folder-not-yours": api(
        "POST",
        "/api/v1/projects/{project}/share-links/",
        lambda st: {"name": "x", "whole_project": False, "folders": [st.ids["their_folder"]]},
        field="folders",
    ),
    "share-link-expired-on-create": api(
        "POST",
        "/api/v1/projects/{project}/share-links/",
        {"name": "x", "expires_at": "2001-01-01T00:00:00Z"},
        field="expires_at",
    ),
    "share-link-stale-version": api(
        "PATCH",
        "/api/v1/projects/{project}/share-links/{link}/",
        {"name": "y"},
        headers={"If-Match": '"99"'},
        status=412,
        code="version_conflict",
    ),
    # --- authentication and the request line -----------------------------------------------------
    "auth-garbage-token": api(
        "GET", S, status=401, code="authentication_failed", token="Bearer " + "A" * 8000
    ),
    "auth-wrong-password": api(
        "POST",
        "/api/v1/auth/tokens/",
        {"username": "hank", "password": "nope", "name": "x"},
        status=401,
        code="authentication_failed",
    ),
    "path-dot-dot": api("GET", "/api/v1/sessions/../projects/", status=404, code="not_found"),
    "path-encoded-crlf": api(
        "GET", "/api/v1/sessions/%0d%0aX-Injected:%20yes/", status=404, code="not_found"
    ),
    "path-post-unknown": api(
        "POST", "/api/v1/sessions/null/connect/", {}, status=404, code="not_found"
    ),
    # --- the egress policy ---------------------------------------------------------------------
    "egress-metadata-ipv4": egress("ws://169.254.169.254/latest/meta-data/"),
    "egress-metadata-ipv6": egress("ws://[fd00:ec2::254]/"),
    "egress-ipv4-mapped-ipv6": egress("ws://[::ffff:169.254.169.254]/"),
    "egress-decimal": egress("ws://2852039166/"),
    "egress-octal": egress("ws://0251.0376.0251.0376/"),
    "egress-hex": egress("ws://0xa9.0xfe.0xa9.0xfe/"),
    "egress-name-to-metadata": egress("ws://metadata.test/", says="metadata.test resolves to"),
    "egress-name-one-bad-address": egress(
        "ws://mixed.test:{upstream_port}/echo", says="169.254.169.254"
    ),
    "egress-unspecified-ipv4": egress("ws://0.0.0.0:{upstream_port}/"),
    "egress-unspecified-ipv6": egress("ws://[::]:{upstream_port}/"),
    "egress-alibaba-metadata": egress("ws://100.100.100.200/"),
    "egress-link-local-ipv6": egress("ws://[fe80::1]/"),
    "egress-outside-allow-list": egress("ws://10.0.0.1/", says="UPSTREAM_ALLOW_CIDRS"),
    # --- the session socket: opening it -----------------------------------------------------------
    "ws-no-credentials": socket_closed("/ws/sessions/{open}/", 4401, headers=None),
    "ws-bad-token": socket_closed(
        "/ws/sessions/{open}/", 403, headers={"Authorization": "Bearer sb_nope"}
    ),
    "ws-foreign-origin": socket_closed(
        "/ws/sessions/{open}/", 403, headers={"Origin": "https://evil.example"}
    ),
    "ws-not-yours": socket_closed("/ws/sessions/{other_session}/", 4404),
    "ws-no-such-session": socket_closed("/ws/sessions/" + "9" * 30 + "/", 4404),
    "ws-after-text": socket_closed("/ws/sessions/{open}/?after=abc", 4400),
    "ws-after-negative": socket_closed("/ws/sessions/{open}/?after=-5", 4400),
    # --- the session socket: frames ----------------------------------------------------------------
    "ws-invalid-utf8-text": socket_closed(
        "/ws/sessions/{open}/", 1007, frames=[(TEXT, b'{"type": "ping", "x": "\xff\xfe"}')]
    ),
    "ws-oversized-frame": socket_closed(
        "/ws/sessions/{open}/",
        1009,
        frames=[(TEXT, b"x" * (django_settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE + 1))],
    ),
    "ws-malformed-json": socket_error([(TEXT, '{"type": "send", ')], "parse_error"),
    "ws-json-array": socket_error([(TEXT, "[1, 2]")], "parse_error"),
    "ws-nested-deep": socket_error([(TEXT, "[" * 100_000 + "]" * 100_000)], "parse_error"),
    "ws-binary-frame": socket_error([(BINARY, b"\x00\x01")], "parse_error"),
    "ws-unknown-type": socket_error([(TEXT, {"type": "subscribe"})], "parse_error"),
    "ws-bad-base64": socket_error(
        [(TEXT, {"type": "send", "format": "base64", "body": "%%%"})], "validation_error", "body"
    ),
    "ws-odd-hex": socket_error(
        [(TEXT, {"type": "send", "format": "hex", "body": "f"})], "validation_error", "body"
    ),
    "ws-bad-json-body": socket_error(
        [(TEXT, {"type": "send", "format": "json", "body": "{'a': 1}"})],
        "validation_error",
        "body",
    ),
    "ws-body-wrong-type": socket_error(
        [(TEXT, {"type": "send", "format": "text", "body": ["x"]})], "validation_error", "body"
    ),
    "ws-format-wrong-type": socket_error(
        [(TEXT, {"type": "send", "format": 7, "body": "x"})], "validation_error", "format"
    ),
    "ws-message-id-text": socket_error(
        [(TEXT, {"type": "send", "message_id": "1"})], "validation_error", "message_id"
    ),
    "ws-message-too-large": socket_error(
        [(TEXT, {"type": "send", "format": "text", "body": "y" * 5000})], "message_too_large"
    ),
    "ws-unknown-variable": socket_error(
        [(TEXT, {"type": "send", "format": "text", "body": "{{nobody}}"})],
        "unresolved_variables",
    ),
    "ws-xss-format": socket_error(
        [(TEXT, {"type": "send", "format": XSS, "body": "x"})], "validation_error", "format"
    ),
    "ws-project-nested-deep": socket_error(
        [(TEXT, "[" * 100_000 + "]" * 100_000)], "parse_error", path="/ws/projects/{project}/"
    ),
    "ws-project-invalid-utf8": socket_closed(
        "/ws/projects/{project}/", 1007, frames=[(TEXT, b'{"type": "open", "endpoint": "\xc3"}')]
    ),
    # --- the docs pages -------------------------------------------------------------------------
    "docs-unknown-token": docs("GET", "/share/not-a-real-token/", 404),
    "docs-revoked": docs("GET", "/share/{revoked}/", 404),
    "docs-expired": docs("GET", "/share/{expired}/", 404),
    "docs-xss-token": docs("GET", f"/share/{XSS_URL}/", 404),
    "docs-dot-dot": docs("GET", "/share/{share}/../../api/v1/projects/", 404),
    "docs-encoded-dot-dot": docs("GET", "/share/%2e%2e/%2e%2e/api/v1/projects/", 404),
    "docs-encoded-crlf": docs("GET", "/share/{share}%0d%0aSet-Cookie:%20x=1/", 404),
    "docs-endpoint-not-yours": docs("GET", "/share/{share}/endpoints/{their_endpoint}/", 404),
    "docs-endpoint-overflow": docs("GET", "/share/{share}/endpoints/" + "9" * 30 + "/", 404),
    "docs-markdown-locked": docs("GET", "/share/{locked}/index.md", 403),
    "docs-put": docs("PUT", "/share/{share}/", 405),
    "docs-foreign-host": docs("GET", "/share/{share}/", 400, host="evil.example"),
    "docs-wrong-password": docs(
        "POST",
        "/share/{locked}/unlock/",
        403,
        body=b"password=nope&next=//evil.example/",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allows=password_counted,
    ),
    "docs-huge-password": docs(
        "POST",
        "/share/{locked}/unlock/",
        403,
        body=b"password=" + b"A" * (3 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allows=password_counted,
    ),
}


def test_the_table_covers_every_surface() -> None:
    surfaces = {case.surface for case in CASES.values()}
    assert surfaces == {"api", "ws", "docs", "egress"}
    assert len(CASES) >= 60, len(CASES)


def test_hostile_input_is_refused_and_changes_nothing(stage: Stage, subtests: Any) -> None:
    """Every row of the table, each a subtest of its own (one server for all of them)."""
    failed = []
    for name, case in CASES.items():
        with subtests.test(msg=name):
            try:
                if case.before is not None:
                    case.before(stage)
                before = snapshot()
                case.run(stage)
                change = diff(before, snapshot())
                if case.allows is not None:
                    case.allows(stage, change)
                else:
                    assert not change, f"{name} changed the database: {change}"
            except BaseException:
                failed.append(name)
                raise
    assert not failed, f"{len(failed)} of {len(CASES)} rows failed: {failed}"
