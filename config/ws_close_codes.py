"""Close codes instead of dropped connections, under Daphne.

Daphne's WebSocket layer (autobahn) fails a connection that breaks the protocol, such as a text
frame that is not valid UTF-8 or a message over ``--websocket-max-message-size``, by dropping
the TCP connection (autobahn's ``failByDrop``). The client then sees 1006 and cannot tell why.
This middleware turns that off per connection, so the failure is a close frame with the code
that says why (1007 invalid payload, 1009 too big, 1002 protocol error) before the connection
ends.

It also sets the connection's message and frame limits to
``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE`` (room for a ``SESSION_MAX_MESSAGE_SIZE`` body however
its JSON writes it, see config/settings.py), whatever ``--websocket-max-message-size`` and ``--websocket-max-frame-size``
Daphne was started with: raising the setting is enough for a viewer to send the largest message
the relay accepts. Under any other server it does nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from config.ws_backpressure import _daphne_protocol


class WebSocketCloseCodes:
    """ASGI middleware for the ``websocket`` scope; it needs Daphne's own ``send``, so it goes
    outside any middleware that wraps ``send`` (it passes ``send`` on unchanged)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            protocol = _daphne_protocol(send)
            if protocol is not None:
                # Read by autobahn when it fails the connection; the handshake is done by now,
                # and no frame is read before the application accepts.
                protocol.failByDrop = False
                limit = settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
                protocol.maxMessagePayloadSize = limit
                protocol.maxFramePayloadSize = limit
        return await self.inner(scope, receive, send)
