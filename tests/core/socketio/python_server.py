"""The tests' Socket.IO server in Python: python-socketio's AsyncServer (protocol 5, Engine.IO 4)
as an ASGI app under uvicorn, in a process of its own. Same behaviour as tests/node/socketio_server.js; prints
``port <n>`` when ready."""

from __future__ import annotations

import asyncio
from typing import Any

import socketio  # type: ignore[import-untyped]
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi", ping_interval=1, ping_timeout=3)


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

    @sio.on("tell", namespace=namespace)
    async def tell(sid: str, *args: Any) -> None:
        await sio.emit("echoed", args, to=sid, namespace=namespace)

    @sio.on("bye", namespace=namespace)
    async def bye(sid: str) -> None:
        await sio.disconnect(sid, namespace=namespace)


async def main() -> None:
    serve("/")
    serve("/chat")
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
