"""Prometheus metrics (prometheus_client): what the server, its sockets and the relay are doing.

With several processes (web replicas, relay workers) set PROMETHEUS_MULTIPROC_DIR to one
directory they all write to: the client library then keeps values in files there and
``/metrics`` adds up every process's. The endpoint answers only with ``METRICS_TOKEN`` as a
Bearer token (404 while no token is configured). Hot paths count in batches: the relay adds a
stored batch's frames at once, never one frame at a time. ``METRICS_ENABLED=false`` replaces
every metric by one that does nothing (what the relay benchmark compares against).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import hmac
import os
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
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
    values,
)

ENABLED: bool = settings.METRICS_ENABLED
MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
# Processes of several containers may share the directory (docker-compose.yml's `metrics`
# volume), and each container's main process may have the same pid: the file names carry the
# host name as well.
HOST = socket.gethostname().replace("_", "-")
LIVE_GAUGE_MODES = ("livesum", "liveall", "livemin", "livemax", "livemostrecent")


def process_id() -> str:
    """This process's name in the multiprocess directory's file names."""
    return f"{HOST}-{os.getpid()}"


def _forget_dead_processes() -> None:
    """Removes the live gauges left by processes of this host that are gone (a crashed relay's
    open connections must stop counting; counters keep their history), and this process's own
    from a previous life with the same identity."""
    for mode in LIVE_GAUGE_MODES:
        prefix = f"gauge_{mode}_{HOST}-"
        for path in glob.glob(os.path.join(MULTIPROCESS_DIR, f"{prefix}*.db")):
            pid = os.path.basename(path)[len(prefix) : -len(".db")]
            if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
                with contextlib.suppress(OSError):
                    os.remove(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mark_dead() -> None:
    multiprocess.mark_process_dead(process_id())  # type: ignore[no-untyped-call]


if ENABLED and MULTIPROCESS_DIR:
    _forget_dead_processes()
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)  # type: ignore[no-untyped-call]
    # A process that ends cleanly takes its live gauges with it.
    atexit.register(_mark_dead)


class _Idle:
    """Every metric while METRICS_ENABLED is off: each update does nothing."""

    def labels(self, *labelvalues: str) -> _Idle:
        return self

    def inc(self, amount: float = 1) -> None:
        return None

    def dec(self, amount: float = 1) -> None:
        return None

    def set(self, value: float) -> None:
        return None

    def observe(self, amount: float) -> None:
        return None


_IDLE = _Idle()


def _counter(name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Counter:
    return Counter(name, documentation, labelnames) if ENABLED else cast(Counter, _IDLE)


def _gauge(name: str, documentation: str, labelnames: tuple[str, ...] = ()) -> Gauge:
    if not ENABLED:
        return cast(Gauge, _IDLE)
    return Gauge(name, documentation, labelnames, multiprocess_mode="livesum")


def _histogram(
    name: str, documentation: str, labelnames: tuple[str, ...], buckets: tuple[float, ...]
) -> Histogram:
    if not ENABLED:
        return cast(Histogram, _IDLE)
    return Histogram(name, documentation, labelnames, buckets=buckets)


HTTP_REQUESTS = _counter(
    "switchboard_http_requests_total",
    "HTTP requests answered, by route (the URL pattern), method and status",
    ("route", "method", "status"),
)
HTTP_LATENCY = _histogram(
    "switchboard_http_request_duration_seconds",
    "Time to answer an HTTP request, by route and method",
    ("route", "method"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
WEBSOCKETS_OPEN = _gauge(
    "switchboard_websocket_consumers",
    "Open WebSocket connections to this server, by kind (session, project, echo)",
    ("kind",),
)
RELAY_CONNECTIONS = _gauge(
    "switchboard_relay_upstream_connections", "Upstream connections the relays hold"
)
RELAY_FRAMES = _counter(
    "switchboard_relay_frames_total",
    "Frames relayed and stored, by direction (in: from upstreams, out: to them)",
    ("direction",),
)
RELAY_BYTES = _counter(
    "switchboard_relay_bytes_total", "Bytes of the frames relayed, by direction", ("direction",)
)
WRITER_QUEUE = _gauge(
    "switchboard_relay_writer_queue", "Log entries queued for storing and not stored yet"
)
WRITER_COMMIT = _histogram(
    "switchboard_relay_batch_commit_seconds",
    "Time to store one batch of log entries (one transaction)",
    (),
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
SESSIONS_LOST = _counter(
    "switchboard_relay_sessions_lost_total",
    "Debug sessions marked lost because their relay stopped answering",
)
EGRESS_DENIED = _counter(
    "switchboard_relay_egress_denials_total", "Connections refused by the egress policy"
)
LIVE_DROPS = _counter(
    "switchboard_live_drops_total",
    "Batches a viewer socket found missing (a gap in seq) and read again from the log",
)
LIVE_RESYNCS = _counter(
    "switchboard_live_resyncs_total",
    "Resyncs the live layer asked viewer sockets for (a lost subscription or full queue)",
)


# Every series a scraper may rely on exists from the start, at 0 (a labelled metric has no
# sample until one of its label values is used).
for _kind in ("session", "project", "echo", "mock"):
    WEBSOCKETS_OPEN.labels(_kind)
for _direction in ("in", "out"):
    RELAY_FRAMES.labels(_direction)
    RELAY_BYTES.labels(_direction)


def exposition() -> bytes:
    """The text exposition of every metric (of every process, in multiprocess mode)."""
    if MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return bytes(generate_latest(registry))
    return bytes(generate_latest(REGISTRY))


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET /metrics`` for a scraper that sends ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    if not token or not ENABLED:
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
        if not ENABLED:
            raise MiddlewareNotUsed
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
        if scope["type"] != "websocket" or not ENABLED:
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
