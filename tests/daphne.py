"""A real Daphne in a subprocess on a free loopback port, for the tests that need the server
itself (its WebSocket layer, its process), not Channels' in-process communicator."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from scripts.scaled import free_port
from tests.polling import wait_for

ROOT = Path(__file__).resolve().parents[1]


def start(
    app: str = "config.asgi:application",
    *,
    env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    stderr: int | IO[Any] = subprocess.PIPE,
    ready: Callable[[int], bool] | None = None,
    timeout: float = 30,
) -> tuple[subprocess.Popen[bytes], int]:
    """Start Daphne serving ``app`` (with Daphne's own options ``args``, e.g. ``--proxy-headers``)
    and wait until ``ready(port)`` (by default: it accepts a TCP connection). A server that exits
    first fails with its standard error."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *args, app],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    check = ready or listening

    def state() -> str | None:
        if process.poll() is not None:
            return "exited"
        return "ready" if check(port) else None

    if wait_for(state, timeout, 0.1, fail=False) != "ready":
        process.kill()
        process.wait(5)
        raise RuntimeError(f"Daphne did not start within {timeout:g} s: {_said(process, stderr)}")
    return process, port


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (Daphne closes its sockets), then SIGKILL if it is still there after 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    if process.stderr is not None:
        process.stderr.close()


def _said(process: subprocess.Popen[bytes], stderr: int | IO[Any]) -> str:
    if process.stderr is not None:
        return process.stderr.read().decode(errors="replace")[-2000:]
    name = getattr(stderr, "name", None)
    if isinstance(name, str) and Path(name).exists():
        return Path(name).read_text(errors="replace")[-2000:]
    return f"exit status {process.returncode}"
