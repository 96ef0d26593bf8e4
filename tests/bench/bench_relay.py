"""Debug-session relay benchmark (issue 3): five ways from a viewer to one echo upstream and back.

In one run, on loopback, against one ``websockets`` echo upstream (a process of its own that
echoes every message and floods on request), it measures five paths:

- (a) a client straight to the upstream;
- (b) a bare relay of ~30 lines on ``websockets`` (``serve_bare_relay`` below);
- (c) a bare Channels consumer under a real Daphne that relays to the upstream, with no
  channel layer and no database (``tests/bench/relay_floor.py``): the floor of this stack;
- (d1) Switchboard embedded: a real Daphne on SQLite, no ``REDIS_URL``: viewer socket
  (``/ws/sessions/{id}/``) → in-process relay → upstream and back, every frame stored;
- (d2) Switchboard scaled: a Daphne web process and a ``manage.py relay_worker`` process,
  the Redis channel layers (the live one, Redis pub/sub, between viewer socket and relay),
  every frame stored in PostgreSQL (a database of its own on the ``TEST_DATABASE_URL``
  server, dropped at the end).

For each: p50/p99 round-trip time of 100-byte text frames (sent over the viewer socket, timed
until the echoed frame is back at the viewer; the paths interleaved in a random order each
round), and sustained frames/s from the upstream flooding 50,000 frames through to the viewer
(timed from the request to the last frame). For (d1) and (d2) also the stored count (must
equal what was sent and received) and the RSS per idle open session: a fresh relay process
(the embedded server; the worker) holding 5,000 open upstream connections (opened by 250
members, 20 each, the default per-member limit), its RSS with 20 open and after 5,000 more.
Finally it times what (d2) cannot avoid: a PostgreSQL commit and Redis channel-layer hops.

Then (d2) with contract checking (issue 14): tick frames of ~480 bytes, flooded through a
session without endpoint (checking off) and through one opened from an endpoint that
documents them with a ~20-property schema (nested objects, arrays) and a match rule (checking
on, every frame checked and stored valid), alternating, best of three each.

Targets (exit 1 when one is missed): p50 RTT of (d1) ≤ 1.5x (c) and of (d2) ≤ 2.5x (c)
(issue 21; the viewers use the protocol the workspace uses, ``acks=events``);
(d2) ≥ 20,000 frames/s stored and delivered to a viewer, with checking on too; ≤ 64 KiB RSS
per idle open session.
Every wait is bounded, and the whole run by ``--max-seconds``; everything is on 127.0.0.1.

    python -m tests.bench relay [--rounds N] [--flood N] [--idle-sessions N] [--paths c,d1] ...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import http.client
import json
import math
import os
import queue
import random
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_NAME = "bench_switchboard_relay"
FRAME_BYTES = 100
WARM_SESSIONS = 20  # opened before the "before" RSS, so imports and caches are not counted
SESSIONS_PER_USER = 20  # the default SESSION_MAX_OPEN_PER_USER

D1_MAX_RATIO = 1.5
D2_MAX_RATIO = 2.5
D2_MIN_RATE = 20_000
CHECKED_MIN_RATE = 20_000  # (d2) with every frame checked against a documented message
ROUNDS_CHECKED = 3  # tick floods with checking off and on, alternating; the best of each counts
MAX_IDLE_KIB = 64.0
PATHS = ("a", "b", "c", "d1", "d2")

EVENT_TABLE = "debug_sessions_event"
SESSION_TABLE = "debug_sessions_debugsession"


class BenchError(Exception):
    """Something in the set-up or a path failed; the run stops and says what."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench relay",
        description="Round trip and throughput of five relay paths to one echo upstream.",
    )
    parser.add_argument("--rounds", type=int, default=1000, help="timed RTT rounds (1000)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed RTT rounds (100)")
    parser.add_argument("--flood", type=int, default=50_000, help="frames per flood (50000)")
    parser.add_argument(
        "--checked-flood",
        type=int,
        default=50_000,
        help="tick frames per flood of the contract-checking case, off and on, in (d2) (50000; "
        "0 skips it)",
    )
    parser.add_argument(
        "--metrics-flood",
        type=int,
        default=50_000,
        help="frames per flood of the metrics case, on and off, in (d2) (50000; 0 skips it)",
    )
    parser.add_argument(
        "--fidelity-rounds",
        type=int,
        default=200,
        help="round trips of the timing-fidelity case per deployment and phase (200; 0 skips)",
    )
    parser.add_argument(
        "--idle-sessions", type=int, default=5000, help="idle open sessions per relay (5000)"
    )
    parser.add_argument(
        "--db-name",
        default=DEFAULT_DB_NAME,
        help=f"database for (d2) on the TEST_DATABASE_URL server (default {DEFAULT_DB_NAME})",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL")
        or os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1"),
        help="Redis for (d2) (BENCH_REDIS_URL, else TEST_REDIS_URL)",
    )
    parser.add_argument(
        "--paths",
        type=lambda text: [p.strip() for p in text.split(",") if p.strip()],
        default=list(PATHS),
        help="comma-separated subset of a,b,c,d1,d2 (default all; the targets need c, d1, d2)",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    parser.add_argument("--max-seconds", type=float, default=600, help="whole-run bound (600)")
    parser.add_argument("--seed", type=int, default=3, help="random seed of the round order")
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    parser.add_argument(
        "--viewer-acks",
        choices=("message", "events"),
        default="events",
        help="RTT viewers in (d1)/(d2) get a send's ack inside the events batch that holds "
        "the sent entry (acks=events, as the workspace opens its socket; the default) or as a "
        "message of its own (the protocol's default for a socket opened without it)",
    )
    # Internal: the same module runs the upstream, the bare relay and the SQLite set-up in
    # processes of their own.
    parser.add_argument(
        "--serve",
        choices=["upstream", "bare-relay", "setup", "direct"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--upstream", help=argparse.SUPPRESS)
    parser.add_argument("--sessions", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- the upstream and the bare relay (each run in a process of its own) ---------------------


async def serve_upstream() -> None:
    """Echoes every message; ``flood N SIZE`` makes it send N text frames of SIZE bytes at once."""
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    async def handler(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if isinstance(message, str) and message.startswith("flood "):
                    _, count, size = message.split()
                    pad = "x" * max(0, int(size) - 10)
                    for n in range(int(count)):
                        await ws.send(f"F{n:09d}{pad}")
                elif isinstance(message, str) and message.startswith("delayed "):
                    # The timing-fidelity case's upstream: answers after 5 ms.
                    await asyncio.sleep(0.005)
                    await ws.send(message)
                elif isinstance(message, str) and message.startswith("jflood "):
                    for n in range(int(message.split()[1])):
                        await ws.send(tick_frame(n))
                else:
                    await ws.send(message)

    async with serve(
        handler,
        "127.0.0.1",
        0,
        compression=None,
        max_size=None,
        ping_interval=None,
        backlog=2048,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"ready {port}", flush=True)
        await asyncio.Future()


# --- the contract-checking case -------------------------------------------------------------

# A documented receive message of ~20 properties with nested objects and arrays, recognised by
# a match rule; the upstream floods frames that match it (``jflood N``).
TICK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "seq", "symbol", "price", "qty", "side", "ts", "book", "trader"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "tick"},
        "seq": {"type": "integer", "minimum": 0},
        "symbol": {"type": "string", "pattern": "^[A-Z]+-[A-Z]+$"},
        "price": {"type": "number", "exclusiveMinimum": 0},
        "qty": {"type": "number", "minimum": 0},
        "side": {"enum": ["buy", "sell"]},
        "ts": {"type": "integer"},
        "exchange": {"type": "string", "maxLength": 32},
        "book": {
            "type": "object",
            "required": ["bid", "ask", "depth"],
            "properties": {
                "bid": {"type": "number"},
                "ask": {"type": "number"},
                "depth": {
                    "type": "array",
                    "maxItems": 50,
                    "items": {
                        "type": "array",
                        "prefixItems": [{"type": "number"}, {"type": "number", "minimum": 0}],
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
            },
        },
        "trader": {
            "type": "object",
            "required": ["id"],
            "properties": {"id": {"type": "string"}, "tier": {"type": "integer"}},
        },
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "fee": {"type": "number"},
        "maker": {"type": "boolean"},
        "venue": {"type": "string"},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "status": {"enum": ["new", "partial", "filled", "cancelled"]},
        "flags": {"type": "array", "items": {"type": "integer"}},
        "latency_us": {"type": "integer", "minimum": 0},
        "note": {"type": ["string", "null"]},
        "legs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["venue", "qty"],
                "properties": {"venue": {"type": "string"}, "qty": {"type": "number"}},
            },
        },
    },
}
TICK_MATCH = {"kind": "path", "path": "$.type", "value": "tick"}


def tick_frame(n: int) -> str:
    """A frame the tick message documents (valid against ``TICK_SCHEMA``), about 480 bytes."""
    return json.dumps(
        {
            "type": "tick",
            "seq": n,
            "symbol": "BTC-USD",
            "price": 97000.5 + n % 100,
            "qty": 0.25,
            "side": "buy" if n % 2 else "sell",
            "ts": 1733150000000 + n,
            "exchange": "bench",
            "book": {"bid": 97000.1, "ask": 97000.9, "depth": [[97000.1, 1.5], [96999.9, 2.0]]},
            "trader": {"id": f"t-{n % 7}", "tier": 2},
            "tags": ["spot", "btc"],
            "fee": 0.001,
            "maker": True,
            "venue": "main",
            "currency": "USD",
            "status": "filled",
            "flags": [1, 2],
            "latency_us": 120,
            "note": None,
            "legs": [{"venue": "a", "qty": 0.1}, {"venue": "b", "qty": 0.15}],
        }
    )


async def serve_bare_relay(upstream_url: str) -> None:
    """(b): every viewer gets its own upstream connection; frames are copied both ways."""
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import ServerConnection, serve
    from websockets.exceptions import ConnectionClosed

    async def pump(source: Any, target: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in source:
                await target.send(message)

    async def handler(viewer: ServerConnection) -> None:
        async with connect(
            upstream_url, compression=None, max_size=None, ping_interval=None
        ) as upstream:
            pumps = [
                asyncio.create_task(pump(viewer, upstream)),
                asyncio.create_task(pump(upstream, viewer)),
            ]
            _, pending = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    async with serve(
        handler, "127.0.0.1", 0, compression=None, max_size=None, ping_interval=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"ready {port}", flush=True)
        await asyncio.Future()


# --- data -----------------------------------------------------------------------------------


def seed(upstream_url: str, sessions: int) -> dict[str, Any]:
    """A project, its members with a token each, and ``sessions`` drafts pointing at the
    upstream: SESSIONS_PER_USER per member, the default SESSION_MAX_OPEN_PER_USER, so that
    thousands of open sessions need no raised limit (and connects of different members do
    not queue behind one member's lock)."""
    from django.contrib.auth import get_user_model

    from accounts.tokens import token_create
    from endpoints.handshake import clean_settings
    from endpoints.models import Membership, Role
    from endpoints.projects.services import project_create
    from sessions.models import DebugSession

    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(username=f"bench-relay-{n}", password="!")
            for n in range(math.ceil(sessions / SESSIONS_PER_USER))
        ]
    )
    tokens = [token_create(user=user, name="bench")[1] for user in users]
    project = project_create(actor=users[0], name="Relay benchmark")
    Membership.objects.bulk_create(
        Membership(project=project, user=user, role=Role.EDITOR) for user in users[1:]
    )
    # Round robin: sessions connected one after another belong to different members.
    owners = [n % len(users) for n in range(sessions)]
    drafts = DebugSession.objects.bulk_create(
        [
            DebugSession(
                owner=users[owner],
                project=project,
                name=f"bench {n}",
                url=upstream_url,
                connection_settings=clean_settings(None),
            )
            for n, owner in enumerate(owners)
        ],
        batch_size=1000,
    )
    # The checking-on case: a session opened from an endpoint that documents the tick.
    from endpoints.models import Message
    from endpoints.tree.services import endpoint_create

    endpoint = endpoint_create(
        project=project, actor=users[0], data={"name": "Ticks", "url": upstream_url}
    )
    Message.objects.create(
        endpoint=endpoint,
        name="tick",
        direction="receive",
        format="json",
        schema=TICK_SCHEMA,
        match=TICK_MATCH,
    )
    checked = DebugSession.objects.create(
        owner=users[0],
        project=project,
        endpoint=endpoint,
        name="bench checked",
        url=upstream_url,
        connection_settings=clean_settings(None),
    )
    metered, fidelity, flooder = (
        DebugSession.objects.create(
            owner=users[0],
            project=project,
            name=f"bench {name}",
            url=upstream_url,
            connection_settings=clean_settings(None),
        )
        for name in ("metrics", "fidelity", "flood")
    )
    return {
        "project": project.pk,
        "users": [user.pk for user in users],
        "tokens": tokens,
        "sessions": [d.pk for d in drafts],
        "owners": owners,  # the index in users/tokens of each session's owner
        "checked_session": checked.pk,  # owned by users[0]
        "metrics_session": metered.pk,  # owned by users[0]
        "fidelity_session": fidelity.pk,  # owned by users[0]; its URL is set by the case
        "flood_session": flooder.pk,  # owned by users[0]
    }


def setup_sqlite(upstream_url: str, sessions: int) -> None:
    """(d1)'s set-up, in the environment of the embedded server: migrate, seed, print as JSON."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    print(json.dumps(seed(upstream_url, sessions)), flush=True)


# --- processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Child:
    """A server process; its stderr (and stdout unless it announces readiness) go to a log."""

    def __init__(
        self,
        name: str,
        command: list[str],
        env: dict[str, str],
        logs: Path,
        announces: bool = True,
    ) -> None:
        self.name = name
        self.log_path = logs / f"{name}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE if announces else self.log,
            stderr=self.log,
            text=True,
        )
        self.pid = self.process.pid
        self.lines: queue.Queue[str | None] = queue.Queue()
        if announces:
            threading.Thread(target=self._read_stdout, daemon=True).start()

    def wait_line(self, prefix: str, timeout: float) -> str:
        """The first stdout line starting with ``prefix`` (every line also goes to the log)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                raise BenchError(
                    f"{self.name} did not say {prefix!r}; see {self.log_path}:\n{self.tail()}"
                )
            if line.startswith(prefix):
                return line.strip()

    def _read_stdout(self) -> None:
        """A thread: stdout lines to the log and to ``lines`` (select() on a buffered pipe would
        miss a line that arrived together with the previous one)."""
        stream = self.process.stdout
        assert stream is not None
        with contextlib.suppress(ValueError, OSError):
            for line in stream:
                self.log.write(line)
                self.lines.put(line)
        self.lines.put(None)

    def wait_http(self, port: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                connection.close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise BenchError(f"{self.name} did not start:\n{self.tail()}") from None
                time.sleep(0.1)

    def tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, grace: float = 20.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.log.close()


def daphne(name: str, app: str, env: dict[str, str], logs: Path) -> tuple[Child, int]:
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("daphne")),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        app,
    ]
    # Daphne's access log (stdout) goes to the log file, as the server's own output would.
    return Child(name, command, env, logs, announces=False), port


