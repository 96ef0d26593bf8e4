"""Mock traffic watched live by members on a real Daphne: the traffic socket sends the recent
connections, then each connection as it opens and closes and its frames as they are stored;
outsiders and anonymous sockets are refused."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from accounts.tokens import token_create
from tests.conftest import Team
from tests.mocks.chat import make_chat
from tests.mocks.test_chat import mock_url, python_chat
from tests.test_ws_refuse import refused

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def traffic_url(server: str, team: Team, endpoint_id: int) -> str:
    base = server.replace("http://", "ws://", 1)
    return f"{base}/ws/projects/{team.project.pk}/endpoints/{endpoint_id}/mock/"


def test_members_watch_mock_traffic_live(server: str, team: Team) -> None:
    endpoint, key = make_chat(team)
    _, token = token_create(user=team.viewer, name="watch")

    async def watch() -> list[Any]:
        seen: list[Any] = []
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(
            traffic_url(server, team, endpoint.pk), additional_headers=headers
        ) as ws:
            seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            chat = asyncio.create_task(python_chat(mock_url(server, key)))
            while not any(
                m["type"] == "connection" and m["connection"]["close_code"] == 4000 for m in seen
            ):
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            await chat
        return seen

    seen = asyncio.run(watch())
    assert seen[0] == {"type": "traffic", "connections": [], "frames": []}
    connections = [m["connection"] for m in seen if m["type"] == "connection"]
    assert connections[0]["closed_at"] is None and connections[-1]["close_reason"] == "bye"
    frames = [f for m in seen if m["type"] == "frames" for f in m["frames"]]
    said = [f for f in frames if f["message"] == "said"]
    assert [json.loads(f["body"])["id"] for f in said] == [f"py-{n}" for n in range(1, 11)]
    assert frames[0]["message"] == "welcome" and frames[0]["direction"] == "out"


def test_outsiders_and_anonymous_sockets_are_refused(server: str, team: Team) -> None:
    endpoint, _ = make_chat(team)
    _, outsider = token_create(user=team.outsider, name="x")
    _, member = token_create(user=team.viewer, name="y")
    url = traffic_url(server, team, endpoint.pk)
    cases = [
        (url, None, 4401),
        (url, outsider, 4404),
        (traffic_url(server, team, 10**9), member, 4404),
    ]
    for target, token, code in cases:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        messages, close = asyncio.run(refused(target, headers))
        assert [m["type"] for m in messages] == ["error"]
        assert close.code == code


def test_scaled_any_web_process_serves_the_mock_and_its_traffic(team: Team, tmp_path: Any) -> None:
    """Two web processes on the Redis channel layer (the scaled deployment): a client talks to
    the mock through one while a member watches its traffic through the other."""
    import os

    from tests.browser import daphne_server

    redis = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    endpoint, key = make_chat(team)
    _, token = token_create(user=team.viewer, name="watch")
    with (
        daphne_server(tmp_path / "a", REDIS_URL=redis) as first,
        daphne_server(tmp_path / "b", REDIS_URL=redis) as second,
    ):

        async def watch() -> list[Any]:
            seen: list[Any] = []
            headers = {"Authorization": f"Bearer {token}"}
            url = traffic_url(first, team, endpoint.pk)
            async with connect(url, additional_headers=headers) as ws:
                seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
                messages, close = await python_chat(mock_url(second, key))
                assert close.code == 4000 and messages[0]["type"] == "welcome"
                while not any(
                    m["type"] == "connection" and m["connection"]["closed_at"] for m in seen
                ):
                    seen.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            return seen

        seen = asyncio.run(watch())
    frames = [f for m in seen if m["type"] == "frames" for f in m["frames"]]
    assert [json.loads(f["body"])["id"] for f in frames if f["message"] == "said"] == [
        f"py-{n}" for n in range(1, 11)
    ]
