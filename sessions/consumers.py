"""Live WebSockets of debug sessions: the session stream (replay, then live, and sending) and
the built-in echo server.

Session stream protocol (all messages are JSON text; see README "Debug sessions"):

* server → client ``{"type": "session", "session": {...}}`` once, then
  ``{"type": "events", "state": <state or null>, "events": [...]}`` batches, each event with
  its ``seq``; a batch carries every event after the previous one, none twice. Opened with
  ``acks=events``, a batch that holds the sent entry of this socket's send carries its ack as
  ``"acks": [{"ref", "seq", ...}]`` instead of a separate ``ack`` message.
* client → server ``{"type": "send", "format": "json", "body": "...", "ref": "any"}`` or
  ``{"type": "send", "message_id": 3, "example": "BTC", "ref": ...}`` (either may add
  ``"variables": {...}``, values for this send only); answered by ``{"type": "ack", "ref",
  "seq", "message", "contract", "problems", "warning"?, ...}`` once stored, or
  ``{"type": "error", "ref", "code", "detail"}`` (``contract_violation`` with ``fields`` on a
  strict endpoint).
  ``{"type": "ping"}`` is answered by ``{"type": "pong"}`` (the socket's own keepalive);
  ``upstream_ping``, ``timer_start``, ``timer_stop`` and ``timers`` control the upstream
  connection (``sessions.live_control``) and are answered by an ``ack`` or an ``error``. A send is measured by the size
  its body decodes to: over the limit it is an ``error`` with ``message_too_large``, and the
  socket stays open. Daphne takes a client message of up to
  ``DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE`` (a body of the maximum size however its JSON is
  written); Daphne closes the socket with 1009 on a longer one, before it reaches this code.
* Close codes (``core.ws.CloseCode``): 4400 bad ``after``, 4401 not
  authenticated (at the handshake, or later once the token or login stops working), 4404 no
  such session of yours; each comes after an ``error`` message and with the same detail as
  its close reason (``refuse``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import SynchronousOnlyOperation
from django.utils import timezone

from accounts.ws_auth import credentials_valid
from core import metrics
from core.errors import DomainError, ValidationFailed
from core.query import is_whole_number
from core.ws import CloseCode, refuse
from endpoints.models import MessageFormat
from sessions import selectors, sending, services
from sessions.errors import NotConnected
from sessions.live_control import LIVE_CONTROL_TYPES, live_control_command
from sessions.live_messages import ack_fields, fits, live_chunks
from sessions.models import DebugSession, SessionState
from sessions.relay.protocol import ACKS, LIVE_LAYER, event_data, ref_key, session_group
from sessions.serializers import clean_variables, session_data

logger = logging.getLogger("switchboard.sessions")

REPLAY_PAGE = 500
# Unanswered sends a socket keeps asking about after a lost batch (the oldest are given up).
MAX_UNACKED = 256


class SessionStreamConsumer(AsyncWebsocketConsumer):
    # Redis pub/sub in scaled mode: at most once, so a batch may go missing; the stream
    # notices (a gap in seq, or ``live.resync`` from the layer) and re-reads the log.
    channel_layer_alias = LIVE_LAYER
    session_id = 0
    last_seq = 0
    joined = False
    acks_in_events = False  # ``?acks=events``: a send's ack rides in the events message
    touch_task: asyncio.Task[None] | None = None
    # The session as last read; sends use it without a query until a batch says the state
    # changed (then it is read again), so sending stays off the database on the hot path.
    session: DebugSession | None = None
    # Sends of this socket not answered yet: ref_key(ref) -> the relay's channel. Their acks
    # ride in stored batches; when a batch is lost the stream asks the relay for them again.
    unacked: dict[str, str]

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its hop to a thread (to close stale database connections)
        before every message: every frame and batch would pay a thread round trip, and all
        database work here goes through database_sync_to_async, which closes them itself."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        self.unacked = {}
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await refuse(
                self,
                CloseCode.NOT_AUTHENTICATED,
                "not_authenticated",
                "Log in, or send a token (Authorization: Bearer or ?token=).",
            )
            return
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        raw_after = (query.get("after") or ["0"])[-1]
        if not is_whole_number(raw_after):
            await refuse(
                self,
                CloseCode.BAD_REQUEST,
                "validation_error",
                "after must be a whole number >= 0.",
            )
            return
        snapshot = await database_sync_to_async(self._snapshot)()
        if snapshot is None:
            await refuse(self, CloseCode.NOT_FOUND, "not_found", "No such session of yours.")
            return
        # Subscribe before reading the log: whatever is stored from now on is also published
        # to us, and duplicates are dropped by seq.
        await self.channel_layer.group_add(session_group(self.session_id), self.channel_name)
        self.joined = True
        self.last_seq = int(raw_after)
        self.acks_in_events = (query.get("acks") or [""])[-1] == "events"
        await self.send(text_data=json.dumps({"type": "session", "session": snapshot}))
        await self._replay(before=None)
        self.touch_task = asyncio.get_running_loop().create_task(self._touch_loop())

    def _own_session_marking_lost(self) -> DebugSession:
        """The owner's session, read again; if its relay stopped, it is marked lost first."""
        session = selectors.session_get(user=self.scope["user"], session_id=self.session_id)
        if services.session_mark_lost_if_relay_stopped(session=session):
            session = selectors.session_get(user=self.scope["user"], session_id=self.session_id)
        return session

    def _snapshot(self) -> dict[str, Any] | None:
        try:
            session = self._own_session_marking_lost()
        except DomainError:
            return None
        services.session_touch(session=session)
        self.session = session
        return session_data(session, selectors.session_connection(session=session))

    def _page(self, after: int, before: int | None) -> list[dict[str, Any]]:
        events = selectors.events_between(
            session_id=self.session_id, after=after, before=before, limit=REPLAY_PAGE
        )
        return [event_data(e) for e in events]

    async def _replay(self, before: int | None) -> None:
        """Send stored events after ``last_seq`` (and before ``before``), a page per message."""
        while before is None or self.last_seq + 1 < before:
            events = await database_sync_to_async(self._page)(self.last_seq, before)
            if not events:
                return
            await self._send_events(events, None)
            if len(events) < REPLAY_PAGE:
                return

    async def _send_events(self, events: list[dict[str, Any]], state: str | None) -> None:
        text = json.dumps({"type": "events", "state": state, "events": events}, ensure_ascii=False)
        if fits(text):
            self.last_seq = events[-1]["seq"]
            await self.send(text_data=text)
            return
        chunks = live_chunks(events)
        for index, chunk in enumerate(chunks):
            self.last_seq = chunk[-1]["seq"]
            chunk_state = state if index == len(chunks) - 1 else None
            body = {"type": "events", "state": chunk_state, "events": chunk}
            await self.send(text_data=json.dumps(body, ensure_ascii=False))

    async def session_events(self, message: dict[str, Any]) -> None:
        """A stored batch from the relay: forward it once, in order, without gaps."""
        first, last = message["first"], message["last"]
        # This socket's sends the batch holds: acknowledged like a direct reply, or, for a
        # socket opened with ``acks=events``, inside the events message (one write, not two).
        acks = [ack for channel, ack in message.get("acks") or () if channel == self.channel_name]
        inline = ""
        if acks and self.acks_in_events and first == self.last_seq + 1:
            inline = json.dumps([ack_fields(ack) for ack in acks], ensure_ascii=False)
            if not fits(message["events_json"] + inline):
                inline = ""
        if not inline:
            for ack in acks:
                await self.relay_reply(ack)
        if last <= self.last_seq:
            return
        if first > self.last_seq + 1:
            # A batch went missing (a full channel drops messages): read the gap from the log.
            metrics.LIVE_DROPS.inc()
            await self._replay(before=first)
            await self._ask_for_lost_acks()
        state = message.get("state")
        if state is not None:
            self.session = None
        if first <= self.last_seq:
            events = [e for e in json.loads(message["events_json"]) if e["seq"] > self.last_seq]
            if events:
                await self._send_events(events, state)
            return
        if not fits(message["events_json"]):
            await self._send_events(json.loads(message["events_json"]), state)
            return
        self.last_seq = last
        # The relay encoded the events once for every viewer; only the envelope is added here.
        envelope = f'{{"type": "events", "state": {json.dumps(state)}, "events": '
        if inline:
            for ack in acks:
                self.unacked.pop(ref_key(ack.get("ref")), None)
            envelope = (
                f'{{"type": "events", "state": {json.dumps(state)}, "acks": {inline}, "events": '
            )
        await self.send(text_data=envelope + message["events_json"] + "}")

    async def live_resync(self, message: dict[str, Any]) -> None:
        """Batches for this socket may have been lost (the layer dropped one for a full queue,
        or its Redis subscription was interrupted): re-read the log after ``last_seq``."""
        metrics.LIVE_RESYNCS.inc()
        self.session = None  # a lost batch may have changed the state
        await self._replay(before=None)
        await self._ask_for_lost_acks()

    async def _ask_for_lost_acks(self) -> None:
        """Sends whose ack may have been in a lost batch: ask their relays, which remember
        the latest acks per socket (answered in ``session_acks``). An ack still on its way
        comes as usual; one that was lost comes from the relay; none comes twice."""
        by_relay: dict[str, list[str]] = {}
        for key, relay in self.unacked.items():
            by_relay.setdefault(relay, []).append(key)
        for relay, keys in by_relay.items():
            command = {
                "type": ACKS,
                "session": self.session_id,
                "reply_to": self.channel_name,
                "refs": keys,
            }
            try:
                await self.channel_layer.send(relay, command)
            except Exception:
                logger.warning("Could not ask relay %s for lost acks", relay, exc_info=True)

    async def session_acks(self, message: dict[str, Any]) -> None:
        """The acks a relay still had for sends of this socket (see ``_ask_for_lost_acks``)."""
        # Newest first: a ref used twice stands for its latest send.
        for ack in reversed(message.get("acks") or ()):
            if ref_key(ack.get("ref")) in self.unacked:
                await self.relay_reply(ack)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            await self._error(None, "parse_error", "Send JSON text messages.")
            return
        try:
            message = json.loads(text_data)
            if not isinstance(message, dict):
                raise ValueError
        except (ValueError, RecursionError):  # very deep nesting is a RecursionError
            await self._error(None, "parse_error", "Send a JSON object.")
            return
        kind, ref = message.get("type"), message.get("ref")
        if kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "ref": ref}))
        elif kind == "send":
            await self._send_message(message, ref)
        elif kind in LIVE_CONTROL_TYPES:
            await self._control(message, ref)
        else:
            await self._error(
                ref,
                "parse_error",
                f"Unknown type; use send, ping, {', '.join(sorted(LIVE_CONTROL_TYPES))}.",
            )

    async def _error(self, ref: Any, code: str, detail: str, **extra: Any) -> None:
        body = {"type": "error", "ref": ref, "code": code, "detail": detail, **extra}
        await self.send(text_data=json.dumps(body))

    def _prepare(self, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        fields: dict[str, list[str]] = {}
        fmt, body, message_id = (
            message.get("format"),
            message.get("body"),
            message.get("message_id"),
        )
        if fmt is not None and not isinstance(fmt, str):
            fields["format"] = ["Must be a string."]
        elif fmt is not None and fmt not in MessageFormat.values:
            # Named like the REST answer, which its serializer gives for the same mistake.
            fields["format"] = [f"Use one of {', '.join(MessageFormat.values)}."]
        if body is not None and not isinstance(body, str):
            fields["body"] = ["Must be a string."]
        if message_id is not None and (
            isinstance(message_id, bool) or not isinstance(message_id, int)
        ):
            fields["message_id"] = ["Must be a saved message id."]
        if message_id is None and body is None:
            fields["body"] = ["Give a body (it may be empty) or a message_id."]
        example = message.get("example")
        if example is not None and not isinstance(example, str):
            fields["example"] = ["Must be an example's name."]
        variables: dict[str, str] | None = None
        if message.get("variables") is not None:
            try:
                variables = clean_variables(message["variables"])
            except ValidationFailed as exc:
                fields.update(exc.extra["fields"])
        if fields:
            raise ValidationFailed(fields)
        cached = self.session
        session = cached or self._own_session_marking_lost()
        services.session_touch(session=session)
        prepare = functools.partial(
            sending.message_prepare,
            fmt=fmt,
            body=body,
            message_id=message_id,
            example=example,
            actor=self.scope["user"],
            variables=variables,
        )
        try:
            prepared = prepare(session=session)
        except NotConnected:
            if cached is None:
                raise
            # The connection may have opened before its batch reached this socket.
            session = self._own_session_marking_lost()
            prepared = prepare(session=session)
        self.session = session
        return prepared

    def _prepare_is_pure(self, message: dict[str, Any]) -> bool:
        """True when preparing ``message`` cannot touch the database: an open session as last
        read, a body without ``{{`` (nothing to resolve), no saved message, no touch due."""
        session, body = self.session, message.get("body")
        return (
            session is not None
            and session.state == SessionState.OPEN
            and bool(session.relay_channel)
            and message.get("message_id") is None
            and isinstance(body, str)
            and "{{" not in body
            and timezone.now() - session.last_activity_at < services.TOUCH_RESOLUTION
        )

    async def _send_message(self, message: dict[str, Any], ref: Any) -> None:
        try:
            if self._prepare_is_pure(message):
                # The hot path of a live session: checks and encoding only, on the loop; a
                # thread round trip would cost more than the work.
                try:
                    channel, command = self._prepare(message)
                except SynchronousOnlyOperation:
                    channel, command = await database_sync_to_async(self._prepare)(message)
            else:
                channel, command = await database_sync_to_async(self._prepare)(message)
        except DomainError as exc:
            await self.send(text_data=json.dumps({"type": "error", "ref": ref, **exc.body()}))
            return
        # ack_in_events: the ack comes inside the stored batch (one layer message, not two).
        command.update(reply_to=self.channel_name, ref=ref, ack_in_events=True)
        try:
            # The pub/sub layer says how many relays got it: none means the relay is gone
            # (or reconnecting to Redis), and no answer would ever come.
            delivered = await self.channel_layer.send(channel, command)
        except ChannelFull:
            await self._error(ref, "relay_unavailable", "The relay is overloaded; try again.")
            return
        if delivered == 0:
            self.session = None
            await self._error(
                ref, "relay_unavailable", "The relay holding this session is not reachable."
            )
            return
        if ref is None:
            return  # nothing to tell its ack from another's: not asked for again
        self.unacked[ref_key(ref)] = channel
        if len(self.unacked) > MAX_UNACKED:
            del self.unacked[next(iter(self.unacked))]  # the oldest: given up on

    def _control_command(self, message: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        session = self._own_session_marking_lost()
        services.session_touch(session=session)
        return live_control_command(session=session, actor=self.scope["user"], message=message)

    async def _control(self, message: dict[str, Any], ref: Any) -> None:
        """A ping, or a timer started, stopped or listed (sessions.live_control)."""
        try:
            channel, command = await database_sync_to_async(self._control_command)(message)
        except DomainError as exc:
            await self.send(text_data=json.dumps({"type": "error", "ref": ref, **exc.body()}))
            return
        command.update(reply_to=self.channel_name, ref=ref, ack_in_events=True)
        try:
            await self.channel_layer.send(channel, command)
        except ChannelFull:
            await self._error(ref, "relay_unavailable", "The relay is overloaded; try again.")

    async def relay_reply(self, message: dict[str, Any]) -> None:
        """The relay's answer to a send from this socket."""
        self.unacked.pop(ref_key(message.get("ref")), None)
        fields = ack_fields(message)
        if message.get("ok"):
            await self.send(text_data=json.dumps({"type": "ack", **fields}))
        else:
            await self.send(text_data=json.dumps({"type": "error", **fields}))

    async def _touch_loop(self) -> None:
        """A watching viewer keeps the session from idling out, as long as its credentials
        still work (checked on the same beat: at most a minute apart)."""
        interval = max(1.0, min(60.0, settings.SESSION_IDLE_TIMEOUT / 4))
        while True:
            await asyncio.sleep(interval)
            try:
                allowed = await database_sync_to_async(self._touch)()
            except Exception:
                logger.warning("Could not record viewer activity", exc_info=True)
                allowed = True  # the database is down: say so on the next beat, not 4401
            if not allowed:
                self.touch_task = None  # disconnect() runs from here; nothing to cancel
                await refuse(
                    self,
                    CloseCode.NOT_AUTHENTICATED,
                    "not_authenticated",
                    "Your token or login no longer works; log in again.",
                )
                return
            try:
                # Joined again: a Redis restart forgets every group, and this socket would
                # wait for batches that no longer reach it (a gap is re-read from the log).
                await self.channel_layer.group_add(
                    session_group(self.session_id), self.channel_name
                )
            except Exception:
                logger.warning("Could not renew the live subscription", exc_info=True)

    def _touch(self) -> bool:
        """Record viewer activity; False (and nothing recorded) once the token was revoked or
        expired, the login session ended or the user was deactivated."""
        if not credentials_valid(self.scope):
            return False
        for session in DebugSession.objects.filter(pk=self.session_id):  # none once deleted
            services.session_touch(session=session)
        return True

    async def disconnect(self, code: int) -> None:
        if self.touch_task is not None:
            self.touch_task.cancel()
        if self.joined:
            await self.channel_layer.group_discard(
                session_group(self.session_id), self.channel_name
            )


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends every message back as it came (text as text, binary as binary, empty ones too:
    config/ws_empty_messages.py); no login needed."""

    async def connect(self) -> None:
        offered = self.scope.get("subprotocols") or []
        await self.accept(subprotocol=offered[0] if offered else None)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            await self.send(text_data=text_data)
        elif bytes_data is not None:
            await self.send(bytes_data=bytes_data)
