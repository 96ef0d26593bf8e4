"""Local processes for the scripts and the reliability tests: a free port, one child process
with its log (stop, kill, memory), and the error of a deployment that does not come up."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

STOP_TIMEOUT = 30.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _status_field(pid: int, name: str) -> int:
    """A ``/proc/<pid>/status`` size field (VmRSS, VmHWM) in bytes; 0 when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{name}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else 0


@dataclass
class Process:
    """One process of the deployment, its log file and (for web processes) its port."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    port: int = 0
    # Set when the process is stopped or killed on purpose (its exit is not a failure).
    stopped: bool = False
    # Set once SIGTERM was sent: it is sent once. A second one can land after the process
    # removed its handler on the way out (asyncio restores SIG_DFL when its loop closes) and
    # kill it with -15 in the middle of a clean shutdown.
    terminated: bool = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def rss(self) -> int:
        """Resident memory now, in bytes."""
        return _status_field(self.pid, "VmRSS")

    def peak_rss(self) -> int:
        """The highest resident memory the process has had, in bytes."""
        return _status_field(self.pid, "VmHWM")

    def kill(self, signum: int = signal.SIGKILL) -> None:
        self.stopped = True
        if self.alive():
            self.popen.send_signal(signum)

    def terminate(self) -> None:
        """Ask the process to stop (SIGTERM), once however often it is called."""
        self.stopped = True
        if not self.terminated and self.alive():
            self.terminated = True
            self.popen.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (unless sent already), then SIGKILL if it has not exited after ``timeout``
        seconds. Calling it again only waits for the exit."""
        self.terminate()
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class DeploymentError(RuntimeError):
    pass
