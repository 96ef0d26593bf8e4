"""Scenario runs benchmark (issue 15), two cases, each against a baseline measured in the same
run on the same machine:

- **round trips**: a scenario of N send -> expect pairs (1,000 by default) against a local echo
  upstream, executed by the runner in a relay (its real path: a debug session claimed for the
  relay, every frame logged to PostgreSQL through the batch writer, checked by the expect
  step's assertion), against a bare ``websockets`` client doing the same sends and checks.
  Target: the run takes <= 3x the bare client (connect to close, best of --rounds each).
- **suite**: S scenarios (50) that each wait about one second on their upstream (a send
  answered after --delay-ms), run as one suite with parallelism P (10). The ideal is
  ceil(S / P) waves of the slowest single scenario, measured alone in the same run. Target:
  the suite finishes within 1.5x the ideal (runs do not serialise behind each other).

    python -m tests.bench scenarios [--round-trips N] [--rounds N] [--scenarios S]
        [--parallelism P] [--delay-ms MS] [--db-name NAME] [--keep-db]

Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any

from tests.bench.bench_workspace import add_database_args, configure_django, fresh_database

DEFAULT_DB_NAME = "bench_switchboard_scenarios"
MAX_ROUND_TRIP_RATIO = 3.0
MAX_SUITE_RATIO = 1.5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench scenarios",
        description="Scenario runs against a bare websockets client, and a parallel suite.",
    )
    parser.add_argument("--round-trips", type=int, default=1000, help="send->expect pairs (1000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each, best kept (3)")
    parser.add_argument("--scenarios", type=int, default=50, help="scenarios in the suite (50)")
    parser.add_argument("--parallelism", type=int, default=10, help="suite parallelism (10)")
    parser.add_argument(
        "--delay-ms", type=int, default=1000, help="upstream answer delay in the suite (1000)"
    )
    add_database_args(
        parser, db_name=os.environ.get("BENCH_SCENARIOS_DATABASE_NAME", DEFAULT_DB_NAME), seed=1
    )
    return parser.parse_args(argv)


class Loop:
    """An event loop in a thread (the relay's, or the upstream's)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 600) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def start_upstream() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.bench.scenario_peers", "upstream"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("port "):
        process.kill()
        raise SystemExit(f"the upstream did not start: {line!r}")
    return process, int(line.split()[1])


