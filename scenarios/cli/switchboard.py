#!/usr/bin/env python3
"""Run Switchboard test scenarios from CI: start a suite run, follow it, write a JUnit report.

Needs nothing but Python 3.9+ and its standard library; download it from your server:

    curl -O $SERVER/cli/switchboard.py
    python3 switchboard.py run --server $SERVER --project 3 --tag smoke --junit report.xml

Exit codes: 0 every run passed; 1 a run failed; 2 a run ended in error, the suite did not
finish in --timeout, or the server could not be reached or answered an error; 3 usage error
(bad options, no token, an --environment the project does not have). See docs/scenarios-ci.md.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from typing import Any, NoReturn, TextIO

VERSION = "1"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_ERROR = 2
EXIT_USAGE = 3

FINISHED = ("passed", "failed", "error")
POLL_FIRST = 0.5
POLL_MAX = 2.0
POLL_GROWTH = 1.5
REQUEST_TIMEOUT = 30.0
# Polls that fail in a row (connection refused, 502/503/504) before the CLI gives up: a
# server restart or a proxy hiccup during a long suite should not fail the CI job.
POLL_RETRIES = 5
RETRYABLE_STATUSES = (502, 503, 504)


class UsageError(Exception):
    """Bad options: exit code 3."""


class ServerError(Exception):
    """The server could not be reached (status None) or answered an error: exit code 2."""

    def __init__(self, message: str, status: int | None = None, *, transient: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.transient = transient or status in RETRYABLE_STATUSES


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered with an error naming where it leads, never followed: urllib
    would turn the POST that starts a suite into a GET, and carry the token to another host."""

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> None:
        raise ServerError(
            f"{code} redirect to {newurl}: point --server at the address the server answers on"
        )


