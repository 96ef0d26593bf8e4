"""What the fault and load runs share: the upstream process, API and viewer clients, checks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.scaled import Api, ScaledDeployment
from tests import polling

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


class Upstream:
    """``tests.reliability.upstream`` in a process of its own (so it does not share our GIL)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.upstream"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.url = f"ws://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as response:
            body = response.read()
        return json.loads(body) if path == "/stats" else body.decode()

    def stats(self) -> dict[str, Any]:
        return self.get("/stats")

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(10)


@dataclass
class Outcome:
    """The result of one fault or load item: figures to print, problems that fail it."""

    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, condition: Any, problem: str) -> bool:
        if not condition:
            self.problems.append(problem)
        return bool(condition)

    @property
    def ok(self) -> bool:
        return not self.problems


def wait_for(check: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """``check()``'s first truthy result, or its last result after ``timeout`` seconds."""
    return polling.wait_for(check, timeout, interval, fail=False)


class Client:
    """One user of the deployment: a token and an API client per web process."""

    def __init__(self, deployment: ScaledDeployment, username: str) -> None:
        self.deployment = deployment
        self.token = deployment.provision(username)
        self.apis = [Api(url, self.token) for url in deployment.web_urls]
        self.project = self.apis[0].post("/api/v1/projects/", {"name": f"{username} project"})["id"]

    def open_session(self, url: str, web: int = 0) -> int:
        """A new session on ``url``, connected (fails unless it opens)."""
        api = self.apis[web]
        session = api.post("/api/v1/sessions/", {"project": self.project, "url": url})
        opened = api.post(f"/api/v1/sessions/{session['id']}/connect/")
        if opened.get("state") != "open":
            raise AssertionError(f"connect to {url} answered {opened!r}")
        return session["id"]

    def viewer_url(self, session_id: int, web: int = -1, after: int = 0) -> str:
        base = self.deployment.ws_urls[web]
        return f"{base}/ws/sessions/{session_id}/?after={after}&token={self.token}"


def stored_events(deployment: ScaledDeployment, session_id: int) -> list[tuple[Any, ...]]:
    """(seq, kind, text, size, info) of a session's log, read from the database directly (an
    API read would itself mark a session of a dead relay lost)."""
    return deployment.sql(
        "SELECT seq, kind, text, size, info FROM debug_sessions_event WHERE session_id = %s "
        "ORDER BY seq",
        (session_id,),
    )


def session_state(deployment: ScaledDeployment, session_id: int) -> str | None:
    rows = deployment.sql(
        "SELECT state FROM debug_sessions_debugsession WHERE id = %s", (session_id,)
    )
    return rows[0][0] if rows else None


def gaps(seqs: list[int]) -> list[int]:
    """Sequence numbers missing or repeated in what should be 1, 2, 3, ..."""
    return [index + 1 for index, seq in enumerate(seqs) if seq != index + 1][:10]


class Viewer(threading.Thread):
    """A live viewer socket in a thread, keeping every event it is sent."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.events: list[dict[str, Any]] = []
        self.error: BaseException | None = None
        self.ready = threading.Event()
        self.socket: Any = None

    def run(self) -> None:
        from websockets.sync.client import connect

        try:
            with connect(self.url, open_timeout=10, max_size=None) as socket:
                self.socket = socket
                self.ready.set()
                for raw in socket:
                    message = json.loads(raw)
                    if message.get("type") == "events":
                        self.events.extend(message["events"])
        except Exception as exc:  # kept for the report; a closed socket ends the thread
            self.error = exc
        finally:
            self.ready.set()

    def stop(self) -> None:
        if self.socket is not None:
            self.socket.close()
        self.join(10)


def rss_mib(value: int) -> float:
    return round(value / MiB, 1)


def print_outcomes(outcomes: list[Outcome]) -> None:
    for outcome in outcomes:
        status = "PASS" if outcome.ok else "FAIL"
        print(f"\n[{status}] {outcome.name}")
        for key, value in outcome.figures.items():
            print(f"    {key}: {value}")
        for problem in outcome.problems:
            print(f"    problem: {problem}")
    failed = [o.name for o in outcomes if not o.ok]
    print(
        f"\n{len(outcomes) - len(failed)}/{len(outcomes)} passed"
        + (f"; failed: {failed}" if failed else "")
    )


def run_parts(
    parts: list[tuple[str, Callable[[ScaledDeployment, Upstream], Outcome]]],
    *,
    db_name: str,
    redis_url: str,
    after: Callable[[], None] | None = None,
) -> int:
    """Run each part against one scaled deployment (2 web, 2 relays) and one loopback
    upstream, print the figures, and return the exit status: 1 when a target was missed.
    ``after`` runs last, whatever happened (to bring back what a part stopped)."""
    upstream = Upstream()
    outcomes: list[Outcome] = []
    try:
        with ScaledDeployment(
            webs=2,
            relays=2,
            db_name=db_name,
            redis_url=redis_url,
            allow_loopback=True,
            log_dir=Path("var/scaled") / db_name,
        ) as deployment:
            for name, part in parts:
                print(f"--- {name}", flush=True)
                started = time.monotonic()
                try:
                    outcome = part(deployment, upstream)
                except Exception as exc:
                    outcome = Outcome(name, problems=[f"crashed: {exc!r}"])
                outcome.figures["run time"] = f"{time.monotonic() - started:.0f} s"
                outcomes.append(outcome)
                print_outcomes([outcome])
    finally:
        upstream.stop()
        if after is not None:
            after()
    print("\n=== summary")
    print_outcomes(outcomes)
    return 0 if outcomes and all(o.ok for o in outcomes) else 1
