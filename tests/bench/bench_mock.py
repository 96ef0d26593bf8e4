"""Mock server benchmark (issue 16), on ``make serve``'s embedded server: one Daphne process, a
SQLite database in a fresh data directory, the in-memory channel layer; every mock frame
recorded as in production.

- **pushes**: C client connections (1,000) to one mock endpoint whose behaviour pushes a
  documented message every second, T times (60: ``--seconds``). Every push must arrive, and
  none later than ``MAX_LATENESS_MS`` after it was due. A push is due ``k`` intervals after
  the client's handshake completed (the server starts its timer when it accepts, a little
  earlier, so lateness is if anything under-counted by the handshake's last leg). Prints the
  server's RSS per connection (its RSS with all connections open, minus with a few warm-up
  ones open, over C).
- **round trips**: a request -> reply round trip through a mock rule (matched by the
  documented message's match rule, the request's ``id`` taken into the reply by JSONPath,
  both frames recorded) against the built-in ``/ws/echo/`` of the same server, interleaved in
  the same run. Target: mock p50 <= ``MAX_RTT_RATIO`` x echo p50.

    python -m tests.bench mock [--connections C] [--seconds T] [--round-trips N]

The clients run in this process (asyncio, ``websockets``), the server in a child process. The
bench server runs with ``MOCK_RATE_LIMIT`` raised, so that the round trips (sent back to back)
are not cut off by the per-connection rate limit. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MAX_LATENESS_MS = 1000.0
MAX_RTT_RATIO = 2.0
WARM_CONNECTIONS = 10
CONNECT_BATCH = 50

PUSH_MESSAGES: list[dict[str, Any]] = [
    {
        "name": "tick",
        "direction": "receive",
        "format": "json",
        "examples": [{"name": "Tick", "body": '{"type": "tick", "n": {{count}}}'}],
        "match": {"kind": "path", "path": "$.type", "value": "tick"},
    },
]
RTT_MESSAGES: list[dict[str, Any]] = [
    {
        "name": "ping",
        "direction": "send",
        "format": "json",
        "examples": [{"name": "Ping", "body": '{"type": "ping", "id": 1}'}],
        "match": {"kind": "path", "path": "$.type", "value": "ping"},
    },
    {
        "name": "pong",
        "direction": "receive",
        "format": "json",
        "reply_to": "ping",
        "examples": [{"name": "Pong", "body": '{"type": "pong", "id": {{id}}}'}],
        "match": {"kind": "path", "path": "$.type", "value": "pong"},
    },
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench mock",
        description="Mock pushes to many connections, and mock round trips against /ws/echo/.",
    )
    parser.add_argument("--connections", type=int, default=1000, help="push clients (1000)")
    parser.add_argument("--seconds", type=int, default=60, help="pushes per client, 1/s (60)")
    parser.add_argument("--round-trips", type=int, default=2000, help="of each kind (2000)")
    return parser.parse_args(argv)


def server_env(data_dir: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SWITCHBOARD_DATA_DIR=data_dir,
        STATIC_ROOT=str(Path(data_dir) / "static"),
        LOG_LEVEL="WARNING",
        MOCK_RATE_LIMIT="1000000",
    )
    return env


def prepare(data_dir: str, seconds: int) -> tuple[str, str]:
    """Migrate the SQLite database and make the project, its two endpoints and the push
    behaviour; the mock URLs of the push and the round-trip endpoints (paths)."""
    os.environ.update(server_env(data_dir))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from endpoints.projects.services import project_create
    from endpoints.tree.services import endpoint_create
    from mocks.services import mock_behaviour_update, mock_settings_ensure

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user("bench", password="x")
    project = project_create(actor=user, name="Bench")
    push = endpoint_create(
        project=project,
        actor=user,
        data={"name": "Push", "url": "wss://bench.test/push", "messages": PUSH_MESSAGES},
    )
    rtt = endpoint_create(
        project=project,
        actor=user,
        data={"name": "Rtt", "url": "wss://bench.test/rtt", "messages": RTT_MESSAGES},
    )
    mock_behaviour_update(
        endpoint=push,
        actor=user,
        spec={"pushes": [{"message": "tick", "interval_ms": 1000, "times": seconds}]},
    )
    mock_behaviour_update(
        endpoint=rtt,
        actor=user,
        spec={"rules": [{"when": "ping", "extract": [{"variable": "id", "path": "$.id"}]}]},
    )
    key = mock_settings_ensure(project=project).key
    return f"/mock/{key}/push", f"/mock/{key}/rtt"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def round_trips(base: str, rtt_path: str, count: int) -> tuple[list[float], list[float]]:
    from websockets.asyncio.client import connect

    mock_times: list[float] = []
    echo_times: list[float] = []
    async with connect(base + rtt_path) as mock, connect(base + "/ws/echo/") as echo:
        for n in range(count + 100):  # the first 100 of each warm up
            for ws, times, kind in ((mock, mock_times, "mock"), (echo, echo_times, "echo")):
                body = json.dumps({"type": "ping", "id": n})
                started = time.perf_counter()
                await ws.send(body)
                reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
                took = time.perf_counter() - started
                assert reply["id"] == n, (kind, reply)
                if n >= 100:
                    times.append(took)
    return mock_times, echo_times


class PushClient:
    def __init__(self) -> None:
        self.lateness: list[tuple[float, float]] = []  # (received at, ms late)
        self.received = 0
        self.ws: Any = None
        self.opened = 0.0

    async def open(self, url: str) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(url, open_timeout=30, ping_interval=None)
        self.opened = time.monotonic()

    async def read(self, times: int, deadline: float) -> None:
        while self.received < times:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                message = await asyncio.wait_for(self.ws.recv(), remaining)
            except Exception:  # a timeout, or the connection closed: counted as short
                return
            now = time.monotonic()
            tick = json.loads(message)
            self.received += 1
            due = self.opened + tick["n"] * 1.0
            self.lateness.append((now, (now - due) * 1000))


async def pushes(base: str, path: str, args: argparse.Namespace, pid: int) -> dict[str, Any]:
    warm = [PushClient() for _ in range(WARM_CONNECTIONS)]
    for client in warm:
        await client.open(base + path)
    await asyncio.sleep(2)
    before = rss_kib(pid)
    clients = [PushClient() for _ in range(args.connections)]
    readers = []
    started = time.monotonic()
    # Each client reads from the moment it is open, while the others are still connecting.
    deadline = started + args.seconds + 120
    for start in range(0, len(clients), CONNECT_BATCH):
        batch = clients[start : start + CONNECT_BATCH]
        await asyncio.gather(*(client.open(base + path) for client in batch))
        readers += [asyncio.create_task(c.read(args.seconds, deadline)) for c in batch]
    all_open = time.monotonic()
    connected = all_open - started
    await asyncio.sleep(args.seconds / 2)
    during = rss_kib(pid)
    await asyncio.gather(*readers)
    for client in [*warm, *clients]:
        await client.ws.close()
    lateness = sorted(value for c in clients for _, value in c.lateness)
    steady = sorted(value for c in clients for at, value in c.lateness if at > all_open)
    return {
        "steady_p99": steady[int(len(steady) * 0.99)] if steady else float("nan"),
        "steady_max": steady[-1] if steady else float("nan"),
        "connected_s": connected,
        "delivered": sum(c.received for c in clients),
        "expected": args.connections * args.seconds,
        "short": sum(1 for c in clients if c.received < args.seconds),
        "p50": lateness[len(lateness) // 2] if lateness else float("nan"),
        "p99": lateness[int(len(lateness) * 0.99)] if lateness else float("nan"),
        "max": lateness[-1] if lateness else float("nan"),
        "rss_before_kib": before,
        "rss_during_kib": during,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    from tests import daphne

    with tempfile.TemporaryDirectory(prefix="bench-mock-") as data_dir:
        push_path, rtt_path = prepare(data_dir, args.seconds)
        # The server's warnings go to a file (a pipe nobody reads would fill and stall it).
        server_log = Path(data_dir) / "server.log"
        log_file = server_log.open("w")
        process, port = daphne.start(env=server_env(data_dir), stderr=log_file)
        base = f"ws://127.0.0.1:{port}"
        missed: list[str] = []
        try:
            mock_times, echo_times = asyncio.run(round_trips(base, rtt_path, args.round_trips))
            mock_p50 = statistics.median(mock_times) * 1e6
            echo_p50 = statistics.median(echo_times) * 1e6
            ratio = mock_p50 / echo_p50
            print(
                f"round trips ({args.round_trips} each, interleaved): mock rule p50 "
                f"{mock_p50:.0f} µs, /ws/echo/ p50 {echo_p50:.0f} µs; ratio {ratio:.2f}x "
                f"(target <= {MAX_RTT_RATIO:g}x)"
            )
            if ratio > MAX_RTT_RATIO:
                missed.append(f"round trip {ratio:.2f}x > {MAX_RTT_RATIO:g}x")
            got = asyncio.run(pushes(base, push_path, args, process.pid))
            per_connection = (got["rss_during_kib"] - got["rss_before_kib"]) / args.connections
            print(
                f"pushes: {args.connections} connections (opened in {got['connected_s']:.1f} s) "
                f"x {args.seconds} pushes at 1/s: delivered {got['delivered']}/"
                f"{got['expected']} ({got['short']} connections short); lateness p50 "
                f"{got['p50']:.0f} ms, p99 {got['p99']:.0f} ms, max {got['max']:.0f} ms "
                f"(bound {MAX_LATENESS_MS:g} ms); once all were open: p99 "
                f"{got['steady_p99']:.0f} ms, max {got['steady_max']:.0f} ms; server RSS {got['rss_before_kib'] / 1024:.0f}"
                f" MiB with {WARM_CONNECTIONS} open, {got['rss_during_kib'] / 1024:.0f} MiB "
                f"with {args.connections} more: {per_connection:.1f} KiB per connection"
            )
            if got["delivered"] != got["expected"]:
                missed.append(f"delivered {got['delivered']} of {got['expected']} pushes")
            if got["max"] > MAX_LATENESS_MS:
                missed.append(f"a push {got['max']:.0f} ms late > {MAX_LATENESS_MS:g} ms")
        finally:
            daphne.stop(process)
            log_file.close()
            said = server_log.read_text(errors="replace").strip().splitlines()
            if said:
                print(f"the server logged {len(said)} lines; the last ones:")
                print("\n".join(said[-15:]))
    print("result: " + ("all targets met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
