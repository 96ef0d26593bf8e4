"""Connection control: pings and pongs as log entries (against a ``websockets`` upstream and
a Node ``ws`` one), repeating messages (timers), and the negotiated compression."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.server import ServerConnection, serve

from sessions.relay.reconnect import backoff, wants_reconnect
from tests.sessions.conftest import API
from tests.sessions.test_live import api_for, bearer, open_stream
from tests.sessions.upstreams import LoopThread, ServedWebsockets, Upstream

pytestmark = pytest.mark.django_db(transaction=True)

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


class PingingUpstream(ServedWebsockets, Upstream):
    """Echoes; ``ping-me <payload>`` makes it ping the client. Offers permessage-deflate."""

    def __init__(self, runner: LoopThread) -> None:
        super().__init__()
        self.runner = runner

    def start(self) -> PingingUpstream:
        async def start() -> Any:
            return await serve(
                self._handler, self.host, 0, compression="deflate", ping_interval=None
            )

        self.serve_on_loop(start())
        return self

    async def _handler(self, connection: ServerConnection) -> None:
        async for message in connection:
            self.note("/", message)
            if isinstance(message, str) and message.startswith("ping-me "):
                await connection.ping(message.removeprefix("ping-me ").encode())
            else:
                await connection.send(message)


@pytest.fixture(scope="module")
def pinging(upstream_loop: LoopThread) -> Iterator[PingingUpstream]:
    server = PingingUpstream(upstream_loop).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def node_upstream() -> Iterator[str]:
    if not (NODE_DIR / "node_modules" / "ws").is_dir():
        pytest.skip("Node test peers are not installed (make node)")
    process = subprocess.Popen(
        ["node", str(NODE_DIR / "ping_server.js")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=NODE_DIR,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    yield f"ws://127.0.0.1:{port}/"
    assert process.stdin is not None
    process.stdin.close()
    process.wait(5)


def ping(client: Any, session_id: int, status: int = 201, **data: Any) -> dict[str, Any]:
    response = client.post(f"{API}{session_id}/ping/", data, format="json")
    assert response.status_code == status, response.json()
    return dict(response.json())


def control_frames(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] in ("ping", "pong")]


@pytest.mark.parametrize("peer", ["websockets", "node"])
def test_pings_and_pongs_both_ways_are_logged(relay, team, sessions_for, request, peer):
    url = (
        request.getfixturevalue("pinging").url("/")
        if peer == "websockets"
        else request.getfixturevalue("node_upstream")
    )
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url=url, settings={"ping_interval": 0})
    sessions.connect(session["id"])

    ours = ping(sessions.client, session["id"], payload="are you there?")
    random_payload = ping(sessions.client, session["id"])
    assert random_payload["size"] == 4
    sessions.send(session["id"], format="text", body="ping-me from the server")
    events = sessions.wait_events(session["id"], lambda ev: len(control_frames(ev)) == 6)

    frames = control_frames(events)
    by_seq = {e["seq"]: e for e in frames}
    assert by_seq[ours["seq"]]["kind"] == "ping"
    assert by_seq[ours["seq"]]["direction"] == "out"
    assert by_seq[ours["seq"]]["text"] == "are you there?"
    pongs = [e for e in frames if e["kind"] == "pong" and e["direction"] == "in"]
    assert {p["info"]["ping_seq"] for p in pongs} == {ours["seq"], random_payload["seq"]}
    for pong in pongs:
        assert pong["info"]["rtt_ms"] >= 0
        assert pong["seq"] > pong["info"]["ping_seq"]
    answer = next(p for p in pongs if p["info"]["ping_seq"] == ours["seq"])
    assert answer["text"] == "are you there?" and answer["opcode"] == "pong"
    # The server's ping, then the pong the connection answered it with.
    theirs = [e for e in frames if e["direction"] == "in" and e["kind"] == "ping"]
    assert [e["text"] for e in theirs] == ["from the server"]
    auto = next(e for e in frames if e["kind"] == "pong" and e["direction"] == "out")
    assert auto["info"] == {"automatic": True} and auto["seq"] == theirs[0]["seq"] + 1
    # The log can be filtered down to, or without, control frames.
    only = sessions.events(session["id"], kind="ping,pong")
    assert [e["seq"] for e in only] == sorted(by_seq)
    # Numbering stays gap-free around them.
    seqs = [e["seq"] for e in sessions.events(session["id"])]
    assert seqs == list(range(1, len(seqs) + 1))


def test_ping_bad_input_and_not_connected(relay, team, sessions_for, pinging):
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url=pinging.url("/"))
    body = ping(sessions.client, session["id"], status=409, payload="x")
    assert body["code"] == "not_connected"
    sessions.connect(session["id"])
    too_long = ping(sessions.client, session["id"], status=400, payload="x" * 126)
    assert too_long["code"] == "validation_error" and "payload" in too_long["fields"]
    # 125 bytes of UTF-8 fit; 126 bytes written as hex do not.
    ping(sessions.client, session["id"], payload="é" * 62 + "x")
    hex_long = ping(sessions.client, session["id"], status=400, payload="ab" * 126, format="hex")
    assert "payload" in hex_long["fields"]
    odd = ping(sessions.client, session["id"], status=400, payload="abc", format="hex")
    assert "payload" in odd["fields"]
    binary = ping(sessions.client, session["id"], payload="00ff10", format="hex")
    events = sessions.wait_events(
        session["id"],
        lambda ev: any(
            e.get("info", {}) and e["info"].get("ping_seq") == binary["seq"] for e in ev
        ),
    )
    shown = next(e for e in events if e["seq"] == binary["seq"])
    assert shown["base64"] == "AP8Q" and shown["text"] is None
    stranger = sessions_for(team.outsider)
    ping(stranger.client, session["id"], status=404, payload="x")


def test_compression_setting_and_negotiated_extension(relay, team, sessions_for, pinging):
    sessions = sessions_for(team.admin)
    session = sessions.create(
        project=team.project.pk, url=pinging.url("/"), settings={"compression": "deflate"}
    )
    assert session["settings"]["compression"] == "deflate"
    sessions.connect(session["id"])
    shown = sessions.get(session["id"])
    assert "permessage-deflate" in json.dumps(shown["connection"]["response"]["extensions"])
    sessions.disconnect(session["id"])
    sessions.patch(session["id"], settings={"compression": "off"})
    sessions.connect(session["id"])
    assert sessions.get(session["id"])["connection"]["response"]["extensions"] == []


def test_compression_is_a_choice(team, sessions_for):
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url="ws://upstream.test/")
    assert session["settings"]["compression"] == "default"
    bad = sessions.patch(session["id"], settings={"compression": "gzip"})
    assert bad.status_code == 400 and "settings.compression" in bad.json()["fields"]


def timers_url(session_id: int) -> str:
    return f"{API}{session_id}/timers/"


def test_a_timer_every_100_ms_sends_50_messages_in_order(relay, team, sessions_for, pinging):
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url=pinging.url("/"))
    sessions.connect(session["id"])
    before = len(pinging.received_on("/"))
    response = sessions.client.post(
        timers_url(session["id"]),
        {
            "interval_ms": 100,
            "count": 50,
            "name": "heartbeat",
            "format": "json",
            "body": '{"id": "{{$randomUUID}}"}',
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    timer = response.json()
    assert timer["id"] == 1 and timer["count"] == 50 and timer["name"] == "heartbeat"
    listed = sessions.client.get(timers_url(session["id"])).json()["results"]
    assert [t["id"] for t in listed] == [1]

    events = sessions.wait_events(
        session["id"],
        lambda ev: any(e["kind"] == "timer" and e["info"]["event"] == "finished" for e in ev),
        timeout=20,
    )
    sent = [e for e in events if e["kind"] == "sent"]
    assert len(sent) == 50
    assert all(e["info"]["timer"] == 1 for e in sent)
    bodies = [json.loads(e["text"])["id"] for e in sent]
    assert len(set(bodies)) == 50  # resolved again at every send
    arrived = [json.loads(m)["id"] for m in pinging.received_on("/")[before:]]
    assert arrived == bodies  # stored in the order they went out
    started = [e for e in events if e["kind"] == "timer"]
    assert [e["info"]["event"] for e in started] == ["started", "finished"]
    assert started[0]["seq"] < sent[0]["seq"] and started[1]["seq"] > sent[-1]["seq"]
    assert sessions.client.get(timers_url(session["id"])).json()["results"] == []


def test_timer_limits_stop_and_the_end_of_the_connection(
    relay, team, sessions_for, pinging, settings
):
    settings.SESSION_MAX_TIMERS = 2
    sessions = sessions_for(team.admin)
    session = sessions.create(project=team.project.pk, url=pinging.url("/"))
    url = timers_url(session["id"])
    not_open = sessions.client.post(url, {"interval_ms": 1000, "body": "x"}, format="json")
    assert not_open.status_code == 409
    sessions.connect(session["id"])
    fast = sessions.client.post(url, {"interval_ms": 10, "body": "x"}, format="json")
    assert fast.status_code == 400 and "interval_ms" in fast.json()["fields"]
    bad_body = sessions.client.post(
        url, {"interval_ms": 1000, "format": "json", "body": "{"}, format="json"
    )
    assert bad_body.status_code == 400 and "body" in bad_body.json()["fields"]
    unknown = sessions.client.post(url, {"interval_ms": 1000, "body": "{{nope}}"}, format="json")
    assert unknown.status_code == 400
    for _ in range(2):
        assert (
            sessions.client.post(
                url, {"interval_ms": 5000, "body": "slow"}, format="json"
            ).status_code
            == 201
        )
    third = sessions.client.post(url, {"interval_ms": 5000, "body": "slow"}, format="json")
    assert third.status_code == 429 and third.json()["code"] == "too_many_timers"
    assert sessions.client.delete(f"{url}1/").status_code == 200
    assert sessions.client.delete(f"{url}1/").status_code == 404
    stranger = sessions_for(team.outsider)
    assert stranger.client.delete(f"{url}2/").status_code == 404
    assert stranger.client.get(url).status_code == 404
    sessions.disconnect(session["id"])
    events = sessions.events(session["id"])
    timers = [(e["info"]["timer"], e["info"]["event"]) for e in events if e["kind"] == "timer"]
    assert timers == [(1, "started"), (2, "started"), (1, "stopped"), (2, "ended")]
    ended = next(e for e in events if e["kind"] == "timer" and e["info"]["event"] == "ended")
    assert ended["seq"] < events[-1]["seq"] and events[-1]["kind"] == "closed"
    # The first send of each went out at once, as an ordinary sent message.
    assert [e["text"] for e in events if e["kind"] == "sent"] == ["slow", "slow"]


class DroppingUpstream(ServedWebsockets, Upstream):
    """Greets each connection with ``hello <n>``; drops the first ``drops`` connections
    without a close frame (1006) right after, then echoes (drops on ``drop``, closes with
    the code on ``close <code>``)."""

    def __init__(self, runner: LoopThread, drops: int) -> None:
        super().__init__()
        self.runner = runner
        self.drops = drops

    def start(self) -> DroppingUpstream:
        async def start() -> Any:
            return await serve(self._handler, self.host, 0, compression=None, ping_interval=None)

        self.serve_on_loop(start())
        return self

    async def _handler(self, connection: ServerConnection) -> None:
        with self.lock:
            self.connections += 1
            number = self.connections
        await connection.send(f"hello {number}")
        if number <= self.drops:
            await asyncio.sleep(0.05)
            connection.transport.abort()
            return
        async for message in connection:
            if message == "drop":
                connection.transport.abort()
                return
            if isinstance(message, str) and message.startswith("close "):
                await connection.close(int(message.removeprefix("close ")), "as asked")
                return
            await connection.send(message)


RECONNECT = {"reconnect": True, "reconnect_delay": 0.05, "reconnect_max_attempts": 3}


def test_an_upstream_that_drops_twice_is_reconnected_twice(
    relay, team, sessions_for, upstream_loop
):
    server = DroppingUpstream(upstream_loop, drops=2).start()
    try:
        sessions = sessions_for(team.admin)
        session = sessions.create(project=team.project.pk, url=server.url("/"), settings=RECONNECT)
        sessions.connect(session["id"])
        events = sessions.wait_events(
            session["id"], lambda ev: any(e["text"] == "hello 3" for e in ev)
        )
        assert sessions.get(session["id"])["state"] == "open"
        kinds = [(e["connection"], e["kind"]) for e in events]
        assert kinds == [
            (1, "connecting"),
            (1, "open"),
            (1, "received"),
            (1, "closed"),
            (2, "reconnect"),
            (2, "connecting"),
            (2, "open"),
            (2, "received"),
            (2, "closed"),
            (3, "reconnect"),
            (3, "connecting"),
            (3, "open"),
            (3, "received"),
        ]
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        closes = [e for e in events if e["kind"] == "closed"]
        assert all(c["info"]["code"] == 1006 for c in closes)
        attempts = [e["info"]["attempt"] for e in events if e["kind"] == "reconnect"]
        assert attempts == [1, 2]
        connections = sessions.client.get(f"{API}{session['id']}/connections/").json()
        rows = connections["results"] if isinstance(connections, dict) else connections
        assert sorted(c["number"] for c in rows) == [1, 2, 3]
        sessions.send(session["id"], format="text", body="still here")
        sessions.wait_events(session["id"], lambda ev: ev[-1]["text"] == "still here")
        # A close the member asks for never reconnects.
        sessions.disconnect(session["id"])
        assert sessions.get(session["id"])["state"] == "closed"
        assert server.connections == 3
    finally:
        server.stop()


def test_reconnect_is_off_by_default_and_gives_up_after_its_attempts(
    relay, team, sessions_for, upstream_loop
):
    server = DroppingUpstream(upstream_loop, drops=99).start()
    try:
        sessions = sessions_for(team.admin)
        session = sessions.create(project=team.project.pk, url=server.url("/"))
        assert session["settings"]["reconnect"] is False
        sessions.connect(session["id"])
        sessions.wait_state(session["id"], "closed")
        assert [e["kind"] for e in sessions.events(session["id"])][-1] == "closed"
        assert server.connections == 1

        # A server that accepts and drops at once: three attempts, then the session closes.
        sessions.patch(session["id"], settings=RECONNECT)
        sessions.connect(session["id"])
        events = sessions.wait_events(
            session["id"],
            lambda ev: ev[-1]["kind"] == "closed" and ev[-1]["info"].get("gave_up"),
            timeout=15,
        )
        assert sessions.get(session["id"])["state"] == "closed"
        attempts = [e["info"]["attempt"] for e in events if e["kind"] == "reconnect"]
        assert attempts == [1, 2, 3]
        assert server.connections == 5
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    finally:
        server.stop()


async def test_the_live_socket_pings_and_runs_timers(relay, team, pinging):
    api = api_for(team.editor)
    session = await sync_to_async(api.create)(project=team.project.pk, url=pinging.url("/"))
    sid = session["id"]
    await sync_to_async(api.connect)(sid)
    viewer = await open_stream(f"/ws/sessions/{sid}/", await bearer(team.editor))

    async def answer(message: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The ack or error of ``message``, and the events that came before it."""
        await viewer.send_to(text_data=json.dumps(message))
        events: list[dict[str, Any]] = []
        while True:
            received = json.loads(await viewer.receive_from(timeout=10))
            if received["type"] == "events":
                events.extend(received["events"])
            elif received.get("ref") == message["ref"]:
                return received, events

    too_long, _ = await answer({"type": "upstream_ping", "payload": "x" * 126, "ref": 1})
    assert too_long["type"] == "error" and "payload" in too_long["fields"]
    pinged, _ = await answer({"type": "upstream_ping", "payload": "live", "ref": 2})
    assert pinged["type"] == "ack" and pinged["seq"] > 0
    slow, _ = await answer({"type": "timer_start", "interval_ms": 5, "body": "x", "ref": 3})
    assert slow["type"] == "error" and "interval_ms" in slow["fields"]
    started, _ = await answer(
        {"type": "timer_start", "interval_ms": 5000, "body": "every 5 s", "name": "t", "ref": 4}
    )
    assert started["type"] == "ack" and started["timer"]["name"] == "t"
    listed, _ = await answer({"type": "timers", "ref": 5})
    assert [t["id"] for t in listed["timers"]] == [started["timer"]["id"]]
    stopped, _ = await answer({"type": "timer_stop", "id": started["timer"]["id"], "ref": 6})
    assert stopped["type"] == "ack"
    missing, _ = await answer({"type": "timer_stop", "id": 99, "ref": 7})
    assert missing["type"] == "error" and missing["code"] == "not_found"
    # A timer keeps going once its viewer has left.
    left, _ = await answer(
        {"type": "timer_start", "interval_ms": 100, "count": 3, "body": "after you left", "ref": 8}
    )
    assert left["type"] == "ack"
    await viewer.disconnect()
    events = await sync_to_async(api.wait_events)(
        sid, lambda ev: any(e["kind"] == "timer" and e["info"]["event"] == "finished" for e in ev)
    )
    assert [e["text"] for e in events if e["kind"] == "sent"][-3:] == ["after you left"] * 3
    pong = next(e for e in events if e["kind"] == "pong")
    assert pong["info"]["ping_seq"] == pinged["seq"] and pong["text"] == "live"


