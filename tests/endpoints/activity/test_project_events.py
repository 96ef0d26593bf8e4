"""Live project events over WS /ws/projects/{id}/: real sockets, real Redis channel layer.

In-process tests drive the whole ASGI application (auth middleware included) with Channels'
WebsocketCommunicator; the last test runs two real Daphne processes sharing Redis and the test
database, and shows an edit made through one reaching a socket held by the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection, connections, transaction
from django.db.models import F
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from websockets.typing import Origin

from accounts.models import AccessToken
from accounts.tokens import token_create
from config.asgi import application
from endpoints.models import Presence, Project, ProjectEvent, Revision, Role
from endpoints.projects.services import member_add, member_remove, project_delete
from endpoints.tree.services import endpoint_create, endpoint_update, folder_create, folder_update
from tests import daphne

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1:8000"


# --- helpers --------------------------------------------------------------------------------


def token_for(user: Any) -> str:
    return token_create(user=user, name="socket")[1]


def session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def project_socket(
    project_id: int,
    *,
    token: str | None = None,
    query: str = "",
    origin: str | None = None,
    cookie: str | None = None,
    bearer: str | None = None,
) -> WebsocketCommunicator:
    params = [p for p in (f"token={token}" if token else "", query) if p]
    path = f"/ws/projects/{project_id}/" + (f"?{'&'.join(params)}" if params else "")
    headers = [(b"host", HOST.encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    if bearer:
        headers.append((b"authorization", f"Bearer {bearer}".encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def open_socket(project_id: int, user: Any, query: str = "") -> WebsocketCommunicator:
    """A member's socket, connected, with everything up to "ready" consumed."""
    communicator = project_socket(
        project_id, token=await sync_to_async(token_for)(user), query=query
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    await next_message(communicator, "ready")
    return communicator


async def next_message(
    communicator: WebsocketCommunicator, kind: str, timeout: float = 5
) -> dict[str, Any]:
    """The next message of ``kind``, skipping others (e.g. presence updates)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        assert remaining > 0, f"no {kind!r} message within {timeout}s"
        message = await communicator.receive_json_from(timeout=remaining)
        if message["type"] == kind:
            return message


async def next_events(communicator: WebsocketCommunicator, count: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    while len(events) < count:
        events.extend((await next_message(communicator, "events"))["events"])
    return events


async def no_events(communicator: WebsocketCommunicator, seconds: float = 0.5) -> None:
    # Waiting with a receive timeout would cancel the application, so wait, then drain.
    await asyncio.sleep(seconds)
    while not communicator.output_queue.empty():
        message = await communicator.receive_json_from()
        assert message["type"] != "events", message


async def wait_closed(communicator: WebsocketCommunicator, within: float) -> int:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        remaining = deadline - loop.time()
        assert remaining > 0, f"socket still open after {within}s"
        output = await communicator.receive_output(timeout=remaining)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


call = sync_to_async


@pytest.fixture(autouse=True)
async def close_worker_connections():
    """Services called through sync_to_async open connections in its worker thread."""
    yield
    await sync_to_async(connections.close_all)()


# --- the two-member scenario ----------------------------------------------------------------


async def test_a_edits_b_sees_it_live_b_stale_write_fails_b_reverts_history_has_three(team):
    a, b = team.editor, team.admin
    project = team.project
    endpoint = await call(endpoint_create)(
        project=project, actor=a, data={"name": "Ticker", "url": "wss://h/ticker"}
    )
    base = f"/api/v1/projects/{project.pk}/endpoints/{endpoint.pk}/"
    b_socket = await open_socket(project.pk, b)
    b_api, a_api = api(b), api(a)
    read_by_b = await call(b_api.get)(base)
    assert read_by_b.json()["version"] == 1

    edited = await call(a_api.patch)(
        base, {"name": "Ticker v2"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    (event,) = await next_events(b_socket, 1)
    assert event["kind"] == "endpoint.updated"
    assert event["actor"]["username"] == "eve" and event["endpoint"]["version"] == 2
    assert event["endpoint"]["name"] == "Ticker v2" and event["changed"] == ["name"]

    stale = await call(b_api.patch)(base, {"name": "B's idea"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert stale.json()["updated_by"]["username"] == "eve"

    listing = (await call(b_api.get)(base + "history/")).json()["results"]
    created_revision = listing[-1]["id"]
    reverted = await call(b_api.post)(
        base + f"history/{created_revision}/revert/", HTTP_IF_MATCH='"2"'
    )
    assert reverted.status_code == 200 and reverted.json()["name"] == "Ticker"
    (event,) = await next_events(b_socket, 1)
    assert event["actor"]["username"] == "ada" and event["endpoint"]["version"] == 3
    assert event["reverted_to"] == created_revision

    history = (await call(a_api.get)(base + "history/")).json()
    assert history["count"] == 3
    revert, edit, create = history["results"]
    assert (revert["action"], revert["actor"]["username"], revert["version"]) == (
        "reverted",
        "ada",
        3,
    )
    assert revert["changes"] == [{"field": "name", "old": "Ticker v2", "new": "Ticker"}]
    assert (edit["action"], edit["actor"]["username"]) == ("updated", "eve")
    assert edit["changes"] == [{"field": "name", "old": "Ticker", "new": "Ticker v2"}]
    assert create["action"] == "created" and create["version"] == 1
    await b_socket.disconnect()


# --- commit, sequence numbers, replay -------------------------------------------------------


class Rollback(Exception):
    pass


async def test_a_rolled_back_change_is_never_announced(team):
    project = team.project
    endpoint = await call(endpoint_create)(
        project=project, actor=team.editor, data={"name": "e", "url": "ws://h"}
    )
    communicator = await open_socket(project.pk, team.viewer)
    last_seq = await call(lambda: Project.objects.get(pk=project.pk).last_event_seq)()

    def change_then_fail() -> None:
        with contextlib.suppress(Rollback), transaction.atomic():
            endpoint_update(endpoint=endpoint, actor=team.editor, data={"name": "x"})
            folder_create(project=project, actor=team.editor, name="ghost")
            raise Rollback

    await call(change_then_fail)()
    await no_events(communicator, 0.7)
    assert await call(ProjectEvent.objects.filter(project=project, seq__gt=last_seq).count)() == 0
    assert await call(Revision.objects.filter(endpoint=endpoint).count)() == 1

    # The numbers the rolled-back change took were never used: the next event follows on.
    await call(endpoint_update)(endpoint=endpoint, actor=team.editor, data={"name": "y"})
    (event,) = await next_events(communicator, 1)
    assert event["seq"] == last_seq + 1 and event["endpoint"]["name"] == "y"
    await communicator.disconnect()


async def test_reconnecting_with_after_replays_what_was_missed_then_goes_live(team, monkeypatch):
    monkeypatch.setattr("endpoints.consumers.REPLAY_CHUNK", 2)  # so the replay takes two chunks
    project, who = team.project, team.editor
    first = await open_socket(project.pk, team.viewer)
    await call(folder_create)(project=project, actor=who, name="seen")
    (seen,) = await next_events(first, 1)
    await first.disconnect()

    folder = await call(folder_create)(project=project, actor=who, name="missed 1")
    await call(folder_update)(folder=folder, actor=who, name="missed 2")
    await call(folder_update)(folder=folder, actor=team.admin, name="missed 3")

    second = project_socket(
        project.pk, token=await call(token_for)(team.viewer), query=f"after={seen['seq']}"
    )
    assert (await second.connect(timeout=5))[0]
    chunks = [await second.receive_json_from(timeout=5) for _ in range(3)]
    assert [c["type"] for c in chunks] == ["events", "events", "ready"]
    assert all(c["replay"] for c in chunks[:2])
    replayed = chunks[0]["events"] + chunks[1]["events"]
    assert [e["seq"] for e in replayed] == [seen["seq"] + 1, seen["seq"] + 2, seen["seq"] + 3]
    assert [e["kind"] for e in replayed] == ["folder.created", "folder.updated", "folder.updated"]
    assert replayed[2]["actor"]["username"] == "ada"
    ready = chunks[2]
    assert ready["last_seq"] == seen["seq"] + 3 and ready["role"] == "viewer"

    await call(folder_update)(folder=folder, actor=who, name="live")
    (live,) = await next_events(second, 1)
    assert live["seq"] == seen["seq"] + 4 and live["folder"]["name"] == "live"
    await no_events(second, 0.3)  # nothing twice
    await second.disconnect()

    # The same stored events, for scripts that poll.
    polled = await call(api(team.viewer).get)(
        f"/api/v1/projects/{project.pk}/events/?after={seen['seq']}"
    )
    assert [e["seq"] for e in polled.json()["events"]] == [seen["seq"] + n for n in (1, 2, 3, 4)]
    assert polled.json()["last_seq"] == seen["seq"] + 4


async def test_a_lost_message_is_filled_in_from_storage(team):
    project = team.project
    communicator = await open_socket(project.pk, team.viewer)

    def lose_one() -> int:
        # As if the channel layer dropped the message of a committed event.
        with transaction.atomic():
            Project.objects.filter(pk=project.pk).update(last_event_seq=F("last_event_seq") + 1)
            seq = Project.objects.get(pk=project.pk).last_event_seq
            ProjectEvent.objects.create(
                project=project,
                seq=seq,
                kind="folder.created",
                created_at=project.created_at,
                data={"kind": "folder.created", "at": "", "actor": None, "folder": {"id": 0}},
            )
        return seq

    lost = await call(lose_one)()
    await call(folder_create)(project=project, actor=team.editor, name="next")
    events = await next_events(communicator, 2)
    assert [e["seq"] for e in events] == [lost, lost + 1]
    await communicator.disconnect()


# --- membership and presence ----------------------------------------------------------------


async def test_a_removed_members_socket_is_closed_within_a_second(team):
    communicator = await open_socket(team.project.pk, team.viewer)
    started = time.monotonic()
    await call(member_remove)(project=team.project, user_id=team.viewer.pk, actor=team.admin)
    code = await wait_closed(communicator, within=1.0)
    assert code == 4404 and time.monotonic() - started < 1.0


@pytest.mark.parametrize("ending", ["token revoked", "token expired", "user deactivated"])
async def test_a_socket_whose_token_no_longer_works_is_closed_on_the_next_heartbeat(
    team, monkeypatch, ending
):
    monkeypatch.setattr("endpoints.activity.presence.HEARTBEAT_SECONDS", 0.2)
    secret = await sync_to_async(token_for)(team.editor)
    communicator = project_socket(team.project.pk, token=secret)
    assert (await communicator.connect(timeout=5))[0]
    await next_message(communicator, "ready")
    await asyncio.sleep(0.5)  # heartbeats pass while the token works
    await no_events(communicator, 0.1)

    def end() -> None:
        tokens = AccessToken.objects.filter(user=team.editor)
        if ending == "token revoked":
            tokens.delete()
        elif ending == "token expired":
            tokens.update(expires_at=timezone.now())
        else:
            type(team.editor).objects.filter(pk=team.editor.pk).update(is_active=False)

    await sync_to_async(end)()
    assert await wait_closed(communicator, within=2.0) == 4401


async def test_a_socket_whose_login_session_ended_is_closed_on_the_next_heartbeat(
    team, monkeypatch
):
    monkeypatch.setattr("endpoints.activity.presence.HEARTBEAT_SECONDS", 0.2)
    cookie = await sync_to_async(session_cookie)(team.editor)
    communicator = project_socket(team.project.pk, cookie=cookie)
    assert (await communicator.connect(timeout=5))[0]
    await next_message(communicator, "ready")
    await asyncio.sleep(0.5)
    await no_events(communicator, 0.1)
    await sync_to_async(SessionStore(session_key=cookie).delete)()  # what logging out does
    assert await wait_closed(communicator, within=2.0) == 4401


async def test_presence_shows_who_has_which_endpoint_open(team):
    project = team.project
    endpoint = await call(endpoint_create)(
        project=project, actor=team.editor, data={"name": "e", "url": "ws://h"}
    )
    watcher = await open_socket(project.pk, team.viewer)
    editor = await open_socket(project.pk, team.editor)
    await editor.send_json_to({"type": "open", "endpoint": endpoint.pk})

    def editing(message: dict[str, Any]) -> bool:
        return any(
            m["user"]["username"] == "eve" and m["endpoints"] == [endpoint.pk]
            for m in message["members"]
        )

    for _ in range(10):
        message = await next_message(watcher, "presence")
        if editing(message):
            break
    else:
        raise AssertionError("the watcher never saw eve on the endpoint")
    assert {m["user"]["username"] for m in message["members"]} == {"eve", "vic"}
    # Kept in the database, so every web process sees it.
    assert await call(Presence.objects.filter(project=project, endpoint=endpoint).count)() == 1

    await editor.send_json_to({"type": "open", "endpoint": 999_999_999})
    error = await next_message(editor, "error")
    assert error["code"] == "not_found"
    await editor.send_json_to({"type": "ping"})
    assert (await next_message(editor, "pong"))["type"] == "pong"

    await editor.disconnect()
    for _ in range(10):
        message = await next_message(watcher, "presence")
        if [m["user"]["username"] for m in message["members"]] == ["vic"]:
            break
    else:
        raise AssertionError("eve never left")
    await watcher.disconnect()
    assert await call(Presence.objects.filter(project=project).count)() == 0


# --- every kind of change, made through the REST API ----------------------------------------


async def test_tree_comment_and_member_changes_are_announced(team, make_user):
    project = team.project
    newcomer = await call(make_user)("nina")
    communicator = await open_socket(project.pk, team.viewer)
    editor, admin = api(team.editor), api(team.admin)
    base = f"/api/v1/projects/{project.pk}"

    folder = (await call(editor.post)(f"{base}/folders/", {"name": "F"}, format="json")).json()
    other = (await call(editor.post)(f"{base}/folders/", {"name": "G"}, format="json")).json()
    await call(editor.patch)(f"{base}/folders/{folder['id']}/", {"name": "F2"}, format="json")
    await call(editor.patch)(
        f"{base}/folders/{folder['id']}/", {"parent": other["id"]}, format="json"
    )
    endpoint = (
        await call(editor.post)(
            f"{base}/endpoints/",
            {"name": "E", "url": "ws://h", "folder": folder["id"]},
            format="json",
        )
    ).json()
    await call(editor.patch)(f"{base}/endpoints/{endpoint['id']}/", {"folder": None}, format="json")
    comments = f"{base}/endpoints/{endpoint['id']}/comments/"
    comment = (await call(admin.post)(comments, {"body": "hi @vic"}, format="json")).json()
    await call(editor.post)(f"{comments}{comment['id']}/resolve/")
    await call(admin.post)(f"{base}/members/", {"user": "nina", "role": "viewer"}, format="json")
    await call(admin.patch)(f"{base}/members/{newcomer.pk}/", {"role": "editor"}, format="json")
    await call(admin.delete)(f"{base}/members/{newcomer.pk}/")
    await call(editor.post)(
        f"{base}/endpoints/batch/",
        {"ids": [endpoint["id"]], "operations": [{"op": "set_status", "status": "tested"}]},
        format="json",
    )
    await call(editor.delete)(f"{base}/folders/{other['id']}/?recursive=true")
    await call(editor.delete)(f"{base}/endpoints/{endpoint['id']}/")
    await call(admin.patch)(f"{base}/", {"name": "Renamed project"}, format="json")

    events = await next_events(communicator, 15)
    assert [e["kind"] for e in events] == [
        "folder.created",
        "folder.created",
        "folder.updated",
        "folder.moved",
        "endpoint.created",
        "endpoint.moved",
        "comment.added",
        "comment.resolved",
        "member.joined",
        "member.role_changed",
        "member.left",
        "endpoint.updated",
        "folder.deleted",
        "endpoint.deleted",
        "project.updated",
    ]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(events)))
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["folder.moved"]["previous_parent"] is None
    assert by_kind["folder.moved"]["folder"]["parent"] == other["id"]
    assert by_kind["endpoint.moved"]["previous_folder"] == folder["id"]
    assert by_kind["comment.added"]["comment"]["mentions"][0]["username"] == "vic"
    assert by_kind["comment.resolved"]["actor"]["username"] == "eve"
    assert by_kind["member.joined"]["member"] == {
        "user": {"id": newcomer.pk, "username": "nina", "display_name": "nina"},
        "role": "viewer",
    }
    assert by_kind["member.role_changed"]["previous_role"] == "viewer"
    assert by_kind["endpoint.updated"]["changed"] == ["status"]
    assert by_kind["folder.deleted"]["deleted_folders"] == sorted([other["id"], folder["id"]])
    assert by_kind["endpoint.deleted"]["endpoint"]["id"] == endpoint["id"]
    assert by_kind["project.updated"]["project"]["name"] == "Renamed project"
    await communicator.disconnect()


async def test_deleting_the_project_closes_its_sockets(team):
    communicator = await open_socket(team.project.pk, team.editor)
    await call(project_delete)(project=team.project)
    assert await wait_closed(communicator, within=1.0) == 4404


# --- who may connect ------------------------------------------------------------------------


async def test_socket_authentication_and_origin_rules(team, settings):
    project_id = team.project.pk
    viewer_token = await call(token_for)(team.viewer)

    anonymous = project_socket(project_id)
    assert (await anonymous.connect())[0]
    assert await wait_closed(anonymous, 2) == 4401

    outsider = project_socket(project_id, token=await call(token_for)(team.outsider))
    assert (await outsider.connect())[0]
    assert await wait_closed(outsider, 2) == 4404

    missing = project_socket(2_000_000_000, token=viewer_token)
    assert (await missing.connect())[0]
    assert await wait_closed(missing, 2) == 4404

    bad_token = project_socket(project_id, token="sb_not-a-real-token")
    assert (await bad_token.connect())[0] is False

    cookie = await call(session_cookie)(team.viewer)
    hijack = project_socket(project_id, cookie=cookie, origin="https://evil.example")
    assert (await hijack.connect())[0] is False
    null_origin = project_socket(project_id, cookie=cookie, origin="null")
    assert (await null_origin.connect())[0] is False

    same_origin = project_socket(project_id, cookie=cookie, origin=f"http://{HOST}")
    assert (await same_origin.connect())[0]
    assert (await next_message(same_origin, "ready"))["you"]["username"] == "vic"
    await same_origin.disconnect()

    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    trusted = project_socket(project_id, cookie=cookie, origin="https://app.example.com")
    assert (await trusted.connect())[0]
    await next_message(trusted, "ready")
    await trusted.disconnect()

    script = project_socket(project_id, bearer=viewer_token)  # header, no Origin
    assert (await script.connect())[0]
    await next_message(script, "ready")
    await script.disconnect()

    bad_after = project_socket(project_id, token=viewer_token, query="after=-1")
    assert (await bad_after.connect())[0]
    assert (await next_message(bad_after, "error"))["code"] == "validation_error"
    assert await wait_closed(bad_after, 2) == 4400


# --- two web processes ----------------------------------------------------------------------


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except (OSError, urllib.error.URLError):
        return False


@pytest.fixture
def two_web_processes(transactional_db: None, tmp_path: Path):
    """Two Daphne processes on loopback, on the test database and the test Redis."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.test_settings", TEST_DATABASE_URL=database_url)
    logs = [(tmp_path / f"daphne-{index}.log").open("w+") for index in range(2)]
    servers: list[subprocess.Popen[bytes]] = []
    try:
        ports = []
        for log in logs:
            server, port = daphne.start(env=env, stderr=log, ready=healthy)
            servers.append(server)
            ports.append(port)
        yield [f"127.0.0.1:{port}" for port in ports]
    finally:
        for server in servers:
            daphne.stop(server)
        for log in logs:
            log.seek(0)
            output = log.read()
            log.close()
            assert "Traceback" not in output, output


