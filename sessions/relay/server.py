"""The relay process part: receives commands on its own channel, holds upstream connections,
stores their log through one batch writer, publishes stored batches, keeps a heartbeat, and
marks the sessions of relays that stopped beating as lost.

The same class runs inside the web server (embedded mode) and in ``manage.py relay_worker``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connections as db_connections

from core import metrics
from core.logs import command_log_context
from sessions.contracts import compiled, contract_data, contract_stamps
from sessions.models import ClosedBy, FailureKind
from sessions.relay import reaper, store
from sessions.relay.connect import CLOSE_TIMEOUT, Failure
from sessions.relay.egress import EgressPolicy, Resolver
from sessions.relay.inline_store import InlineSqlite
from sessions.relay.live_layer import RESYNC
from sessions.relay.loop_pg import LoopPostgres
from sessions.relay.protocol import (
    ACKS,
    ACKS_FOUND,
    CONNECT,
    DISCONNECT,
    EMIT,
    LIVE_LAYER,
    PING,
    SEND,
    TIMER,
    reply,
)
from sessions.relay.publishing import EventsAck, Publisher
from sessions.relay.store import Record, SessionLog
from sessions.relay.upstream import UpstreamConnection
from sessions.relay.writer import Writer

logger = logging.getLogger("switchboard.relay")

# Records waiting for the writer; beyond this, upstream readers pause (TCP backpressure).
MAX_PENDING_RECORDS = 50_000
SHUTDOWN_REASON = "Switchboard relay shutting down"


# Commands other apps add to the relay (scenario runs), by message type: a coroutine function
# of the relay and the message. Registered by the app's AppConfig.ready(), so the relay
# imports no app that builds on it.
EXTRA_COMMANDS: dict[str, Callable[[Relay, dict[str, Any]], Coroutine[Any, Any, None]]] = {}


class Relay:
    def __init__(
        self,
        *,
        mode: str,
        layer: BaseChannelLayer | None = None,
        live: BaseChannelLayer | None = None,
        resolver: Resolver | None = None,
        capacity: int | None = None,
    ) -> None:
        self.mode = mode
        self.layer = layer if layer is not None else get_channel_layer()
        # Viewer sockets' traffic: their sends come in on it (to this relay's channel name),
        # stored batches and their acks go out on it.
        self.live = live if live is not None else get_channel_layer(LIVE_LAYER) or self.layer
        self.resolver = resolver
        self._policy: tuple[tuple[Any, ...], EgressPolicy] | None = None
        self.capacity = capacity or settings.RELAY_MAX_CONNECTIONS
        self.connections: dict[int, UpstreamConnection] = {}
        self.logs: dict[int, SessionLog] = {}
        self.pk: int = 0
        self.channel_name = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping = False
        self.control = ThreadPoolExecutor(1, thread_name_prefix="relay-control")
        self.publisher = Publisher(self)
        self.writer = Writer(
            relay_pk=lambda: self.pk,
            after_store=self.publisher.after_store,
            max_pending=MAX_PENDING_RECORDS,
            inline=InlineSqlite.for_default_database(),
            on_loop=LoopPostgres.for_default_database(),
        )
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[Any]] = []
        self._writer_task: asyncio.Task[None] | None = None
        self._shutdown: asyncio.Task[None] | None = None

    @property
    def policy(self) -> EgressPolicy:
        """The egress policy of the current settings (parsed again only when they change)."""
        key = (tuple(settings.UPSTREAM_ALLOW_CIDRS), tuple(settings.UPSTREAM_DENY_CIDRS))
        if self._policy is None or self._policy[0] != key:
            self._policy = (key, EgressPolicy.from_settings())
        return self._policy[1]

    @property
    def name(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()} ({self.mode})"

    async def db(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        call = functools.partial(store.run_db, function, *args, **kwargs)
        return await loop.run_in_executor(self.control, call)

    def enqueue(self, record: Record) -> Awaitable[None]:
        """Hand ``record`` to the batch writer; waits while too many records are pending."""
        return self.writer.put(record)

    def enqueue_nowait(self, record: Record) -> None:
        """Hand ``record`` to the batch writer at once (control frames; a sent frame, which
        then waits with ``writer_room`` once it is written)."""
        self.writer.put_nowait(record)

    def writer_room(self) -> Awaitable[None]:
        """Wait while too many records are pending."""
        return self.writer.room()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        self.policy  # noqa: B018 - a bad CIDR in the settings stops the relay here, named
        self.loop = asyncio.get_running_loop()
        self.channel_name = await self.layer.new_channel("relay.")
        self._loops = [self.loop.create_task(self._receive_loop(self.layer))]
        if self.live is not self.layer:
            # Viewers' sends come to the same channel name on the live layer. It subscribes on
            # its first receive, long before a viewer can send: a session names this relay
            # only once a connect came through the default layer.
            self._loops.append(self.loop.create_task(self._receive_loop(self.live)))
        await self._register()
        self._writer_task = self.loop.create_task(self.writer.run())
        self._loops.append(self.loop.create_task(self._heartbeat_loop()))
        logger.info("Relay %s started on channel %s", self.name, self.channel_name)

    async def _register(self) -> None:
        self.pk = await self.db(
            store.relay_register,
            channel_name=self.channel_name,
            host=socket.gethostname(),
            pid=os.getpid(),
            mode=self.mode,
            capacity=self.capacity,
        )

    def shutdown(self) -> asyncio.Task[None]:
        """Close every upstream with 1001, record it, and leave the registry (idempotent)."""
        if self._shutdown is None:
            self._shutdown = asyncio.get_running_loop().create_task(self._stop())
        return self._shutdown

    async def _stop(self) -> None:
        self.stopping = True
        for task in self._loops:
            task.cancel()
        connections = list(self.connections.values())
        if connections:
            logger.info("Relay %s closing %d upstream connections", self.name, len(connections))
            closers = [
                self.spawn(c.close(by=ClosedBy.RELAY, code=1001, reason=SHUTDOWN_REASON))
                for c in connections
            ]
            await asyncio.wait(closers, timeout=CLOSE_TIMEOUT + 1)
            readers = [c.task for c in connections if c.task is not None]
            if readers:
                await asyncio.wait(readers, timeout=2)
            for c in connections:
                if not c.ended:
                    c.abort()
        await self.writer.drain(timeout=10)
        if self._writer_task is not None:
            self.writer.stopping = True
            self._writer_task.cancel()
        try:
            await self.db(store.relay_unregister, self.pk)
        except Exception:
            logger.exception("Relay %s could not remove itself from the registry", self.name)
        loop = asyncio.get_running_loop()
        for executor in (self.control, self.writer.executor):
            # Each thread keeps its own database connection; leave nothing open behind.
            await loop.run_in_executor(executor, db_connections.close_all)
            executor.shutdown(wait=False)
        if self.writer.inline is not None:
            self.writer.inline.close()
        if self.writer.on_loop is not None:
            await self.writer.on_loop.close()
        logger.info("Relay %s stopped", self.name)

    # --- commands -----------------------------------------------------------------------

    async def _receive_loop(self, layer: BaseChannelLayer) -> None:
        while True:
            try:
                message = await layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Relay %s could not read its channel", self.name)
                await asyncio.sleep(0.5)
                continue
            kind = message.get("type")
            # Tasks copy the context they start in: their log lines name the command's request
            # (the web process's X-Request-ID) and session.
            with command_log_context(message):
                if kind == SEND:
                    self.spawn(self._on_send(message))
                elif kind == CONNECT:
                    self.spawn(self._on_connect(message))
                elif kind == DISCONNECT:
                    self.spawn(self._on_disconnect(message))
                elif kind in (PING, TIMER, EMIT):
                    self.spawn(self._on_control(message))
                elif kind == ACKS:
                    self.spawn(self._on_acks(message))
                elif kind == RESYNC:
                    pass  # commands are not re-read; a sender whose command was lost is not acked
                elif kind in EXTRA_COMMANDS:
                    self.spawn(EXTRA_COMMANDS[kind](self, message))
                else:
                    logger.warning("Relay %s ignored a %r message", self.name, kind)

    def layer_of(self, channel: str) -> BaseChannelLayer:
        """Where ``channel`` listens: a viewer socket on the live layer, a REST call on the
        default one."""
        return self.live if isinstance(channel, EventsAck) else self.layer

    async def reply(self, channel: str | None, message: dict[str, Any]) -> None:
        if not channel:
            return
        try:
            await self.layer_of(channel).send(channel, message)
        except Exception:
            logger.warning("Relay %s could not reply on %s", self.name, channel, exc_info=True)

    async def _on_connect(self, message: dict[str, Any]) -> None:
        session_id = int(message["session"])
        reply_to, ref = message.get("reply_to"), message.get("ref")
        logger.info(
            "Relay %s connecting session %s (connection %s)",
            self.name,
            session_id,
            message.get("connection"),
        )
        existing = self.connections.get(session_id)
        if existing is not None and not existing.ended:
            await self.reply(
                reply_to,
                reply(ref, False, code="already_connected", detail="Already connected."),
            )
            return
        connection = UpstreamConnection(
            relay=self,
            session_id=session_id,
            number=int(message["connection"]),
            request=message["request"],
            log=SessionLog(session_id, 0),
            connect_reply=(reply_to, ref) if reply_to else None,
        )
        # Taken before any await, so a second connect cannot slip in while the log loads.
        self.connections[session_id] = connection
        metrics.RELAY_CONNECTIONS.inc()
        log = self.logs.get(session_id)
        if log is None:
            last_seq = await self.db(store.session_last_seq, session_id)
            log = self.logs.setdefault(session_id, SessionLog(session_id, last_seq))
        connection.log = log
        if self.stopping or len(self.connections) > self.capacity:
            detail = (
                SHUTDOWN_REASON
                if self.stopping
                else f"This relay already holds its maximum of {self.capacity} connections "
                "(RELAY_MAX_CONNECTIONS); try again later."
            )
            connection.ended = True
            self.connection_ended(connection)
            await connection.fail(Failure(FailureKind.RELAY, detail), {})
            return
        connection.task = self.spawn(connection.run())

    async def _on_send(self, message: dict[str, Any]) -> None:
        reply_to = message.get("reply_to", "")
        if reply_to and message.get("ack_in_events"):
            reply_to = EventsAck(reply_to)
        connection = self.connections.get(int(message["session"]))
        if connection is None or connection.number != message.get("connection"):
            await self.reply(
                reply_to,
                reply(
                    message.get("ref"),
                    False,
                    code="not_connected",
                    detail="The connection is not open.",
                ),
            )
            return
        await connection.send(
            message["opcode"],
            message["payload"],
            reply_to,
            message.get("ref"),
            message.get("masked"),
            message.get("verdict"),
            "verdict" in message,
        )

    async def _on_control(self, message: dict[str, Any]) -> None:
        """A ping to send, a timer to start, stop or list, or a Socket.IO emit, on the
        session's connection."""
        reply_to = message.get("reply_to", "")
        if reply_to and message.get("ack_in_events"):
            reply_to = EventsAck(reply_to)
        ref = message.get("ref")
        connection = self.connections.get(int(message["session"]))
        if connection is None or connection.number != message.get("connection"):
            if message.get("type") == TIMER and message.get("action") == "list":
                await self.reply(reply_to, reply(ref, True, timers=[]))
                return
            await self.reply(
                reply_to,
                reply(ref, False, code="not_connected", detail="The connection is not open."),
            )
            return
        if message["type"] == EMIT:
            if connection.sio is None:
                detail = "Not a Socket.IO connection: send messages instead."
                await self.reply(reply_to, reply(ref, False, code="not_socketio", detail=detail))
            else:
                await connection.sio.emit(message, reply_to, ref)
        elif message["type"] == PING:
            await connection.control.ping(message.get("payload"), reply_to, ref)
        else:
            await connection.timers.command(message, reply_to, ref)

    async def _on_disconnect(self, message: dict[str, Any]) -> None:
        connection = self.connections.get(int(message["session"]))
        if connection is None or connection.ended:
            await self.reply(
                message.get("reply_to"),
                reply(message.get("ref"), False, code="not_connected", detail="Not connected."),
            )
            return
        logger.info(
            "Relay %s closing session %s with code %s",
            self.name,
            connection.session_id,
            message.get("code") or 1000,
        )
        await connection.close(
            by=ClosedBy.CLIENT,
            code=int(message.get("code") or 1000),
            reason=str(message.get("reason") or ""),
            reply_to=message.get("reply_to"),
            ref=message.get("ref"),
        )

    async def _on_acks(self, message: dict[str, Any]) -> None:
        channel = str(message.get("reply_to") or "")
        wanted = {str(ref) for ref in message.get("refs") or ()}
        found = self.publisher.acks_for(channel, wanted)
        await self.reply(EventsAck(channel), {"type": ACKS_FOUND, "acks": found})

    def reconnect(self, ended: UpstreamConnection) -> None:
        """Start the next automatic reconnect attempt of ``ended``'s session, in its place."""
        connection = UpstreamConnection(
            relay=self,
            session_id=ended.session_id,
            number=ended.number + 1,
            request=ended.request,
            log=ended.log,
            connect_reply=None,
            attempt=ended.attempt + 1,
        )
        connection.observer = ended.observer
        self.connections[ended.session_id] = connection
        connection.task = self.spawn(connection.run())

    def connection_ended(self, connection: UpstreamConnection) -> None:
        if self.connections.get(connection.session_id) is connection:
            del self.connections[connection.session_id]
            metrics.RELAY_CONNECTIONS.dec()

    # --- heartbeat, reaping, idle sessions ----------------------------------------------

    async def _heartbeat_loop(self) -> None:
        interval = settings.RELAY_HEARTBEAT_INTERVAL
        # Since when this relay's heartbeats have reached the database without a break. It
        # sweeps for dead relays only after RELAY_LOST_AFTER of that: when a database outage
        # ends, every relay's heartbeat is old, and the first one back must not declare the
        # others lost before they had the chance to beat again.
        beating_since: float | None = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            try:
                try:
                    registered = await self.db(store.relay_heartbeat, self.pk)
                except Exception:
                    beating_since = None
                    raise
                if not registered:
                    await self._lost_registration()
                if beating_since is None:
                    beating_since = time.monotonic()
                if time.monotonic() - beating_since >= settings.RELAY_LOST_AFTER:
                    await self.publisher.publish(await self.db(reaper.relays_reap))
                idle = await self.db(store.idle_session_ids, self.pk, settings.SESSION_IDLE_TIMEOUT)
                for session_id in idle:
                    connection = self.connections.get(session_id)
                    if connection is not None and not connection.ended:
                        minutes = settings.SESSION_IDLE_TIMEOUT / 60
                        self.spawn(
                            connection.close(
                                by=ClosedBy.RELAY,
                                code=1000,
                                reason=f"Idle for {minutes:g} min with no viewer or API activity",
                            )
                        )
                await self._refresh_contracts()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Relay %s heartbeat failed", self.name)

    async def _refresh_contracts(self) -> None:
        """Give connections the new contract of an endpoint whose messages or project schemas
        changed since it was read: one query per heartbeat for all of them, and three more
        per changed endpoint (so an edit reaches open sessions within a heartbeat)."""
        held: dict[int, list[UpstreamConnection]] = {}
        for connection in self.connections.values():
            if connection.contract_endpoint is not None and not connection.ended:
                held.setdefault(connection.contract_endpoint, []).append(connection)
        if not held:
            return
        stamps = await self.db(contract_stamps, set(held))
        for endpoint_id, connections in held.items():
            stamp = stamps.get(endpoint_id)
            if stamp is not None and all(c.contract_stamp == stamp for c in connections):
                continue
            data = await self.db(contract_data, endpoint_id) if stamp is not None else None
            contract = await asyncio.to_thread(compiled, data)
            for connection in connections:
                connection.contract = contract
                connection.contract_stamp = data["stamp"] if data else None
                if data is None:
                    connection.contract_endpoint = None  # the endpoint is gone

    async def _lost_registration(self) -> None:
        """Another process declared this relay lost; its sessions are no longer its own."""
        logger.warning("Relay %s was declared lost; dropping its connections", self.name)
        for connection in list(self.connections.values()):
            connection.abort()
        self.logs.clear()
        await self._register()
