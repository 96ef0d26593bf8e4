"""A WebSocket client that stops reading makes the server's sends wait (config.ws_backpressure),
under a real Daphne: the server stops producing instead of buffering, resumes when the client
reads again, and drops a client that reads nothing for the stall timeout."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import daphne

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def flood_server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    process, port = daphne.start("tests.reliability.flood_app:application")
    yield process, port
    daphne.stop(process)


def sent(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        return int(response.read())


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def open_and_stop_reading(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /flood HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # one byte at a time: read the handshake and nothing more
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def test_sends_wait_while_the_client_does_not_read(flood_server):
    process, port = flood_server
    baseline = rss(process.pid)
    sock = open_and_stop_reading(port)
    time.sleep(1.5)
    stalled = sent(port)
    time.sleep(1.5)
    # Nothing more was produced while nothing was read: kernel buffers plus 64 KiB, no more.
    assert sent(port) == stalled
    assert stalled * 256 * 1024 < 16 * 1024 * 1024
    assert rss(process.pid) - baseline < 32 * 1024 * 1024
    # Reading again lets the server go on.
    sock.settimeout(5)
    received = 0
    while received < 8 * 1024 * 1024:
        received += len(sock.recv(1024 * 1024))
    assert sent(port) > stalled
    sock.close()


def test_a_client_that_reads_nothing_is_dropped_after_the_stall_timeout(flood_server):
    _, port = flood_server
    sock = open_and_stop_reading(port)
    time.sleep(5 + 2)  # flood_app's stall timeout is 5 s
    sock.settimeout(5)
    # Drain what was buffered; the connection then ends (aborted, so maybe with a reset).
    with pytest.raises((ConnectionResetError, AssertionError)):
        while True:
            chunk = sock.recv(1024 * 1024)
            assert chunk, "closed"
    sock.close()
