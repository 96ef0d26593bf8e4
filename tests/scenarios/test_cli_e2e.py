"""The issue's CI check end to end: the command-line runner downloaded from a real server
(Daphne with its embedded relay) into an empty directory and run with nothing but Python, and
`manage.py run_scenarios` on the same suite: a chat scenario with two connections, a
documented ticker with negative and schema assertions, and a data-driven scenario whose third
row fails. Both exit 1, print the failure with expected and actual, and write JUnit XML that a
JUnit schema validator accepts."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from accounts.tokens import token_create
from scenarios.models import Run
from scenarios.services import scenario_create
from tests.conftest import Team
from tests.endpoints.test_bad_input import quick_team
from tests.factories import make_ticker
from tests.scenarios.test_junit import cases, valid_junit
from tests.scenarios.test_runs import chat_steps
from tests.scenarios.upstreams import ScenarioUpstream
from tests.sessions.test_worker import worker_env  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _smoke_suite(team: Team, upstream: ScenarioUpstream) -> None:
    actor = team.editor
    scenario_create(
        project=team.project,
        actor=actor,
        name="Chat",
        steps=chat_steps(upstream.url("/chat")),
        variables=[{"name": "friend", "value": "bob"}],
        tags=["smoke"],
    )
    ticker = make_ticker(team, name="Live ticker", url=upstream.url("/ticker"))
    scenario_create(
        project=team.project,
        actor=actor,
        name="Ticker",
        variables=[{"name": "symbol", "value": "BTC-USD"}],
        steps=[
            {"kind": "connect", "alias": "t", "endpoint": ticker.pk},
            {"kind": "send", "alias": "t", "message": "subscribe", "example": "Chosen"},
            {
                "kind": "expect",
                "alias": "t",
                "mode": "any",
                "assertions": [{"kind": "message", "name": "trade"}, {"kind": "valid"}],
            },
            {
                "kind": "expect",
                "alias": "t",
                "none": True,
                "timeout_ms": 200,
                "assertions": [{"kind": "message", "name": "error"}],
            },
        ],
        tags=["smoke"],
    )
    scenario_create(
        project=team.project,
        actor=actor,
        name="Rows",
        data_table={"format": "csv", "text": "n\n1\n2\n7\n"},
        steps=[
            {"kind": "connect", "alias": "e", "url": upstream.url("/echo")},
            {"kind": "send", "alias": "e", "format": "json", "body": '{"n": {{n}}}'},
            {
                "kind": "expect",
                "alias": "e",
                "assertions": [{"kind": "json", "path": "$.n", "op": "lte", "value": 5}],
            },
        ],
        tags=["smoke"],
    )


def _check_report(report: Path) -> None:
    root = valid_junit(report.read_bytes())
    found = cases(root)
    assert len(root.findall("testsuite")) == 5  # chat, ticker, and the three rows
    assert sum(1 for case in found if case[2] == "failure") == 1, found
    assert "expected 5, actual 7" in report.read_text()


def test_the_downloaded_cli_runs_the_suite(
    server: str, scenario_upstream: ScenarioUpstream, tmp_path: Path
) -> None:
    team = quick_team()
    _smoke_suite(team, scenario_upstream)
    _, secret = token_create(user=team.editor, name="ci")
    fresh = tmp_path / "ci"
    fresh.mkdir()
    with urllib.request.urlopen(f"{server}/cli/switchboard.py", timeout=10) as answer:
        (fresh / "switchboard.py").write_bytes(answer.read())
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "switchboard.py",
            "run",
            "--server",
            server,
            "--project",
            str(team.project.pk),
            "--tag",
            "smoke",
            "--parallelism",
            "3",
            "--junit",
            "report.xml",
        ],
        cwd=fresh,
        env={"SWITCHBOARD_TOKEN": secret, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "PASS Chat" in done.stdout and "PASS Ticker" in done.stdout, done.stdout
    assert "FAIL Rows" in done.stdout and "expected 5, actual 7" in done.stdout, done.stdout
    _check_report(fresh / "report.xml")
    assert sorted(Run.objects.values_list("status", flat=True)) == ["failed", "passed", "passed"]


def test_manage_py_run_scenarios(
    worker_env: dict[str, str],  # noqa: F811
    scenario_upstream: ScenarioUpstream,
    tmp_path: Path,
) -> None:
    team = quick_team()
    _smoke_suite(team, scenario_upstream)
    report = tmp_path / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "run_scenarios",
            "--project",
            str(team.project.pk),
            "--user",
            team.editor.username,
            "--tag",
            "smoke",
            "--parallelism",
            "2",
            "--junit",
            str(report),
        ],
        cwd=ROOT,
        env=worker_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL Rows" in done.stdout and "PASS Chat" in done.stdout, done.stdout
    _check_report(report)
    unknown = subprocess.run(
        [sys.executable, "manage.py", "run_scenarios", "--project", str(team.project.pk),
         "--user", "nobody", "--tag", "smoke"],
        cwd=ROOT, env=worker_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 3 and "not a member" in unknown.stderr