def bench_command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.bench", "relay", *extra]


def base_env(data_dir: Path) -> dict[str, str]:
    """The environment of a Switchboard process, without whatever the caller's shell set."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "RELAY_EMBEDDED", "DJANGO_SETTINGS_MODULE")
        and not key.startswith(("UPSTREAM_", "SESSION_", "RELAY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SWITCHBOARD_DATA_DIR=str(data_dir),
        SECRET_KEY=secrets.token_urlsafe(40),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


# --- REST calls (set-up and the idle sessions) ----------------------------------------------


class Rest:
    """Keep-alive HTTP/1.1 calls to one server, one connection per thread."""

    def __init__(self, port: int, data: dict[str, Any]) -> None:
        self.port = port
        self.local = threading.local()
        # Each session is connected with its owner's token.
        self.tokens = {
            session_id: data["tokens"][owner]
            for session_id, owner in zip(data["sessions"], data["owners"], strict=True)
        }
        for key in ("checked_session", "metrics_session", "fidelity_session", "flood_session"):
            if key in data:
                self.tokens[data[key]] = data["tokens"][0]

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        connection = getattr(self.local, "connection", None)
        for attempt in (1, 2):
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.local.connection = connection
            try:
                connection.request(
                    method,
                    path,
                    body=json.dumps({} if body is None else body),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                )
                response = connection.getresponse()
                data = response.read()
                try:
                    return response.status, json.loads(data) if data else None
                except ValueError:
                    return response.status, data[:500].decode("utf-8", "replace")
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                connection = self.local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def connect(self, session_id: int, wait: bool) -> None:
        path = f"/api/v1/sessions/{session_id}/connect/" + ("" if wait else "?wait=false")
        status, body = self.call("POST", path, self.tokens[session_id])
        if status != (200 if wait else 202):
            raise BenchError(f"connect of session {session_id}: {status} {body}")


# --- the stores the benchmark reads its counts from -----------------------------------------


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()


class DjangoStore:
    def query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        from django.db import OperationalError, connection

        for attempt in (1, 2):
            try:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall()
            except OperationalError:
                # A dropped connection (the database server is shared); one fresh try.
                connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def open_count(store: Any, session_ids: list[int]) -> int:
    rows = store.query(
        f"SELECT state, count(*) FROM {SESSION_TABLE} WHERE id >= %s AND id <= %s GROUP BY state",
        [min(session_ids), max(session_ids)],
    )
    states = dict(rows)
    failed = states.get("failed", 0) + states.get("lost", 0)
    if failed:
        raise BenchError(f"{failed} of the idle sessions failed or were lost: {states}")
    return states.get("open", 0)


def event_counts(store: Any, session_id: int) -> dict[str, int]:
    rows = store.query(
        f"SELECT kind, count(*) FROM {EVENT_TABLE} WHERE session_id = %s GROUP BY kind",
        [session_id],
    )
    return dict(rows)


# --- the five paths -------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class ViewerPath:
    key: str
    label: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    samples: list[float] = field(default_factory=list)
    flood_rate: float = 0.0
    ws: Any = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(
            self.url,
            additional_headers=self.headers,
            compression=None,
            max_size=None,
            ping_interval=None,
        )

    async def rtt(self, body: str) -> float:
        started = time.perf_counter()
        await self.ws.send(body)
        echoed = await self.ws.recv()
        elapsed = time.perf_counter() - started
        if echoed != body:
            raise BenchError(f"{self.key}: expected the echo, got {echoed[:60]!r}")
        return elapsed

    async def flood(self, count: int) -> float:
        started = time.perf_counter()
        await self.ws.send(f"flood {count} {FRAME_BYTES}")
        for n in range(count):
            frame = await self.ws.recv()
            if not frame.startswith("F"):
                raise BenchError(f"{self.key}: frame {n} of the flood is {frame[:40]!r}")
        return time.perf_counter() - started

    def p50_us(self) -> float:
        return percentile(self.samples, 0.5) * 1e6

    def p99_us(self) -> float:
        return percentile(self.samples, 0.99) * 1e6


@dataclass
class SessionPath(ViewerPath):
    """A Switchboard viewer socket: sends ``{"type": "send"}``, reads ``events`` batches."""

    store: Any = None
    session_id: int = 0
    last_seq: int = 0
    sends: int = 0
    stored_expected: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)

    async def _events(self) -> list[dict[str, Any]]:
        message = json.loads(await self.ws.recv())
        kind = message["type"]
        if kind == "error":
            raise BenchError(f"{self.key}: the viewer socket answered {message}")
        if kind != "events":
            return []
        events = message["events"]
        for event in events:
            # The stream's promise: every entry once, in order.
            if event["seq"] != self.last_seq + 1:
                raise BenchError(f"{self.key}: got seq {event['seq']} after {self.last_seq}")
            self.last_seq = event["seq"]
        return events

    async def _send(self, body: str) -> None:
        self.sends += 1
        await self.ws.send(
            json.dumps({"type": "send", "format": "text", "body": body, "ref": self.sends})
        )

    async def rtt(self, body: str) -> float:
        started = time.perf_counter()
        await self._send(body)
        while True:
            for event in await self._events():
                if event["direction"] == "in" and event["text"] == body:
                    return time.perf_counter() - started

    async def flood(self, count: int) -> float:
        started = time.perf_counter()
        await self._send(f"flood {count} {FRAME_BYTES}")
        got = 0
        while got < count:
            for event in await self._events():
                if event["direction"] == "in":
                    if not (event["text"] or "").startswith("F"):
                        raise BenchError(f"{self.key}: unexpected {event}")
                    got += 1
        return time.perf_counter() - started

    async def json_flood(self, count: int, checked: bool) -> float:
        """Tick frames flooded through to this viewer; with ``checked`` each must arrive
        named and valid (its contract check done by the relay)."""
        started = time.perf_counter()
        await self._send(f"jflood {count}")
        got = 0
        want = ("tick", "valid") if checked else (None, "")
        while got < count:
            for event in await self._events():
                if event["direction"] == "in":
                    if (event["message"], event["contract"]) != want:
                        raise BenchError(f"{self.key}: unexpected verdict in {event}")
                    got += 1
        return time.perf_counter() - started


def frame(n: int) -> str:
    head = f"R{n:09d}"
    return head + "." * (FRAME_BYTES - len(head))


async def measure_rtt(
    paths: list[ViewerPath], rounds: int, warmup: int, rng: random.Random, deadline: float
) -> None:
    """Interleaved: every round runs each path once, in a fresh random order."""
    counter = 0
    for round_number in range(warmup + rounds):
        if time.monotonic() > deadline:
            raise BenchError(f"out of time after {round_number} RTT rounds")
        for path in rng.sample(paths, len(paths)):
            counter += 1
            async with asyncio.timeout(10):
                elapsed = await path.rtt(frame(counter))
            if round_number >= warmup:
                path.samples.append(elapsed)


async def measure_flood(path: ViewerPath, count: int) -> None:
    # The slowest path allowed is 1,000 frames/s; anything slower is a failure, not a figure.
    async with asyncio.timeout(max(30.0, count / 1000)):
        seconds = await path.flood(count)
    path.flood_rate = count / seconds


# --- the idle sessions ----------------------------------------------------------------------


@dataclass
class Idle:
    sessions: int = 0
    before_kib: int = 0
    after_kib: int = 0
    connect_seconds: float = 0.0

    @property
    def per_session_kib(self) -> float:
        return (self.after_kib - self.before_kib) / self.sessions if self.sessions else math.nan


def open_idle_sessions(
    connect: Callable[[int], None],
    store: Any,
    session_ids: list[int],
    relay_pid: Callable[[], int],
    deadline: float,
    threads: int,
) -> Idle:
    """Open WARM_SESSIONS, read the relay's RSS, open the rest, wait until idle, read it again."""
    warm, measured = session_ids[:WARM_SESSIONS], session_ids[WARM_SESSIONS:]

    def one(session_id: int) -> bool:
        if time.monotonic() > deadline:
            return False
        connect(session_id)
        return True

    def open_all(ids: list[int]) -> None:
        with ThreadPoolExecutor(threads) as pool:
            if not all(pool.map(one, ids)):
                raise BenchError("out of time while connecting the idle sessions")
        while open_count(store, ids) < len(ids):
            if time.monotonic() > deadline:
                raise BenchError(
                    f"out of time: {open_count(store, ids)} of {len(ids)} idle sessions open"
                )
            time.sleep(0.5)

    open_all(warm)
    time.sleep(2)
    idle = Idle(sessions=len(measured), before_kib=rss_kib(relay_pid()))
    started = time.monotonic()
    open_all(measured)
    idle.connect_seconds = time.monotonic() - started
    time.sleep(3)  # settle: the writer queue is empty, the handshakes' garbage collected
    idle.after_kib = rss_kib(relay_pid())
    return idle