def http_patch(url: str, token: str, body: dict[str, Any], version: int) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="PATCH",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "If-Match": f'"{version}"',
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
async def test_an_edit_through_one_process_reaches_a_socket_on_the_other(team, two_web_processes):
    import websockets

    first, second = two_web_processes
    project = team.project
    endpoint = await call(endpoint_create)(
        project=project, actor=team.editor, data={"name": "Ticker", "url": "wss://h/t"}
    )
    await call(member_add)(project=project, user_ref=team.outsider.pk, role=Role.VIEWER)
    editor_token = await call(token_for)(team.editor)
    watcher_token = await call(token_for)(team.outsider)

    async with websockets.connect(
        f"ws://{second}/ws/projects/{project.pk}/?token={watcher_token}", open_timeout=10
    ) as watcher:

        async def next_of(kind: str) -> dict[str, Any]:
            while True:
                message = json.loads(await asyncio.wait_for(watcher.recv(), 10))
                if message["type"] == kind:
                    return message

        await next_of("ready")
        status, body = await asyncio.to_thread(
            http_patch,
            f"http://{first}/api/v1/projects/{project.pk}/endpoints/{endpoint.pk}/",
            editor_token,
            {"name": "Ticker (from process 1)"},
            1,
        )
        assert status == 200, body
        message = await next_of("events")
        (event,) = message["events"]
        assert event["kind"] == "endpoint.updated" and event["endpoint"]["version"] == 2
        assert event["actor"]["username"] == "eve"
        assert event["endpoint"]["name"] == "Ticker (from process 1)"

        # Presence is shared too: eve opens the endpoint in a tab served by process 1.
        async with websockets.connect(
            f"ws://{first}/ws/projects/{project.pk}/",
            additional_headers={"Authorization": f"Bearer {editor_token}"},
            open_timeout=10,
        ) as tab:
            await tab.send(json.dumps({"type": "open", "endpoint": endpoint.pk}))
            for _ in range(10):
                members = (await next_of("presence"))["members"]
                if {"eve": [endpoint.pk], "otto": []} == {
                    m["user"]["username"]: m["endpoints"] for m in members
                }:
                    break
            else:
                raise AssertionError(f"process 2 never saw eve's open endpoint: {members}")

        # A browser page on another site is turned away by the real server too.
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            await websockets.connect(
                f"ws://{second}/ws/projects/{project.pk}/",
                origin=Origin("https://evil.example"),
                open_timeout=10,
            )
        assert refused.value.response.status_code == 403


