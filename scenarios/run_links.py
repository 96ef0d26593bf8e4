"""What a scenario run keeps of its connections: each alias's received frames (with their
payloads as they arrived) and how it ended, and the frames and assertion outcomes as the run's
results show them, secrets masked."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from core.socketio.packets import arguments_of
from endpoints.contracts.rules import NOT_JSON
from scenarios.engine.assertions import Frame, Outcome
from sessions.masking import Masker
from sessions.models import ClosedBy
from sessions.relay.store import Record
from sessions.relay.upstream import UpstreamConnection

FRAMES_SHOWN = 5  # frames a failed expect step keeps of what it saw
# What an expect step sees of a Socket.IO connection: its events and acks, not the Engine.IO
# heartbeats, the namespace's connect or a binary attachment's own frame.
SOCKETIO_FRAMES = ("event", "ack")
FRAME_TEXT_CHARS = 2000
FRAME_HEX_BYTES = 512
# Who closed, as a step names it: the upstream is the server under test.
CLOSED_BY: dict[str, str] = {
    ClosedBy.UPSTREAM: "server",
    ClosedBy.CLIENT: "client",
    ClosedBy.RELAY: "switchboard",
    ClosedBy.NETWORK: "network",
}


def sio_of(record: Record) -> dict[str, Any] | None:
    """What a Socket.IO frame meant (its record's ``info["sio"]``), None for a WebSocket one."""
    found = (record.info or {}).get("sio")
    return found if isinstance(found, dict) else None


def frame_data(alias: str, record: Record) -> dict[str, Any]:
    """A logged frame as a run result shows it (cut to a few KiB)."""
    text = record.text
    data = record.data
    shown = {
        "alias": alias,
        "session": record.session_id,
        "seq": record.seq,
        "text": text[:FRAME_TEXT_CHARS] if text is not None else None,
        "hex": data[:FRAME_HEX_BYTES].hex(" ") if data is not None else None,
        "message": record.message or None,
        "contract": record.contract,
    }
    sio = sio_of(record)
    if sio is not None:
        shown["sio"] = {key: sio.get(key) for key in ("type", "namespace", "event", "ack_id")}
    return shown


def frame_of(record: Record, payload: str | bytes | None = None) -> Frame:
    """The frame as assertions see it: the payload as it arrived when known (the record may
    hold it cut to the log's size cap, or with secrets masked)."""
    if payload is None:
        payload = record.text if record.text is not None else (record.data or b"")
    sio = sio_of(record)
    if sio is not None and sio.get("type") in ("event", "ack") and isinstance(payload, str):
        # The arguments as they arrived: the record's may hold secrets masked.
        arguments = arguments_of(payload)
        if arguments is not None:
            sio = {**sio, "args": arguments}
    return Frame.of(
        payload,
        message=record.message or None,
        contract=record.contract,
        problems=record.problems or (),
        sio=sio,
    )


def outcome_data(outcome: Outcome, masker: Masker | None = None) -> dict[str, Any]:
    """An assertion's outcome for the results; values a secret was sent as are shown as ••••
    (assertions see frames as they arrived, which may echo a secret)."""

    def shown(value: Any) -> Any:
        value = "(not JSON)" if value is NOT_JSON else value
        return masker.value(value) if masker is not None else value

    return {
        "summary": outcome.summary,
        "passed": outcome.passed,
        "expected": shown(outcome.expected),
        "actual": shown(outcome.actual),
        "reason": outcome.reason,
    }


@dataclass
class Link:
    """One alias's connection in an iteration: the frames received and not yet consumed, and
    how it ended."""

    alias: str
    session_id: int
    connection: UpstreamConnection | None = None
    frames: list[Record] = field(default_factory=list)
    cursor: int = 0
    consumed: list[Record] = field(default_factory=list)
    opened: bool = False
    final: Record | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    strict: bool = False
    # Received payloads as they arrived, by record, until the record is consumed.
    payloads: dict[int, str | bytes] = field(default_factory=dict)
    # A Socket.IO endpoint's connection: open once its namespace connected; its frames are
    # events and acks (SOCKETIO_FRAMES). The seq of the last emit sent, and acks by the seq
    # of the emit they answer (an ack timeout's error record stands in for its ack).
    socketio: bool = False
    last_emit: int | None = None
    acks: dict[int, Record] = field(default_factory=dict)

    def payload(self, record: Record) -> str | bytes | None:
        return self.payloads.get(id(record))

    @property
    def masker(self) -> Masker | None:
        return self.connection.masker if self.connection is not None else None

    def feed(self, record: Record, payload: str | bytes | None) -> None:
        kind = record.kind
        if self.socketio:
            self._feed_socketio(record, payload)
        elif kind == "received":
            self.frames.append(record)
            if payload is not None:
                self.payloads[id(record)] = payload
        elif kind == "open":
            self.opened = True
        if record.final:
            self.final = record
        self.changed.set()

    def _feed_socketio(self, record: Record, payload: str | bytes | None) -> None:
        sio = sio_of(record) or {}
        kind = sio.get("type")
        if record.kind == "received" and kind in SOCKETIO_FRAMES:
            self.frames.append(record)
            if payload is not None:
                self.payloads[id(record)] = payload
            if kind == "ack" and isinstance(sio.get("ack_of"), int):
                self.acks[sio["ack_of"]] = record
        elif record.kind == "received" and kind == "connect":
            self.opened = True
        elif record.kind == "sent" and kind == "event":
            self.last_emit = record.seq
        elif record.kind == "error" and (record.info or {}).get("kind") == "ack_timeout":
            self.acks[int((record.info or {}).get("seq") or 0)] = record

    def forget(self, record: Record) -> None:
        """Take ``record`` out of the frames still to be expected (an emit step waited for
        it: it is its ack)."""
        for place in range(self.cursor, len(self.frames)):
            if self.frames[place] is record:
                del self.frames[place]
                return

    def take(self) -> Record:
        record = self.frames[self.cursor]
        self.cursor += 1
        self.consumed = [*self.consumed, record][-FRAMES_SHOWN:]
        if self.cursor > 256:  # keep the list short on long runs
            for done in self.frames[: self.cursor - FRAMES_SHOWN]:
                self.payloads.pop(id(done), None)
            del self.frames[: self.cursor]
            self.cursor = 0
        return record

    def pending(self) -> list[Record]:
        return self.frames[self.cursor :]

    async def changed_within(self, deadline: float) -> bool:
        """Wait for the next record; False when ``deadline`` (loop time) passed first."""
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return False
        self.changed.clear()
        try:
            async with asyncio.timeout(remaining):
                await self.changed.wait()
        except TimeoutError:
            return False
        return True


def failure_line(outcome: Outcome | None, masker: Masker | None = None) -> str:
    if outcome is None:
        return ""
    line = f"{outcome.summary}: expected {_short(outcome.expected)}, got {_short(outcome.actual)}"
    line = f"{line} ({outcome.reason})" if outcome.reason else line
    return masker.text(line) if masker is not None else line


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"
