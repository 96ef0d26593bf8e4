"""What each kind of step does in a run (connect, send, expect, extract, wait, disconnect,
expect close), and the run's variables; the run's lifecycle is ``scenarios.runner``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings

from core.formats import BodyFormatError, encode_body
from core.socketio.handshake import arguments_problem
from endpoints.environments.resolver import resolve_body, resolve_text
from endpoints.errors import UnresolvedVariables
from scenarios import run_store
from scenarios.engine.assertions import Outcome
from scenarios.engine.steps import Step
from scenarios.run_links import (
    CLOSED_BY,
    FRAMES_SHOWN,
    Link,
    failure_line,
    frame_data,
    frame_of,
    outcome_data,
)
from scenarios.run_store import RunPlan
from sessions.contracts import verdict_data
from sessions.masking import secret_forms
from sessions.models import ClosedBy
from sessions.relay.server import Relay
from sessions.relay.store import Record

OPEN_MARGIN_S = 5.0


class StepError(Exception):
    """A step that could not be carried out (not an assertion that failed)."""


class RunAborted(Exception):
    """A run limit was hit: the run ends ``error`` with this text."""


class StepRunner:
    """The steps of one iteration, on the state the run keeps (``scenarios.runner``)."""

    relay: Relay
    plan: RunPlan
    steps: list[Step]
    iterations: list[dict[str, Any]]
    frames: int
    values: dict[str, str]
    secrets: set[str]
    overrides: dict[str, str]
    extracted: dict[str, str]
    links: dict[str, Link]
    # expect step -> the frame that satisfied it, and its payload as it arrived
    matched: dict[int, tuple[Link, Record, str | bytes | None]]
    _aborted: str | None = None

    def _check_aborted(self) -> None:
        if self._aborted:
            raise RunAborted(self._aborted)

    # --- variables --------------------------------------------------------------------

    @property
    def current(self) -> dict[str, str]:
        return {**self.values, **self.extracted}

    def resolve(self, text: str, where: str) -> tuple[str, str]:
        try:
            return resolve_text(text, self.current, self.secrets, where=where)
        except UnresolvedVariables as exc:
            names = ", ".join(sorted({item.name for item in exc.unresolved}))
            raise StepError(f"Unknown variable(s) in {where}: {names}") from None

    def resolve_value(self, value: Any) -> Any:
        if isinstance(value, str) and "{{" in value:
            return self.resolve(value, "value")[0]
        if isinstance(value, list):
            return [self.resolve_value(item) for item in value]
        if isinstance(value, dict):
            return {key: self.resolve_value(item) for key, item in value.items()}
        return value

    # --- steps ------------------------------------------------------------------------

    async def _step(self, step: Step, result: dict[str, Any]) -> bool:
        handler = getattr(self, f"_{step.kind}")
        return bool(await handler(step, result))

    def _link(self, step: Step) -> Link:
        assert step.alias is not None
        link = self.links.get(step.alias)
        if link is None:
            raise StepError(f"{step.alias!r} is not connected.")
        return link

    async def _connect(self, step: Step, result: dict[str, Any]) -> bool:
        alias = step.alias
        assert alias is not None
        overrides = {**self.overrides, **self.extracted}
        try:
            session_id, message = await self.relay.db(
                run_store.session_open,
                self.plan,
                alias=alias,
                iteration=len(self.iterations) - 1,
                step=dict(step.spec),
                overrides=overrides,
                relay_pk=self.relay.pk,
            )
        except Exception as exc:
            detail = getattr(exc, "detail", None) or str(exc)
            raise StepError(f"Could not connect {alias!r}: {detail}") from None
        link = Link(alias, session_id, socketio=bool(message["request"].get("socketio")))
        self.links[alias] = link
        result["session"] = session_id
        await self.relay._on_connect(message)
        connection = self.relay.connections.get(session_id)
        if connection is None:
            raise StepError(f"The relay did not take the connection of {alias!r}.")
        link.connection = connection
        connection.observer = self._observer(link)
        contract = message["request"].get("contract") or {}
        link.strict = bool(contract.get("strict"))
        timeout = float(message["request"]["settings"]["open_timeout"]) + OPEN_MARGIN_S
        deadline = asyncio.get_running_loop().time() + timeout
        while not link.opened:
            if link.final is not None:
                raise StepError(f"{alias!r} could not connect: {link.final.text}")
            if not await link.changed_within(deadline):
                raise StepError(f"{alias!r} did not connect within {timeout:g} s.")
        return True

    def _observer(self, link: Link) -> Any:
        limit = settings.SCENARIO_MAX_FRAMES

        def observe(record: Record, payload: str | bytes | None) -> None:
            if record.kind == "received":
                self.frames += 1
                if self.frames > limit:
                    self._aborted = (
                        f"The run received more than {limit:,} frames "
                        "(SCENARIO_MAX_FRAMES) and was stopped."
                    )
            link.feed(record, payload)

        return observe

    async def _send(self, step: Step, result: dict[str, Any]) -> bool:
        link = self._link(step)
        connection = link.connection
        spec = step.spec
        documented: str | None = None
        if "message" in spec:
            endpoint = step_endpoint = self._endpoint_of(step)
            messages = self.plan.messages.get(step_endpoint or 0, {})
            body_doc = messages.get(spec["message"])
            if endpoint is None or body_doc is None:
                raise StepError(f"The endpoint no longer documents {spec['message']!r}.")
            example = spec.get("example") or next(iter(body_doc.examples), None)
            if example not in body_doc.examples:
                raise StepError(f"{spec['message']!r} no longer has an example {example!r}.")
            fmt, body = body_doc.format, body_doc.examples[str(example)]
            documented = spec["message"]
        else:
            fmt, body = spec.get("format", "text"), spec["body"]
        try:
            if "{{" in body:
                text, masked = resolve_body(body, self.current, self.secrets)
            else:
                text = masked = body  # nothing to resolve: the common case, kept cheap
        except UnresolvedVariables as exc:
            names = ", ".join(sorted({item.name for item in exc.unresolved}))
            raise StepError(f"Unknown variable(s) in the body: {names}") from None
        try:
            payload = encode_body(fmt, text)
        except BodyFormatError as exc:
            raise StepError(f"The body is not valid {fmt} once resolved: {exc}") from None
        if connection is None or connection.ended:
            raise StepError(f"{step.alias!r} is not connected.")
        verdict: dict[str, Any] | None = None
        checked = False
        contract = connection.contract
        if contract is not None and isinstance(payload, str):
            found = (
                contract.check_as(documented, payload)
                if documented is not None and contract.documents("send")
                else contract.check("send", payload)
            )
            checked = True
            verdict = verdict_data(found, None) if found.check else None
            if link.strict and found.check == "invalid":
                problems = "; ".join(
                    f"{p.get('path') or '/'}: {p.get('reason')}" for p in found.problems[:3]
                )
                raise StepError(
                    f"The endpoint is strict and the body violates its schema: {problems}"
                )
        masked_info = None
        if masked != text:
            used = [v for k, v in self.current.items() if k in self.secrets and v and v in text]
            masked_info = {"text": masked, "format": fmt, "redact": secret_forms(used)}
        await connection.send(
            "text" if isinstance(payload, str) else "binary",
            payload,
            "",
            None,
            masked_info,
            verdict,
            checked,
        )
        return True

    async def _emit(self, step: Step, result: dict[str, Any]) -> bool:
        link = self._link(step)
        connection = link.connection
        spec = step.spec
        if "message" in spec:
            messages = self.plan.messages.get(self._endpoint_of(step) or 0, {})
            documented = messages.get(spec["message"])
            if documented is None:
                raise StepError(f"The endpoint no longer documents {spec['message']!r}.")
            example = spec.get("example") or next(iter(documented.examples), None)
            if example is not None and example not in documented.examples:
                raise StepError(f"{spec['message']!r} no longer has an example {example!r}.")
            event = documented.event or spec["message"]
            written = documented.examples[str(example)] if example is not None else "[]"
        else:
            event, written = spec["event"], json.dumps(spec.get("args", []), ensure_ascii=False)
        try:
            text, masked = resolve_body(written, self.current, self.secrets)
        except UnresolvedVariables as exc:
            names = ", ".join(sorted({item.name for item in exc.unresolved}))
            raise StepError(f"Unknown variable(s) in the arguments: {names}") from None
        problem = None
        try:
            arguments = json.loads(text)
        except ValueError as exc:
            problem = f"not JSON once resolved: {exc}"
        else:
            problem = arguments_problem(arguments)
        if problem:
            raise StepError(f"Unusable arguments: {problem}")
        if connection is None or connection.ended or connection.sio is None:
            raise StepError(f"{step.alias!r} is not a connected Socket.IO connection.")
        command: dict[str, Any] = {
            "event": event,
            "args": arguments,
            "namespace": spec.get("namespace"),
            "ack": bool(spec.get("ack")),
            "ack_timeout": step.timeout_ms / 1000,
        }
        if masked != text:
            used = [v for k, v in self.current.items() if k in self.secrets and v and v in text]
            command["masked"] = {"redact": secret_forms(used)}
        before = link.last_emit
        await connection.sio.emit(command, "", None)
        if link.last_emit == before or link.last_emit is None:
            raise StepError(
                f"{step.alias!r} could not emit {event!r} (is its namespace connected?)"
            )
        if not spec.get("ack") or spec.get("wait_ack") is False:
            return True  # an ack that comes is a frame for the expect steps
        return await self._ack(step, link, link.last_emit, result)

    async def _ack(self, step: Step, link: Link, seq: int, result: dict[str, Any]) -> bool:
        """Wait for the ack of the emit ``seq``: the relay's ack timeout (the step's) ends
        the wait with its error record."""
        deadline = asyncio.get_running_loop().time() + step.timeout_ms / 1000 + OPEN_MARGIN_S
        while seq not in link.acks:
            if link.final is not None:
                result["message"] = f"The connection closed before the ack ({link.final.text})."
                return False
            if not await link.changed_within(deadline):
                break
        record = link.acks.get(seq)
        if record is None or record.kind != "received":
            result["message"] = f"No acknowledgement within {step.timeout_ms:,} ms."
            return False
        link.forget(record)
        result["frame"] = frame_data(link.alias, record)
        self.matched[step.index] = (link, record, None)
        return True

    def _endpoint_of(self, step: Step) -> int | None:
        """The endpoint the step's alias is connected to in this iteration."""
        for earlier in reversed(self.steps[: step.index]):
            if earlier.kind == "connect" and earlier.alias == step.alias:
                return earlier.endpoint
        return None

    async def _expect(self, step: Step, result: dict[str, Any]) -> bool:
        link = self._link(step)
        spec = step.spec
        negative = bool(spec.get("none"))
        mode = spec.get("mode", "next")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + step.timeout_ms / 1000
        seen: list[Record] = []
        last: list[Outcome] = []

        def satisfied(record: Record) -> list[Outcome]:
            frame = frame_of(record, link.payload(record))
            return [a.evaluate(frame, self.resolve_value) for a in step.assertions]

        offset = 0  # the negative form looks without consuming
        while True:
            self._check_aborted()
            pending = link.pending()
            while (offset if negative else 0) < len(pending):
                if negative:
                    record = pending[offset]
                    offset += 1
                else:
                    record = link.take()
                    pending = link.pending()
                seen = [*seen, record][-FRAMES_SHOWN:]
                outcomes = satisfied(record)
                last = outcomes
                if all(outcome.passed for outcome in outcomes):
                    if negative:
                        result["frame"] = frame_data(link.alias, record)
                        result["assertions"] = [outcome_data(o, link.masker) for o in outcomes]
                        result["message"] = "A frame matched within the timeout."
                        return False
                    result["frame"] = frame_data(link.alias, record)
                    result["assertions"] = [outcome_data(o, link.masker) for o in outcomes]
                    self.matched[step.index] = (link, record, link.payload(record))
                    return True
                if not negative and mode == "next":
                    result["frame"] = frame_data(link.alias, record)
                    result["assertions"] = [outcome_data(o, link.masker) for o in outcomes]
                    failed = next(o for o in outcomes if not o.passed)
                    result["message"] = failure_line(failed, link.masker)
                    return False
            if link.final is not None:
                if negative:
                    return True
                result["frames_seen"] = [frame_data(link.alias, r) for r in seen]
                result["assertions"] = [outcome_data(o, link.masker) for o in last]
                result["message"] = (
                    f"The connection closed before a matching frame ({link.final.text})."
                )
                return False
            if not await link.changed_within(deadline):
                break
        if negative:
            return True
        result["frames_seen"] = [frame_data(link.alias, r) for r in seen]
        result["assertions"] = [outcome_data(o, link.masker) for o in last]
        if seen and last:
            missed = next((o for o in last if not o.passed), None)
            detail = f"; the last frame: {failure_line(missed, link.masker)}" if missed else ""
        else:
            detail = "; no frame arrived"
        result["message"] = f"No matching frame within {step.timeout_ms:,} ms{detail}."
        return False

    async def _extract(self, step: Step, result: dict[str, Any]) -> bool:
        source = step.source_step
        found = self.matched.get(source) if source is not None else None
        if found is None:
            raise StepError(f"Step {source} matched no frame to extract from.")
        link, record, payload = found
        frame = frame_of(record, payload)
        values: dict[str, str] = {}
        for extraction in step.extractions:
            taken = extraction.apply(frame)
            if taken.value is None:
                result["extracted"] = values
                result["message"] = f"{taken.variable}: {taken.reason}"
                return False
            values[taken.variable] = taken.value
        self.extracted.update(values)
        masker = link.masker
        result["extracted"] = {
            name: "••••" if name in self.secrets else (masker.text(value) if masker else value)
            for name, value in values.items()
        }
        return True

    async def _wait(self, step: Step, result: dict[str, Any]) -> bool:
        await asyncio.sleep(step.timeout_ms / 1000)
        self._check_aborted()
        return True

    async def _disconnect(self, step: Step, result: dict[str, Any]) -> bool:
        link = self._link(step)
        connection = link.connection
        if connection is not None and link.final is None:
            await connection.close(
                by=ClosedBy.CLIENT,
                code=int(step.spec.get("code", 1000)),
                reason=str(step.spec.get("reason", "")),
            )
            deadline = asyncio.get_running_loop().time() + 10
            while link.final is None and await link.changed_within(deadline):
                pass
        assert step.alias is not None
        del self.links[step.alias]
        return True

    async def _expect_close(self, step: Step, result: dict[str, Any]) -> bool:
        link = self._link(step)
        deadline = asyncio.get_running_loop().time() + step.timeout_ms / 1000
        while link.final is None:
            if not await link.changed_within(deadline):
                result["message"] = f"The connection stayed open for {step.timeout_ms:,} ms."
                return False
        assert step.alias is not None
        del self.links[step.alias]
        info = link.final.info or {}
        actual = {
            "code": info.get("code"),
            "by": CLOSED_BY.get(str(info.get("by")), info.get("by")),
        }
        result["actual"] = actual
        if link.final.kind != "closed":
            result["message"] = f"The connection failed: {link.final.text}"
            return False
        expected_code, expected_by = step.spec.get("code"), step.spec.get("by")
        if expected_code is not None and actual["code"] != expected_code:
            result["message"] = f"Closed with {actual['code']}, expected {expected_code}."
            return False
        if expected_by is not None and actual["by"] != expected_by:
            result["message"] = f"Closed by the {actual['by']}, expected the {expected_by}."
            return False
        return True
