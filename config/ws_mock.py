"""Mock sockets (``/mock/...``, the mocks app) take their own way through the ASGI stack: no
login stack (no Origin check, no token: a browser app under development connects from
anywhere), and Daphne's message limit lowered to ``MOCK_MAX_MESSAGE_SIZE`` so a longer message
is closed with 1009 by the protocol layer before it is buffered whole."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from config.ws_backpressure import daphne_protocol

MOCK_PREFIX = "/mock/"


class MockSocketRouter:
    """ASGI middleware: ``/mock/`` WebSockets to ``mock``, everything else to ``other``. It
    needs Daphne's own ``send`` (config/ws_backpressure.py ``daphne_protocol``)."""

    def __init__(self, mock: Any, other: Any) -> None:
        self.mock = mock
        self.other = other

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket" or not scope.get("path", "").startswith(MOCK_PREFIX):
            return await self.other(scope, receive, send)
        protocol = daphne_protocol(send, scope)
        if protocol is not None:
            limit = settings.MOCK_MAX_MESSAGE_SIZE
            protocol.maxMessagePayloadSize = limit
            protocol.maxFramePayloadSize = limit
        return await self.mock(scope, receive, send)
