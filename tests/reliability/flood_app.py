"""A tiny ASGI application for the backpressure test: every WebSocket it accepts is sent 256 KiB
text messages as fast as ``send`` returns; ``GET /`` answers how many were sent. Wrapped in
the same WebSocket middlewares as config/asgi.py, in the same order (the backpressure inside
the ones that wrap ``send``), so that the test fails if that order hides Daphne from it."""

from __future__ import annotations

import asyncio
from typing import Any

from config.ws_backpressure import WebSocketBackpressure
from config.ws_close_codes import WebSocketCloseCodes
from config.ws_denial import WebSocketDenialResponse
from config.ws_empty_messages import WebSocketEmptyMessages

MESSAGE = "x" * (256 * 1024)
sent = {"messages": 0}


async def flood(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await receive()
        body = str(sent["messages"]).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        await send({"type": "websocket.send", "text": MESSAGE})
        sent["messages"] += 1
        await asyncio.sleep(0)  # like a consumer between channel messages


application = WebSocketCloseCodes(
    WebSocketEmptyMessages(WebSocketDenialResponse(WebSocketBackpressure(flood, stall_timeout=5)))
)
