"""Metrics with several processes: two web processes and two relay workers share
PROMETHEUS_MULTIPROC_DIR, and a scrape of either web process adds up every process's values —
upstream connections held by both relays, frames they stored, echo sockets and HTTP requests of
the other web process. A relay killed with SIGKILL stops counting its connections once a
relay starts again on the same host; its sessions show as lost."""

from __future__ import annotations

import functools
import os
import signal
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scripts.scaled import Api, ScaledDeployment
from tests import polling

pytestmark = pytest.mark.slow

TOKEN = "scrape-me"
SESSIONS = 6
MESSAGES = 5


def scrape(deployment: ScaledDeployment, web: int) -> dict[str, float]:
    """Every sample as ``name{label=value,...}`` → value (labels sorted)."""
    import urllib.request

    request = urllib.request.Request(
        f"{deployment.web_urls[web]}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def total(samples: dict[str, float], name: str, *labels: str) -> float:
    return sum(
        value
        for key, value in samples.items()
        if key.startswith(name + "{") and all(label in key for label in labels)
    )


def open_connections(deployment: ScaledDeployment) -> dict[int, int]:
    """Open upstream connections by the pid of the relay that holds them."""
    rows = deployment.sql(
        "SELECT relay_name, count(*) FROM debug_sessions_connection "
        "WHERE opened_at IS NOT NULL AND ended_at IS NULL GROUP BY relay_name"
    )
    # relay_name is "host:pid (mode)"
    return {int(name.split(":")[1].split()[0]): count for name, count in rows}


def test_one_scrape_adds_up_every_process(tmp_path: Path) -> None:
    name = os.environ.get("TEST_DATABASE_NAME", "test_switchboard") + "_metrics"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    deployment = ScaledDeployment(
        webs=2,
        relays=2,
        db_name=name,
        redis_url=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1"),
        allow_loopback=True,
        env={
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "METRICS_TOKEN": TOKEN,
            "RELAY_HEARTBEAT_INTERVAL": "0.5",
            "RELAY_LOST_AFTER": "2",
        },
    )
    with deployment:
        token = deployment.provision("metrics")
        apis = [Api(url, token) for url in deployment.web_urls]
        project = apis[0].post("/api/v1/projects/", {"name": "Metrics"})["id"]
        echo = f"{deployment.ws_urls[0]}/ws/echo/"
        sessions: list[int] = []
        for n in range(SESSIONS):
            # REST calls alternate between the web processes; each connect lands on a relay.
            api = apis[n % 2]
            sid = api.post("/api/v1/sessions/", {"project": project, "url": echo})["id"]
            assert api.post(f"/api/v1/sessions/{sid}/connect/")["state"] == "open"
            sessions.append(sid)
        for sid in sessions:
            for m in range(MESSAGES):
                apis[m % 2].post(
                    f"/api/v1/sessions/{sid}/messages/", {"format": "text", "body": f"m{m}"}
                )

        def stored_echoes() -> bool:
            rows = deployment.sql(
                "SELECT count(*) FROM debug_sessions_event WHERE kind = 'received'"
            )
            return rows[0][0] == SESSIONS * MESSAGES

        polling.wait_for(stored_echoes, 20)
        by_relay = open_connections(deployment)
        assert sum(by_relay.values()) == SESSIONS

        def settled(web: int) -> dict[str, float] | None:
            samples = scrape(deployment, web)
            frames_in = total(samples, "switchboard_relay_frames_total", "direction=in")
            return samples if frames_in == SESSIONS * MESSAGES else None

        for web in (0, 1):
            samples = polling.wait_for(functools.partial(settled, web), 10)
            # The relays' values, in processes that serve no HTTP at all.
            assert total(samples, "switchboard_relay_upstream_connections") == SESSIONS
            assert (
                total(samples, "switchboard_relay_frames_total", "direction=out")
                == SESSIONS * MESSAGES
            )
            assert total(samples, "switchboard_relay_bytes_total", "direction=out") == (
                SESSIONS * MESSAGES * 2
            )
            assert total(samples, "switchboard_relay_batch_commit_seconds_count") >= 1
            # The echo sockets are all web process 0's; web process 1 reports them too.
            assert total(samples, "switchboard_websocket_consumers", "kind=echo") == SESSIONS
            # Sends went half to each web process: the sum is all of them.
            route = "route=/api/v1/sessions/<int:session_id>/messages/"
            assert (
                total(samples, "switchboard_http_requests_total", route, "status=201")
                == SESSIONS * MESSAGES
            )

        # A relay dies without a word: its sessions are lost; once a relay starts again on
        # this host, the dead one's connections no longer count.
        victim_pid, victim_count = max(by_relay.items(), key=lambda item: item[1])
        victim = next(p for p in deployment.relay_processes if p.pid == victim_pid)
        victim.kill(signal.SIGKILL)
        victim.popen.wait(10)
        deployment.relay_processes.remove(victim)

        def lost() -> bool:
            rows = deployment.sql(
                "SELECT count(*) FROM debug_sessions_debugsession WHERE state = 'lost'"
            )
            return rows[0][0] == victim_count

        polling.wait_for(lost, 20)
        deployment.start_relay()

        def counted_lost() -> dict[str, float] | None:
            samples = scrape(deployment, 1)
            done = total(samples, "switchboard_relay_sessions_lost_total") == victim_count
            return samples if done else None

        samples = polling.wait_for(counted_lost, 10)
        assert total(samples, "switchboard_relay_upstream_connections") == (SESSIONS - victim_count)
    # A clean stop takes every process's live gauges with it; counters stay.
    assert not list(metrics_dir.glob("gauge_livesum_*.db"))
    assert list(metrics_dir.glob("counter_*.db"))
