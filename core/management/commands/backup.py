"""``manage.py backup PATH``: an online backup of the embedded SQLite database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Copy the embedded SQLite database to PATH while the server runs (SQLite's backup API: "
        "a consistent snapshot; writes carry on). PostgreSQL: use pg_dump (docs/operations.md)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="The backup file to write.")
        parser.add_argument("--overwrite", action="store_true", help="Replace PATH if it exists.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            copied = backup_create(target=options["path"], overwrite=options["overwrite"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up to {copied.path}: {copied.size} bytes, {copied.tables} tables, "
            f"{copied.last_migrations} migrations applied, integrity check ok."
        )
        self.stdout.write(
            "Keep the data directory's secret_key (or your SECRET_KEY) with it: logins and "
            "share links are signed with it."
        )
