"""Path (c) of the relay benchmark: the floor of this stack.

A bare Channels consumer under Daphne that relays one viewer socket to the upstream named by
``BENCH_UPSTREAM_URL`` and back, one WebSocket message per frame: no channel layer, no
database, no authentication, no log. Run by ``bench_relay`` as
``daphne tests.bench.relay_floor:application`` in a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import django
from django.conf import settings

if not settings.configured:
    # Nothing but what Channels needs: no database, no channel layer (CHANNEL_LAYERS empty).
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-relay-floor",
        INSTALLED_APPS=[],
        DATABASES={},
        CHANNEL_LAYERS={},
        USE_TZ=True,
    )
    django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import ProtocolTypeRouter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "ws://127.0.0.1:8765/echo")


class FloorRelayConsumer(AsyncWebsocketConsumer):
    upstream: ClientConnection | None = None
    pump: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self.upstream = await connect(
            UPSTREAM_URL, compression=None, max_size=None, ping_interval=None
        )
        await self.accept()
        self.pump = asyncio.get_running_loop().create_task(self._pump(self.upstream))

    async def _pump(self, upstream: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in upstream:
                if isinstance(message, str):
                    await self.send(text_data=message)
                else:
                    await self.send(bytes_data=message)
        await self.close()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        assert self.upstream is not None
        await self.upstream.send(text_data if text_data is not None else bytes_data or b"")

    async def disconnect(self, code: int) -> None:
        if self.pump is not None:
            self.pump.cancel()
        if self.upstream is not None:
            await self.upstream.close()


async def health(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any HTTP request: 200, so the benchmark can tell the server is up."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


application = ProtocolTypeRouter({"http": health, "websocket": FloorRelayConsumer.as_asgi()})
