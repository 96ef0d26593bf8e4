"""The stdlib-only command-line runner, run as CI runs it: copied alone into an empty
directory and started with `python3 -I`, against a real HTTP server on loopback that
answers with the API's suite JSON (tests/scenarios/test_junit.py builds it)."""

from __future__ import annotations

import ast
import copy
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from scenarios.cli import switchboard
from tests.scenarios.test_junit import (
    failed_assertion,
    failing_run,
    iteration,
    passing_run,
    run,
    step,
    suite,
)
from tests.sessions.upstreams import closed_port, self_signed

CLI = Path(switchboard.__file__)
# The interpreter CI users have; CLI_PYTHON=/path/to/python3.9 checks another one.
PYTHON = os.environ.get("CLI_PYTHON") or (
    "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else shutil.which("python3")
)
SUITE_PATH = "/api/v1/projects/3/suite-runs/"
JUNIT = b"<?xml version='1.0' encoding='utf-8'?>\n<testsuites name='canned' />\n"
ENVIRONMENTS = [
    {"id": 2, "name": "staging", "position": 0},
    {"id": 5, "name": "prod", "position": 1},
]


def queued(suite_json: dict[str, Any]) -> dict[str, Any]:
    """The suite as POST answers it: every run queued, nothing run yet."""
    started = copy.deepcopy(suite_json)
    started["status"] = "queued"
    started["duration_ms"] = None
    for r in started["runs"]:
        r.update(status="queued", iterations=[], duration_ms=None, started_at=None)
    return started


