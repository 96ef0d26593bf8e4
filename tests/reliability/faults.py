"""Fault injection against the scaled deployment on loopback (``make faults``).

``python -m tests.reliability.faults [flood slow-viewer relay-kill redis-restart
postgres-restart]`` starts scripts/scaled.py's topology (the local PostgreSQL and Redis, two
Daphne web processes, two relay workers, default settings) and an upstream server process, runs
the named faults (all by default, in that order), prints each one's figures and exits 1 when one
missed its target:

* **flood**: an upstream sends 64 KiB binary frames at 50 MiB/s. The relay keeps storing (as
  fast as PostgreSQL takes it, pausing the upstream meanwhile), its memory stays bounded, and at
  ``SESSION_MAX_RECEIVED_BYTES`` it closes the connection with 1008 and says why.
* **slow-viewer**: a viewer socket stops reading while its session receives 2 MiB/s. The web
  process does not grow (its sends wait, batches beyond the channel layer's capacity are
  dropped), and once the viewer reads again it gets every entry, in order, none twice.
* **relay-kill**: SIGKILL a relay worker while its sessions stream and a client sends. Its
  sessions become ``lost`` within ``RELAY_LOST_AFTER + RELAY_HEARTBEAT_INTERVAL``; every send it
  acknowledged and every entry a viewer was shown is stored, with no gap; the other relay's
  sessions go on.
* **redis-restart**: ``redis-cli shutdown nosave``, then a new ``redis-server``. The processes
  keep running, /healthz reports the outage and then recovers, and new sessions work.
* **postgres-restart**: stop and start the cluster. While it is down API calls answer
  ``503 database_unavailable`` in the error shape; afterwards they succeed, and a session that
  streamed through the outage lost nothing.

The Redis and PostgreSQL restarts affect everything else using those servers on this machine;
both are always started again (``finally``), and kept down only a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from scripts.scaled import Api, ScaledDeployment
from tests.reliability.common import (
    Client,
    MiB,
    Outcome,
    Upstream,
    Viewer,
    gaps,
    rss_mib,
    run_parts,
    session_state,
    stored_events,
    wait_for,
)

# The documented defaults (docs/configuration.md "Environment variables"); the deployment runs
# with them.
RELAY_HEARTBEAT_INTERVAL = 5.0
RELAY_LOST_AFTER = 15.0
SESSION_MAX_RECEIVED_BYTES = 256 * MiB
# Relay memory under the flood: the writer's queue (MAX_PENDING_BYTES, 64 MiB), the batch being
# copied into PostgreSQL (bytea travels as hex text, twice its size) and allocator slack.
FLOOD_RSS_GROWTH_TARGET = 384 * MiB
SLOW_VIEWER_RSS_GROWTH_TARGET = 24 * MiB
REDIS = ("127.0.0.1", 6379)


class Faults:
    def __init__(self, deployment: ScaledDeployment, upstream: Upstream) -> None:
        self.d = deployment
        self.upstream = upstream
        self.client = Client(deployment, "faults")

    # --- flood --------------------------------------------------------------------------

    def flood(self) -> Outcome:
        out = Outcome("flood: upstream sends 50 MiB/s")
        d = self.d
        sid = self.client.open_session(f"{self.upstream.url}/flood?mibps=50&size=65536")
        relay = self._relay_of(sid)
        baseline, peak_seen = relay.rss(), 0
        hwm_before = relay.peak_rss()
        sent_before = self.upstream.stats()["bytes"]
        started = time.monotonic()
        while session_state(d, sid) in ("connecting", "open", "closing"):
            peak_seen = max(peak_seen, relay.rss())
            if time.monotonic() - started > 120:
                out.check(False, "still open after 120 s")
                break
            time.sleep(0.05)
        elapsed = time.monotonic() - started
        sent = self.upstream.stats()["bytes"] - sent_before
        events = stored_events(d, sid)
        received = [e for e in events if e[1] == "received"]
        stored_bytes = sum(e[3] for e in received)
        last = events[-1]
        peak = max(peak_seen, relay.peak_rss() if relay.peak_rss() > hwm_before else 0)
        out.figures.update(
            {
                "upstream sent": f"{sent / MiB:.0f} MiB in {elapsed:.1f} s "
                f"({sent / MiB / elapsed:.1f} MiB/s; the relay reads as fast as it stores)",
                "stored": f"{len(received)} frames, {stored_bytes / MiB:.1f} MiB",
                "closed with": f"{(last[4] or {}).get('code')} by {(last[4] or {}).get('by')}: "
                f"{last[2]}",
                "relay RSS": f"{rss_mib(baseline)} MiB before, peak {rss_mib(peak)} MiB "
                f"(+{rss_mib(peak - baseline)} MiB; target +{rss_mib(FLOOD_RSS_GROWTH_TARGET)})",
            }
        )
        info = last[4] or {}
        out.check(session_state(d, sid) == "closed", f"state {session_state(d, sid)!r}")
        out.check(
            last[1] == "closed" and info.get("code") == 1008 and info.get("by") == "relay",
            f"last entry {last[:3]!r} {info!r}",
        )
        out.check("SESSION_MAX_RECEIVED_BYTES" in (last[2] or ""), "the close does not say why")
        out.check(
            SESSION_MAX_RECEIVED_BYTES < stored_bytes <= SESSION_MAX_RECEIVED_BYTES + 64 * 1024,
            f"stored {stored_bytes} bytes, limit {SESSION_MAX_RECEIVED_BYTES}",
        )
        out.check(
            not gaps([e[0] for e in events]), f"gaps in the log: {gaps([e[0] for e in events])}"
        )
        out.check(
            peak - baseline <= FLOOD_RSS_GROWTH_TARGET,
            f"relay grew by {rss_mib(peak - baseline)} MiB",
        )
        return out

    # --- a viewer that stops reading ----------------------------------------------------

    def slow_viewer(self) -> Outcome:
        out = Outcome("slow viewer: stops reading for 20 s, then resumes")
        d = self.d
        web = d.web_processes[1]
        sid = self.client.open_session(f"{self.upstream.url}/count?id=slow&rate=200&size=10000")
        result = asyncio.run(self._stalled_viewer(sid, web))
        self.client.apis[0].post(f"/api/v1/sessions/{sid}/disconnect/")
        growth = result["peak"] - result["baseline"]
        out.figures.update(
            {
                "stream": f"200 frames/s of 10 kB (~1.9 MiB/s); {result['stalled_mib']:.0f} MiB "
                f"arrived while the viewer read nothing for {result['stall']:.0f} s",
                "web RSS": f"{rss_mib(result['baseline'])} MiB before, peak "
                f"{rss_mib(result['peak'])} MiB (+{rss_mib(growth)} MiB; target "
                f"+{rss_mib(SLOW_VIEWER_RSS_GROWTH_TARGET)})",
                "after resuming": f"{result['received']} entries, last seq {result['last']}, "
                f"in {result['catch_up']:.1f} s",
            }
        )
        out.check(growth <= SLOW_VIEWER_RSS_GROWTH_TARGET, f"web grew by {rss_mib(growth)} MiB")
        out.check(not result["gaps"], f"the viewer's seqs have gaps/duplicates at {result['gaps']}")
        out.check(result["last"] >= result["target"], "the viewer never caught up")
        return out

    async def _stalled_viewer(self, sid: int, web: Any) -> dict[str, Any]:
        from websockets.asyncio.client import connect

        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
        sock.connect(("127.0.0.1", web.port))
        sock.setblocking(False)
        url = self.client.viewer_url(sid, web=1)
        seqs: list[int] = []
        async with connect(url, sock=sock, max_queue=2, max_size=None, ping_interval=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "session", hello
            await asyncio.sleep(1)
            baseline = peak = web.rss()
            sent_before = self.upstream.stats()["bytes"]
            stall = 20.0
            stop_at = time.monotonic() + stall
            while time.monotonic() < stop_at:  # read nothing, watch the web process
                await asyncio.sleep(0.25)
                peak = max(peak, web.rss())
            stalled = self.upstream.stats()["bytes"] - sent_before
            target = stored_events(self.d, sid)[-1][0]
            resumed = time.monotonic()
            while not seqs or seqs[-1] < target:
                message = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if message["type"] == "events":
                    seqs.extend(e["seq"] for e in message["events"])
            catch_up = time.monotonic() - resumed
        return {
            "baseline": baseline,
            "peak": peak,
            "stall": stall,
            "stalled_mib": stalled / MiB,
            "received": len(seqs),
            "last": seqs[-1] if seqs else 0,
            "target": target,
            "gaps": gaps(seqs),
            "catch_up": catch_up,
        }

    # --- SIGKILL a relay worker ---------------------------------------------------------

    def relay_kill(self) -> Outcome:
        out = Outcome("relay killed (SIGKILL) mid-stream")
        d = self.d
        sids = [
            self.client.open_session(f"{self.upstream.url}/count?id=kill{i}&rate=50")
            for i in range(4)
        ]
        victim = self._relay_of(sids[0])
        victims = [s for s in sids if self._relay_of(s) is victim]
        survivors = [s for s in sids if s not in victims]
        out.check(survivors, "every session landed on one relay")
        viewers = {sid: Viewer(self.client.viewer_url(sid, web=1)) for sid in victims}
        for viewer in viewers.values():
            viewer.start()
            viewer.ready.wait(10)
        senders = {sid: Sender(self.client.apis[0], sid) for sid in victims}
        for sender in senders.values():
            sender.start()
        time.sleep(3)
        victim.kill(signal.SIGKILL)
        killed = time.monotonic()
        victim.popen.wait(10)
        bound = RELAY_LOST_AFTER + RELAY_HEARTBEAT_INTERVAL
        lost = wait_for(
            lambda: all(session_state(d, s) == "lost" for s in victims), bound + 15, 0.1
        )
        lost_after = time.monotonic() - killed
        for sender in senders.values():
            sender.stop()
        # The survivors are still served by the other relay.
        before = {s: len(stored_events(d, s)) for s in survivors}
        time.sleep(1.5)
        moving = all(len(stored_events(d, s)) > before[s] for s in survivors)
        acked = sum(len(s.acked) for s in senders.values())
        shown = sum(len(v.events) for v in viewers.values())
        for viewer in viewers.values():
            viewer.stop()
        missing_acks = missing_shown = 0
        problems: list[str] = []
        for sid in victims:
            events = stored_events(d, sid)
            stored = {e[0]: (e[1], e[2]) for e in events}
            seqs = [e[0] for e in events]
            if gaps(seqs):
                problems.append(f"session {sid} log has gaps at {gaps(seqs)}")
            if events[-1][1] != "error" or "no heartbeat" not in (events[-1][2] or ""):
                problems.append(f"session {sid} ends with {events[-1][:3]!r}")
            for seq, body in senders[sid].acked:
                if stored.get(seq) != ("sent", body):
                    missing_acks += 1
            for event in viewers[sid].events:
                if stored.get(event["seq"]) != (event["kind"], event["text"]):
                    missing_shown += 1
            frames = [int(e[2].split(":")[1]) for e in events if e[1] == "received"]
            if frames != list(range(len(frames))):
                problems.append(f"session {sid}: upstream frames stored out of order or missing")
        out.figures.update(
            {
                "sessions": f"{len(victims)} on the killed relay, {len(survivors)} on the other",
                "lost after": f"{lost_after:.1f} s after the kill (bound "
                f"RELAY_LOST_AFTER + RELAY_HEARTBEAT_INTERVAL = {bound:g} s)",
                "acknowledged sends": f"{acked}, all stored: {missing_acks == 0}",
                "entries shown to viewers": f"{shown}, all stored: {missing_shown == 0}",
                "other relay's sessions": "still streaming" if moving else "STOPPED",
            }
        )
        out.check(lost, "the sessions never became lost")
        out.check(lost_after <= bound + 1.5, f"lost after {lost_after:.1f} s")
        out.check(acked > 0 and shown > 0, "nothing was acknowledged or shown before the kill")
        out.check(missing_acks == 0, f"{missing_acks} acknowledged sends are not stored")
        out.check(missing_shown == 0, f"{missing_shown} entries shown are not stored")
        out.check(moving, "the surviving relay's sessions stopped")
        out.problems.extend(problems)
        for sid in survivors:
            self.client.apis[0].post(f"/api/v1/sessions/{sid}/disconnect/")
        d.start_relay()  # back to two relays for what follows
        return out

    # --- restart Redis ------------------------------------------------------------------

    def redis_restart(self) -> Outcome:
        out = Outcome("Redis restarted")
        d = self.d
        pids = [p.pid for p in d.web_processes + d.relay_processes if not p.stopped]
        before = self.client.open_session(f"{self.upstream.url}/echo")
        viewer = Viewer(self.client.viewer_url(before, web=1))
        viewer.start()
        viewer.ready.wait(10)
        down_health: list[int] = []
        reads: list[int] = []
        try:
            down_at = time.monotonic()
            subprocess.run(
                ["redis-cli", "-h", REDIS[0], "-p", str(REDIS[1]), "shutdown", "nosave"],
                capture_output=True,
                timeout=10,
            )
            wait_for(lambda: not _redis_up(), 10)
            for index in range(len(d.web_processes)):
                down_health.append(d.healthz(index)[0])
            # Reads need only the database.
            reads.append(self.client.apis[1].call("GET", "/api/v1/projects/", expect=())[0])
        finally:
            _start_redis()
        down = time.monotonic() - down_at
        up_at = time.monotonic()
        healthy = wait_for(
            lambda: all(d.healthz(i)[0] == 200 for i in range(len(d.web_processes))), 60, 0.5
        )
        recovered = time.monotonic() - up_at
        # New sessions, through every web process, reach a relay and its replies come back.
        round_trips = []
        for web in range(len(d.web_processes)):
            round_trips.append(self._round_trip(web))
        old, answer = self.client.apis[0].call(
            "POST", f"/api/v1/sessions/{before}/messages/", {"format": "text", "body": "old"}, ()
        )
        # The viewer connected before the restart: it goes on (its group membership was lost
        # with Redis' data and is renewed) or is closed so that its client reconnects; it must
        # not wait forever.
        seq = answer.get("seq", 0) if isinstance(answer, dict) else 0
        fate = wait_for(
            lambda: (
                "closed"
                if not viewer.is_alive()
                else ("live" if any(e["seq"] >= seq for e in viewer.events[-5:]) else None)
            ),
            75,
            0.5,
        )
        viewer.stop()
        alive = all(p.alive() for p in d.web_processes + d.relay_processes if p.pid in pids)
        out.figures.update(
            {
                "Redis down": f"{down:.1f} s",
                "while down": f"/healthz {down_health}, GET /api/v1/projects/ {reads}",
                "healthy again": f"{recovered:.1f} s after Redis was back" if healthy else "NEVER",
                "new sessions after": ", ".join(round_trips),
                "send on a session opened before": str(old),
                "viewer connected before": fate or "SILENT (neither live nor closed)",
                "processes restarted": "none" if alive else "SOME DIED",
            }
        )
        out.check(all(code == 503 for code in down_health), f"/healthz while down: {down_health}")
        out.check(healthy, "/healthz never recovered")
        out.check(all(r.startswith("ok") for r in round_trips), f"round trips: {round_trips}")
        out.check(alive, "a process exited")
        out.check(old == 201, f"send on the session opened before: {old}")
        out.check(fate, "the viewer connected before neither got new entries nor was closed")
        return out

    # --- restart PostgreSQL -------------------------------------------------------------

    def postgres_restart(self) -> Outcome:
        out = Outcome("PostgreSQL stopped and started")
        d = self.d
        streaming = self.client.open_session(f"{self.upstream.url}/count?id=pg&rate=20")
        time.sleep(1)
        calls = [
            (api, method, body)
            for api in self.client.apis
            for method, body in (("GET", None), ("POST", {"name": "while down"}))
        ]
        try:
            down_at = time.monotonic()
            _pg_cluster("stop")
            # All at once: the outage is felt by everything else on this machine.
            with ThreadPoolExecutor(len(calls) + 2) as pool:
                answers = pool.map(
                    lambda call: _answer(call[0], call[1], "/api/v1/projects/", call[2]), calls
                )
                healths = pool.map(lambda index: _health(d, index), range(len(d.web_processes)))
                during, health = list(answers), list(healths)
            answered_in = time.monotonic() - down_at
        finally:
            _pg_cluster("start")
        down = time.monotonic() - down_at
        up_at = time.monotonic()
        ok = wait_for(
            lambda: all(
                api.call("GET", "/api/v1/projects/", expect=())[0] == 200
                for api in self.client.apis
            ),
            30,
            0.2,
        )
        recovered = time.monotonic() - up_at
        # Every web process serves many requests fine afterwards (no stale connection left).
        statuses = [
            api.call("GET", "/api/v1/projects/", expect=())[0]
            for _ in range(10)
            for api in self.client.apis
        ]
        round_trips = [self._round_trip(web) for web in range(len(d.web_processes))]
        time.sleep(2)
        self.client.apis[0].post(f"/api/v1/sessions/{streaming}/disconnect/")
        events = stored_events(d, streaming)
        frames = [int(e[2].split(":")[1]) for e in events if e[1] == "received"]
        out.figures.update(
            {
                "PostgreSQL down": f"{down:.1f} s (the calls below answered within "
                f"{answered_in:.1f} s)",
                "while down": ", ".join(
                    f"{status} {body.get('code') if isinstance(body, dict) else body!r}"
                    for status, body in during
                )
                + f"; /healthz {health}",
                "requests succeed again": f"{recovered:.1f} s after it was back" if ok else "NEVER",
                "afterwards": f"{statuses.count(200)}/{len(statuses)} reads 200; sessions: "
                + ", ".join(round_trips),
                "session streaming through it": f"{len(frames)} frames, "
                f"none missing: {frames == list(range(len(frames)))}, "
                f"state {session_state(d, streaming)}",
            }
        )
        for status, body in during:
            out.check(
                status == 503
                and isinstance(body, dict)
                and body.get("code") == "database_unavailable"
                and isinstance(body.get("detail"), str),
                f"while down: {status} {body!r}",
            )
        out.check(all(code == 503 for code in health), f"/healthz while down: {health}")
        out.check(ok, "requests never succeeded again")
        out.check(statuses.count(200) == len(statuses), f"afterwards: {statuses}")
        out.check(all(r.startswith("ok") for r in round_trips), f"round trips: {round_trips}")
        out.check(frames == list(range(len(frames))), "frames lost across the outage")
        out.check(session_state(d, streaming) == "closed", f"state {session_state(d, streaming)}")
        out.check(not gaps([e[0] for e in events]), "gaps in the streaming session's log")
        return out

    # --- helpers ------------------------------------------------------------------------

    def _relay_of(self, sid: int) -> Any:
        rows = self.d.sql(
            "SELECT r.pid FROM debug_sessions_debugsession s "
            "JOIN debug_sessions_relay r ON r.id = s.relay_id WHERE s.id = %s",
            (sid,),
        )
        pid = rows[0][0]
        return next(p for p in self.d.relay_processes if p.pid == pid)

    def _round_trip(self, web: int) -> str:
        """Open a session through web process ``web``, send, see the echo stored."""
        try:
            sid = self.client.open_session(f"{self.upstream.url}/echo", web=web)
            api = self.client.apis[web]
            api.post(f"/api/v1/sessions/{sid}/messages/", {"format": "text", "body": "hi"})
            echoed = wait_for(
                lambda: any(e[1] == "received" for e in stored_events(self.d, sid)), 10
            )
            api.post(f"/api/v1/sessions/{sid}/disconnect/")
            return f"ok via web-{web + 1}" if echoed else f"no echo via web-{web + 1}"
        except Exception as exc:
            return f"failed via web-{web + 1}: {exc}"


class Sender:
    """Sends a message every 50 ms through REST and keeps what was acknowledged (seq, body)."""

    def __init__(self, api: Api, sid: int) -> None:
        self.api = Api(api.base_url, api.token)
        self.sid = sid
        self.acked: list[tuple[int, str]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        index = 0
        while not self.stopping.is_set():
            body = f"ack-{self.sid}-{index}"
            index += 1
            try:
                status, answer = self.api.call(
                    "POST",
                    f"/api/v1/sessions/{self.sid}/messages/",
                    {"format": "text", "body": body},
                    expect=(),
                    timeout=5,
                )
            except OSError:  # timed out: the relay is gone; not acknowledged
                continue
            if status == 201:
                self.acked.append((answer["seq"], body))
            elif status == 409:
                return
            self.stopping.wait(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)


def _answer(api: Api, method: str, path: str, body: Any) -> tuple[int, Any]:
    try:
        return api.call(method, path, body, expect=(), timeout=30)
    except OSError as exc:
        return 0, repr(exc)


def _health(deployment: ScaledDeployment, index: int) -> int:
    try:
        return deployment.healthz(index)[0]
    except OSError:
        return 0


def _redis_up() -> bool:
    try:
        with socket.create_connection(REDIS, 1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start_redis() -> None:
    if not _redis_up():
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                REDIS[0],
                "--port",
                str(REDIS[1]),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
            timeout=10,
        )
    if not wait_for(_redis_up, 30, 0.1):
        raise RuntimeError("Redis did not come back")


def _pg_up() -> bool:
    command = ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]
    return subprocess.run(command, timeout=10).returncode == 0


def _pg_cluster(action: str) -> None:
    if action == "start" and _pg_up():
        return
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=action == "start", capture_output=True, timeout=60)
    if action == "start" and not wait_for(_pg_up, 60, 0.2):
        raise RuntimeError("PostgreSQL did not come back")


FAULTS: dict[str, Callable[[Faults], Outcome]] = {
    "flood": Faults.flood,
    "slow-viewer": Faults.slow_viewer,
    "relay-kill": Faults.relay_kill,
    "redis-restart": Faults.redis_restart,
    "postgres-restart": Faults.postgres_restart,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.faults", description=__doc__)
    parser.add_argument("faults", nargs="*", metavar="FAULT", help=f"any of {', '.join(FAULTS)}")
    parser.add_argument("--db-name", default="switchboard_faults")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    names = args.faults or list(FAULTS)
    unknown = [name for name in names if name not in FAULTS]
    if unknown:
        parser.error(f"unknown fault {unknown[0]!r}; choose from {', '.join(FAULTS)}")
    made: list[Faults] = []  # one per run: its client user is provisioned once

    def part(name: str) -> Callable[[ScaledDeployment, Upstream], Outcome]:
        def run(deployment: ScaledDeployment, upstream: Upstream) -> Outcome:
            if not made:
                made.append(Faults(deployment, upstream))
            return FAULTS[name](made[0])

        return run

    def restore() -> None:
        _start_redis()
        _pg_cluster("start")

    return run_parts(
        [(name, part(name)) for name in names],
        db_name=args.db_name,
        redis_url=args.redis_url,
        after=restore,
    )


if __name__ == "__main__":
    sys.exit(main())
