"""Liveness and readiness: is the database answering, is the channel layer passing messages."""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

CHANNEL_LAYER_TIMEOUT = 2.0


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"error: {type(exc).__name__}"
    return "ok"


async def _roundtrip() -> None:
    layer = get_channel_layer()
    # Default prefix: another prefix is never read while a socket consumer of this process
    # waits on "specific." (see sessions/relay/client.py).
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "healthz.ping"})
    await asyncio.wait_for(layer.receive(channel), CHANNEL_LAYER_TIMEOUT)


def _check_channel_layer() -> str:
    try:
        async_to_sync(_roundtrip)()
    except Exception as exc:  # unreachable Redis, timeout, misconfiguration
        return f"error: {type(exc).__name__}"
    return "ok"


def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    checks = {"database": _check_database(), "channel_layer": _check_channel_layer()}
    healthy = all(value == "ok" for value in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        **checks,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    return JsonResponse(body, status=200 if healthy else 503)
