"""Upstream servers the scenario tests run against, on loopback: a chat room that relays each
user's messages to the others, and a documented ticker that confirms a subscription and
streams trades (an invalid one for the symbol BAD)."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, serve

from tests.sessions.upstreams import LoopThread, ServedWebsockets, Upstream


class ScenarioUpstream(ServedWebsockets, Upstream):
    def __init__(self, runner: LoopThread) -> None:
        super().__init__()
        self.runner = runner
        self.room: dict[str, ServerConnection] = {}
        self.ids = itertools.count(1)

    def start(self) -> ScenarioUpstream:
        async def start() -> Any:
            return await serve(self._handler, self.host, 0, compression=None, ping_interval=None)

        self.serve_on_loop(start())
        return self

    async def _handler(self, connection: ServerConnection) -> None:
        assert connection.request is not None
        parts = urlsplit(connection.request.path)
        query = parse_qs(parts.query)
        if parts.path == "/chat":
            await self._chat(connection, query.get("user", ["anonymous"])[0])
        elif parts.path == "/ticker":
            await self._ticker(connection)
        elif parts.path == "/slow":
            async for message in connection:
                await asyncio.sleep(float(query.get("ms", ["5"])[0]) / 1000)
                await connection.send(message)
        elif parts.path == "/close":
            await connection.recv()
            await connection.close(int(query.get("code", ["4001"])[0]), "server says bye")
        else:
            async for message in connection:
                await connection.send(message)

    async def _chat(self, connection: ServerConnection, user: str) -> None:
        self.room[user] = connection
        try:
            async for message in connection:
                self.note("/chat", message)
                data = json.loads(message)
                out = {"from": user, "text": data.get("text", "")}
                if "reply_to" in data:
                    out.update(type="reply", reply_to=data["reply_to"])
                else:
                    out.update(type="message", id=f"m-{next(self.ids)}")
                for other, peer in list(self.room.items()):
                    if other != user:
                        await peer.send(json.dumps(out))
        finally:
            self.room.pop(user, None)

    async def _ticker(self, connection: ServerConnection) -> None:
        async for message in connection:
            self.note("/ticker", message)
            data = json.loads(message)
            if data.get("op") != "subscribe":
                await connection.send(json.dumps({"type": "error", "message": "unknown op"}))
                continue
            symbols = data.get("symbols") or []
            await connection.send(json.dumps({"type": "subscribed", "symbols": symbols}))
            await connection.send(json.dumps({"type": "heartbeat"}))
            for symbol in symbols:
                price: Any = "abc" if symbol == "BAD" else 100.5
                trade = {"type": "trade", "symbol": symbol, "price": price, "size": 1}
                await connection.send(json.dumps(trade))
