"""The live WebSockets: a session's stream (replay, then live, no gap, no duplicate; sending)
and the built-in echo, through the real ASGI application and authentication."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessToken
from accounts.tokens import token_create
from config.asgi import application
from sessions.models import DebugSession
from sessions.services import TOUCH_RESOLUTION
from tests.sessions.conftest import SessionClient

pytestmark = pytest.mark.django_db(transaction=True)


def api_for(user: Any) -> SessionClient:
    client = APIClient()
    client.force_authenticate(user)
    return SessionClient(client)


async def bearer(user: Any) -> list[tuple[bytes, bytes]]:
    _, secret = await sync_to_async(token_create)(user=user, name="live")
    return [(b"authorization", f"Bearer {secret}".encode())]


async def open_stream(path: str, headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    hello = json.loads(await communicator.receive_from(timeout=10))
    assert hello["type"] == "session", hello
    return communicator


async def connected_session(user: Any, project_id: int, upstream: Any) -> tuple[SessionClient, int]:
    """A session of ``user`` on ``upstream``'s echo, connected (its log: connecting, open)."""
    api = api_for(user)
    session = await sync_to_async(api.create)(project=project_id, url=upstream.url("/echo"))
    await sync_to_async(api.connect)(session["id"])
    return api, session["id"]


async def live_viewer(user: Any, sid: int) -> WebsocketCommunicator:
    """A stream of session ``sid`` that has read the first two entries."""
    viewer = await open_stream(f"/ws/sessions/{sid}/", await bearer(user))
    await collect(viewer, until_seq=2)
    return viewer


async def collect(
    communicator: WebsocketCommunicator, until_seq: int, timeout: float = 20
) -> tuple[list[int], list[dict[str, Any]]]:
    """Sequence numbers of every event received until ``until_seq`` (and other messages)."""
    seqs: list[int] = []
    others: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while not seqs or seqs[-1] < until_seq:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"stopped at {seqs[-1:]} waiting for {until_seq}"
        message = json.loads(await communicator.receive_from(timeout=remaining))
        if message["type"] == "events":
            assert len(message["events"]) >= 1
            seqs.extend(e["seq"] for e in message["events"])
        else:
            others.append(message)
    return seqs, others


async def closed_with(communicator: WebsocketCommunicator) -> tuple[dict[str, Any], int]:
    error = json.loads(await communicator.receive_from(timeout=5))
    output = await communicator.receive_output(timeout=5)
    assert output["type"] == "websocket.close"
    return error, output["code"]


