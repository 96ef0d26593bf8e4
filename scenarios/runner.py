"""Scenario runs, executed inside a relay: each connect step opens a debug session held by
this relay, whose frames the run reads as the relay logs them (no network hop between the
run and its connections); sends go through the same connection objects the debug sessions
use, so everything a run does is in its sessions' logs.

The web process creates a Run (or a SuiteRun of several) and sends the relay a
``scenario.run`` (``scenario.suite``) command; ``register`` adds both to the relay.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.formats import BodyFormatError, encode_body
from endpoints.contracts.rules import NOT_JSON
from endpoints.environments.resolver import resolve_body, resolve_text
from endpoints.errors import UnresolvedVariables
from scenarios import run_store
from scenarios.engine.assertions import Frame, Outcome
from scenarios.engine.steps import Step, StepErrors, check_steps
from scenarios.models import RunStatus
from sessions.contracts import verdict_data
from sessions.masking import Masker, secret_forms
from sessions.models import ClosedBy
from sessions.relay.server import EXTRA_COMMANDS, Relay
from sessions.relay.store import Record
from sessions.relay.upstream import UpstreamConnection

logger = logging.getLogger("switchboard.scenarios")

RUN_START = "scenario.run"
SUITE_START = "scenario.suite"
FRAMES_SHOWN = 5  # frames a failed expect step keeps of what it saw
FRAME_TEXT_CHARS = 2000
FRAME_HEX_BYTES = 512
PROGRESS_EVERY_S = 0.5  # how often a running run's steps are saved for watchers
OPEN_MARGIN_S = 5.0
# Who closed, as a step names it: the upstream is the server under test.
CLOSED_BY: dict[str, str] = {
    ClosedBy.UPSTREAM: "server",
    ClosedBy.CLIENT: "client",
    ClosedBy.RELAY: "switchboard",
    ClosedBy.NETWORK: "network",
}


class StepError(Exception):
    """A step that could not be carried out (not an assertion that failed)."""


def frame_data(alias: str, record: Record) -> dict[str, Any]:
    """A logged frame as a run result shows it (cut to a few KiB)."""
    text = record.text
    data = record.data
    return {
        "alias": alias,
        "session": record.session_id,
        "seq": record.seq,
        "text": text[:FRAME_TEXT_CHARS] if text is not None else None,
        "hex": data[:FRAME_HEX_BYTES].hex(" ") if data is not None else None,
        "message": record.message or None,
        "contract": record.contract,
    }


def _frame(record: Record, payload: str | bytes | None = None) -> Frame:
    """The frame as assertions see it: the payload as it arrived when known (the record may
    hold it cut to the log's size cap, or with secrets masked)."""
    if payload is None:
        payload = record.text if record.text is not None else (record.data or b"")
    return Frame.of(
        payload,
        message=record.message or None,
        contract=record.contract,
        problems=record.problems or (),
    )


def _outcome_data(outcome: Outcome, masker: Masker | None = None) -> dict[str, Any]:
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

    def payload(self, record: Record) -> str | bytes | None:
        return self.payloads.get(id(record))

    @property
    def masker(self) -> Masker | None:
        return self.connection.masker if self.connection is not None else None

    def feed(self, record: Record, payload: str | bytes | None) -> None:
        kind = record.kind
        if kind == "received":
            self.frames.append(record)
            if payload is not None:
                self.payloads[id(record)] = payload
        elif kind == "open":
            self.opened = True
        if record.final:
            self.final = record
        self.changed.set()

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


class RunExecutor:
    """Executes one run: every iteration (data row), every step, in order."""

    def __init__(self, relay: Relay, run_id: int) -> None:
        self.relay = relay
        self.run_id = run_id
        self.iterations: list[dict[str, Any]] = []
        self.frames = 0
        self.saved_at = 0.0
        self.flush: asyncio.Task[None] | None = None

    async def execute(self) -> str:
        """Run it to the end; returns its final status. Never raises."""
        try:
            plan = await self.relay.db(run_store.run_begin, self.run_id, self.relay.pk)
        except Exception as exc:
            logger.exception("Run %s could not start", self.run_id)
            await self._finish(RunStatus.ERROR, f"The run could not start: {exc}")
            return RunStatus.ERROR
        if isinstance(plan, str):
            await self._finish(RunStatus.ERROR, plan)
            return RunStatus.ERROR
        self.plan = plan
        try:
            self.steps = check_steps(plan.steps, self._facts)
        except StepErrors as exc:
            await self._finish(RunStatus.ERROR, f"The scenario is no longer valid: {exc}")
            return RunStatus.ERROR
        limit = float(settings.SCENARIO_MAX_RUN_SECONDS)
        try:
            async with asyncio.timeout(limit):
                for index, row in enumerate(plan.rows):
                    await self._iteration(index, row)
        except TimeoutError:
            await self._finish(
                RunStatus.ERROR,
                f"The run took longer than {limit:g} s (SCENARIO_MAX_RUN_SECONDS) and was stopped.",
            )
            return RunStatus.ERROR
        except _RunAborted as exc:
            await self._finish(RunStatus.ERROR, str(exc))
            return RunStatus.ERROR
        except Exception as exc:
            logger.exception("Run %s crashed", self.run_id)
            await self._finish(RunStatus.ERROR, f"The run hit an internal error: {exc}")
            return RunStatus.ERROR
        statuses = {iteration["status"] for iteration in self.iterations}
        status = (
            RunStatus.ERROR
            if RunStatus.ERROR in statuses
            else RunStatus.FAILED
            if RunStatus.FAILED in statuses
            else RunStatus.PASSED
        )
        await self._finish(status, "")
        return status

    def _facts(self, endpoint: int) -> Any:
        from scenarios.engine.steps import DocumentedMessage, EndpointFacts

        if endpoint not in self.plan.endpoint_names:
            return None
        messages = self.plan.messages.get(endpoint, {})
        return EndpointFacts(
            self.plan.endpoint_names[endpoint],
            {
                name: DocumentedMessage(body.direction, tuple(body.examples))
                for name, body in messages.items()
            },
        )

    async def _finish(self, status: str, error: str) -> None:
        self._close_all()
        if self.flush is not None:
            self.flush.cancel()
        try:
            await self.relay.db(run_store.run_finish, self.run_id, status, error, self.iterations)
        except Exception:
            logger.exception("Run %s: its result could not be saved", self.run_id)

    # --- one iteration ----------------------------------------------------------------

    async def _iteration(self, index: int, row: dict[str, str] | None) -> None:
        plan = self.plan
        overrides = {**plan.base_variables, **plan.run_variables, **(row or {})}
        self.values, self.secrets = await self.relay.db(run_store.iteration_values, plan, overrides)
        self.overrides = overrides
        self.extracted: dict[str, str] = {}
        self.links: dict[str, Link] = {}
        # expect step -> the frame that satisfied it, and its payload as it arrived
        self.matched: dict[int, tuple[Link, Record, str | bytes | None]] = {}
        results = [
            {
                "index": step.index,
                "kind": step.kind,
                "title": step.title,
                "status": "skipped",
                "duration_ms": 0,
                "message": "",
            }
            for step in self.steps
        ]
        iteration: dict[str, Any] = {
            "index": index,
            "row": row,
            "status": RunStatus.RUNNING,
            "duration_ms": 0,
            "steps": results,
        }
        self.iterations.append(iteration)
        began = time.perf_counter()
        status = RunStatus.PASSED
        try:
            for step, result in zip(self.steps, results, strict=True):
                started = time.perf_counter()
                result["status"] = "running"
                await self._maybe_save()
                try:
                    passed = await self._step(step, result)
                except StepError as exc:
                    result["status"], result["message"] = "error", str(exc)
                    status = RunStatus.ERROR
                else:
                    result["status"] = "passed" if passed else "failed"
                    if not passed:
                        status = RunStatus.FAILED
                result["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
                await self._maybe_save()
                if status != RunStatus.PASSED:
                    break  # the steps after a failure are skipped
        finally:
            iteration["status"] = status
            iteration["duration_ms"] = round((time.perf_counter() - began) * 1000, 1)
            await self._close_iteration()

    async def _maybe_save(self) -> None:
        """Save the steps so far for whoever watches the run: at most every PROGRESS_EVERY_S,
        and a skipped save is made when that time is up (so a long step shows as running)."""
        since = time.monotonic() - self.saved_at
        if since >= PROGRESS_EVERY_S:
            await self._save()
        elif self.flush is None:
            self.flush = self.relay.spawn(self._save_later(PROGRESS_EVERY_S - since))

    async def _save_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self.flush = None
        await self._save()

    async def _save(self) -> None:
        self.saved_at = time.monotonic()
        # A copy: the steps change on this loop while the database thread writes them.
        snapshot = json.loads(json.dumps(self.iterations, default=str))
        await self.relay.db(run_store.run_progress, self.run_id, snapshot)

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
        link = Link(alias, session_id)
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
            frame = _frame(record, link.payload(record))
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
                        result["assertions"] = [_outcome_data(o, link.masker) for o in outcomes]
                        result["message"] = "A frame matched within the timeout."
                        return False
                    result["frame"] = frame_data(link.alias, record)
                    result["assertions"] = [_outcome_data(o, link.masker) for o in outcomes]
                    self.matched[step.index] = (link, record, link.payload(record))
                    return True
                if not negative and mode == "next":
                    result["frame"] = frame_data(link.alias, record)
                    result["assertions"] = [_outcome_data(o, link.masker) for o in outcomes]
                    failed = next(o for o in outcomes if not o.passed)
                    result["message"] = _failure_line(failed, link.masker)
                    return False
            if link.final is not None:
                if negative:
                    return True
                result["frames_seen"] = [frame_data(link.alias, r) for r in seen]
                result["assertions"] = [_outcome_data(o, link.masker) for o in last]
                result["message"] = (
                    f"The connection closed before a matching frame ({link.final.text})."
                )
                return False
            if not await link.changed_within(deadline):
                break
        if negative:
            return True
        result["frames_seen"] = [frame_data(link.alias, r) for r in seen]
        result["assertions"] = [_outcome_data(o, link.masker) for o in last]
        if seen and last:
            missed = next((o for o in last if not o.passed), None)
            detail = f"; the last frame: {_failure_line(missed, link.masker)}" if missed else ""
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
        frame = _frame(record, payload)
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

    # --- limits and cleanup -----------------------------------------------------------

    _aborted: str | None = None

    def _check_aborted(self) -> None:
        if self._aborted:
            raise _RunAborted(self._aborted)

    async def _close_iteration(self) -> None:
        """Close what the iteration left open, and wait (briefly) for the closes to be logged."""
        links = [link for link in self.links.values() if link.final is None]
        for link in links:
            if link.connection is not None:
                self.relay.spawn(
                    link.connection.close(by=ClosedBy.CLIENT, code=1000, reason="scenario ended")
                )
        deadline = asyncio.get_running_loop().time() + 5
        for link in links:
            while link.final is None and await link.changed_within(deadline):
                pass
        self.links = {}

    def _close_all(self) -> None:
        for link in getattr(self, "links", {}).values():
            if link.connection is not None and link.final is None:
                self.relay.spawn(
                    link.connection.close(by=ClosedBy.CLIENT, code=1000, reason="scenario ended")
                )


class _RunAborted(Exception):
    """A run limit was hit: the run ends ``error`` with this text."""


def _failure_line(outcome: Outcome | None, masker: Masker | None = None) -> str:
    if outcome is None:
        return ""
    line = f"{outcome.summary}: expected {_short(outcome.expected)}, got {_short(outcome.actual)}"
    line = f"{line} ({outcome.reason})" if outcome.reason else line
    return masker.text(line) if masker is not None else line


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


# --- commands the relay runs ----------------------------------------------------------------


async def _run_command(relay: Relay, message: Mapping[str, Any]) -> None:
    await RunExecutor(relay, int(message["run"])).execute()


async def _suite_command(relay: Relay, message: Mapping[str, Any]) -> None:
    suite_id = int(message["suite"])
    begun = await relay.db(run_store.suite_begin, suite_id, relay.pk)
    if begun is None:
        return
    run_ids, parallelism = begun
    gate = asyncio.Semaphore(max(1, parallelism))
    statuses: list[str] = []

    async def one(run_id: int) -> None:
        async with gate:
            statuses.append(await RunExecutor(relay, run_id).execute())

    await asyncio.gather(*(one(run_id) for run_id in run_ids))
    await relay.db(run_store.suite_finish, suite_id)


def register() -> None:
    """Add the run commands to every relay of this process."""
    EXTRA_COMMANDS[RUN_START] = _run_command
    EXTRA_COMMANDS[SUITE_START] = _suite_command
