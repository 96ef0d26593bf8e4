"""Repeating messages ("timers") of one upstream connection, run by the relay that holds it.

A timer sends one message every ``interval_ms``, ``count`` times or until stopped. Its first
send goes out at once. A body with ``{{variables}}`` or a saved message is prepared again
for every send (values and dynamic values resolved then, like a send from the API); a plain
body is prepared once by the web process. Each send is an ordinary ``sent`` entry (its
``info.timer`` names the timer); starting, finishing, stopping and the end of the connection
are ``timer`` entries. Timers end with their connection and survive viewers leaving.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from core.errors import DomainError
from core.timestamps import iso
from sessions.models import DebugSession
from sessions.relay.protocol import reply
from sessions.sending import message_prepare

logger = logging.getLogger("switchboard.relay")

# The connection these work for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any


def prepare_send(session_id: int, spec: dict[str, Any]) -> dict[str, Any]:
    """The send command of one timer tick, prepared as ``sending.message_prepare`` does for
    a send from the API (in a relay thread: it reads variables and saved messages)."""
    session = DebugSession.objects.select_related("project", "owner").get(pk=session_id)
    _, command = message_prepare(
        session=session,
        fmt=spec.get("format"),
        body=spec.get("body"),
        message_id=spec.get("message_id"),
        example=spec.get("example"),
        variables=spec.get("variables"),
    )
    return command


class Timer:
    __slots__ = ("count", "id", "interval_ms", "sent", "spec", "started_at", "task")

    def __init__(self, timer_id: int, spec: dict[str, Any]) -> None:
        self.id = timer_id
        self.spec = spec
        self.interval_ms = int(spec["interval_ms"])
        self.count: int | None = spec.get("count")
        self.sent = 0
        self.started_at = datetime.now(UTC)
        self.task: asyncio.Task[None] | None = None

    def data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "interval_ms": self.interval_ms,
            "count": self.count,
            "sent": self.sent,
            "started_at": iso(self.started_at),
            "name": self.spec.get("name") or "",
        }


class Timers:
    """The timers of one connection."""

    __slots__ = ("connection", "next_id", "running")

    def __init__(self, connection: UpstreamConnection) -> None:
        self.connection = connection
        self.running: dict[int, Timer] = {}
        self.next_id = 1

    def listing(self) -> list[dict[str, Any]]:
        return [timer.data() for timer in self.running.values()]

    async def command(self, message: dict[str, Any], reply_to: str, ref: Any) -> None:
        action = message.get("action")
        relay = self.connection.relay
        if action == "list":
            await relay.reply(reply_to, reply(ref, True, timers=self.listing()))
        elif action == "stop":
            timer = self.running.get(int(message.get("id") or 0))
            if timer is None:
                await relay.reply(
                    reply_to,
                    reply(ref, False, code="not_found", detail="No such running timer."),
                )
                return
            await self._end(timer, "stopped", "stopped by request")
            await relay.reply(reply_to, reply(ref, True, timer=timer.data()))
        elif action == "start":
            await self._start(message["timer"], reply_to, ref)
        else:
            await relay.reply(reply_to, reply(ref, False, code="parse_error", detail="No action."))

    async def _start(self, spec: dict[str, Any], reply_to: str, ref: Any) -> None:
        connection = self.connection
        relay = connection.relay
        limit = settings.SESSION_MAX_TIMERS
        if not connection.is_open():
            await relay.reply(
                reply_to,
                reply(ref, False, code="not_connected", detail="The connection is not open."),
            )
            return
        if len(self.running) >= limit:
            await relay.reply(
                reply_to,
                reply(
                    ref,
                    False,
                    code="too_many_timers",
                    detail=f"This session already runs {limit} timers, the most allowed "
                    "(SESSION_MAX_TIMERS); stop one first.",
                    limit=limit,
                ),
            )
            return
        timer = Timer(self.next_id, spec)
        self.next_id += 1
        self.running[timer.id] = timer
        times = f"{timer.count} times" if timer.count else "until stopped"
        label = f" ({timer.spec['name']})" if timer.spec.get("name") else ""
        record = connection.record(
            "timer",
            text=f"Timer {timer.id}{label} started: every {timer.interval_ms} ms, {times}",
            info={"timer": timer.id, "event": "started", **timer.data()},
        )
        record.replies = [(reply_to, reply(ref, True, timer=timer.data()))] if reply_to else None
        await connection.emit(record)
        timer.task = relay.spawn(self._run(timer))

    async def _run(self, timer: Timer) -> None:
        connection = self.connection
        loop = asyncio.get_running_loop()
        started = loop.time()
        interval = timer.interval_ms / 1000
        fixed = timer.spec.get("command")
        try:
            while timer.count is None or timer.sent < timer.count:
                due = started + timer.sent * interval
                delay = due - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not connection.is_open():
                    return  # the connection's end records the timer's
                if fixed is not None:
                    command = fixed
                else:
                    try:
                        command = await connection.relay.db(
                            prepare_send, connection.session_id, timer.spec
                        )
                    except DomainError as exc:
                        await self._end(timer, "failed", f"stopped: {exc.detail}", error=exc)
                        return
                timer.sent += 1
                await connection.send(
                    command["opcode"],
                    command["payload"],
                    "",
                    None,
                    command.get("masked"),
                    command.get("verdict"),
                    "verdict" in command,
                    timer=timer.id,
                )
        except asyncio.CancelledError:
            return
        except Exception:
            logger.exception("Timer %s of session %s crashed", timer.id, connection.session_id)
            if self.running.get(timer.id) is timer:
                await self._end(timer, "failed", "stopped: the relay hit an internal error")
            return
        if self.running.get(timer.id) is timer:
            await self._end(timer, "finished", f"finished after {timer.sent} sends")

    async def _end(
        self, timer: Timer, event: str, text: str, *, error: DomainError | None = None
    ) -> None:
        if self.running.pop(timer.id, None) is None:
            return
        current = asyncio.current_task()
        if timer.task is not None and timer.task is not current:
            timer.task.cancel()
        info: dict[str, Any] = {"timer": timer.id, "event": event, **timer.data()}
        if error is not None:
            info["code"] = error.code
        await self.connection.emit(
            self.connection.record("timer", text=f"Timer {timer.id} {text}", info=info)
        )

    async def end_all(self, why: str) -> None:
        """The connection ends: every running timer ends with an entry saying so."""
        for timer in list(self.running.values()):
            await self._end(timer, "ended", f"ended: {why}")
