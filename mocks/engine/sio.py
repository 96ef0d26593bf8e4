"""A mock that speaks Socket.IO: the server machine (core/socketio/server.py) carries the
protocol and the mock machine (machine.py) decides, from the documented messages, what to
answer. Same actions out as a WebSocket mock (``Send`` frames, ``Close``), plus ``Start`` when
the endpoint's namespace has connected and pushes may begin.

A client event is recognised as the send message documenting its name (``event``); replies,
pushes and on-open messages are emitted as their message's event with the example's
arguments; an event sent with an ack id is acknowledged when the rule (``ack``) or the message
(``ack_schema``) documents an acknowledgement.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.socketio.engine import ProtocolError
from core.socketio.handshake import SocketIOVersion
from core.socketio.protocol import Happening, Kind, Output
from core.socketio.server import SocketIOServer
from endpoints.environments.resolver import fill_known

from .handshake import expected_value
from .machine import Close, MockMachine, Send

PROTOCOL_ERROR = 1002
INVALID_NAMESPACE = "Invalid namespace"


@dataclass(frozen=True)
class Start:
    """The endpoint's namespace connected: the pushes begin."""


@dataclass(frozen=True)
class SioReceived:
    message: str  # the documented message the client's event is ("" if none)
    note: str
    event: str
    actions: list[Send | Close | Start] = field(default_factory=list)


def arguments_of(body: str | bytes) -> list[Any]:
    """A rendered example as event arguments: its JSON array, else the one value it is."""
    if isinstance(body, bytes):
        return [body]
    try:
        value = json.loads(body)
    except ValueError:
        return [body]
    return value if isinstance(value, list) else [value]