class ReportError(Exception):
    """The JUnit report could not be written: exit code 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse exits 2 on bad options; here 2 means a run error, so usage errors exit 3."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text!r}")
    return value


def parallelism(text: str) -> int:
    value = positive_int(text)
    if value > 20:
        raise argparse.ArgumentTypeError(f"must be 1 to 20: {text!r}")
    return value


def timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0: {text!r}")
    return value


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="switchboard.py",
        description="Run Switchboard test scenarios (e.g. from CI).",
        epilog="Exit codes: 0 all passed, 1 a run failed, 2 a run error / timeout / "
        "server error, 3 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"switchboard.py {VERSION}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    commands.required = True
    run = commands.add_parser(
        "run",
        help="run scenarios as a suite and wait for the result",
        description="Start a suite run of scenarios (a list, a tag or a folder), print each "
        "run's result as it finishes, and optionally write the JUnit XML report.",
    )
    run.add_argument("--server", required=True, help="the Switchboard server, https://host[:port]")
    run.add_argument(
        "--token",
        help="an API token (default: the SWITCHBOARD_TOKEN environment variable; prefer it, "
        "a token on the command line shows in process lists)",
    )
    run.add_argument("--project", required=True, type=positive_int, help="the project id")
    which = run.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--scenario",
        type=positive_int,
        action="append",
        metavar="ID",
        help="a scenario id (repeat for several; run in the order given)",
    )
    which.add_argument("--tag", help="every scenario with this tag")
    which.add_argument(
        "--folder", type=positive_int, metavar="ID", help="every scenario of a folder"
    )
    run.add_argument(
        "--environment",
        metavar="NAME_OR_ID",
        help="the environment's exact name (or its id); default: each scenario's own",
    )
    run.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable for every run (repeatable)",
    )
    run.add_argument(
        "--parallelism",
        type=parallelism,
        metavar="N",
        help="runs at once, 1 to 20 (server default)",
    )
    run.add_argument("--junit", metavar="FILE", help="write the JUnit XML report here")
    run.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=1800.0,
        metavar="SECONDS",
        help="give up (exit 2) when the suite has not finished after this long (default 1800)",
    )
    run.add_argument("--quiet", action="store_true", help="print failures and the summary only")
    run.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the server's TLS certificate (trust a private CA with "
        "SSL_CERT_FILE instead when you can)",
    )
    return parser


def parse_vars(pairs: Sequence[str]) -> dict[str, str]:
    """`--var k=v` options as a dict; the value may hold `=`, the name may not be empty."""
    variables: dict[str, str] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise UsageError(f"--var {pair!r}: expected NAME=VALUE")
        variables[name] = value
    return variables


def server_base(server: str) -> str:
    parsed = urllib.parse.urlsplit(server.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"--server {server!r}: expected http(s)://host[:port]")
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))


class Client:
    """The few calls of the REST API the runner makes, with a bearer token."""

    def __init__(self, base: str, token: str, *, insecure: bool = False) -> None:
        self.base = base
        self.token = token
        handlers: list[Any] = [RefuseRedirects()]
        if base.startswith("https:"):
            context = ssl.create_default_context()
            if insecure:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, path: str, body: Any = None) -> bytes:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", f"switchboard-cli/{VERSION}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                content: bytes = response.read()
                return content
        except urllib.error.HTTPError as error:
            raise ServerError(http_error_text(error.code, error.read()), error.code) from None
        except urllib.error.URLError as error:
            # A refused or reset connection may be a restart; a bad certificate will not mend.
            transient = not isinstance(error.reason, ssl.SSLError)
            message = f"cannot reach {self.base}: {error.reason}"
            raise ServerError(message, transient=transient) from None
        except ssl.SSLError as error:
            raise ServerError(f"cannot reach {self.base}: {error}") from None
        except (OSError, ValueError) as error:  # timeouts, resets, a malformed answer
            raise ServerError(f"cannot reach {self.base}: {error}", transient=True) from None

    def get(self, path: str, *, retries: int = POLL_RETRIES) -> bytes:
        """GET that rides out a restart or a gateway error (a POST is never retried)."""
        delay = POLL_FIRST
        attempt = 0
        while True:
            try:
                return self.request("GET", path)
            except ServerError as error:
                attempt += 1
                if not error.transient or attempt > retries:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 8.0)

    def json(self, method: str, path: str, body: Any = None) -> Any:
        content = self.get(path) if method == "GET" else self.request(method, path, body)
        try:
            return json.loads(content.decode("utf-8"))
        except ValueError:
            raise ServerError(f"{method} {path}: the server's answer is not JSON") from None


def http_error_text(status: int, content: bytes) -> str:
    """`403 permission_denied: You do not have …` from an error answer of the API."""
    try:
        body = json.loads(content.decode("utf-8"))
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return f"{status} {content[:200].decode('utf-8', 'replace').strip() or 'error'}"
    text = f"{status} {body.get('code', 'error')}: {body.get('detail', '')}".rstrip(": ")
    fields = body.get("fields")
    if isinstance(fields, dict):
        for field, problems in fields.items():
            listed = problems if isinstance(problems, list) else [problems]
            text += "".join(f"\n  {field}: {problem}" for problem in listed)
    return text


def resolve_environment(client: Client, project: int, wanted: str) -> int:
    """An environment's id from its exact name (or its id)."""
    environments = client.json("GET", f"/api/v1/projects/{project}/environments/")
    if isinstance(environments, dict):  # a paginated list, should the API grow one
        environments = environments.get("results", [])
    for environment in environments:
        if environment.get("name") == wanted:
            return int(environment["id"])
    for environment in environments:
        if str(environment.get("id")) == wanted.strip():
            return int(environment["id"])
    names = ", ".join(repr(e.get("name")) for e in environments) or "none"
    raise UsageError(
        f"--environment {wanted!r}: project {project} has no such environment (it has: {names})"
    )


