"""WS /ws/projects/{id}/: a project's live events (stored replay, then live) and presence.

Protocol (JSON text frames; see docs/collaboration.md "Live project events"):

server → client
    {"type": "events", "events": [{"seq", "kind", "at", "actor", ...}], "replay": bool}
    {"type": "ready", "last_seq": N, "you": {...}, "role": "editor"}   once, after any replay
    {"type": "presence", "members": [{"user": {...}, "endpoints": [ids]}]}
    {"type": "own_events", "events": [{"kind", "at", "actor", ...}]}   only to the member they
        belong to (their current values); not numbered, not stored, never replayed
    {"type": "pong"} / {"type": "error", "code": ..., "detail": ...}
client → server
    {"type": "open", "endpoint": id}   this tab now shows endpoint ``id`` (null: none)
    {"type": "close"}                  this tab shows no endpoint
    {"type": "ping"}

Close codes (``core.ws.CloseCode``): 4401 not authenticated, 4404 not a member
(or no longer one, or the project was deleted), 4400 bad ``after``; each comes after an
``{"type": "error"}`` message and with the same detail as its close reason (``refuse``). Sequence numbers are contiguous per project; the consumer never
sends one twice or skips one, filling any gap from storage.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.ws_auth import credentials_valid
from core.errors import NotFound
from core.people import user_brief
from core.query import is_whole_number
from core.ws import CloseCode, refuse
from endpoints.activity import presence
from endpoints.activity.events import member_group, project_group
from endpoints.activity.selectors import project_events, project_last_seq
from endpoints.projects.access import Action, project_membership

REPLAY_CHUNK = 200
# Bursts of presence changes (a team opening the project) become one refresh per socket.
PRESENCE_COALESCE_SECONDS = 0.05


def _role_of(user: Any, project_id: int) -> str | None:
    """The member's role, or None when not a member: the API's one membership lookup. (A
    deactivated account is caught before it: by the socket's authentication at the handshake,
    then by ``credentials_valid`` on each heartbeat.)"""
    try:
        return project_membership(user=user, project_id=project_id, action=Action.READ).role
    except NotFound:
        return None


class ProjectConsumer(AsyncJsonWebsocketConsumer):
    project_id: int | None = None
    last_seq = 0
    open_endpoint: int | None = None

    async def connect(self) -> None:
        self.closed = False
        # Live events and the heartbeat's catch-up both advance last_seq; one at a time.
        self.sending = asyncio.Lock()
        self.background: set[asyncio.Task[Any]] = set()
        self.presence_pending = False
        self.last_presence: list[dict[str, Any]] | None = None
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.accept()
            await self._refuse_unauthenticated("Log in, or send a token (Authorization: Bearer).")
            return
        try:
            project_id = int(self.scope["url_route"]["kwargs"]["project_id"])
        except (KeyError, TypeError, ValueError):
            project_id = 0
        role = await database_sync_to_async(_role_of)(user, project_id)
        if role is None:
            await self.accept()
            await self._refuse_not_member()
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw_after = (query.get("after") or [None])[-1]
        if raw_after is not None and not is_whole_number(raw_after):
            await self.accept()
            await refuse(
                self, CloseCode.BAD_REQUEST, "validation_error", "after must be 0 or more."
            )
            return

        self.user = user
        self.project_id = project_id
        self.group = project_group(project_id)
        self.own_group = member_group(project_id, user.pk)
        # Join the group before reading the last sequence number: whatever commits after that
        # read arrives live, whatever committed before is replayed, overlaps are dropped by seq.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.own_group, self.channel_name)
        await self.accept()
        current = await database_sync_to_async(project_last_seq)(project_id=project_id)
        if current is None:
            await self._refuse_not_member()
            return
        async with self.sending:
            if raw_after is None:
                self.last_seq = current
            else:
                # A cursor from the future (e.g. a restored database) restarts from now.
                self.last_seq = min(int(raw_after), current)
                await self._send_stored(upto=current, replay=True)
        await database_sync_to_async(presence.presence_join)(
            channel_name=self.channel_name, project_id=project_id, user_id=user.pk
        )
        await self.send_json(
            {"type": "ready", "last_seq": self.last_seq, "you": user_brief(user), "role": role}
        )
        await self._announce_presence()
        self._spawn(self._heartbeat())

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closed = True
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        for task in list(getattr(self, "background", ())):
            task.cancel()
        if self.project_id is None:
            return
        await self.channel_layer.group_discard(self.group, self.channel_name)
        await self.channel_layer.group_discard(self.own_group, self.channel_name)
        await database_sync_to_async(presence.presence_leave)(channel_name=self.channel_name)
        await self._announce_presence()

    # --- client messages --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data if text_data is not None else bytes_data or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):  # deep nesting: RecursionError
            await self._error("parse_error", "Send JSON text messages.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.project_id is None or self.closed:
            return
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            await self.send_json({"type": "pong", "last_seq": self.last_seq})
        elif kind in {"open", "close"}:
            endpoint_id = content.get("endpoint") if kind == "open" else None
            if endpoint_id is not None and (
                isinstance(endpoint_id, bool) or not isinstance(endpoint_id, int)
            ):
                await self._error("validation_error", "endpoint must be an endpoint id or null.")
                return
            found = await database_sync_to_async(presence.presence_open)(
                channel_name=self.channel_name,
                project_id=self.project_id,
                endpoint_id=endpoint_id,
            )
            if not found:
                await self._error("not_found", f"No endpoint {endpoint_id} in this project.")
                return
            self.open_endpoint = endpoint_id
            await self._announce_presence()
        else:
            await self._error("unknown_type", "Use type open, close or ping.")

    async def _refuse_unauthenticated(self, detail: str) -> None:
        await refuse(self, CloseCode.NOT_AUTHENTICATED, "not_authenticated", detail)

    async def _refuse_not_member(
        self, detail: str = "No such project, or you are not a member of it."
    ) -> None:
        await refuse(self, CloseCode.NOT_FOUND, "not_found", detail)

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    # --- channel-layer messages -------------------------------------------------------------

    async def project_events(self, message: dict[str, Any]) -> None:
        async with self.sending:
            events = [event for event in message["events"] if event["seq"] > self.last_seq]
            if not events or self.closed:
                return
            if events[0]["seq"] > self.last_seq + 1:
                # This message overtook an earlier one (another process sent it) or one was
                # lost: what lies between is committed, so storage has it.
                await self._send_stored(upto=events[0]["seq"] - 1, replay=False)
                events = [event for event in events if event["seq"] > self.last_seq]
            for index, event in enumerate(events):
                if event["kind"] == "member.left" and event["member"]["user"]["id"] == self.user.pk:
                    await self._send_events(events[:index], replay=False)
                    await self._refuse_not_member()
                    return
            await self._send_events(events, replay=False)

    async def project_member_events(self, message: dict[str, Any]) -> None:
        if not self.closed:
            await self.send_json({"type": "own_events", "events": message["events"]})

    async def project_gone(self, message: dict[str, Any]) -> None:
        await self._refuse_not_member("The project was deleted.")

    async def presence_changed(self, message: dict[str, Any]) -> None:
        if self.presence_pending or self.closed:
            return
        self.presence_pending = True
        self._spawn(self._refresh_presence_soon())

    # --- helpers ----------------------------------------------------------------------------

    async def _send_events(self, events: list[dict[str, Any]], *, replay: bool) -> None:
        if events and not self.closed:
            await self.send_json({"type": "events", "events": events, "replay": replay})
            self.last_seq = events[-1]["seq"]

    async def _send_stored(self, *, upto: int, replay: bool) -> None:
        """Send stored events after ``last_seq`` up to ``upto``, in chunks (hold ``sending``)."""
        while self.last_seq < upto:
            chunk = await database_sync_to_async(project_events)(
                project_id=self.project_id, after=self.last_seq, upto=upto, limit=REPLAY_CHUNK
            )
            if not chunk:
                break
            await self._send_events(chunk, replay=replay)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.ensure_future(coroutine)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _announce_presence(self) -> None:
        await self.channel_layer.group_send(self.group, {"type": "presence.changed"})

    async def _refresh_presence_soon(self) -> None:
        await asyncio.sleep(PRESENCE_COALESCE_SECONDS)
        self.presence_pending = False
        await self._refresh_presence()

    async def _refresh_presence(self) -> None:
        members = await database_sync_to_async(presence.presence_list)(project_id=self.project_id)
        if members != self.last_presence and not self.closed:
            self.last_presence = members
            await self.send_json({"type": "presence", "members": members})

    async def _heartbeat(self) -> None:
        """Keep this socket's presence alive; re-check credentials and membership; heal missed
        events."""
        while not self.closed:
            await asyncio.sleep(presence.HEARTBEAT_SECONDS)
            if not await database_sync_to_async(credentials_valid)(self.scope):
                await self._refuse_unauthenticated(
                    "Your token or login no longer works; log in again."
                )
                return
            role = await database_sync_to_async(_role_of)(self.user, self.project_id)
            if role is None:
                await self._refuse_not_member()
                return
            await database_sync_to_async(presence.presence_touch)(
                channel_name=self.channel_name,
                project_id=self.project_id,
                user_id=self.user.pk,
                endpoint_id=self.open_endpoint,
            )
            current = await database_sync_to_async(project_last_seq)(project_id=self.project_id)
            if current is None:
                await self._refuse_not_member("The project was deleted.")
                return
            async with self.sending:
                await self._send_stored(upto=current, replay=False)
            await self._refresh_presence()
