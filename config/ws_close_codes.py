"""Close codes: the one list of the codes Switchboard's sockets close with, the one way to refuse
a socket (``refuse``), and close codes instead of dropped connections under Daphne.

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
import json
from enum import IntEnum
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
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


async def _send_close_reason(protocol: Any, daphne_send: Any, message: dict[str, Any]) -> None:
    """Daphne's send, except that an open socket's close keeps its reason."""
    if (
        message.get("type") == "websocket.close"
        and message.get("reason")
        and protocol.state == protocol.STATE_OPEN
    ):
        protocol.sendClose(code=message.get("code") or 1000, reason=message["reason"])
        return
    await daphne_send(message)


class CloseCode(IntEnum):
    """Why Switchboard's own sockets close (4000-4999: the application's range; 4xxx mirrors
    the HTTP status). Daphne's protocol failures use the standard 1002, 1007 and 1009."""

    BAD_REQUEST = 4400
    NOT_AUTHENTICATED = 4401
    NOT_FOUND = 4404


# A close frame's reason has room for 123 bytes of UTF-8.
MAX_CLOSE_REASON_BYTES = 123


async def refuse(
    consumer: AsyncWebsocketConsumer, code: CloseCode, error: str, detail: str
) -> None:
    """Close an accepted socket saying why, twice: an ``{"type": "error", "code": error,
    "detail": detail}`` message for clients that read messages, then the close frame with
    ``code`` and ``detail`` as its reason (cut to fit) for those that only see the close."""
    await consumer.send(text_data=json.dumps({"type": "error", "code": error, "detail": detail}))
    reason = detail.encode("utf-8")[:MAX_CLOSE_REASON_BYTES].decode("utf-8", errors="ignore")
    await consumer.close(code=int(code), reason=reason)
