"""WebSocket building blocks every socket shares: the one list of the close codes Switchboard's
own sockets close with, and the one way to refuse a socket (``refuse``)."""

from __future__ import annotations

import json
from enum import IntEnum

from channels.generic.websocket import AsyncWebsocketConsumer


class CloseCode(IntEnum):
    """Why Switchboard's own sockets close (4000-4999: the application's range; 4xxx mirrors
    the HTTP status). Daphne's protocol failures use the standard 1002, 1007 and 1009
    (config/ws_close_codes.py)."""

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
