"""Delete debug-session log entries and connection records older than the retention period.

Run it daily (cron, a systemd timer, a scheduled container). See sessions.retention for what
is kept; README "Debug sessions" > "Retention".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sessions.retention import session_logs_prune


class Command(BaseCommand):
    help = (
        "Delete debug-session log entries and connection records older than N days "
        "(default SESSION_LOG_RETENTION_DAYS), in small batches; live sessions are never touched."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=float,
            default=None,
            help="Keep this many days (default SESSION_LOG_RETENTION_DAYS; 0 keeps everything).",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="Ids per DELETE statement (one short transaction each; default 5000).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.1,
            help="Seconds to sleep after each batch that deleted something (default 0.1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days is None:
            days = settings.SESSION_LOG_RETENTION_DAYS
        if days < 0 or options["batch_size"] < 1 or options["pause"] < 0:
            raise CommandError("--days and --pause must be >= 0 and --batch-size >= 1.")
        if days == 0:
            self.stdout.write("Retention is off (0 days): nothing was deleted.")
            return
        result = session_logs_prune(
            days=days, batch_size=options["batch_size"], pause=options["pause"]
        )
        self.stdout.write(
            f"Deleted {result.events} log entries and {result.connections} connection records "
            f"older than {result.cutoff.isoformat()} in {result.batches} batches "
            f"({result.seconds:.1f} s)."
        )
