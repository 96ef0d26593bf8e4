"""``manage.py restore PATH``: a backup made by ``manage.py backup`` becomes the embedded
database of a fresh data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup file as the embedded SQLite database of a data directory that has "
        "none yet (SWITCHBOARD_DATA_DIR). Then run migrate and start the server."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="A file written by manage.py backup.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            copied = backup_restore(backup=options["path"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {options['path']} to {copied.path}: {copied.tables} tables, integrity "
            "check ok. Next: manage.py migrate (a backup of an older version is upgraded), "
            "then start the server."
        )