def with_runs(suite_json: dict[str, Any], *finished: int) -> dict[str, Any]:
    """The suite while running: the runs at these positions finished, the others running."""
    state = copy.deepcopy(queued(suite_json))
    state["status"] = "running"
    for position, r in enumerate(state["runs"]):
        if position in finished:
            state["runs"][position] = copy.deepcopy(suite_json["runs"][position])
        else:
            r["status"] = "running"
    return state


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Canned:
    """What the fake server answers; `polls` are the suite's states, one per GET (the last
    repeats), an int among them answers that HTTP status instead."""

    polls: list[Any] = field(default_factory=list)
    created: tuple[int, Any] = (201, None)
    environments: list[dict[str, Any]] = field(default_factory=lambda: list(ENVIRONMENTS))
    seen: list[Seen] = field(default_factory=list)

    def answer(self, method: str, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/moved/"):
            return 301, "text/html", path.removeprefix("/moved").encode()
        if method == "POST" and path == SUITE_PATH:
            status, body = self.created
            return status, "application/json", json.dumps(body).encode()
        if method == "GET" and path == "/api/v1/projects/3/environments/":
            return 200, "application/json", json.dumps(self.environments).encode()
        if method == "GET" and path == SUITE_PATH + "4/junit.xml":
            return 200, "application/xml", JUNIT
        if method == "GET" and path == SUITE_PATH + "4/":
            state = self.polls.pop(0) if len(self.polls) > 1 else self.polls[0]
            if isinstance(state, int):
                return state, "text/html", b"<h1>Bad gateway</h1>"
            return 200, "application/json", json.dumps(state).encode()
        body = {"code": "not_found", "detail": f"no route {method} {path}"}
        return 404, "application/json", json.dumps(body).encode()


class Handler(BaseHTTPRequestHandler):
    server: CannedServer

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        canned = self.server.canned
        canned.seen.append(
            Seen(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
        )
        status, content_type, body = canned.answer(self.command, self.path)
        self.send_response(status)
        if status == 301:
            self.send_header("Location", f"{self.server.url}{body.decode()}")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = handle_any

    def log_message(self, format: str, *args: Any) -> None:
        pass


class CannedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, canned: Canned, context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.canned = canned
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if context else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"


def serving(canned: Canned, context: ssl.SSLContext | None = None) -> Iterator[CannedServer]:
    server = CannedServer(canned, context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def canned() -> Canned:
    return Canned()


@pytest.fixture
def api(canned: Canned) -> Iterator[CannedServer]:
    yield from serving(canned)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    directory: Path


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    """Runs the CLI as CI would: only the file, in an empty directory, `python3 -I`."""
    directory = tmp_path / "ci"
    directory.mkdir()
    shutil.copy(CLI, directory / "switchboard.py")

    def invoke(
        *args: str, token: str | None = "sb-token", env: dict[str, str] | None = None
    ) -> Result:
        environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        if token is not None:
            environment["SWITCHBOARD_TOKEN"] = token
        environment.update(env or {})
        assert PYTHON is not None
        done = subprocess.run(
            [PYTHON, "-I", "switchboard.py", *args],
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(done.returncode, done.stdout, done.stderr, directory)

    return invoke


def run_args(server: CannedServer, *extra: str) -> list[str]:
    return ["run", "--server", server.url, "--project", "3", *extra]


# The file itself -------------------------------------------------------------------------


def test_the_cli_imports_only_the_standard_library_and_parses_as_python_3_9() -> None:
    source = CLI.read_text()
    tree = ast.parse(source, feature_version=(3, 9))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import: the file must stand alone"
            imported.add((node.module or "").split(".")[0])
    assert imported - {"__future__"} <= sys.stdlib_module_names, imported
    assert {"urllib", "json", "argparse"} <= imported


# Parsing options, formatting, exit codes (in process) -----------------------------------


def test_vars_are_name_value_pairs() -> None:
    assert switchboard.parse_vars(["a=1", "b=x=y", " c =", "a=2"]) == {
        "a": "2",
        "b": "x=y",
        "c": "",
    }
    for bad in ("novalue", "=1", " =1"):
        with pytest.raises(switchboard.UsageError, match="expected NAME=VALUE"):
            switchboard.parse_vars([bad])


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["run", "--project", "3", "--tag", "x"], "--server"),
        (["run", "--server", "http://h", "--tag", "x"], "--project"),
        (["run", "--server", "http://h", "--project", "3"], "one of the arguments"),
        (
            ["run", "--server", "http://h", "--project", "3", "--tag", "x", "--folder", "1"],
            "not allowed",
        ),
        (["run", "--server", "http://h", "--project", "0", "--tag", "x"], "must be 1 or more"),
        (
            ["run", "--server", "http://h", "--project", "3", "--scenario", "a"],
            "not a whole number",
        ),
        (
            ["run", "--server", "http://h", "--project", "3", "--tag", "x", "--parallelism", "21"],
            "1 to 20",
        ),
        (
            ["run", "--server", "http://h", "--project", "3", "--tag", "x", "--timeout", "0"],
            "more than 0",
        ),
        (["walk"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_options_exit_3(args: list[str], complaint: str, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit:
        switchboard.main(args)
    assert exit.value.code == 3
    assert complaint in capsys.readouterr().err


def test_scenarios_are_kept_in_the_order_given() -> None:
    args = switchboard.build_parser().parse_args(
        ["run", "--server", "http://h", "--project", "3", "--scenario", "9", "--scenario", "2"]
    )
    assert args.scenario == [9, 2]
    assert (args.timeout, args.parallelism, args.quiet, args.insecure) == (
        1800.0,
        None,
        False,
        False,
    )


def test_progress_lines() -> None:
    assert switchboard.run_line(passing_run()) == "PASS Ticker smoke (1.2 s)"
    assert switchboard.run_line(failing_run()) == (
        "FAIL Chat (0.8 s): step 3 'bob: expect the next frame': "
        '$.text contains "hi" — expected "hi", actual "bye"'
    )
    rows = run(
        20,
        "Rows",
        "failed",
        [
            iteration(0, [step(0, "connect t")], {"symbol": "BTC"}),
            iteration(
                1,
                [
                    step(0, "connect t"),
                    step(
                        1, "t: expect", "failed", assertions=[failed_assertion("$.qty > 1", 1, 0)]
                    ),
                ],
                {"symbol": "ETH", "qty": 0},
            ),
            iteration(
                2, [step(0, "connect t", "failed", message="no frame in 5000 ms")], {"symbol": "X"}
            ),
        ],
        duration_ms=2345,
    )
    assert switchboard.run_line(rows) == (
        "FAIL Rows (2.3 s): [row 2: symbol=ETH, qty=0] step 2 't: expect': "
        "$.qty > 1 — expected 1, actual 0 (and 1 more)"
    )
    crashed = run(
        21,
        "Relay",
        "error",
        [
            iteration(
                0, [step(0, "connect t"), step(1, "t: send", "error", message="the relay was lost")]
            )
        ],
    )
    assert (
        switchboard.run_line(crashed) == "ERROR Relay (1.2 s): step 2 't: send': the relay was lost"
    )
    early = run(22, "Vars", "error", [], error="variable 'host' has no value", duration_ms=None)
    assert switchboard.run_line(early) == "ERROR Vars: variable 'host' has no value"


@pytest.mark.parametrize(
    ("statuses", "suite_status", "code"),
    [
        (["passed", "passed"], "passed", 0),
        (["passed", "failed"], "failed", 1),
        (["failed", "error"], "error", 2),
        (["passed", "running"], "running", 2),
        ([], "passed", 0),
        ([], "error", 2),
    ],
)
def test_exit_codes(statuses: list[str], suite_status: str, code: int) -> None:
    runs = [{"id": i, "status": s} for i, s in enumerate(statuses)]
    assert switchboard.exit_code({"status": suite_status, "runs": runs}) == code


def test_server_errors_read_as_code_detail_and_fields() -> None:
    body = {
        "code": "validation_error",
        "detail": "scenarios[1]: no such scenario",
        "fields": {"scenarios[1]": ["no such scenario"], "parallelism": "too many"},
    }
    assert switchboard.http_error_text(400, json.dumps(body).encode()) == (
        "400 validation_error: scenarios[1]: no such scenario\n"
        "  scenarios[1]: no such scenario\n"
        "  parallelism: too many"
    )
    assert switchboard.http_error_text(502, b"<h1>Bad gateway</h1>") == "502 <h1>Bad gateway</h1>"


# The CLI against a server -----------------------------------------------------------------


def test_a_passing_suite_exits_0_prints_each_run_and_writes_the_report(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    done = suite([passing_run(12, "Ticker smoke"), passing_run(13, "Chat")], status="passed")
    canned.created = (201, queued(done))
    canned.polls = [with_runs(done), with_runs(done, 1), done]

    result = cli(
        *run_args(api, "--tag", "smoke", "--environment", "staging"),
        *("--var", "symbol=BTC-USD", "--var", "note=a=b", "--parallelism", "5"),
        *("--junit", "junit.xml"),
    )

    assert result.code == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"Started suite 4: 2 scenarios (parallelism 10) on {api.url}",
        "PASS Chat (1.2 s)",
        "PASS Ticker smoke (1.2 s)",
        "JUnit report written to junit.xml",
        "Suite 4: 2 runs, 2 passed, 0 failed, 0 error in 3.5 s",
    ]
    assert (result.directory / "junit.xml").read_bytes() == JUNIT
    post = canned.seen[1]
    assert (canned.seen[0].method, canned.seen[0].path) == (
        "GET",
        "/api/v1/projects/3/environments/",
    )
    assert (post.method, post.path) == ("POST", SUITE_PATH)
    assert post.body == {
        "wait": False,
        "tag": "smoke",
        "environment": 2,
        "variables": {"symbol": "BTC-USD", "note": "a=b"},
        "parallelism": 5,
    }
    assert {s.headers["Authorization"] for s in canned.seen} == {"Bearer sb-token"}
    assert [s.path for s in canned.seen[2:]] == [SUITE_PATH + "4/"] * 3 + [
        SUITE_PATH + "4/junit.xml"
    ]


def test_a_failed_run_exits_1_and_says_what_was_expected(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    done = suite([passing_run(12, "Ticker smoke"), failing_run(13, "Chat")], status="failed")
    canned.created = (201, queued(done))
    canned.polls = [done]

    result = cli(*run_args(api, "--scenario", "112", "--scenario", "113", "--environment", "5"))

    assert result.code == 1, result.stderr
    assert (
        "FAIL Chat (0.8 s): step 3 'bob: expect the next frame': "
        '$.text contains "hi" — expected "hi", actual "bye"'
    ) in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "Suite 4: 2 runs, 1 passed, 1 failed, 0 error in 3.5 s"
    assert canned.seen[1].body == {"wait": False, "scenarios": [112, 113], "environment": 5}
    # Without --junit no report is fetched or written.
    assert [p.name for p in result.directory.iterdir()] == ["switchboard.py"]


def test_a_run_error_exits_2_and_quiet_prints_only_what_did_not_pass(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    broken = run(14, "Needs staging", "error", [], error="variable 'host' has no value")
    done = suite([failing_run(13, "Chat"), passing_run(12), broken], status="error")
    done["error"] = "1 run ended in error"
    canned.created = (201, queued(done))
    canned.polls = [done]

    result = cli(*run_args(api, "--folder", "8", "--quiet", "--junit", "out.xml"))

    assert result.code == 2, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAIL Chat (0.8 s): step 3")
    assert lines[1:] == [
        "ERROR Needs staging (1.2 s): variable 'host' has no value",
        "ERROR suite 4: 1 run ended in error",
        "Suite 4: 3 runs, 1 passed, 1 failed, 1 error in 3.5 s",
    ]
    assert (result.directory / "out.xml").read_bytes() == JUNIT
    assert canned.seen[0].body == {"wait": False, "folder": 8}


def test_a_suite_that_does_not_finish_in_time_exits_2_with_the_report_so_far(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    done = suite([passing_run(12), failing_run(13)])
    canned.created = (201, queued(done))
    canned.polls = [with_runs(done, 0)]

    result = cli(*run_args(api, "--tag", "slow", "--timeout", "1.2", "--junit", "partial.xml"))

    assert result.code == 2, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "PASS Ticker smoke (1.2 s)"
    assert "Suite 4: 2 runs, 1 passed, 0 failed, 0 error, 1 not finished in" in lines[-2]
    assert lines[-1] == "TIMEOUT: suite 4 had not finished after 1.2 s"
    assert (result.directory / "partial.xml").read_bytes() == JUNIT


def test_polling_rides_out_a_gateway_error(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    done = suite([passing_run(12)], status="passed")
    canned.created = (201, queued(done))
    canned.polls = [502, 503, done]

    result = cli(*run_args(api, "--tag", "smoke"))

    assert result.code == 0, result.stderr
    assert "PASS Ticker smoke (1.2 s)" in result.stdout
    assert len([s for s in canned.seen if s.path == SUITE_PATH + "4/"]) == 3


def test_a_refused_suite_exits_2_with_the_servers_code_detail_and_fields(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    canned.created = (
        400,
        {
            "code": "validation_error",
            "detail": "tag: no scenario has the tag 'smok'",
            "fields": {"tag": ["no scenario has the tag 'smok'"]},
        },
    )

    result = cli(*run_args(api, "--tag", "smok"))

    assert result.code == 2
    assert result.stderr == (
        "switchboard.py: server error: 400 validation_error: tag: no scenario has the tag 'smok'\n"
        "  tag: no scenario has the tag 'smok'\n"
    )
    assert [s.method for s in canned.seen] == ["POST"]  # never retried


def test_a_bad_token_exits_2(canned: Canned, api: CannedServer, cli: Callable[..., Result]) -> None:
    canned.created = (401, {"code": "authentication_failed", "detail": "Invalid token."})

    result = cli(*run_args(api, "--tag", "smoke"), token="wrong")

    assert result.code == 2
    assert "401 authentication_failed: Invalid token." in result.stderr


def test_an_unknown_environment_exits_3_naming_the_projects_environments(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    result = cli(*run_args(api, "--tag", "smoke", "--environment", "Staging"))

    assert result.code == 3
    assert result.stderr == (
        "switchboard.py: error: --environment 'Staging': project 3 has no such environment"
        " (it has: 'staging', 'prod')\n"
    )
    assert [s.method for s in canned.seen] == ["GET"]  # nothing started


def test_usage_errors_exit_3_before_any_request(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    no_token = cli(*run_args(api, "--tag", "smoke"), token=None)
    bad_var = cli(*run_args(api, "--tag", "smoke", "--var", "oops"))
    bad_server = cli("run", "--server", "ftp://h", "--project", "3", "--tag", "smoke")
    no_selection = cli(*run_args(api))
    no_folder = cli(*run_args(api, "--tag", "smoke", "--junit", "reports/junit.xml"))

    codes = {r.code for r in (no_token, bad_var, bad_server, no_selection, no_folder)}
    assert codes == {3}
    assert "no token: pass --token or set SWITCHBOARD_TOKEN" in no_token.stderr
    assert "--var 'oops': expected NAME=VALUE" in bad_var.stderr
    assert "expected http(s)://host[:port]" in bad_server.stderr
    assert "one of the arguments --scenario --tag --folder is required" in no_selection.stderr
    assert "--junit 'reports/junit.xml': the folder" in no_folder.stderr
    assert canned.seen == []


def test_an_unreachable_server_exits_2(cli: Callable[..., Result]) -> None:
    port = closed_port()
    result = cli("run", "--server", f"http://127.0.0.1:{port}", "--project", "3", "--tag", "smoke")

    assert result.code == 2
    assert f"server error: cannot reach http://127.0.0.1:{port}" in result.stderr


def test_https_is_verified_unless_insecure(
    canned: Canned, cli: Callable[..., Result], tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    done = suite([passing_run(12)], status="passed")
    canned.created = (201, queued(done))
    canned.polls = [done]

    for server in serving(canned, context):
        untrusted = cli(*run_args(server, "--tag", "smoke"))
        insecure = cli(*run_args(server, "--tag", "smoke", "--insecure"))
        trusted = cli(*run_args(server, "--tag", "smoke"), env={"SSL_CERT_FILE": str(cert)})

    assert untrusted.code == 2
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    assert insecure.code == 0, insecure.stderr
    assert trusted.code == 0, trusted.stderr
    assert [s.method for s in canned.seen].count("POST") == 2


def test_a_report_that_cannot_be_written_exits_2(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    done = suite([passing_run(12)], status="passed")
    canned.created = (201, queued(done))
    canned.polls = [done]

    result = cli(*run_args(api, "--tag", "smoke", "--junit", "."))

    assert result.code == 2
    assert "switchboard.py: error: cannot write the JUnit report:" in result.stderr


def test_a_redirect_is_reported_not_followed(
    canned: Canned, api: CannedServer, cli: Callable[..., Result]
) -> None:
    result = cli("run", "--server", f"{api.url}/moved", "--project", "3", "--tag", "smoke")

    assert result.code == 2
    assert result.stderr == (
        f"switchboard.py: server error: 301 redirect to {api.url}{SUITE_PATH}: "
        "point --server at the address the server answers on\n"
    )
    assert [(s.method, s.path) for s in canned.seen] == [("POST", "/moved" + SUITE_PATH)]
