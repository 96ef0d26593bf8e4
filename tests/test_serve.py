"""`make serve`'s embedded mode, for real: Daphne on SQLite with the in-memory channel layer."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests import daphne

ROOT = Path(__file__).resolve().parent.parent


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


@pytest.fixture
def embedded_server(tmp_path: Path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env.update(
        SWITCHBOARD_DATA_DIR=str(tmp_path / "data"),
        STATIC_ROOT=str(tmp_path / "static"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    first = subprocess.run(
        [*manage, "ensure_admin"], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    )
    server, port = daphne.start(env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        yield base, first.stdout, tmp_path
    finally:
        daphne.stop(server)


def test_embedded_server_serves_health_schema_and_docs(embedded_server):
    base, first_run_output, data_dir = embedded_server
    assert "username: admin" in first_run_output
    assert (data_dir / "data" / "secret_key").stat().st_mode & 0o077 == 0

    status, body, _ = fetch(f"{base}/healthz")
    assert status == 200, body
    assert json.loads(body) | {"elapsed_ms": 0} == {
        "status": "ok",
        "database": "ok",
        "channel_layer": "ok",
        "elapsed_ms": 0,
    }

    status, body, _ = fetch(f"{base}/api/schema/")
    assert status == 200 and b"openapi: 3" in body
    assert b"/api/v1/projects/{project_id}/tree/" in body

    status, body, _ = fetch(f"{base}/api/docs/")
    assert status == 200
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', body)
    assert assets, "the API docs page must load its assets from this server, not a CDN"
    assert b"cdn.jsdelivr" not in body and b"unpkg.com" not in body
    for asset in assets:
        asset_status, asset_body, _ = fetch(base + asset.decode())
        assert asset_status == 200 and asset_body, asset

    status, body, _ = fetch(f"{base}/api/v1/projects/")
    assert status == 401 and json.loads(body)["code"] == "not_authenticated"
    status, body, _ = fetch(f"{base}/api/v1/nope/")
    assert status == 404 and json.loads(body)["code"] == "not_found"
