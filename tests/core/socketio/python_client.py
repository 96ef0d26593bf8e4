"""The tests' Socket.IO client in Python: python-socketio's AsyncClient (protocol 5, Engine.IO
4), WebSocket transport only, in a process of its own. The same conversation as
tests/node/sio_client.js; ``python python_client.py <url>`` prints what it saw as one JSON line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from typing import Any

import socketio  # type: ignore[import-untyped]


def plain(args: Any) -> list[Any]:
    items = args if isinstance(args, list | tuple) else [args]
    return [{"hex": a.hex()} if isinstance(a, bytes) else a for a in items]


async def refusal(url: str, namespace: str, token: str) -> str:
    client = socketio.AsyncClient(reconnection=False)
    refused: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @client.on("connect_error", namespace=namespace)
    async def connect_error(data: Any) -> None:
        if not refused.done():
            refused.set_result(str(data.get("message") if isinstance(data, dict) else data))

    with contextlib.suppress(socketio.exceptions.ConnectionError):
        await client.connect(
            url, namespaces=[namespace], auth={"token": token}, transports=["websocket"]
        )
    try:
        return await asyncio.wait_for(refused, 5)
    finally:
        await client.disconnect()


async def conversation(url: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    client = socketio.AsyncClient(reconnection=False)
    seen: dict[str, asyncio.Queue[Any]] = {}

    def queue(name: str) -> asyncio.Queue[Any]:
        return seen.setdefault(name, asyncio.Queue())

    for namespace in ("/", "/chat"):
        for event in ("welcome", "news", "answered"):

            async def handler(*args: Any, _key: str = f"{namespace}{event}") -> None:
                await queue(_key).put(list(args))

            client.on(event, handler, namespace=namespace)

    async def question(text: str) -> tuple[str, int]:
        return f"answer to {text}", 42

    client.on("question", question, namespace="/chat")
    left: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def disconnected(*args: Any) -> None:
        if not left.done():
            left.set_result(list(args))

    client.on("disconnect", disconnected, namespace="/chat")

    async def get(key: str) -> Any:
        return await asyncio.wait_for(queue(key).get(), 5)

    await client.connect(
        url, namespaces=["/", "/chat"], auth={"token": "letmein"}, transports=["websocket"]
    )
    result["welcome"] = (await get("/welcome"))[0]
    result["chatWelcome"] = (await get("/chatwelcome"))[0]
    result["echo"] = plain(
        await client.call("echo", (1, "two", {"three": [3.5, None, True]}), namespace="/chat")
    )
    result["binaryEcho"] = plain(
        await client.call("echo", (b"\x00\xfe", "x"), namespace="/chat", timeout=5)
    )
    await client.emit("shout", "hello", namespace="/chat")
    result["news"] = plain(await get("/chatnews"))
    await client.emit("ask", namespace="/chat")
    result["answered"] = await get("/chatanswered")
    result["refusedNamespace"] = await refusal(url, "/nope", "letmein")
    result["refusedToken"] = await refusal(url, "/chat", "wrong")
    await asyncio.sleep(2.5)  # heartbeats keep it open
    result["stillConnected"] = client.connected and "/chat" in client.namespaces
    await client.emit("bye", namespace="/chat")
    result["disconnect"] = (await asyncio.wait_for(left, 5))[0]
    result["rootConnected"] = "/" in client.namespaces
    await client.disconnect()
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(asyncio.wait_for(conversation(sys.argv[1]), 20))), flush=True)
