"""A member's private current value stays theirs on the live socket: a real Daphne, real
sockets, the REST API as the workspace uses it.

Their own tabs hear that it changed (``own_events``, no value); another member's socket hears
nothing, not even a gap in the sequence numbers; no stored event holds a secret.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from accounts.tokens import token_create
from endpoints.models import ProjectEvent
from tests.browser import daphne_server
from tests.factories import make_var

pytestmark = pytest.mark.django_db(transaction=True)

MY_SECRET = "eve-private-current-value"
SHARED_SECRET = "shared-secret-initial-value"
NEW_SHARED_SECRET = "rotated-shared-secret-value"


def http(url: str, token: str, method: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read() or b"null")


class Socket:
    """A project socket that keeps every frame it received."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.frames: list[str] = []

    async def next_of(self, kind: str) -> dict[str, Any]:
        while True:
            frame = await asyncio.wait_for(self.connection.recv(), 20)
            self.frames.append(frame)
            message = json.loads(frame)
            if message["type"] == kind:
                return message


async def test_a_current_value_reaches_only_its_owner_and_is_never_stored(team, tmp_path: Path):
    import websockets

    project = team.project
    secret = await sync_to_async(make_var)(team, "apiKey", SHARED_SECRET, secret=True)
    tokens = {
        name: (await sync_to_async(token_create)(user=user, name="t"))[1]
        for name, user in (("eve", team.editor), ("vic", team.viewer), ("ada", team.admin))
    }
    redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
    with daphne_server(tmp_path, REDIS_URL=redis) as url:
        api = f"{url}/api/v1/projects/{project.pk}"
        ws = url.replace("http://", "ws://") + f"/ws/projects/{project.pk}/"

        def connect(name: str) -> Any:
            return websockets.connect(
                ws, additional_headers={"Authorization": f"Bearer {tokens[name]}"}, open_timeout=20
            )

        async with connect("eve") as eve_tab, connect("eve") as eve_other_tab, connect("vic") as v:
            eve, eve_other, vic = Socket(eve_tab), Socket(eve_other_tab), Socket(v)
            ready = await vic.next_of("ready")
            await eve.next_of("ready")
            await eve_other.next_of("ready")

            await asyncio.to_thread(
                http,
                f"{api}/variables/{secret.pk}/current/",
                tokens["eve"],
                "PUT",
                {"value": MY_SECRET},
            )
            for tab in (eve, eve_other):
                (event,) = (await tab.next_of("own_events"))["events"]
                assert event["kind"] == "current_value.changed" and event["set"] is True
                assert event["variable"] == {"id": secret.pk, "environment": None, "name": "apiKey"}
                assert "seq" not in event and event["actor"]["username"] == "eve"

            # The shared value changes: every member hears which variable, nobody its value.
            await asyncio.to_thread(
                http,
                f"{api}/variables/{secret.pk}/",
                tokens["ada"],
                "PATCH",
                {"initial_value": NEW_SHARED_SECRET},
            )
            await asyncio.to_thread(
                http, f"{api}/variables/{secret.pk}/current/", tokens["eve"], "DELETE"
            )
            (cleared,) = (await eve.next_of("own_events"))["events"]
            assert cleared["set"] is False
            await asyncio.to_thread(http, f"{api}/folders/", tokens["ada"], "POST", {"name": "F"})

            # vic's next events are the variable's and the folder's, numbered on from "ready".
            seen = (await vic.next_of("events"))["events"]
            while len(seen) < 2:
                seen += (await vic.next_of("events"))["events"]
            assert [e["kind"] for e in seen] == ["variable.updated", "folder.created"]
            assert [e["seq"] for e in seen] == [ready["last_seq"] + 1, ready["last_seq"] + 2]
            assert seen[0]["variable"]["secret"] is True
            vic_heard = "\n".join(vic.frames)
            assert "own_events" not in vic_heard and "current_value" not in vic_heard
            for value in (MY_SECRET, SHARED_SECRET, NEW_SHARED_SECRET):
                assert value not in vic_heard
                assert value not in "\n".join(eve.frames + eve_other.frames)

        polled = await asyncio.to_thread(http, f"{api}/events/?after=0", tokens["vic"], "GET")
    assert "current_value.changed" not in {e["kind"] for e in polled["events"]}
    stored = await sync_to_async(
        lambda: [json.dumps(d) for d in ProjectEvent.objects.values_list("data", flat=True)]
    )()
    assert stored and not any(
        value in row for row in stored for value in (MY_SECRET, SHARED_SECRET, NEW_SHARED_SECRET)
    )
    assert not await sync_to_async(
        ProjectEvent.objects.filter(kind="current_value.changed").exists
    )()
