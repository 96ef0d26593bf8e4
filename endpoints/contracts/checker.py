"""A compiled contract: which documented message a frame is, and what is wrong with it.

Built from plain data (the endpoint's messages and the project's schemas as stored), compiled
once per distinct content and cached, so every session of an endpoint version shares it.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from .limits import MAX_PROBLEMS
from .rules import NOT_JSON, Rule, compile_rule, parse_json
from .schemas import compile_schema, problems_of

SEND, RECEIVE = "send", "receive"


class Check:
    """A log entry's verdict; "" when nothing was checked."""

    VALID = "valid"
    INVALID = "invalid"
    UNDOCUMENTED = "undocumented"
    NONE = ""


@dataclass(frozen=True)
class Verdict:
    check: str
    message: str | None = None
    problems: list[dict[str, str]] = field(default_factory=list)


UNCHECKED = Verdict(Check.NONE)
UNDOCUMENTED = Verdict(Check.UNDOCUMENTED)


@dataclass(frozen=True)
class _Compiled:
    name: str
    direction: str
    is_json: bool
    rule: Rule
    validator: jsonschema_rs.Validator | None
    # Socket.IO: the event name (frames are recognised by it) and the ack arguments' schema.
    event: str = ""
    ack_validator: jsonschema_rs.Validator | None = None


class Contract:
    """The documented messages of one endpoint, ready to check frames."""

    def __init__(self, messages: Sequence[Mapping[str, Any]], schemas: Mapping[str, Any]):
        compiled = [
            _Compiled(
                name=m["name"],
                direction=m["direction"],
                is_json=m.get("format") == "json",
                rule=compile_rule(m.get("match")),
                validator=(
                    compile_schema(m["schema"], schemas) if m.get("schema") is not None else None
                ),
                event=m.get("event") or "",
                ack_validator=(
                    compile_schema(m["ack_schema"], schemas)
                    if m.get("ack_schema") is not None
                    else None
                ),
            )
            for m in messages
        ]
        self._by_direction = {
            direction: [m for m in compiled if m.direction == direction]
            for direction in (SEND, RECEIVE)
        }
        self._by_name = {m.name: m for m in compiled}
        self._by_event = {
            (m.event, m.direction): m for m in reversed(compiled) if m.event
        }  # the first documented message of an event and direction wins

    def documents(self, direction: str) -> bool:
        """Whether frames of ``direction`` are checked (some message of it is documented)."""
        return bool(self._by_direction.get(direction))

    def check(self, direction: str, text: str | None, value: Any = None) -> Verdict:
        """The verdict on a frame (``text`` None for a binary one) going ``direction``."""
        candidates = self._by_direction.get(direction)
        if not candidates:
            return UNCHECKED
        parsed = value if value is not None else parse_json(text)
        for message in candidates:
            if message.rule.matches(text, parsed):
                return self._verdict(message, text, parsed)
        return UNDOCUMENTED

    def check_as(self, name: str, text: str | None, value: Any = None) -> Verdict:
        """The verdict on a frame sent as documented message ``name``."""
        message = self._by_name.get(name)
        if message is None:
            return self.check(SEND, text, value)
        parsed = value if value is not None else parse_json(text)
        return self._verdict(message, text, parsed)

    def check_event(self, direction: str, event: str, arguments: list[Any]) -> Verdict:
        """The verdict on a Socket.IO event going ``direction``: the message documenting
        this event name, its schema checking the arguments array."""
        if not self.documents(direction):
            return UNCHECKED
        message = self._by_event.get((event, direction))
        if message is None:
            return UNDOCUMENTED
        return self._verdict(message, None, arguments, parsed_value=True)

    def check_ack(self, event: str, direction: str, arguments: list[Any]) -> Verdict:
        """The verdict on the acknowledgement of ``event`` (emitted going ``direction``):
        checked against that message's ack schema; UNCHECKED when it documents none."""
        message = self._by_event.get((event, direction))
        if message is None or message.ack_validator is None:
            return UNCHECKED
        problems = problems_of(message.ack_validator, arguments, MAX_PROBLEMS)
        return Verdict(Check.INVALID if problems else Check.VALID, message.name, problems)

    @staticmethod
    def _verdict(
        message: _Compiled, text: str | None, parsed: Any, *, parsed_value: bool = False
    ) -> Verdict:
        if message.validator is None and not message.is_json:
            return Verdict(Check.VALID, message.name)
        if not parsed_value and parsed is NOT_JSON:
            reason = "a binary frame, not JSON" if text is None else "not valid JSON"
            return Verdict(Check.INVALID, message.name, [{"path": "", "reason": reason}])
        if message.validator is None:
            return Verdict(Check.VALID, message.name)
        problems = problems_of(message.validator, parsed, MAX_PROBLEMS)
        return Verdict(Check.INVALID if problems else Check.VALID, message.name, problems)


_CACHE: OrderedDict[str, Contract] = OrderedDict()
_CACHE_SIZE = 256


def contract_for(messages: Sequence[Mapping[str, Any]], schemas: Mapping[str, Any]) -> Contract:
    """The compiled contract of this content, from the cache when it was compiled before."""
    digest = hashlib.sha256(
        json.dumps([messages, schemas], sort_keys=True, default=str).encode()
    ).hexdigest()
    contract = _CACHE.get(digest)
    if contract is None:
        contract = Contract(messages, schemas)
        _CACHE[digest] = contract
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(digest)
    return contract
