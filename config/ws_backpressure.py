"""Backpressure for WebSocket sends under Daphne: a consumer's ``send`` waits while the client is
not reading, instead of piling the data up in the server's memory.

ASGI has no flow control for WebSocket messages and Daphne writes whatever it is given into the
connection's buffer, so a viewer that stops reading would make its web process grow without
bound (as fast as its session's upstream sends). Here a Twisted push producer is registered on
the connection: Twisted pauses it once more than 64 KiB waits to be written and resumes it when
the buffer has drained, and ``send`` waits while it is paused. The waiting consumer stops taking
messages from the channel layer, which keeps at most its capacity per socket and drops the
oldest beyond that; the session stream re-reads anything dropped from the log by sequence
number once the client reads again. A client that reads nothing for ``STALL_TIMEOUT`` seconds
is disconnected (it resumes with ``?after=``).

Under any other server (or Channels' test communicator) messages pass through unchanged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

logger = logging.getLogger("switchboard.ws")

STALL_TIMEOUT = 60.0


@implementer(IPushProducer)
class _WriteGate:
    """Open while the connection's transport is writable; Twisted calls these on the loop."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()

    def pauseProducing(self) -> None:
        self.writable.clear()

    def resumeProducing(self) -> None:
        self.writable.set()

    def stopProducing(self) -> None:
        # The connection is gone: nothing waits for it any more (Daphne drops late sends).
        self.writable.set()


# Where the outermost of these middlewares leaves Daphne's protocol object in the scope, for
# those inside a middleware that wraps ``send`` (the denial responses, the mock router).
SCOPE_KEY = "switchboard.daphne_protocol"


def daphne_protocol(send: Any, scope: dict[str, Any] | None = None) -> Any | None:
    """Daphne hands each application ``partial(server.handle_reply, protocol)`` as ``send``;
    inside a middleware that wrapped it, the protocol is in the scope (``SCOPE_KEY``)."""
    if scope is not None and scope.get(SCOPE_KEY) is not None:
        return scope[SCOPE_KEY]
    if not isinstance(send, functools.partial) or not send.args:
        return None
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    protocol = send.args[0]
    return protocol if isinstance(protocol, WebSocketProtocol) else None


class DaphneSocketMiddleware:
    """Base of the ASGI middlewares that change Daphne's protocol object of each WebSocket
    connection; under any other server there is none, and they pass everything on unchanged.
    They need Daphne's own ``send``, so they go outside any middleware that wraps ``send``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            protocol = daphne_protocol(send, scope)
            if protocol is not None:
                scope = {**scope, SCOPE_KEY: protocol}
                send = self.adjust(protocol, send)
        return await self.inner(scope, receive, send)

    def adjust(self, protocol: Any, send: Any) -> Any:
        """Change ``protocol`` for this connection; return the ``send`` to pass on."""
        raise NotImplementedError


def _gate_for(protocol: Any) -> _WriteGate | None:
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "registerProducer"):
        return None
    gate = _WriteGate()
    try:
        transport.registerProducer(gate, True)
        return gate
    except RuntimeError:
        pass
    # Under Daphne the HTTP channel the socket was upgraded from stays the TCP connection's
    # producer; it passes pause and resume on to a producer registered with it.
    channel = getattr(transport, "producer", None)
    if channel is None or not hasattr(channel, "registerProducer"):
        return None
    try:
        channel.registerProducer(gate, True)
    except RuntimeError:  # something else already produces into it; leave it alone
        return None
    return gate


class WebSocketBackpressure:
    """ASGI middleware for the ``websocket`` scope. It finds Daphne's protocol from Daphne's
    own send or, inside middlewares that wrap it, in the scope (``daphne_protocol``): without
    it, it could not wait, and a viewer that stops reading would grow its web process again
    (as it did for a while when the mock router and the denial responses came outside it)."""

    def __init__(self, inner: Any, stall_timeout: float = STALL_TIMEOUT) -> None:
        self.inner = inner
        self.stall_timeout = stall_timeout

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        protocol = daphne_protocol(send, scope) if scope.get("type") == "websocket" else None
        if protocol is None:
            return await self.inner(scope, receive, send)
        gate: _WriteGate | None = None

        async def flow_controlled_send(message: dict[str, Any]) -> None:
            nonlocal gate
            if message.get("type") == "websocket.send":
                if gate is None:
                    gate = _gate_for(protocol)
                if gate is not None and not gate.writable.is_set():
                    try:
                        await asyncio.wait_for(gate.writable.wait(), self.stall_timeout)
                    except TimeoutError:
                        logger.warning(
                            "WebSocket client %s read nothing for %g s; disconnecting it",
                            scope.get("client"),
                            self.stall_timeout,
                        )
                        protocol.dropConnection(abort=True)
                        return
            await send(message)

        return await self.inner(scope, receive, flow_controlled_send)
