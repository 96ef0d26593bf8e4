"""What an upstream connection needs from the relay holding it (``server.Relay``): the
egress policy and resolver, the writer's queue, replies, tasks, the database, and word of
the connection's end or reconnect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from sessions.relay.egress import EgressPolicy, Resolver
from sessions.relay.store import Record

# The connection it holds is an ``upstream.UpstreamConnection`` (typed loosely here: that
# module imports this one).
UpstreamConnection = Any


class RelayLink(Protocol):
    """What an upstream connection needs from the relay holding it (``server.Relay``)."""

    @property
    def resolver(self) -> Resolver | None: ...

    @property
    def policy(self) -> EgressPolicy: ...

    def enqueue(self, record: Record) -> Awaitable[None]: ...

    def enqueue_nowait(self, record: Record) -> None: ...

    def writer_room(self) -> Awaitable[None]: ...

    async def reply(self, channel: str | None, message: dict[str, Any]) -> None: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    async def db(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def connection_ended(self, connection: UpstreamConnection) -> None: ...

    def reconnect(self, connection: UpstreamConnection) -> None: ...

    @property
    def stopping(self) -> bool: ...

    @property
    def name(self) -> str: ...
