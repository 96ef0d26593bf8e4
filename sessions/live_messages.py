"""What the session stream sends a viewer, shaped to fit: batches cut into messages Daphne will
send, and the acks of a socket's sends."""

from __future__ import annotations

import json
from typing import Any

from sessions.relay.protocol import LIVE_MESSAGE_BYTES

# Daphne (autobahn) will not send a message over --websocket-max-message-size (1 MiB by
# default, which SESSION_MAX_MESSAGE_SIZE equals; raise both together): it fails the socket
# with 1011. Batches are split below LIVE_MESSAGE_BYTES (the relay splits its own), and an
# entry that alone is bigger goes without its content ("omitted": read it through REST).


def ack_fields(reply: dict[str, Any]) -> dict[str, Any]:
    """What a client is told of the relay's answer to its send."""
    return {k: v for k, v in reply.items() if k not in ("type", "ok")}


def fits(text: str) -> bool:
    return len(text) * 4 <= LIVE_MESSAGE_BYTES or len(text.encode("utf-8")) <= LIVE_MESSAGE_BYTES


def live_chunks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``events`` in consecutive chunks whose JSON fits in one live message."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        encoded = json.dumps(event, ensure_ascii=False)
        if not fits(encoded):
            event = {**event, "text": None, "base64": None, "omitted": True}
            encoded = json.dumps(event, ensure_ascii=False)
        cost = len(encoded.encode("utf-8")) + 2
        if chunks[-1] and size + cost > LIVE_MESSAGE_BYTES - 1024:
            chunks.append([])
            size = 0
        chunks[-1].append(event)
        size += cost
    return chunks
