"""The scaled deployment as local processes, for machines without Docker.

The same topology as ``docker-compose.yml``: PostgreSQL and Redis (the servers already running
on this machine), N Daphne web processes and N ``manage.py relay_worker`` processes, all wired
by ``DATABASE_URL`` and ``REDIS_URL``. The deployment gets a database of its own (created fresh,
dropped at the end unless kept) and a Redis db of its own; it migrates first, waits until every
web process answers ``/healthz`` and every relay is registered, and stops them all cleanly.

Command line (``make scaled``)::

    python -m scripts.scaled --webs 2 --relays 2 --port 8100   # Ctrl-C stops and cleans up
    python -m scripts.scaled --webs 1 --relays 1 --smoke       # start, one round trip, stop

From Python (the fault and load runs, and the smoke test, use it like this)::

    with ScaledDeployment(webs=2, relays=2, allow_loopback=True) as deployment:
        token = deployment.provision("alice")
        deployment.relay_processes[0].kill()
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from scripts.client import Api
from scripts.processes import DeploymentError, Process, free_port

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# config/settings.py's default deny list without loopback: the fault and load runs (and the
# smoke test) use upstreams on 127.0.0.1, which a shared deployment must not reach.
DENY_WITHOUT_LOOPBACK = (
    "0.0.0.0/8,169.254.0.0/16,100.100.100.200/32,192.0.0.192/32,224.0.0.0/3,"
    "::/128,fe80::/10,fd00:ec2::254/128,ff00::/8"
)
# channels_redis' default key prefix; only these keys are removed from the Redis db.
CHANNEL_KEY_PATTERN = "asgi*"


@dataclass
class ScaledDeployment:
    """PostgreSQL + Redis + ``webs`` Daphne processes + ``relays`` relay workers, on one machine."""

    webs: int = 2
    relays: int = 2
    db_name: str = "switchboard_scaled"
    server_url: str = field(
        default_factory=lambda: os.environ.get("TEST_DATABASE_URL", DEFAULT_SERVER_URL)
    )
    redis_url: str = DEFAULT_REDIS_URL
    host: str = "127.0.0.1"
    port: int = 0  # first web port (then +1, +2...); 0 picks free ports
    env: dict[str, str] = field(default_factory=dict)
    allow_loopback: bool = False
    keep_db: bool = False
    log_dir: Path | None = None
    ready_timeout: float = 120.0
    quiet: bool = True

    web_processes: list[Process] = field(default_factory=list, init=False)
    relay_processes: list[Process] = field(default_factory=list, init=False)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50), init=False)
    _created_db: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.db_name):
            raise ValueError(f"unsafe database name {self.db_name!r}")
        if self.log_dir is None:
            self.log_dir = ROOT / "var" / "scaled" / self.db_name

    # --- wiring -------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        parts = urllib.parse.urlsplit(self.server_url)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{self.db_name}"))

    @property
    def web_urls(self) -> list[str]:
        return [f"http://{self.host}:{p.port}" for p in self.web_processes]

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://{self.host}:{p.port}" for p in self.web_processes]

    def process_env(self) -> dict[str, str]:
        """The environment every process of the deployment gets (like compose's ``x-app``)."""
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            SECRET_KEY=self.secret_key,
            SWITCHBOARD_DATA_DIR=str(self.log_dir),
            ALLOWED_HOSTS=f"{self.host},localhost",
            DEBUG="false",
            PYTHONUNBUFFERED="1",
        )
        if self.allow_loopback:
            env["UPSTREAM_DENY_CIDRS"] = DENY_WITHOUT_LOOPBACK
        env.update(self.env)
        return env

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> ScaledDeployment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> ScaledDeployment:
        assert self.log_dir is not None
        self.log_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._create_database()
            self._clear_redis()
            self._say(f"migrating {self.db_name} ...")
            self.manage("migrate", "--noinput", timeout=300)
            for _ in range(self.relays):
                self.start_relay(wait=False)
            for index in range(self.webs):
                port = self.port + index if self.port else free_port(self.host)
                self.start_web(port, wait=False)
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop web processes, then relays (they close upstreams with 1001), then clean up."""
        for group in (self.web_processes, self.relay_processes):
            for process in group:
                process.terminate()
            for process in group:
                process.stop()
        if self._created_db and not self.keep_db:
            self._drop_database()
        self._clear_redis(quiet=True)

    def _spawn(self, name: str, args: Sequence[str], port: int = 0) -> Process:
        assert self.log_dir is not None
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("wb")
        popen = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=self.process_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C in the terminal reaches only this script, which then
            # stops the processes in order.
            start_new_session=True,
        )
        log.close()
        return Process(name, popen, log_path, port)

    def start_web(self, port: int, *, wait: bool = True) -> Process:
        process = self._spawn(
            f"web-{len(self.web_processes) + 1}",
            [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                self.host,
                "-p",
                str(port),
                "config.asgi:application",
            ],
            port,
        )
        self.web_processes.append(process)
        if wait:
            self.wait_ready()
        return process

    def start_relay(self, *, wait: bool = True) -> Process:
        process = self._spawn(
            f"relay-{len(self.relay_processes) + 1}",
            [sys.executable, "manage.py", "relay_worker"],
        )
        self.relay_processes.append(process)
        if wait:
            self.wait_ready()
        return process

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until every running web process answers /healthz with 200 and every running relay is
        registered; fails at once when a process exits that was not stopped on purpose."""
        limit = timeout or self.ready_timeout
        deadline = time.monotonic() + limit
        pending = [p for p in self.web_processes if not p.stopped]
        while True:
            for process in self.web_processes + self.relay_processes:
                if not process.alive() and not process.stopped:
                    raise DeploymentError(
                        f"{process.name} exited with {process.popen.returncode}:\n"
                        f"{process.log_tail()}"
                    )
            pending = [p for p in pending if not self._healthy(p)]
            registered = self.registered_relay_pids()
            missing = [p for p in self.relay_processes if not p.stopped and p.pid not in registered]
            if not pending and not missing:
                return
            if time.monotonic() > deadline:
                names = ", ".join(p.name for p in pending + missing)
                raise DeploymentError(f"not ready after {limit:g} s: {names}")
            time.sleep(0.2)

    def _healthy(self, process: Process) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://{self.host}:{process.port}/healthz", timeout=5
            ) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def healthz(self, index: int = 0) -> tuple[int, dict[str, Any]]:
        """(status, body) of one web process's /healthz."""
        url = f"{self.web_urls[index]}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    # --- helpers for tests and operators ------------------------------------------------

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run ``manage.py`` with the deployment's environment; its stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.process_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise DeploymentError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def provision(self, username: str) -> str:
        """A new personal access token of ``username`` (created if missing)."""
        return self.manage("provision_user", username, "--token-name", "scaled").strip()

    def sql(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on the deployment's database (a fresh connection each time)."""
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def registered_relay_pids(self) -> set[int]:
        try:
            return {row[0] for row in self.sql("SELECT pid FROM debug_sessions_relay")}
        except Exception:  # not migrated yet, or the database is restarting
            return set()

    # --- database and Redis -------------------------------------------------------------

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    def _create_database(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.db_name}"')
        self._created_db = True

    def _drop_database(self) -> None:
        try:
            self._admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        except Exception as exc:  # the server may be down after a fault test
            print(f"could not drop database {self.db_name}: {exc}", file=sys.stderr)
        else:
            self._created_db = False

    def _clear_redis(self, quiet: bool = False) -> None:
        """Remove the channel layer's keys (only those) from the deployment's Redis db."""
        import redis

        try:
            client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
            keys = list(client.scan_iter(match=CHANNEL_KEY_PATTERN, count=1000))
            for start in range(0, len(keys), 500):
                client.delete(*keys[start : start + 500])
            client.close()
        except redis.RedisError as exc:
            if not quiet:
                raise DeploymentError(f"Redis at {self.redis_url} is not usable: {exc}") from exc


# --- the smoke round trip ---------------------------------------------------------------------


def smoke(deployment: ScaledDeployment, username: str = "smoke") -> dict[str, Any]:
    """One debug session round trip: a viewer on the last web process, REST calls on the first,
    the upstream connection in a relay worker (the first web process's built-in echo)."""
    from websockets.sync.client import connect

    started = time.monotonic()
    token = deployment.provision(username)
    api = Api(deployment.web_urls[0], token)
    project = api.post("/api/v1/projects/", {"name": f"Smoke {secrets.token_hex(3)}"})
    session = api.post(
        "/api/v1/sessions/",
        {"project": project["id"], "url": f"{deployment.ws_urls[0]}/ws/echo/"},
    )
    sid = session["id"]
    viewer_url = f"{deployment.ws_urls[-1]}/ws/sessions/{sid}/?token={token}"
    with connect(viewer_url, open_timeout=10) as viewer:
        hello = json.loads(viewer.recv(10))
        if hello.get("type") != "session":
            raise DeploymentError(f"viewer got {hello!r}")
        # A socket consumer waiting in a process must not hold up that process's own channel
        # layer replies (the health check's, the relay's).
        status, health = deployment.healthz(len(deployment.web_processes) - 1)
        if status != 200:
            raise DeploymentError(f"/healthz with a viewer connected: {status} {health!r}")
        opened = api.post(f"/api/v1/sessions/{sid}/connect/")
        if opened.get("state") != "open":
            raise DeploymentError(f"connect answered {opened!r}")
        sent = api.post(f"/api/v1/sessions/{sid}/messages/", {"format": "text", "body": "ping"})
        live: list[dict[str, Any]] = []
        deadline = time.monotonic() + 15
        while not any(e["kind"] == "received" and e["text"] == "ping" for e in live):
            if time.monotonic() > deadline:
                raise DeploymentError(f"the viewer never saw the echo; it got {live!r}")
            message = json.loads(viewer.recv(max(0.1, deadline - time.monotonic())))
            if message.get("type") == "events":
                live.extend(message["events"])
    api.post(f"/api/v1/sessions/{sid}/disconnect/")
    stored = api.get(f"/api/v1/sessions/{sid}/events/?after=0")["results"]
    kinds = [e["kind"] for e in stored]
    if kinds[:4] != ["connecting", "open", "sent", "received"] or kinds[-1] != "closed":
        raise DeploymentError(f"unexpected log {kinds!r}")
    seqs = [e["seq"] for e in stored]
    if seqs != list(range(1, len(seqs) + 1)):
        raise DeploymentError(f"log has gaps: {seqs!r}")
    return {
        "session": sid,
        "sent_seq": sent["seq"],
        "events": len(stored),
        "seconds": round(time.monotonic() - started, 2),
    }


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.scaled",
        description="Run the scaled topology (N Daphne web processes, N relay workers, on the "
        "local PostgreSQL and Redis) until Ctrl-C.",
    )
    parser.add_argument("--webs", type=int, default=2, help="web processes (default 2)")
    parser.add_argument("--relays", type=int, default=2, help="relay workers (default 2)")
    parser.add_argument(
        "--port", type=int, default=8100, help="first web port, then +1... (default 8100)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db-name", default="switchboard_scaled")
    parser.add_argument(
        "--database-server-url",
        default=os.environ.get("TEST_DATABASE_URL", DEFAULT_SERVER_URL),
        help="PostgreSQL server where the database is created (default TEST_DATABASE_URL)",
    )
    parser.add_argument(
        "--redis-url", default=DEFAULT_REDIS_URL, help=f"default {DEFAULT_REDIS_URL}"
    )
    parser.add_argument(
        "--allow-loopback",
        action="store_true",
        help="let relays connect to 127.0.0.1/::1 upstreams (denied by default when REDIS_URL is set)",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="do not drop the database at the end"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="run one session round trip, then stop (exit 1 on failure)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    deployment = ScaledDeployment(
        webs=args.webs,
        relays=args.relays,
        db_name=args.db_name,
        server_url=args.database_server_url,
        redis_url=args.redis_url,
        host=args.host,
        port=args.port,
        allow_loopback=args.allow_loopback or args.smoke,
        keep_db=args.keep_db,
        quiet=False,
    )
    stop_requested = False

    def request_stop(signum: int, frame: Any) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        deployment.start()
        print(
            f"ready: {len(deployment.web_processes)} web processes, "
            f"{len(deployment.relay_processes)} relay workers",
            flush=True,
        )
        for process in deployment.web_processes:
            print(f"  {process.name}  pid {process.pid}  http://{args.host}:{process.port}/")
        for process in deployment.relay_processes:
            print(f"  {process.name}  pid {process.pid}")
        print(f"  database {deployment.database_url}\n  redis    {deployment.redis_url}")
        print(f"  logs     {deployment.log_dir}/", flush=True)
        if args.smoke:
            print(f"smoke: {json.dumps(smoke(deployment))}", flush=True)
            return 0
        admin = deployment.manage("ensure_admin").strip()
        if admin:
            print(admin, flush=True)
        print("Ctrl-C stops everything.", flush=True)
        while not stop_requested and all(p.alive() for p in deployment.web_processes):
            time.sleep(0.5)
        for process in _exited(deployment.web_processes + deployment.relay_processes):
            print(f"{process.name} exited:\n{process.log_tail()}", file=sys.stderr)
        return 0 if stop_requested else 1
    except DeploymentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        deployment.stop()
        print("stopped", flush=True)


def _exited(processes: list[Process]) -> Iterator[Process]:
    return (p for p in processes if not p.alive())


if __name__ == "__main__":
    sys.exit(main())
