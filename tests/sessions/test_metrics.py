"""The Prometheus endpoint: closed without a token, then scraped (and parsed as the exposition
format) after a short session flood through a relay, with every metric the issue names."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from core.metrics import WebSocketGauge, websocket_kind

NAMES = (
    "switchboard_http_requests",
    "switchboard_http_request_duration_seconds",
    "switchboard_websocket_consumers",
    "switchboard_relay_upstream_connections",
    "switchboard_relay_frames",
    "switchboard_relay_bytes",
    "switchboard_relay_writer_queue",
    "switchboard_relay_batch_commit_seconds",
    "switchboard_relay_sessions_lost",
    "switchboard_relay_egress_denials",
    "switchboard_live_drops",
    "switchboard_live_resyncs",
)


def scrape(token: str = "s3cret") -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    response = APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    values: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            values.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return values


def total(values: dict[str, Any], name: str, **labels: str) -> float:
    return sum(
        value
        for key, value in values.get(name, {}).items()
        if all((k, v) in key for k, v in labels.items())
    )


@pytest.mark.django_db
def test_the_endpoint_needs_its_token(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert APIClient().get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "s3cret"
    assert APIClient().get("/metrics").status_code == 401
    wrong = APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    assert APIClient().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret").status_code == 200


def test_a_flood_shows_in_every_metric(
    team: Any, relay: Any, ws_upstream: Any, sessions_for: Any, settings: Any
) -> None:
    settings.METRICS_TOKEN = "s3cret"
    before = scrape()
    api = sessions_for(team.editor)
    session = api.open(project=team.project.pk, url=ws_upstream.url("/burst?n=200"))
    api.wait_events(session["id"], lambda events: len(events) >= 202)
    api.send(session["id"], format="text", body="hello")
    denied = api.create(project=team.project.pk, url="ws://metadata.test/")
    api.connect(denied["id"], status=None)
    after = scrape()
    for name in NAMES:
        assert any(key.startswith(name) for key in after), f"{name} is not exposed"
    assert (
        total(after, "switchboard_relay_frames_total", direction="in")
        - total(before, "switchboard_relay_frames_total", direction="in")
        >= 200
    )
    assert total(after, "switchboard_relay_frames_total", direction="out") > total(
        before, "switchboard_relay_frames_total", direction="out"
    )
    assert total(after, "switchboard_relay_bytes_total", direction="in") > total(
        before, "switchboard_relay_bytes_total", direction="in"
    )
    assert total(after, "switchboard_relay_batch_commit_seconds_count") > total(
        before, "switchboard_relay_batch_commit_seconds_count"
    )
    assert (
        total(after, "switchboard_relay_egress_denials_total")
        == total(before, "switchboard_relay_egress_denials_total") + 1
    )
    assert total(after, "switchboard_relay_upstream_connections") >= 1
    route = "/api/v1/sessions/<int:session_id>/messages/"
    assert total(after, "switchboard_http_requests_total", route=route, status="201") >= 1
    assert total(after, "switchboard_http_request_duration_seconds_count", route=route) >= 1


async def test_websockets_count_from_accept_to_the_end() -> None:
    seen: list[float] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "websocket.accept"})
        from core.metrics import WEBSOCKETS_OPEN

        seen.append(WEBSOCKETS_OPEN.labels("session")._value.get())

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        return None

    from core.metrics import WEBSOCKETS_OPEN

    start = WEBSOCKETS_OPEN.labels("session")._value.get()
    await WebSocketGauge(app)({"type": "websocket", "path": "/ws/sessions/3/"}, receive, send)
    assert seen == [start + 1]
    assert WEBSOCKETS_OPEN.labels("session")._value.get() == start
    assert websocket_kind("/ws/projects/1/") == "project"
    assert websocket_kind("/ws/echo/") == "echo"
    assert websocket_kind("/mock/key/v1/chat") == "mock"
