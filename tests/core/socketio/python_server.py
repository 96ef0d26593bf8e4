"""The tests' Socket.IO server in Python: python-socketio's AsyncServer (protocol 5, Engine.IO 4)
on aiohttp, in a process of its own. Same behaviour as tests/node/socketio_server.js; prints
``port <n>`` when ready."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio  # type: ignore[import-untyped]
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=3)


def serve(namespace: str) -> None:
    async def welcome(sid: str) -> None:
        await asyncio.sleep(0.05)  # after the CONNECT answer
        await sio.emit("welcome", {"id": sid, "nsp": namespace}, to=sid, namespace=namespace)

    @sio.on("connect", namespace=namespace)
    async def connect(sid: str, environ: Any, auth: Any) -> None:
        if namespace == "/chat" and (auth or {}).get("token") != "letmein":
            raise socketio.exceptions.ConnectionRefusedError("not authorized")
        sio.start_background_task(welcome, sid)

    @sio.on("echo", namespace=namespace)
    async def echo(sid: str, *args: Any) -> tuple[Any, ...]:
        return args

    @sio.on("shout", namespace=namespace)
    async def shout(sid: str, text: Any) -> None:
        await sio.emit("news", ({"text": text}, b"\x01\x02\x03\xff"), namespace=namespace)

    @sio.on("bye", namespace=namespace)
    async def bye(sid: str) -> None:
        await sio.disconnect(sid, namespace=namespace)


async def main() -> None:
    serve("/")
    serve("/chat")
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"port {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