def connect_in_process(data: dict[str, Any]) -> Callable[[int], None]:
    """(d2)'s connects straight through ``services.session_connect`` in this process (which
    reaches the worker through Redis like a web process does): no HTTP, so opening thousands
    of sessions takes less of the run."""
    from django.contrib.auth import get_user_model

    from sessions import services
    from sessions.errors import RelayUnavailable
    from sessions.models import DebugSession

    users = get_user_model().objects.in_bulk(data["users"])
    owner = {
        session_id: users[data["users"][index]]
        for session_id, index in zip(data["sessions"], data["owners"], strict=True)
    }

    def connect(session_id: int) -> None:
        for attempt in range(1, 31):
            session = DebugSession.objects.get(pk=session_id)
            try:
                services.session_connect(session=session, actor=owner[session_id], wait=False)
                return
            except RelayUnavailable:
                # The worker's command queue is full (channels_redis' capacity): it is busy
                # opening the connects sent before; try again, as a client would.
                time.sleep(0.1 * attempt)
        raise BenchError(f"the relay never took the connect of session {session_id}")

    return connect


# --- the run --------------------------------------------------------------------------------


def raise_fd_limit(needed: int) -> int:
    """Lift the soft RLIMIT_NOFILE to the hard limit; child processes inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise BenchError(
            f"RLIMIT_NOFILE is {soft} (hard {hard}); {needed} file descriptors are needed "
            "for the idle sessions. Lower --idle-sessions or raise the hard limit."
        )
    return soft


def database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    user = urllib.parse.quote(db.get("USER") or "postgres")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/"
        f"{db['NAME']}"
    )


@dataclass
class Run:
    args: argparse.Namespace
    logs: Path
    children: list[Child] = field(default_factory=list)
    idle: dict[str, Idle] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)  # what the paths are made of, µs
    checking: dict[str, float] = field(default_factory=dict)  # (d2) checking off/on, frames/s
    metrics: dict[str, float] = field(default_factory=dict)  # (d2) metrics on/off, frames/s
    fidelity: dict[str, dict[str, float]] = field(default_factory=dict)  # log vs direct, ms

    def start(self, child: Child) -> Child:
        self.children.append(child)
        return child

    def stop(self, child: Child, grace: float = 20.0) -> None:
        child.stop(grace)
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                child.stop(5)
        self.children.clear()


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    unknown = set(args.paths) - set(PATHS)
    if unknown:
        print(f"unknown paths {sorted(unknown)}; choose from {', '.join(PATHS)}")
        return 2
    if args.serve == "upstream":
        asyncio.run(serve_upstream())
        return 0
    if args.serve == "bare-relay":
        asyncio.run(serve_bare_relay(args.upstream))
        return 0
    if args.serve == "setup":
        setup_sqlite(args.upstream, args.sessions)
        return 0
    if args.serve == "direct":
        from tests.bench.relay_fidelity import direct_client

        asyncio.run(direct_client(args.upstream, args.sessions))
        return 0

    from websockets.exceptions import ConnectionClosed

    from tests.bench.bench_workspace import (
        configure_django,
        recreate_database,
        release_database,
    )

    started = time.monotonic()
    deadline = started + args.max_seconds
    # The upstream holds the idle connections of both deployments at once.
    raise_fd_limit(2 * (args.idle_sessions + WARM_SESSIONS) + 500)
    server = configure_django(args.db_name)
    logs = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    run = Run(args, logs)
    try:
        recreate_database(server, args.db_name)
        ok = asyncio.run(run_all(run, deadline))
        return 0 if ok else 1
    except (BenchError, ConnectionClosed, TimeoutError) as exc:
        print(f"\nbenchmark failed: {type(exc).__name__}: {exc}")
        args.keep_logs = True
        return 2
    except BaseException:
        args.keep_logs = True
        raise
    finally:
        run.stop_all()
        release_database(server, args)
        if args.keep_logs:
            print(f"server logs in {logs}")
        else:
            shutil.rmtree(logs, ignore_errors=True)
        print(f"whole run: {time.monotonic() - started:.0f} s")


@dataclass
class Switchboard:
    """One deployment under test: its web server, relay process and data."""

    key: str
    env: dict[str, str]
    store: Any
    data: dict[str, Any]
    web: Child
    port: int
    relay: Child | None = None  # the worker process in scaled mode

    @property
    def relay_pid(self) -> int:
        return (self.relay or self.web).pid


async def run_all(run: Run, deadline: float) -> bool:
    args = run.args
    wanted = set(args.paths)
    loop = asyncio.get_running_loop()

    def blocking(function: Callable[..., Any], *a: Any) -> Any:
        return loop.run_in_executor(None, function, *a)

    upstream = run.start(
        Child("upstream", bench_command("--serve", "upstream"), dict(os.environ), run.logs)
    )
    upstream_port = int((await blocking(upstream.wait_line, "ready", 30)).split()[1])
    upstream_url = f"ws://127.0.0.1:{upstream_port}/echo"

    paths: list[ViewerPath] = []
    if "a" in wanted:
        paths.append(ViewerPath("a", "(a) client -> upstream", upstream_url))
    if "b" in wanted:
        bare = run.start(
            Child(
                "bare-relay",
                bench_command("--serve", "bare-relay", "--upstream", upstream_url),
                dict(os.environ),
                run.logs,
            )
        )
        bare_port = int((await blocking(bare.wait_line, "ready", 30)).split()[1])
        paths.append(ViewerPath("b", "(b) bare websockets relay", f"ws://127.0.0.1:{bare_port}/"))
    if "c" in wanted:
        floor_env = {**os.environ, "BENCH_UPSTREAM_URL": upstream_url}
        floor_env.pop("DJANGO_SETTINGS_MODULE", None)
        floor, floor_port = daphne(
            "floor-daphne", "tests.bench.relay_floor:application", floor_env, run.logs
        )
        run.start(floor)
        await blocking(floor.wait_http, floor_port, 60)
        paths.append(
            ViewerPath(
                "c", "(c) Channels consumer, Daphne (floor)", f"ws://127.0.0.1:{floor_port}/"
            )
        )
    deployments: dict[str, Switchboard] = {}
    if "d1" in wanted:
        deployments["d1"] = await blocking(start_embedded, run, upstream_url)
    if "d2" in wanted:
        deployments["d2"] = await blocking(start_scaled, run, upstream_url)
    labels = {"d1": "(d1) Switchboard embedded, SQLite", "d2": "(d2) Switchboard scaled, Redis+PG"}
    for key, deployment in deployments.items():
        rest = Rest(deployment.port, deployment.data)
        session_id = deployment.data["sessions"][0]
        await blocking(rest.connect, session_id, True)
        paths.append(
            SessionPath(
                key,
                labels[key],
                f"ws://127.0.0.1:{deployment.port}/ws/sessions/{session_id}/?after=0"
                + ("&acks=events" if args.viewer_acks == "events" else ""),
                headers={"Authorization": f"Bearer {deployment.data['tokens'][0]}"},
                store=deployment.store,
                session_id=session_id,
            )
        )
    for path in paths:
        await path.open()

    load_before = os.getloadavg()
    gc.collect()
    print(
        f"RTT: {args.warmup} warm-up + {args.rounds} timed rounds, the {len(paths)} paths "
        f"interleaved in random order; then a flood of {args.flood} frames of {FRAME_BYTES} "
        "bytes through each",
        flush=True,
    )
    await measure_rtt(paths, args.rounds, args.warmup, random.Random(args.seed), deadline)
    for path in paths:
        await measure_flood(path, args.flood)
        print(f"  {path.label}: flood {path.flood_rate:,.0f} frames/s", flush=True)
    if "d2" in deployments and args.checked_flood:
        run.checking = await measure_checking(
            deployments["d2"], by_key_path(paths, "d2"), args.checked_flood, blocking
        )
    if "d2" in deployments and args.metrics_flood:
        from tests.bench.relay_metrics import measure_metrics

        run.metrics = await measure_metrics(run, deployments["d2"], args.metrics_flood, blocking)
    if deployments and args.fidelity_rounds:
        from tests.bench.relay_fidelity import measure_fidelity

        delayed = run.start(
            Child(
                "fidelity-upstream",
                bench_command("--serve", "upstream"),
                dict(os.environ),
                run.logs,
            )
        )
        delayed_port = int((await blocking(delayed.wait_line, "ready", 30)).split()[1])
        run.fidelity = await measure_fidelity(
            run, deployments, args.fidelity_rounds, f"ws://127.0.0.1:{delayed_port}/", blocking
        )
    load_after = os.getloadavg()

    for path in paths:
        if isinstance(path, SessionPath):
            path.stored = await blocking(event_counts, path.store, path.session_id)
            ticks = ROUNDS_CHECKED * args.checked_flood if path.key == "d2" and run.checking else 0
            path.stored_expected = {
                "sent": path.sends,
                "received": args.warmup + args.rounds + args.flood + ticks,
            }
        await path.ws.close()

    if "d2" in deployments:
        # Right after the round trips, so that the machine is about as busy as it was then.
        run.parts = await measure_parts(args.redis_url)

    if args.idle_sessions:
        # Each in a fresh relay process: one that just swallowed a flood has freed memory in
        # its heap that new sessions would reuse without its RSS growing. Both deployments
        # at once, to keep the run short; each relay's RSS is its own.
        for deployment in deployments.values():
            await blocking(restart_relay, run, deployment)
        print(
            f"opening {args.idle_sessions} idle sessions in a fresh relay process of "
            + " and ".join(f"({key})" for key in deployments),
            flush=True,
        )

        async def open_idle(key: str, deployment: Switchboard) -> None:
            if deployment.relay is None:
                # Embedded: only the server process itself can reach its relay.
                rest = Rest(deployment.port, deployment.data)
                connect = functools.partial(rest.connect, wait=False)
            else:
                connect = await blocking(connect_in_process, deployment.data)
            run.idle[key] = idle = await blocking(
                open_idle_sessions,
                connect,
                deployment.store,
                deployment.data["sessions"][1:],
                lambda: deployment.relay_pid,
                deadline,
                # Waiting on the database is most of a connect: PostgreSQL takes more at once
                # than one SQLite file.
                4 if deployment.relay is None else 8,
            )
            print(f"  ({key}) open in {idle.connect_seconds:.0f} s", flush=True)

        await asyncio.gather(*(open_idle(key, d) for key, d in deployments.items()))
        for deployment in deployments.values():
            run.stop(deployment.relay or deployment.web)

    return report(run, paths, (load_before, load_after, os.getloadavg()))


def by_key_path(paths: list[ViewerPath], key: str) -> SessionPath:
    path = next(p for p in paths if p.key == key)
    assert isinstance(path, SessionPath)
    return path


async def measure_checking(
    deployment: Switchboard,
    plain: SessionPath,
    count: int,
    blocking: Callable[..., Any],
) -> dict[str, float]:
    """(d2) with contract checking off and on: the same tick frames flooded through a session
    without endpoint (``plain``, (d2)'s own) and one opened from the endpoint documenting
    them; alternating, the best of ROUNDS_CHECKED runs each. Returns frames/s off and on and the checked
    entries stored as valid (must be every frame)."""
    session_id = deployment.data["checked_session"]
    await blocking(Rest(deployment.port, deployment.data).connect, session_id, True)
    checked = SessionPath(
        "d2c",
        "(d2) checking on",
        f"ws://127.0.0.1:{deployment.port}/ws/sessions/{session_id}/?after=0",
        headers={"Authorization": f"Bearer {deployment.data['tokens'][0]}"},
        store=deployment.store,
        session_id=session_id,
    )
    await checked.open()
    rates: dict[str, list[float]] = {"off": [], "on": []}
    # CPU time of the relay worker and of the web process per frame: what checking costs,
    # whatever else the machine is doing.
    cpu: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    assert deployment.relay is not None
    relay_pid, web_pid = deployment.relay.pid, deployment.web.pid
    for _ in range(ROUNDS_CHECKED):
        for key, path in (("off", plain), ("on", checked)):
            relay_cpu, web_cpu = cpu_seconds(relay_pid), cpu_seconds(web_pid)
            async with asyncio.timeout(max(30.0, count / 1000)):
                seconds = await path.json_flood(count, checked=key == "on")
            relay_us = (cpu_seconds(relay_pid) - relay_cpu) / count * 1e6
            web_us = (cpu_seconds(web_pid) - web_cpu) / count * 1e6
            rates[key].append(count / seconds)
            cpu[key].append((relay_us, web_us))
            print(
                f"  (d2) tick flood, checking {key}: {count / seconds:,.0f} frames/s; CPU per "
                f"frame: relay {relay_us:.1f} µs, web {web_us:.1f} µs",
                flush=True,
            )
    await checked.ws.close()
    rows = await blocking(
        deployment.store.query,
        f"SELECT count(*) FROM {EVENT_TABLE} WHERE session_id = %s AND contract = 'valid'",
        [session_id],
    )
    valid = rows[0][0]
    return {
        "off": max(rates["off"]),
        "on": max(rates["on"]),
        "valid": float(valid),
        "expected": float(ROUNDS_CHECKED * count),
        "relay_us_off": min(c[0] for c in cpu["off"]),
        "relay_us_on": min(c[0] for c in cpu["on"]),
    }


async def measure_parts(redis_url: str, count: int = 300) -> dict[str, float]:
    """p50s (µs) of what (d2)'s round trip cannot avoid: a PostgreSQL commit of one row (as
    the writer does: a logged table, so fsync included) and channel-layer hops, with the
    layer of Switchboard's live traffic (``LiveChannelLayer``, channels_redis' pub/sub) and,
    for comparison, channels_redis' default layer (which REST calls to relays use)."""
    from channels_redis.core import RedisChannelLayer
    from django.db import connection

    from sessions.relay.live_layer import LiveChannelLayer

    def commits() -> list[float]:
        samples = []
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_commit (n integer)")
            try:
                for n in range(count):
                    started = time.perf_counter()
                    cursor.execute("BEGIN")
                    cursor.execute("INSERT INTO bench_commit VALUES (%s)", [n])
                    cursor.execute("COMMIT")
                    samples.append(time.perf_counter() - started)
            finally:
                cursor.execute("DROP TABLE bench_commit")
        connection.close()  # this thread's own connection
        return samples

    parts = {"pg_commit": percentile(await asyncio.to_thread(commits), 0.5) * 1e6}
    hosts = [{"address": redis_url}]
    for name, layer_class in (("core", RedisChannelLayer), ("live", LiveChannelLayer)):
        sender = layer_class(hosts=hosts, prefix="bench-relay")
        receiver = layer_class(hosts=hosts, prefix="bench-relay")
        channel = await receiver.new_channel("bench.")
        await receiver.group_add("bench-relay-group", channel)
        hops: list[float] = []
        groups: list[float] = []
        for n in range(count + 20):
            started = time.perf_counter()
            await sender.send(channel, {"type": "bench", "n": n})
            await receiver.receive(channel)
            middle = time.perf_counter()
            await sender.group_send("bench-relay-group", {"type": "bench", "n": n})
            await receiver.receive(channel)
            if n >= 20:
                hops.append(middle - started)
                groups.append(time.perf_counter() - middle)
        await receiver.group_discard("bench-relay-group", channel)
        parts[f"{name}_send"] = percentile(hops, 0.5) * 1e6
        parts[f"{name}_group_send"] = percentile(groups, 0.5) * 1e6
        for layer in (sender, receiver):
            await layer.flush()  # only this prefix's keys; the pub/sub layer unsubscribes
            if isinstance(layer, RedisChannelLayer):
                await layer.close_pools()
    return parts