# Progress lines ---------------------------------------------------------------------------


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def duration_text(duration_ms: Any) -> str:
    if not isinstance(duration_ms, (int, float)):
        return ""
    return f" ({duration_ms / 1000:.1f} s)"


def row_text(iteration: dict[str, Any]) -> str:
    row = iteration.get("row")
    label = f"row {iteration.get('index', 0) + 1}"
    if isinstance(row, dict) and row:
        values = ", ".join(
            f"{k}={v if isinstance(v, str) else json_text(v)}" for k, v in row.items()
        )
        label += f": {values}"
    return f"[{label}] "


def step_problem(step: dict[str, Any]) -> str:
    """The first failed assertion with expected and actual, else the step's message."""
    for assertion in step.get("assertions") or ():
        if not assertion.get("passed", True):
            text = str(assertion.get("summary") or "assertion failed")
            if "expected" in assertion or "actual" in assertion:
                text += (
                    f" — expected {json_text(assertion.get('expected'))},"
                    f" actual {json_text(assertion.get('actual'))}"
                )
            if assertion.get("reason"):
                text += f" ({assertion['reason']})"
            return text
    return str(step.get("message") or step.get("status") or "failed")


def run_problem(run: dict[str, Any]) -> str:
    """Where and why a run failed or errored, in one line."""
    iterations: list[dict[str, Any]] = run.get("iterations") or []
    data_driven = len(iterations) > 1 or any(it.get("row") is not None for it in iterations)
    bad: list[str] = []
    wanted = ("error",) if run.get("status") == "error" else ("failed", "error")
    for iteration in iterations:
        for position, step in enumerate(iteration.get("steps") or ()):
            if step.get("status") in wanted:
                where = row_text(iteration) if data_driven else ""
                number = step.get("index", position) + 1
                bad.append(f"{where}step {number} '{step.get('title', '')}': {step_problem(step)}")
    if not bad:
        return str(run.get("error") or run.get("status"))
    more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
    return bad[0] + more


def run_line(run: dict[str, Any]) -> str:
    """`PASS Ticker smoke (1.2 s)`, `FAIL Chat (0.8 s): step 3 '…': … — expected …, actual …`."""
    status = run.get("status")
    name = (run.get("scenario") or {}).get("name") or f"run {run.get('id')}"
    word = {"passed": "PASS", "failed": "FAIL", "error": "ERROR"}.get(
        str(status), str(status).upper()
    )
    line = f"{word} {name}{duration_text(run.get('duration_ms'))}"
    if status != "passed":
        line += f": {run_problem(run)}"
    return line


def summary_line(suite: dict[str, Any], elapsed: float) -> str:
    runs = suite.get("runs") or []
    counts = {status: 0 for status in FINISHED}
    for run in runs:
        if run.get("status") in counts:
            counts[run["status"]] += 1
    unfinished = len(runs) - sum(counts.values())
    parts = [f"{counts['passed']} passed", f"{counts['failed']} failed", f"{counts['error']} error"]
    if unfinished:
        parts.append(f"{unfinished} not finished")
    duration = suite.get("duration_ms")
    seconds = duration / 1000 if isinstance(duration, (int, float)) else elapsed
    noun = "run" if len(runs) == 1 else "runs"
    return f"Suite {suite.get('id')}: {len(runs)} {noun}, {', '.join(parts)} in {seconds:.1f} s"


def exit_code(suite: dict[str, Any]) -> int:
    """2 when anything ended in error (or did not finish), else 1 when a run failed, else 0."""
    statuses = [run.get("status") for run in suite.get("runs") or []]
    if suite.get("status") == "error" or any(s not in ("passed", "failed") for s in statuses):
        return EXIT_ERROR
    if "failed" in statuses or suite.get("status") == "failed":
        return EXIT_FAILED
    return EXIT_PASSED


# The command --------------------------------------------------------------------------------


