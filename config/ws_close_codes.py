"""Close codes instead of dropped connections under Daphne (the codes Switchboard's own sockets
close with, and ``refuse``, are in core/ws.py).

Daphne's WebSocket layer (autobahn) fails a connection that breaks the protocol, such as a text
frame that is not valid UTF-8 or a message over ``--websocket-max-message-size``, by dropping
the TCP connection (autobahn's ``failByDrop``). The client then sees 1006 and cannot tell why.
This middleware turns that off per connection, so the failure is a close frame with the code
that says why (1007 invalid payload, 1009 too big, 1002 protocol error) before the connection
ends.

It also sets the connection's message and frame limits to
``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE`` (room for a ``SESSION_MAX_MESSAGE_SIZE`` body however
its JSON writes it, see config/settings.py), whatever ``--websocket-max-message-size`` and
``--websocket-max-frame-size`` Daphne was started with: raising the setting is enough for a
viewer to send the largest message the relay accepts. And it puts the ``reason`` of an
application's ``websocket.close`` into the close frame (Daphne drops it). Under any other
server it does nothing.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings

from config.ws_backpressure import DaphneSocketMiddleware


class WebSocketCloseCodes(DaphneSocketMiddleware):
    """ASGI middleware for the ``websocket`` scope (it passes on a ``send`` of Daphne's shape:
    ``partial(function, protocol, ...)``)."""

    def adjust(self, protocol: Any, send: Any) -> Any:
        # Read by autobahn when it fails the connection; the handshake is done by now,
        # and no frame is read before the application accepts.
        protocol.failByDrop = False
        limit = settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE
        protocol.maxMessagePayloadSize = limit
        protocol.maxFramePayloadSize = limit
        return functools.partial(_send_close_reason, protocol, send)


# Protocol close codes an application may send (RFC 6455 7.4.1), which autobahn's sendClose
# refuses (it takes only 1000 and 3000-4999): the mock's faults and limits use them.
PROTOCOL_CLOSE_CODES = frozenset({1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})


async def _send_close_reason(protocol: Any, daphne_send: Any, message: dict[str, Any]) -> None:
    """Daphne's send, except that an open socket's close keeps its reason and may use any
    protocol close code."""
    if message.get("type") == "websocket.close" and protocol.state == protocol.STATE_OPEN:
        code = message.get("code") or 1000
        reason = message.get("reason") or ""
        if code in PROTOCOL_CLOSE_CODES:
            utf8 = reason.encode("utf-8")[:123].decode("utf-8", "ignore").encode("utf-8")
            protocol.sendCloseFrame(code=code, reasonUtf8=utf8 or None)
            return
        if reason:
            protocol.sendClose(code=code, reason=reason)
            return
    await daphne_send(message)
