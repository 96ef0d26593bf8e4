"""A request's id follows it into the relay: the relay's log lines for a connect or disconnect
carry the X-Request-ID of the request that asked for it, and the session's id."""

from __future__ import annotations

import logging
from typing import Any

import pytest

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
