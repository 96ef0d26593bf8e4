"""Fixtures of the debug-session tests: real upstream servers on loopback, a relay running in a
thread of the test process (or in a worker process), and a small client for the session API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from channels.layers import DEFAULT_CHANNEL_LAYER, channel_layers
from django.utils import timezone
from rest_framework.test import APIClient

from sessions import models
from sessions.relay.protocol import LIVE_LAYER
from sessions.relay.server import Relay
from tests.polling import wait_for
from tests.sessions.upstreams import (
    AiohttpUpstream,
    LoopThread,
    SilentServer,
    WebsocketsUpstream,
    hosts_resolver,
    self_signed,
)

# What the test relay's resolver knows; anything else fails like an unknown DNS name.
TEST_NAMES = {
    "localhost": "127.0.0.1",
    "upstream.test": "127.0.0.1",
    "internal.test": "127.0.0.2",
    "metadata.test": "169.254.169.254",
}
API = "/api/v1/sessions/"


def relay_row(
    *, channel_name: str = "relay.test!worker", heartbeat_at: datetime | None = None
) -> models.Relay:
    """A relay worker's registry row as it registers itself; no relay runs behind it."""
    return models.Relay.objects.create(
        channel_name=channel_name,
        host="test",
        pid=1,
        mode="worker",
        capacity=10,
        heartbeat_at=heartbeat_at or timezone.now(),
    )


@pytest.fixture(autouse=True)
def _relay_settings(settings: Any) -> None:
    # The test process is a web process; relays run in a thread or a worker process and are
    # found through the registry, as in the scaled deployment.
    settings.RELAY_EMBEDDED = False
    settings.RELAY_HEARTBEAT_INTERVAL = 1.0
    settings.RELAY_LOST_AFTER = 15.0


@pytest.fixture(scope="session")
def upstream_loop() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.stop()


@pytest.fixture(scope="session")
def ws_upstream(upstream_loop: LoopThread) -> Iterator[WebsocketsUpstream]:
    server = WebsocketsUpstream(upstream_loop).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aio_upstream(upstream_loop: LoopThread) -> Iterator[AiohttpUpstream]:
    server = AiohttpUpstream(upstream_loop).start()
    yield server
    server.stop()


@pytest.fixture(params=["websockets", "aiohttp"])
def upstream(request: Any) -> Any:
    """Each test using this runs against both upstream implementations."""
    return request.getfixturevalue(
        "ws_upstream" if request.param == "websockets" else "aio_upstream"
    )


@pytest.fixture(scope="session")
def tls_upstream(
    upstream_loop: LoopThread, tmp_path_factory: Any
) -> Iterator[tuple[WebsocketsUpstream, str]]:
    import ssl

    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = WebsocketsUpstream(upstream_loop, ssl_context=context).start()
    yield server, cert.read_text()
    server.stop()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


class RelayThread:
    """A relay with its own event loop and channel-layer connection, in a thread."""

    def __init__(self, **kwargs: Any) -> None:
        self.runner = LoopThread()
        layer = channel_layers.make_backend(DEFAULT_CHANNEL_LAYER)
        live = channel_layers.make_backend(LIVE_LAYER)
        self.relay = Relay(mode="worker", layer=layer, live=live, **kwargs)
        self.runner.run(self.relay.start())

    def stop(self) -> None:
        async def stop() -> None:
            await self.relay.shutdown()

        try:
            self.runner.run(stop(), timeout=30)
        finally:
            self.runner.stop()


@pytest.fixture
def relay(transactional_db: None) -> Iterator[Relay]:
    started = RelayThread(resolver=hosts_resolver(TEST_NAMES))
    yield started.relay
    started.stop()


class SessionClient:
    """The session API as a test uses it."""

    def __init__(self, client: APIClient) -> None:
        self.client = client

    def create(self, status: int = 201, **data: Any) -> dict[str, Any]:
        response = self.client.post(API, data, format="json")
        assert response.status_code == status, response.json()
        return response.json()

    def open(self, **data: Any) -> dict[str, Any]:
        """A new session (``create``), connected: its connect call answered 200."""
        session = self.create(**data)
        self.connect(session["id"])
        return session

    def get(self, session_id: int) -> dict[str, Any]:
        response = self.client.get(f"{API}{session_id}/")
        assert response.status_code == 200, response.json()
        return response.json()

    def patch(self, session_id: int, **data: Any) -> Any:
        return self.client.patch(f"{API}{session_id}/", data, format="json")

    def connect(self, session_id: int, status: int | None = 200, **data: Any) -> Any:
        response = self.client.post(f"{API}{session_id}/connect/", data, format="json")
        if status is not None:
            assert response.status_code == status, response.json()
        return response

    def disconnect(self, session_id: int, **data: Any) -> dict[str, Any]:
        response = self.client.post(f"{API}{session_id}/disconnect/", data, format="json")
        assert response.status_code == 200, response.json()
        return response.json()

    def send(self, session_id: int, status: int = 201, **data: Any) -> dict[str, Any]:
        response = self.client.post(f"{API}{session_id}/messages/", data, format="json")
        assert response.status_code == status, response.json()
        return response.json()

    def events(self, session_id: int, **params: Any) -> list[dict[str, Any]]:
        """Every event (all pages) matching ``params``."""
        found: list[dict[str, Any]] = []
        after = params.pop("after", 0)
        while True:
            response = self.client.get(
                f"{API}{session_id}/events/", {**params, "after": after, "limit": 500}
            )
            assert response.status_code == 200, response.json()
            body = response.json()
            found.extend(body["results"])
            if not body["has_more"]:
                return found
            after = body["next_after"]

    def wait_events(
        self, session_id: int, check: Callable[[list[dict[str, Any]]], bool], timeout: float = 10
    ) -> list[dict[str, Any]]:
        holder: list[list[dict[str, Any]]] = []

        def probe() -> bool:
            events = self.events(session_id)
            holder[:] = [events]
            return check(events)

        try:
            wait_for(probe, timeout)
        except AssertionError:
            raise AssertionError(f"events never matched; last seen: {holder[0][-5:]}") from None
        return holder[0]

    def wait_state(self, session_id: int, *states: str, timeout: float = 10) -> dict[str, Any]:
        return wait_for(
            lambda: (lambda s: s if s["state"] in states else None)(self.get(session_id)), timeout
        )


@pytest.fixture
def sessions_for(client_for: Callable[[Any], APIClient]) -> Callable[[Any], SessionClient]:
    return lambda user: SessionClient(client_for(user))
