"""Switchboard behind a real TLS-terminating proxy: Debian's nginx (``make proxy``) with the
``location`` of deploy/nginx.conf, in front of Daphne run with the documented production
environment (docs/deployment.md "HTTPS behind a TLS-terminating proxy"), a certificate made
here, and nothing trusted but it.

A member signs in with the login form, saves a project and an endpoint with the session cookie
and the CSRF header (the browser's way), opens a debug session and watches it over ``wss://``,
and shares the docs: every URL the server hands out is ``https://`` on the public address.
Then the bad input: forged or malformed ``X-Forwarded-Proto`` through the proxy, straight to
Daphne, and to a Daphne that does not trust the header at all.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from websockets.sync.client import connect as ws_connect
from websockets.typing import Origin

from accounts.tokens import token_create
from docs_app.models import ShareLink
from endpoints.models import Endpoint
from scripts.scaled import free_port
from tests import daphne
from tests.browser import database_url
from tests.sessions.upstreams import self_signed
from tests.test_https import documented_production_env
from tests.tls_proxy import require_nginx, tls_proxy

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "tls-proxy-Pa55"
HSTS = "max-age=31536000; includeSubDomains; preload"


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def cookie(self, name: str) -> str:
        """The Set-Cookie line of cookie ``name`` (fails when the reply did not set it)."""
        lines = [c for c in self.headers.get_all("Set-Cookie") or [] if c.startswith(f"{name}=")]
        assert lines, (name, self.headers.get_all("Set-Cookie"))
        return lines[-1]


@dataclass
class Agent:
    """What a browser does over HTTP: one origin, its cookies, the headers it sends itself."""

    base: str
    context: ssl.SSLContext | None = None
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        parts = urlsplit(self.base)
        assert parts.hostname and parts.port
        connection = (
            http.client.HTTPSConnection(
                parts.hostname, parts.port, context=self.context, timeout=20
            )
            if parts.scheme == "https"
            else http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        )
        sent = dict(headers or {})
        body: bytes | None = None
        if data is not None:
            body, sent["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read())
        finally:
            connection.close()
        for line in reply.headers.get_all("Set-Cookie") or []:
            name, _, rest = line.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return reply

    def write(self, method: str, path: str, data: dict[str, Any]) -> Reply:
        """An API write from a page of this origin: session cookie, CSRF header, Origin."""
        headers = {"Origin": self.base, "X-CSRFToken": self.cookies["csrftoken"]}
        return self.request(method, path, data=data, headers=headers)


def _server_env(tmp_path: Path, settings: dict[str, str]) -> dict[str, str]:
    """``settings`` for Daphne, on the test database, with the embedded relay (one process is
    enough here) and a secret key of its own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "DATABASE_URL"}
    }
    env.update(settings)
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url(),
        SECRET_KEY=secrets.token_urlsafe(50),
        SWITCHBOARD_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        LOG_LEVEL="WARNING",
    )
    return env


@contextlib.contextmanager
def running(env: dict[str, str], *args: str) -> Iterator[int]:
    process, port = daphne.start(env=env, args=args)
    try:
        yield port
    finally:
        daphne.stop(process)


@pytest.fixture
def member(make_user: Any) -> Any:
    user = make_user("tess")
    # The server runs the real settings (not the test's MD5): store a hash it accepts.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, "tls-salt", iterations=1000)
    user.save(update_fields=["password"])
    return user


