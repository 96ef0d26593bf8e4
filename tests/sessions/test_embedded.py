"""The embedded default (`make serve`): one Daphne process, SQLite, the in-memory channel layer
and the relay started inside the server on first use. Run for real, as a user would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests import daphne as daphne_server

ROOT = Path(__file__).resolve().parents[2]


def embedded_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "RELAY_EMBEDDED")
        and not key.startswith("UPSTREAM_")
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SWITCHBOARD_DATA_DIR=str(data_dir))
    return env


def call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except (urllib.error.URLError, ConnectionError):
        return False


def start_daphne(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    return daphne_server.start(env=env, stderr=subprocess.DEVNULL, ready=_healthy)


def stop(daphne: subprocess.Popen[bytes], signum: int) -> None:
    if daphne.poll() is None:
        daphne.send_signal(signum)
    try:
        daphne.wait(30)
    finally:
        if daphne.poll() is None:
            daphne.kill()
            daphne.wait(10)


@pytest.mark.slow
def test_embedded_server_relays_records_and_closes_with_1001_on_shutdown(tmp_path):
    env = embedded_env(tmp_path)
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    token = subprocess.run(
        [*manage, "provision_user", "bob"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    daphne, port = start_daphne(env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        status, project = call(base, token, "POST", "/projects/", {"name": "Embedded"})
        assert status == 201
        echo = f"ws://127.0.0.1:{port}/ws/echo/"
        status, session = call(
            base, token, "POST", "/sessions/", {"project": project["id"], "url": echo}
        )
        assert status == 201
        sid = session["id"]
        status, opened = call(base, token, "POST", f"/sessions/{sid}/connect/", {})
        assert status == 200 and opened["state"] == "open", opened
        assert opened["connection"]["relay"].endswith("(embedded)")
        for fmt, body in (("json", '{"hello": "wörld"}'), ("hex", "cafe"), ("text", "")):
            status, sent = call(
                base, token, "POST", f"/sessions/{sid}/messages/", {"format": fmt, "body": body}
            )
            assert status == 201, sent

        async def watch_and_send() -> list[dict[str, Any]]:
            headers = {"Authorization": f"Bearer {token}"}
            url = f"ws://127.0.0.1:{port}/ws/sessions/{sid}/"
            async with connect(url, additional_headers=headers) as ws:
                assert json.loads(await ws.recv())["type"] == "session"
                await ws.send(json.dumps({"type": "send", "format": "text", "body": "live"}))
                events: list[dict[str, Any]] = []
                while not any(e["kind"] == "received" and e["text"] == "live" for e in events):
                    message = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    events.extend(message.get("events", []))
                return events

        events = asyncio.run(watch_and_send())
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(1, len(seqs) + 1))
        received = [e for e in events if e["kind"] == "received"]
        assert received[0]["text"] == '{"hello": "wörld"}' and received[1]["base64"] == "yv4="
    finally:
        stop(daphne, signal.SIGTERM)
    with sqlite3.connect(tmp_path / "switchboard.sqlite3") as db:
        kind, info = db.execute(
            "SELECT kind, info FROM debug_sessions_event WHERE session_id = ? "
            "ORDER BY seq DESC LIMIT 1",
            (sid,),
        ).fetchone()
        (state,) = db.execute(
            "SELECT state FROM debug_sessions_debugsession WHERE id = ?", (sid,)
        ).fetchone()
    assert kind == "closed" and state == "closed"
    assert json.loads(info)["code"] == 1001 and json.loads(info)["by"] == "relay"

    # A server that dies without stopping: after a restart its sessions read as lost at once.
    daphne, port = start_daphne(env)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        echo = f"ws://127.0.0.1:{port}/ws/echo/"
        call(base, token, "PATCH", f"/sessions/{sid}/", {"url": echo})
        status, opened = call(base, token, "POST", f"/sessions/{sid}/connect/", {})
        assert status == 200 and opened["state"] == "open"
    finally:
        stop(daphne, signal.SIGKILL)
    daphne, port = start_daphne(env)
    try:
        status, after = call(f"http://127.0.0.1:{port}/api/v1", token, "GET", f"/sessions/{sid}/")
        assert status == 200 and after["state"] == "lost"
        assert after["connection"]["failure"]["kind"] == "lost"
    finally:
        stop(daphne, signal.SIGTERM)
