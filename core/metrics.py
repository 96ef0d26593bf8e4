"""Prometheus metrics (prometheus_client): what the server, its sockets and the relay are doing.

With several processes (web replicas, relay workers) set PROMETHEUS_MULTIPROC_DIR to one
directory they all write to: the client library then keeps values in files there and
``/metrics`` adds up every process's. The endpoint answers only with ``METRICS_TOKEN`` as a
Bearer token (404 while no token is configured). Hot paths count in batches: the relay adds a
stored batch's frames at once, never one frame at a time.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "switchboard_http_requests_total",
    "HTTP requests answered, by route (the URL pattern), method and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "switchboard_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBSOCKETS_OPEN = Gauge(
    "switchboard_websocket_consumers",
    "Open WebSocket connections to this server, by kind (session, project, echo)",
    ["kind"],
    multiprocess_mode="livesum",
)
RELAY_CONNECTIONS = Gauge(
    "switchboard_relay_upstream_connections",
    "Upstream connections the relays hold",
    multiprocess_mode="livesum",
)
RELAY_FRAMES = Counter(
    "switchboard_relay_frames_total",
    "Frames relayed and stored, by direction (in: from upstreams, out: to them)",
    ["direction"],
)
RELAY_BYTES = Counter(
    "switchboard_relay_bytes_total", "Bytes of the frames relayed, by direction", ["direction"]
)
WRITER_QUEUE = Gauge(
    "switchboard_relay_writer_queue",
    "Log entries queued for storing and not stored yet",
    multiprocess_mode="livesum",
)
WRITER_COMMIT = Histogram(
    "switchboard_relay_batch_commit_seconds",
    "Time to store one batch of log entries (one transaction)",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
SESSIONS_LOST = Counter(
    "switchboard_relay_sessions_lost_total",
    "Debug sessions marked lost because their relay stopped answering",
)
EGRESS_DENIED = Counter(
    "switchboard_relay_egress_denials_total",
    "Connections refused by the egress policy",
)
LIVE_DROPS = Counter(
    "switchboard_live_drops_total",
    "Batches a viewer socket found missing (a gap in seq) and read again from the log",
)
LIVE_RESYNCS = Counter(
    "switchboard_live_resyncs_total",
    "Resyncs the live layer asked viewer sockets for (a lost subscription or full queue)",
)


# Every series a scraper may rely on exists from the start, at 0 (a labelled metric has no
# sample until one of its label values is used).
for _kind in ("session", "project", "echo"):
    WEBSOCKETS_OPEN.labels(_kind)
for _direction in ("in", "out"):
    RELAY_FRAMES.labels(_direction)
    RELAY_BYTES.labels(_direction)


def exposition() -> bytes:
    """The text exposition of every metric (of every process, in multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics`` for a scraper that sends ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    if not token:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse(
            "Send the metrics token: Authorization: Bearer <METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class HttpMetricsMiddleware:
    """Counts and times every HTTP request by its URL pattern (never the raw path: ids would
    make one series per object)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        route = "/" + match.route if match is not None and match.route else "(unmatched)"
        method = request.method or ""
        HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route, method).observe(time.perf_counter() - started)
        return response


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def websocket_kind(path: str) -> str:
    for prefix, kind in (
        ("/ws/sessions/", "session"),
        ("/ws/projects/", "project"),
        ("/mock/", "mock"),
    ):
        if path.startswith(prefix):
            return kind
    return "echo" if path.startswith("/ws/echo") else "other"


class WebSocketGauge:
    """ASGI wrapper: a WebSocket counts as open from its accept until its consumer returns."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        gauge = WEBSOCKETS_OPEN.labels(websocket_kind(scope.get("path", "")))
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message.get("type") == "websocket.accept" and not accepted:
                accepted = True
                gauge.inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                gauge.dec()