def test_a_member_works_over_https_and_wss_through_nginx(tmp_path, member):
    require_nginx()
    cert, key = self_signed(tmp_path)
    https_port = free_port()
    public = f"https://localhost:{https_port}"
    env = _server_env(
        tmp_path,
        documented_production_env()
        | {"SWITCHBOARD_PUBLIC_URL": public, "ALLOWED_HOSTS": "localhost,127.0.0.1"},
    )
    with (
        running(env) as web_port,
        tls_proxy(tmp_path / "nginx", web_port, cert, key, https_port) as proxy,
    ):
        context = ssl.create_default_context(cafile=str(cert))
        agent = Agent(public, context)

        # Sign in with the login form. Its CSRF cookie, and then the session cookie, are
        # Secure; HSTS comes with every HTTPS response.
        page = agent.request("GET", "/accounts/login/")
        assert page.status == 200, page.body[:300]
        assert page.headers["Strict-Transport-Security"] == HSTS
        assert "; Secure" in page.cookie("csrftoken")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        assert token
        signed_in = agent.request(
            "POST",
            "/accounts/login/",
            form={
                "username": "tess",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1).decode(),
                "next": "/",
            },
            headers={"Origin": public, "Referer": f"{public}/accounts/login/"},
        )
        assert signed_in.status == 302, signed_in.body[:500]
        assert signed_in.headers["Location"] == "/"
        session_cookie = signed_in.cookie("sessionid")
        assert "; Secure" in session_cookie and "; HttpOnly" in session_cookie
        assert agent.request("GET", "/").status == 200

        # Writes need the CSRF header, as in the browser; with it they work over HTTPS.
        refused = agent.request(
            "POST", "/api/v1/projects/", data={"name": "Nope"}, headers={"Origin": public}
        )
        assert refused.status == 403, refused.body
        project = agent.write("POST", "/api/v1/projects/", {"name": "Over TLS"})
        assert project.status == 201, project.body
        project_id = project.json()["id"]
        echo = f"ws://127.0.0.1:{web_port}/ws/echo/"
        saved = agent.write(
            "POST", f"/api/v1/projects/{project_id}/endpoints/", {"name": "Echo", "url": echo}
        )
        assert saved.status == 201, saved.body
        assert Endpoint.objects.get(pk=saved.json()["id"]).url == echo

        # A debug session, watched live over wss:// with the login cookie.
        session = agent.write("POST", "/api/v1/sessions/", {"endpoint": saved.json()["id"]})
        assert session.status == 201, session.body
        session_id = session.json()["id"]
        opened = agent.write("POST", f"/api/v1/sessions/{session_id}/connect/", {})
        assert opened.status == 200 and opened.json()["state"] == "open", opened.body
        with ws_connect(
            f"wss://localhost:{https_port}/ws/sessions/{session_id}/",
            ssl=context,
            origin=Origin(public),
            additional_headers={"Cookie": f"sessionid={agent.cookies['sessionid']}"},
            open_timeout=10,
        ) as socket:
            first = json.loads(socket.recv(timeout=10))
            assert first["type"] == "session", first
            socket.send(json.dumps({"type": "send", "format": "text", "body": "over wss",
                                    "ref": "r1"}))  # fmt: skip
            acked = echoed = False
            while not (acked and echoed):
                message = json.loads(socket.recv(timeout=10))
                acked = acked or (message["type"] == "ack" and message["ref"] == "r1")
                echoed = echoed or any(
                    event["kind"] == "received" and event.get("text") == "over wss"
                    for event in message.get("events", [])
                )
        events = agent.request("GET", f"/api/v1/sessions/{session_id}/events/?limit=1")
        assert events.json()["next"].startswith(f"{public}/api/v1/sessions/{session_id}/events/")

        # Share the docs: the link is on the public https:// address, and it opens.
        shared = agent.write(
            "POST", f"/api/v1/projects/{project_id}/share-links/", {"name": "Partners"}
        )
        assert shared.status == 201, shared.body
        url = shared.json()["url"]
        assert url == f"{public}/share/{shared.json()['token']}/"
        assert ShareLink.objects.filter(project_id=project_id, name="Partners").exists()
        reader = Agent(public, context).request("GET", urlsplit(url).path)
        assert reader.status == 200 and b"Echo" in reader.body
        llms = Agent(public, context).request("GET", urlsplit(url).path + "llms.txt")
        assert f"{url}index.md".encode() in llms.body

        # Bad input through the proxy: nginx replaces what a client claims.
        for claim in ("http", "javascript:alert(1)", "https, http", ""):
            reply = agent.request(
                "GET",
                f"/api/v1/projects/{project_id}/share-links/",
                headers={"X-Forwarded-Proto": claim},
            )
            assert reply.status == 200, (claim, reply.body[:300])
            assert reply.headers["Strict-Transport-Security"] == HSTS, claim
            assert reply.json()[0]["url"] == url
        plain = Agent(f"http://localhost:{proxy.http_port}").request(
            "GET", "/api/v1/projects/", headers={"X-Forwarded-Proto": "https"}
        )
        assert plain.status == 301, plain.body[:300]
        assert plain.headers["Location"] == f"{public}/api/v1/projects/"

        # Straight to Daphne (which the proxy should be the only one to reach): a malformed
        # header is plain HTTP, redirected to the public address, never an error.
        direct = Agent(f"http://127.0.0.1:{web_port}")
        for claim in ("javascript", "HTTPS", "", "h\u00e9"):
            reply = direct.request(
                "GET",
                "/api/v1/projects/",
                headers={"X-Forwarded-Proto": claim, "Host": "localhost"},
            )
            assert reply.status == 301, (claim, reply.status, reply.body[:300])
            assert reply.headers["Location"] == f"{public}/api/v1/projects/"
            assert "Strict-Transport-Security" not in reply.headers
        health = direct.request("GET", "/healthz")
        assert health.status == 200, health.body


def test_a_spoofed_forwarded_proto_is_not_believed_when_trusting_is_off(tmp_path, member):
    """Daphne run as the compose file runs it (--proxy-headers copies X-Forwarded-Proto into
    the request) but TRUST_X_FORWARDED_PROTO off: plain HTTP stays plain."""
    env = _server_env(tmp_path, {"DEBUG": "0", "SECURE_HSTS_SECONDS": "31536000"})
    for name in ("SWITCHBOARD_PUBLIC_URL", "TRUST_X_FORWARDED_PROTO", "SECURE_SSL_REDIRECT"):
        env.pop(name, None)
    _, secret = token_create(user=member, name="script")
    with running(env, "--proxy-headers") as port:
        base = f"http://127.0.0.1:{port}"
        agent = Agent(base)
        project = agent.request(
            "POST",
            "/api/v1/projects/",
            data={"name": "Plain"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert project.status == 201, project.body
        for claim in ("https", "javascript", "wss"):
            reply = agent.request(
                "POST",
                f"/api/v1/projects/{project.json()['id']}/share-links/",
                data={"name": f"Spoofed {claim}"},
                headers={
                    "Authorization": f"Bearer {secret}",
                    "X-Forwarded-For": "203.0.113.9",
                    "X-Forwarded-Proto": claim,
                },
            )
            assert reply.status == 201, (claim, reply.body[:300])
            assert reply.json()["url"].startswith(f"{base}/share/"), reply.json()["url"]
            assert "Strict-Transport-Security" not in reply.headers
        # Sign-in over plain HTTP still works: cookies are not Secure-only without https.
        page = agent.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
        assert page.status == 200 and "Secure" not in page.cookie("csrftoken")
