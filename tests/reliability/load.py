"""Load on the scaled deployment on loopback (``make load``).

``python -m tests.reliability.load [api] [sessions]`` starts scripts/scaled.py's topology (the
local PostgreSQL and Redis, two Daphne web processes, two relay workers, default settings),
runs the named parts (both by default), prints their figures and exits 1 when a target is
missed:

* **api**: 200 concurrent API clients for 60 s, spread over both web processes, ten per member
  (each member with a project of its own): a request, a think time of 2-6 s (``--think``), the
  next.
  About 70 % reads (the tree, a filtered list page, an endpoint, its history, the project list)
  and 30 % writes (edit an endpoint, create one, comment, delete one it created). Targets:
  no error (every answer 2xx), p99 <= 500 ms.
* **sessions**: 1,000 debug sessions of 50 users (20 each, the default per-user limit) open at
  once against a loopback upstream that sends each one message per second, for 60 s. Targets:
  every session stays open and every frame the upstream sent is stored, once, in order. The
  relays' memory per session is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scripts.scaled import Api, ScaledDeployment
from tests.reliability.common import Outcome, Upstream, rss_mib, run_parts, wait_for

API_CLIENTS = 200
API_SECONDS = 60.0
API_P99_TARGET_MS = 500.0
API_THINK = (2.0, 6.0)
WARM_UP = 15.0
SESSIONS = 1000
SESSION_USERS = 50
SESSION_SECONDS = 60.0

PROVISION = """
import json
from django.contrib.auth import get_user_model
from accounts.tokens import token_create
User = get_user_model()
tokens = []
for index in range({count}):
    user, _ = User.objects.get_or_create(username=f"{prefix}{{index}}")
    tokens.append(token_create(user=user, name="load")[1])
print(json.dumps(tokens))
"""


def provision_many(deployment: ScaledDeployment, prefix: str, count: int) -> list[str]:
    """Tokens of ``count`` new users, created in one process (provision_user takes ~1 s each)."""
    out = deployment.manage("shell", "-c", PROVISION.format(prefix=prefix, count=count))
    return json.loads(out.strip().splitlines()[-1])


# --- API load ------------------------------------------------------------------------------


class Workspace:
    """One user's project as the load clients see it: its folders and endpoints."""

    def __init__(self, token: str, project: int, folders: list[int], endpoints: list[int]):
        self.token = token
        self.project = project
        self.folders = folders
        self.endpoints = endpoints


def seed_workspace(base_url: str, token: str, name: str) -> Workspace:
    api = Api(base_url, token)
    project = api.post("/api/v1/projects/", {"name": name})["id"]
    folders = [
        api.post(f"/api/v1/projects/{project}/folders/", {"name": f"Folder {index}"})["id"]
        for index in range(3)
    ]
    endpoints = [
        api.post(
            f"/api/v1/projects/{project}/endpoints/",
            {
                "name": f"Stream {index}",
                "url": f"wss://stream.example.com/v{index}?symbols={{{{symbols}}}}",
                "folder": folders[index % 3],
                "headers": [{"name": "X-Api-Key", "value": "{{key}}"}],
                "messages": [{"name": "subscribe", "format": "json", "body": '{"op": "sub"}'}],
                "tags": ["market", f"v{index % 4}"],
                "description": "Live **ticks**.",
            },
        )["id"]
        for index in range(30)
    ]
    return Workspace(token, project, folders, endpoints)