def test_numbering_resumes_after_the_last_stored_event_even_if_the_counter_is_stale(team):
    folder_create(project=team.project, actor=team.editor, name="a")
    folder_create(project=team.project, actor=team.editor, name="b")
    Project.objects.filter(pk=team.project.pk).update(last_event_seq=0)  # a stale full save
    folder_create(project=team.project, actor=team.editor, name="c")
    seqs = list(ProjectEvent.objects.filter(project=team.project).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))  # two members joined, then a, b, c
    assert len(seqs) == 5 and Project.objects.get(pk=team.project.pk).last_event_seq == 5


def test_polling_events_over_rest_checks_membership_and_numbers(team, client_for):
    base = f"/api/v1/projects/{team.project.pk}/events/"
    body = client_for(team.viewer).get(base + "?after=1&limit=1").json()
    assert [e["seq"] for e in body["events"]] == [2] and body["last_seq"] == 2
    assert body["events"][0]["kind"] == "member.joined"
    for bad in ("-1", "x", "²", "1.5"):
        response = client_for(team.viewer).get(base + f"?after={bad}")
        assert response.status_code == 400 and response.json()["fields"]["after"]
    assert client_for(team.viewer).get(base + "?limit=0").status_code == 400
    assert client_for(team.outsider).get(base).status_code == 404
