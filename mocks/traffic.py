"""WS /ws/projects/{id}/endpoints/{endpoint_id}/mock/: an endpoint's mock traffic, live, for
members (the workspace's Mock tab).

server → client (JSON text frames)
    {"type": "traffic", "connections": [...], "frames": [...]}   once: the recent connections
        (newest first) and the stored frames of the newest one
    {"type": "connection", "connection": {...}}   a connection opened or closed
    {"type": "frames", "frames": [...]}           frames as they are stored (every 0.5 s)
Frames carry ``connection`` and ``seq``; one may arrive twice around the first message (the
socket joins the live group before reading), so clients keep the last of each pair.

Close codes (``core.ws.CloseCode``): 4401 not authenticated, 4404 not a member or no such
endpoint; each after an ``{"type": "error"}`` message (``refuse``). Membership is checked at
the handshake.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.errors import NotFound
from core.ws import CloseCode, refuse
from endpoints.models import Endpoint
from endpoints.projects.access import Action, project_membership
from mocks.recording import connection_data, frame_data, traffic_group
from mocks.selectors import connection_frames, recent_connections


def _traffic(user: Any, project_id: int, endpoint_id: int) -> dict[str, Any] | None:
    try:
        membership = project_membership(user=user, project_id=project_id, action=Action.READ)
    except NotFound:
        return None
    endpoint = Endpoint.objects.filter(project=membership.project, pk=endpoint_id).first()
    if endpoint is None:
        return None
    connections = list(recent_connections(endpoint=endpoint))
    frames = connection_frames(connection=connections[0]) if connections else []
    return {
        "type": "traffic",
        "connections": [connection_data(row) for row in connections],
        "frames": [frame_data(row) for row in frames],
    }


class MockTrafficConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await refuse(
                self,
                CloseCode.NOT_AUTHENTICATED,
                "not_authenticated",
                "Log in, or send a token (Authorization: Bearer).",
            )
            return
        kwargs = self.scope["url_route"]["kwargs"]
        group = traffic_group(int(kwargs["endpoint_id"]))
        # Joined before reading: nothing stored after the read is missed.
        await self.channel_layer.group_add(group, self.channel_name)
        self.group = group
        first = await database_sync_to_async(_traffic)(
            user, int(kwargs["project_id"]), int(kwargs["endpoint_id"])
        )
        if first is None:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.group = None
            await refuse(self, CloseCode.NOT_FOUND, "not_found", "Not found.")
            return
        await self.send_json(first)

    async def mock_frames(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "frames", "frames": message["frames"]})

    async def mock_connection(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "connection", "connection": message["connection"]})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
