"""Stop `make test` at once, with instructions, when PostgreSQL or Redis is not reachable."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlsplit

DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/1"


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), 2
        ):
            return True
    except OSError:
        return False


def main() -> int:
    database = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
    redis = os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)
    missing = []
    if not reachable(database, 5432):
        missing.append(
            f"PostgreSQL is not reachable at {database} (TEST_DATABASE_URL).\n"
            "  Start it with: docker compose up -d db\n"
            "  or, on Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    if not reachable(redis, 6379):
        missing.append(
            f"Redis is not reachable at {redis} (TEST_REDIS_URL).\n"
            "  Start it with: docker compose up -d redis\n"
            '  or: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        )
    for message in missing:
        print(message, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
