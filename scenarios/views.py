"""The command-line runner, served by the server itself so a CI job needs nothing else."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

CLI = Path(__file__).resolve().parent / "cli" / "switchboard.py"


@require_GET
def cli_script(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(CLI.read_bytes(), content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="switchboard.py"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-cache"
    return response
