"""Refusing a socket says why twice, under a real Daphne: an ``error`` message, then a close frame
whose code (core/ws.py ``CloseCode``) and reason say the same, on the session and
the project socket alike."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from accounts.tokens import token_create

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[list[Any], Any]:
    """The messages a socket got before its close, and the close frame it received."""
    messages: list[Any] = []
    async with connect(url, additional_headers=headers, open_timeout=10) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                messages.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert closed.value.rcvd is not None, "closed without a close frame"
    return messages, closed.value.rcvd


def test_both_sockets_refuse_with_a_message_a_code_and_a_reason(server: str, team: Any) -> None:
    base = server.replace("http://", "ws://", 1)
    _, outsider = token_create(user=team.outsider, name="refused")
    cases = [
        (f"/ws/sessions/{10**9}/", None, 4401, "not_authenticated"),
        (f"/ws/projects/{team.project.pk}/", None, 4401, "not_authenticated"),
        (f"/ws/projects/{team.project.pk}/", outsider, 4404, "not_found"),
        (f"/ws/sessions/{10**9}/", outsider, 4404, "not_found"),
        (f"/ws/projects/{team.project.pk}/?after=x", team_token(team), 4400, "validation_error"),
    ]
    for path, token, code, error in cases:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        messages, close = asyncio.run(refused(base + path, headers))
        assert [m["type"] for m in messages] == ["error"], (path, messages)
        assert messages[0]["code"] == error, (path, messages)
        assert close.code == code and close.reason == messages[0]["detail"], (path, close)


def team_token(team: Any) -> str:
    return token_create(user=team.admin, name="member")[1]