def start_embedded(run: Run, upstream_url: str) -> Switchboard:
    """(d1): the embedded default, on a SQLite file of its own, set up by a child process."""
    sessions = 1 + WARM_SESSIONS + run.args.idle_sessions
    data_dir = run.logs / "d1-data"
    data_dir.mkdir()
    env = base_env(data_dir)
    setup = Child(
        "d1-setup",
        bench_command("--serve", "setup", "--upstream", upstream_url, "--sessions", str(sessions)),
        env,
        run.logs,
    )
    data = json.loads(setup.wait_line("{", 120))
    setup.process.wait(30)
    setup.log.close()
    web, port = daphne("d1-daphne", "config.asgi:application", env, run.logs)
    run.start(web)
    web.wait_http(port, 60)
    return Switchboard("d1", env, SqliteStore(data_dir / "switchboard.sqlite3"), data, web, port)


def start_scaled(run: Run, upstream_url: str) -> Switchboard:
    """(d2): a Daphne web process and a relay worker on PostgreSQL and Redis."""
    from django.conf import settings
    from django.core.management import call_command

    from config.settings import redis_channel_layers

    sessions = 1 + WARM_SESSIONS + run.args.idle_sessions
    # This process connects (d2)'s idle sessions itself (connect_in_process), as a web
    # process of that deployment would.
    settings.CHANNEL_LAYERS = redis_channel_layers(run.args.redis_url)
    settings.RELAY_EMBEDDED = False
    call_command("migrate", verbosity=0, interactive=False)
    data = seed(upstream_url, sessions)
    data_dir = run.logs / "d2-data"
    data_dir.mkdir()
    env = base_env(data_dir)
    metrics_dir = run.logs / "d2-metrics"
    metrics_dir.mkdir()
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=run.args.redis_url,
        # Metrics as in production with several processes (tests/bench/relay_metrics.py).
        METRICS_ENABLED="true",
        METRICS_TOKEN=secrets.token_urlsafe(20),
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        # With REDIS_URL set loopback is denied by default; this benchmark's upstream is loopback.
        UPSTREAM_DENY_CIDRS="169.254.0.0/16,fd00:ec2::254/128",
    )
    web, port = daphne("d2-daphne", "config.asgi:application", env, run.logs)
    run.start(web)
    deployment = Switchboard("d2", env, DjangoStore(), data, web, port)
    start_worker(run, deployment)
    web.wait_http(port, 60)
    return deployment


