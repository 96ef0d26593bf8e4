"""Log lines: JSON objects with the request's id, the X-Request-ID header, bad incoming ids."""

from __future__ import annotations

import io
import json
import logging
import re
from typing import Any

import pytest
from rest_framework.test import APIClient

from core.logs import JsonFormatter, log_context, logging_config, request_id_accepted
from tests.embedded import embedded_env, manage_run

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines() -> Any:
    """What the root logger writes through LOG_FORMAT=json's formatter, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_json_lines_parse_and_carry_the_context(json_lines: Any) -> None:
    logger = logging.getLogger("switchboard.test")
    with log_context(request_id="req-1", session_id=42):
        logger.info('a "quoted"\nmessage %s', "with args")
    logger.warning("outside any request")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("it failed")
    first, second, third = json_lines()
    assert first.pop("time").endswith("Z")
    assert first == {
        "level": "INFO",
        "logger": "switchboard.test",
        "message": 'a "quoted"\nmessage with args',
        "request_id": "req-1",
        "session_id": 42,
    }
    assert "request_id" not in second and "session_id" not in second
    assert second["level"] == "WARNING"
    assert third["message"] == "it failed" and "ValueError: boom" in third["exception"]


def test_log_format_setting_picks_the_formatter() -> None:
    json_config = logging_config(level="INFO", fmt="json")
    assert json_config["formatters"]["default"] == {"()": "core.logs.JsonFormatter"}
    text_config = logging_config(level="DEBUG", fmt="text")
    assert text_config["formatters"]["default"] == {"format": "%(message)s"}
    assert text_config["root"]["level"] == "DEBUG"


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "has space",
        "new\nline",
        "x" * 129,
        "-leading-dash",
        'quote"',
        "ünïcode",
    ],
)
def test_a_bad_incoming_id_is_replaced(incoming: str) -> None:
    assert GENERATED.fullmatch(request_id_accepted(incoming))


def test_the_response_carries_the_request_id(json_lines: Any, make_user: Any) -> None:
    client = APIClient()
    # A proxy's id is kept, and the request's log lines carry it.
    kept = client.get("/api/v1/nope/", headers={"X-Request-ID": "proxy-7f3a:1"})
    assert kept.status_code == 404
    assert kept["X-Request-ID"] == "proxy-7f3a:1"
    # No id: a new one each time.
    first = client.get("/healthz")
    second = client.get("/healthz")
    assert GENERATED.fullmatch(first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    # A forged one (log injection) is replaced, not echoed.
    forged = client.get("/healthz", headers={"X-Request-ID": 'a"}\n{"level": "CRITICAL'})
    assert GENERATED.fullmatch(forged["X-Request-ID"])
    # Non-API pages too (a redirect to the login page).
    page = client.get("/", headers={"X-Request-ID": "page-1"})
    assert page.status_code == 302 and page["X-Request-ID"] == "page-1"

    not_found = [line for line in json_lines() if line.get("request_id") == "proxy-7f3a:1"]
    assert not_found and all(line["logger"].startswith("django") for line in not_found), (
        json_lines()
    )


def test_a_url_naming_a_session_puts_it_on_the_lines(json_lines: Any) -> None:
    response = APIClient().get("/api/v1/sessions/987654/", headers={"X-Request-ID": "s-1"})
    assert response.status_code == 401
    after = APIClient().get("/api/v1/nope/", headers={"X-Request-ID": "s-2"})
    assert after.status_code == 404
    by_request = {line["request_id"]: line for line in json_lines() if "request_id" in line}
    assert by_request["s-1"]["session_id"] == 987654
    assert by_request["s-1"]["message"] == "Unauthorized: /api/v1/sessions/987654/"
    # It ends with its request.
    assert "session_id" not in by_request["s-2"]


def test_an_unknown_log_format_stops_the_server_with_its_name(tmp_path: Any) -> None:
    env = embedded_env(tmp_path / "data", tmp_path / "static", LOG_FORMAT="xml")
    done = manage_run(env, "check")
    assert done.returncode != 0
    assert "LOG_FORMAT must be text or json, not 'xml'" in done.stderr
