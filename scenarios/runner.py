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
from typing import Any

from django.conf import settings

from scenarios import run_store
from scenarios.engine.steps import StepErrors, check_steps
from scenarios.models import RunStatus
from scenarios.run_steps import RunAborted, StepError, StepRunner
from sessions.models import ClosedBy
from sessions.relay.server import EXTRA_COMMANDS, Relay

logger = logging.getLogger("switchboard.scenarios")

RUN_START = "scenario.run"
SUITE_START = "scenario.suite"
PROGRESS_EVERY_S = 0.5  # how often a running run's steps are saved for watchers


class RunExecutor(StepRunner):
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
        except RunAborted as exc:
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
                name: DocumentedMessage(body.direction, tuple(body.examples), event=body.event)
                for name, body in messages.items()
            },
            self.plan.endpoint_protocols.get(endpoint, "websocket"),
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
        self.extracted = {}
        self.links = {}
        # expect step -> the frame that satisfied it, and its payload as it arrived
        self.matched = {}
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

    # --- limits and cleanup -----------------------------------------------------------

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


# --- commands the relay runs ----------------------------------------------------------------


async def _run_command(relay: Relay, message: Mapping[str, Any]) -> None:
    await RunExecutor(relay, int(message["run"])).execute()


async def suite_command(relay: Relay, message: Mapping[str, Any]) -> None:
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
    EXTRA_COMMANDS[SUITE_START] = suite_command
