"""The relay benchmark's metrics case: what collecting Prometheus metrics costs (d2)'s flood.

(d2) runs as the scaled deployment does in production, with ``METRICS_TOKEN`` and
``PROMETHEUS_MULTIPROC_DIR`` set (every metric update a write to a memory-mapped file). The
case floods one session of its own through a relay worker started with ``METRICS_ENABLED=true``
and through one started with ``false``, alternating, a fresh worker each time (metrics are
switched per process); the best of ROUNDS each (the median is printed too). The relay worker is where the flood's metrics
are counted: the web process counts a socket once when it opens.
"""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Callable
from typing import Any

ROUNDS = 5
MAX_COST = 0.05  # on must keep at least 95 % of off's frames/s


async def measure_metrics(
    run: Any, deployment: Any, count: int, blocking: Callable[..., Any]
) -> dict[str, float]:
    from tests.bench.bench_relay import (
        Rest,
        SessionPath,
        cpu_seconds,
        restart_relay,
    )

    session_id = deployment.data["metrics_session"]
    path = SessionPath(
        "d2m",
        "(d2) metrics case",
        f"ws://127.0.0.1:{deployment.port}/ws/sessions/{session_id}/?after=0",
        headers={"Authorization": f"Bearer {deployment.data['tokens'][0]}"},
        store=deployment.store,
        session_id=session_id,
    )
    await path.open()
    rates: dict[str, list[float]] = {"on": [], "off": []}
    cpu: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for _ in range(ROUNDS):
            for key in ("on", "off"):
                deployment.env["METRICS_ENABLED"] = "true" if key == "on" else "false"
                await blocking(restart_relay, run, deployment)
                await blocking(Rest(deployment.port, deployment.data).connect, session_id, True)
                relay_pid = deployment.relay.pid
                before = cpu_seconds(relay_pid)
                async with asyncio.timeout(max(30.0, count / 1000)):
                    seconds = await path.flood(count)
                relay_us = (cpu_seconds(relay_pid) - before) / count * 1e6
                rates[key].append(count / seconds)
                cpu[key].append(relay_us)
                print(
                    f"  (d2) flood, metrics {key}: {count / seconds:,.0f} frames/s; relay CPU "
                    f"per frame {relay_us:.1f} µs",
                    flush=True,
                )
    finally:
        deployment.env["METRICS_ENABLED"] = "true"
        await path.ws.close()
    return {
        "on": max(rates["on"]),
        "off": max(rates["off"]),
        "median_on": statistics.median(rates["on"]),
        "median_off": statistics.median(rates["off"]),
        "relay_us_on": min(cpu["on"]),
        "relay_us_off": min(cpu["off"]),
    }


def report_lines(figures: dict[str, float]) -> tuple[str, list[tuple[str, bool]]]:
    """The line the report prints, and its check."""
    ratio = figures["on"] / figures["off"]
    line = (
        f"(d2) metrics (multiprocess files): on {figures['on']:,.0f} frames/s, off "
        f"{figures['off']:,.0f} (on/off {ratio:.3f}; medians {figures['median_on']:,.0f} and "
        f"{figures['median_off']:,.0f}); relay CPU per frame "
        f"{figures['relay_us_on']:.1f} µs on, {figures['relay_us_off']:.1f} µs off"
    )
    check = (
        f"(d2) metrics cost {(1 - ratio) * 100:.1f} % of the flood rate, target <= "
        f"{MAX_COST * 100:g} %",
        ratio >= 1 - MAX_COST,
    )
    return line, [check]
