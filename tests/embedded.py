"""`make serve`'s embedded mode for tests that run it as a real process: its environment
(SQLite in a data directory of the test's, the in-memory channel layer) and manage.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def embedded_env(data_dir: Path, static: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    env.update(
        SWITCHBOARD_DATA_DIR=str(data_dir),
        STATIC_ROOT=str(static),
        DJANGO_SETTINGS_MODULE="config.settings",
        **extra,
    )
    return env


def manage_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(env: dict[str, str], *args: str) -> str:
    """Run a management command that must succeed; its standard output."""
    done = manage_run(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout
