"""Fixtures of the workspace's browser tests: ORM calls beside Playwright, and an upstream
that wants an API key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from tests.sessions.upstreams import LoopThread

KEYS = {"k1", "k2"}


class KeyedUpstream:
    """Wants ``X-Api-Key`` (k1 or k2; else 401), greets with the key it got, then echoes."""

    def __init__(self) -> None:
        self.runner = LoopThread()
        self.keys_seen: list[str] = []

    def start(self) -> str:
        def check(connection: ServerConnection, request: Request) -> Response | None:
            if request.headers.get("X-Api-Key") not in KEYS:
                return connection.respond(401, "missing or wrong X-Api-Key\n")
            return None

        async def handler(connection: ServerConnection) -> None:
            assert connection.request is not None  # set by the handshake, before the handler
            key = connection.request.headers["X-Api-Key"]
            self.keys_seen.append(key)
            await connection.send(json.dumps({"hello": key}))
            async for message in connection:
                await connection.send(message)

        async def start() -> Any:
            return await serve(
                handler,
                "127.0.0.1",
                0,
                process_request=check,
                compression=None,
                ping_interval=None,
            )

        self.server = self.runner.run(start())
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/ticker"

    def stop(self) -> None:
        async def stop() -> None:
            self.server.close()
            await asyncio.wait_for(self.server.wait_closed(), 5)

        self.runner.run(stop())
        self.runner.stop()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    (arranging data, checking what was saved) are still plain blocking calls."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def upstream() -> Iterator[str]:
    server = KeyedUpstream()
    url = server.start()
    yield url
    server.stop()
