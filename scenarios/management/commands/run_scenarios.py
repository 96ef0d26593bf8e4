"""Run scenarios on the server, without HTTP: the same suites as `switchboard.py run`, in a
relay this command starts for the purpose. Exit codes as the CLI's: 0 passed, 1 failed, 2 error,
3 usage."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from endpoints.models import Environment, Membership, Project
from scenarios import run_services, selectors
from scenarios.cli.switchboard import exit_code, parse_vars, run_line, summary_line
from scenarios.junit import junit_xml
from scenarios.runner import suite_command
from scenarios.serializers import suite_data
from sessions.relay.server import Relay

USAGE_ERROR = 3


class Command(BaseCommand):
    help = "Run a project's scenarios (a list, a tag or a folder) here, and write JUnit XML."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--project", type=int, required=True)
        parser.add_argument("--user", required=True, help="Who runs them (a project member).")
        parser.add_argument("--scenario", type=int, action="append", dest="scenarios")
        parser.add_argument("--tag")
        parser.add_argument("--folder", type=int)
        parser.add_argument("--environment", help="An environment's name or id.")
        parser.add_argument("--var", action="append", default=[], help="name=value")
        parser.add_argument("--parallelism", type=int, default=1)
        parser.add_argument("--junit", type=Path, help="Write the JUnit XML here.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            code = self._run(options)
        except (CommandError, DomainError, ValueError) as exc:
            detail = getattr(exc, "detail", None) or str(exc)
            fields = getattr(exc, "fields", None)
            self.stderr.write(f"error: {detail}" + (f" {fields}" if fields else ""))
            code = USAGE_ERROR if isinstance(exc, CommandError) else 2
        sys.exit(code)

    def _run(self, options: dict[str, Any]) -> int:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"No project {options['project']}.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None or not Membership.objects.filter(project=project, user=user).exists():
            raise CommandError(f"{options['user']!r} is not a member of project {project.pk}.")
        environment = None
        if options["environment"]:
            wanted = options["environment"]
            found = Environment.objects.filter(project=project, name=wanted).first()
            if found is None and wanted.isdigit():
                found = Environment.objects.filter(project=project, pk=int(wanted)).first()
            if found is None:
                names = ", ".join(
                    Environment.objects.filter(project=project).values_list("name", flat=True)
                )
                raise CommandError(f"No environment {wanted!r} (there are: {names or 'none'}).")
            environment = found.pk
        if options["junit"] is not None and not options["junit"].parent.exists():
            raise CommandError(f"The folder of {options['junit']} does not exist.")
        chosen = run_services.suite_scenarios(
            project=project,
            scenarios=options["scenarios"],
            tag=options["tag"],
            folder=options["folder"],
        )
        selection = {
            k: options[k] for k in ("scenarios", "tag", "folder") if options[k] is not None
        }
        suite = run_services.suite_start(
            project=project,
            actor=user,
            scenarios=chosen,
            selection=selection,
            environment=environment,
            variables=parse_vars(options["var"]),
            parallelism=options["parallelism"],
            dispatch=False,
        )
        started = time.monotonic()
        self.stdout.write(f"Running {len(chosen)} scenario(s), {options['parallelism']} at a time")
        asyncio.run(self._execute(suite.pk))
        finished, runs = selectors.suite_get(project=project, suite_id=suite.pk)
        data = suite_data(finished, runs)
        for run in data["runs"]:
            self.stdout.write(run_line(run))
        self.stdout.write(summary_line(data, time.monotonic() - started))
        if options["junit"] is not None:
            options["junit"].write_bytes(junit_xml(data))
            self.stdout.write(f"JUnit report: {options['junit']}")
        return exit_code(data)

    async def _execute(self, suite_id: int) -> None:
        relay = Relay(mode="worker")
        await relay.start()
        try:
            await suite_command(relay, {"suite": suite_id})
        finally:
            await relay.shutdown()
