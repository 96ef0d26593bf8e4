"""The relay against real upstream servers: connecting, every send format, receiving, closing,
failures, and what is recorded about each connection."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sessions.models import Relay as RelayRow
from tests.polling import wait_for
from tests.sessions.upstreams import TYPES_MESSAGES, closed_port

pytestmark = pytest.mark.django_db(transaction=True)


def kinds(events):
    return [e["kind"] for e in events]


def test_connect_send_every_format_and_receive_the_echo(relay, team, sessions_for, upstream):
    api = sessions_for(team.viewer)
    session = api.create(project=team.project.pk, url=upstream.url("/echo"))
    opened = api.connect(session["id"]).json()
    assert opened["state"] == "open"
    connection = opened["connection"]
    assert connection["response"]["status"] == 101
    assert connection["request"]["url"] == upstream.url("/echo")
    assert ["Upgrade", "websocket"] in connection["request"]["headers"]
    assert connection["response"]["extensions"] == []  # permessage-deflate is off by default

    sent = [
        ("text", "plain text", "plain text"),
        ("json", '{"op": "subscribe", "n": [1, 2]}', '{"op": "subscribe", "n": [1, 2]}'),
        ("xml", "<a><b>1</b></a>", "<a><b>1</b></a>"),
        ("html", "<p>Hi <b>there</p>", "<p>Hi <b>there</p>"),
        ("base64", "3q2+7w==", b"\xde\xad\xbe\xef"),
        ("hex", "00 01 0a ff", b"\x00\x01\n\xff"),
    ]
    seqs = []
    for fmt, body, _ in sent:
        answer = api.send(session["id"], format=fmt, body=body)
        assert answer["opcode"] == ("binary" if fmt in ("base64", "hex") else "text")
        seqs.append(answer["seq"])
    assert seqs == sorted(seqs)

    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == len(sent))
    assert kinds(events)[:2] == ["connecting", "open"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    outgoing = [e for e in events if e["kind"] == "sent"]
    incoming = [e for e in events if e["kind"] == "received"]
    for (_, _, wire), out, back in zip(sent, outgoing, incoming, strict=True):
        assert out["direction"] == "out" and back["direction"] == "in"
        if isinstance(wire, bytes):
            assert out["opcode"] == back["opcode"] == "binary"
            assert base64.b64decode(out["base64"]) == base64.b64decode(back["base64"]) == wire
            assert out["size"] == len(wire)
        else:
            assert out["opcode"] == back["opcode"] == "text"
            assert out["text"] == back["text"] == wire
    assert upstream.received_on("/echo")[-len(sent) :] == [wire for _, _, wire in sent]


def test_text_binary_unicode_and_empty_messages_received(relay, team, sessions_for, upstream):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=upstream.url("/types"))
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == 4)
    received = [e for e in events if e["kind"] == "received"]
    assert received[0]["text"] == "hello"
    assert received[1]["opcode"] == "binary"
    assert base64.b64decode(received[1]["base64"]) == TYPES_MESSAGES[1]
    assert received[2]["text"] == TYPES_MESSAGES[2]
    assert received[2]["size"] == len(TYPES_MESSAGES[2].encode("utf-8"))
    assert received[3]["text"] == "" and received[3]["size"] == 0

    # An empty message can be sent too, and is logged.
    empty = api.send(session["id"], format="text", body="")
    assert empty["size"] == 0
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == 5)
    assert events[-1]["text"] == "" and events[-1]["kind"] == "received"


def test_one_mebibyte_messages_both_ways(relay, team, sessions_for, ws_upstream):
    api = sessions_for(team.editor)
    session = api.open(
        project=team.project.pk,
        url=ws_upstream.url("/echo"),
        settings={"max_message_size": 2 * 1024 * 1024},
    )
    text = "é" * (512 * 1024)  # 1 MiB of UTF-8
    blob = os.urandom(1024 * 1024)
    api.send(session["id"], format="text", body=text)
    api.send(session["id"], format="base64", body=base64.b64encode(blob).decode())
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == 2)
    received = [e for e in events if e["kind"] == "received"]
    assert received[0]["text"] == text and received[0]["size"] == 1024 * 1024
    assert base64.b64decode(received[1]["base64"]) == blob
    assert not any(e["truncated"] for e in events)


def test_stored_bytes_are_capped_but_the_size_is_kept(
    relay, team, sessions_for, ws_upstream, settings
):
    settings.SESSION_STORED_BYTES_PER_FRAME = 1000
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    api.send(session["id"], format="text", body="x" * 5000)
    api.send(session["id"], format="hex", body="ab" * 3000)
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") == 2)
    # Sends are logged in order, and so are echoes; an echo of the first message may be logged
    # before or after the second one is sent.
    for kind in ("sent", "received"):
        text, binary = [e for e in events if e["kind"] == kind]
        assert (text["size"], binary["size"]) == (5000, 3000), kind
        assert text["truncated"] and binary["truncated"], kind
        assert len(text["text"]) == 1000, kind
        assert len(base64.b64decode(binary["base64"])) == 1000, kind


def test_messages_over_the_size_limit_are_refused_before_sending(
    relay, team, sessions_for, ws_upstream
):
    api = sessions_for(team.editor)
    session = api.open(
        project=team.project.pk, url=ws_upstream.url("/echo"), settings={"max_message_size": 10}
    )
    refused = api.send(session["id"], status=413, format="text", body="x" * 11)
    assert refused["code"] == "message_too_large" and refused["limit"] == 10
    bad = api.send(session["id"], status=400, format="json", body='{"a": }')
    assert bad["fields"]["body"] == ["Invalid JSON at line 1, column 7: Expecting value."]
    odd = api.send(session["id"], status=400, format="hex", body="abc")
    assert "odd number of digits" in odd["fields"]["body"][0]
    events = api.events(session["id"])
    assert "sent" not in kinds(events)


def test_a_received_message_over_the_limit_closes_with_1009(relay, team, sessions_for, ws_upstream):
    api = sessions_for(team.editor)
    session = api.open(
        project=team.project.pk, url=ws_upstream.url("/types"), settings={"max_message_size": 8}
    )
    events = api.wait_events(session["id"], lambda ev: "closed" in kinds(ev))
    closed = events[-1]
    assert closed["info"]["code"] == 1009 and closed["info"]["by"] == "relay"
    assert kinds(events)[-2] == "received"  # "hello" fit; the unicode message did not


def test_subprotocol_negotiation(relay, team, sessions_for, upstream):
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk, url=upstream.url("/echo"), subprotocols=["v1.json", "v2.json"]
    )
    opened = api.connect(session["id"]).json()
    assert opened["connection"]["response"]["subprotocol"] == "v2.json"
    assert opened["connection"]["request"]["subprotocols"] == ["v1.json", "v2.json"]
    events = api.events(session["id"])
    assert events[1]["info"]["subprotocol"] == "v2.json"
    assert "with subprotocol v2.json" in events[1]["text"]


def test_handshake_needing_a_header_a_cookie_and_a_query_param(relay, team, sessions_for, upstream):
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        url=upstream.url("/auth"),
        headers=[{"name": "X-Token", "value": "wrong", "enabled": False}],
    )
    refused = api.connect(session["id"], status=502).json()
    assert refused["code"] == "connect_failed" and refused["kind"] == "handshake"
    assert "HTTP 401" in refused["detail"]
    response = refused["connection"]["response"]
    assert response["status"] == 401
    assert response["body"].startswith("unauthorized: missing X-Token")
    assert any(name.lower() == "content-type" for name, _ in response["headers"])
    assert api.get(session["id"])["state"] == "failed"

    api.patch(
        session["id"],
        params=[{"name": "key", "value": "k1"}, {"name": "off", "value": "x", "enabled": False}],
        headers=[{"name": "X-Token", "value": "secret"}],
        cookies=[{"name": "sid", "value": "abc"}, {"name": "theme", "value": "dark"}],
    )
    opened = api.connect(session["id"]).json()
    request = opened["connection"]["request"]
    assert request["url"] == upstream.url("/auth?key=k1")
    assert ["X-Token", "secret"] in request["headers"]
    assert ["Cookie", "sid=abc; theme=dark"] in request["headers"]
    assert request["cookies"] == [["sid", "abc"], ["theme", "dark"]]
    api.send(session["id"], format="text", body="in")
    events = api.wait_events(session["id"], lambda ev: "received" in kinds(ev))
    assert [e["connection"] for e in events if e["kind"] in ("connecting", "open")] == [1, 2, 2]
    assert kinds(events)[:3] == ["connecting", "error", "connecting"]


@pytest.mark.parametrize("code", [1000, 1011])
def test_upstream_closes(relay, team, sessions_for, upstream, code):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=upstream.url(f"/close/{code}"))
    events = api.wait_events(session["id"], lambda ev: "closed" in kinds(ev))
    assert kinds(events) == ["connecting", "open", "received", "closed"]
    closed = events[-1]
    assert closed["info"]["code"] == code and closed["info"]["by"] == "upstream"
    assert closed["info"]["reason"] == "server closing"
    detail = api.wait_state(session["id"], "closed")
    assert detail["connection"]["close"] == {
        "code": code,
        "reason": "server closing",
        "by": "upstream",
    }
    # The log keeps going across connections.
    api.connect(session["id"])
    events = api.wait_events(session["id"], lambda ev: kinds(ev).count("closed") == 2)
    assert [e["seq"] for e in events] == list(range(1, 9))


def test_disconnect_with_code_and_reason_then_edit_and_reconnect(
    relay, team, sessions_for, ws_upstream, aio_upstream
):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    conflict = api.patch(session["id"], url=aio_upstream.url("/echo"))
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "session_connected"
    assert "disconnect first" in conflict.json()["detail"]
    assert api.patch(session["id"], name="renamed is fine").status_code == 200
    again = api.connect(session["id"], status=409).json()
    assert again["code"] == "already_connected"

    closed = api.disconnect(session["id"], code=4000, reason="done here")
    assert closed["state"] == "closed"
    assert closed["connection"]["close"] == {"code": 4000, "reason": "done here", "by": "client"}
    events = api.events(session["id"])
    assert events[-1]["kind"] == "closed" and events[-1]["info"]["by"] == "client"
    assert api.send(session["id"], status=409, format="text", body="x")["code"] == "not_connected"

    assert api.patch(session["id"], url=aio_upstream.url("/echo")).status_code == 200
    opened = api.connect(session["id"]).json()
    assert opened["connection"]["number"] == 2
    assert opened["connection"]["request"]["url"] == aio_upstream.url("/echo")


def test_upstream_killed_mid_stream_keeps_every_received_frame(relay, team, sessions_for):
    script = Path(__file__).with_name("upstream_process.py")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None  # stdout=PIPE
    try:
        port = int(process.stdout.readline())
        api = sessions_for(team.editor)
        session = api.open(project=team.project.pk, url=f"ws://127.0.0.1:{port}/stream")
        seen = api.wait_events(session["id"], lambda ev: kinds(ev).count("received") >= 100)
        before_kill = kinds(seen).count("received")
        process.send_signal(signal.SIGKILL)
        process.wait(5)
        events = api.wait_events(session["id"], lambda ev: "closed" in kinds(ev))
    finally:
        process.kill()
        process.wait(5)
    received = [e for e in events if e["kind"] == "received"]
    assert len(received) >= before_kill
    assert [e["text"] for e in received] == [f"frame-{i}" for i in range(len(received))]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    closed = events[-1]
    assert closed["kind"] == "closed"
    assert closed["info"]["code"] == 1006 and closed["info"]["by"] == "network"
    assert api.get(session["id"])["connection"]["close"]["code"] == 1006


def test_upstream_that_never_answers_times_out(relay, team, sessions_for, silent_server):
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        url=f"ws://127.0.0.1:{silent_server.port}/",
        settings={"open_timeout": 0.5},
    )
    failed = api.connect(session["id"], status=502).json()
    assert failed["kind"] == "timeout"
    assert "within 0.5 s" in failed["detail"]
    assert failed["connection"]["failure"]["kind"] == "timeout"
    assert api.get(session["id"])["state"] == "failed"
    assert kinds(api.events(session["id"])) == ["connecting", "error"]


def test_refused_connection_and_unknown_host(relay, team, sessions_for):
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=f"ws://127.0.0.1:{closed_port()}/")
    refused = api.connect(session["id"], status=502).json()
    assert refused["kind"] == "refused"
    assert api.patch(session["id"], url="ws://nowhere.test/").status_code == 200
    unknown = api.connect(session["id"], status=502).json()
    assert unknown["kind"] == "dns" and "nowhere.test" in unknown["detail"]


def test_wss_with_a_self_signed_certificate(relay, team, sessions_for, tls_upstream, client_for):
    server, cert_pem = tls_upstream
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=server.url("/echo", host="localhost"))
    rejected = api.connect(session["id"], status=502).json()
    assert rejected["kind"] == "tls"
    assert "not trusted" in rejected["detail"]

    api.patch(session["id"], settings={"verify_tls": False})
    assert api.connect(session["id"]).json()["state"] == "open"
    api.send(session["id"], format="text", body="over tls")
    api.wait_events(session["id"], lambda ev: "received" in kinds(ev))
    api.disconnect(session["id"])

    # Verification back on, with the certificate in the project's CA bundle.
    admin = client_for(team.admin)
    url = f"/api/v1/projects/{team.project.pk}/ca-bundle/"
    assert admin.put(url, {"pem": "nonsense"}, format="json").status_code == 400
    assert client_for(team.editor).put(url, {"pem": cert_pem}, format="json").status_code == 403
    assert admin.put(url, {"pem": cert_pem}, format="json").status_code == 200
    api.patch(session["id"], settings={"verify_tls": True})
    assert api.connect(session["id"]).json()["state"] == "open"


def test_a_saved_message_can_be_sent_by_id(relay, team, sessions_for, ws_upstream, client_for):
    created = (
        client_for(team.editor)
        .post(
            f"/api/v1/projects/{team.project.pk}/endpoints/",
            {
                "name": "Echo",
                "url": ws_upstream.url("/echo"),
                "messages": [{"name": "bytes", "format": "hex", "body": "01 02"}],
            },
            format="json",
        )
        .json()
    )
    api = sessions_for(team.viewer)
    session = api.open(endpoint=created["id"])
    sent = api.send(session["id"], message_id=created["messages"][0]["id"])
    assert sent["opcode"] == "binary" and sent["size"] == 2
    events = api.wait_events(session["id"], lambda ev: "received" in kinds(ev))
    assert base64.b64decode(events[-1]["base64"]) == b"\x01\x02"


def test_text_with_nul_is_stored_and_shown(relay, team, sessions_for, ws_upstream, client_for):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    api.send(session["id"], format="text", body="a\x00b")
    events = api.wait_events(session["id"], lambda ev: "received" in kinds(ev))
    assert events[-1]["text"] == "a\x00b" and events[-1]["opcode"] == "text"
    detail = client_for(team.editor).get(f"/api/v1/sessions/{session['id']}/events/4/").json()
    assert detail["content"] == "a\x00b"


def test_open_connections_per_user_and_per_relay_are_limited(
    relay, team, sessions_for, ws_upstream, settings
):
    settings.SESSION_MAX_OPEN_PER_USER = 1
    api = sessions_for(team.editor)
    first = api.create(project=team.project.pk, url=ws_upstream.url("/echo"))
    second = api.create(project=team.project.pk, url=ws_upstream.url("/echo"))
    api.connect(first["id"])
    limited = api.connect(second["id"], status=429).json()
    assert limited["code"] == "connection_limit" and limited["limit"] == 1
    assert "SESSION_MAX_OPEN_PER_USER" in limited["detail"]

    settings.SESSION_MAX_OPEN_PER_USER = 10
    RelayRow.objects.filter(pk=relay.pk).update(capacity=1)
    full = api.connect(second["id"], status=503).json()
    assert full["code"] == "relay_unavailable" and "RELAY_MAX_CONNECTIONS" in full["detail"]
    assert api.get(second["id"])["state"] == "idle"


def test_not_waiting_for_connect_and_disconnecting_while_connecting(
    relay, team, sessions_for, silent_server
):
    api = sessions_for(team.editor)
    session = api.create(
        project=team.project.pk,
        url=f"ws://127.0.0.1:{silent_server.port}/",
        settings={"open_timeout": 30},
    )
    pending = api.connect(session["id"], status=202, wait=False).json()
    assert pending["state"] == "connecting"
    api.wait_events(session["id"], lambda ev: kinds(ev) == ["connecting"])
    assert api.patch(session["id"], url="ws://x.test/").status_code == 409
    closed = api.disconnect(session["id"])
    assert closed["state"] == "closed"
    assert closed["connection"]["failure"]["kind"] == "cancelled"
    assert kinds(api.events(session["id"])) == ["connecting", "error"]


def test_idle_sessions_are_closed_and_it_is_logged(
    relay, team, sessions_for, ws_upstream, settings
):
    settings.SESSION_IDLE_TIMEOUT = 0.5
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    events = api.wait_events(session["id"], lambda ev: "closed" in kinds(ev), timeout=10)
    closed = events[-1]["info"]
    assert closed["by"] == "relay" and closed["code"] == 1000
    assert closed["reason"].startswith("Idle for")


def test_deleting_a_connected_session_closes_its_upstream(relay, team, sessions_for, ws_upstream):
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/echo"))
    before = len(relay.connections)
    assert api.client.delete(f"/api/v1/sessions/{session['id']}/").status_code == 204
    wait_for(lambda: len(relay.connections) == before - 1)
    assert api.client.get(f"/api/v1/sessions/{session['id']}/").status_code == 404
