"""Empty WebSocket messages are sent, under Daphne.

Daphne's ``WebSocketProtocol.handle_reply`` sends a ``websocket.send`` only when its ``text`` or
``bytes`` is truthy, so an application's empty message (``""`` or ``b""``, valid in WebSocket
and in ASGI) never left the server: ``/ws/echo/`` could not echo one (Autobahn cases 1.1.1,
1.2.1, 6.1.1, 6.1.2) and no socket could send a documented empty message. This middleware
wraps each connection's ``handle_reply`` so that an empty text or binary message goes out as an
empty frame through Daphne's own ``serverSend``; every other message takes Daphne's path
unchanged. Daphne's server still decides whether the connection is there to send on: it calls
``handle_reply`` only for a connection that has not gone.

``check_daphne`` runs when this module is imported (``config/asgi.py`` does, so when Daphne
loads the application): a Daphne whose ``handle_reply`` or ``serverSend`` is not the one this
was written for stops the server at start instead of dropping empty messages again. Under any
other server the middleware does nothing.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from config.ws_backpressure import daphne_protocol

# The methods used, with their parameters, as in Daphne 4.x's daphne/ws_protocol.py.
_DAPHNE_METHODS = {"handle_reply": ["self", "message"], "serverSend": ["self", "content", "binary"]}


def check_daphne() -> None:
    """Fail loudly if Daphne's WebSocket protocol is not the one ``_send_empty_messages`` wraps."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:  # another ASGI server: nothing to fix
        return
    for name, parameters in _DAPHNE_METHODS.items():
        method = getattr(WebSocketProtocol, name, None)
        found = list(inspect.signature(method).parameters) if callable(method) else None
        if found != parameters:
            raise ImproperlyConfigured(
                f"Daphne's WebSocketProtocol.{name} takes {found}, not {parameters}: "
                "config/ws_empty_messages.py needs updating for this Daphne version "
                "(or empty WebSocket messages would be dropped)."
            )
    if not hasattr(WebSocketProtocol, "STATE_CONNECTING"):
        raise ImproperlyConfigured(
            "Daphne's WebSocketProtocol has no STATE_CONNECTING: "
            "config/ws_empty_messages.py needs updating for this Daphne version."
        )


check_daphne()


def _empty_payload(message: dict[str, Any]) -> tuple[str | bytes, bool] | None:
    """``(payload, binary)`` for a ``websocket.send`` of exactly one empty text or bytes."""
    if message.get("type") != "websocket.send":
        return None
    text, data = message.get("text"), message.get("bytes")
    if text == "" and data is None:
        return "", False
    if data is not None and len(data) == 0 and text is None:
        return b"", True
    return None


def _send_empty_messages(protocol: Any) -> None:
    daphne_handle_reply = protocol.handle_reply

    def handle_reply(message: dict[str, Any]) -> None:
        empty = _empty_payload(message)
        # Before the accept, Daphne's own path refuses a send (as it should).
        if empty is None or protocol.state == protocol.STATE_CONNECTING:
            daphne_handle_reply(message)
        else:
            protocol.serverSend(*empty)

    protocol.handle_reply = handle_reply


class WebSocketEmptyMessages:
    """ASGI middleware for the ``websocket`` scope; it needs Daphne's own ``send``, so it goes
    outside any middleware that wraps ``send`` (it passes ``send`` on unchanged)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") == "websocket":
            protocol = daphne_protocol(send)
            if protocol is not None:
                _send_empty_messages(protocol)
        return await self.inner(scope, receive, send)
