"""Daphne's own WebSocket message limit follows SESSION_MAX_MESSAGE_SIZE (config/ws_close_codes.py):
under a real Daphne started with its default --websocket-max-message-size (1 MiB), a message of
SESSION_MAX_MESSAGE_SIZE and its JSON envelope still gets in, and one over the aligned limit is
refused with 1009 (a close code, not a dropped connection)."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from django.conf import settings

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def ws_url(server: str, path: str) -> str:
    return server.replace("http://", "ws://", 1).rstrip("/") + path


async def echo(url: str, message: str) -> str:
    async with websockets.connect(url, max_size=None, open_timeout=10) as ws:
        await ws.send(message)
        reply = await asyncio.wait_for(ws.recv(), 20)
        assert isinstance(reply, str)  # the echo of a text message is text
        return reply


def test_a_message_of_the_configured_size_gets_through_daphne(server: str) -> None:
    assert settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE > settings.SESSION_MAX_MESSAGE_SIZE
    # The largest body a viewer may send, wrapped the way the session socket takes it: over
    # Daphne's default limit of exactly 1 MiB.
    body = "x" * settings.SESSION_MAX_MESSAGE_SIZE
    message = '{"type": "send", "format": "text", "body": "' + body + '"}'
    assert len(message) > 1024 * 1024
    assert asyncio.run(echo(ws_url(server, "/ws/echo/"), message)) == message


def test_a_message_over_the_aligned_limit_is_closed_with_1009(server: str) -> None:
    too_big = "y" * (settings.DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE + 1)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        asyncio.run(echo(ws_url(server, "/ws/echo/"), too_big))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
