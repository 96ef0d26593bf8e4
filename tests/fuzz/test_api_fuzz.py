"""Schemathesis fuzzes every operation of ``/api/schema/`` as a logged-in admin of a seeded project.

Each operation gets ``FUZZ_EXAMPLES`` schema-valid and ``FUZZ_EXAMPLES`` schema-invalid
requests (Hypothesis-generated), sent in-process to the Django app with the fuzzer's bearer
token. Path parameters are the seeded project's real ids (except when the path itself is what
a negative case breaks), so requests reach the handlers. Every response must be non-5xx, carry
a documented status code and content type, and match the documented body schema; data the
schema calls invalid must be rejected. Debug-session connects reach a loopback echo server this
test starts, through a real relay; the egress policy allows loopback only, so no generated URL
can make the relay connect anywhere else.

``make test`` runs a bounded count with a fixed seed; ``make fuzz`` (``FUZZ_EXAMPLES=50`` by
default, ``FUZZ_RANDOM=1``: new cases each run) a longer one. The per-operation table of statuses
is printed (with ``-s``) and written to ``test-artifacts/fuzz/summary.txt``; failures, each with
a ``curl`` line to reproduce it, to ``failures.txt``.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.core.result import Ok

from sessions.models import DebugSession, SessionState
from tests.fuzz.world import PATH_PARAMETERS, World
from tests.sessions.conftest import TEST_NAMES, RelayThread
from tests.sessions.upstreams import LoopThread, WebsocketsUpstream, hosts_resolver, self_signed

# Examples per operation and generation mode. 8 x 2 x 80 operations ~ 1,240 requests (fewer
# where an operation has fewer distinct inputs), about a minute on the 2-core development
# machine; `make fuzz` raises it.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
MIN_REQUESTS = 1000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "fuzz"

# What a response must satisfy (schemathesis check names). positive_data_acceptance is off:
# it demands a 2xx for anything the schema allows, but many schema-valid requests are refused
# by rules a JSON schema cannot say (a folder that is not empty, a stale version, a cycle).
CHECKS = {
    "enabled": False,
    "not_a_server_error": {"enabled": True},
    "status_code_conformance": {"enabled": True},
    "content_type_conformance": {"enabled": True},
    "response_schema_conformance": {"enabled": True},
    "response_headers_conformance": {"enabled": True},
    "negative_data_rejection": {
        "enabled": True,
        # Besides schemathesis' defaults: a stale version (412) and a body over the size limit
        # (413) are rejections too.
        "expected-statuses": [
            *("400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422"),
            *("428", "429"),
        ],
    },
}


@pytest.fixture
def upstream() -> Iterator[WebsocketsUpstream]:
    runner = LoopThread()
    server = WebsocketsUpstream(runner).start()
    yield server
    server.stop()
    runner.stop()


@pytest.fixture
def fuzz_settings(settings: Any) -> None:
    settings.RELAY_EMBEDDED = False
    settings.RELAY_HEARTBEAT_INTERVAL = 1.0
    # Only loopback: whatever URL the fuzzer writes into a draft, nothing else is reached.
    settings.UPSTREAM_ALLOW_CIDRS = ["127.0.0.0/8", "::1/128"]
    # Sign-up is reached (and creates users) instead of answering 404.
    settings.SIGNUP_ENABLED = True
    settings.SESSION_MAX_OPEN_PER_USER = 5


@pytest.fixture
def relay(transactional_db: None, fuzz_settings: None) -> Iterator[Any]:
    started = RelayThread(resolver=hosts_resolver(TEST_NAMES))
    yield started.relay
    started.stop()


@pytest.fixture
def world(relay: Any, upstream: WebsocketsUpstream, tmp_path: Path) -> World:
    cert, _ = self_signed(tmp_path)
    return World.create(upstream_url=upstream.url("/echo"), ca_pem=cert.read_text())


@pytest.fixture
def wsgi_app() -> Iterator[Any]:
    """The Django app in-process, keeping the test's database connection across requests
    (as Django's test client does) instead of reconnecting for every one."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class Tally:
    """Requests, statuses and failures per operation."""

    def __init__(self) -> None:
        self.statuses: dict[str, Counter[int]] = defaultdict(Counter)
        self.failures: dict[str, list[str]] = defaultdict(list)
        self.coercions = 0

    @property
    def requests(self) -> int:
        return sum(sum(c.values()) for c in self.statuses.values())

    def count(self, predicate: Any) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if predicate(s))

    def table(self) -> str:
        lines = [f"{'operation':<78} {'requests':>8}  statuses"]
        for label in sorted(self.statuses):
            counts = self.statuses[label]
            shown = " ".join(f"{s}x{n}" for s, n in sorted(counts.items()))
            lines.append(f"{label:<78} {sum(counts.values()):>8}  {shown}")
        return "\n".join(lines)


# DRF's fields convert on purpose: a string field takes 5 as "5", an integer field takes "5",
# a boolean field takes "true", 1 or "yes", and a text field trims surrounding whitespace
# before it checks the length. A negative case whose only "invalid" parts are such values in
# the JSON body is accepted by design and counted, not failed.
_COERCED = re.compile(
    r"violates `type` at \S+ \(was (string, became (number|integer)"
    r"|(integer|number), became string|boolean, became (string|integer|number))\)"
)
_TOO_LONG = re.compile(r"violates `maxLength` at (?:/\$ref/[^/\s]+)?/properties/([^/\s]+)(?:\s|$)")