def bare_client(url: str, count: int) -> float:
    """The baseline, as a client script of its own: its own measure of the round trips."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.scenario_peers", "client", url, str(count)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return float(done.stdout.strip())


def round_trip_steps(url: str, count: int) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = [{"kind": "connect", "alias": "e", "url": url}]
    for index in range(count):
        steps.append({"kind": "send", "alias": "e", "body": f"ping {index}"})
        steps.append(
            {
                "kind": "expect",
                "alias": "e",
                "assertions": [{"kind": "text", "op": "equals", "value": f"ping {index}"}],
            }
        )
    steps.append({"kind": "disconnect", "alias": "e"})
    return steps


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = configure_django(args.db_name)
    from django.conf import settings

    # The upstream is on loopback, which the egress policy denies outside tests.
    settings.UPSTREAM_ALLOW_CIDRS = ["127.0.0.0/8"]
    settings.UPSTREAM_DENY_CIDRS = []
    settings.RELAY_EMBEDDED = False
    with fresh_database(server, args):
        return _bench(args)


def _bench(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model

    from endpoints.projects.services import project_create
    from scenarios.models import Run, Scenario, SuiteRun
    from scenarios.runner import RunExecutor, suite_command
    from scenarios.services import scenario_create
    from sessions.models import Event
    from sessions.relay.server import Relay

    user = get_user_model().objects.create_user("bench", password="x")
    project = project_create(actor=user, name="Bench")
    # The upstream and the bare client are processes of their own (a real upstream and a
    # client script are); the relay runs on a loop in a thread, as in the embedded server.
    relay_loop = Loop()
    upstream, port = start_upstream()
    base = f"ws://127.0.0.1:{port}/"
    relay = Relay(mode="embedded")
    relay_loop.run(relay.start())
    missed = []
    try:
        # --- round trips ---------------------------------------------------------------
        scenario = scenario_create(
            project=project,
            actor=user,
            name="Round trips",
            steps=round_trip_steps(base + "echo", args.round_trips),
        )
        bare_client(base + "echo", 50)  # warm-up
        bare, runs = [], []
        for _ in range(args.rounds):
            bare.append(bare_client(base + "echo", args.round_trips))
            run = _queued_run(Run, scenario, user)
            started = time.perf_counter()
            status = relay_loop.run(RunExecutor(relay, run.pk).execute())
            runs.append(time.perf_counter() - started)
            if status != "passed":
                print(f"the run ended {status}: {Run.objects.get(pk=run.pk).error}")
                return 1
        stored = Event.objects.filter(kind__in=("sent", "received")).count()
        want = 2 * args.round_trips * args.rounds
        ratio = min(runs) / min(bare)
        print(
            f"round trips: {args.round_trips} send->expect pairs, best of {args.rounds}: "
            f"bare websockets client {min(bare) * 1000:.0f} ms "
            f"({min(bare) / args.round_trips * 1e6:.0f} µs a pair), scenario run "
            f"{min(runs) * 1000:.0f} ms ({min(runs) / args.round_trips * 1e6:.0f} µs a pair); "
            f"ratio {ratio:.2f}x (target <= {MAX_ROUND_TRIP_RATIO:g}x); frames stored "
            f"{stored}/{want}"
        )
        if ratio > MAX_ROUND_TRIP_RATIO:
            missed.append(f"round trips {ratio:.2f}x > {MAX_ROUND_TRIP_RATIO:g}x")
        if stored != want:
            missed.append(f"stored {stored} of {want} frames")

        # --- suite ---------------------------------------------------------------------
        slow = [
            {"kind": "connect", "alias": "s", "url": base + f"slow?ms={args.delay_ms}"},
            {"kind": "send", "alias": "s", "body": "wait for me"},
            {
                "kind": "expect",
                "alias": "s",
                "timeout_ms": args.delay_ms + 10_000,
                "assertions": [{"kind": "text", "op": "equals", "value": "wait for me"}],
            },
        ]
        suite_scenarios = [
            scenario_create(project=project, actor=user, name=f"Slow {n}", steps=slow)
            for n in range(args.scenarios)
        ]
        alone = []
        for _ in range(2):
            run = _queued_run(Run, suite_scenarios[0], user)
            started = time.perf_counter()
            relay_loop.run(RunExecutor(relay, run.pk).execute())
            alone.append(time.perf_counter() - started)
        slowest = max(alone)
        waves = math.ceil(args.scenarios / args.parallelism)
        ideal = waves * slowest
        suite = SuiteRun.objects.create(
            project=project, started_by=user, parallelism=args.parallelism
        )
        for position, item in enumerate(suite_scenarios):
            _queued_run(Run, item, user, suite=suite, position=position)
        started = time.perf_counter()
        relay_loop.run(suite_command(relay, {"suite": suite.pk}))
        took = time.perf_counter() - started
        suite.refresh_from_db()
        suite_ratio = took / ideal
        print(
            f"suite: {args.scenarios} scenarios of ~{args.delay_ms} ms, parallelism "
            f"{args.parallelism}: {took:.2f} s; one alone {slowest:.2f} s (slowest of 2), ideal "
            f"{waves} waves = {ideal:.2f} s; ratio {suite_ratio:.2f}x (target <= "
            f"{MAX_SUITE_RATIO:g}x); suite {suite.status}"
        )
        if suite_ratio > MAX_SUITE_RATIO:
            missed.append(f"suite {suite_ratio:.2f}x > {MAX_SUITE_RATIO:g}x")
        if suite.status != "passed":
            missed.append(f"the suite ended {suite.status}")
    finally:

        async def stop() -> None:
            await relay.shutdown()

        relay_loop.run(stop())
        upstream.kill()
        upstream.wait(5)
        relay_loop.stop()
    del Scenario
    print("result: " + ("all targets met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if missed else 0


def _queued_run(model: Any, scenario: Any, user: Any, **extra: Any) -> Any:
    return model.objects.create(
        project=scenario.project,
        scenario=scenario,
        scenario_name=scenario.name,
        scenario_version=scenario.version,
        steps=scenario.steps,
        scenario_variables=scenario.variables,
        data_table=scenario.data_table,
        started_by=user,
        **extra,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
