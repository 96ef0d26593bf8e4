"""Large sends on the live socket under a real Daphne: a body is measured by what it decodes to,
never by how long its JSON is (Base64 is a third longer, hex twice, a JSON-escaped text up to
six times), so whatever the REST call would send is sent, and whatever is too large is an
``error`` with ``message_too_large`` on an open socket, not a close."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
from django.conf import settings
from websockets.asyncio.client import ClientConnection, connect

from accounts.tokens import token_create
from tests.wire import http

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _call(port: int, token: str, path: str, body: dict[str, Any]) -> Any:
    reply = http(
        port,
        "POST",
        path,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body=json.dumps(body).encode(),
    )
    assert reply.status in (200, 201), (reply.status, reply.text[:500])
    return reply.json()


async def _answer(ws: ClientConnection, ref: str) -> dict[str, Any]:
    """The ack or error of the send ``ref`` (batches of events in between are skipped)."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if message.get("type") in ("ack", "error") and message.get("ref") == ref:
            return message


def test_viewer_sends_are_limited_by_decoded_size_not_by_their_json(
    server: str, team: Any, ws_upstream: Any
) -> None:
    port = int(server.rsplit(":", 1)[1])
    _, token = token_create(user=team.admin, name="live sizes")
    session = _call(
        port,
        token,
        "/api/v1/sessions/",
        {"project": team.project.pk, "url": ws_upstream.url("/echo", host="127.0.0.1")},
    )
    opened = _call(port, token, f"/api/v1/sessions/{session['id']}/connect/", {})
    assert opened["state"] == "open", opened
    limit = settings.SESSION_MAX_MESSAGE_SIZE
    # The example first: its Base64 is longer than the old limit of the whole message.
    fits = [
        ("base64", base64.b64encode(bytes(836_096)).decode(), 836_096),
        ("base64", base64.b64encode(b"\xff" * limit).decode(), limit),
        ("hex", (b"\xab" * limit).hex(), limit),
    ]
    too_large = [
        ("base64", base64.b64encode(bytes(limit + 1)).decode()),
        ("hex", bytes(limit + 1).hex()),
    ]

    acks: dict[str, dict[str, Any]] = {}

    async def scenario() -> None:
        url = f"ws://127.0.0.1:{port}/ws/sessions/{session['id']}/"
        headers = {"Authorization": f"Bearer {token}"}
        async with connect(url, additional_headers=headers, max_size=None) as ws:
            assert json.loads(await ws.recv())["type"] == "session"
            for index, (fmt, body, size) in enumerate(fits):
                ref = f"fits-{index}"
                await ws.send(json.dumps({"type": "send", "format": fmt, "body": body, "ref": ref}))
                answer = await _answer(ws, ref)
                assert answer["type"] == "ack" and answer["size"] == size, (fmt, answer)
                acks[ref] = answer
            # Text escaped as JSON may write each byte as \\u00XX: six times longer, still sent.
            escaped = {"type": "send", "format": "text", "body": "\x01" * limit, "ref": "escaped"}
            assert len(json.dumps(escaped)) > 6 * limit
            await ws.send(json.dumps(escaped))
            answer = await _answer(ws, "escaped")
            assert answer["type"] == "ack" and answer["size"] == limit, answer
            for index, (fmt, body) in enumerate(too_large):
                ref = f"too-large-{index}"
                await ws.send(json.dumps({"type": "send", "format": fmt, "body": body, "ref": ref}))
                answer = await _answer(ws, ref)
                assert answer["type"] == "error", answer
                assert answer["code"] == "message_too_large", answer
            await ws.send(json.dumps({"type": "ping", "ref": "still open"}))
            while (message := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != "pong":
                pass
            assert message["ref"] == "still open"

    asyncio.run(scenario())

    # The example through REST as well: sent, and stored, exactly as the socket's.
    fmt, body, size = fits[0]
    posted = _call(
        port, token, f"/api/v1/sessions/{session['id']}/messages/", {"format": fmt, "body": body}
    )
    by_socket = acks["fits-0"]
    assert posted["size"] == by_socket["size"] == size, (posted, by_socket)
    assert posted["seq"] != by_socket["seq"]
    stored = [
        http(
            port,
            "GET",
            f"/api/v1/sessions/{session['id']}/events/{seq}/?as=raw",
            headers={"Authorization": f"Bearer {token}"},
        )
        for seq in (by_socket["seq"], posted["seq"])
    ]
    assert [reply.status for reply in stored] == [200, 200]
    assert stored[0].body == stored[1].body == bytes(size)
