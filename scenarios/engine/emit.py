"""The emit step of a Socket.IO connection, checked when saved: an ``event`` and its ``args``
(a JSON array whose strings may hold {{variables}}), or a documented ``message`` and
``example``; the ``namespace`` (the endpoint's by default); ``ack: true`` to ask for an
acknowledgement and wait up to ``ack_timeout_ms`` for it (its arguments are then the step's
frame, to extract from), or with ``wait_ack: false`` to leave it to an expect step."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.socketio.handshake import event_name_problem, namespace_problem

from .assertions import SpecError
from .limits import DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, MAX_VALUE_BYTES

EMIT_FIELDS = {
    "alias",
    "event",
    "args",
    "message",
    "example",
    "namespace",
    "ack",
    "wait_ack",
    "ack_timeout_ms",
}


def waits_for_ack(spec: Mapping[str, Any]) -> bool:
    return bool(spec.get("ack")) and spec.get("wait_ack", True) is not False


def check_emit(spec: Mapping[str, Any], messages: Mapping[str, Any] | None) -> int:
    """What is wrong with an emit step (SpecError), else its ack timeout in milliseconds.
    ``messages``: the connection's documented messages by name (None: not known here)."""
    if "message" in spec:
        if "event" in spec or "args" in spec:
            raise SpecError("message", "emit either a documented message or an event and args")
        name = spec["message"]
        if not isinstance(name, str) or not name:
            raise SpecError("message", "a documented message's name")
        if messages is not None:
            message = messages.get(name)
            if message is None:
                raise SpecError("message", f"the endpoint documents no message {name!r}")
            example = spec.get("example")
            if example is not None and example not in message.examples:
                raise SpecError("example", f"{name!r} has no example {example!r}")
        elif "example" in spec and not isinstance(spec["example"], str):
            raise SpecError("example", "an example's name")
    else:
        if "example" in spec:
            raise SpecError("example", "an example goes with a message")
        problem = event_name_problem(spec.get("event"))
        if problem:
            raise SpecError("event", problem)
        arguments = spec.get("args", [])
        if not isinstance(arguments, list):
            raise SpecError("args", 'the arguments as a JSON array: ["hi", {"room": 1}]')
        if len(json.dumps(arguments).encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
            raise SpecError("args", f"at most {MAX_VALUE_BYTES:,} bytes")
    namespace = spec.get("namespace")
    if namespace is not None:
        wrong = namespace_problem(namespace) if isinstance(namespace, str) else "a namespace"
        if wrong:
            raise SpecError("namespace", wrong)
    if not isinstance(spec.get("ack", False), bool):
        raise SpecError("ack", "true to ask for an acknowledgement")
    if "wait_ack" in spec and (not isinstance(spec["wait_ack"], bool) or not spec.get("ack")):
        raise SpecError("wait_ack", "false to leave an asked-for ack to an expect step")
    timeout = spec.get("ack_timeout_ms", DEFAULT_TIMEOUT_MS)
    if "ack_timeout_ms" in spec and not spec.get("ack"):
        raise SpecError("ack_timeout_ms", "only an emit that asks for an ack has a timeout")
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int)
        or not 1 <= timeout <= MAX_TIMEOUT_MS
    ):
        raise SpecError("ack_timeout_ms", f"milliseconds from 1 to {MAX_TIMEOUT_MS:,}")
    return int(timeout)
