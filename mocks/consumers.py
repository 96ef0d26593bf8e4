"""WS /mock/<key>/<endpoint path>: an endpoint served from its documented messages.

No login and any Origin: clients are apps under development. The key (and, when set, a header
token) is the only gate. A refused handshake is an HTTP response (404 for a key that is unknown,
rotated or switched off, whichever; 403 without the header token; 429 over the project's
connection limit; the endpoint's configured status and body when the client lacks what the
endpoint documents). See docs/mock.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.http.cookie import parse_cookie
from django.utils import timezone

from core.socketio.handshake import SocketIOVersion
from mocks.engine.handshake import HandshakeRequest, check_handshake
from mocks.engine.machine import Close, MockMachine, Send
from mocks.engine.sio import SocketIOMock, Start
from mocks.recorder import Closed, recorder
from mocks.recording import FrameRecord, connection_opened, traffic_group
from mocks.selectors import MockTarget, mock_target

logger = logging.getLogger("switchboard.mocks")

# Open mock connections per project in this process (MOCK_MAX_CONNECTIONS_PER_PROJECT).
_OPEN: Counter[int] = Counter()
KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009


def _json_body(code: str, detail: str, **extra: Any) -> bytes:
    return json.dumps({"code": code, "detail": detail, **extra}).encode()


def handshake_request(scope: dict[str, Any]) -> HandshakeRequest:
    headers: dict[str, list[str]] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    cookies: dict[str, str] = {}
    for header in headers.get("cookie", []):
        cookies.update(parse_cookie(header))
    params = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return HandshakeRequest(params, headers, cookies, list(scope.get("subprotocols") or []))


class MockConsumer(AsyncWebsocketConsumer):
    # A mock socket listens on no channel: nothing is ever sent to one from elsewhere.
    channel_layer_alias = "mock sockets use no channel layer"

    target: MockTarget | None = None
    machine: MockMachine | None = None
    sio: SocketIOMock | None = None  # a Socket.IO endpoint's mock
    connection_id: int | None = None

    async def connect(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.seq = 0
        self.counted = False
        self.close_sent: tuple[int, str] | None = None
        kwargs = self.scope["url_route"]["kwargs"]
        key = kwargs.get("key") or ""
        target = (
            await database_sync_to_async(mock_target)(key=key, path=kwargs.get("path") or "")
            if KEY.fullmatch(key)
            else None
        )
        if target is None:
            await self.deny(404, _json_body("not_found", "No mock here."))
            return
        request = handshake_request(self.scope)
        version = target.socketio_version
        if version is not None and request.params.get("EIO") != [str(int(version.engine))]:
            # What a Socket.IO server of the other version answers: 400, before any session.
            detail = f"This mock speaks Socket.IO {version.value} (EIO={int(version.engine)})."
            await self.deny(400, _json_body("socketio_version", detail))
            return
        if target.header_name:
            sent = request.headers.get(target.header_name.lower(), [])
            if not any(hmac.compare_digest(v.encode(), target.header_value.encode()) for v in sent):
                detail = f"Send the {target.header_name} header."
                await self.refuse_recorded(target, 403, _json_body("permission_denied", detail))
                return
        subprotocol = None
        handshake = target.spec["handshake"]
        if handshake["check"]:
            verdict = check_handshake(target.handshake, request, target.values)
            if verdict.problems:
                body = handshake["body"].encode() or _json_body(
                    "handshake_refused",
                    "The handshake lacks what the endpoint documents.",
                    problems=verdict.problems,
                )
                why = "; ".join(verdict.problems)
                await self.refuse_recorded(target, handshake["status"], body, why)
                return
            subprotocol = verdict.subprotocol
        if _OPEN[target.project_id] >= settings.MOCK_MAX_CONNECTIONS_PER_PROJECT:
            detail = "Too many mock connections."
            await self.refuse_recorded(target, 429, _json_body("too_many_connections", detail))
            return
        _OPEN[target.project_id] += 1
        self.counted = True
        self.target = target
        self.machine = MockMachine(target.spec, target.messages, target.schemas, target.values)
        if version is not None:
            self.sio = SocketIOMock(
                self.machine,
                version,
                namespace=target.socketio["namespace"],
                auth=target.socketio["auth"],
                check_auth=handshake["check"],
                prefix=f"/mock/{key}{target.path}",
                ping_interval=settings.MOCK_SOCKETIO_PING_INTERVAL,
                ping_timeout=settings.MOCK_SOCKETIO_PING_TIMEOUT,
                max_payload=settings.MOCK_MAX_MESSAGE_SIZE,
            )
            self.pong = asyncio.Event()
        self.tokens = 2 * settings.MOCK_RATE_LIMIT
        self.refilled = time.monotonic()
        opened = await database_sync_to_async(connection_opened)(
            endpoint_id=target.endpoint_id, client=self.client_address()
        )
        self.connection_id = opened["id"]
        await self.announce(opened)
        await self.accept(subprotocol=subprotocol)
        if self.sio is not None:
            # Pushes start when the endpoint's namespace connects (a Start action).
            self.spawn(self.heartbeat())
            await self.perform(self.sio.opening())
        else:
            await self.perform(self.machine.opening())
            self.start_pushes()
        seconds = self.machine.close_after_seconds
        if seconds is not None:
            self.spawn(self.close_later(seconds))

    def start_pushes(self) -> None:
        assert self.machine is not None
        for index, push in enumerate(self.machine.pushes):
            self.spawn(self.pushing(index, push["interval_ms"], push["times"]))

    def client_address(self) -> str:
        client = self.scope.get("client") or ("", "")
        return f"{client[0]}:{client[1]}"

    async def refuse_recorded(
        self, target: MockTarget, status: int, body: bytes, why: str = ""
    ) -> None:
        """Refuse the handshake, and show it in the endpoint's traffic (members see why a
        client under development was turned away)."""
        await self.deny(status, body)
        refused = f"refused with {status}" + (f": {why}" if why else f": {body.decode()[:150]}")
        record = await database_sync_to_async(connection_opened)(
            endpoint_id=target.endpoint_id, client=self.client_address(), refused=refused
        )
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(
                traffic_group(target.endpoint_id), {"type": "mock.connection", "connection": record}
            )

    async def deny(self, status: int, body: bytes) -> None:
        """Refuse the handshake with an HTTP response (the ASGI WebSocket Denial Response, which
        config/ws_denial.py gives Daphne); where the server has no such thing, a plain 403."""
        if "websocket.http.response" not in (self.scope.get("extensions") or {}):
            await self.close()
            return
        kind = b"application/json" if body[:1] in (b"{", b"[") else b"text/plain; charset=utf-8"
        await self.send_message(
            {
                "type": "websocket.http.response.start",
                "status": status,
                "headers": [(b"content-type", kind)],
            }
        )
        await self.send_message({"type": "websocket.http.response.body", "body": body})

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.base_send(message)

    # --- traffic ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.machine is None or self.close_sent is not None:
            return
        size = (
            len(text_data.encode("utf-8", "surrogatepass"))
            if text_data is not None
            else len(bytes_data or b"")
        )
        data: str | bytes = text_data if text_data is not None else (bytes_data or b"")
        if size > settings.MOCK_MAX_MESSAGE_SIZE:
            self.record("in", data, "", "too big")
            await self.finish(MESSAGE_TOO_BIG, "message too big")
            return
        if not self.take_token():
            self.record("in", data, "", "over the rate limit")
            await self.finish(POLICY_VIOLATION, "rate limit exceeded")
            return
        if self.sio is not None:
            heard = self.sio.receive(text_data, bytes_data)
            if heard.note == "pong":
                self.pong.set()
            self.record("in", data, heard.message, heard.note, heard.event)
            await self.perform(heard.actions)
            return
        got = self.machine.receive(text_data, bytes_data)
        self.record("in", data, got.message, got.note)
        await self.perform(got.actions)

    def take_token(self) -> bool:
        now = time.monotonic()
        rate = settings.MOCK_RATE_LIMIT
        self.tokens = min(2 * rate, self.tokens + (now - self.refilled) * rate)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def perform(self, actions: Sequence[Send | Close | Start]) -> None:
        for action in actions:
            if isinstance(action, Start):
                self.start_pushes()
                continue
            if isinstance(action, Close):
                await self.finish(action.code, action.reason)
                return
            if action.delay_ms > 0:
                self.spawn(self.send_later(action))
            else:
                await self.emit(action)

    async def emit(self, action: Send) -> None:
        if self.close_sent is not None:
            return
        self.record("out", action.data, action.message, action.note, action.event)
        if action.note == "dropped":
            return
        if isinstance(action.data, bytes):
            await self.send(bytes_data=action.data)
        else:
            await self.send(text_data=action.data)

    async def send_later(self, action: Send) -> None:
        await asyncio.sleep(action.delay_ms / 1000)
        await self.emit(action)

    async def pushing(self, index: int, interval_ms: int, times: int | None) -> None:
        assert self.machine is not None
        interval = interval_ms / 1000
        start = time.monotonic()
        count = 0
        while times is None or count < times:
            count += 1
            # Scheduled from the start, so pushes do not drift later with each one.
            await asyncio.sleep(max(0.0, start + count * interval - time.monotonic()))
            if self.sio is not None:
                for frame in self.sio.push(index, count):
                    await self.emit(frame)
            else:
                await self.emit(self.machine.push(index, count))

    async def close_later(self, seconds: float) -> None:
        assert self.machine is not None
        await asyncio.sleep(seconds)
        close = self.machine.timed_close()
        if self.sio is not None:
            await self.perform(self.sio.closing(close))
            return
        await self.finish(close.code, close.reason)

    async def heartbeat(self) -> None:
        """Socket.IO's heartbeat: v4 pings and waits for the pong; v2 waits for the client's
        pings. A connection whose heartbeat stops is closed, as a Socket.IO server does."""
        sio = self.sio
        assert sio is not None
        interval, timeout = sio.server.ping_interval, sio.server.ping_timeout
        while self.close_sent is None:
            if sio.server.version is SocketIOVersion.V4:
                await asyncio.sleep(interval)
                self.pong.clear()
                for frame in sio.ping():
                    await self.emit(frame)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.pong.wait(), timeout)
            else:
                await asyncio.sleep(interval + timeout)
            if sio.missed_heartbeat():
                await self.finish(1000, "ping timeout")
                return

    async def finish(self, code: int, reason: str) -> None:
        if self.close_sent is not None:
            return
        self.close_sent = (code, reason)
        await self.close(code=code, reason=reason)

    def record(
        self, direction: str, data: str | bytes, message: str, note: str, event: str = ""
    ) -> None:
        if self.target is None or self.connection_id is None:
            return
        self.seq += 1
        if self.seq > settings.MOCK_LOG_FRAMES:
            return  # counted (frame_count), not stored
        recorder().add(
            self.target.endpoint_id,
            self.connection_id,
            FrameRecord(self.seq, direction, data, message, note, timezone.now(), event),
        )

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def disconnect(self, code: int) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.counted and self.target is not None:
            _OPEN[self.target.project_id] -= 1
            if _OPEN[self.target.project_id] <= 0:
                del _OPEN[self.target.project_id]
            self.counted = False
        if self.connection_id is not None and self.target is not None:
            close_code, reason = self.close_sent or (code, "")
            recorder().close(
                self.target.endpoint_id, self.connection_id, Closed(close_code, reason, self.seq)
            )

    async def announce(self, connection: dict[str, Any]) -> None:
        """Tell the members watching the endpoint (mocks/traffic.py)."""
        layer = get_channel_layer()
        if layer is not None and self.target is not None:
            await layer.group_send(
                traffic_group(self.target.endpoint_id),
                {"type": "mock.connection", "connection": connection},
            )
