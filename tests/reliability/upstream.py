"""The upstream WebSocket server of the fault and load runs, in a process of its own.

``python -m tests.reliability.upstream`` prints its port, then serves until killed:

* ``/echo`` sends every message back;
* ``/count?id=K&rate=R&size=S`` sends text frames ``K:0``, ``K:1``, ... (padded to S bytes) at
  R frames per second, starting at a random moment of the first second; how many it sent to
  each ``K`` is counted once each ``send`` returned;
* ``/flood?mibps=M&size=S`` sends binary frames of S bytes at M MiB/s (as fast as the reader
  takes them, at most that);

and plain HTTP: ``GET /stats`` (JSON: frames sent per ``K``, bytes sent, connections),
``GET /pause`` (every sender stops; counts are then final) and ``GET /resume``.
"""

from __future__ import annotations

import asyncio
import http
import json
import os
import random
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

sent: dict[str, int] = {}
totals = {"bytes": 0, "connections": 0, "open": 0}
running = asyncio.Event()
FLOOD_BLOCK = os.urandom(1024 * 1024)


def process_request(connection: ServerConnection, request: Request) -> Response | None:
    path = urlsplit(request.path).path
    if path == "/stats":
        body = {"sent": sent, **totals}
        return connection.respond(http.HTTPStatus.OK, json.dumps(body) + "\n")
    if path == "/pause":
        running.clear()
        return connection.respond(http.HTTPStatus.OK, "paused\n")
    if path == "/resume":
        running.set()
        return connection.respond(http.HTTPStatus.OK, "running\n")
    return None


async def count(connection: ServerConnection, query: dict[str, str]) -> None:
    key = query.get("id", "0")
    interval = 1.0 / float(query.get("rate", "1"))
    size = int(query.get("size", "0"))
    sent.setdefault(key, 0)
    # Spread many connections over the second instead of sending in lockstep.
    await asyncio.sleep(random.random() * interval)
    next_at = time.monotonic()
    while True:
        await running.wait()
        frame = f"{key}:{sent[key]}"
        await connection.send(frame.ljust(size, "."))
        sent[key] += 1
        totals["bytes"] += max(size, len(frame))
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            next_at = time.monotonic()


async def flood(connection: ServerConnection, query: dict[str, str]) -> None:
    rate = float(query.get("mibps", "50")) * 1024 * 1024
    size = int(query.get("size", str(64 * 1024)))
    started = time.monotonic()
    offset = sent_here = 0
    while True:
        await running.wait()
        frame = FLOOD_BLOCK[offset : offset + size]
        offset = (offset + 4099) % (len(FLOOD_BLOCK) - size)
        await connection.send(frame)
        sent_here += size
        totals["bytes"] += size
        ahead = sent_here / rate - (time.monotonic() - started)
        if ahead > 0:
            await asyncio.sleep(ahead)


async def handler(connection: ServerConnection) -> None:
    assert connection.request is not None  # set once the handshake is done, before the handler
    parts = urlsplit(connection.request.path)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    totals["connections"] += 1
    totals["open"] += 1
    try:
        if parts.path == "/count":
            await count(connection, query)
        elif parts.path == "/flood":
            await flood(connection, query)
        else:
            async for message in connection:
                await connection.send(message)
    except ConnectionClosed:
        pass
    finally:
        totals["open"] -= 1


async def main() -> None:
    running.set()
    async with serve(
        handler,
        "127.0.0.1",
        int(os.environ.get("UPSTREAM_PORT", "0")),
        process_request=process_request,
        compression=None,
        max_size=8 * 1024 * 1024,
        ping_interval=None,
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.get_running_loop().create_future()


def serve_forever() -> Any:
    asyncio.run(main())


if __name__ == "__main__":
    serve_forever()
