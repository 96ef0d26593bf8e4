"""A request's id follows it into the relay: the relay's log lines for a connect or disconnect
carry the X-Request-ID of the request that asked for it, and the session's id."""

from __future__ import annotations

import json
import logging
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests import daphne
from tests.embedded import embedded_env, manage
from tests.polling import wait_for

API = "/api/v1/sessions/"


def relay_lines(caplog: Any, session_id: int) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == "switchboard.relay" and getattr(record, "session_id", None) == session_id
    ]


def request_ids(records: list[logging.LogRecord]) -> list[str | None]:
    return [getattr(record, "request_id", None) for record in records]


def test_a_connect_and_a_disconnect_are_logged_by_the_relay_with_their_request_ids(
    relay: Any, team: Any, sessions_for: Any, ws_upstream: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="switchboard.relay")
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=ws_upstream.url("/echo"))
    sid = session["id"]

    connected = api.client.post(
        f"{API}{sid}/connect/", {}, format="json", headers={"X-Request-ID": "connect-req-1"}
    )
    assert connected.status_code == 200, connected.json()
    assert connected["X-Request-ID"] == "connect-req-1"
    assert connected.json()["state"] == "open"

    lines = relay_lines(caplog, sid)
    connecting = [r for r in lines if "connecting session" in r.getMessage()]
    opened = [r for r in lines if r.getMessage() == f"Session {sid} connection 1 open"]
    assert connecting and opened, [r.getMessage() for r in lines]
    assert set(request_ids(connecting + opened)) == {"connect-req-1"}

    closed = api.client.post(
        f"{API}{sid}/disconnect/",
        {"code": 1000},
        format="json",
        headers={"X-Request-ID": "disconnect-req-2"},
    )
    assert closed.status_code == 200 and closed["X-Request-ID"] == "disconnect-req-2"
    closing = wait_for(
        lambda: [r for r in relay_lines(caplog, sid) if "closing session" in r.getMessage()]
    )
    assert request_ids(closing) == ["disconnect-req-2"]
    # The connection's own end is logged by the task the connect started: its request.
    ended = wait_for(
        lambda: [r for r in relay_lines(caplog, sid) if "closed by client" in r.getMessage()]
    )
    assert request_ids(ended) == ["connect-req-1"]
    # Lines of other requests carry theirs, never these.
    assert not [
        r
        for r in caplog.records
        if getattr(r, "request_id", None) in ("connect-req-1", "disconnect-req-2")
        and getattr(r, "session_id", None) not in (sid, None)
    ]


def test_a_connect_without_an_id_gets_one_the_relay_logs(
    relay: Any, team: Any, sessions_for: Any, ws_upstream: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="switchboard.relay")
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=ws_upstream.url("/echo"))
    connected = api.client.post(
        f"{API}{session['id']}/connect/", {}, format="json", headers={"X-Request-ID": "bad id!"}
    )
    assert connected.status_code == 200
    given = connected["X-Request-ID"]
    assert given != "bad id!" and len(given) == 32
    connecting = [
        r for r in relay_lines(caplog, session["id"]) if "connecting session" in r.getMessage()
    ]
    assert request_ids(connecting) == [given]


def test_json_lines_of_a_real_embedded_server_follow_a_connect_into_its_relay(
    tmp_path: Path, ws_upstream: Any
) -> None:
    """`make serve` with LOG_FORMAT=json: Daphne, the in-process relay and the in-memory layer."""
    env = embedded_env(tmp_path / "data", tmp_path / "static", LOG_FORMAT="json")
    manage(env, "migrate", "--noinput", "-v0")
    token = manage(env, "provision_user", "ops", "--token-name", "logs").strip()
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log_file:
        server, port = daphne.start(env=env, stderr=log_file)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        project = post(f"{base}/projects/", token, {"name": "Logs"})
        session = post(
            f"{base}/sessions/", token, {"project": project["id"], "url": ws_upstream.url("/echo")}
        )
        sid = session["id"]
        request = urllib.request.Request(
            f"{base}/sessions/{sid}/connect/",
            method="POST",
            data=b"{}",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "X-Request-ID": "json-connect-1",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.headers["X-Request-ID"] == "json-connect-1"
            assert json.loads(response.read())["state"] == "open"

        def lines() -> list[dict[str, Any]]:
            return [json.loads(line) for line in log_path.read_text().splitlines()]

        opened = wait_for(
            lambda: [
                line
                for line in lines()
                if line.get("message") == f"Session {sid} connection 1 open"
            ]
        )
    finally:
        daphne.stop(server)
    assert [(line["request_id"], line["session_id"]) for line in opened] == [
        ("json-connect-1", sid)
    ]
    connecting = [line for line in lines() if "connecting session" in line["message"]]
    assert [(line["logger"], line["request_id"]) for line in connecting] == [
        ("switchboard.relay", "json-connect-1")
    ]
    # Every line the server wrote is one JSON object (Daphne's own included).
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines())
    assert any(line["logger"].startswith("daphne") for line in lines())


def post(url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        method="POST",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())
