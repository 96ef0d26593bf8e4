"""Scaled mode: the relay in a separate `manage.py relay_worker` process, reached through Redis;
the web process (this test process) only talks to it over the channel layer."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from sessions.models import DebugSession, Relay
from tests.polling import wait_for
from tests.sessions.conftest import RelayThread

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "relay_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        # Read by a thread: select() on the pipe misses a line already in the stream's buffer
        # (two lines written at once), and the worker would then never seem ready.
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        try:
            self.wait_for_line("relay worker ready", 30)
        except BaseException:
            self.stop()  # never leave a worker behind holding the test database
            raise

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, text: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"worker never said {text!r}:\n{''.join(self.output)}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture
def worker_env(settings: Any) -> dict[str, str]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
        f"{db['NAME']}"
    )
    settings.RELAY_LOST_AFTER = 1.5
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "TEST_DATABASE_URL": database_url,
        "TEST_REDIS_URL": django_settings.REDIS_URL,
        "REDIS_URL": django_settings.REDIS_URL,
        # With REDIS_URL set loopback is denied by default; these tests' upstream is loopback.
        "UPSTREAM_DENY_CIDRS": "169.254.0.0/16,fd00:ec2::254/128",
        "RELAY_HEARTBEAT_INTERVAL": "0.3",
        "RELAY_LOST_AFTER": "1.5",
    }


@pytest.fixture
def worker(worker_env: dict[str, str]) -> Iterator[Worker]:
    started = Worker(worker_env)
    yield started
    started.stop()


def test_rest_calls_reach_the_upstream_through_the_worker(worker, team, sessions_for, ws_upstream):
    relay = Relay.objects.get()
    assert relay.mode == "worker" and relay.pid == worker.process.pid
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=ws_upstream.url("/echo"))
    opened = api.connect(session["id"]).json()
    assert opened["state"] == "open"
    assert opened["connection"]["relay"].endswith(f":{worker.process.pid} (worker)")
    answer = api.send(session["id"], format="text", body="via the worker")
    assert answer["seq"] == 3
    assert "via the worker" in ws_upstream.received_on("/echo")
    api.wait_events(session["id"], lambda ev: ev[-1]["kind"] == "received")

    # Graceful stop: the upstream is closed with 1001 and that is recorded.
    worker.process.send_signal(signal.SIGTERM)
    assert worker.process.wait(15) == 0
    events = api.events(session["id"])
    assert events[-1]["kind"] == "closed"
    assert events[-1]["info"]["code"] == 1001 and events[-1]["info"]["by"] == "relay"
    assert api.get(session["id"])["state"] == "closed"
    assert not Relay.objects.exists()


def test_killing_the_worker_marks_its_sessions_lost(worker, team, sessions_for, ws_upstream):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    other = RelayThread()  # another live relay, which reaps the dead one in the background
    try:
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(5)
        killed_at = time.monotonic()
        wait_for(
            lambda: DebugSession.objects.filter(pk=session["id"], state="lost").exists(),
            timeout=10,
        )
        # Within the documented bound: RELAY_LOST_AFTER + RELAY_HEARTBEAT_INTERVAL (+ slack).
        assert time.monotonic() - killed_at < 1.5 + 1.0 + 2.0
    finally:
        other.stop()
    detail = api.get(session["id"])
    assert detail["state"] == "lost"
    assert detail["connection"]["failure"]["kind"] == "lost"
    events = api.events(session["id"])
    assert events[-1]["kind"] == "error" and "no heartbeat" in events[-1]["text"]
    assert api.send(session["id"], status=409, format="text", body="x")["code"] == "not_connected"
    assert not Relay.objects.filter(pid=worker.process.pid).exists()
