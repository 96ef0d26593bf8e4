"""The two processes beside the scenario benchmark: a loopback echo upstream, and the bare
``websockets`` client the runner is compared with. Each is its own process, as a real upstream
and a client script are, so none of them shares the relay's interpreter lock.

    python -m tests.bench.scenario_peers upstream        # prints "port N", serves until killed
    python -m tests.bench.scenario_peers client URL N    # prints the seconds N round trips took
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit


async def upstream() -> None:
    from websockets.asyncio.server import serve

    async def handler(connection: Any) -> None:
        query = parse_qs(urlsplit(connection.request.path).query)
        delay = float(query.get("ms", ["0"])[0]) / 1000
        async for message in connection:
            if delay:
                await asyncio.sleep(delay)
            await connection.send(message)

    async with serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
        print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


async def client(url: str, count: int) -> float:
    """Connect, ``count`` sends each checked against its echo, close."""
    from websockets.asyncio.client import connect

    started = time.perf_counter()
    async with connect(url, compression=None, max_queue=None) as ws:
        for index in range(count):
            body = f"ping {index}"
            await ws.send(body)
            if await ws.recv() != body:
                raise SystemExit("the echo did not match")
    return time.perf_counter() - started


if __name__ == "__main__":
    if sys.argv[1] == "upstream":
        asyncio.run(upstream())
    else:
        print(asyncio.run(client(sys.argv[2], int(sys.argv[3]))), flush=True)