def start_worker(run: Run, deployment: Switchboard) -> None:
    worker = Child(
        f"{deployment.key}-worker-{len(run.children)}",
        [sys.executable, "manage.py", "relay_worker"],
        deployment.env,
        run.logs,
    )
    run.start(worker)
    worker.wait_line("relay worker ready", 60)
    deployment.relay = worker


def restart_relay(run: Run, deployment: Switchboard) -> None:
    """A fresh relay process: the worker, or in embedded mode the whole server."""
    if deployment.relay is not None:
        run.stop(deployment.relay)
        start_worker(run, deployment)
        return
    run.stop(deployment.web)
    web, port = daphne(
        f"{deployment.key}-daphne-{len(run.children)}",
        "config.asgi:application",
        deployment.env,
        run.logs,
    )
    run.start(web)
    web.wait_http(port, 60)
    deployment.web, deployment.port = web, port


def report(run: Run, paths: list[ViewerPath], load: tuple[Any, Any, Any]) -> bool:
    by_key = {p.key: p for p in paths}
    cpus = os.cpu_count() or 1
    print(
        f"\nload average (1 min) {load[0][0]:.2f} before, {load[1][0]:.2f} after the timed "
        f"part, {load[2][0]:.2f} at the end, on {cpus} CPUs shared with other jobs"
        + ("  (busy machine)" if max(load[0][0], load[1][0]) > cpus else "")
    )
    header = (
        f"{'path':<40} {'p50 µs':>8} {'p99 µs':>8} {'x (c)':>6} {'flood/s':>9} "
        f"{'stored':>15} {'KiB/idle':>9}"
    )
    print(header)
    print("-" * len(header))
    floor = by_key["c"].p50_us() if "c" in by_key else math.nan
    for path in paths:
        stored = ""
        idle_kib = ""
        if isinstance(path, SessionPath):
            got = path.stored.get("sent", 0) + path.stored.get("received", 0)
            expected = sum(path.stored_expected.values())
            stored = f"{got}/{expected}"
            if path.key in run.idle:
                idle_kib = f"{run.idle[path.key].per_session_kib:.1f}"
        print(
            f"{path.label:<40} {path.p50_us():>8.0f} {path.p99_us():>8.0f} "
            f"{path.p50_us() / floor:>6.2f} {path.flood_rate:>9,.0f} {stored:>15} {idle_kib:>9}"
        )
    parts = run.parts
    if parts:
        least = parts["pg_commit"] + parts["live_send"] + parts["live_group_send"]
        print(
            f"(d2) adds to (c) at least (p50s): a PostgreSQL commit of one row "
            f"{parts['pg_commit']:.0f} µs (two when the echo misses its message's commit), "
            f"a live-layer (Redis pub/sub) send->receive {parts['live_send']:.0f} µs "
            f"(viewer -> relay) and a group_send->receive {parts['live_group_send']:.0f} µs "
            f"(relay -> viewer): {least:.0f} µs"
            + (
                f", so (d2) >= {(floor + least) / floor:.2f}x (c) before any of its own code"
                if not math.isnan(floor)
                else ""
            )
            + f"; with channels_redis' default layer the hops are {parts['core_send']:.0f} "
            f"and {parts['core_group_send']:.0f} µs"
        )
    checking = run.checking
    if checking:
        print(
            f"(d2) contract checking, tick frames of {len(tick_frame(0))} bytes against a "
            f"{len(TICK_SCHEMA['properties'])}-property schema: off {checking['off']:,.0f} "
            f"frames/s, on {checking['on']:,.0f} frames/s stored and delivered "
            f"(on/off {checking['on'] / checking['off']:.2f}); relay CPU per frame "
            f"{checking['relay_us_off']:.1f} µs off, {checking['relay_us_on']:.1f} µs on"
        )
    metric_checks: list[tuple[str, bool]] = []
    if run.metrics:
        from tests.bench.relay_metrics import report_lines

        line, metric_checks = report_lines(run.metrics)
        print(line)
    for key, idle in run.idle.items():
        print(
            f"({key}) relay process RSS {idle.before_kib / 1024:.1f} MiB with {WARM_SESSIONS} "
            f"sessions open -> {idle.after_kib / 1024:.1f} MiB with {idle.sessions} more"
        )

    checks: list[tuple[str, bool]] = []
    for key, limit in (("d1", D1_MAX_RATIO), ("d2", D2_MAX_RATIO)):
        if key in by_key and "c" in by_key:
            ratio = by_key[key].p50_us() / floor
            checks.append(
                (f"p50 RTT ({key}) {ratio:.2f}x (c), target <= {limit:g}x", ratio <= limit)
            )
    if "d2" in by_key:
        rate = by_key["d2"].flood_rate
        checks.append(
            (f"(d2) {rate:,.0f} frames/s, target >= {D2_MIN_RATE:,}", rate >= D2_MIN_RATE)
        )
    if checking:
        rate = checking["on"]
        checks.append(
            (
                f"(d2) checking on {rate:,.0f} frames/s, target >= {CHECKED_MIN_RATE:,}",
                rate >= CHECKED_MIN_RATE,
            )
        )
        checks.append(
            (
                f"(d2) checking on: {checking['valid']:.0f}/{checking['expected']:.0f} entries "
                "stored as valid tick messages",
                checking["valid"] == checking["expected"],
            )
        )
    checks.extend(metric_checks)
    if run.fidelity:
        from tests.bench.relay_fidelity import report_lines as fidelity_lines

        lines, fidelity_checks = fidelity_lines(run.fidelity)
        for line in lines:
            print(line)
        checks.extend(fidelity_checks)
    for path in paths:
        if not isinstance(path, SessionPath):
            continue
        key = path.key
        same = all(path.stored.get(k, 0) == v for k, v in path.stored_expected.items())
        checks.append(
            (
                f"({key}) stored sent {path.stored.get('sent', 0)}/{path.stored_expected['sent']}, "
                f"received {path.stored.get('received', 0)}/{path.stored_expected['received']}",
                same,
            )
        )
    for key, idle in run.idle.items():
        kib = idle.per_session_kib
        checks.append(
            (
                f"({key}) {kib:.1f} KiB RSS per idle open session, target <= {MAX_IDLE_KIB:g}",
                kib <= MAX_IDLE_KIB,
            )
        )
    print()
    for text, ok in checks:
        print(f"{'ok    ' if ok else 'MISSED'} {text}")
    missed = [text for text, ok in checks if not ok]
    partial = len(paths) < len(PATHS) or not run.idle
    if missed:
        print(f"\nresult: {len(missed)} MISSED")
    elif partial:
        print("\nresult: partial run (some paths or the idle sessions left out): not all checked")
    else:
        print("\nresult: all targets met")
    return not missed and not partial


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
