"""A Socket.IO server that asks the client something (python-socketio as an ASGI app under
uvicorn, in a process of its own): on connect it emits "question" asking for an ack, and sends
what the ack said back as an "answered" event. Prints ``port <n>`` when ready. For
tests/workspace/test_socketio_browser.py (answering a server's ack from the workspace)."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio  # type: ignore[import-untyped]
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi")


async def ask(sid: str) -> None:
    await asyncio.sleep(0.05)  # after the CONNECT answer

    async def answered(*args: Any) -> None:
        await sio.emit("answered", list(args), to=sid)

    await sio.emit("question", "ready?", to=sid, callback=answered)


@sio.on("connect")
async def connect(sid: str, environ: Any, auth: Any) -> None:
    sio.start_background_task(ask, sid)


async def main() -> None:
    config = uvicorn.Config(
        socketio.ASGIApp(sio), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped it
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main())
