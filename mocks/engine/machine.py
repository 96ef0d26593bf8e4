"""One mock connection's behaviour as a state machine: frames in, actions out. The consumer
runs the timers (delays, pushes, the close after T seconds) and the socket."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from endpoints.contracts.checker import SEND, contract_for
from endpoints.contracts.rules import parse_json
from endpoints.environments.resolver import Dynamics
from scenarios.engine.assertions import Frame
from scenarios.engine.extract import compile_extraction

from .spec import COUNTER_VARIABLE
from .templates import example_body, render


@dataclass(frozen=True)
class Send:
    """A frame to send after ``delay_ms``; ``message`` is the documented message it is."""

    data: str | bytes
    message: str
    note: str
    delay_ms: int = 0
    event: str = ""  # Socket.IO: the event the frame carries


@dataclass(frozen=True)
class Close:
    code: int
    reason: str


@dataclass(frozen=True)
class Received:
    """What the mock made of a client frame: the documented message it matched ("" if none),
    what it did (``note``) and what follows."""

    message: str
    note: str
    actions: list[Send | Close]
    # Socket.IO: the acknowledgement's arguments as JSON array text, when the rule or the
    # message documents one (sent only if the client asked for an ack).
    ack: str | None = None


class MockMachine:
    def __init__(
        self,
        spec: Mapping[str, Any],
        messages: Sequence[Mapping[str, Any]],
        schemas: Mapping[str, Any],
        values: Mapping[str, str],
        *,
        dynamics: Dynamics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.spec = spec
        self.messages = {m["name"]: m for m in messages}
        self.contract = contract_for(list(messages), schemas)
        self.values = dict(values)
        self.dynamics = dynamics or Dynamics()
        self.rng = rng or random.Random()
        self.rules = {rule["when"]: rule for rule in spec["rules"]}
        self.extractions = {
            rule["when"]: [compile_extraction(item) for item in rule["extract"]]
            for rule in spec["rules"]
        }
        if spec["auto_reply"]:
            for m in messages:
                if m["direction"] == "receive" and m.get("reply_to") and m.get("examples"):
                    self.rules.setdefault(
                        m["reply_to"],
                        {"when": m["reply_to"], "reply": m["name"], "pick": "first", "delay_ms": 0},
                    )
        self.received = 0
        self.replies = 0
        self.turns: dict[str, int] = {}
        self.closing = False

    # --- what is sent without being asked -------------------------------------------------

    def opening(self) -> list[Send]:
        return [
            self._send(
                item["message"], item["example"], 0, self.values, "on open", item["delay_ms"]
            )
            for item in self.spec["on_open"]
        ]

    @property
    def pushes(self) -> list[Mapping[str, Any]]:
        return list(self.spec["pushes"])

    def push(self, index: int, count: int) -> Send:
        """The ``count``-th push (from 1) of push ``index``."""
        item = self.spec["pushes"][index]
        values = {**self.values, COUNTER_VARIABLE: str(count)}
        return self._send(item["message"], item["example"], 0, values, "push")

    @property
    def close_after_seconds(self) -> float | None:
        seconds = self.spec["faults"]["close_after_seconds"]
        return float(seconds) if seconds is not None else None

    def timed_close(self) -> Close:
        faults = self.spec["faults"]
        return Close(faults["close_code"], faults["close_reason"] or "closed by the mock")

    # --- client frames --------------------------------------------------------------------

    def receive(
        self, text: str | None, data: bytes | None = None, *, recognised: str | None = None
    ) -> Received:
        """What to do about a client frame. ``recognised``: the documented message it is,
        already known (a Socket.IO event is recognised by its name, not by match rules)."""
        self.received += 1
        if recognised is None:
            verdict = self.contract.check(SEND, text, parse_json(text))
            recognised = verdict.message or ""
        name = recognised
        actions: list[Send | Close] = []
        rule = self.rules.get(name)
        values = dict(self.values)
        if rule is not None:
            note = "reply" if rule["reply"] is not None else "ack"
            frame = Frame(text, data)
            for extraction in self.extractions.get(name, []):
                got = extraction.apply(frame)
                if got.value is not None:
                    values[got.variable] = got.value
            actions.extend(self._reply(rule, values))
        else:
            note = self._unmatched(text, data, actions)
        limit = self.spec["faults"]["close_after_messages"]
        if limit is not None and self.received >= limit and not self.closing:
            self.closing = True
            actions.append(self.timed_close())
        return Received(name, note, actions, self._ack(name, rule, values))

    def _ack(
        self, name: str, rule: Mapping[str, Any] | None, values: Mapping[str, str]
    ) -> str | None:
        if rule is not None and rule.get("ack"):
            return str(render(rule["ack"], "json", values, self.dynamics))
        schema = self.messages[name].get("ack_schema") if name else None
        if schema is None:
            return None
        examples = schema.get("examples") if isinstance(schema, Mapping) else None
        first = next((e for e in examples or [] if isinstance(e, list)), [])
        return json.dumps(first)

    def _reply(self, rule: Mapping[str, Any], values: dict[str, str]) -> list[Send]:
        if rule["reply"] is None:
            return []
        self.replies += 1
        faults = self.spec["faults"]
        values[COUNTER_VARIABLE] = str(self.replies)
        message = self.messages[rule["reply"]]
        examples = message.get("examples") or []
        if rule["pick"] == "random":
            index = self.rng.randrange(len(examples)) if examples else 0
        elif rule["pick"] == "in_turn":
            index = self.turns.get(rule["when"], 0)
            self.turns[rule["when"]] = index + 1
        else:
            index = 0
        send = self._send(rule["reply"], None, index, values, "reply", rule["delay_ms"])
        drop = faults["drop_every_nth_reply"]
        if drop and self.replies % drop == 0:
            return [Send(send.data, send.message, "dropped", send.delay_ms)]
        invalid = faults["invalid_frame_every_nth_reply"]
        if invalid and self.replies % invalid == 0:
            body = send.data if isinstance(send.data, str) else send.data.hex()
            # Half a message: not the JSON (or XML...) the docs promise.
            broken = body[: max(1, len(body) // 2)] if len(body) > 1 else "{"
            return [Send(broken, send.message, "invalid", send.delay_ms)]
        return [send]

    def _unmatched(self, text: str | None, data: bytes | None, actions: list[Send | Close]) -> str:
        unmatched = self.spec["unmatched"]
        if unmatched["policy"] == "echo":
            actions.append(Send(text if text is not None else (data or b""), "", "echo"))
            return "echoed"
        if unmatched["policy"] == "error":
            actions.append(
                self._send(unmatched["message"], unmatched["example"], 0, self.values, "error")
            )
            return "answered with an error"
        return "ignored"

    def _send(
        self,
        name: str,
        example: str | None,
        index: int,
        values: Mapping[str, str],
        note: str,
        delay_ms: int = 0,
    ) -> Send:
        message = self.messages[name]
        body = example_body(message, example, index)
        return Send(
            render(body, str(message.get("format", "text")), values, self.dynamics),
            name,
            note,
            delay_ms,
        )
