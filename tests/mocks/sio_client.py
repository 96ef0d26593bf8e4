"""A chat client of a Socket.IO mock in Python: python-socketio's AsyncClient, WebSocket
transport only, in a process of its own; the same conversation as tests/node/mock_sio_chat.js.
``python sio_client.py <server url> <socketio path> <namespace> [auth JSON]`` prints what it
saw as one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import socketio  # type: ignore[import-untyped]


async def chat(url: str, path: str, namespace: str, auth: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"acks": [], "said": [], "ticks": [], "oops": []}
    client = socketio.AsyncClient(reconnection=False)
    presence = asyncio.Event()
    left: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def welcome(*args: Any) -> None:
        result["welcome"] = list(args)

    async def said(*args: Any) -> None:
        result["said"].append(list(args))

    async def oops(*args: Any) -> None:
        result["oops"].append(list(args))

    async def tick(body: Any) -> None:
        result["ticks"].append(body["tick"])
        if len(result["ticks"]) >= 3:
            presence.set()

    async def disconnected(*args: Any) -> None:
        if not left.done():
            left.set_result(args[0] if args else None)

    for event, handler in [
        ("welcome", welcome),
        ("said", said),
        ("oops", oops),
        ("presence", tick),
        ("disconnect", disconnected),
    ]:
        client.on(event, handler, namespace=namespace)
    await client.connect(
        url,
        namespaces=[namespace],
        socketio_path=path,
        transports=["websocket"],
        auth=auth,
        wait_timeout=5,
    )
    await asyncio.wait_for(presence.wait(), 5)  # heartbeats pass meanwhile

    def answer(value: Any) -> list[Any]:
        return list(value) if isinstance(value, tuple) else [value]

    say = {"id": "c-1", "text": "hello"}
    result["acks"].append(answer(await client.call("say", say, namespace=namespace, timeout=5)))
    result["acks"].append(
        answer(await client.call("join", "lobby", namespace=namespace, timeout=5))
    )
    await client.emit("dance", namespace=namespace)
    for n in range(2, 9):
        await client.emit("say", {"id": f"c-{n}", "text": "again"}, namespace=namespace)
    result["disconnect"] = await asyncio.wait_for(left, 10)
    await client.disconnect()
    return result


if __name__ == "__main__":
    url, path, namespace = sys.argv[1:4]
    auth = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
    print(json.dumps(asyncio.run(asyncio.wait_for(chat(url, path, namespace, auth), 20))))