def _plain(value: Any) -> Any:
    """Arguments as JSON for extractions and logs: a binary argument as ``{"$binary": b64}``."""
    if isinstance(value, bytes):
        return {"$binary": base64.b64encode(value).decode()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def auth_problems(documented: str, given: Any, values: Mapping[str, str]) -> list[str]:
    """What a v4 CONNECT's auth payload lacks of the documented one (a JSON object text whose
    string values may hold {{references}}; "" documents none)."""
    try:
        expected = json.loads(fill_known(documented, values)) if documented.strip() else {}
    except ValueError:
        return []  # not checkable: the endpoint's docs are wrong, not the client
    if not isinstance(expected, dict):
        return []
    sent = given if isinstance(given, dict) else {}
    problems = []
    for key, value in expected.items():
        if key not in sent:
            problems.append(f"auth {key!r} is missing")
            continue
        wanted = expected_value(value, values) if isinstance(value, str) else value
        if wanted is not None and sent[key] != wanted:
            problems.append(f"auth {key!r} does not have the documented value")
    return problems


class SocketIOMock:
    def __init__(
        self,
        machine: MockMachine,
        version: SocketIOVersion,
        *,
        namespace: str,
        auth: str = "",
        check_auth: bool = True,
        prefix: str = "",
        ping_interval: float = 25.0,
        ping_timeout: float = 20.0,
        max_payload: int = 1_000_000,
    ) -> None:
        self.machine = machine
        self.server = SocketIOServer(
            version,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            max_payload=max_payload,
        )
        self.namespace = namespace
        self.auth = auth if check_auth else ""
        self.prefix = prefix.rstrip("/")
        self.events = {
            m["event"]: name
            for name, m in machine.messages.items()
            if m["direction"] == "send" and m.get("event")
        }
        # The client's names for the endpoint's namespace ("/chat", or the mock URL's path
        # followed by it, for a client that only swapped its base URL).
        self.aliases: list[str] = []
        self.started = False

    # --- what the consumer asks for ----------------------------------------------------

    def opening(self) -> list[Send | Close | Start]:
        output = self.server.open()
        actions: list[Send | Close | Start] = list(self._frames(output))
        if "/" in self.server.connected and self._endpoint_namespace("/"):
            actions.extend(self._connected("/"))
        return actions

    def push(self, index: int, count: int) -> list[Send]:
        send = self.machine.push(index, count)
        return [frame for alias in self.aliases for frame in self._emit(send, alias)]

    def ping(self) -> list[Send]:
        return self._frames(self.server.ping())

    def missed_heartbeat(self) -> bool:
        return self.server.missed_heartbeat()

    def closing(self, close: Close) -> list[Send | Close]:
        """The namespaces left and the Engine.IO session closed, then the WebSocket."""
        if self.server.closed:
            return [close]
        return [*self._frames(self.server.close()), close]

    # --- client frames -----------------------------------------------------------------

    def receive(self, text: str | None, data: bytes | None) -> SioReceived:
        frame: str | bytes = text if text is not None else (data or b"")
        try:
            output = self.server.receive(frame)
        except ProtocolError as exc:
            return SioReceived("", "not Socket.IO", "", [Close(PROTOCOL_ERROR, str(exc)[:120])])
        actions: list[Send | Close | Start] = list(self._frames(output))
        incoming = [h for h in output.happened if h.direction == "in"]
        if not incoming:
            if self.server.awaiting is not None:
                return SioReceived("", "attachments follow", self.server.awaiting, actions)
            return SioReceived("", "", "", actions)
        h = incoming[0]
        if h.kind == Kind.CONNECT:
            return SioReceived("", *self._connect(h, actions))
        if h.kind == Kind.EVENT:
            return self._event(h, actions)
        if h.kind == Kind.CLOSE:
            actions.append(Close(1000, "the client closed the Socket.IO session"))
        if h.kind == Kind.ACK:
            return SioReceived("", "ack", h.event or "", actions)
        return SioReceived("", str(h.kind.value).removeprefix("engine_"), "", actions)

    def _endpoint_namespace(self, namespace: str) -> bool:
        if namespace == self.namespace:
            return True
        if self.prefix and (namespace == self.prefix or namespace.startswith(self.prefix + "/")):
            return (namespace[len(self.prefix) :] or "/") == self.namespace
        return False

    def _connect(self, h: Happening, actions: list[Send | Close | Start]) -> tuple[str, str, Any]:
        if not self._endpoint_namespace(h.namespace):
            actions.extend(self._frames(self.server.refuse(h.namespace, INVALID_NAMESPACE)))
            return "connect refused", "", actions
        problems = auth_problems(self.auth, h.detail, self.machine.values)
        if problems and self.server.version is SocketIOVersion.V4:
            refusal = self.server.refuse(h.namespace, "not authorized", {"problems": problems})
            actions.extend(self._frames(refusal))
            return "connect refused", "", actions
        actions.extend(self._frames(self.server.accept(h.namespace)))
        actions.extend(self._connected(h.namespace))
        return "connect", "", actions

    def _connected(self, alias: str) -> list[Send | Close | Start]:
        self.aliases.append(alias)
        actions: list[Send | Close | Start] = []
        for send in self.machine.opening():
            actions.extend(self._emit(send, alias))
        if not self.started:
            self.started = True
            actions.append(Start())
        return actions

    def _event(self, h: Happening, actions: list[Send | Close | Start]) -> SioReceived:
        event = h.event or ""
        if h.namespace not in self.aliases:
            return SioReceived("", "not the endpoint's namespace", event, actions)
        name = self.events.get(event, "")
        got = self.machine.receive(json.dumps(_plain(h.arguments)), None, recognised=name)
        if h.ack_id is not None and got.ack is not None:
            answer = self.server.answer(h.ack_id, arguments_of(got.ack), namespace=h.namespace)
            actions.extend(self._frames(answer, "ack", event))
        for action in got.actions:
            if isinstance(action, Close):
                actions.extend(self.closing(action))
            elif action.note == "echo":
                if h.ack_id is not None:
                    echo = self.server.answer(h.ack_id, h.arguments, namespace=h.namespace)
                else:
                    echo = self.server.emit(event, h.arguments, namespace=h.namespace)[1]
                actions.extend(self._frames(echo, "echo", event))
            else:
                actions.extend(self._emit(action, h.namespace))
        return SioReceived(name, got.note, event, actions)

    # --- frames out ----------------------------------------------------------------------

    def _emit(self, send: Send, namespace: str) -> list[Send]:
        """A documented message sent as its event, with the rendered example as arguments."""
        message = self.machine.messages.get(send.message) or {}
        event = str(message.get("event") or send.message)
        output = self.server.emit(event, arguments_of(send.data), namespace=namespace)[1]
        frames = self._frames(output, send.note, event, send.message, send.delay_ms)
        if send.note == "invalid":
            # Half the packet: the client's parser fails, as the fault intends.
            first = frames[0]
            text = first.data if isinstance(first.data, str) else first.data.decode("latin-1")
            frames = [
                Send(text[: max(2, len(text) // 2)], send.message, "invalid", send.delay_ms, event)
            ]
        return frames

    def _frames(
        self,
        output: Output,
        note: str = "",
        event: str = "",
        message: str = "",
        delay_ms: int = 0,
    ) -> list[Send]:
        """Each frame of the output, the first of a packet with its note and event, its
        binary attachments after it."""
        frames: list[Send] = []
        for h in output.happened:
            if h.direction != "out":
                continue
            label = note or str(h.kind.value).removeprefix("engine_")
            for index, raw in enumerate(h.raw):
                frames.append(
                    Send(
                        raw,
                        message,
                        label if index == 0 else "attachment",
                        delay_ms,
                        event or (h.event or ""),
                    )
                )
        return frames