def follow(
    client: Client,
    path: str,
    suite: dict[str, Any],
    *,
    deadline: float,
    quiet: bool,
    out: TextIO,
) -> dict[str, Any]:
    """Poll the suite until it finishes or the deadline passes, printing runs as they end."""
    reported: set[Any] = set()
    delay = POLL_FIRST
    while True:
        for run in suite.get("runs") or []:
            if run.get("status") in FINISHED and run.get("id") not in reported:
                reported.add(run.get("id"))
                if not quiet or run.get("status") != "passed":
                    print(run_line(run), file=out, flush=True)
        if suite.get("status") in FINISHED:
            return suite
        now = time.monotonic()
        if now >= deadline:
            return suite
        time.sleep(min(delay, deadline - now))
        before = len(reported)
        suite = client.json("GET", path)
        finished_now = sum(1 for r in suite.get("runs") or [] if r.get("status") in FINISHED)
        # Poll quickly while runs are finishing, back off while nothing changes.
        delay = POLL_FIRST if finished_now > before else min(delay * POLL_GROWTH, POLL_MAX)


def command_run(args: argparse.Namespace, out: TextIO) -> int:
    token = args.token or os.environ.get("SWITCHBOARD_TOKEN", "")
    if not token.strip():
        raise UsageError("no token: pass --token or set SWITCHBOARD_TOKEN")
    client = Client(server_base(args.server), token.strip(), insecure=args.insecure)
    variables = parse_vars(args.var)
    if args.junit:
        folder = os.path.dirname(os.path.abspath(args.junit))
        if not os.path.isdir(folder):
            raise UsageError(f"--junit {args.junit!r}: the folder {folder} does not exist")
    project = args.project
    started = time.monotonic()
    deadline = started + args.timeout

    body: dict[str, Any] = {"wait": False}
    if args.scenario:
        body["scenarios"] = args.scenario
    elif args.tag is not None:
        body["tag"] = args.tag
    else:
        body["folder"] = args.folder
    if args.environment is not None:
        body["environment"] = resolve_environment(client, project, args.environment)
    if variables:
        body["variables"] = variables
    if args.parallelism is not None:
        body["parallelism"] = args.parallelism

    suite = client.json("POST", f"/api/v1/projects/{project}/suite-runs/", body)
    if not isinstance(suite, dict) or "id" not in suite:
        raise ServerError("the server's answer to starting the suite has no suite id")
    path = f"/api/v1/projects/{project}/suite-runs/{suite['id']}/"
    if not args.quiet:
        count = len(suite.get("runs") or [])
        print(
            f"Started suite {suite['id']}: {count} scenario{'' if count == 1 else 's'}"
            f" (parallelism {suite.get('parallelism', '?')}) on {client.base}",
            file=out,
            flush=True,
        )
    suite = follow(client, path, suite, deadline=deadline, quiet=args.quiet, out=out)
    finished = suite.get("status") in FINISHED

    if args.junit:
        report = client.get(path + "junit.xml")
        try:
            with open(args.junit, "wb") as file:
                file.write(report)
        except OSError as error:
            raise ReportError(f"cannot write the JUnit report: {error}") from None
        if not args.quiet:
            print(f"JUnit report written to {args.junit}", file=out)

    if suite.get("status") == "error" and suite.get("error"):
        print(f"ERROR suite {suite['id']}: {suite['error']}", file=out)
    print(summary_line(suite, time.monotonic() - started), file=out)
    if not finished:
        print(
            f"TIMEOUT: suite {suite['id']} had not finished after {args.timeout:g} s",
            file=out,
            flush=True,
        )
        return EXIT_ERROR
    return exit_code(suite)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:  # a CI log in a narrow encoding must not crash the run
            reconfigure(errors="replace")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return command_run(args, sys.stdout)
    except UsageError as error:
        print(f"switchboard.py: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ServerError as error:
        print(f"switchboard.py: server error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except ReportError as error:
        print(f"switchboard.py: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("switchboard.py: interrupted; the suite goes on on the server", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
