"""Run a relay worker: a process that holds upstream connections of debug sessions.

Used when REDIS_URL is set (scaled mode): run one or more next to the web processes, with the
same DATABASE_URL and REDIS_URL. SIGTERM or SIGINT closes every upstream with 1001, records
it, and leaves the relay registry.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sessions.relay.server import Relay


class Command(BaseCommand):
    help = "Hold upstream WebSocket connections of debug sessions (scaled mode, needs REDIS_URL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--max-connections",
            type=int,
            default=None,
            help="Connections this worker may hold (default RELAY_MAX_CONNECTIONS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if isinstance(get_channel_layer(), InMemoryChannelLayer):
            raise CommandError(
                "relay_worker needs REDIS_URL: with the in-memory channel layer no other process "
                "can reach it (the embedded relay inside the server is used instead)."
            )
        asyncio.run(self._run(options["max_connections"]))

    async def _run(self, capacity: int | None) -> None:
        relay = Relay(mode="worker", capacity=capacity)
        await relay.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        self.stdout.write(
            f"relay worker ready: channel {relay.channel_name}, up to {relay.capacity} "
            f"connections, heartbeat every {settings.RELAY_HEARTBEAT_INTERVAL:g} s",
        )
        self.stdout.flush()
        await stop.wait()
        self.stdout.write("relay worker stopping: closing upstream connections with 1001")
        self.stdout.flush()
        await relay.shutdown()
