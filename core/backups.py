"""Backups of the embedded SQLite database: an online copy through SQLite's backup API (safe
while the server runs and writes) and a restore into a fresh data directory.

PostgreSQL deployments use pg_dump and pg_restore instead (docs/operations.md "Backups").
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int
    tables: int
    last_migrations: int


def sqlite_database() -> Path:
    """The embedded database's file; BackupError on any other database."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        vendor = database["ENGINE"].rsplit(".", 1)[-1]
        vendor = {"postgresql": "PostgreSQL"}.get(vendor, vendor)
        raise BackupError(
            f"The database is {vendor}, not the embedded SQLite file: back it up with pg_dump "
            "and restore it with pg_restore (docs/operations.md, Backups)."
        )
    return Path(database["NAME"])


def _checked(connection: sqlite3.Connection, what: str) -> tuple[int, int]:
    """Fail unless ``connection`` holds a sound Switchboard database: (tables, migrations)."""
    problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(problems[:5])}")
    tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
    try:
        migrations = connection.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
    except sqlite3.DatabaseError:
        raise BackupError(f"{what} is not a Switchboard database (no migrations table).") from None
    return int(tables.fetchone()[0]), int(migrations)


def _copy(source: sqlite3.Connection, target: Path, *, journal_mode: str) -> tuple[int, int]:
    """Copy ``source`` into a new file at ``target`` (through a file beside it, renamed when
    complete, so ``target`` is never half written); returns what ``_checked`` found."""
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    try:
        destination = sqlite3.connect(partial)
        try:
            # One step (all pages): the copy is one read transaction of the source, a consistent
            # snapshot; in WAL mode the server's writers carry on meanwhile. Copying in several
            # steps would restart after each write of another connection, forever under load.
            source.backup(destination)
            destination.execute(f"PRAGMA journal_mode={journal_mode}")
            found = _checked(destination, "The copy")
        finally:
            destination.close()
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return found


def backup_create(*, target: Path, overwrite: bool = False) -> Copied:
    """Copy the running embedded database to ``target``, one self-contained file."""
    database = sqlite_database()
    if not database.exists():
        raise BackupError(f"There is no database at {database} to back up.")
    if target.is_dir():
        raise BackupError(f"{target} is a directory; name the backup file.")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists; pass --overwrite to replace it.")
    if not target.parent.is_dir():
        raise BackupError(f"The directory {target.parent} does not exist.")
    source = sqlite3.connect(database, timeout=20)
    try:
        # A rollback journal, not WAL: the backup is one file, with no -wal beside it to forget.
        tables, migrations = _copy(source, target, journal_mode="DELETE")
    finally:
        source.close()
    return Copied(target, target.stat().st_size, tables, migrations)


def backup_restore(*, backup: Path) -> Copied:
    """Restore ``backup`` as the embedded database of a fresh data directory (no database yet),
    so a running server's file is never overwritten under it."""
    database = sqlite_database()
    if not backup.is_file():
        raise BackupError(f"There is no backup file at {backup}.")
    leftovers = [
        path
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
        if path.exists()
    ]
    if leftovers:
        raise BackupError(
            f"{leftovers[0]} exists: restore into a fresh data directory (SWITCHBOARD_DATA_DIR), "
            "or stop the server and move the current database files away first."
        )
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        _checked(source, f"The backup {backup}")
        tables, migrations = _copy(source, database, journal_mode="WAL")
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{backup} is not a readable SQLite database ({error}).") from None
    finally:
        source.close()
    return Copied(database, database.stat().st_size, tables, migrations)
