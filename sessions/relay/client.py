"""The web side of the relay: send a command to the relay holding a session, wait for its reply,
and publish to a session's viewers. Sync wrappers serve the (sync) REST views."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from core.logs import current_request_id
from sessions.errors import RelayUnavailable
from sessions.relay.protocol import LIVE_LAYER, session_group


async def call(channel: str, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    """Send ``message`` to a relay and wait for its reply; None when none came in ``timeout``."""
    layer = get_channel_layer()
    # The default prefix on purpose: channels_redis lets one receiver at a time pop messages
    # for every process-local channel, but only from its own prefix's list, so a reply on a
    # "reply." channel waits behind any socket consumer of this process blocked on "specific.".
    reply_to = await layer.new_channel()
    await send(channel, {**message, "reply_to": reply_to, "ref": uuid.uuid4().hex})
    try:
        return await asyncio.wait_for(layer.receive(reply_to), timeout)
    except TimeoutError:
        return None


async def send(channel: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    request_id = current_request_id()
    if request_id is not None and "request_id" not in message:
        # The relay logs what it does for this command with the request's id.
        message = {**message, "request_id": request_id}
    try:
        await layer.send(channel, message)
    except ChannelFull:
        raise RelayUnavailable(
            "The relay holding this session is overloaded (its command queue is full); "
            "try again in a moment."
        ) from None


async def publish(messages: list[dict[str, Any]]) -> None:
    """To the sessions' viewers, on the live layer."""
    layer = get_channel_layer(LIVE_LAYER)
    for message in messages:
        await layer.group_send(session_group(message["session"]), message)


def call_sync(channel: str, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
    return async_to_sync(call)(channel, message, timeout)


def send_sync(channel: str, message: dict[str, Any]) -> None:
    async_to_sync(send)(channel, message)


def publish_sync(messages: list[dict[str, Any]]) -> None:
    if messages:
        async_to_sync(publish)(messages)
