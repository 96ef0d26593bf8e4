"""Backups of the embedded SQLite database: taken from a running server under writes, restored
into a fresh data directory that a new server serves with every row the backup held."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from tests import daphne
from tests.embedded import embedded_env, manage, manage_run
from tests.polling import wait_for

# Bounded: the writer stops here even if the test forgets to stop it.
MAX_WRITES = 300


def call(base: str, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


class Writer(threading.Thread):
    """Creates endpoints through the API one after another until stopped (at most MAX_WRITES)."""

    def __init__(self, base: str, token: str, project: int) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.project = base, token, project
        self.stop = threading.Event()
        self.sent = 0
        self.created: list[int] = []
        self.failures: list[tuple[int, Any]] = []
        self.lock = threading.Lock()

    def run(self) -> None:
        for number in range(MAX_WRITES):
            if self.stop.is_set():
                return
            with self.lock:
                self.sent += 1
            status, body = call(
                self.base,
                self.token,
                "POST",
                f"/api/v1/projects/{self.project}/endpoints/",
                {"name": f"Endpoint {number}", "url": f"wss://upstream.test/{number}"},
            )
            with self.lock:
                if status == 201:
                    self.created.append(body["id"])
                else:
                    self.failures.append((status, body))

    def snapshot(self) -> tuple[int, set[int]]:
        with self.lock:
            return self.sent, set(self.created)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """A running embedded server, its base URL, an admin token, and its environment."""
    env = embedded_env(tmp_path / "data", tmp_path / "static")
    manage(env, "migrate", "--noinput", "-v0")
    token = manage(env, "provision_user", "ops", "--superuser", "--token-name", "backup").strip()
    server, port = daphne.start(env=env)
    try:
        yield f"http://127.0.0.1:{port}", token, env
    finally:
        daphne.stop(server)


def endpoint_ids(database: Path) -> set[int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return {row[0] for row in connection.execute("SELECT id FROM endpoints_endpoint")}


def integrity(database: Path) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]


def test_backup_of_a_running_server_under_writes_restores_every_row(
    embedded: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base, token, env = embedded
    status, project = call(base, token, "POST", "/api/v1/projects/", {"name": "Backed up"})
    assert status == 201, project
    writer = Writer(base, token, project["id"])
    writer.start()
    try:
        wait_for(lambda: len(writer.snapshot()[1]) >= 20, 60)
        _, created_before = writer.snapshot()
        backup = tmp_path / "backup.sqlite3"
        said = manage(env, "backup", str(backup))
        sent_by_end, created_by_end = writer.snapshot()
        # Writes go on after the backup, on the same server.
        wait_for(lambda: len(writer.snapshot()[1]) >= len(created_before) + 20, 60)
    finally:
        writer.stop.set()
        writer.join(60)
    assert not writer.failures, writer.failures[:3]
    # The server kept taking writes while the command ran.
    assert len(created_by_end) > len(created_before)
    assert f"Backed up to {backup}" in said and "integrity check ok" in said

    # The backup is one file, sound, holding every endpoint created before it began and none
    # that was not at least asked for before it ended.
    assert not Path(f"{backup}-wal").exists()
    assert integrity(backup) == ["ok"]
    backed_up = endpoint_ids(backup)
    assert created_before <= backed_up
    assert len(backed_up) <= sent_by_end
    live = endpoint_ids(Path(env["SWITCHBOARD_DATA_DIR"]) / "switchboard.sqlite3")
    assert backed_up <= live and len(live) > len(backed_up)

    # Restore into a fresh data directory (with the original's secret key), migrate, serve.
    fresh = embedded_env(tmp_path / "restored", tmp_path / "static")
    (tmp_path / "restored").mkdir()
    shutil.copy(tmp_path / "data" / "secret_key", tmp_path / "restored" / "secret_key")
    said = manage(fresh, "restore", str(backup))
    assert "integrity check ok" in said
    restored_db = tmp_path / "restored" / "switchboard.sqlite3"
    assert integrity(restored_db) == ["ok"]
    assert endpoint_ids(restored_db) == backed_up
    assert "No migrations to apply" in manage(fresh, "migrate", "--noinput")
    server, port = daphne.start(env=fresh)
    try:
        restored_base = f"http://127.0.0.1:{port}"
        # The same token works: accounts and tokens came back too.
        status, page = call(
            restored_base,
            token,
            "GET",
            f"/api/v1/projects/{project['id']}/endpoints/?page_size=500",
        )
        assert status == 200, page
        assert page["count"] == len(backed_up)
        assert {row["id"] for row in page["results"]} == backed_up
        # And the restored server takes writes.
        status, body = call(
            restored_base,
            token,
            "POST",
            f"/api/v1/projects/{project['id']}/endpoints/",
            {"name": "After restore", "url": "wss://upstream.test/after"},
        )
        assert status == 201, body
    finally:
        daphne.stop(server)

    # A second restore into the now used directory is refused; nothing is overwritten.
    refused = manage_run(fresh, "restore", str(backup))
    assert refused.returncode != 0 and "fresh data directory" in refused.stderr
    assert len(endpoint_ids(restored_db)) == len(backed_up) + 1


def test_backup_refuses_postgresql_and_names_pg_dump(tmp_path: Path) -> None:
    # The test settings run on PostgreSQL.
    with pytest.raises(CommandError, match="pg_dump") as refused:
        call_command("backup", str(tmp_path / "x.sqlite3"))
    assert "docs/operations.md" in str(refused.value)
    with pytest.raises(CommandError, match="pg_restore"):
        call_command("restore", str(tmp_path / "x.sqlite3"))
    assert not (tmp_path / "x.sqlite3").exists()


def test_restore_refuses_a_file_that_is_not_a_switchboard_database(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data", tmp_path / "static")
    not_ours = tmp_path / "other.sqlite3"
    with sqlite3.connect(not_ours) as connection:
        connection.execute("CREATE TABLE t (x)")
    connection.close()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    for path, said in (
        (not_ours, "not a Switchboard database"),
        (garbage, "not a readable SQLite database"),
    ):
        done = manage_run(env, "restore", str(path))
        assert done.returncode != 0 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        assert not (tmp_path / "data" / "switchboard.sqlite3").exists()
