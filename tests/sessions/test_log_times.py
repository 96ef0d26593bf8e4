"""The log's times are what users read latency from: a sent entry is timed when it is written
to the upstream and a received one when it reached the socket (the kernel's receive time),
even while the relay's writer is behind (the database holds it up) or its event loop is
busy, and the times never go back along ``seq``."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve

from sessions.relay import timed_socket
from sessions.relay.server import Relay
from tests.sessions.test_writer import _lock_holder
from tests.sessions.upstreams import LoopThread, ServedWebsockets, Upstream

pytestmark = pytest.mark.django_db(transaction=True)

SECOND_AFTER = 0.05  # the second answer's delay
HELD = 0.5  # how long the writer is held up once the upstream has the message


class TwiceUpstream(ServedWebsockets, Upstream):
    """Answers each message ``m`` with ``m 1`` at once and ``m 2`` after SECOND_AFTER, noting
    when the message came in and when each answer went out."""

    def __init__(self, runner: LoopThread) -> None:
        super().__init__()
        self.runner = runner
        self.times: dict[str, datetime] = {}

    def start(self) -> TwiceUpstream:
        async def start() -> Any:
            return await serve(self._handler, self.host, 0, ping_interval=None)

        self.serve_on_loop(start())
        return self

    async def _handler(self, connection: ServerConnection) -> None:
        async for message in connection:
            assert isinstance(message, str)
            self.times[message] = datetime.now(UTC)
            self.note("/", message)
            for n in (1, 2):
                if n == 2:
                    await asyncio.sleep(SECOND_AFTER)
                self.times[f"{message} {n}"] = datetime.now(UTC)
                await connection.send(f"{message} {n}")


@pytest.fixture(scope="module")
def twice(upstream_loop: LoopThread) -> Iterator[TwiceUpstream]:
    server = TwiceUpstream(upstream_loop).start()
    yield server
    server.stop()


def _at(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["timestamp"])


def test_times_are_taken_at_the_wire_while_the_writer_is_held_up(
    relay: Relay, team: Any, sessions_for: Any, twice: TwiceUpstream
) -> None:
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=twice.url("/"))
    # Every record waits until it is stored, and storing waits for this row lock.
    relay.writer.max_pending = 0
    holder = _lock_holder(session["id"])
    answers: list[dict[str, Any]] = []
    sending = threading.Thread(target=lambda: answers.append(api.send(session["id"], body="hi")))
    try:
        sending.start()
        deadline = time.monotonic() + 10
        while "hi" not in twice.times:
            assert time.monotonic() < deadline, "the message waited for the writer to be sent"
            time.sleep(0.01)
        time.sleep(SECOND_AFTER + HELD)
    finally:
        holder.commit()
        holder.close()
        sending.join(10)
    assert answers, "the send was never answered"

    events = api.wait_events(
        session["id"], lambda ev: sum(e["kind"] == "received" for e in ev) == 2
    )
    sent = next(e for e in events if e["kind"] == "sent")
    first, second = (e for e in events if e["kind"] == "received")
    assert answers[0]["seq"] == sent["seq"] < first["seq"] < second["seq"]
    assert answers[0]["timestamp"] == sent["timestamp"]
    slack = timedelta(seconds=0.2)  # well under HELD; the same clock on both ends
    assert _at(sent) <= twice.times["hi"] < _at(sent) + slack
    for event in (first, second):
        written = twice.times[event["text"]]
        assert written <= _at(event) < written + slack, event["text"]
    assert [_at(e) for e in events] == sorted(_at(e) for e in events)


@pytest.mark.skipif(timed_socket.SO_TIMESTAMPNS is None, reason="no kernel receive times here")
@pytest.mark.parametrize("read", ["recv", "recv_into"])
def test_a_timed_socket_reads_the_kernels_receive_time_not_its_own(read: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        sock = timed_socket.timed_socket(socket.AF_INET)
        sock.setblocking(True)
        sock.connect(server.getsockname())
        peer, _ = server.accept()
        with sock, peer:
            assert isinstance(sock, timed_socket.TimedSocket)
            # Linux turns packet stamping on a moment after the first socket asks for it
            # (from a work queue); until then reads bring no time, and say so.
            deadline = time.monotonic() + 5
            while True:
                peer.sendall(b".")
                assert sock.recv(100) == b"."
                if sock.read_at or time.monotonic() > deadline:
                    break
                assert sock.read_at == 0.0
                time.sleep(0.01)
            before = time.time()
            peer.sendall(b"hello")
            after = time.time()
            time.sleep(0.2)  # a busy event loop comes round to the socket late
            if read == "recv":
                assert sock.recv(100) == b"hello"
            else:
                buffer = bytearray(100)
                assert sock.recv_into(buffer) == 5 and buffer[:5] == b"hello"
            assert before - 0.01 <= sock.read_at <= after + 0.05
