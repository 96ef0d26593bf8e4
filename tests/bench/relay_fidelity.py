"""The relay benchmark's timing-fidelity case (issue 21): do the log's times tell the truth?

Users read latency from the log: a received entry's time minus the time of the sent entry it
answers. An upstream of its own (a second ``--serve upstream`` process) answers ``delayed ...``
messages after 5 ms. In (d1) and (d2), a session sends ROUNDS of them one after another, and at
the same time a direct ``websockets`` client in a process of its own measures its round trips
to the same upstream. The two p50s must agree within TOLERANCE_MS — once with the deployment
otherwise idle, once while another session of it takes a flood (from the main upstream, so
the delayed upstream itself is not the busy one).
"""

from __future__ import annotations

import asyncio
import datetime
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

DELAY_SECONDS = 0.005
TOLERANCE_MS = 0.2
FLOOD_CHUNK = 5_000  # frames per flood request while the fidelity rounds run


async def direct_client(url: str, rounds: int) -> None:
    """``--serve direct``: the reference round trips, printed as ``p50 <ms>``."""
    from websockets.asyncio.client import connect

    samples: list[float] = []
    async with connect(url, compression=None, ping_interval=None) as ws:
        for n in range(rounds):
            body = f"delayed direct-{n}"
            started = time.perf_counter()
            await ws.send(body)
            if await ws.recv() != body:
                raise SystemExit("the delayed upstream answered something else")
            samples.append((time.perf_counter() - started) * 1000)
    print(f"p50 {statistics.median(samples):.4f}", flush=True)


def _parse(value: Any) -> datetime.datetime:
    if isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(str(value))


def logged_p50_ms(store: Any, session_id: int, prefix: str) -> tuple[float, int]:
    """p50 of received minus sent time of the session's ``prefix...`` messages (ms), and how
    many pairs were found."""
    from tests.bench.bench_relay import EVENT_TABLE

    rows = store.query(
        f"SELECT kind, text, created_at FROM {EVENT_TABLE} WHERE session_id = %s "
        "AND kind IN ('sent', 'received') AND text LIKE %s",
        [session_id, prefix + "%"],
    )
    sent: dict[str, datetime.datetime] = {}
    received: dict[str, datetime.datetime] = {}
    for kind, text, created in rows:
        (sent if kind == "sent" else received)[text] = _parse(created)
    gaps = [
        (received[text] - at).total_seconds() * 1000
        for text, at in sent.items()
        if text in received
    ]
    return (statistics.median(gaps) if gaps else float("nan")), len(gaps)


async def measure_fidelity(
    run: Any,
    deployments: dict[str, Any],
    rounds: int,
    fidelity_url: str,
    blocking: Callable[..., Any],
) -> dict[str, dict[str, float]]:
    from tests.bench.bench_relay import Child, Rest, SessionPath, bench_command

    results: dict[str, dict[str, float]] = {}
    for key, deployment in deployments.items():
        rest = Rest(deployment.port, deployment.data)
        fidelity_id = deployment.data["fidelity_session"]
        flood_id = deployment.data["flood_session"]
        status, body = await blocking(
            rest.call,
            "PATCH",
            f"/api/v1/sessions/{fidelity_id}/",
            rest.tokens[fidelity_id],
            {"url": fidelity_url},
        )
        if status != 200:
            raise RuntimeError(f"({key}) the fidelity session's URL: {status} {body}")
        for session_id in (fidelity_id, flood_id):
            await blocking(rest.connect, session_id, True)
        paths = {
            name: SessionPath(
                f"{key}{name}",
                f"({key}) {name}",
                f"ws://127.0.0.1:{deployment.port}/ws/sessions/{session_id}/?after=0",
                headers={"Authorization": f"Bearer {rest.tokens[session_id]}"},
                store=deployment.store,
                session_id=session_id,
            )
            for name, session_id in (("fidelity", fidelity_id), ("flood", flood_id))
        }
        for path in paths.values():
            await path.open()
        try:
            for phase in ("idle", "flood"):
                stop = asyncio.Event()
                flooding = (
                    asyncio.create_task(_flood_until(paths["flood"], stop))
                    if phase == "flood"
                    else None
                )
                direct = Child(
                    f"{key}-direct-{phase}",
                    bench_command(
                        "--serve", "direct", "--upstream", fidelity_url, "--sessions", str(rounds)
                    ),
                    dict(os.environ),
                    run.logs,
                )
                run.start(direct)
                prefix = f"delayed {key}-{phase}-"
                async with asyncio.timeout(max(60.0, rounds * 0.1)):
                    for n in range(rounds):
                        await paths["fidelity"].rtt(f"{prefix}{n}")
                    line = await blocking(direct.wait_line, "p50", 120)
                stop.set()
                if flooding is not None:
                    await flooding
                run.stop(direct)
                log_p50, pairs = await blocking(
                    logged_p50_ms, deployment.store, fidelity_id, prefix
                )
                if pairs != rounds:
                    raise RuntimeError(f"({key}) {phase}: {pairs} of {rounds} pairs stored")
                results[f"{key} {phase}"] = {
                    "log_p50": log_p50,
                    "direct_p50": float(line.split()[1]),
                }
                print(
                    f"  ({key}) 5 ms upstream, {phase}: log p50 {log_p50:.3f} ms, direct "
                    f"client p50 {float(line.split()[1]):.3f} ms",
                    flush=True,
                )
        finally:
            for path in paths.values():
                await path.ws.close()
    return results


async def _flood_until(path: Any, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await path.flood(FLOOD_CHUNK)


def report_lines(results: dict[str, dict[str, float]]) -> tuple[list[str], list[tuple[str, bool]]]:
    lines, checks = [], []
    for name, figures in results.items():
        gap = figures["log_p50"] - figures["direct_p50"]
        lines.append(
            f"({name}) timing fidelity: log {figures['log_p50']:.3f} ms, direct "
            f"{figures['direct_p50']:.3f} ms, difference {gap:+.3f} ms"
        )
        checks.append(
            (
                f"({name}) the log's round trip is within {TOLERANCE_MS} ms of a direct "
                f"client's ({gap:+.3f} ms)",
                abs(gap) <= TOLERANCE_MS,
            )
        )
    return lines, checks


if __name__ == "__main__":
    sys.exit("run it as part of `python -m tests.bench relay`")
