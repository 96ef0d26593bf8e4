"""The scaled deployment script (scripts/scaled.py) as the fault and load runs use it: one web
process and one relay worker on the local PostgreSQL and Redis, healthy, one debug session round
trip, and a clean stop that leaves no process and no database behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from scripts.scaled import Process, ScaledDeployment, smoke

pytestmark = pytest.mark.slow


def test_start_round_trip_stop() -> None:
    # Named after this run's test database, so parallel runs of the suite never share one.
    name = os.environ.get("TEST_DATABASE_NAME", "test_switchboard") + "_scaled"
    deployment = ScaledDeployment(
        webs=1,
        relays=1,
        db_name=name,
        redis_url=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1"),
        allow_loopback=True,
    )
    with deployment:
        status, health = deployment.healthz(0)
        assert status == 200
        assert health["database"] == "ok" and health["channel_layer"] == "ok"
        web, relay = deployment.web_processes[0], deployment.relay_processes[0]
        assert deployment.registered_relay_pids() == {relay.pid}
        result = smoke(deployment)
        assert result["sent_seq"] == 3 and result["events"] == 5
    # Stopped in order: the relay left the registry (SIGTERM, not a kill) and everything exited.
    assert web.popen.returncode is not None and relay.popen.returncode == 0
    assert "Relay" in relay.log_tail() and "stopped" in relay.log_tail()
    with psycopg.connect(deployment.server_url, autocommit=True) as conn:
        rows = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchall()
    assert rows == []


# Like a relay worker on the way out: its SIGTERM handler is gone (asyncio restores SIG_DFL when
# its loop closes) while it still has work to finish before it exits 0.
_SLOW_TO_EXIT = """
import signal, sys, time
def finish(*_):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    time.sleep(0.5)
    sys.exit(0)
signal.signal(signal.SIGTERM, finish)
print("ready", flush=True)
time.sleep(30)
"""


def test_a_process_is_sent_sigterm_once_however_often_it_is_stopped(tmp_path: Path) -> None:
    popen = subprocess.Popen(
        [sys.executable, "-c", _SLOW_TO_EXIT], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    assert popen.stdout is not None and popen.stdout.readline() == b"ready\n"
    process = Process("slow", popen, tmp_path / "slow.log")
    # ScaledDeployment.stop: every process of a group is asked first, then each is waited for.
    process.terminate()
    process.terminate()
    assert process.stop() == 0
    assert process.stop() == 0
    popen.stdout.close()