class ApiLoad:
    def __init__(
        self,
        base_urls: list[str],
        workspaces: list[Workspace],
        seconds: float,
        think: tuple[float, float],
    ) -> None:
        self.think = think
        self.base_urls = base_urls
        self.workspaces = workspaces
        self.seconds = seconds
        self.latencies: dict[str, list[float]] = {}
        self.errors: list[str] = []
        self.timeline: list[tuple[float, float]] = []

    async def run(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            # Fresh processes import lazily and their connection pools grow with the load:
            # the first WARM_UP seconds are run but not measured.
            self.measure_from = time.monotonic() + WARM_UP
            self.stop_at = self.measure_from + self.seconds
            await asyncio.gather(
                *(self._client(http, index) for index in range(API_CLIENTS)),
            )

    async def _client(self, http: Any, index: int) -> None:
        workspace = self.workspaces[index % len(self.workspaces)]
        base = self.base_urls[index % len(self.base_urls)]
        headers = {"Authorization": f"Bearer {workspace.token}"}
        created: list[int] = []
        project = f"{base}/api/v1/projects/{workspace.project}"
        await asyncio.sleep(random.random())  # clients do not start in lockstep
        while time.monotonic() < self.stop_at:
            endpoint = random.choice(workspace.endpoints)
            roll = random.random()
            body: Any = None
            if roll < 0.15:
                name, method, url = "tree", "GET", f"{project}/tree/"
            elif roll < 0.35:
                name, method = "list", "GET"
                url = f"{project}/endpoints/?page_size=20&tag=market&q=stream"
            elif roll < 0.55:
                name, method, url = "endpoint", "GET", f"{project}/endpoints/{endpoint}/"
            elif roll < 0.62:
                name, method, url = "history", "GET", f"{project}/endpoints/{endpoint}/history/"
            elif roll < 0.70:
                name, method, url = "projects", "GET", f"{base}/api/v1/projects/"
            elif roll < 0.82:
                name, method, url = "edit", "PATCH", f"{project}/endpoints/{endpoint}/"
                body = {"description": f"Edited by client {index} at {time.time():.3f}"}
            elif roll < 0.90:
                name, method, url = "create", "POST", f"{project}/endpoints/"
                body = {
                    "name": f"Client {index} endpoint",
                    "url": "ws://echo.example.com/",
                    "folder": random.choice(workspace.folders),
                }
            elif roll < 0.96 or not created:
                name, method = "comment", "POST"
                url = f"{project}/endpoints/{endpoint}/comments/"
                body = {"body": f"Looks good @{index}"}
            else:
                name, method = "delete", "DELETE"
                url = f"{project}/endpoints/{created.pop()}/"
            started = time.perf_counter()
            try:
                async with http.request(method, url, json=body, headers=headers) as response:
                    payload = await response.read()
                    status = response.status
            except Exception as exc:
                self.errors.append(f"{name}: {type(exc).__name__} {exc}")
                status, payload = 0, b""
            elapsed = (time.perf_counter() - started) * 1000
            if time.monotonic() >= self.measure_from:
                self.latencies.setdefault(name, []).append(elapsed)
                self.timeline.append((time.monotonic() - self.measure_from, elapsed))
            if status >= 400 or status == 0:
                if status:
                    self.errors.append(f"{name}: {status} {payload[:200]!r}")
            elif name == "create":
                created.append(json.loads(payload)["id"])
            await asyncio.sleep(random.uniform(*self.think))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def api_load(deployment: ScaledDeployment, seconds: float, think: tuple[float, float]) -> Outcome:
    out = Outcome(f"API: {API_CLIENTS} concurrent clients for {seconds:g} s")
    tokens = provision_many(deployment, "api", 20)
    with ThreadPoolExecutor(10) as pool:
        workspaces = list(
            pool.map(
                lambda pair: seed_workspace(deployment.web_urls[0], pair[1], f"Load {pair[0]}"),
                enumerate(tokens),
            )
        )
    load = ApiLoad(deployment.web_urls, workspaces, seconds, think)
    asyncio.run(load.run())
    elapsed = seconds
    every = [value for values in load.latencies.values() for value in values]
    p50, p99 = percentile(every, 0.50), percentile(every, 0.99)
    out.figures.update(
        {
            "requests": f"{len(every)} in {elapsed:.0f} s ({len(every) / elapsed:.0f}/s) over "
            f"{len(deployment.web_processes)} web processes",
            "latency": f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (target <= {API_P99_TARGET_MS:g} ms), "
            f"max {max(every):.0f} ms",
            "errors": len(load.errors),
        }
    )
    windows: dict[int, list[float]] = {}
    for at, value in load.timeline:
        windows.setdefault(int(at // 10) * 10, []).append(value)
    out.figures["p99 per 10 s"] = ", ".join(
        f"{start}s: {percentile(values, 0.99):.0f}" for start, values in sorted(windows.items())
    )
    for name, values in sorted(load.latencies.items()):
        out.figures[f"  {name}"] = (
            f"{len(values)} requests, p50 {statistics.median(values):.0f} ms, "
            f"p99 {percentile(values, 0.99):.0f} ms"
        )
    out.check(not load.errors, f"{len(load.errors)} errors, e.g. {load.errors[:3]}")
    out.check(p99 <= API_P99_TARGET_MS, f"p99 {p99:.0f} ms")
    return out


# --- sessions load -------------------------------------------------------------------------


def sessions_load(deployment: ScaledDeployment, upstream: Upstream, seconds: float) -> Outcome:
    out = Outcome(f"sessions: {SESSIONS} open at once, one message per second each")
    per_user = SESSIONS // SESSION_USERS
    tokens = provision_many(deployment, "relay", SESSION_USERS)
    relays = [p for p in deployment.relay_processes if p.alive()]
    webs = deployment.web_processes
    baseline = {p.pid: p.rss() for p in relays + webs}
    cpu_before = {p.pid: _cpu_seconds(p.pid) for p in relays}

    def make_project(token: str) -> int:
        return Api(deployment.web_urls[0], token).post("/api/v1/projects/", {"name": "Relay"})["id"]

    with ThreadPoolExecutor(8) as pool:
        projects = list(pool.map(make_project, tokens))

    def open_one(index: int) -> tuple[int, str]:
        token, project = tokens[index // per_user], projects[index // per_user]
        api = Api(deployment.web_urls[index % len(webs)], token)
        key = f"s{index}"
        session = api.post(
            "/api/v1/sessions/",
            {"project": project, "url": f"{upstream.url}/count?id={key}&rate=1"},
        )
        opened = api.post(f"/api/v1/sessions/{session['id']}/connect/")
        if opened.get("state") != "open":
            raise AssertionError(f"session {index}: {opened!r}")
        return session["id"], key

    opening = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        opened = list(pool.map(open_one, range(SESSIONS)))
    open_seconds = time.monotonic() - opening
    keys = dict(opened)
    # Every session streams for the whole window, all at once.
    time.sleep(seconds)
    states = dict(
        deployment.sql("SELECT state, count(*) FROM debug_sessions_debugsession GROUP BY state")
    )
    rss = {p.pid: p.rss() for p in relays + webs}
    cpu = {p.pid: _cpu_seconds(p.pid) - cpu_before[p.pid] for p in relays}
    upstream.get("/pause")
    time.sleep(2)  # what is on the wire arrives and is stored
    sent = upstream.stats()["sent"]
    stored = wait_for(lambda: _stored_matches(deployment, keys, sent), 30, 1.0)
    counts = _stored_counts(deployment)
    upstream.get("/resume")
    missing = sum(max(0, sent[key] - counts.get(sid, (0, 0))[0]) for sid, key in keys.items())
    extra = sum(max(0, counts.get(sid, (0, 0))[0] - sent[key]) for sid, key in keys.items())
    duplicates = sum(total - distinct for total, distinct in counts.values())
    frames = sum(sent[key] for key in keys.values())
    relay_growth = sum(rss[p.pid] - baseline[p.pid] for p in relays)
    out.figures.update(
        {
            "opened": f"{len(opened)} sessions of {SESSION_USERS} users in {open_seconds:.1f} s "
            f"({len(opened) / open_seconds:.0f} connects/s)",
            "states after the window": json.dumps(states),
            "frames": f"{frames} sent by the upstream in {seconds:g} s, {missing} not stored, "
            f"{duplicates} stored twice, {extra} more than sent",
            "relay RSS": ", ".join(
                f"{rss_mib(baseline[p.pid])} -> {rss_mib(rss[p.pid])} MiB" for p in relays
            )
            + f" (+{relay_growth / SESSIONS / 1024:.0f} KiB per session)",
            "relay CPU": ", ".join(f"{cpu[p.pid] / seconds * 100:.0f} %" for p in relays)
            + " of a core during the window",
            "web RSS": ", ".join(
                f"{rss_mib(baseline[p.pid])} -> {rss_mib(rss[p.pid])} MiB" for p in webs
            ),
        }
    )
    out.check(len(opened) == SESSIONS, f"only {len(opened)} sessions opened")
    out.check(states.get("open") == SESSIONS, f"states {states}")
    out.check(stored and missing == 0 and extra == 0, f"{missing} frames missing, {extra} extra")
    out.check(duplicates == 0, f"{duplicates} frames stored twice")
    return out


def _stored_counts(deployment: ScaledDeployment) -> dict[int, tuple[int, int]]:
    rows = deployment.sql(
        "SELECT session_id, count(*), count(DISTINCT text) FROM debug_sessions_event "
        "WHERE kind = 'received' GROUP BY session_id"
    )
    return {sid: (total, distinct) for sid, total, distinct in rows}


def _stored_matches(deployment: ScaledDeployment, keys: dict[int, str], sent: dict) -> bool:
    counts = _stored_counts(deployment)
    return all(counts.get(sid, (0, 0))[0] >= sent[key] for sid, key in keys.items())


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


PARTS = ("api", "sessions")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.load", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART", help="api, sessions (default both)")
    parser.add_argument("--api-seconds", type=float, default=API_SECONDS)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=API_THINK,
        metavar=("MIN", "MAX"),
        help="seconds an API client waits between requests (uniform; default %(default)s)",
    )
    parser.add_argument("--session-seconds", type=float, default=SESSION_SECONDS)
    parser.add_argument("--db-name", default="switchboard_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    parts = args.parts or list(PARTS)
    if any(part not in PARTS for part in parts):
        parser.error(f"parts are {', '.join(PARTS)}")
    runners: dict[str, Callable[[ScaledDeployment, Upstream], Outcome]] = {
        "api": lambda deployment, _: api_load(deployment, args.api_seconds, tuple(args.think)),
        "sessions": lambda deployment, upstream: sessions_load(
            deployment, upstream, args.session_seconds
        ),
    }
    return run_parts(
        [(part, runners[part]) for part in parts], db_name=args.db_name, redis_url=args.redis_url
    )


if __name__ == "__main__":
    sys.exit(main())