def test_each_reconnect_resolves_the_handshake_again(relay, team, sessions_for, upstream_loop):
    server = DroppingUpstream(upstream_loop, drops=0).start()
    try:
        sessions = sessions_for(team.admin)
        session = sessions.create(
            project=team.project.pk,
            url=server.url("/?v={{v}}"),
            variables={"v": "one"},
            settings=RECONNECT,
        )
        sessions.connect(session["id"])
        sessions.wait_events(session["id"], lambda ev: ev[-1]["text"] == "hello 1")
        # The session's own values may change while connected; the next handshake uses them.
        assert sessions.patch(session["id"], variables={"v": "two"}).status_code == 200
        sessions.send(session["id"], format="text", body="drop")
        sessions.wait_events(session["id"], lambda ev: ev[-1]["text"] == "hello 2")
        rows = sessions.client.get(f"{API}{session['id']}/connections/").json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        urls = {row["number"]: row["request"]["url"] for row in rows}
        assert urls[1].endswith("?v=one") and urls[2].endswith("?v=two")
        assert sessions.get(session["id"])["connection"]["number"] == 2
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("code", "again"), [(1011, True), (1012, True), (1013, True), (1000, False), (4000, False)]
)
def test_which_close_codes_reconnect(relay, team, sessions_for, upstream_loop, code, again):
    server = DroppingUpstream(upstream_loop, drops=0).start()
    try:
        sessions = sessions_for(team.admin)
        session = sessions.create(project=team.project.pk, url=server.url("/"), settings=RECONNECT)
        sessions.connect(session["id"])
        sessions.send(session["id"], format="text", body=f"close {code}")
        if again:
            events = sessions.wait_events(session["id"], lambda ev: ev[-1]["text"] == "hello 2")
            closed = next(e for e in events if e["kind"] == "closed")
            assert closed["info"]["code"] == code and closed["info"]["by"] == "upstream"
            assert sessions.get(session["id"])["state"] == "open"
        else:
            sessions.wait_state(session["id"], "closed")
            assert "reconnect" not in [e["kind"] for e in sessions.events(session["id"])]
            assert server.connections == 1
    finally:
        server.stop()


def test_backoff_doubles_up_to_the_cap_with_jitter():
    conn_settings = {"reconnect_delay": 1.0, "reconnect_max_delay": 5.0}
    assert [backoff(n, conn_settings, rand=lambda: 1.0) for n in (1, 2, 3, 4)] == [1, 2, 4, 5]
    assert [backoff(n, conn_settings, rand=lambda: 0.0) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 2.5]
    assert wants_reconnect({"reconnect": True}, 1006, intended=False)
    assert not wants_reconnect({"reconnect": True}, 1006, intended=True)
    assert not wants_reconnect({"reconnect": False}, 1006, intended=False)