def _trimmed_to_fit(part: str, body: Any) -> bool:
    """A top-level string over maxLength only by the whitespace DRF trims off it."""
    match = _TOO_LONG.search(part)
    value = body.get(match.group(1)) if match and isinstance(body, dict) else None
    return isinstance(value, str) and value != value.strip()


def _only_coercions(failure: BaseException, body: Any = None) -> bool:
    """True when every invalid part of every ST201 failure is such a conversion in the body.

    schemathesis writes one part as ``Invalid component: in body - violates ...``, several of
    the body as ``in body`` followed by ``- violates ...`` lines, and parts of several
    components as ``- body: violates ...`` / ``- header: violates ...`` lines.
    """
    failures = failure.exceptions if isinstance(failure, BaseExceptionGroup) else (failure,)
    for item in failures:
        if getattr(item, "code", None) != "ST201":
            return False
        message = str(getattr(item, "message", item))
        block = message.split("Invalid component:", 1)[-1].strip()
        in_body = block.startswith("in body")
        parts = [line for line in block.splitlines() if "violates" in line]
        if not parts:
            return False
        for part in parts:
            if not (in_body or "body: violates" in part):
                return False
            if not (_COERCED.search(part) or _trimmed_to_fit(part, body)):
                return False
    return True


def _prepare(case: Any, world: World) -> None:
    """Real ids in the path (unless the path is what a negative case breaks), a loopback draft
    before a connect, and an open connection before a send."""
    world.ensure()
    path_mode = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if case.path_parameters and not (path_mode and path_mode.mode == GenerationMode.NEGATIVE):
        for name in case.path_parameters:
            if name in PATH_PARAMETERS:
                case.path_parameters[name] = world.ids[name]
    path = case.operation.path
    if path.endswith("/connect/"):
        world.reset_session_draft()
    elif path.endswith("/messages/"):
        _ensure_open(world)


def _ensure_open(world: World) -> None:
    from sessions import services as session_services

    session = DebugSession.objects.get(pk=world.ids["session_id"])
    if session.state == SessionState.OPEN:
        return
    if session.state in (SessionState.CONNECTING, SessionState.CLOSING):
        return
    world.reset_session_draft()
    session.refresh_from_db()
    session_services.session_connect(session=session, actor=world.fuzzer)


def _fuzz_operation(operation: Any, world: World, app: Any, tally: Tally) -> None:
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _fuzz_mode(operation, mode, world, app, tally)


def _fuzz_mode(operation: Any, mode: Any, world: World, app: Any, tally: Tally) -> None:
    label = f"{operation.method.upper()} {operation.path}"
    headers = {"Authorization": f"Bearer {world.token}"}

    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        _prepare(case, world)
        response = case.call(headers=headers, app=app)
        tally.statuses[label][response.status_code] += 1
        try:
            case.validate_response(
                response, headers=headers, transport_kwargs={"headers": headers, "app": app}
            )
        except (AssertionError, BaseExceptionGroup) as failure:
            if _only_coercions(failure, case.body):
                tally.coercions += 1
                return
            tally.failures[label].append(f"[{mode.value}] {failure}")

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameters, no body).
        assert mode == GenerationMode.NEGATIVE, label


def test_every_operation_survives_fuzzing(world: World, wsgi_app: Any) -> None:
    # The fuzzer's token goes in every request; generating Authorization or Cookie values too
    # would only test that they are replaced.
    config = schemathesis.Config.from_dict(
        {"checks": CHECKS, "generation": {"with-security-parameters": False}}
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, config=config)
    tally = Tally()
    started = time.monotonic()
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operations.append(result.ok())
    for operation in operations:
        _fuzz_operation(operation, world, wsgi_app, tally)
    elapsed = time.monotonic() - started

    requests = tally.requests
    server_errors = tally.count(lambda s: s >= 500)
    reached = tally.count(lambda s: s not in (401, 404))
    succeeded = tally.count(lambda s: 200 <= s < 300)
    failures = [f"{label}: {text}" for label, items in tally.failures.items() for text in items]
    summary = (
        f"{tally.table()}\n\n"
        f"operations: {len(operations)}, requests: {requests}, 5xx: {server_errors}, "
        f"reached a handler (not 401/404): {reached} ({reached / max(requests, 1):.0%}), "
        f"2xx: {succeeded}, "
        f"schema violations: {len(failures)}, accepted DRF coercions: {tally.coercions}, "
        f"world rebuilds: {world.rebuilds}, "
        f"examples per operation and mode: {FUZZ_EXAMPLES}, time: {elapsed:.0f} s\n"
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.txt").write_text(summary)
    (ARTIFACTS / "failures.txt").write_text("\n\n".join(failures))
    print(summary)

    assert not failures, f"{len(failures)} failing responses; first:\n" + "\n\n".join(failures[:5])
    assert server_errors == 0
    assert len(tally.statuses) == len(operations), "some operations were never called"
    if FUZZ_EXAMPLES >= 8:
        assert requests >= MIN_REQUESTS, requests
    assert reached >= requests // 2, "most requests should reach a handler"