async def test_replay_then_live_without_gap_or_duplicate(relay, team):
    script = Path(__file__).with_name("upstream_process.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None  # stdout=PIPE
    try:
        port = int(await asyncio.to_thread(process.stdout.readline))
        api = api_for(team.editor)
        session = await sync_to_async(api.create)(
            project=team.project.pk, url=f"ws://127.0.0.1:{port}/stream"
        )
        sid = session["id"]
        await sync_to_async(api.connect)(sid)
        await sync_to_async(api.wait_events)(sid, lambda ev: len(ev) >= 300)
        headers = await bearer(team.editor)

        # Joins mid-stream: the stored part is replayed, then live batches follow.
        first = await open_stream(f"/ws/sessions/{sid}/?after=0", headers)
        seqs, _ = await collect(first, until_seq=1200)
        assert seqs == list(range(1, seqs[-1] + 1))
        await first.disconnect()

        # Comes back later from where it stopped: nothing lost while away, nothing twice.
        await asyncio.sleep(0.3)
        second = await open_stream(f"/ws/sessions/{sid}/?after={seqs[-1]}", headers)
        more, _ = await collect(second, until_seq=seqs[-1] + 1000)
        assert more == list(range(seqs[-1] + 1, more[-1] + 1))
        await second.disconnect()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(5)


async def test_sending_over_the_live_socket(relay, team, ws_upstream):
    _, sid = await connected_session(team.editor, team.project.pk, ws_upstream)
    viewer = await live_viewer(team.editor, sid)

    await viewer.send_to(
        json.dumps({"type": "send", "format": "json", "body": '{"x": 1}', "ref": 7})
    )
    await viewer.send_to(json.dumps({"type": "send", "format": "text", "body": "", "ref": "e"}))
    await viewer.send_to(json.dumps({"type": "send", "format": "hex", "body": "0g", "ref": "bad"}))
    await viewer.send_to(json.dumps({"type": "ping", "ref": 1}))
    await viewer.send_to("not json")
    events: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    while len(events) < 3 or len(others) < 5:
        message = json.loads(await viewer.receive_from(timeout=10))
        if message["type"] == "events":
            events.extend(message["events"])
        else:
            others.append(message)
    acks = {m["ref"]: m for m in others if m["type"] == "ack"}
    assert acks[7]["seq"] == 3 and acks["e"]["seq"] in (4, 5) and acks["e"]["size"] == 0
    errors = {m["ref"]: m for m in others if m["type"] == "error"}
    assert errors["bad"]["code"] == "validation_error" and "body" in errors["bad"]["fields"]
    assert errors[None]["code"] == "parse_error"
    assert any(m["type"] == "pong" for m in others)
    assert sorted(e["kind"] for e in events[:3]) == ["received", "sent", "sent"]
    assert [e["seq"] for e in events] == list(range(3, 3 + len(events)))
    sent_empty = next(e for e in events if e["kind"] == "sent" and e["size"] == 0)
    assert sent_empty["text"] == ""
    assert ws_upstream.received_on("/echo")[-2:] == ['{"x": 1}', ""]
    await viewer.disconnect()


async def test_stream_authentication_and_privacy(relay, team):
    api = api_for(team.viewer)
    session = await sync_to_async(api.create)(project=team.project.pk, url="ws://127.0.0.1:9/")
    path = f"/ws/sessions/{session['id']}/"

    anonymous = WebsocketCommunicator(application, path)
    assert (await anonymous.connect())[0]
    error, code = await closed_with(anonymous)
    assert code == 4401 and error["code"] == "not_authenticated"

    other = WebsocketCommunicator(application, path, headers=await bearer(team.admin))
    assert (await other.connect())[0]
    error, code = await closed_with(other)
    assert code == 4404 and error["code"] == "not_found"

    _, secret = await sync_to_async(token_create)(user=team.viewer, name="q")
    # The project socket's rule (core.query): digits only, no sign, space or underscore.
    for after in ("x", "-1", "%2B5", "%205", "1_0", "%D9%A3", "1" * 19):
        bad_after = WebsocketCommunicator(application, f"{path}?token={secret}&after={after}")
        assert (await bad_after.connect())[0]
        error, code = await closed_with(bad_after)
        assert (code, error["code"]) == (4400, "validation_error"), after

    owner = await open_stream(f"{path}?token={secret}", [])
    await owner.send_to(json.dumps({"type": "send", "body": "x", "ref": 1}))
    refused = json.loads(await owner.receive_from(timeout=5))
    assert refused["type"] == "error" and refused["code"] == "not_connected"
    await owner.disconnect()


async def test_login_cookie_from_this_origin(relay, team):
    client = APIClient()
    await sync_to_async(client.force_login)(team.viewer)
    api = api_for(team.viewer)
    session = await sync_to_async(api.create)(project=team.project.pk, url="ws://127.0.0.1:9/")
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    path = f"/ws/sessions/{session['id']}/"
    same = [
        (b"cookie", cookie),
        (b"origin", b"http://localhost:8000"),
        (b"host", b"localhost:8000"),
    ]
    viewer = await open_stream(path, same)
    await viewer.disconnect()
    foreign = [(b"cookie", cookie), (b"origin", b"https://evil.test"), (b"host", b"localhost:8000")]
    communicator = WebsocketCommunicator(application, path, headers=foreign)
    connected, _ = await communicator.connect()
    assert not connected


async def test_builtin_echo_needs_no_login():
    communicator = WebsocketCommunicator(application, "/ws/echo/", subprotocols=["chat", "x"])
    connected, subprotocol = await communicator.connect()
    assert connected and subprotocol == "chat"
    await communicator.send_to(text_data="héllo")
    assert await communicator.receive_from() == "héllo"
    await communicator.send_to(bytes_data=b"\x00\xff")
    assert (await communicator.receive_output())["bytes"] == b"\x00\xff"
    await communicator.disconnect()


async def test_a_viewer_opened_before_connecting_can_send_right_away(relay, team, ws_upstream):
    api = api_for(team.editor)
    session = await sync_to_async(api.create)(project=team.project.pk, url=ws_upstream.url("/echo"))
    viewer = await open_stream(f"/ws/sessions/{session['id']}/", await bearer(team.editor))
    await sync_to_async(api.connect)(session["id"])
    await viewer.send_to(json.dumps({"type": "send", "body": "right away", "ref": "now"}))
    while True:
        message = json.loads(await viewer.receive_from(timeout=10))
        if message["type"] in ("ack", "error"):
            break
    assert message["type"] == "ack" and message["ref"] == "now", message
    await viewer.disconnect()


@pytest.mark.parametrize("ending", ["token revoked", "user deactivated"])
async def test_a_stream_whose_token_no_longer_works_is_closed(relay, team, settings, ending):
    settings.SESSION_IDLE_TIMEOUT = 4  # the stream's beat: max(1 s, timeout / 4)
    api = api_for(team.viewer)
    session = await sync_to_async(api.create)(project=team.project.pk, url="ws://127.0.0.1:9/")
    communicator = await open_stream(f"/ws/sessions/{session['id']}/", await bearer(team.viewer))
    await asyncio.sleep(1.5)  # a beat passes while the token works: still open
    assert await communicator.receive_nothing(timeout=0.1)

    def end() -> None:
        if ending == "token revoked":
            AccessToken.objects.filter(user=team.viewer).delete()
        else:
            type(team.viewer).objects.filter(pk=team.viewer.pk).update(is_active=False)

    await sync_to_async(end)()
    error, code = await closed_with(communicator)
    assert code == 4401 and error["code"] == "not_authenticated"
    await communicator.disconnect()


async def test_a_watching_viewer_records_activity_through_the_service(relay, team, settings):
    settings.SESSION_IDLE_TIMEOUT = 4  # the stream's beat: max(1 s, timeout / 4)
    api = api_for(team.viewer)
    session = await sync_to_async(api.create)(project=team.project.pk, url="ws://127.0.0.1:9/")
    communicator = await open_stream(f"/ws/sessions/{session['id']}/", await bearer(team.viewer))

    def last_activity() -> Any:
        return DebugSession.objects.get(pk=session["id"]).last_activity_at

    def age(by: timedelta) -> None:
        DebugSession.objects.filter(pk=session["id"]).update(last_activity_at=timezone.now() - by)

    # Touched within TOUCH_RESOLUTION: a beat writes nothing (reads stay reads).
    recent = await sync_to_async(last_activity)()
    await asyncio.sleep(1.5)
    assert await sync_to_async(last_activity)() == recent
    # Older than that: the next beat records the viewer's activity.
    await sync_to_async(age)(TOUCH_RESOLUTION + timedelta(seconds=5))
    await asyncio.sleep(1.5)
    assert timezone.now() - await sync_to_async(last_activity)() < timedelta(seconds=3)
    await communicator.disconnect()
