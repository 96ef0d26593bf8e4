"""The scaled deployment script (scripts/scaled.py) as the fault and load runs use it: one web
process and one relay worker on the local PostgreSQL and Redis, healthy, one debug session round
trip, and a clean stop that leaves no process and no database behind."""

from __future__ import annotations

import os

import psycopg
import pytest

from scripts.scaled import ScaledDeployment, smoke

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
